//! The Signal connector over signal-cli's JSON-RPC daemon (issue 4, in progress).
//!
//! signal-cli is a separate GPL process; tresen speaks its line-delimited JSON-RPC. This
//! module has the wire format so far (`frames`, pure and tested against every example
//! in the reference); the process supervisor and the client follow.

pub mod frames;

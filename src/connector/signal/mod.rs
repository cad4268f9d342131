//! The Signal connector over signal-cli's JSON-RPC daemon (issue 4, in progress).
//!
//! signal-cli is a separate GPL process; tresen speaks its line-delimited JSON-RPC. This
//! module has the wire format (`frames`, pure and tested against every example in the
//! reference) and the client (`rpc`: ids, out-of-order replies, timeouts, bad frames);
//! the process supervisor and the connector itself follow.

mod connector;
pub mod daemon;
pub mod frames;
pub mod rpc;
pub mod version;

pub use connector::{Endpoint, SignalConnector};

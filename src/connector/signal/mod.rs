//! The Signal connector over signal-cli's JSON-RPC daemon.
//!
//! signal-cli is a separate GPL process; tresen speaks its line-delimited JSON-RPC:
//! `frames` is the wire format (pure, tested against every example in the reference),
//! `rpc` the client (ids, out-of-order replies, timeouts, bad frames), `daemon` starts
//! signal-cli, `connector` is the connector, `groups` decides which groups are business,
//! `onboarding` links or registers the number, `setup` answers the owner's setup
//! questions on the running connector.

mod connector;
pub mod daemon;
pub mod frames;
pub mod groups;
pub mod onboarding;
pub mod rpc;
pub mod setup;
pub mod version;

pub use connector::{Connection, Endpoint, SignalConnector, connect};

//! Ingest: what a connector event means for the archive and the inbox store, said once.
//!
//! A batch of connector events is split into [`Step`]s: *records* — business facts
//! (messages, conversations, send results, receipts, edits, deletions, reactions,
//! files, peer renames) that are archived and then stored — and *signals* (health,
//! encryption state, typing, invites, linking, catch-up, sync positions, failed
//! downloads), which are never archived. Every record reaches the store through
//! [`Ingest::ops`], the same function that replays the archive at start and in
//! `tresen store rebuild`: a store rebuilt from the archive holds what the live one
//! holds (`tests/ingest.rs` feeds random event streams through both and compares).

mod capture;
mod meaning;
mod replay;

pub use capture::{Capture, Record, Signal, Step, attachment};
pub use meaning::Ingest;
pub use replay::{POSITION, Replay, applied_seq, catch_up, position_op};

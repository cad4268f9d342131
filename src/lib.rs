//! tresen: a keyboard-driven terminal inbox for a firm's business messenger line.
//!
//! Layers, inner to outer (each may only use the ones before it):
//! `domain` (pure types) and `compliance` (pure rules) → `store` / `archive` /
//! `connector` → `ingest` (what an event means for archive and store, said once) →
//! `engine` → `app` (state machine) → `ui` (rendering) → `tui` (terminal runtime).
//! Beside the engine, for work without one: `lifecycle` (retention, holds, GDPR
//! requests, the auditor's export) and `findings` (the compliance check). Many seats,
//! one engine: `protocol` (what seats and the daemon say), `seat` (the inbox's way to an
//! engine: its own or the daemon's) and `daemon` (serving the engine over a socket).
//! `config`, `secrets`, `logging`, `profile` and `cli` (the binary's edge, `src/cli/`)
//! wire them together; no two modules import each other in a circle
//! (`tests/architecture.rs`). See `docs/architecture.md`.
//!
//! To add a user-facing feature: add an `app::action::Action` (keys and both
//! descriptions), handle it in `App::act`, render it in `ui`, and test it with keys.

// matrix-sdk's sync futures are deeply nested; proving them `Send` needs more than the
// default recursion limit (E0275 otherwise).
#![recursion_limit = "256"]

pub mod app;
pub mod archive;
pub mod attachment_io;
pub mod cli;
pub mod compliance;
pub mod config;
pub mod connector;
pub mod daemon;
pub mod domain;
pub mod engine;
pub mod error;
pub mod fault;
pub mod findings;
pub mod fsutil;
pub mod ingest;
pub mod lifecycle;
pub mod logging;
pub mod out;
pub mod preview;
pub mod procdoc;
pub mod profile;
pub mod protocol;
/// The demo profile (`tresen --demo`), part of `profile`.
pub use profile::demo;
pub mod seat;
pub mod secrets;
pub mod store;
pub mod tui;
pub mod ui;

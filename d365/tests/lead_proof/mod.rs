//! The lead writer's reliability proof and benchmark (issue 12 §3), shared by
//! `tests/lead_reliability.rs` (the reduced form CI runs) and `benches/leads.rs` (100,000
//! leads, and the throughput numbers).
//!
//! One run: the emulator in this process with the writer app registered and a fault mix
//! injected; `d365 leads serve` processes spawned from the built binary on one spool (SQLite,
//! or PostgreSQL shared by several); a load generator posting distinct leads concurrently and
//! retrying each POST until it gets a 2xx, as the marketplace is expected to; a chaos task
//! killing each process with SIGKILL at random points of the run and restarting it; then the
//! lead table read back (each lead once, none lost) and the spool checked (empty, nothing
//! parked).

#![allow(dead_code, unused_imports)] // The test and the bench use different parts.

pub(crate) mod chaos;
pub(crate) mod emulator;
pub(crate) mod fleet;
pub(crate) mod load;
pub(crate) mod outcome;
pub(crate) mod run;

pub(crate) use fleet::RetryPolicy;
pub(crate) use outcome::Outcome;
pub(crate) use run::{ProofConfig, SpoolKind, run};

//! Writes leads in the shape the Microsoft commercial marketplace sends into the Dataverse
//! `lead` table, with nothing lost and nothing duplicated.
//!
//! This crate is filled by the lead-writer work, on top of `dataverse-webapi`. It has no
//! public items yet.

//! Integration tests of the emulator's admin service (Online Management API and Power Platform
//! admin API), driven over HTTP with plain requests and tokens from the emulator's own sign-in.

mod app_identities;
mod auth;
mod bap;
mod catalog;
mod instances;
mod operations;
mod seeding;
mod support;
mod throttling;

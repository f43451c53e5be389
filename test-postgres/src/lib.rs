#![doc = include_str!("../README.md")]

mod cluster;
mod database;
mod server;

pub use database::fresh_database;
pub use server::{PgTestServer, REQUIRE_ENV, URL_ENV};

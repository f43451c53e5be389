//! Integration tests of the emulator's Dataverse Web API, driven over HTTP with plain requests
//! and tokens from the emulator's own sign-in service.

mod access;
mod auth;
mod batch;
mod change_tracking;
mod conformance;
mod crud;
mod docs_conformance;
mod docs_seeds;
mod environment_users;
mod evaluation;
mod extra_org;
mod faults;
mod features;
mod fixture_seeds;
mod fixtures;
mod protection;
mod query;
mod refs;
mod robustness;
mod route_options;
mod security;
mod security_assign;
mod security_support;
mod shape;
mod solution_import;
mod support;

#![doc = include_str!("../README.md")]

mod admin;
mod bap;
mod client;
mod discovery;
mod error;
mod models;
mod operations;
mod poller;
mod regions;
mod requests;
mod version;

pub use admin::{
    AdminApi, AdminBackend, ForceSyncUser, RegisterApplication, RegisteredApplication,
};
pub use bap::{
    AdminApplication, BapEndpoint, BapOptions, BapRequests, Environment, EnvironmentName,
    LinkedEnvironment, PowerPlatformAdminClient,
};
pub use client::{ClientOptions, OnlineManagementClient};
pub use discovery::Discovery;
pub use error::AdminError;
pub use models::*;
pub use poller::{OperationPoller, WaitOptions};
pub use regions::{Region, ServiceEndpoint};
pub use requests::{Requests, Submit};
pub use version::ApiVersion;

//! The Power Platform admin API ("BAP", `api.bap.microsoft.com`), the Online Management
//! API's successor: force-sync users, management application registration, environments.

mod client;
mod endpoint;
mod environment_name;
mod models;
mod requests;

pub use client::{BapOptions, PowerPlatformAdminClient};
pub use endpoint::BapEndpoint;
pub use environment_name::EnvironmentName;
pub use models::{AdminApplication, Environment, LinkedEnvironment};
pub use requests::BapRequests;

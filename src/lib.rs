#![doc = include_str!("../README.md")]

/// Sign-in to Microsoft Entra ID: the [`dynamics_auth`] crate.
pub use dynamics_auth as auth;

/// The admin APIs (Online Management API and Power Platform admin): the [`online_mgmt_api`] crate.
pub use online_mgmt_api as admin;

/// The shared HTTP pipeline: the [`dynamics_http`] crate.
pub use dynamics_http as http;

/// The Dataverse Web API client: the [`dataverse_webapi`] crate.
pub use dataverse_webapi as dataverse;

/// Change tracking sync with durable checkpoints and automatic resync: the [`change_sync`] crate.
pub use change_sync;
/// Per-customer sign-in for connector platforms, with durable encrypted tokens: the
/// [`connector_accounts`] crate.
pub use connector_accounts as connector;
/// Entra users into Dataverse by rules (business units, teams, roles): the [`user_sync`] crate.
pub use user_sync;

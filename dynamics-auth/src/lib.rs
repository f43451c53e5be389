#![doc = include_str!("../README.md")]

mod authority;
mod cache;
mod certificate;
mod challenge;
mod client_id;
pub mod clock;
mod cloud;
mod credentials;
mod error;
mod options;
#[doc(hidden)]
pub mod proxy;
pub mod retry_after;
pub mod scopes;
pub mod secure_url;
mod token_client;
mod token_response;

pub use authority::{Authority, TenantId};
pub use cache::{TokenCache, TokenCacheOptions};
pub use certificate::ClientCertificate;
pub use challenge::BearerChallenge;
pub use client_id::parse_client_id;
pub use clock::{Clock, ManualClock, SystemClock};
pub use cloud::Cloud;
pub use credentials::{
    AuthorizationCodeFlow, AuthorizationRequest, AuthorizeOptions, ClientCertificateCredential,
    ClientSecretCredential, DeviceCodeCredential, DeviceCodeInfo, RefreshTokenCredential,
    StaticTokenCredential, UsernamePasswordCredential,
};
pub use error::{AuthError, EntraError, EntraErrorKind};
pub use options::{CredentialOptions, EndpointVersion};

/// The Azure SDK's credential contract, re-exported: every credential here implements
/// [`TokenCredential`], and every client of this workspace accepts any implementation,
/// including those of `azure_identity`.
pub use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
/// GUIDs (client ids, tenant and object ids) are this type, re-exported so callers need not
/// depend on `uuid` themselves.
pub use uuid::Uuid;

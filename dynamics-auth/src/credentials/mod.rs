//! The credentials. Each implements [`azure_core::credentials::TokenCredential`], so each
//! plugs into any client of this workspace (and of the Azure SDK) unchanged.

mod authorization_code;
mod client_certificate;
mod client_secret;
mod device_code;
mod pkce;
mod refresh_token;
mod static_token;
mod username_password;

pub use authorization_code::{AuthorizationCodeFlow, AuthorizationRequest, AuthorizeOptions};
pub use client_certificate::ClientCertificateCredential;
pub use client_secret::ClientSecretCredential;
pub use device_code::{DeviceCodeCredential, DeviceCodeInfo};
pub use refresh_token::RefreshTokenCredential;
pub use static_token::StaticTokenCredential;
pub use username_password::UsernamePasswordCredential;

/// `offline_access` added once to a scope list, so Entra issues a refresh token.
pub(crate) fn with_offline_access<'a>(scopes: &[&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = scopes.to_vec();
    if !all.contains(&"offline_access") {
        all.push("offline_access");
    }
    all
}

//! The sign-in service: an Entra ID (Azure AD) look-alike for the OAuth 2.0 flows the SDK uses.
//!
//! Routes (all relative to the emulator's base URL, `{tenant}` being a tenant GUID or domain,
//! `common`, `organizations` or `consumers`):
//!
//! | Method | Path | Purpose |
//! |---|---|---|
//! | POST | `/{tenant}/oauth2/v2.0/token` | v2 token endpoint |
//! | POST | `/{tenant}/oauth2/token` | v1 token endpoint (`resource=`) |
//! | POST | `/{tenant}/oauth2/v2.0/devicecode` | device authorization (v2) |
//! | POST | `/{tenant}/oauth2/devicecode` | device authorization (v1) |
//! | GET | `/{tenant}/oauth2/v2.0/authorize` | authorization code, auto-approved |
//! | GET | `/{tenant}/oauth2/authorize` | the same, v1 (`resource=`) |
//! | GET | `/{tenant}/adminconsent` | admin consent, auto-approved |
//! | GET | `/{tenant}/v2.0/.well-known/openid-configuration` | OIDC discovery (v2) |
//! | GET | `/{tenant}/.well-known/openid-configuration` | OIDC discovery (v1) |
//! | GET | `/{tenant}/discovery/v2.0/keys`, `/{tenant}/discovery/keys` | signing keys (JWKS) |
//! | GET, POST | `/devicelogin` | the device-code verification page |

mod admin_consent;
mod assertion;
mod authority;
mod authorize;
mod client_auth;
mod codes;
mod device_authorization;
mod device_login;
mod discovery;
mod error;
mod grant;
mod issue;
mod params;
mod redirect;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::routing::{get, post};

use crate::state::Shared;

/// The sign-in service's routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::token_v2))
        .route("/{tenant}/oauth2/token", post(token::token_v1))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(device_authorization::device_code_v2),
        )
        .route(
            "/{tenant}/oauth2/devicecode",
            post(device_authorization::device_code_v1),
        )
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(authorize::authorize_v2),
        )
        .route("/{tenant}/oauth2/authorize", get(authorize::authorize_v1))
        .route("/{tenant}/adminconsent", get(admin_consent::admin_consent))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration_v2),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(discovery::openid_configuration_v1),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys_v2))
        .route("/{tenant}/discovery/keys", get(discovery::keys_v1))
        .route(
            "/devicelogin",
            get(device_login::page).post(device_login::submit),
        )
}

/// The `{tenant}` segment; an undecodable segment becomes empty (and then an unknown tenant).
fn path_segment(segment: Result<Path<String>, PathRejection>) -> String {
    segment.map(|Path(segment)| segment).unwrap_or_default()
}

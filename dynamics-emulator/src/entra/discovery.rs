//! OpenID Connect discovery documents and the signing keys (JWKS).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::authority::Authority;
use super::error::RequestMeta;
use super::path_segment;
use crate::state::Shared;

/// Which protocol version a document describes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(super) async fn openid_configuration_v2(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    document(
        &shared,
        &path_segment(segment),
        &headers,
        Version::V2,
        configuration,
    )
}

/// `GET /{tenant}/.well-known/openid-configuration` (v1).
pub(super) async fn openid_configuration_v1(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    document(
        &shared,
        &path_segment(segment),
        &headers,
        Version::V1,
        configuration,
    )
}

/// `GET /{tenant}/discovery/v2.0/keys`.
pub(super) async fn keys_v2(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    document(&shared, &path_segment(segment), &headers, Version::V2, keys)
}

/// `GET /{tenant}/discovery/keys` (v1).
pub(super) async fn keys_v1(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    document(&shared, &path_segment(segment), &headers, Version::V1, keys)
}

/// Resolves the tenant (AADSTS90002 JSON error if unknown) and renders a document for it.
fn document(
    shared: &Shared,
    segment: &str,
    headers: &HeaderMap,
    version: Version,
    render: fn(&Shared, &str, Authority, Version) -> Value,
) -> Response {
    let authority = Authority::resolve(&shared.lock().directory, segment);
    match authority {
        Ok(authority) => Json(render(shared, segment, authority, version)).into_response(),
        Err(error) => error.to_json_response(shared, &RequestMeta::from_headers(headers)),
    }
}

/// The issuer of tokens for an authority; `{tenantid}` is a literal placeholder for the
/// multi-tenant authorities, as in Entra's documents.
fn issuer(shared: &Shared, authority: Authority, version: Version) -> String {
    let tenant = authority
        .tenant_id()
        .map_or_else(|| "{tenantid}".to_owned(), |id| id.to_string());
    match version {
        Version::V2 => shared.url(&format!("{tenant}/v2.0")),
        Version::V1 => shared.url(&format!("{tenant}/")),
    }
}

fn configuration(shared: &Shared, segment: &str, authority: Authority, version: Version) -> Value {
    let (oauth, discovery) = match version {
        Version::V2 => ("oauth2/v2.0", "discovery/v2.0"),
        Version::V1 => ("oauth2", "discovery"),
    };
    let endpoint = |path: &str| shared.url(&format!("{segment}/{path}"));
    json!({
        "issuer": issuer(shared, authority, version),
        "authorization_endpoint": endpoint(&format!("{oauth}/authorize")),
        "token_endpoint": endpoint(&format!("{oauth}/token")),
        "device_authorization_endpoint": endpoint(&format!("{oauth}/devicecode")),
        "jwks_uri": endpoint(&format!("{discovery}/keys")),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": [
            "authorization_code",
            "client_credentials",
            "password",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code"
        ],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "client_secret_basic",
            "private_key_jwt"
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "nbf", "name", "preferred_username", "oid", "tid",
            "nonce", "ver"
        ],
        "tenant_region_scope": null,
        "cloud_instance_name": shared.base_url.host_str().unwrap_or_default(),
    })
}

fn keys(shared: &Shared, _segment: &str, authority: Authority, version: Version) -> Value {
    json!({ "keys": [shared.signing.jwk(&issuer(shared, authority, version))] })
}

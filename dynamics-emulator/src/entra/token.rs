//! The token endpoints: `POST /{tenant}/oauth2/v2.0/token` and the v1 `POST /{tenant}/oauth2/token`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::authority::Authority;
use super::error::{AadError, RequestMeta};
use super::grant::{self, TokenRequest};
use super::issue::{self, Protocol};
use super::params::{Params, basic_credentials};
use super::path_segment;
use crate::state::Shared;

/// The device-code grant type (RFC 8628).
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(super) async fn token_v2(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(
        &shared,
        Protocol::V2,
        &path_segment(segment),
        &headers,
        &body,
    )
}

/// `POST /{tenant}/oauth2/token` (v1: `resource=` instead of `scope=`).
pub(super) async fn token_v1(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(
        &shared,
        Protocol::V1,
        &path_segment(segment),
        &headers,
        &body,
    )
}

/// Counts the request, runs the grant under the state lock, then signs and answers.
fn handle(
    shared: &Shared,
    protocol: Protocol,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    shared.count_token_request();
    let meta = RequestMeta::from_headers(headers);
    let params = Params::from_form(body);
    let grant_type = params.get("grant_type").unwrap_or_default().to_owned();
    let result = plan(shared, protocol, segment, headers, &params, &grant_type)
        .and_then(|issue| issue::respond(shared, &issue, &meta));
    match result {
        Ok(response) => {
            tracing::debug!(grant_type, segment, "token issued");
            response
        }
        Err(error) => {
            tracing::debug!(
                grant_type,
                segment,
                code = error.code,
                "token request rejected"
            );
            error.to_json_response(shared, &meta)
        }
    }
}

fn plan(
    shared: &Shared,
    protocol: Protocol,
    segment: &str,
    headers: &HeaderMap,
    params: &Params,
    grant_type: &str,
) -> Result<issue::Issue, AadError> {
    if grant_type.is_empty() {
        return Err(AadError::missing_parameter("grant_type"));
    }
    let basic = basic_credentials(headers);
    let mut store = shared.lock();
    let authority = Authority::resolve(&store.directory, segment)?;
    let request = TokenRequest {
        shared,
        protocol,
        segment,
        authority,
        params,
        basic: basic.as_ref(),
    };
    match (protocol, grant_type) {
        (_, "client_credentials") => grant::client_credentials::plan(&request, &mut store),
        (_, "password") => grant::password::plan(&request, &mut store),
        (_, "refresh_token") => grant::refresh_token::plan(&request, &mut store),
        (_, "authorization_code") => grant::authorization_code::plan(&request, &mut store),
        (_, DEVICE_CODE_GRANT) | (Protocol::V1, "device_code") => {
            grant::device_code::plan(&request, &mut store)
        }
        (_, other) => Err(AadError::unsupported_grant_type(other)),
    }
}

//! The authorize endpoint (`GET /{tenant}/oauth2/v2.0/authorize`, and v1 `/oauth2/authorize`):
//! no login page, the user is signed in and approves at once.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use url::Url;

use super::authority::Authority;
use super::error::{AadError, RequestMeta};
use super::grant::{parse_scope, resource};
use super::params::Params;
use super::path_segment;
use super::redirect::{self, Reply, ResponseMode};
use crate::grants::{AuthorizationCode, PkceChallenge};
use crate::scope::ScopeRequest;
use crate::state::{Shared, Store};

/// Why the request failed: before the redirect URI is trusted (error page) or after (redirect).
enum Failure {
    Page(AadError),
    Redirect(Box<Reply>, AadError),
}

/// `GET /{tenant}/oauth2/v2.0/authorize`.
pub(super) async fn authorize_v2(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    handle(
        &shared,
        &path_segment(segment),
        &headers,
        query.as_deref(),
        false,
    )
}

/// `GET /{tenant}/oauth2/authorize` (v1: `resource=` instead of `scope=`).
pub(super) async fn authorize_v1(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    handle(
        &shared,
        &path_segment(segment),
        &headers,
        query.as_deref(),
        true,
    )
}

fn handle(
    shared: &Shared,
    segment: &str,
    headers: &HeaderMap,
    query: Option<&str>,
    v1: bool,
) -> Response {
    let meta = RequestMeta::from_headers(headers);
    let params = Params::from_query(query);
    let mut store = shared.lock();
    let outcome = authorize(shared, &mut store, segment, &params, v1);
    drop(store);
    match outcome {
        Ok((reply, code)) => reply.send(vec![("code".to_owned(), code)]),
        Err(Failure::Page(error)) => error.to_page(shared, &meta),
        Err(Failure::Redirect(reply, error)) => reply.send(error.redirect_params(shared, &meta)),
    }
}

/// Validates the request and issues a code for the `login_hint` user (else the tenant's first
/// user). `prompt=consent` grants missing consent; otherwise missing consent is
/// `consent_required` (AADSTS65001).
fn authorize(
    shared: &Shared,
    store: &mut Store,
    segment: &str,
    params: &Params,
    v1: bool,
) -> Result<(Reply, String), Failure> {
    let authority = Authority::resolve(&store.directory, segment).map_err(Failure::Page)?;
    let client_id = params.require("client_id").map_err(Failure::Page)?;
    let (tenant, app) = authority
        .client_app(&store.directory, segment, client_id)
        .map_err(Failure::Page)?;
    let raw_redirect = params.require("redirect_uri").map_err(Failure::Page)?;
    let redirect_uri = Url::parse(raw_redirect)
        .ok()
        .filter(|uri| redirect::is_registered(&app.redirect_uris, uri))
        .ok_or_else(|| {
            Failure::Page(AadError::unregistered_redirect_uri(
                raw_redirect,
                app.client_id,
            ))
        })?;

    let mut reply = Reply {
        redirect_uri,
        mode: ResponseMode::Query,
        state: params.get("state").map(str::to_owned),
    };
    let fail = |reply: &Reply, error: AadError| Failure::Redirect(Box::new(reply.clone()), error);
    reply.mode = ResponseMode::parse(params.get("response_mode")).map_err(|e| fail(&reply, e))?;
    match params.get("response_type") {
        Some("code") => {}
        Some(other) => return Err(fail(&reply, AadError::unsupported_response_type(other))),
        None => return Err(fail(&reply, AadError::missing_parameter("response_type"))),
    }
    let scope = requested_scope(params, v1).map_err(|e| fail(&reply, e))?;
    let resource = resource(tenant, &scope).map_err(|e| fail(&reply, e))?;
    let pkce = pkce_challenge(params).map_err(|e| fail(&reply, e))?;
    let user = match params.get("login_hint") {
        Some(hint) => tenant.user_by_upn(hint),
        None => tenant.default_user(),
    }
    .ok_or_else(|| {
        let error = AadError {
            error: "invalid_request",
            ..AadError::unknown_user(&tenant.domain)
        };
        fail(&reply, error)
    })?;

    let (tenant_id, client_id, user_id) = (tenant.id, app.client_id, user.object_id);
    if !tenant.has_consent(client_id, resource) {
        let consents_now = matches!(params.get("prompt"), Some("consent" | "admin_consent"));
        let missing = AadError::consent_required(client_id, &app.display_name, &resource.uri);
        let resource_uri = resource.uri.clone();
        if !consents_now {
            return Err(fail(&reply, missing));
        }
        store
            .directory
            .grant_consent(tenant_id, client_id, &resource_uri)
            .map_err(|_| fail(&reply, missing))?;
    }

    let expires_at = shared
        .clock
        .now()
        .checked_add(
            time::Duration::try_from(shared.lifetimes.authorization_code)
                .unwrap_or(time::Duration::MAX),
        )
        .unwrap_or(time::OffsetDateTime::now_utc());
    let code = store.grants.issue_code(AuthorizationCode {
        tenant_id,
        client_id,
        user_id,
        redirect_uri: raw_redirect.to_owned(),
        scope,
        pkce,
        nonce: params.get("nonce").map(str::to_owned),
        expires_at,
    });
    Ok((reply, code))
}

/// The scope of the request: `scope` on v2; `resource` (plus optional `scope`) on v1.
fn requested_scope(params: &Params, v1: bool) -> Result<ScopeRequest, AadError> {
    if !v1 {
        return parse_scope(params.require("scope")?);
    }
    let mut scope = ScopeRequest::for_resource(params.require("resource")?);
    if let Some(extra) = params.get("scope") {
        let extra = parse_scope(extra)?;
        scope.openid = extra.openid;
        scope.offline_access = extra.offline_access;
    }
    Ok(scope)
}

/// The PKCE challenge (RFC 7636): `S256` needs a 43-character challenge, `plain` 43 to 128.
fn pkce_challenge(params: &Params) -> Result<Option<PkceChallenge>, AadError> {
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method");
    let Some(challenge) = challenge else {
        return match method {
            Some(_) => Err(AadError::missing_parameter("code_challenge")),
            None => Ok(None),
        };
    };
    let well_formed = |len: std::ops::RangeInclusive<usize>| {
        len.contains(&challenge.len())
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    };
    match method.unwrap_or("plain") {
        "S256" if well_formed(43..=43) => Ok(Some(PkceChallenge::S256(challenge.to_owned()))),
        "plain" if well_formed(43..=128) => Ok(Some(PkceChallenge::Plain(challenge.to_owned()))),
        "S256" | "plain" => Err(AadError::bad_code_challenge()),
        other => Err(AadError::malformed(&format!(
            "Unsupported code_challenge_method '{other}'; use S256 or plain."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Params {
        Params::from_query(Some(query))
    }

    #[test]
    fn s256_challenge_must_be_43_chars() {
        let ok = format!(
            "code_challenge={}&code_challenge_method=S256",
            "a".repeat(43)
        );
        assert!(matches!(
            pkce_challenge(&params(&ok)),
            Ok(Some(PkceChallenge::S256(_)))
        ));
        let short = "code_challenge=abc&code_challenge_method=S256";
        assert_eq!(pkce_challenge(&params(short)).unwrap_err().code, 501491);
    }

    #[test]
    fn method_without_challenge_is_an_error() {
        assert!(pkce_challenge(&params("code_challenge_method=S256")).is_err());
        assert!(matches!(pkce_challenge(&params("")), Ok(None)));
    }
}

//! Minting access and ID tokens, and the v1/v2 token response bodies.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::client_auth::ClientAuth;
use super::error::{AadError, RequestMeta, add_trace_headers, no_store};
use crate::claims::Claims;
use crate::grants::random_token;
use crate::scope::ScopeRequest;
use crate::state::Shared;

/// Which token endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `/oauth2/token` with `resource=`.
    V1,
    /// `/oauth2/v2.0/token` with `scope=`.
    V2,
}

/// Who the token is about.
#[derive(Debug, Clone)]
pub(crate) enum Principal {
    /// A signed-in user.
    User {
        object_id: Uuid,
        upn: String,
        name: String,
        /// Whether MFA was performed (interactive sign-in).
        mfa: bool,
    },
    /// The app itself (client credentials).
    App {
        service_principal_id: Uuid,
        roles: Vec<String>,
    },
}

/// Everything needed to answer a successful token request.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub(crate) protocol: Protocol,
    pub(crate) tenant_id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) client_auth: ClientAuth,
    /// The resource URI as registered (the `aud`).
    pub(crate) resource: String,
    pub(crate) scope: ScopeRequest,
    pub(crate) principal: Principal,
    /// A refresh token already stored by the grant, to hand out.
    pub(crate) refresh_token: Option<String>,
    /// The `nonce` of the authorize request, echoed in the ID token.
    pub(crate) nonce: Option<String>,
}

/// Signs the tokens and builds the JSON response.
pub(crate) fn respond(
    shared: &Shared,
    issue: &Issue,
    meta: &RequestMeta,
) -> Result<Response, AadError> {
    let now = shared.clock.unix();
    let lifetime = i64::try_from(shared.lifetimes.access_token.as_secs()).unwrap_or(i64::MAX / 4);
    let exp = now.saturating_add(lifetime);
    let claims = access_token_claims(shared, issue, now, exp);
    let access_token = shared
        .signing
        .sign(&claims)
        .map_err(|e| AadError::token_issuance(&e.to_string()))?;

    let mut body = Map::new();
    body.insert("token_type".into(), json!("Bearer"));
    match issue.protocol {
        Protocol::V2 => {
            body.insert("scope".into(), json!(response_scope(issue)));
            body.insert("expires_in".into(), json!(lifetime));
            body.insert("ext_expires_in".into(), json!(lifetime));
        }
        Protocol::V1 => {
            body.insert("expires_in".into(), json!(lifetime.to_string()));
            body.insert("ext_expires_in".into(), json!(lifetime.to_string()));
            body.insert("expires_on".into(), json!(exp.to_string()));
            body.insert("not_before".into(), json!(now.to_string()));
            body.insert("resource".into(), json!(issue.resource));
            if let Some(scp) = &claims.scp {
                body.insert("scope".into(), json!(scp));
            }
        }
    }
    body.insert("access_token".into(), json!(access_token));
    if let Some(refresh_token) = &issue.refresh_token {
        body.insert("refresh_token".into(), json!(refresh_token));
    }
    if issue.protocol == Protocol::V2
        && issue.scope.openid
        && let Some(id_claims) = id_token_claims(shared, issue, now, exp)
    {
        let id_token = shared
            .signing
            .sign(&id_claims)
            .map_err(|e| AadError::token_issuance(&e.to_string()))?;
        body.insert("id_token".into(), json!(id_token));
    }

    let mut response = Json(Value::Object(body)).into_response();
    add_trace_headers(response.headers_mut(), meta);
    no_store(response.headers_mut());
    Ok(response)
}

/// The access token's claims.
fn access_token_claims(shared: &Shared, issue: &Issue, now: i64, exp: i64) -> Claims {
    let (iss, ver) = match issue.protocol {
        Protocol::V2 => (shared.issuer_v2(issue.tenant_id), "2.0"),
        Protocol::V1 => (shared.issuer_v1(issue.tenant_id), "1.0"),
    };
    let acr = issue.client_auth.acr().to_owned();
    let mut claims = Claims {
        aud: issue.resource.clone(),
        iss,
        iat: now,
        nbf: now,
        exp,
        tid: issue.tenant_id,
        appid: issue.client_id,
        azp: issue.client_id,
        appidacr: acr.clone(),
        azpacr: acr,
        oid: Uuid::nil(),
        sub: String::new(),
        ver: ver.to_owned(),
        idtyp: String::new(),
        scp: None,
        roles: None,
        upn: None,
        preferred_username: None,
        name: None,
        amr: None,
        uti: random_token(16),
    };
    match &issue.principal {
        Principal::User {
            object_id,
            upn,
            name,
            mfa,
        } => {
            claims.oid = *object_id;
            claims.sub = object_id.to_string();
            claims.idtyp = "user".to_owned();
            claims.scp = Some(issue.scope.delegated_permissions().join(" "));
            claims.upn = Some(upn.clone());
            claims.preferred_username = Some(upn.clone());
            claims.name = Some(name.clone());
            let mut amr = vec!["pwd".to_owned()];
            if *mfa {
                amr.push("mfa".to_owned());
            }
            claims.amr = Some(amr);
        }
        Principal::App {
            service_principal_id,
            roles,
        } => {
            claims.oid = *service_principal_id;
            claims.sub = service_principal_id.to_string();
            claims.idtyp = "app".to_owned();
            claims.roles = Some(roles.clone());
        }
    }
    claims
}

/// The ID token's claims (user flows with `openid` only).
fn id_token_claims(shared: &Shared, issue: &Issue, now: i64, exp: i64) -> Option<Value> {
    let Principal::User {
        object_id,
        upn,
        name,
        ..
    } = &issue.principal
    else {
        return None;
    };
    let mut claims = json!({
        "aud": issue.client_id,
        "iss": shared.issuer_v2(issue.tenant_id),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "sub": object_id,
        "oid": object_id,
        "tid": issue.tenant_id,
        "preferred_username": upn,
        "name": name,
        "ver": "2.0",
    });
    if let (Some(nonce), Some(map)) = (&issue.nonce, claims.as_object_mut()) {
        map.insert("nonce".into(), json!(nonce));
    }
    Some(claims)
}

/// The v2 `scope` of the response: resource-qualified permissions plus the OIDC scopes.
fn response_scope(issue: &Issue) -> String {
    let permissions = match issue.principal {
        Principal::User { .. } => issue.scope.delegated_permissions(),
        Principal::App { .. } => vec![".default".to_owned()],
    };
    permissions
        .iter()
        .map(|permission| format!("{}/{permission}", issue.resource))
        .chain(issue.scope.oidc_scopes().into_iter().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(" ")
}

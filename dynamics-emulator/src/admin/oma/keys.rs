//! Tenant protection keys (v1.2): list, the active key, import, generate (a PKCS#12 file) and
//! `SetTenantProtectionKey` (long-running).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::read_body;
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::body::{Fields, parse_object};
use crate::admin::model::key::{KeyState, TenantKey};
use crate::admin::model::operation_status::{ContextValue, ItemDescription, OperationStatus};
use crate::admin::model::requests::{GenerateKeyRequest, ImportKeyRequest};
use crate::admin::operations::{self, Work};
use crate::admin::reply;
use crate::certificate::TestCertificate;
use crate::state::Shared;

/// `GET Keys`: the tenant's keys.
pub(super) async fn list(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let store = shared.lock();
    let keys: Vec<Value> = store
        .admin
        .keys
        .iter()
        .filter(|k| k.tenant_id == caller.tenant_id)
        .map(TenantKey::render)
        .collect();
    reply::json(StatusCode::OK, Value::Array(keys))
}

/// `GET Keys/RetrieveTenantKey`: the active key, 404 when none is active.
pub(super) async fn retrieve_tenant_key(
    OmaCaller(caller): OmaCaller,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let store = shared.lock();
    store
        .admin
        .keys
        .iter()
        .find(|k| k.tenant_id == caller.tenant_id && k.state == KeyState::Active)
        .map_or_else(
            || reply::not_found("The tenant has no active protection key."),
            |key| reply::json(StatusCode::OK, key.render()),
        )
}

/// `POST Keys/Import`: stores the key as `Available`; 200 `OperationStatus`.
pub(super) async fn import(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let request = match read_body(api, &body, ImportKeyRequest::read) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let now = shared.clock.now();
    let mut store = shared.lock();
    let name = request.key_name.trim().to_owned();
    if store
        .admin
        .keys
        .iter()
        .any(|k| k.tenant_id == caller.tenant_id && k.name.eq_ignore_ascii_case(&name))
    {
        return reply::rejected(
            api,
            vec![ItemDescription::new(
                "ImportKey",
                "KeyAlreadyExists",
                format!("The tenant already has a key named {name}."),
            )],
        );
    }
    store.admin.keys.push(TenantKey {
        tenant_id: caller.tenant_id,
        name,
        state: KeyState::Available,
        created_on: now,
        locked_on: None,
    });
    let mut status = OperationStatus::succeeded();
    status.context.push((
        "importKeyState".to_owned(),
        ContextValue::Text("Ready".to_owned()),
    ));
    reply::operation(StatusCode::OK, &status, api)
}

/// `POST Keys/Generate`: a new self-signed RSA key as a password-protected PKCS#12 file, answered
/// as a base64 JSON string. Nothing is stored.
pub(super) async fn generate(_caller: OmaCaller, body: Bytes) -> Response {
    let request = match parse_object(&body)
        .map_err(|e| e.message())
        .and_then(|map| {
            GenerateKeyRequest::read(&Fields::new(&map)).map_err(|errors| {
                errors
                    .iter()
                    .map(|e| format!("{} {}.", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        }) {
        Ok(request) => request,
        Err(message) => return reply::bad_request(message),
    };
    let subject = request.subject_name.trim();
    let common_name = subject
        .strip_prefix("CN=")
        .or_else(|| subject.strip_prefix("cn="))
        .unwrap_or(subject)
        .to_owned();
    let password = request.key_password;
    let generated = tokio::task::spawn_blocking(move || {
        TestCertificate::generate(&common_name)
            .and_then(|certificate| certificate.to_pkcs12(&password))
    })
    .await;
    match generated {
        Ok(Ok(pkcs12)) => reply::json(StatusCode::OK, Value::from(STANDARD.encode(pkcs12))),
        Ok(Err(error)) => reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "KeyGenerationFailed",
            error.to_string(),
        ),
        Err(error) => reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "KeyGenerationFailed",
            format!("key generation did not finish: {error}"),
        ),
    }
}

/// `POST Keys/{keyName}/SetTenantProtectionKey`: starts making the key active; 400 for an
/// unknown key.
pub(super) async fn set_tenant_protection_key(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Response {
    let mut store = shared.lock();
    let Some(key_name) = store
        .admin
        .keys
        .iter()
        .find(|k| k.tenant_id == caller.tenant_id && k.name.eq_ignore_ascii_case(name.trim()))
        .map(|k| k.name.clone())
    else {
        return reply::rejected(
            api,
            vec![ItemDescription::new(
                "SetTenantProtectionKey",
                "KeyNotFound",
                format!("The tenant has no key named {name}."),
            )],
        );
    };
    let work = Work::SetTenantProtectionKey { key_name };
    let status = operations::start(&mut store, &shared.base_url, caller.tenant_id, api, work);
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}

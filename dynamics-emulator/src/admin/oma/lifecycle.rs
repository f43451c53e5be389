//! The long-running instance lifecycle calls: `POST Instances/{id}/Reset` (v1.2),
//! `POST Instances/{id}/Restore` and `DELETE Instances/{id}/Delete`. Only non-production
//! instances can be reset, deleted or restored into.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{instance_of, read_body, read_optional_body};
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::OmaCaller;
use crate::admin::model::backup::Backup;
use crate::admin::model::catalog;
use crate::admin::model::operation_status::{ItemDescription, OperationStatus};
use crate::admin::model::requests::{ResetRequest, RestoreRequest};
use crate::admin::operations::{self, Work};
use crate::admin::{query, reply};
use crate::environments::{Instance, is_valid_domain_name};
use crate::seed::InstanceState;
use crate::state::{Shared, Store};

/// The error for an instance whose type does not allow the call.
fn production_refused(
    subject: &str,
    code: &str,
    instance: &Instance,
    what: &str,
) -> ItemDescription {
    ItemDescription::new(
        subject,
        code,
        format!(
            "The instance {} is of type {:?}; only sandbox (non-production) instances can be {what}.",
            instance.id, instance.instance_type
        ),
    )
}

/// `POST Instances/{id}/Reset` (v1.2).
pub(super) async fn reset(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut store = shared.lock();
    let instance = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance,
        Err(rejection) => return rejection.into_response(),
    };
    let request = match read_optional_body(api, &body, ResetRequest::read) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let (instance_id, version) = match check_reset(&store, instance, &request) {
        Ok(version) => (instance.id, version),
        Err(errors) => return reply::rejected(api, errors),
    };
    let work = Work::Reset {
        instance_id,
        request,
        version,
    };
    let status = operations::start(&mut store, &shared.base_url, caller.tenant_id, api, work);
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}

/// Checks a reset; yields the version to reset to (from `TargetRelease`).
fn check_reset(
    store: &Store,
    instance: &Instance,
    request: &ResetRequest,
) -> Result<Option<String>, Vec<ItemDescription>> {
    let mut errors = Vec::new();
    if !instance.is_sandbox_like() {
        errors.push(production_refused(
            "ResetInstance",
            "ResetNotSupported",
            instance,
            "reset",
        ));
    }
    if let Some(domain) = &request.domain_name {
        let domain = domain.trim().to_ascii_lowercase();
        if !is_valid_domain_name(&domain) {
            errors.push(ItemDescription::new(
                "DomainName",
                "InvalidDomainName",
                format!("The domain name {domain} is not valid."),
            ));
        } else if store.environments.domain_in_use(&domain, Some(instance.id)) {
            errors.push(ItemDescription::new(
                "DomainName",
                "DomainNameInUse",
                format!("The domain name {domain} is already in use."),
            ));
        }
    }
    if let Some(language) = request.base_language_code
        && !catalog::language_known(language)
    {
        errors.push(ItemDescription::new(
            "BaseLanguageCode",
            "InvalidBaseLanguage",
            format!("{language} is not an available language."),
        ));
    }
    if let Some(code) = &request.currency_code
        && !catalog::currency_known(code)
    {
        errors.push(ItemDescription::new(
            "Currency",
            "InvalidCurrency",
            format!("{code} is not an available currency."),
        ));
    }
    let version = match &request.target_release {
        None => None,
        Some(release) => {
            let found = catalog::SERVICE_VERSIONS.iter().find(|v| {
                v.name.eq_ignore_ascii_case(release.trim())
                    || v.version == release.trim()
                    || v.id.to_string().eq_ignore_ascii_case(release.trim())
            });
            if found.is_none() {
                errors.push(ItemDescription::new(
                    "TargetRelease",
                    "InvalidTargetRelease",
                    format!("{release} is not an available release (see GET ServiceVersions)."),
                ));
            }
            found.map(|v| v.build.to_owned())
        }
    };
    if errors.is_empty() {
        Ok(version)
    } else {
        Err(errors)
    }
}

/// `POST Instances/{targetId}/Restore`.
pub(super) async fn restore(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut store = shared.lock();
    let target = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance,
        Err(rejection) => return rejection.into_response(),
    };
    let request = match read_body(api, &body, RestoreRequest::read) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let target_id = target.id;
    let backup = match find_restore_point(&store, target, caller.tenant_id, &request) {
        Ok(backup) => backup,
        Err(errors) => return reply::rejected(api, errors),
    };
    let work = Work::Restore { target_id, backup };
    let status = operations::start(&mut store, &shared.base_url, caller.tenant_id, api, work);
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}

/// The backup of the source instance to restore: by `InstanceBackupId`, else by `Label`, else
/// the latest one created at or before `CreatedOn`, else the latest one.
fn find_restore_point(
    store: &Store,
    target: &Instance,
    tenant_id: uuid::Uuid,
    request: &RestoreRequest,
) -> Result<Backup, Vec<ItemDescription>> {
    let mut errors = Vec::new();
    if !target.is_sandbox_like() {
        errors.push(production_refused(
            "RestoreInstance",
            "RestoreTargetNotSupported",
            target,
            "restored into",
        ));
    }
    if store
        .environments
        .in_tenant(tenant_id, request.source_instance_id)
        .is_none()
    {
        errors.push(ItemDescription::new(
            "SourceInstanceId",
            "SourceInstanceNotFound",
            format!(
                "The source instance {} was not found in the tenant.",
                request.source_instance_id
            ),
        ));
        return Err(errors);
    }
    let mut backups = store
        .admin
        .backups
        .iter()
        .filter(|b| b.tenant_id == tenant_id && b.instance_id == request.source_instance_id);
    let found = if let Some(id) = request.instance_backup_id {
        backups.rfind(|b| b.id == id)
    } else if let Some(label) = &request.label {
        backups.rfind(|b| b.label.eq_ignore_ascii_case(label))
    } else if let Some(created_on) = request.created_on {
        backups
            .filter(|b| b.created_on <= created_on)
            .max_by_key(|b| b.created_on)
    } else {
        backups.max_by_key(|b| b.created_on)
    };
    match found {
        Some(backup) if errors.is_empty() => Ok(backup.clone()),
        Some(_) => Err(errors),
        None => {
            errors.push(ItemDescription::new(
                "InstanceBackupId",
                "BackupNotFound",
                format!(
                    "No matching backup of instance {} was found.",
                    request.source_instance_id
                ),
            ));
            Err(errors)
        }
    }
}

/// `DELETE Instances/{id}/Delete[?validate=true]`.
pub(super) async fn delete(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let mut store = shared.lock();
    let instance = match instance_of(&store, &caller, &id) {
        Ok(instance) => instance,
        Err(rejection) => return rejection.into_response(),
    };
    let instance_id = instance.id;
    if !instance.is_sandbox_like() {
        let error = production_refused("DeleteInstance", "DeleteNotSupported", instance, "deleted");
        return reply::rejected(api, vec![error]);
    }
    if query::validate_only(raw_query.as_deref()) {
        let status = OperationStatus::succeeded()
            .with_instance_state(InstanceState::Ready)
            .with_instance(instance_id);
        return reply::operation(StatusCode::OK, &status, api);
    }
    let work = Work::Delete { instance_id };
    let status = operations::start(&mut store, &shared.base_url, caller.tenant_id, api, work);
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}

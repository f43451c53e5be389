//! `PUT Instances/Provision`: validates a `NewInstance` and starts a provisioning operation (or
//! only validates, with `validate=true`).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use uuid::Uuid;

use super::read_body;
use crate::admin::api_version::ApiVersion;
use crate::admin::auth::{Caller, OmaCaller};
use crate::admin::model::catalog;
use crate::admin::model::operation_status::{ItemDescription, OperationStatus};
use crate::admin::model::requests::NewInstanceRequest;
use crate::admin::operations::{self, Work};
use crate::admin::{query, reply};
use crate::environments::{Instance, is_valid_domain_name};
use crate::seed::{InstanceSeed, InstanceState};
use crate::state::{Shared, Store};

/// `PUT Instances/Provision[?validate=true]`.
pub(super) async fn provision(
    OmaCaller(caller): OmaCaller,
    Extension(api): Extension<ApiVersion>,
    State(shared): State<Arc<Shared>>,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    let request = match read_body(api, &body, |f| NewInstanceRequest::read(f, api)) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let now = shared.clock.now();
    let mut store = shared.lock();
    let instance = match plan(&store, &caller, api, &request, now) {
        Ok(instance) => instance,
        Err(errors) => {
            let status = OperationStatus::failed_to_create(errors)
                .with_instance_state(InstanceState::FailedProvisioning);
            return reply::operation(StatusCode::BAD_REQUEST, &status, api);
        }
    };
    if query::validate_only(raw_query.as_deref()) {
        let status = OperationStatus::succeeded()
            .with_instance_state(InstanceState::Pending)
            .with_instance(instance.id);
        return reply::operation(StatusCode::OK, &status, api);
    }
    let status = operations::start(
        &mut store,
        &shared.base_url,
        caller.tenant_id,
        api,
        Work::Provision(Box::new(instance)),
    );
    reply::accepted(&status, api, store.admin.script.retry_after_secs)
}

/// Checks the request against the catalogues, capacity, domains in use and the directory, and
/// builds the instance to create.
fn plan(
    store: &Store,
    caller: &Caller,
    api: ApiVersion,
    request: &NewInstanceRequest,
    now: OffsetDateTime,
) -> Result<Instance, Vec<ItemDescription>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, code: &str, description: String| {
        errors.push(ItemDescription::new(field, code, description));
    };
    let version = catalog::service_version(request.service_version_id);
    if version.is_none() {
        fail(
            "ServiceVersionId",
            "InvalidServiceVersion",
            format!(
                "{} is not an available service version (see GET ServiceVersions).",
                request.service_version_id
            ),
        );
    }
    let instance_type = request.instance_type;
    match catalog::capacity(instance_type).filter(|_| catalog::type_in_version(instance_type, api))
    {
        None => fail(
            "Type",
            "InvalidInstanceType",
            format!("Instances of type {instance_type:?} cannot be provisioned."),
        ),
        Some(total) => {
            let consumed = store
                .environments
                .of_tenant(caller.tenant_id)
                .filter(|i| i.instance_type == instance_type)
                .count()
                + operations::pending_provisions(store)
                    .filter(|i| i.tenant_id == caller.tenant_id && i.instance_type == instance_type)
                    .count();
            if consumed >= usize::try_from(total).unwrap_or(usize::MAX) {
                fail(
                    "Type",
                    "InsufficientCapacity",
                    format!(
                        "The tenant has no {instance_type:?} capacity left ({consumed} of {total} \
                         used; see GET InstanceTypeInfo)."
                    ),
                );
            }
        }
    }
    let domain = request.domain_name.trim().to_ascii_lowercase();
    if !is_valid_domain_name(&domain) {
        fail(
            "DomainName",
            "InvalidDomainName",
            format!(
                "The domain name {domain} must be 1-63 lower-case letters, digits or hyphens, \
                 starting with a letter."
            ),
        );
    } else if store.environments.domain_in_use(&domain, None)
        || operations::pending_provisions(store).any(|i| i.domain_name == domain)
    {
        fail(
            "DomainName",
            "DomainNameInUse",
            format!("The domain name {domain} is already in use."),
        );
    }
    let initial_user = store
        .directory
        .tenant(caller.tenant_id)
        .and_then(|tenant| tenant.user_by_upn(&request.initial_user_email));
    if initial_user.is_none() {
        fail(
            "InitialUserEmail",
            "InitialUserNotFound",
            format!(
                "No user {} exists in the tenant's directory.",
                request.initial_user_email
            ),
        );
    }
    if let Some(language) = request.base_language
        && !catalog::language_known(language)
    {
        fail(
            "BaseLanguage",
            "InvalidBaseLanguage",
            format!("{language} is not an available language (see GET Languages)."),
        );
    }
    if let Some(code) = &request.currency_code
        && !catalog::currency_known(code)
    {
        fail(
            "Currency",
            "InvalidCurrency",
            format!("{code} is not an available currency (see GET Currencies)."),
        );
    }
    for template in &request.templates {
        if !catalog::template_known(template) {
            fail(
                "Templates",
                "InvalidTemplate",
                format!("{template} is not an available template (see GET Templates)."),
            );
        }
    }
    let (Some(version), Some(user), true) = (version, initial_user, errors.is_empty()) else {
        return Err(errors);
    };
    let seed = InstanceSeed {
        friendly_name: request.friendly_name.trim().to_owned(),
        version: version.build.to_owned(),
        instance_type,
        base_language: request
            .base_language
            .and_then(|l| i32::try_from(l).ok())
            .unwrap_or(1033),
        purpose: request.purpose.clone(),
        security_group_id: request.security_group_id,
        initial_user_email: Some(request.initial_user_email.trim().to_owned()),
        users: vec![user.object_id],
        ..InstanceSeed::new(Uuid::new_v4(), domain)
    };
    let mut instance = Instance::from_seed(caller.tenant_id, seed, now);
    instance.initial_user_principal_name = Some(user.upn.clone());
    instance.additional_properties = request.additional_properties.clone();
    Ok(instance)
}

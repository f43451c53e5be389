//! The Online Management API client: construction (with resource discovery) and the one
//! place its requests are sent and its answers read.

use std::fmt;
use std::sync::Arc;

use dynamics_auth::{TokenCredential, scopes};
use dynamics_http::{
    BearerAuth, HttpError, HttpRequest, HttpResponse, Pipeline, PipelineOptions, status_error,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::discovery::{self, Discovery};
use crate::error::oma_hint;
use crate::{AdminError, ApiVersion, OperationPoller, OperationStatus, Requests, ServiceEndpoint};

/// Options of an [`OnlineManagementClient`]. Construct with `..Default::default()`.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// The API version (default v1.2).
    pub api_version: ApiVersion,
    /// The resource (token audience) to sign in for. When set, no discovery request is made;
    /// a trailing `/.default` is accepted.
    pub resource: Option<String>,
    /// Retries, timeouts, user agent and clock.
    pub pipeline: PipelineOptions,
    /// `Accept-Language` for every request, such as `en-US`.
    pub accept_language: Option<String>,
    /// The Entra ID authority host the caller signs in at, when it is not the cloud's (the
    /// emulator, a test server). Discovery then takes only the tenant from the service's
    /// challenge; without it, the challenge's `authorization_uri` must be on a Microsoft
    /// Entra ID sign-in host (or, for a loopback service, on the service's own origin).
    pub authority_host: Option<String>,
}

/// A client of the Online Management API (`admin.services.crm*.dynamics.com`, deprecated
/// by Microsoft in favour of the Power Platform admin API, see
/// [`PowerPlatformAdminClient`](crate::PowerPlatformAdminClient)).
///
/// Cheap to clone: clones share the connection pool and the token cache. Tokens are sent
/// only to the service URL's origin.
#[derive(Clone)]
pub struct OnlineManagementClient {
    inner: Arc<Inner>,
}

struct Inner {
    requests: Requests,
    resource: String,
    pipeline: Pipeline,
}

impl OnlineManagementClient {
    /// A client for `endpoint`, signing in with `credential` for the resource the service's
    /// challenge names (`GET {service}/api/aad/challenge`), unless `options.resource` is set.
    ///
    /// When the challenge cannot be had or names no resource, the service URL's origin is
    /// used as the resource (logged as a warning). A challenge naming a resource or sign-in
    /// host that is not trusted for this service is [`AdminError::UntrustedChallenge`] (see
    /// [`discover`](Self::discover)); nothing is signed in for.
    pub async fn connect(
        endpoint: ServiceEndpoint,
        credential: Arc<dyn TokenCredential>,
        options: ClientOptions,
    ) -> Result<Self, AdminError> {
        if let Some(resource) = options.resource.clone() {
            return Self::with_resource(endpoint, credential, &resource, options);
        }
        let discovered = match Self::discover(&endpoint, &options).await {
            Ok(d) => d.resource,
            // A hostile or mistyped service: never fall back to signing in for it.
            Err(e @ AdminError::UntrustedChallenge { .. }) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "the Online Management API challenge failed");
                None
            }
        };
        if let Some(resource) = discovered {
            tracing::debug!(%resource, "resource discovered from the challenge");
            return Self::with_resource(endpoint, credential, &resource, options);
        }
        let service_url = endpoint.url();
        let scope = scopes::online_management_api(service_url.as_str()).map_err(|e| {
            AdminError::invalid(
                format!(
                    "service URL `{}`",
                    dynamics_auth::secure_url::redact_url(&service_url)
                ),
                e.to_string(),
            )
        })?;
        let resource = scopes::resource_of(&scope)
            .unwrap_or(service_url.as_str())
            .to_string();
        tracing::warn!(
            %resource,
            "the challenge named no resource; signing in for the service URL itself"
        );
        Self::build(endpoint, credential, resource, scope, options)
    }

    /// A client signing in for `resource` (a URI such as
    /// `https://admin.services.crm.dynamics.com`, or an application id GUID; a trailing
    /// `/.default` is accepted). Sends nothing.
    pub fn with_resource(
        endpoint: ServiceEndpoint,
        credential: Arc<dyn TokenCredential>,
        resource: &str,
        options: ClientOptions,
    ) -> Result<Self, AdminError> {
        let resource = normalize_resource(resource)?;
        let scope = scopes::default_scope_for(&resource);
        Self::build(endpoint, credential, resource, scope, options)
    }

    /// Asks the service's challenge endpoint which resource and authority to sign in at.
    /// Fails when the service cannot be reached, and with
    /// [`AdminError::UntrustedChallenge`] when the challenge names a resource other than the
    /// service's own origin or a documented admin resource of its cloud, or a sign-in host
    /// other than the cloud's Entra ID hosts (unless `options.authority_host` is set). An
    /// answer without a usable challenge gives an empty [`Discovery`].
    pub async fn discover(
        endpoint: &ServiceEndpoint,
        options: &ClientOptions,
    ) -> Result<Discovery, AdminError> {
        discovery::discover(
            endpoint,
            options.pipeline.clone(),
            options.authority_host.as_deref(),
        )
        .await
    }

    fn build(
        endpoint: ServiceEndpoint,
        credential: Arc<dyn TokenCredential>,
        resource: String,
        scope: String,
        options: ClientOptions,
    ) -> Result<Self, AdminError> {
        let service_url = endpoint.url();
        let mut requests = Requests::new(&service_url, options.api_version)?;
        if let Some(language) = &options.accept_language {
            requests = requests.with_accept_language(language)?;
        }
        let auth = BearerAuth::new(credential, vec![scope], &service_url).map_err(|e| {
            AdminError::invalid(
                format!(
                    "service URL `{}`",
                    dynamics_auth::secure_url::redact_url(&service_url)
                ),
                e.to_string(),
            )
        })?;
        let pipeline = Pipeline::new(Some(auth), options.pipeline)?;
        Ok(OnlineManagementClient {
            inner: Arc::new(Inner {
                requests,
                resource,
                pipeline,
            }),
        })
    }

    /// The service URL (ending with `/`).
    pub fn service_url(&self) -> &Url {
        self.inner.requests.base()
    }

    /// The API version.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.requests.version()
    }

    /// The resource tokens are asked for.
    pub fn resource(&self) -> &str {
        &self.inner.resource
    }

    /// The IO-free request builder this client sends through.
    pub fn requests(&self) -> &Requests {
        &self.inner.requests
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }

    /// Sends a request; an error answer becomes [`AdminError::OperationFailed`] (a 400 or 409
    /// carrying an `OperationStatus`) or [`AdminError::Http`] with a hint.
    pub(crate) async fn send(
        &self,
        request: HttpRequest,
        not_found: Option<String>,
    ) -> Result<HttpResponse, AdminError> {
        let response = self.inner.pipeline.send_any_status(request).await?;
        if response.status() < 400 {
            return Ok(response);
        }
        Err(error_answer(&response, not_found.as_deref()))
    }

    /// Sends and reads a JSON answer.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        request: HttpRequest,
        operation: &'static str,
        not_found: Option<String>,
    ) -> Result<T, AdminError> {
        let response = self.send(request, not_found).await?;
        decode(&response, operation)
    }

    /// Sends and reads a JSON list (a bare array, an OData `{"value": [...]}`, or nothing).
    pub(crate) async fn get_list<T: DeserializeOwned>(
        &self,
        request: HttpRequest,
        operation: &'static str,
        not_found: Option<String>,
    ) -> Result<Vec<T>, AdminError> {
        let response = self.send(request, not_found).await?;
        decode_list(&response, operation)
    }

    /// Sends a call that answers with an `OperationStatus` and no operation to wait for
    /// (validation, admin mode, configuration, key import).
    pub(crate) async fn send_sync(
        &self,
        request: HttpRequest,
        operation: &'static str,
        not_found: Option<String>,
    ) -> Result<OperationStatus, AdminError> {
        let status: OperationStatus = self.get_json(request, operation, not_found).await?;
        if status.status.is_failure() {
            return Err(AdminError::OperationFailed {
                status: Box::new(status),
            });
        }
        Ok(status)
    }

    /// Sends a call that starts a long-running operation.
    pub(crate) async fn start(
        &self,
        request: HttpRequest,
        operation: &'static str,
        not_found: Option<String>,
    ) -> Result<OperationPoller, AdminError> {
        let response = self.send(request, not_found).await?;
        OperationPoller::from_response(self.clone(), &response, operation)
    }
}

impl fmt::Debug for OnlineManagementClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnlineManagementClient")
            .field("service_url", &self.service_url().as_str())
            .field("api_version", &self.api_version())
            .field("resource", &self.inner.resource)
            .finish_non_exhaustive()
    }
}

/// The error of an answer of 400 or more.
pub(crate) fn error_answer(response: &HttpResponse, not_found: Option<&str>) -> AdminError {
    if matches!(response.status(), 400 | 409)
        && let Ok(status) = serde_json::from_slice::<OperationStatus>(response.body())
        && (!status.errors.is_empty() || status.status.is_failure())
    {
        return AdminError::OperationFailed {
            status: Box::new(status),
        };
    }
    AdminError::Http(oma_hint(status_error(response), not_found))
}

pub(crate) fn decode<T: DeserializeOwned>(
    response: &HttpResponse,
    operation: &'static str,
) -> Result<T, AdminError> {
    response
        .json::<T>()
        .map_err(|source| AdminError::Decode { operation, source })
}

pub(crate) fn decode_list<T: DeserializeOwned>(
    response: &HttpResponse,
    operation: &'static str,
) -> Result<Vec<T>, AdminError> {
    let body = response.body();
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() || trimmed == b"null" {
        return Ok(Vec::new());
    }
    #[derive(Deserialize)]
    struct Wrapped<T> {
        #[serde(alias = "Value")]
        value: Vec<T>,
    }
    match response.json::<Vec<T>>() {
        Ok(items) => Ok(items),
        Err(first) => match response.json::<Wrapped<T>>() {
            Ok(w) => Ok(w.value),
            Err(_) => Err(AdminError::Decode {
                operation,
                source: first,
            }),
        },
    }
}

/// A decode error for an answer that parsed but does not say what it must.
pub(crate) fn shape_error(
    response: &HttpResponse,
    operation: &'static str,
    message: impl Into<String>,
) -> AdminError {
    AdminError::Decode {
        operation,
        source: HttpError::Decode {
            method: response.method(),
            url: dynamics_http::redacted_url(response.url()),
            status: response.status(),
            message: message.into(),
        },
    }
}

fn normalize_resource(resource: &str) -> Result<String, AdminError> {
    let r = resource.trim();
    let r = r
        .strip_suffix("/.default")
        .unwrap_or(r)
        .trim_end_matches('/');
    let usable = if r.contains("://") {
        Url::parse(r)
            .is_ok_and(|u| u.host().is_some() && !dynamics_auth::secure_url::has_user_info(&u))
    } else {
        uuid::Uuid::parse_str(r).is_ok()
    };
    if r.is_empty() || !usable || r.chars().any(char::is_whitespace) {
        return Err(AdminError::invalid(
            format!("resource `{}`", dynamics_auth::secure_url::redact(resource)),
            "give the resource URI the service's challenge names (such as https://admin.services.crm.dynamics.com) or an application id GUID, or leave it unset to discover it",
        ));
    }
    Ok(r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_normalized_and_checked() {
        assert_eq!(
            normalize_resource("https://admin.services.crm.dynamics.com/.default").expect("ok"),
            "https://admin.services.crm.dynamics.com"
        );
        assert_eq!(
            normalize_resource("00000007-0000-0000-c000-000000000000").expect("guid"),
            "00000007-0000-0000-c000-000000000000"
        );
        for bad in ["", "  ", "not a resource", "https://"] {
            assert!(normalize_resource(bad).is_err(), "{bad}");
        }
        let err = normalize_resource("https://alice:hunter2@admin.services.crm.dynamics.com")
            .expect_err("user info");
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("alice"),
            "{text}"
        );
    }
}

//! The Power Platform admin API client.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use dynamics_auth::TokenCredential;
use dynamics_http::{
    BearerAuth, HttpError, HttpRequest, HttpResponse, Pipeline, PipelineOptions, status_error,
};
use serde_json::Value;
use url::Url;
use uuid::Uuid;

use super::{AdminApplication, BapEndpoint, BapRequests, Environment, EnvironmentName};
use crate::AdminError;
use crate::client::{decode, shape_error};
use crate::error::throttled_hint;

/// Options of a [`PowerPlatformAdminClient`]. Construct with `..Default::default()`.
#[derive(Clone, Debug)]
pub struct BapOptions {
    /// Retries, timeouts, user agent and clock.
    pub pipeline: PipelineOptions,
    /// `api-version` of `addUser` (default `2023-06-01`, what Microsoft's Terraform
    /// provider sends; the PowerShell cmdlet's default is `2019-05-01`).
    pub add_user_api_version: String,
    /// `api-version` of `adminApplications` (default `2020-10-01`, as documented).
    pub admin_applications_api_version: String,
    /// `api-version` of environment reads (default `2023-06-01`).
    pub environments_api_version: String,
}

impl Default for BapOptions {
    fn default() -> Self {
        BapOptions {
            pipeline: PipelineOptions::default(),
            add_user_api_version: "2023-06-01".into(),
            admin_applications_api_version: "2020-10-01".into(),
            environments_api_version: "2023-06-01".into(),
        }
    }
}

/// A client of the Power Platform admin API (BAP), which serves every region, including
/// those the Online Management API never had a host for.
///
/// Cheap to clone: clones share the connection pool and the token cache. Tokens are sent
/// only to the endpoint's origin.
#[derive(Clone)]
pub struct PowerPlatformAdminClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: BapEndpoint,
    requests: BapRequests,
    pipeline: Pipeline,
}

/// Most pages a list follows before stopping (a guard against a service looping).
const MAX_PAGES: usize = 1000;

impl PowerPlatformAdminClient {
    /// A client for `endpoint`, signing in with `credential` for the endpoint's scope.
    /// Sends nothing.
    pub fn new(
        endpoint: BapEndpoint,
        credential: Arc<dyn TokenCredential>,
        options: BapOptions,
    ) -> Result<Self, AdminError> {
        let base = endpoint.base_url()?;
        let scope = endpoint.scope();
        if scope.trim().is_empty() || scope.chars().any(char::is_whitespace) {
            return Err(AdminError::invalid(
                format!("BAP scope `{scope}`"),
                "give one scope such as https://service.powerapps.com/.default",
            ));
        }
        let requests = BapRequests::new(base.clone(), &options)?;
        let auth = BearerAuth::new(credential, vec![scope], &base).map_err(|e| {
            AdminError::invalid(
                format!("BAP URL `{}`", dynamics_auth::secure_url::redact_url(&base)),
                e.to_string(),
            )
        })?;
        let pipeline = Pipeline::new(Some(auth), options.pipeline)?;
        Ok(PowerPlatformAdminClient {
            inner: Arc::new(Inner {
                endpoint,
                requests,
                pipeline,
            }),
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &BapEndpoint {
        &self.inner.endpoint
    }

    /// The base URL (ending with `/`).
    pub fn base_url(&self) -> &Url {
        self.inner.requests.base()
    }

    /// The IO-free request builder this client sends through.
    pub fn requests(&self) -> &BapRequests {
        &self.inner.requests
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }

    /// Force-syncs a user (Entra object id) into the environment's Dataverse
    /// (`addUser`). A user whose license has not reached the environment yet gives an error
    /// for which [`AdminError::is_user_not_licensed`] is `true`: try again later.
    ///
    /// `environment` is a [`Uuid`] or an [`EnvironmentName`] (`Default-<tenant id>` for the
    /// default environment).
    pub async fn add_user(
        &self,
        environment: impl Into<EnvironmentName>,
        user_object_id: Uuid,
    ) -> Result<(), AdminError> {
        let environment_id = environment.into();
        let request = self.requests().add_user(&environment_id, user_object_id)?;
        self.send(
            request,
            Some(format!(
                "no environment {environment_id}, or it has no Dataverse"
            )),
        )
        .await
        .map(drop)
    }

    /// Registers an application as a management application (must be done by an admin
    /// user; a service principal cannot register itself). Registering twice is harmless.
    pub async fn register_admin_application(
        &self,
        client_id: Uuid,
    ) -> Result<AdminApplication, AdminError> {
        let request = self.requests().register_admin_application(client_id)?;
        let response = self.send(request, None).await?;
        read_application(&response, client_id, "registerAdminApplication")
    }

    /// One management application.
    pub async fn get_admin_application(
        &self,
        client_id: Uuid,
    ) -> Result<AdminApplication, AdminError> {
        let request = self.requests().get_admin_application(client_id)?;
        let response = self
            .send(
                request,
                Some(format!(
                    "application {client_id} is not registered as a management application"
                )),
            )
            .await?;
        read_application(&response, client_id, "getAdminApplication")
    }

    /// Every management application (following `nextLink`s).
    pub async fn list_admin_applications(&self) -> Result<Vec<AdminApplication>, AdminError> {
        let mut request = self.requests().list_admin_applications()?;
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            seen.insert(request.url().to_string());
            let response = self.send(request, None).await?;
            let page: Value = if response.body().trim_ascii().is_empty() {
                Value::Null
            } else {
                decode(&response, "listAdminApplications")?
            };
            let (items, next) = match page {
                Value::Null => (Vec::new(), None),
                Value::Array(items) => (items, None),
                Value::Object(mut map) => {
                    let next = ["nextLink", "@odata.nextLink"]
                        .iter()
                        .find_map(|k| map.get(*k).and_then(Value::as_str).map(str::to_string));
                    match map.remove("value") {
                        Some(Value::Array(items)) => (items, next),
                        _ => {
                            return Err(shape_error(
                                &response,
                                "listAdminApplications",
                                "expected a list under `value`",
                            ));
                        }
                    }
                }
                _ => {
                    return Err(shape_error(
                        &response,
                        "listAdminApplications",
                        "expected a list",
                    ));
                }
            };
            for item in items {
                let app = serde_json::from_value::<AdminApplication>(item).map_err(|_| {
                    shape_error(
                        &response,
                        "listAdminApplications",
                        "an entry has no applicationId GUID",
                    )
                })?;
                all.push(app);
            }
            let Some(next) = next else {
                return Ok(all);
            };
            let url = response.url().join(&next).map_err(|_| {
                shape_error(
                    &response,
                    "listAdminApplications",
                    "the nextLink is not a URL",
                )
            })?;
            if !seen.insert(url.to_string()) {
                tracing::warn!("the admin application list repeated a nextLink; stopping");
                return Ok(all);
            }
            request = HttpRequest::get(url).header("Accept", "application/json");
        }
        tracing::warn!(
            pages = MAX_PAGES,
            "the admin application list did not end; stopping"
        );
        Ok(all)
    }

    /// Removes a management application registration.
    pub async fn remove_admin_application(&self, client_id: Uuid) -> Result<(), AdminError> {
        let request = self.requests().remove_admin_application(client_id)?;
        self.send(
            request,
            Some(format!(
                "application {client_id} is not registered as a management application"
            )),
        )
        .await
        .map(drop)
    }

    /// An environment, with its Dataverse organization if it has one. `environment` is a
    /// [`Uuid`] or an [`EnvironmentName`] (`Default-<tenant id>` for the default environment).
    pub async fn get_environment(
        &self,
        environment: impl Into<EnvironmentName>,
    ) -> Result<Environment, AdminError> {
        let environment_id = environment.into();
        let request = self.requests().get_environment(&environment_id)?;
        let response = self
            .send(request, Some(format!("no environment {environment_id}")))
            .await?;
        decode(&response, "getEnvironment")
    }

    async fn send(
        &self,
        request: HttpRequest,
        not_found: Option<String>,
    ) -> Result<HttpResponse, AdminError> {
        let response = self.inner.pipeline.send_any_status(request).await?;
        if response.status() < 400 {
            return Ok(response);
        }
        Err(AdminError::Http(bap_hint(
            status_error(&response),
            not_found.as_deref(),
        )))
    }
}

impl fmt::Debug for PowerPlatformAdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PowerPlatformAdminClient")
            .field("base_url", &self.base_url().as_str())
            .field("scope", &self.inner.endpoint.scope())
            .finish_non_exhaustive()
    }
}

fn read_application(
    response: &HttpResponse,
    client_id: Uuid,
    operation: &'static str,
) -> Result<AdminApplication, AdminError> {
    if response.body().trim_ascii().is_empty() {
        return Ok(AdminApplication {
            application_id: client_id,
            extra: Default::default(),
        });
    }
    decode(response, operation)
}

/// Attaches the Power Platform admin API's hints to an error answer.
fn bap_hint(error: HttpError, not_found: Option<&str>) -> HttpError {
    let licensed = AdminError::Http(error.clone()).is_user_not_licensed();
    let hint = if licensed {
        Some(
            "the user has no license for this environment yet, or the license assignment has not propagated (it can take several minutes): check the license, then try again later"
                .to_string(),
        )
    } else {
        match error.status() {
            Some(401) => Some(
                "the token was not accepted: check the cloud and that you signed in to the right tenant for the Power Platform admin API scope"
                    .to_string(),
            ),
            Some(403) => Some(
                "the caller needs the Power Platform administrator (or Global administrator) role; a service principal must first be registered as a management application by an admin user"
                    .to_string(),
            ),
            Some(404) => Some(
                not_found
                    .map(str::to_string)
                    .unwrap_or_else(|| "not found: check the id".to_string()),
            ),
            Some(429) => Some(throttled_hint(&error)),
            _ => None,
        }
    };
    match hint {
        Some(h) => error.with_hint(h),
        None => error,
    }
}

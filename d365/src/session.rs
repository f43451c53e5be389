//! Connecting to the admin API chosen with `--backend`: the service endpoint from
//! `ServiceURL`, the credential from `signin`, and the client.

use std::sync::Arc;

use dynamics_auth::{Cloud, TokenCredential};
use dynamics_http::PipelineOptions;
use online_mgmt_api::{
    AdminApi, AdminBackend, BapEndpoint, BapOptions, ClientOptions, OnlineManagementClient,
    PowerPlatformAdminClient, Region, ServiceEndpoint,
};
use url::Url;

use crate::config::{Backend, Key, Settings};
use crate::exit::{self, Context, Failure};

/// A connected admin API.
pub(crate) struct Session {
    /// The backend in use.
    pub(crate) backend: Backend,
    /// Application registration and force sync, on either backend.
    pub(crate) admin: AdminApi,
    /// The Online Management API client (instances, operations), with `--backend oma`.
    pub(crate) oma: Option<OnlineManagementClient>,
    /// What errors should mention.
    pub(crate) ctx: Context,
}

impl Session {
    /// The Online Management API client, or a usage error naming the command that needs it.
    pub(crate) fn oma(&self, command: &str) -> Result<&OnlineManagementClient, Failure> {
        self.oma.as_ref().ok_or_else(|| {
            Failure::usage(format!(
                "`{command}` uses the Online Management API, not the Power Platform admin API"
            ))
            .with_fix("drop --backend bap (or D365_BACKEND / Backend in the config file)")
        })
    }
}

/// The Online Management API endpoint from `ServiceURL` (required).
pub(crate) fn oma_endpoint(settings: &Settings) -> Result<ServiceEndpoint, Failure> {
    let Some(raw) = settings.get(Key::ServiceUrl) else {
        return Err(Failure::usage(format!(
            "ServiceURL is not set: it names the region of your Dynamics 365 instance ({})",
            region_names()
        ))
        .with_fix(format!("set {}", Key::ServiceUrl.how_to_set())));
    };
    ServiceEndpoint::parse(&raw.value).map_err(|e| {
        let failure = Failure::usage(format!(
            "{} is `{}`, which is neither a region nor an admin service URL",
            raw.source.describe(Key::ServiceUrl),
            raw.value
        ));
        match e {
            online_mgmt_api::AdminError::InvalidInput { fix, .. } => failure.with_fix(fix),
            other => failure.with_fix(other.to_string()),
        }
    })
}

fn region_names() -> String {
    Region::ALL
        .map(|r| format!("{} = {}", r.name(), r.crm_host_label()))
        .join(", ")
}

/// The Power Platform admin API endpoint: the cloud's, unless `ServiceURL` is a URL that is
/// not an Online Management API region host (an emulator or a proxy).
pub(crate) fn bap_endpoint(settings: &Settings, cloud: Cloud) -> Result<BapEndpoint, Failure> {
    let custom = match settings.get(Key::ServiceUrl) {
        Some(raw) => match ServiceEndpoint::parse(&raw.value) {
            Ok(ServiceEndpoint::Custom(url)) => Some(url),
            Ok(_) => None,
            Err(_) => Some(Url::parse(raw.value.trim()).map_err(|e| {
                Failure::usage(format!(
                    "{} is `{}`, which is not a URL ({e})",
                    raw.source.describe(Key::ServiceUrl),
                    raw.value
                ))
            })?),
        },
        None => None,
    };
    Ok(match custom {
        Some(base_url) => {
            let scope = match settings.text(Key::Resource) {
                Some(resource) => dynamics_auth::scopes::default_scope_for(resource),
                None => cloud.bap_scope().to_owned(),
            };
            BapEndpoint::Custom { base_url, scope }
        }
        None => BapEndpoint::Cloud(cloud),
    })
}

/// Where to connect, decided (and checked) before signing in.
pub(crate) enum Target {
    /// The Online Management API.
    Oma {
        /// The regional service.
        endpoint: ServiceEndpoint,
        /// The client's options (resource override).
        options: ClientOptions,
    },
    /// The Power Platform admin API.
    Bap {
        /// The cloud's API, or another base URL.
        endpoint: BapEndpoint,
        /// The client's options.
        options: BapOptions,
    },
}

/// Checks the backend and service settings and decides where to connect. `max_retries`
/// replaces the pipeline's default retry count.
pub(crate) fn target(settings: &Settings, max_retries: Option<u32>) -> Result<Target, Failure> {
    let mut pipeline = PipelineOptions::default();
    if let Some(n) = max_retries {
        pipeline.retry.max_retries = n;
    }
    match settings.backend().map_err(Failure::config)? {
        Backend::Oma => Ok(Target::Oma {
            endpoint: oma_endpoint(settings)?,
            options: ClientOptions {
                resource: settings.text(Key::Resource).map(str::to_owned),
                pipeline,
                ..ClientOptions::default()
            },
        }),
        Backend::Bap => {
            let cloud = settings.cloud().map_err(Failure::config)?;
            Ok(Target::Bap {
                endpoint: bap_endpoint(settings, cloud)?,
                options: BapOptions {
                    pipeline,
                    ..BapOptions::default()
                },
            })
        }
    }
}

/// Connects to the target with this credential.
pub(crate) async fn connect(
    target: Target,
    credential: Arc<dyn TokenCredential>,
    ctx: Context,
) -> Result<Session, Failure> {
    match target {
        Target::Oma {
            endpoint,
            mut options,
        } => {
            if options.resource.is_none() {
                // Ask the service which resource to sign in for. Failing to reach it is
                // reported as such, not as the sign-in error a guessed resource would cause.
                let discovery = OnlineManagementClient::discover(&endpoint, &options)
                    .await
                    .map_err(|e| exit::from_admin(&e, &ctx))?;
                options.resource = discovery.resource;
            }
            let client = OnlineManagementClient::connect(endpoint, credential, options)
                .await
                .map_err(|e| exit::from_admin(&e, &ctx))?;
            Ok(Session {
                backend: Backend::Oma,
                admin: AdminApi::new(AdminBackend::OnlineManagement(client.clone())),
                oma: Some(client),
                ctx,
            })
        }
        Target::Bap { endpoint, options } => {
            let client = PowerPlatformAdminClient::new(endpoint, credential, options)
                .map_err(|e| exit::from_admin(&e, &ctx))?;
            Ok(Session {
                backend: Backend::Bap,
                admin: AdminApi::new(AdminBackend::PowerPlatform(client)),
                oma: None,
                ctx,
            })
        }
    }
}

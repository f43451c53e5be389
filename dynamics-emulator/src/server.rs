//! [`Emulator`]: binding the listener, building the shared state and the router, and stopping.

use std::fmt;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use crate::admin::{self, AdminStore};
use crate::certificate::TestCertificate;
use crate::claims::Claims;
use crate::clock::ClockHandle;
use crate::config::EmulatorConfig;
use crate::dataverse::{self, DataverseConfig, DataverseShared};
use crate::entra;
use crate::error::EmulatorError;
use crate::listener::{ConnAddr, EmulatorListener};
use crate::seed::{DefaultSeed, build_default_seed, default_seed_file};
use crate::seeder::Seeder;
use crate::signing::SigningKey;
use crate::state::{Lifetimes, Shared, Store};
use crate::validate::{self, TokenRejection};

/// The PEMs of the HTTPS certificates.
struct TlsPems {
    ca: String,
    certificate: String,
}

/// How long [`Emulator::shutdown`] waits for open connections before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running emulator on `127.0.0.1`. Dropping it (or [`shutdown`](Self::shutdown)) stops it.
pub struct Emulator {
    shared: Arc<Shared>,
    defaults: DefaultSeed,
    tls: Option<TlsPems>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// Organisations added with [`add_org`](Self::add_org), each on its own port.
    orgs: Mutex<Vec<ExtraOrg>>,
}

/// An extra organisation's server.
struct ExtraOrg {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator with the default seed on a free port of 127.0.0.1.
    pub async fn start() -> Result<Self, EmulatorError> {
        Self::start_with(EmulatorConfig::default()).await
    }

    /// Starts an emulator with `config`.
    pub async fn start_with(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .await
            .map_err(|source| EmulatorError::Io {
                context: format!("could not listen on 127.0.0.1:{}", config.port),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| EmulatorError::Io {
            context: "could not read the listener address".to_owned(),
            source,
        })?;
        let scheme = if config.tls { "https" } else { "http" };
        let base_url =
            Url::parse(&format!("{scheme}://{address}/")).map_err(|e| EmulatorError::Io {
                context: "could not form the base URL".to_owned(),
                source: std::io::Error::other(e),
            })?;
        let tls = if config.tls {
            Some(
                tokio::task::spawn_blocking(crate::tls::generate)
                    .await
                    .map_err(|e| {
                        EmulatorError::certificate(format!("TLS setup did not finish: {e}"))
                    })??,
            )
        } else {
            None
        };

        let (signing_certificate, default_certificate) = tokio::try_join!(
            generate("dynamics-emulator token signing"),
            generate("dynamics-emulator default app"),
        )?;
        let signing = SigningKey::new(&signing_certificate)?;
        let defaults = build_default_seed(&base_url, default_certificate);
        let lifetimes = Lifetimes {
            access_token: config.access_token_lifetime,
            refresh_token: config.refresh_token_lifetime,
            authorization_code: config.authorization_code_lifetime,
        };
        let store = Store {
            device_behaviour: config.device_code,
            admin: AdminStore::new(config.admin_operation_polls, config.admin_retry_after_secs),
            ..Store::default()
        };
        let dataverse = DataverseShared::new(config.dataverse.clone())?;
        let shared = Arc::new(Shared::new(base_url, signing, lifetimes, store, dataverse));

        let seeder = Seeder::new(Arc::clone(&shared));
        if config.default_seed {
            seeder.apply(&default_seed_file(&defaults))?;
        }
        if let Some(seed) = &config.seed {
            seeder.apply(seed)?;
        }

        let app = router(Arc::clone(&shared));
        let pems = tls.as_ref().map(|t| TlsPems {
            ca: t.ca_pem.clone(),
            certificate: t.certificate_pem.clone(),
        });
        let listener =
            EmulatorListener::new(listener, tls.map(|t| t.acceptor)).map_err(|source| {
                EmulatorError::Io {
                    context: "could not start accepting connections".to_owned(),
                    source,
                }
            })?;
        let (stop, task) = serve(listener, app);
        tracing::info!(base_url = %shared.base_url, "emulator started");
        Ok(Self {
            shared,
            defaults,
            tls: pems,
            stop: Some(stop),
            task: Some(task),
            orgs: Mutex::new(Vec::new()),
        })
    }

    /// Serves one more Dataverse organisation on its own loopback port, under the same sign-in
    /// service, directory, environments and clock: two customers' orgs on two hosts, one
    /// Entra ID signing both tenants in, as in the cloud. Answers the org URL
    /// (`http://127.0.0.1:{port}/`). Seed it as the default org is seeded: the org URL as a
    /// resource of the tenant that owns it (tokens are issued for it), and an instance with it
    /// as `application_url` (whose users become the org's `systemuser` rows). Only the Web API
    /// is served there; tokens come from [`base_url`](Self::base_url). Plain HTTP only.
    pub async fn add_org(&self, config: DataverseConfig) -> Result<Url, EmulatorError> {
        if self.tls.is_some() {
            return Err(EmulatorError::Io {
                context: "add_org serves plain HTTP; start the emulator without TLS to add orgs"
                    .to_owned(),
                source: std::io::Error::other("TLS emulator"),
            });
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|source| EmulatorError::Io {
                context: "could not listen on 127.0.0.1 for an extra org".to_owned(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| EmulatorError::Io {
            context: "could not read the listener address".to_owned(),
            source,
        })?;
        let org_url = Url::parse(&format!("http://{address}/")).map_err(|e| EmulatorError::Io {
            context: "could not form the org URL".to_owned(),
            source: std::io::Error::other(e),
        })?;
        let dataverse = DataverseShared::extra(config, org_url.as_str())?;
        let shared = Arc::new(self.shared.for_org(org_url.clone(), dataverse));
        let app = dataverse::routes().fallback(not_found).with_state(shared);
        let listener =
            EmulatorListener::new(listener, None).map_err(|source| EmulatorError::Io {
                context: "could not start accepting connections".to_owned(),
                source,
            })?;
        let (stop, task) = serve(listener, app);
        self.orgs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ExtraOrg { stop, task });
        tracing::info!(%org_url, "extra org started");
        Ok(org_url)
    }

    /// The base URL, e.g. `http://127.0.0.1:54321/`. It is the authority host (token endpoint:
    /// `{base}{tenant}/oauth2/v2.0/token`), the admin APIs' host (`{base}api/v1.2/…`,
    /// `{base}providers/Microsoft.BusinessAppPlatform/…`) and the stand-in Dataverse origin.
    pub fn base_url(&self) -> &Url {
        &self.shared.base_url
    }

    /// The Dataverse Web API root: `{base}api/data/v9.2/`.
    pub fn web_api_url(&self) -> Url {
        self.shared
            .base_url
            .join("api/data/v9.2/")
            .unwrap_or_else(|_| self.shared.base_url.clone())
    }

    /// The emulator's Microsoft Graph root: `{base}graph/v1.0/` (users, delta, groups).
    pub fn graph_url(&self) -> Url {
        self.shared
            .base_url
            .join("graph/v1.0/")
            .unwrap_or_else(|_| self.shared.base_url.clone())
    }

    /// The Microsoft Graph resource (token audience): `{base}graph`, without trailing slash.
    /// Clients ask for the scope `{base}graph/.default`.
    pub fn graph_resource(&self) -> String {
        self.shared.url("graph")
    }

    /// With [`EmulatorConfig::tls`]: the PEM of the certificate authority that signed the
    /// server certificate. Clients trust it (e.g. `reqwest::Certificate::from_pem`).
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca.as_str())
    }

    /// With [`EmulatorConfig::tls`]: the PEM of the server certificate (for `127.0.0.1` and
    /// `localhost`).
    pub fn tls_certificate_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.certificate.as_str())
    }

    /// How many requests reached the Dataverse Web API (throttled and failed ones included).
    pub fn dataverse_requests(&self) -> u64 {
        self.shared.dataverse.requests()
    }

    /// IDs and credentials of the default seed.
    pub fn defaults(&self) -> &DefaultSeed {
        &self.defaults
    }

    /// A handle for changing the emulator's state at run time.
    pub fn seed(&self) -> Seeder {
        Seeder::new(Arc::clone(&self.shared))
    }

    /// How many requests reached the token endpoints (v1 and v2), successful or not.
    pub fn token_requests(&self) -> u64 {
        self.shared.token_requests()
    }

    /// How many requests reached the admin APIs (Online Management API and BAP, throttled or not;
    /// the `/api/aad/challenge` endpoint is not counted), for asserting client-side retries.
    pub fn admin_requests(&self) -> u64 {
        self.shared.admin_requests()
    }

    /// Moves the emulator's clock forward. Token, code and assertion expiry, refresh-token
    /// inactivity and secret expiry all follow this clock.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// The emulator's current time.
    pub fn now(&self) -> OffsetDateTime {
        self.shared.clock.now()
    }

    /// A cloneable handle on the emulator's clock (to advance it from a callback).
    pub fn clock_handle(&self) -> ClockHandle {
        ClockHandle::new(self.shared.clock.clone())
    }

    /// Validates an access token issued by this emulator: signature, issuer, `nbf`/`exp` on the
    /// emulator clock, and audience (`expected_audience`, trailing slash and case ignored).
    /// `bearer` may carry a `Bearer ` prefix.
    pub fn validate_access_token(
        &self,
        bearer: &str,
        expected_audience: &str,
    ) -> Result<Claims, TokenRejection> {
        validate::validate_access_token(&self.shared, bearer, expected_audience)
    }

    /// Stops accepting connections, lets open ones finish (up to 5 s) and waits for the server.
    pub async fn shutdown(mut self) {
        let orgs = std::mem::take(&mut *self.orgs.lock().unwrap_or_else(PoisonError::into_inner));
        for org in orgs {
            let _ = org.stop.send(());
            let mut task = org.task;
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        for org in self
            .orgs
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            let _ = org.stop.send(());
        }
    }
}

/// Serves `app` on `listener` until the returned sender fires or is dropped.
fn serve(listener: EmulatorListener, app: Router) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let make_service = app.into_make_service_with_connect_info::<ConnAddr>();
        let serve = axum::serve(listener, make_service).with_graceful_shutdown(async move {
            // Either a signal or a dropped sender stops the server.
            let _ = stopped.await;
        });
        if let Err(error) = serve.await {
            tracing::warn!(%error, "emulator server stopped with an error");
        }
    });
    (stop, task)
}

/// Generates a certificate off the async threads.
async fn generate(common_name: &'static str) -> Result<TestCertificate, EmulatorError> {
    tokio::task::spawn_blocking(move || TestCertificate::generate(common_name))
        .await
        .map_err(|e| EmulatorError::certificate(format!("key generation did not finish: {e}")))?
}

/// The whole HTTP surface. Each service (sign-in, admin, Dataverse) contributes its routes and
/// shares [`Shared`].
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(entra::routes())
        .merge(admin::routes(Arc::clone(&shared)))
        .merge(dataverse::routes())
        .merge(crate::graph::routes())
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        "The emulator has no resource at this path.",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn handles_can_move_between_threads() {
        fn check<T: Send + Sync + 'static>() {}
        check::<super::Emulator>();
        check::<crate::Seeder>();
        check::<crate::ClockHandle>();
    }
}

//! The parts of the `connector_sign_in` example that its test reuses: two customers on two
//! emulators (one tenant and one org each), the platform's multi-tenant app registered in
//! both, the platform itself as a tiny axum app on loopback, and a "browser" that follows the
//! sign-in redirects the way a customer's browser would.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use dynamics_emulator::{
    AdminRole, AppSeed, Emulator, EmulatorConfig, InstanceSeed, SecretSeed, Seeder, TenantSeed,
    UserSeed,
};
use dynamics_rs::auth::{Secret, Uuid};
use dynamics_rs::connector::{
    AccountId, AppCredential, ConnectorApp, ConnectorError, ConnectorSignIn, SignInOptions,
    SignedIn, TokenStore,
};
use url::Url;

/// The connector platform's app registration (multi-tenant, confidential).
pub(crate) const PLATFORM_APP_ID: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000c1);
const PLATFORM_SECRET: &str = "Emu8Q~connector-platform-secret-0123456789";
/// The second customer's tenant, org and user (the first customer is the emulator's default
/// seed: tenant contoso.onmicrosoft.com, org at the first emulator's URL, user alice).
pub(crate) const FABRIKAM_TENANT: Uuid = Uuid::from_u128(0xfab0fab0_0000_4000_8000_000000000001);
const FABRIKAM_INSTANCE: Uuid = Uuid::from_u128(0xfab0fab0_0000_4000_8000_000000000002);
const FABRIKAM_USER: Uuid = Uuid::from_u128(0xfab0fab0_0000_4000_8000_000000000003);

/// The two customers' clouds: each emulator is one tenant with one org.
pub(crate) struct Customers {
    pub(crate) contoso: Emulator,
    pub(crate) fabrikam: Emulator,
}

impl Customers {
    /// Contoso's org URL.
    pub(crate) fn contoso_org(&self) -> String {
        origin(self.contoso.base_url())
    }

    /// Fabrikam's org URL.
    pub(crate) fn fabrikam_org(&self) -> String {
        origin(self.fabrikam.base_url())
    }
}

fn origin(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// The platform app as registered in a tenant: the secret, and the callback on loopback
/// (any port, as Entra ID allows for loopback redirect URIs).
fn platform_app() -> AppSeed {
    AppSeed {
        secrets: vec![SecretSeed::new(PLATFORM_SECRET)],
        redirect_uris: vec!["http://127.0.0.1/callback".to_owned()],
        ..AppSeed::new(PLATFORM_APP_ID, "Connector platform")
    }
}

/// Starts both customers. Contoso has consented to the platform; Fabrikam has not yet (its
/// first sign-in gets AADSTS65001 and the admin-consent link).
pub(crate) async fn start_customers() -> Result<Customers, Box<dyn std::error::Error>> {
    let contoso = Emulator::start().await?;
    let seed = contoso.seed();
    let tenant = contoso.defaults().tenant_id;
    seed.add_app(tenant, platform_app())?;
    let contoso_org = origin(contoso.base_url());
    seed.grant_consent(tenant, PLATFORM_APP_ID, &contoso_org)?;

    let fabrikam = Emulator::start_with(EmulatorConfig {
        default_seed: false,
        ..Default::default()
    })
    .await?;
    seed_fabrikam(&fabrikam.seed(), &origin(fabrikam.base_url()))?;
    Ok(Customers { contoso, fabrikam })
}

fn seed_fabrikam(seed: &Seeder, org: &str) -> Result<(), Box<dyn std::error::Error>> {
    seed.add_tenant(TenantSeed {
        id: FABRIKAM_TENANT,
        domain: "fabrikam.onmicrosoft.com".to_owned(),
    })?;
    seed.add_resource(FABRIKAM_TENANT, org)?;
    seed.add_app(FABRIKAM_TENANT, platform_app())?;
    seed.add_user(
        FABRIKAM_TENANT,
        UserSeed {
            object_id: FABRIKAM_USER,
            user_principal_name: "fiona@fabrikam.onmicrosoft.com".to_owned(),
            password: "Fiona-Passw0rd!".to_owned(),
            display_name: "Fiona".to_owned(),
            admin_roles: vec![AdminRole::GlobalAdministrator],
            ..UserSeed::default()
        },
    )?;
    seed.add_instance(
        FABRIKAM_TENANT,
        InstanceSeed {
            application_url: Some(format!("{org}/")),
            users: vec![FABRIKAM_USER],
            ..InstanceSeed::new(FABRIKAM_INSTANCE, "fabrikam")
        },
    )?;
    Ok(())
}

/// What the platform's callback saw.
#[derive(Debug)]
pub(crate) enum CallbackOutcome {
    /// A customer signed in; their tokens are stored.
    SignedIn(SignedIn),
    /// The sign-in failed, with a typed error.
    Failed(ConnectorError),
    /// An administrator granted consent for their tenant.
    AdminConsent { tenant: String },
}

/// The connector platform: `/connect?account=..&org=..` starts a sign-in, `/callback` ends it.
pub(crate) struct Platform {
    pub(crate) base: Url,
    pub(crate) sign_in: ConnectorSignIn,
    outcomes: Arc<Mutex<Vec<CallbackOutcome>>>,
    browser: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct AppState {
    sign_in: ConnectorSignIn,
    outcomes: Arc<Mutex<Vec<CallbackOutcome>>>,
}

impl Platform {
    /// Starts the platform on a free loopback port. Its home sign-in host is Contoso's
    /// emulator; Fabrikam's is trusted as well (in the cloud, both are login.microsoftonline.com).
    pub(crate) async fn start(
        customers: &Customers,
        store: Arc<dyn TokenStore>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let base = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
        let sign_in = ConnectorSignIn::new(
            ConnectorApp {
                client_id: PLATFORM_APP_ID,
                credential: AppCredential::Secret(Secret::new(PLATFORM_SECRET)),
                redirect_uri: base.join("callback")?.to_string(),
            },
            store,
            SignInOptions {
                authority_host: customers.contoso.base_url().to_string(),
                trusted_authority_hosts: vec![customers.fabrikam.base_url().to_string()],
                ..Default::default()
            },
        )?;
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let state = AppState {
            sign_in: sign_in.clone(),
            outcomes: outcomes.clone(),
        };
        let app = Router::new()
            .route("/connect", get(connect))
            .route("/callback", get(callback))
            .with_state(state);
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("the platform stopped: {error}");
            }
        });
        Ok(Platform {
            base,
            sign_in,
            outcomes,
            browser: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::limited(5))
                .build()?,
            server,
        })
    }

    /// A customer's browser: opens the platform's connect link, signs in at the emulator
    /// (which approves at once) and lands on the callback. Returns what the callback saw.
    pub(crate) async fn connect(
        &self,
        account: &str,
        org: &str,
    ) -> Result<CallbackOutcome, Box<dyn std::error::Error>> {
        let mut url = self.base.join("connect")?;
        url.query_pairs_mut()
            .append_pair("account", account)
            .append_pair("org", org);
        self.browse(url).await
    }

    /// An administrator's browser opening an admin-consent link.
    pub(crate) async fn open_admin_consent(
        &self,
        link: &str,
    ) -> Result<CallbackOutcome, Box<dyn std::error::Error>> {
        self.browse(Url::parse(link)?).await
    }

    async fn browse(&self, url: Url) -> Result<CallbackOutcome, Box<dyn std::error::Error>> {
        let landed = self.browser.get(url).send().await?;
        let status = landed.status();
        let page = landed.text().await?;
        let outcome = self.outcomes.lock().map_err(|_| "lock poisoned")?.pop();
        outcome.ok_or_else(|| {
            format!("the browser never reached the callback (HTTP {status}: {page})").into()
        })
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn connect(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let started = match AccountId::new(param("account")) {
        Ok(account) => state.sign_in.begin(&account, &param("org")).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(started) => Redirect::to(started.authorize_url.as_str()).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

async fn callback(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let admin_consent = url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "admin_consent" && v.eq_ignore_ascii_case("true"));
    let (status, text, outcome) = if admin_consent {
        let tenant = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "tenant")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        (
            StatusCode::OK,
            format!("admin consent granted for tenant {tenant}"),
            CallbackOutcome::AdminConsent { tenant },
        )
    } else {
        match state.sign_in.complete(&query).await {
            Ok(done) => (
                StatusCode::OK,
                format!("connected {}", done.account),
                CallbackOutcome::SignedIn(done),
            ),
            Err(error) => (
                StatusCode::BAD_REQUEST,
                error.to_string(),
                CallbackOutcome::Failed(error),
            ),
        }
    };
    if let Ok(mut outcomes) = state.outcomes.lock() {
        outcomes.push(outcome);
    }
    (status, text).into_response()
}

/// An org URL nobody answers at (a closed loopback port), standing in for a mistyped org host.
pub(crate) async fn unreachable_org() -> Result<String, Box<dyn std::error::Error>> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let address = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{address}"))
}

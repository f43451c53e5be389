//! The parts of the `connector_sign_in` example that its test reuses: two customers in two
//! tenants of one emulator (one sign-in service, as login.microsoftonline.com is one), each
//! with its own org on its own host, the platform's multi-tenant app registered in both, the
//! platform itself as a tiny axum app on loopback, and a "browser" that follows the
//! sign-in redirects and keeps the platform's cookies the way a customer's browser would.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use dynamics_emulator::{
    AdminRole, AppSeed, DataverseConfig, Emulator, InstanceSeed, SecretSeed, Seeder, TenantSeed,
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
/// seed: tenant contoso.onmicrosoft.com, org at the emulator's base URL, user alice).
pub(crate) const FABRIKAM_TENANT: Uuid = Uuid::from_u128(0xfab0fab0_0000_4000_8000_000000000001);
const FABRIKAM_INSTANCE: Uuid = Uuid::from_u128(0xfab0fab0_0000_4000_8000_000000000002);
const FABRIKAM_USER: Uuid = Uuid::from_u128(0xfab0fab0_0000_4000_8000_000000000003);

/// The customers' cloud: one emulator (sign-in service and admin APIs at its base URL) with
/// two tenants, Contoso's org at the base URL and Fabrikam's on a host of its own.
pub(crate) struct Customers {
    pub(crate) emulator: Emulator,
    fabrikam_org: String,
}

impl Customers {
    /// Contoso's org URL.
    pub(crate) fn contoso_org(&self) -> String {
        origin(self.emulator.base_url())
    }

    /// Fabrikam's org URL.
    pub(crate) fn fabrikam_org(&self) -> String {
        self.fabrikam_org.clone()
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
    let emulator = Emulator::start().await?;
    let seed = emulator.seed();
    let tenant = emulator.defaults().tenant_id;
    seed.add_app(tenant, platform_app())?;
    let contoso_org = origin(emulator.base_url());
    seed.grant_consent(tenant, PLATFORM_APP_ID, &contoso_org)?;

    let fabrikam_org = origin(&emulator.add_org(DataverseConfig::default()).await?);
    seed_fabrikam(&seed, &fabrikam_org)?;
    Ok(Customers {
        emulator,
        fabrikam_org,
    })
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
    /// A callback the platform did not ask for (an admin-consent callback without a state
    /// it handed out), refused.
    Rejected(String),
}

/// Cookie of the platform's own login session: which of the platform's users this browser is.
const SESSION_COOKIE: &str = "platform_session";
/// Cookie carrying the crate's session binding from `/connect` to `/callback`.
const BINDING_COOKIE: &str = "connector_binding";

/// The connector platform: `/connect?org=..` starts a sign-in for the connection of the
/// logged-in user, `/callback` ends it.
pub(crate) struct Platform {
    pub(crate) base: Url,
    pub(crate) sign_in: ConnectorSignIn,
    state: AppState,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct AppState {
    sign_in: ConnectorSignIn,
    outcomes: Arc<Mutex<Vec<CallbackOutcome>>>,
    /// The platform's login sessions: session cookie → the connection its user owns. A real
    /// platform has its own login (and may let one user own several connections).
    sessions: Arc<Mutex<HashMap<String, AccountId>>>,
    /// The `state` of each admin-consent link handed out, accepted once.
    consent_states: Arc<Mutex<HashSet<String>>>,
    /// `Secure` on the cookies when the platform is served over https.
    secure_cookies: bool,
}

impl Platform {
    /// Starts the platform on a free loopback port. Its sign-in host is the emulator's (in the
    /// cloud, login.microsoftonline.com), for every customer's tenant.
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
                authority_host: customers.emulator.base_url().to_string(),
                // The customers' orgs are emulators on loopback; in production this stays off
                // and only Dataverse org hosts are accepted.
                allow_loopback_orgs: true,
                ..Default::default()
            },
        )?;
        let state = AppState {
            sign_in: sign_in.clone(),
            outcomes: Arc::new(Mutex::new(Vec::new())),
            sessions: Arc::new(Mutex::new(HashMap::new())),
            consent_states: Arc::new(Mutex::new(HashSet::new())),
            secure_cookies: base.scheme() == "https",
        };
        let app = Router::new()
            .route("/connect", get(connect))
            .route("/callback", get(callback))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("the platform stopped: {error}");
            }
        });
        Ok(Platform {
            base,
            sign_in,
            state,
            server,
        })
    }

    /// A browser logged in to the platform as the owner of connection `account` (standing in
    /// for the platform's own login page).
    pub(crate) fn log_in(&self, account: &str) -> Result<Browser, Box<dyn std::error::Error>> {
        let session = random_token();
        self.state
            .sessions
            .lock()
            .map_err(|_| "lock poisoned")?
            .insert(session.clone(), AccountId::new(account)?);
        let browser = self.browser()?;
        browser.set_cookie(SESSION_COOKIE, &session)?;
        Ok(browser)
    }

    /// A browser with no cookies (someone not logged in to the platform, or an administrator).
    pub(crate) fn browser(&self) -> Result<Browser, Box<dyn std::error::Error>> {
        Ok(Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            platform: self.base.clone(),
            cookies: Mutex::new(HashMap::new()),
            outcomes: self.state.outcomes.clone(),
        })
    }

    /// The platform's connect link for an org.
    pub(crate) fn connect_url(&self, org: &str) -> Result<Url, Box<dyn std::error::Error>> {
        let mut url = self.base.join("connect")?;
        url.query_pairs_mut().append_pair("org", org);
        Ok(url)
    }

    /// The owner of connection `account` logs in, opens the connect link, signs in at the
    /// emulator (which approves at once) and lands on the callback. Returns what the callback
    /// saw.
    pub(crate) async fn connect(
        &self,
        account: &str,
        org: &str,
    ) -> Result<CallbackOutcome, Box<dyn std::error::Error>> {
        self.log_in(account)?.open(self.connect_url(org)?).await
    }

    /// An administrator's browser opening an admin-consent link.
    pub(crate) async fn open_admin_consent(
        &self,
        link: &str,
    ) -> Result<CallbackOutcome, Box<dyn std::error::Error>> {
        self.browser()?.open(Url::parse(link)?).await
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A browser: follows redirects and keeps the platform's cookies, as a customer's would.
pub(crate) struct Browser {
    client: reqwest::Client,
    platform: Url,
    cookies: Mutex<HashMap<String, String>>,
    outcomes: Arc<Mutex<Vec<CallbackOutcome>>>,
}

impl Browser {
    fn set_cookie(&self, name: &str, value: &str) -> Result<(), Box<dyn std::error::Error>> {
        self.cookies
            .lock()
            .map_err(|_| "lock poisoned")?
            .insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    /// One request: the platform's cookies go to the platform only; its `Set-Cookie`s are
    /// kept. Returns the response's status, redirect target and body.
    async fn request(
        &self,
        url: &Url,
    ) -> Result<(reqwest::StatusCode, Option<Url>, String), Box<dyn std::error::Error>> {
        let to_platform = url.origin() == self.platform.origin();
        let mut request = self.client.get(url.clone());
        if to_platform {
            let cookies = self.cookies.lock().map_err(|_| "lock poisoned")?;
            let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if !header.is_empty() {
                request = request.header(reqwest::header::COOKIE, header.join("; "));
            }
        }
        let response = request.send().await?;
        if to_platform {
            let mut cookies = self.cookies.lock().map_err(|_| "lock poisoned")?;
            for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
                let text = set.to_str()?;
                let first = text.split(';').next().unwrap_or_default();
                if let Some((name, value)) = first.split_once('=') {
                    if text.contains("Max-Age=0") {
                        cookies.remove(name.trim());
                    } else {
                        cookies.insert(name.trim().to_owned(), value.trim().to_owned());
                    }
                }
            }
        }
        let status = response.status();
        let location = match response.headers().get(reqwest::header::LOCATION) {
            Some(location) if status.is_redirection() => Some(url.join(location.to_str()?)?),
            _ => None,
        };
        Ok((status, location, response.text().await?))
    }

    /// Opens `url` and stops at the first redirect: where it would go next.
    pub(crate) async fn redirect_of(&self, url: Url) -> Result<Url, Box<dyn std::error::Error>> {
        let (status, location, page) = self.request(&url).await?;
        location.ok_or_else(|| format!("no redirect (HTTP {status}: {page})").into())
    }

    /// Opens `url`, follows redirects, and returns what the platform's callback saw.
    pub(crate) async fn open(
        &self,
        mut url: Url,
    ) -> Result<CallbackOutcome, Box<dyn std::error::Error>> {
        for _ in 0..10 {
            let (status, location, page) = self.request(&url).await?;
            match location {
                Some(next) => url = next,
                None => {
                    let outcome = self.outcomes.lock().map_err(|_| "lock poisoned")?.pop();
                    return outcome.ok_or_else(|| {
                        format!("the browser never reached the callback (HTTP {status}: {page})")
                            .into()
                    });
                }
            }
        }
        Err("too many redirects".into())
    }
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// 244 random bits (two v4 UUIDs, from the OS's random source): session ids and
/// admin-consent states.
fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// `/connect?org=..`: starts a sign-in for the connection of the user logged in to the
/// platform. The account is never taken from the link: a link naming an account could be
/// sent to someone else, whose sign-in would then land in the sender's account. A real
/// platform identifies the user from its own login session and takes the connection from
/// those the user owns (or creates one for them); here the session cookie maps to one.
async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let account = cookie(&headers, SESSION_COOKIE).and_then(|session| {
        state
            .sessions
            .lock()
            .ok()
            .and_then(|sessions| sessions.get(&session).cloned())
    });
    let Some(account) = account else {
        return (
            StatusCode::UNAUTHORIZED,
            "log in to the platform first, then connect your org",
        )
            .into_response();
    };
    let org = query_param(&query, "org").unwrap_or_default();
    match state.sign_in.begin(&account, &org).await {
        Ok(started) => {
            // Only this browser can finish the sign-in: the callback must bring the binding
            // back. `SameSite=Lax` still sends it on the top-level redirect back from the
            // sign-in page; `HttpOnly` keeps scripts away from it.
            let secure = if state.secure_cookies { "; Secure" } else { "" };
            let set_cookie = format!(
                "{BINDING_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/callback; Max-Age=900{secure}",
                started.session_binding.secret()
            );
            (
                [(SET_COOKIE, set_cookie)],
                Redirect::to(started.authorize_url.as_str()),
            )
                .into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let admin_consent =
        query_param(&query, "admin_consent").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let (status, text, outcome) = if admin_consent {
        admin_consent_callback(&state, &query)
    } else {
        let binding = cookie(&headers, BINDING_COOKIE).unwrap_or_default();
        match state.sign_in.complete(&query, &binding).await {
            Ok(done) => (
                StatusCode::OK,
                format!("connected {}", done.account),
                CallbackOutcome::SignedIn(done),
            ),
            Err(ConnectorError::ConsentRequired { admin_consent_url }) => {
                let link = with_consent_state(&state, &admin_consent_url);
                let error = ConnectorError::ConsentRequired {
                    admin_consent_url: link,
                };
                (
                    StatusCode::BAD_REQUEST,
                    error.to_string(),
                    CallbackOutcome::Failed(error),
                )
            }
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
    // The binding has done its job (or failed it): drop the cookie.
    let clear = format!("{BINDING_COOKIE}=; HttpOnly; SameSite=Lax; Path=/callback; Max-Age=0");
    ([(SET_COOKIE, clear)], (status, text)).into_response()
}

/// Adds a fresh single-use `state` to an admin-consent link, so that its callback can be
/// told from a forged `?admin_consent=True` (which anyone can type). The administrator is
/// usually someone else than the user who saw the link, so the state is not tied to a
/// browser; it only proves the platform handed the link out.
fn with_consent_state(state: &AppState, link: &str) -> String {
    let Ok(mut url) = Url::parse(link) else {
        return link.to_owned();
    };
    let token = random_token();
    if let Ok(mut states) = state.consent_states.lock() {
        states.insert(token.clone());
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "state")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("state", &token);
    url.to_string()
}

fn admin_consent_callback(state: &AppState, query: &str) -> (StatusCode, String, CallbackOutcome) {
    let known = query_param(query, "state").is_some_and(|s| {
        state
            .consent_states
            .lock()
            .is_ok_and(|mut states| states.remove(&s))
    });
    if !known {
        let reason = "an admin-consent callback without a state this platform handed out";
        return (
            StatusCode::BAD_REQUEST,
            reason.to_owned(),
            CallbackOutcome::Rejected(reason.to_owned()),
        );
    }
    let tenant = query_param(query, "tenant").unwrap_or_default();
    (
        StatusCode::OK,
        format!("admin consent granted for tenant {tenant}"),
        CallbackOutcome::AdminConsent { tenant },
    )
}

/// An org URL nobody answers at (a closed loopback port), standing in for a mistyped org host.
pub(crate) async fn unreachable_org() -> Result<String, Box<dyn std::error::Error>> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let address = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{address}"))
}

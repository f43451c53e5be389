//! A connector platform signing its customers in to their own Dataverse orgs (issue 11 §1,
//! the Cyclr pattern): each customer gives their org URL (the connector's "Resource"), signs
//! in through the platform's multi-tenant app (authorization code + PKCE), and the platform
//! keeps their tokens, encrypted, in a SQLite file, refreshing them silently.
//!
//! ```sh
//! cargo run --example connector_sign_in
//! ```
//! By default two customers in two tenants of the emulator (each with an org) sign in through
//! a tiny platform on 127.0.0.1 whose "browser" follows the redirects; then both accounts are
//! used at once, a refresh rotates a token through the store, and the two classic failures
//! show: a wrong org URL (AADSTS500011) and a tenant without consent (AADSTS65001, with the
//! admin-consent link an administrator opens).
//!
//! Against a real tenant set `DYNAMICS_TENANT_ID`, `DYNAMICS_CLIENT_ID` (a web app with a
//! secret), `DYNAMICS_CLIENT_SECRET`, `DYNAMICS_REDIRECT_URI` (registered on the app) and
//! `DYNAMICS_ORG_URL`: the example prints the sign-in URL and asks for the address the
//! browser ends on.

mod common;

use std::sync::Arc;

use common::TenantSettings;
use common::connector_platform::{CallbackOutcome, Platform, start_customers, unreachable_org};
use dynamics_rs::auth::Secret;
use dynamics_rs::connector::{
    AccountId, AppCredential, ConnectorApp, ConnectorError, ConnectorSignIn, MemoryTokenStore,
    SignInOptions, SqlTokenStore, TokenKey, TokenStore,
};
use dynamics_rs::dataverse::{ClientOptions, DataverseClient};

fn step(text: &str) {
    println!("\n-- {text}");
}

fn line(label: &str, value: impl std::fmt::Display) {
    println!("{label:<28} {value}");
}

/// A Dataverse client for a signed-in account: its credential only gives tokens for its org.
async fn client(
    sign_in: &ConnectorSignIn,
    account: &str,
) -> Result<DataverseClient, Box<dyn std::error::Error>> {
    let credential = sign_in.client_for(&AccountId::new(account)?).await?;
    let org = credential.org_url().to_string();
    Ok(DataverseClient::new(
        &org,
        Arc::new(credential),
        ClientOptions::default(),
    )?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match TenantSettings::from_env()? {
        Some(settings) => real_tenant(&settings).await,
        None => emulator().await,
    }
}

async fn emulator() -> Result<(), Box<dyn std::error::Error>> {
    step("two customers: Contoso and Fabrikam, each a tenant with an org");
    let customers = start_customers().await?;
    line("Contoso org", customers.contoso_org());
    line("Fabrikam org", customers.fabrikam_org());

    let dir = std::env::temp_dir().join(format!("connector-sign-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // In production the key comes from a secret manager; without it the tokens are unreadable.
    let key = TokenKey::generate();
    line(
        "token store",
        format!("{} (key id {})", dir.join("tokens.db").display(), key.id()),
    );
    let store: Arc<dyn TokenStore> =
        Arc::new(SqlTokenStore::open_sqlite(&dir.join("tokens.db"), key).await?);
    let platform = Platform::start(&customers, store.clone()).await?;
    line("platform", &platform.base);

    step("Contoso's user connects (the emulator approves the sign-in)");
    match platform
        .connect("contoso-1", &customers.contoso_org())
        .await?
    {
        CallbackOutcome::SignedIn(done) => line(
            "signed in",
            format!("{} in tenant {}", done.account, done.tenant),
        ),
        other => return Err(format!("unexpected: {other:?}").into()),
    }

    step("Fabrikam's user connects: nobody in Fabrikam has consented to the platform yet");
    let link = match platform
        .connect("fabrikam-1", &customers.fabrikam_org())
        .await?
    {
        CallbackOutcome::Failed(ConnectorError::ConsentRequired { admin_consent_url }) => {
            admin_consent_url
        }
        other => return Err(format!("expected AADSTS65001, got {other:?}").into()),
    };
    line(
        "AADSTS65001",
        "the platform shows the customer this link for their administrator:",
    );
    println!("  {link}");
    match platform.open_admin_consent(&link).await? {
        CallbackOutcome::AdminConsent { tenant } => {
            line("admin consent", format!("granted for tenant {tenant}"))
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }
    match platform
        .connect("fabrikam-1", &customers.fabrikam_org())
        .await?
    {
        CallbackOutcome::SignedIn(done) => line(
            "signed in",
            format!("{} in tenant {}", done.account, done.tenant),
        ),
        other => return Err(format!("unexpected: {other:?}").into()),
    }

    step("a sign-in link someone else started is refused (login fixation)");
    let mallory = platform.log_in("mallory-1")?;
    let authorize = mallory
        .redirect_of(platform.connect_url(&customers.contoso_org())?)
        .await?;
    match platform.browser()?.open(authorize).await? {
        CallbackOutcome::Failed(error @ ConnectorError::SessionMismatch) => line("refused", error),
        other => return Err(format!("expected SessionMismatch, got {other:?}").into()),
    }

    step("both accounts used at once (WhoAmI against each org)");
    let contoso = client(&platform.sign_in, "contoso-1").await?;
    let fabrikam = client(&platform.sign_in, "fabrikam-1").await?;
    let (a, b) = tokio::join!(contoso.who_am_i(), fabrikam.who_am_i());
    let (a, b) = (a?, b?);
    line(
        "contoso-1",
        format!("user {} in organization {}", a.user_id, a.organization_id),
    );
    line(
        "fabrikam-1",
        format!("user {} in organization {}", b.user_id, b.organization_id),
    );

    step(
        "silent refresh: the stored access token is dropped, the next call rotates the refresh token",
    );
    let account = AccountId::new("contoso-1")?;
    let before = store.load(&account).await?.ok_or("account gone")?;
    let mut expired = before.clone();
    expired.access_token = None;
    store.rotate(before.version, &expired).await?;
    client(&platform.sign_in, "contoso-1")
        .await?
        .who_am_i()
        .await?;
    let after = store.load(&account).await?.ok_or("account gone")?;
    line(
        "store version",
        format!("{} -> {}", before.version, after.version),
    );
    line(
        "previous token kept",
        after.previous_refresh_token.is_some(),
    );

    step("a customer types a wrong org URL");
    match platform
        .connect("typo-1", &unreachable_org().await?)
        .await?
    {
        CallbackOutcome::Failed(error @ ConnectorError::WrongResource { .. }) => {
            line("AADSTS500011", error)
        }
        other => return Err(format!("expected AADSTS500011, got {other:?}").into()),
    }

    step("accounts in the store (no tokens shown)");
    for summary in store.list().await? {
        line(
            summary.id.as_str(),
            format!(
                "{} tenant {} {:?}",
                summary.org_url, summary.tenant, summary.status
            ),
        );
    }
    drop(platform);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One customer on a real tenant: the platform's web app signs them in to `DYNAMICS_ORG_URL`.
async fn real_tenant(settings: &TenantSettings) -> Result<(), Box<dyn std::error::Error>> {
    let (Some(secret), Some(redirect_uri)) = (&settings.client_secret, &settings.redirect_uri)
    else {
        return Err("set DYNAMICS_CLIENT_SECRET and DYNAMICS_REDIRECT_URI (a web app's secret and its registered redirect URI)".into());
    };
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let sign_in = ConnectorSignIn::new(
        ConnectorApp {
            client_id: settings.client_id,
            credential: AppCredential::Secret(Secret::new(secret.clone())),
            redirect_uri: redirect_uri.clone(),
        },
        store,
        SignInOptions {
            authority_host: settings.cloud.authority_host().to_owned(),
            ..Default::default()
        },
    )?;
    let account = AccountId::new("customer-1")?;
    let started = sign_in.begin(&account, &settings.org_url).await?;
    println!(
        "open this URL, sign in, then paste the address the browser ends on:\n  {}",
        started.authorize_url
    );
    let mut landed = String::new();
    std::io::stdin().read_line(&mut landed)?;
    let query = url::Url::parse(landed.trim())?
        .query()
        .unwrap_or_default()
        .to_owned();
    // A web platform keeps `started.session_binding` in a cookie of the browser it sent to
    // sign in; here the same person pastes the address back, so it is kept in memory.
    match sign_in
        .complete(&query, started.session_binding.secret())
        .await
    {
        Ok(done) => line(
            "signed in",
            format!("{} in tenant {}", done.account, done.tenant),
        ),
        Err(error) => {
            line("sign-in failed", &error);
            return Err(error.into());
        }
    }
    let me = client(&sign_in, "customer-1").await?.who_am_i().await?;
    line(
        "WhoAmI",
        format!("user {} in organization {}", me.user_id, me.organization_id),
    );
    Ok(())
}

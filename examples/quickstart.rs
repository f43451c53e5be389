//! The main job, end to end: start the emulator and sign in every way the workflows need,
//! then do the same against a real tenant when its settings are in the environment.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

mod common;

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use dynamics_emulator::{DeviceCodeBehaviour, Emulator, EmulatorConfig};
use dynamics_rs::admin::{
    AdminApi, AdminBackend, ClientOptions, OnlineManagementClient, ServiceEndpoint, WaitOptions,
};
use dynamics_rs::auth::{
    AuthError, Authority, AuthorizationCodeFlow, AuthorizeOptions, ClientCertificate,
    ClientCertificateCredential, ClientSecretCredential, CredentialOptions, DeviceCodeCredential,
    RefreshTokenCredential, StaticTokenCredential, TokenCache, TokenCredential,
    UsernamePasswordCredential, scopes,
};
use dynamics_rs::dataverse::{
    BulkOptions, ClientOptions as DataverseOptions, DataverseClient, Filter, Record,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    let tenant = common::TenantSettings::from_env()?;

    println!("== Against the emulator");
    against_emulator().await?;

    match tenant {
        Some(settings) => {
            println!("\n== Against the tenant {}", settings.tenant);
            against_tenant(&settings).await?;
        }
        None => println!(
            "\n(Set DYNAMICS_TENANT_ID, DYNAMICS_CLIENT_ID and DYNAMICS_ORG_URL to also run against a real tenant.)"
        ),
    }
    Ok(())
}

/// Width of the label column of every result line.
const LABEL: usize = 30;

/// One result line: the label padded to [`LABEL`], then the value.
fn line(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<LABEL$} {value}");
}

async fn show(label: &str, credential: &dyn TokenCredential, scope: &str) -> Result<()> {
    let token = credential.get_token(&[scope], None).await?;
    line(label, common::describe(&token));
    Ok(())
}

async fn against_emulator() -> Result<()> {
    let emulator = Emulator::start_with(EmulatorConfig {
        // Approve device codes on the first poll, one second in.
        device_code: DeviceCodeBehaviour {
            interval_secs: 1,
            auto_approve_after_polls: Some(1),
            ..Default::default()
        },
        ..Default::default()
    })
    .await?;
    let seed = emulator.defaults();
    line("emulator listening at", emulator.base_url());

    let authority =
        Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string())?;
    let options = CredentialOptions::default();
    let org = seed.dataverse_url.as_str();
    let app_scope = scopes::dataverse_default(org)?;
    let user_scope = scopes::dataverse_user_impersonation(org)?;
    let client_id = seed.client_id;
    let public_client_id = seed.public_client_id;

    let secret = ClientSecretCredential::new(
        authority.clone(),
        client_id,
        seed.client_secret.clone(),
        options.clone(),
    )?;
    show("client secret", &secret, &app_scope).await?;

    let pem = ClientCertificate::from_pem(
        &seed.certificate.certificate_pem,
        &seed.certificate.private_key_pem,
    )?;
    line("certificate thumbprint", pem.thumbprint());
    let certificate =
        ClientCertificateCredential::new(authority.clone(), client_id, pem, options.clone())?;
    show("client certificate (PEM)", &certificate, &app_scope).await?;

    let pfx =
        ClientCertificate::from_pkcs12(&seed.certificate.to_pkcs12("quickstart")?, "quickstart")?;
    let certificate =
        ClientCertificateCredential::new(authority.clone(), client_id, pfx, options.clone())?;
    show("client certificate (PKCS#12)", &certificate, &app_scope).await?;

    let password = UsernamePasswordCredential::new(
        authority.clone(),
        public_client_id,
        &seed.user.upn,
        seed.user.password.clone(),
        options.clone(),
    )?;
    show("username and password", &password, &user_scope).await?;

    // An MFA account cannot use the password sign-in; the error says what to do instead.
    let mfa = UsernamePasswordCredential::new(
        authority.clone(),
        public_client_id,
        &seed.mfa_user.upn,
        seed.mfa_user.password.clone(),
        options.clone(),
    )?;
    if let Err(e) = mfa.get_token(&[&user_scope], None).await {
        let hint = AuthError::from_azure(&e)
            .and_then(AuthError::hint)
            .unwrap_or_default();
        line("password with MFA", format!("refused as expected: {hint}"));
    }

    let device = DeviceCodeCredential::new(
        authority.clone(),
        public_client_id,
        // Against a tenant a person opens the page and types the code; the emulator approves
        // it by itself on the first poll, so nothing needs doing here.
        |info| {
            line("device code prompt", &info.message);
            line("", "(the emulator approves it by itself)");
        },
        options.clone(),
    )?;
    show("device code (MFA accounts)", &device, &user_scope).await?;

    // Authorization code + PKCE, as a connector platform does it. The emulator plays the
    // user's browser: it approves at once and redirects back with the code.
    let flow = AuthorizationCodeFlow::new(
        authority.clone(),
        public_client_id,
        &seed.redirect_uri,
        options.clone(),
    )?;
    let request = flow.authorize_url(&[&user_scope], &AuthorizeOptions::default());
    let redirect = play_browser(request.url()).await?;
    let signed_in = flow.complete(&request, &redirect).await?;
    show("authorization code + PKCE", &signed_in, &user_scope).await?;
    let other_org = scopes::dataverse_user_impersonation("https://contoso.crm.dynamics.com")?;
    show("  then silent refresh", &signed_in, &other_org).await?;

    // A connector stores the (rotated) refresh token and resumes from it later.
    let stored = signed_in.refresh_token().await;
    let resumed =
        RefreshTokenCredential::new(authority.clone(), public_client_id, stored, options.clone())?;
    show("stored refresh token", &resumed, &user_scope).await?;

    let token = secret.get_token(&[&app_scope], None).await?;
    let fixed = StaticTokenCredential::new(token.token, token.expires_on);
    show("static token", &fixed, &app_scope).await?;

    // Clients put a cache in front of whichever credential they are given.
    let cache = TokenCache::new(Arc::new(secret));
    cache.token(&[&app_scope]).await?;
    let before = emulator.token_requests();
    for _ in 0..100 {
        cache.token(&[&app_scope]).await?;
    }
    line(
        "token cache",
        format!(
            "100 calls, {} new token requests",
            emulator.token_requests() - before
        ),
    );

    admin_on_emulator(&emulator, &authority).await?;
    dataverse_on_emulator(&emulator, &authority).await?;

    emulator.shutdown().await;
    Ok(())
}

/// What `CDSTestdriveUtility.exe` did, and what Test Drive needs: an administrator registers
/// the app with the Online Management API, then the app itself force-syncs a user.
async fn admin_on_emulator(emulator: &Emulator, authority: &Authority) -> Result<()> {
    let seed = emulator.defaults();
    println!("  -- admin APIs");
    let admin: Arc<dyn TokenCredential> = Arc::new(UsernamePasswordCredential::new(
        authority.clone(),
        seed.public_client_id,
        &seed.user.upn,
        seed.user.password.clone(),
        CredentialOptions::default(),
    )?);
    let endpoint = ServiceEndpoint::Custom(emulator.base_url().clone());
    let as_admin =
        OnlineManagementClient::connect(endpoint.clone(), admin, ClientOptions::default()).await?;
    line("admin API resource", as_admin.resource());
    let registered = AdminApi::new(AdminBackend::OnlineManagement(as_admin))
        .register_application(seed.client_id)
        .tenant_id(seed.tenant_id)
        .await?;
    line("registered application", registered.application_id);

    // Now registered, the app signs in with its own secret and calls the API app-only.
    let app: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        authority.clone(),
        seed.client_id,
        seed.client_secret.clone(),
        CredentialOptions::default(),
    )?);
    let as_app = OnlineManagementClient::connect(endpoint, app, ClientOptions::default()).await?;
    let instances = as_app.list_instances().await?;
    line("instances visible to the app", instances.len());
    let wait = WaitOptions {
        default_interval: Duration::from_millis(200),
        ..Default::default()
    };
    AdminApi::new(AdminBackend::OnlineManagement(as_app))
        .force_sync_user(seed.instance_id, seed.non_admin_user.object_id)
        .wait(wait)
        .await?;
    line(
        "force-synced user",
        format!("{} into {}", seed.non_admin_user.upn, seed.instance_id),
    );
    Ok(())
}

/// The Dataverse Web API, app-only: who am I, create, query, a bulk write, and the user
/// force-synced above, now a `systemuser` row.
async fn dataverse_on_emulator(emulator: &Emulator, authority: &Authority) -> Result<()> {
    let seed = emulator.defaults();
    println!("  -- Dataverse Web API");
    let app: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        authority.clone(),
        seed.client_id,
        seed.client_secret.clone(),
        CredentialOptions::default(),
    )?);
    let client = DataverseClient::new(
        seed.dataverse_url.as_str(),
        app,
        DataverseOptions::default(),
    )?;
    let me = client.who_am_i().await?;
    line("WhoAmI", format!("systemuser {}", me.user_id));

    let leads = client.table("leads");
    for (first, last) in [("Ana", "O'Brien"), ("Bo", "Nguyen"), ("Cy", "O'Brien")] {
        let lead = Record::new()
            .with("subject", "Quickstart lead")
            .with("firstname", first)
            .with("lastname", last);
        leads.create(&lead).await?;
    }
    let found = leads
        .query()
        .select(["firstname", "lastname"])
        .filter(Filter::eq("lastname", "O'Brien"))
        .await?;
    line(
        "leads named O'Brien",
        format!("{} of the 3 created", found.len()),
    );

    let batch: Vec<Record> = (0..5)
        .map(|i| Record::new().with("subject", format!("Batch lead {i}")))
        .collect();
    let report = client
        .create_many(
            "leads",
            &batch,
            &BulkOptions {
                batch_size: 5,
                ..Default::default()
            },
        )
        .await?;
    line(
        "bulk write",
        format!(
            "{} of 5 created in one CreateMultiple request",
            report.succeeded()
        ),
    );

    let users = client
        .table("systemusers")
        .query()
        .select(["fullname"])
        .filter(Filter::eq(
            "azureactivedirectoryobjectid",
            seed.non_admin_user.object_id,
        ))
        .await?;
    line(
        "synced user in Dataverse",
        users
            .first()
            .and_then(|u| u.get_str("fullname"))
            .unwrap_or("(not found)"),
    );
    Ok(())
}

async fn play_browser(url: &url::Url) -> Result<url::Url> {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?
        .get(url.clone())
        .send()
        .await?;
    let location = response
        .headers()
        .get("location")
        .ok_or("the authorize endpoint did not redirect")?
        .to_str()?;
    Ok(url::Url::parse(location)?)
}

async fn against_tenant(settings: &common::TenantSettings) -> Result<()> {
    let authority = settings.authority()?;
    let options = CredentialOptions::default();
    let app_scope = scopes::dataverse_default(&settings.org_url)?;
    let user_scope = scopes::dataverse_user_impersonation(&settings.org_url)?;

    // Each sign-in is tried on its own: one failing (and saying why) does not stop the rest.
    let report = |label: &str, outcome: Result<()>| {
        if let Err(e) = outcome {
            line(label, format!("failed: {e}"));
        }
    };

    if let Some(secret) = &settings.client_secret {
        let outcome = async {
            let c = ClientSecretCredential::new(
                authority.clone(),
                settings.client_id,
                secret.clone(),
                options.clone(),
            )?;
            show("client secret", &c, &app_scope).await
        }
        .await;
        report("client secret", outcome);
    }
    if let Some((cert, key)) = &settings.certificate_pem {
        let outcome = async {
            let pem = ClientCertificate::from_pem(
                &std::fs::read_to_string(cert)?,
                &std::fs::read_to_string(key)?,
            )?;
            let c = ClientCertificateCredential::new(
                authority.clone(),
                settings.client_id,
                pem,
                options.clone(),
            )?;
            show("client certificate (PEM)", &c, &app_scope).await
        }
        .await;
        report("client certificate (PEM)", outcome);
    }
    if let Some((pfx, password)) = &settings.certificate_pfx {
        let outcome = async {
            let cert = ClientCertificate::from_pkcs12(&std::fs::read(pfx)?, password)?;
            let c = ClientCertificateCredential::new(
                authority.clone(),
                settings.client_id,
                cert,
                options.clone(),
            )?;
            show("client certificate (PKCS#12)", &c, &app_scope).await
        }
        .await;
        report("client certificate (PKCS#12)", outcome);
    }
    if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
        let outcome = async {
            let c = UsernamePasswordCredential::new(
                authority.clone(),
                settings.public_client_id,
                username,
                password.clone(),
                options.clone(),
            )?;
            show("username and password", &c, &user_scope).await
        }
        .await;
        report("username and password", outcome);
    }
    if settings.device_code {
        let outcome = async {
            let c = DeviceCodeCredential::new(
                authority.clone(),
                settings.public_client_id,
                |info| line("device code prompt", &info.message),
                options.clone(),
            )?;
            show("device code", &c, &user_scope).await
        }
        .await;
        report("device code", outcome);
    }
    if let Some(redirect_uri) = &settings.redirect_uri {
        let outcome = async {
            let flow = AuthorizationCodeFlow::new(
                authority.clone(),
                settings.public_client_id,
                redirect_uri,
                options.clone(),
            )?;
            let request = flow.authorize_url(&[&user_scope], &AuthorizeOptions::default());
            println!(
                "  open this URL, sign in, then paste the address the browser ends on:\n  {}",
                request.url()
            );
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let signed_in = flow
                .complete(&request, &url::Url::parse(line.trim())?)
                .await?;
            show("authorization code + PKCE", &signed_in, &user_scope).await
        }
        .await;
        report("authorization code + PKCE", outcome);
    }
    Ok(())
}

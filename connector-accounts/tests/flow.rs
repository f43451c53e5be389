//! The flow's checks that need no token endpoint: settings validation, the authorize URL
//! built from the org URL, pending sign-ins that expire, and the admin-consent link.

use std::sync::Arc;
use std::time::Duration;

use connector_accounts::{
    AccountId, AppCredential, ConnectorApp, ConnectorError, ConnectorSignIn, MemoryTokenStore,
    ScopeStyle, SignInOptions,
};
use dynamics_auth::{CredentialOptions, ManualClock, Secret, Uuid};

const CLIENT_ID: Uuid = Uuid::from_u128(0x0c0c0c0c_1111_2222_3333_444444444444);

fn app(redirect_uri: &str) -> ConnectorApp {
    ConnectorApp {
        client_id: CLIENT_ID,
        credential: AppCredential::Secret(Secret::new("platform-secret-value")),
        redirect_uri: redirect_uri.into(),
    }
}

fn options(clock: Arc<ManualClock>) -> SignInOptions {
    SignInOptions {
        discover_tenant: false,
        credential_options: CredentialOptions {
            clock,
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn the_authorize_url_asks_for_the_org_and_offline_access() {
    let clock = Arc::new(ManualClock::starting_now());
    let flow = ConnectorSignIn::new(
        app("https://connector.example.com/callback"),
        Arc::new(MemoryTokenStore::new()),
        SignInOptions {
            scope_style: ScopeStyle::Default,
            ..options(clock)
        },
    )
    .unwrap();
    let started = flow
        .begin(
            &AccountId::new("conn-1").unwrap(),
            "https://Contoso.CRM4.dynamics.com/",
        )
        .await
        .unwrap();
    let url = &started.authorize_url;
    assert!(
        url.as_str()
            .starts_with("https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?"),
        "{url}"
    );
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        q["scope"],
        "https://contoso.crm4.dynamics.com/.default offline_access"
    );
    assert_eq!(q["redirect_uri"], "https://connector.example.com/callback");
    assert_eq!(q["client_id"], CLIENT_ID.to_string());
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(!url.as_str().contains("platform-secret-value"));
    assert!(!format!("{flow:?}").contains("platform-secret-value"));
    assert_eq!(started.tenant, "organizations");
}

#[tokio::test]
async fn a_late_callback_is_refused_as_expired() {
    let clock = Arc::new(ManualClock::starting_now());
    let flow = ConnectorSignIn::new(
        app("https://connector.example.com/callback"),
        Arc::new(MemoryTokenStore::new()),
        options(clock.clone()),
    )
    .unwrap();
    let started = flow
        .begin(
            &AccountId::new("conn-1").unwrap(),
            "https://contoso.crm4.dynamics.com",
        )
        .await
        .unwrap();
    let state = started
        .authorize_url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    clock.advance(Duration::from_secs(16 * 60));
    let error = flow
        .complete(
            &format!("?code=abc&state={state}"),
            started.session_binding.secret(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::SignInExpired { .. }),
        "{error:?}"
    );
    assert!(error.needs_sign_in());
}

#[tokio::test]
async fn callbacks_without_code_or_error_are_malformed() {
    let flow = ConnectorSignIn::new(
        app("https://connector.example.com/callback"),
        Arc::new(MemoryTokenStore::new()),
        options(Arc::new(ManualClock::starting_now())),
    )
    .unwrap();
    let started = flow
        .begin(
            &AccountId::new("conn-1").unwrap(),
            "https://contoso.crm4.dynamics.com",
        )
        .await
        .unwrap();
    let state: String = started
        .authorize_url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let error = flow
        .complete(&format!("state={state}"), started.session_binding.secret())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::MalformedCallback),
        "{error:?}"
    );
    assert!(matches!(
        flow.complete("", "").await,
        Err(ConnectorError::UnknownState)
    ));
}

#[test]
fn settings_are_checked_and_the_admin_consent_link_names_the_tenant() {
    let store = Arc::new(MemoryTokenStore::new());
    let insecure = ConnectorSignIn::new(
        app("http://connector.example.com/cb"),
        store.clone(),
        SignInOptions::default(),
    );
    assert!(insecure.is_err(), "plain http off loopback");
    let bad_tenant = ConnectorSignIn::new(
        app("https://connector.example.com/cb"),
        store.clone(),
        SignInOptions {
            default_tenant: "not a tenant".into(),
            ..Default::default()
        },
    );
    assert!(bad_tenant.is_err());
    let no_lease = ConnectorSignIn::new(
        app("https://connector.example.com/cb"),
        store.clone(),
        SignInOptions {
            refresh_lease: Duration::from_millis(10),
            ..Default::default()
        },
    );
    assert!(
        matches!(
            no_lease,
            Err(ConnectorError::Invalid {
                what: "refresh lease",
                ..
            })
        ),
        "{no_lease:?}"
    );
    let flow = ConnectorSignIn::new(
        app("https://connector.example.com/cb"),
        store,
        SignInOptions::default(),
    )
    .unwrap();
    let link = flow.admin_consent_url("fabrikam.onmicrosoft.com").unwrap();
    assert!(
        link.as_str().starts_with(
            "https://login.microsoftonline.com/fabrikam.onmicrosoft.com/adminconsent?"
        ),
        "{link}"
    );
    let q: std::collections::HashMap<_, _> = link.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CLIENT_ID.to_string());
    assert_eq!(q["redirect_uri"], "https://connector.example.com/cb");
}

fn state_of(started: &connector_accounts::StartedSignIn) -> String {
    started
        .authorize_url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

/// Login fixation (RFC 6749 §10.12): someone starts a sign-in for their own account and
/// sends the authorize URL to a victim; the victim's browser brings back a valid `state`
/// but not the starter's session binding, so the victim's tokens are never stored.
#[tokio::test]
async fn a_callback_from_another_browser_session_is_refused() {
    let store = Arc::new(MemoryTokenStore::new());
    let flow = ConnectorSignIn::new(
        app("https://connector.example.com/callback"),
        store.clone(),
        options(Arc::new(ManualClock::starting_now())),
    )
    .unwrap();
    let started = flow
        .begin(
            &AccountId::new("attacker-account").unwrap(),
            "https://contoso.crm4.dynamics.com",
        )
        .await
        .unwrap();
    let binding = started.session_binding.secret().to_owned();
    assert!(binding.len() >= 43, "32 random bytes");
    assert!(!format!("{started:?}").contains(&binding));
    let query = format!("code=victims-code&state={}", state_of(&started));
    let error = flow.complete(&query, "").await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::SessionMismatch),
        "{error:?}"
    );
    assert!(error.needs_sign_in());
    // The mismatch ends the sign-in: the state is spent even for the right binding.
    let again = flow.complete(&query, &binding).await.unwrap_err();
    assert!(matches!(again, ConnectorError::UnknownState), "{again:?}");
    for wrong in ["not-the-binding", &binding[..binding.len() - 1]] {
        let restarted = flow
            .begin(
                &AccountId::new("attacker-account").unwrap(),
                "https://contoso.crm4.dynamics.com",
            )
            .await
            .unwrap();
        let query = format!("code=victims-code&state={}", state_of(&restarted));
        let error = flow.complete(&query, wrong).await.unwrap_err();
        assert!(
            matches!(error, ConnectorError::SessionMismatch),
            "{error:?}"
        );
    }
    use connector_accounts::TokenStore as _;
    assert!(store.list().await.unwrap().is_empty(), "nothing stored");
}

/// `begin` sends a request to the org the customer typed: only Dataverse hosts, and
/// loopback only when the platform opted in (an emulator), so that it cannot be used to
/// probe other hosts or the platform's own network.
#[tokio::test]
async fn begin_accepts_dataverse_hosts_only_and_loopback_on_request() {
    let clock = Arc::new(ManualClock::starting_now());
    let strict = ConnectorSignIn::new(
        app("https://connector.example.com/callback"),
        Arc::new(MemoryTokenStore::new()),
        options(clock.clone()),
    )
    .unwrap();
    let account = AccountId::new("conn-1").unwrap();
    for org in [
        "https://169.254.169.254",
        "https://evil.example.com",
        "https://contoso.crm.dynamics.com.evil.example",
        "http://127.0.0.1:9",
        "https://localhost",
    ] {
        let error = strict.begin(&account, org).await.unwrap_err();
        assert!(
            matches!(
                error,
                ConnectorError::Invalid {
                    what: "org URL",
                    ..
                }
            ),
            "{org}: {error:?}"
        );
    }
    let loopback = strict
        .begin(&account, "http://127.0.0.1:9")
        .await
        .unwrap_err();
    assert!(
        loopback.to_string().contains("allow_loopback_orgs"),
        "{loopback}"
    );
    for org in [
        "https://contoso.crm4.dynamics.com",
        "https://contoso.crm.microsoftdynamics.us",
    ] {
        assert!(strict.begin(&account, org).await.is_ok(), "{org}");
    }
    let emulator = ConnectorSignIn::new(
        app("https://connector.example.com/callback"),
        Arc::new(MemoryTokenStore::new()),
        SignInOptions {
            allow_loopback_orgs: true,
            ..options(clock)
        },
    )
    .unwrap();
    assert!(emulator.begin(&account, "http://127.0.0.1:9").await.is_ok());
    assert!(
        emulator
            .begin(&account, "https://evil.example.com")
            .await
            .is_err()
    );
}

/// A pending sign-in whose sign-in host was changed in the store (the memory store has no
/// seal) is still checked against the trusted hosts before the code and the platform's
/// secret are sent.
#[tokio::test]
async fn complete_sends_nothing_to_an_untrusted_stored_sign_in_host() {
    use connector_accounts::{OrgUrl, PendingSignIn, TokenStore as _};
    use sha2::Digest as _;
    let attacker = wiremock::MockServer::start().await;
    let store = Arc::new(MemoryTokenStore::new());
    let flow = ConnectorSignIn::new(
        app("https://connector.example.com/callback"),
        store.clone(),
        options(Arc::new(ManualClock::starting_now())),
    )
    .unwrap();
    let hash = |text: &str| -> [u8; 32] { sha2::Sha256::digest(text.as_bytes()).into() };
    store
        .put_pending(&PendingSignIn {
            state_hash: hash("the-state"),
            account: AccountId::new("conn-1").unwrap(),
            org_url: OrgUrl::parse("https://contoso.crm4.dynamics.com").unwrap(),
            authority_host: format!("{}/", attacker.uri()),
            tenant: "organizations".into(),
            scopes: vec!["https://contoso.crm4.dynamics.com/user_impersonation".into()],
            pkce_verifier: Secret::new("verifier-value-0123456789"),
            session_binding_hash: hash("the-binding"),
            expires_at: time::OffsetDateTime::now_utc() + Duration::from_secs(600),
        })
        .await
        .unwrap();
    let error = flow
        .complete("code=abc&state=the-state", "the-binding")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::UntrustedAuthorityHost { .. }),
        "{error:?}"
    );
    assert!(
        attacker
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

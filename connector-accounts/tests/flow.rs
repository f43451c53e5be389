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
        .complete(&format!("?code=abc&state={state}"))
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
    let error = flow.complete(&format!("state={state}")).await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::MalformedCallback),
        "{error:?}"
    );
    assert!(matches!(
        flow.complete("").await,
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

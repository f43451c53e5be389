//! The flow against the emulator's Entra ID, with the platform's app signing in by
//! certificate: the tenant found from the org's challenge, code exchange and refresh with a
//! client assertion, rotation through the store, and revoked sessions asking for a new
//! sign-in.

use std::sync::Arc;

use connector_accounts::{
    AccountId, AccountStatus, AppCredential, ConnectorApp, ConnectorError, ConnectorSignIn,
    MemoryTokenStore, SignInOptions, TokenStore,
};
use dynamics_auth::ClientCertificate;
use dynamics_emulator::Emulator;

/// The browser: asks the authorize endpoint (which approves at once) and returns the query of
/// the redirect it answers with.
async fn approve(authorize_url: &url::Url) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(authorize_url.as_str()).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302, "the emulator redirects back");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    url::Url::parse(&location)
        .unwrap()
        .query()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn certificate_app_signs_in_refreshes_and_loses_revoked_sessions() {
    let emulator = Emulator::start().await.unwrap();
    let seed = emulator.defaults();
    let certificate = ClientCertificate::from_pem(
        &seed.certificate.certificate_pem,
        &seed.certificate.private_key_pem,
    )
    .unwrap();
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let flow = ConnectorSignIn::new(
        ConnectorApp {
            client_id: seed.client_id,
            credential: AppCredential::Certificate(certificate),
            redirect_uri: "http://localhost/".into(),
        },
        store.clone(),
        SignInOptions {
            authority_host: emulator.base_url().to_string(),
            allow_loopback_orgs: true,
            ..Default::default()
        },
    )
    .unwrap();
    let account = AccountId::new("cert-1").unwrap();
    let org = emulator
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();

    let started = flow.begin(&account, &org).await.unwrap();
    assert_eq!(
        started.tenant,
        seed.tenant_id.to_string(),
        "tenant found from the org's challenge"
    );
    let done = flow
        .complete(
            &approve(&started.authorize_url).await,
            started.session_binding.secret(),
        )
        .await
        .unwrap();
    assert_eq!(done.tenant, seed.tenant_id.to_string());

    // Force a refresh: the emulator spends each refresh token on use, so this also shows the
    // rotated token stored and the redeemed one kept as fallback.
    let before = store.load(&account).await.unwrap().unwrap();
    let mut expired = before.clone();
    expired.access_token = None;
    assert!(store.rotate(before.version, &expired).await.unwrap());
    let credential = flow.client_for(&account).await.unwrap();
    credential
        .access_token()
        .await
        .expect("refreshed with a client assertion");
    let after = store.load(&account).await.unwrap().unwrap();
    assert_ne!(after.refresh_token.secret(), before.refresh_token.secret());
    assert_eq!(
        after.previous_refresh_token.as_ref().unwrap().secret(),
        before.refresh_token.secret()
    );

    // "Revoke sessions": both stored tokens are refused, the account waits for its customer.
    emulator
        .seed()
        .revoke_refresh_tokens(seed.user.object_id)
        .unwrap();
    let mut expired = after.clone();
    expired.access_token = None;
    assert!(store.rotate(after.version, &expired).await.unwrap());
    let error = credential.access_token().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::ReauthorizationRequired { .. }),
        "{error:?}"
    );
    assert_eq!(
        store.load(&account).await.unwrap().unwrap().status,
        AccountStatus::ReauthorizationRequired
    );

    // A new sign-in brings it back.
    let again = flow.begin(&account, &org).await.unwrap();
    flow.complete(
        &approve(&again.authorize_url).await,
        again.session_binding.secret(),
    )
    .await
    .unwrap();
    assert_eq!(
        store.load(&account).await.unwrap().unwrap().status,
        AccountStatus::Active
    );
    flow.client_for(&account)
        .await
        .unwrap()
        .access_token()
        .await
        .unwrap();
}

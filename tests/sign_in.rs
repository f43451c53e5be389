//! Workflow: every sign-in the SDK offers (`quickstart`), each giving a token the emulator
//! accepts for the Dataverse org, with the identity and client authentication it claims.

mod common;

use std::sync::Arc;
use std::time::Duration;

use dynamics_emulator::{Claims, Emulator};
use dynamics_rs::auth::{
    AuthError, AuthorizationCodeFlow, AuthorizeOptions, ClientCertificate,
    ClientCertificateCredential, Clock, CredentialOptions, DeviceCodeCredential, EntraErrorKind,
    ManualClock, RefreshTokenCredential, TokenCache, TokenCredential, UsernamePasswordCredential,
    scopes,
};

/// Gets a token for `scope` and has the emulator validate it for the org's audience.
async fn claims(emulator: &Emulator, credential: &dyn TokenCredential, scope: &str) -> Claims {
    let token = credential
        .get_token(&[scope], None)
        .await
        .expect("sign-in succeeds");
    let audience = emulator.defaults().dataverse_url.as_str().to_string();
    emulator
        .validate_access_token(token.token.secret(), &audience)
        .expect("the emulator accepts the token for the org")
}

fn org(emulator: &Emulator) -> String {
    emulator.defaults().dataverse_url.as_str().to_string()
}

#[tokio::test]
async fn client_secret_gives_an_app_only_token() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let scope = scopes::dataverse_default(&org(&emulator)).expect("scope");
    let c = claims(&emulator, common::app_secret(&emulator).as_ref(), &scope).await;
    assert_eq!(c.idtyp, "app");
    assert_eq!(c.appid, seed.client_id);
    assert_eq!(c.tid, seed.tenant_id);
    assert_eq!(c.appidacr, "1", "authenticated with a secret");
    emulator.shutdown().await;
}

#[tokio::test]
async fn client_certificate_pem_and_pkcs12_give_app_only_tokens() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let scope = scopes::dataverse_default(&org(&emulator)).expect("scope");

    let pem = ClientCertificate::from_pem(
        &seed.certificate.certificate_pem,
        &seed.certificate.private_key_pem,
    )
    .expect("PEM certificate");
    let pfx =
        ClientCertificate::from_pkcs12(&seed.certificate.to_pkcs12("e2e").expect("PKCS#12"), "e2e")
            .expect("PKCS#12 certificate");
    assert_eq!(
        pem.thumbprint(),
        pfx.thumbprint(),
        "same certificate either way"
    );

    for certificate in [pem, pfx] {
        let credential = ClientCertificateCredential::new(
            common::authority(&emulator),
            seed.client_id,
            certificate,
            CredentialOptions::default(),
        )
        .expect("certificate credential");
        let c = claims(&emulator, &credential, &scope).await;
        assert_eq!(c.idtyp, "app");
        assert_eq!(c.appid, seed.client_id);
        assert_eq!(c.appidacr, "2", "authenticated with a certificate");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn username_password_gives_a_user_token_and_mfa_is_a_typed_error() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let scope = scopes::dataverse_user_impersonation(&org(&emulator)).expect("scope");

    let c = claims(&emulator, common::admin_user(&emulator).as_ref(), &scope).await;
    assert_eq!(c.idtyp, "user");
    assert_eq!(c.oid, seed.user.object_id);
    assert_eq!(c.appid, seed.public_client_id);

    let mfa = UsernamePasswordCredential::new(
        common::authority(&emulator),
        seed.public_client_id,
        &seed.mfa_user.upn,
        seed.mfa_user.password.clone(),
        CredentialOptions::default(),
    )
    .expect("credential");
    let error = mfa
        .get_token(&[&scope], None)
        .await
        .expect_err("an MFA account cannot use the password grant");
    let auth = AuthError::from_azure(&error).expect("an AuthError inside");
    assert!(
        matches!(auth, AuthError::Entra(e) if e.kind() == EntraErrorKind::MfaRequired),
        "MFA required, got {auth:?}"
    );
    assert!(auth.hint().is_some(), "the error says what to do instead");
    emulator.shutdown().await;
}

#[tokio::test]
async fn device_code_is_approved_and_gives_a_user_token() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let scope = scopes::dataverse_user_impersonation(&org(&emulator)).expect("scope");
    let prompts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = prompts.clone();
    // Waits between polls go through this clock: they return at once and are recorded.
    let manual = Arc::new(ManualClock::starting_now());
    let clock: Arc<dyn Clock> = manual.clone();
    let device = DeviceCodeCredential::new(
        common::authority(&emulator),
        seed.public_client_id,
        move |info| seen.lock().expect("prompt list").push(info.message.clone()),
        CredentialOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    )
    .expect("device code credential");
    let c = claims(&emulator, &device, &scope).await;
    assert_eq!(c.idtyp, "user");
    assert_eq!(c.appid, seed.public_client_id);
    assert_eq!(
        prompts.lock().expect("prompt list").len(),
        1,
        "the user was shown one prompt"
    );
    // The emulator asks for interval 0 and approves on the first poll: the credential still
    // waits the RFC 8628 minimum it enforces (one second) before that poll, and polls once.
    assert_eq!(manual.sleeps(), vec![Duration::from_secs(1)]);
    emulator.shutdown().await;
}

/// Plays the user's browser: the emulator approves at once and redirects with the code.
async fn follow_authorize(url: &url::Url) -> url::Url {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
        .get(url.clone())
        .send()
        .await
        .expect("authorize endpoint answers");
    let location = response
        .headers()
        .get("location")
        .expect("the authorize endpoint redirects")
        .to_str()
        .expect("ASCII location");
    url::Url::parse(location).expect("absolute redirect")
}

#[tokio::test]
async fn authorization_code_with_pkce_then_refresh_token() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let scope = scopes::dataverse_user_impersonation(&org(&emulator)).expect("scope");
    let flow = AuthorizationCodeFlow::new(
        common::authority(&emulator),
        seed.public_client_id,
        &seed.redirect_uri,
        CredentialOptions::default(),
    )
    .expect("flow");
    let request = flow.authorize_url(&[&scope], &AuthorizeOptions::default());
    let pairs: Vec<(String, String)> = request.url().query_pairs().into_owned().collect();
    assert!(pairs.contains(&("code_challenge_method".into(), "S256".into())));
    assert!(pairs.iter().any(|(k, _)| k == "code_challenge"));

    let redirect = follow_authorize(request.url()).await;
    let signed_in = flow
        .complete(&request, &redirect)
        .await
        .expect("code redeemed");
    let c = claims(&emulator, &signed_in, &scope).await;
    assert_eq!(c.idtyp, "user");

    // The refresh token, stored and resumed later, signs in without the user.
    let stored = signed_in.refresh_token().await;
    let resumed = RefreshTokenCredential::new(
        common::authority(&emulator),
        seed.public_client_id,
        stored,
        CredentialOptions::default(),
    )
    .expect("refresh credential");
    let again = claims(&emulator, &resumed, &scope).await;
    assert_eq!(again.oid, c.oid, "the same user, without a browser");
    emulator.shutdown().await;
}

#[tokio::test]
async fn token_cache_reuses_a_valid_token() {
    let emulator = common::start().await;
    let scope = scopes::dataverse_default(&org(&emulator)).expect("scope");
    let cache = TokenCache::new(common::app_secret(&emulator));
    cache.token(&[&scope]).await.expect("first token");
    let before = emulator.token_requests();
    for _ in 0..50 {
        cache.token(&[&scope]).await.expect("cached token");
    }
    assert_eq!(emulator.token_requests(), before, "no new token requests");
    emulator.shutdown().await;
}

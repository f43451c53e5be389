//! Every credential against the emulator's sign-in service: the happy paths, and each AADSTS
//! case becoming the right typed error and hint.

use std::sync::Arc;
use std::time::Duration;

use dynamics_auth::{
    AuthError, Authority, AuthorizationCodeFlow, AuthorizeOptions, ClientCertificate,
    ClientCertificateCredential, ClientSecretCredential, CredentialOptions, DeviceCodeCredential,
    EntraErrorKind, ManualClock, RefreshTokenCredential, TokenCredential,
    UsernamePasswordCredential, scopes,
};
use dynamics_emulator::{
    AppSeed, DeviceCodeBehaviour, Emulator, EmulatorConfig, SecretSeed, TestCertificate,
};
use url::Url;
use uuid::Uuid;

struct Fixture {
    emulator: Emulator,
    clock: ManualClock,
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with(EmulatorConfig::default()).await
    }

    async fn start_with(config: EmulatorConfig) -> Self {
        Fixture {
            emulator: Emulator::start_with(config).await.expect("emulator starts"),
            clock: ManualClock::starting_now(),
        }
    }

    fn authority(&self) -> Authority {
        self.authority_for(&self.emulator.defaults().tenant_id.to_string())
    }

    fn authority_for(&self, tenant: &str) -> Authority {
        Authority::with_host(self.emulator.base_url().as_str(), tenant).expect("authority")
    }

    fn options(&self) -> CredentialOptions {
        CredentialOptions {
            clock: Arc::new(self.clock.clone()),
            max_retries: 0,
            ..Default::default()
        }
    }

    fn dataverse_scope(&self) -> String {
        scopes::dataverse_default(self.emulator.defaults().dataverse_url.as_str()).expect("scope")
    }

    fn user_scope(&self) -> String {
        scopes::dataverse_user_impersonation(self.emulator.defaults().dataverse_url.as_str())
            .expect("scope")
    }

    fn secret_credential(&self, secret: &str) -> ClientSecretCredential {
        let d = self.emulator.defaults();
        ClientSecretCredential::new(
            self.authority(),
            d.client_id,
            secret.to_string(),
            self.options(),
        )
        .expect("credential")
    }

    fn password_credential(
        &self,
        client_id: Uuid,
        username: &str,
        password: &str,
    ) -> UsernamePasswordCredential {
        UsernamePasswordCredential::new(
            self.authority(),
            client_id,
            username,
            password.to_string(),
            self.options(),
        )
        .expect("credential")
    }

    /// Checks a token the emulator issued: valid signature, audience, and the claims given.
    fn check_token(&self, token: &str, audience: &str) -> dynamics_emulator::Claims {
        self.emulator
            .validate_access_token(token, audience)
            .unwrap_or_else(|e| panic!("the emulator rejects its own token: {e:?}"))
    }
}

fn auth_error(e: &azure_core::Error) -> AuthError {
    AuthError::from_azure(e)
        .cloned()
        .unwrap_or_else(|| panic!("not an AuthError: {e:?}"))
}

/// Runs `credential` for `scope`, expects an Entra error with `code`, and checks its kind and hint.
async fn expect_code(
    credential: &dyn TokenCredential,
    scope: &str,
    code: u32,
    kind: EntraErrorKind,
    hint_mentions: &str,
) -> AuthError {
    let err = credential
        .get_token(&[scope], None)
        .await
        .expect_err("must fail");
    let auth = auth_error(&err);
    let entra = auth
        .entra()
        .unwrap_or_else(|| panic!("not an Entra error: {auth:?}"));
    assert_eq!(entra.aadsts(), Some(code), "{auth}");
    assert_eq!(entra.kind(), kind, "{auth}");
    let hint = auth.hint().unwrap_or_else(|| panic!("no hint for {code}"));
    assert!(hint.contains(hint_mentions), "hint for {code}: {hint}");
    assert!(
        auth.to_string().contains(&format!("AADSTS{code}")),
        "{auth}"
    );
    auth
}

#[tokio::test]
async fn client_secret_gets_an_app_only_token_for_dataverse() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let token = f
        .secret_credential(&d.client_secret)
        .get_token(&[&f.dataverse_scope()], None)
        .await
        .expect("token");
    let audience = scopes::dataverse_resource(d.dataverse_url.as_str()).expect("resource");
    let claims = f.check_token(token.token.secret(), &audience);
    assert!(claims.is_app_only());
    assert!(token.expires_on > f.clock_now() + Duration::from_secs(3000));
}

#[tokio::test]
async fn certificate_the_registered_one_works_and_another_is_rejected() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let registered = ClientCertificate::from_pem(
        &d.certificate.certificate_pem,
        &d.certificate.private_key_pem,
    )
    .expect("registered cert");
    let credential =
        ClientCertificateCredential::new(f.authority(), d.client_id, registered, f.options())
            .expect("credential");
    credential
        .get_token(&[&f.dataverse_scope()], None)
        .await
        .expect("token with the registered certificate");

    let pfx = d.certificate.to_pkcs12("pw").expect("pfx");
    let from_pfx = ClientCertificate::from_pkcs12(&pfx, "pw").expect("pkcs12");
    let credential =
        ClientCertificateCredential::new(f.authority(), d.client_id, from_pfx, f.options())
            .expect("credential");
    credential
        .get_token(&[&f.dataverse_scope()], None)
        .await
        .expect("token with the PKCS#12 form");

    let stranger = TestCertificate::generate("not registered").expect("cert");
    let stranger =
        ClientCertificate::from_pem(&stranger.certificate_pem, &stranger.private_key_pem)
            .expect("cert");
    let credential =
        ClientCertificateCredential::new(f.authority(), d.client_id, stranger, f.options())
            .expect("credential");
    let err = credential
        .get_token(&[&f.dataverse_scope()], None)
        .await
        .expect_err("unregistered certificate");
    let auth = auth_error(&err);
    assert_eq!(
        auth.entra().map(|e| e.kind()),
        Some(EntraErrorKind::InvalidClientAssertion),
        "{auth}"
    );
    assert!(
        auth.hint()
            .expect("hint")
            .contains("upload this certificate")
    );
}

#[tokio::test]
async fn configuration_mistakes_become_typed_errors_with_fixes() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let scope = f.dataverse_scope();

    // AADSTS90002: unknown tenant.
    let unknown_tenant = ClientSecretCredential::new(
        f.authority_for(&Uuid::new_v4().to_string()),
        d.client_id,
        d.client_secret.clone(),
        f.options(),
    )
    .expect("credential");
    expect_code(
        &unknown_tenant,
        &scope,
        90002,
        EntraErrorKind::TenantNotFound,
        "tenant",
    )
    .await;

    // AADSTS700016: unknown application.
    let unknown_app =
        ClientSecretCredential::new(f.authority(), Uuid::new_v4(), "whatever", f.options())
            .expect("credential");
    expect_code(
        &unknown_app,
        &scope,
        700016,
        EntraErrorKind::ApplicationNotFound,
        "client id",
    )
    .await;

    // AADSTS7000215: wrong secret.
    let wrong_secret = f.secret_credential("not-the-secret");
    expect_code(
        &wrong_secret,
        &scope,
        7000215,
        EntraErrorKind::InvalidClientSecret,
        "secret",
    )
    .await;

    // AADSTS500011: unknown resource.
    let good = f.secret_credential(&d.client_secret);
    expect_code(
        &good,
        "https://nosuchorg.crm4.dynamics.com/.default",
        500011,
        EntraErrorKind::ResourceNotFound,
        "org or service URL",
    )
    .await;
}

#[tokio::test]
async fn an_expired_secret_says_to_make_a_new_one() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let app_id = Uuid::new_v4();
    let mut app = AppSeed::new(app_id, "expired secret app");
    app.secrets.push(SecretSeed {
        value: "old-secret".into(),
        expires: Some(time::OffsetDateTime::now_utc() - Duration::from_secs(86_400)),
    });
    f.emulator.seed().add_app(d.tenant_id, app).expect("seeded");
    let credential = ClientSecretCredential::new(f.authority(), app_id, "old-secret", f.options())
        .expect("credential");
    expect_code(
        &credential,
        &f.dataverse_scope(),
        7000222,
        EntraErrorKind::ExpiredClientSecret,
        "expired",
    )
    .await;
}

#[tokio::test]
async fn password_sign_in_and_its_failures() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let scope = f.user_scope();
    let public = d.public_client_id;

    let ok = f.password_credential(public, &d.user.upn, &d.user.password);
    let token = ok.get_token(&[&scope], None).await.expect("token");
    let audience = scopes::dataverse_resource(d.dataverse_url.as_str()).expect("resource");
    let claims = f.check_token(token.token.secret(), &audience);
    assert!(!claims.is_app_only());
    assert!(
        claims.scopes().contains(&"user_impersonation"),
        "{:?}",
        claims.scopes()
    );

    let wrong_password = f.password_credential(public, &d.user.upn, "wrong");
    expect_code(
        &wrong_password,
        &scope,
        50126,
        EntraErrorKind::InvalidUsernameOrPassword,
        "password",
    )
    .await;

    let unknown_user = f.password_credential(public, "nobody@contoso.onmicrosoft.com", "x");
    expect_code(
        &unknown_user,
        &scope,
        50034,
        EntraErrorKind::UserNotFound,
        "user",
    )
    .await;

    let mfa = f.password_credential(public, &d.mfa_user.upn, &d.mfa_user.password);
    expect_code(
        &mfa,
        &scope,
        50076,
        EntraErrorKind::MfaRequired,
        "device code",
    )
    .await;

    let enrol = f.password_credential(
        public,
        &d.mfa_enrollment_user.upn,
        &d.mfa_enrollment_user.password,
    );
    expect_code(
        &enrol,
        &scope,
        50079,
        EntraErrorKind::MfaEnrollmentRequired,
        "device code",
    )
    .await;
}

#[tokio::test]
async fn missing_consent_comes_with_the_admin_consent_url() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let app_id = Uuid::new_v4();
    let mut app = AppSeed::new(app_id, "never consented");
    app.public_client = true;
    app.redirect_uris.push("http://localhost".into());
    f.emulator.seed().add_app(d.tenant_id, app).expect("seeded");

    let credential = f.password_credential(app_id, &d.user.upn, &d.user.password);
    let auth = expect_code(
        &credential,
        &f.user_scope(),
        65001,
        EntraErrorKind::ConsentRequired,
        "adminconsent",
    )
    .await;
    let url = auth
        .entra()
        .and_then(|e| e.admin_consent_url.clone())
        .expect("consent url");
    assert!(url.contains(&format!("client_id={app_id}")), "{url}");

    // The administrator consents; the same sign-in now works.
    let consent = Url::parse(&url).expect("url");
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{consent}&redirect_uri=http%3A%2F%2Flocalhost"))
        .send()
        .await
        .expect("consent page");
    assert_eq!(redirect.status().as_u16(), 302);
    credential
        .get_token(&[&f.user_scope()], None)
        .await
        .expect("token after consent");
}

#[tokio::test]
async fn device_code_is_approved_after_several_polls() {
    let f = Fixture::start_with(EmulatorConfig {
        device_code: DeviceCodeBehaviour {
            auto_approve_after_polls: Some(3),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let d = f.emulator.defaults();
    let shown = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = shown.clone();
    let credential = DeviceCodeCredential::new(
        f.authority(),
        d.public_client_id,
        move |info| sink.lock().expect("lock").push(info.clone()),
        f.options(),
    )
    .expect("credential");

    let token = credential
        .get_token(&[&f.user_scope()], None)
        .await
        .expect("token");
    assert!(!token.token.secret().is_empty());
    let shown = shown.lock().expect("lock").clone();
    assert_eq!(shown.len(), 1, "the user is prompted once");
    assert!(!shown[0].user_code.is_empty());
    assert!(shown[0].verification_uri.starts_with("http"));
    // Three polls, each after the 5 s interval.
    assert_eq!(f.clock.sleeps(), vec![Duration::from_secs(5); 3]);

    // Later calls use the refresh token: no new prompt, no new polling.
    let other =
        scopes::dataverse_user_impersonation("https://contoso.crm.dynamics.com").expect("scope");
    credential
        .get_token(&[&other], None)
        .await
        .expect("silent token");
    assert_eq!(f.clock.sleeps().len(), 3);
}

#[tokio::test]
async fn device_code_slow_down_adds_five_seconds() {
    let f = Fixture::start_with(EmulatorConfig {
        device_code: DeviceCodeBehaviour {
            auto_approve_after_polls: Some(4),
            slow_down_on_poll: Some(2),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let d = f.emulator.defaults();
    let credential =
        DeviceCodeCredential::new(f.authority(), d.public_client_id, |_| {}, f.options())
            .expect("credential");
    credential
        .get_token(&[&f.user_scope()], None)
        .await
        .expect("token");
    let secs: Vec<u64> = f.clock.sleeps().iter().map(Duration::as_secs).collect();
    assert_eq!(secs, vec![5, 5, 10, 10]);
}

#[tokio::test]
async fn device_code_declined_and_expired() {
    let f = Fixture::start_with(EmulatorConfig {
        device_code: DeviceCodeBehaviour {
            auto_approve_after_polls: None,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let d = f.emulator.defaults();
    let scope = f.user_scope();

    // Declined: the "user" declines as soon as the code is shown.
    let seeder = f.emulator.seed();
    let credential = DeviceCodeCredential::new(
        f.authority(),
        d.public_client_id,
        move |info| {
            seeder
                .decline_device_code(&info.user_code)
                .expect("declined")
        },
        f.options(),
    )
    .expect("credential");
    let err = credential
        .get_token(&[&scope], None)
        .await
        .expect_err("declined");
    assert!(
        matches!(auth_error(&err), AuthError::DeviceCodeDeclined),
        "{err:?}"
    );

    // Expired on the server: its clock passes the code's lifetime while the user dawdles.
    let emulator_clock = f.emulator.clock_handle();
    let credential = DeviceCodeCredential::new(
        f.authority(),
        d.public_client_id,
        move |_| emulator_clock.advance(Duration::from_secs(901)),
        f.options(),
    )
    .expect("credential");
    let err = credential
        .get_token(&[&scope], None)
        .await
        .expect_err("expired");
    let auth = auth_error(&err);
    assert!(matches!(auth, AuthError::DeviceCodeExpired), "{auth:?}");
    assert!(auth.hint().is_some());
}

#[tokio::test]
async fn device_code_expiry_is_also_enforced_by_the_client() {
    let f = Fixture::start_with(EmulatorConfig {
        device_code: DeviceCodeBehaviour {
            auto_approve_after_polls: None,
            lifetime_secs: 60,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let d = f.emulator.defaults();
    let credential =
        DeviceCodeCredential::new(f.authority(), d.public_client_id, |_| {}, f.options())
            .expect("credential");
    let err = credential
        .get_token(&[&f.user_scope()], None)
        .await
        .expect_err("never approved");
    assert!(
        matches!(auth_error(&err), AuthError::DeviceCodeExpired),
        "{err:?}"
    );
    // 60 s at a 5 s interval: the client stops at its own deadline, without a 13th poll.
    assert_eq!(f.clock.sleeps().len(), 12);
}

/// Plays the browser: follows the authorize URL to the emulator, which approves at once and
/// redirects back with the code.
async fn browse(url: &Url) -> Url {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(url.clone())
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status().as_u16(), 302, "authorize should redirect");
    let location = response.headers()["location"].to_str().expect("location");
    Url::parse(location).expect("redirect URL")
}

#[tokio::test]
async fn authorization_code_with_pkce_then_rotating_refresh_tokens() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let flow = AuthorizationCodeFlow::new(
        f.authority(),
        d.public_client_id,
        &d.redirect_uri,
        f.options(),
    )
    .expect("flow");
    let request = flow.authorize_url(
        &[&f.user_scope()],
        &AuthorizeOptions {
            login_hint: Some(d.user.upn.clone()),
            ..Default::default()
        },
    );
    let redirect = browse(request.url()).await;
    assert_eq!(
        redirect
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned()),
        Some(request.state().to_string())
    );

    let rotated = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = rotated.clone();
    let credential = flow
        .complete(&request, &redirect)
        .await
        .expect("code exchanged")
        .on_rotate(move |rt| sink.lock().expect("lock").push(rt.secret().to_string()));
    let first_refresh_token = credential.refresh_token().await;

    // The first token came with the code: no refresh needed.
    credential
        .get_token(&[&f.user_scope()], None)
        .await
        .expect("first token");
    assert!(rotated.lock().expect("lock").is_empty());

    // Another resource: a refresh, and the refresh token rotates.
    let other =
        scopes::dataverse_user_impersonation("https://contoso.crm.dynamics.com").expect("scope");
    let token = credential
        .get_token(&[&other], None)
        .await
        .expect("refreshed token");
    f.check_token(token.token.secret(), "https://contoso.crm.dynamics.com");
    let after_first = credential.refresh_token().await;
    assert_ne!(
        after_first.secret(),
        first_refresh_token.secret(),
        "rotated"
    );
    assert_eq!(
        rotated.lock().expect("lock").as_slice(),
        [after_first.secret().to_string()]
    );

    // And the rotated one is used next time.
    credential
        .get_token(&[&f.user_scope()], None)
        .await
        .expect("second refresh");
    assert_eq!(rotated.lock().expect("lock").len(), 2);

    // The old refresh token was spent: using it again fails, and says to sign in again.
    let stale = RefreshTokenCredential::new(
        f.authority(),
        d.public_client_id,
        first_refresh_token,
        f.options(),
    )
    .expect("credential");
    expect_code(
        &stale,
        &f.user_scope(),
        70008,
        EntraErrorKind::RefreshTokenExpired,
        "sign in again",
    )
    .await;
}

#[tokio::test]
async fn authorization_code_rejects_a_wrong_verifier_and_a_wrong_state() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let flow = AuthorizationCodeFlow::new(
        f.authority(),
        d.public_client_id,
        &d.redirect_uri,
        f.options(),
    )
    .expect("flow");

    // A forged state is refused before anything is sent.
    let request = flow.authorize_url(&[&f.user_scope()], &AuthorizeOptions::default());
    let err = flow
        .exchange_code(&request, "some-code", "forged-state")
        .await
        .expect_err("state");
    assert!(matches!(err, AuthError::StateMismatch));

    // A verifier that does not match the challenge is refused by the server.
    let redirect = browse(request.url()).await;
    let code = redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let tampered = dynamics_auth::AuthorizationRequest::from_parts(
        request.url().clone(),
        request.state().to_string(),
        "a-verifier-of-someone-else-0123456789abcdefghijk".into(),
        request.scopes().to_vec(),
    );
    let err = flow
        .exchange_code(&tampered, &code, request.state())
        .await
        .expect_err("verifier");
    assert_eq!(
        err.entra().map(|e| e.kind()),
        Some(EntraErrorKind::PkceMismatch),
        "{err}"
    );
}

#[tokio::test]
async fn refresh_tokens_expire_from_inactivity_and_by_revocation() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let flow = AuthorizationCodeFlow::new(
        f.authority(),
        d.public_client_id,
        &d.redirect_uri,
        f.options(),
    )
    .expect("flow");

    let sign_in = || async {
        let request = flow.authorize_url(&[&f.user_scope()], &AuthorizeOptions::default());
        let redirect = browse(request.url()).await;
        flow.complete(&request, &redirect).await.expect("signed in")
    };
    let other =
        scopes::dataverse_user_impersonation("https://contoso.crm.dynamics.com").expect("scope");

    // Inactive for longer than the refresh token lifetime: AADSTS700082.
    let credential = sign_in().await;
    f.emulator
        .advance_clock(Duration::from_secs(91 * 24 * 3600));
    expect_code(
        &credential,
        &other,
        700082,
        EntraErrorKind::RefreshTokenExpired,
        "sign in again",
    )
    .await;

    // Revoked (for example after a password reset): AADSTS70008.
    let credential = sign_in().await;
    f.emulator
        .seed()
        .revoke_refresh_tokens(d.user.object_id)
        .expect("revoked");
    expect_code(
        &credential,
        &other,
        70008,
        EntraErrorKind::RefreshTokenExpired,
        "sign in again",
    )
    .await;
}

#[tokio::test]
async fn an_azure_identity_credential_drives_our_token_cache() {
    let f = Fixture::start().await;
    let d = f.emulator.defaults();
    let credential = azure_identity_support::client_secret_credential(
        &f.emulator,
        &d.tenant_id.to_string(),
        &d.client_id.to_string(),
        &d.client_secret,
    );
    let cache = dynamics_auth::TokenCache::new(credential);
    let scope = f.dataverse_scope();
    let first = cache
        .token(&[&scope])
        .await
        .expect("token via azure_identity");
    let second = cache.token(&[&scope]).await.expect("cached");
    assert_eq!(first.token.secret(), second.token.secret());
    let audience = scopes::dataverse_resource(d.dataverse_url.as_str()).expect("resource");
    let claims = f.check_token(first.token.secret(), &audience);
    assert!(claims.is_app_only());
    assert_eq!(
        f.emulator.token_requests(),
        1,
        "the second call came from our cache"
    );
}

impl Fixture {
    fn clock_now(&self) -> time::OffsetDateTime {
        dynamics_auth::Clock::now(&self.clock)
    }
}

mod azure_identity_support {
    //! `azure_identity` insists on an `https` authority host. The test gives it one,
    //! `https://login.emulator.test`, and a transport that carries its requests to the
    //! emulator on loopback: the credential itself runs unmodified.

    use std::sync::Arc;

    use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
    use azure_core::http::{AsyncRawResponse, ClientOptions, HttpClient, Request, Transport};
    use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
    use dynamics_auth::TokenCredential;
    use dynamics_emulator::Emulator;
    use url::Url;

    #[derive(Debug)]
    struct ToEmulator {
        emulator: Url,
        http: reqwest::Client,
    }

    #[async_trait::async_trait]
    impl HttpClient for ToEmulator {
        async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
            let mut request = request.clone();
            let url = request.url_mut();
            assert_eq!(
                url.host_str(),
                Some("login.emulator.test"),
                "only the test authority is routed"
            );
            url.set_scheme("http").expect("scheme");
            url.set_host(self.emulator.host_str()).expect("host");
            url.set_port(self.emulator.port()).expect("port");
            self.http.execute_request(&request).await
        }
    }

    pub(super) fn client_secret_credential(
        emulator: &Emulator,
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> Arc<dyn TokenCredential> {
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = "https://login.emulator.test".to_string();
        let options = ClientSecretCredentialOptions {
            client_options: ClientOptions {
                cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
                transport: Some(Transport::new(Arc::new(ToEmulator {
                    emulator: emulator.base_url().clone(),
                    http: reqwest::Client::new(),
                }))),
                ..Default::default()
            },
        };
        ClientSecretCredential::new(
            tenant,
            client_id.to_string(),
            secret.to_string().into(),
            Some(options),
        )
        .expect("azure_identity credential")
    }
}

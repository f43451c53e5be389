//! Every credential and every error, rendered with `{:?}` and `{}`, and every `tracing` line
//! written while they work, are searched for the secrets they handle.

use std::io::Write;
use std::sync::{Arc, Mutex};

use dynamics_auth::{
    AuthError, Authority, AuthorizationCodeFlow, AuthorizeOptions, ClientCertificate,
    ClientCertificateCredential, ClientSecretCredential, CredentialOptions, DeviceCodeCredential,
    RefreshTokenCredential, StaticTokenCredential, TokenCache, TokenCredential,
    UsernamePasswordCredential,
};
use dynamics_emulator::TestCertificate;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use uuid::Uuid;

const CLIENT_ID: Uuid = Uuid::from_u128(0x11111111_2222_3333_4444_555555555555);
const TENANT: &str = "contoso.onmicrosoft.com";
const SCOPE: &str = "https://contoso.crm.dynamics.com/.default";

const CLIENT_SECRET: &str = "CLIENT-SECRET-VALUE-9f8e7d";
const PASSWORD: &str = "USER-PASSWORD-VALUE-1a2b3c";
const REFRESH_TOKEN: &str = "REFRESH-TOKEN-VALUE-4d5e6f";
const ISSUED_REFRESH_TOKEN: &str = "ISSUED-REFRESH-TOKEN-7g8h9i";
const ACCESS_TOKEN: &str = "ACCESS-TOKEN-VALUE-0j1k2l";
const USER_LOCAL_PART: &str = "jane.doe.private";

/// Collects everything `tracing` writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} leaks `{secret}`:\n{text}");
    }
}

fn render(value: &(impl std::fmt::Debug + ?Sized)) -> String {
    format!("{value:?}")
}

fn render_error(e: &azure_core::Error) -> String {
    let mut out = format!("{e} {e:?}");
    if let Some(auth) = AuthError::from_azure(e) {
        out.push_str(&format!(" {auth} {auth:?} {:?}", auth.hint()));
    }
    out
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_debug_display_errors_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let cert = TestCertificate::generate("leak test").expect("cert");
    let key_body: String = cert
        .private_key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let pfx_password = "PFX-PASSWORD-VALUE-3m4n";
    let secrets = [
        CLIENT_SECRET,
        PASSWORD,
        REFRESH_TOKEN,
        ISSUED_REFRESH_TOKEN,
        ACCESS_TOKEN,
        USER_LOCAL_PART,
        pfx_password,
        &key_body[..64],
        &key_body[key_body.len() - 64..],
    ];

    let server = MockServer::start().await;
    // Bad secret / wrong password answers, then successful answers that issue tokens.
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_secret="))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
            "error_codes": [7000215]
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=password"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": "AADSTS50126: Error validating credentials due to invalid username or password.",
            "error_codes": [50126]
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "access_token": ACCESS_TOKEN,
            "refresh_token": ISSUED_REFRESH_TOKEN,
        })))
        .mount(&server)
        .await;

    let authority = Authority::with_host(&server.uri(), TENANT).expect("authority");
    let options = CredentialOptions::default();
    let username = format!("{USER_LOCAL_PART}@contoso.onmicrosoft.com");

    let secret_credential =
        ClientSecretCredential::new(authority.clone(), CLIENT_ID, CLIENT_SECRET, options.clone())
            .expect("secret");
    let certificate =
        ClientCertificate::from_pkcs12(&cert.to_pkcs12(pfx_password).expect("pfx"), pfx_password)
            .expect("pkcs12");
    let certificate_credential = ClientCertificateCredential::new(
        authority.clone(),
        CLIENT_ID,
        certificate.clone(),
        options.clone(),
    )
    .expect("certificate");
    let password_credential = UsernamePasswordCredential::new(
        authority.clone(),
        CLIENT_ID,
        &username,
        PASSWORD,
        options.clone(),
    )
    .expect("password");
    let refresh_credential =
        RefreshTokenCredential::new(authority.clone(), CLIENT_ID, REFRESH_TOKEN, options.clone())
            .expect("refresh");
    let static_credential = StaticTokenCredential::new(
        ACCESS_TOKEN,
        time::OffsetDateTime::now_utc() + std::time::Duration::from_secs(600),
    );
    let device_credential =
        DeviceCodeCredential::new(authority.clone(), CLIENT_ID, |_| {}, options.clone())
            .expect("device");
    let flow = AuthorizationCodeFlow::new(
        authority.clone(),
        CLIENT_ID,
        "http://localhost:8400/cb",
        options.clone(),
    )
    .expect("flow")
    .with_client_secret(CLIENT_SECRET);
    let request = flow.authorize_url(&[SCOPE], &AuthorizeOptions::default());
    let cache = TokenCache::new(Arc::new(refresh_credential.clone()));

    let mut rendered = vec![
        render(&secret_credential),
        render(&certificate),
        render(&certificate_credential),
        render(&password_credential),
        render(&refresh_credential),
        render(&static_credential),
        render(&device_credential),
        render(&flow),
        render(&request),
        render(&cache),
        render(&options),
    ];

    // Failures that carry the secrets in their requests.
    let e = secret_credential
        .get_token(&[SCOPE], None)
        .await
        .expect_err("bad secret");
    assert_eq!(
        AuthError::from_azure(&e).and_then(AuthError::aadsts),
        Some(7000215)
    );
    rendered.push(render_error(&e));
    let e = password_credential
        .get_token(&[SCOPE], None)
        .await
        .expect_err("bad password");
    assert_eq!(
        AuthError::from_azure(&e).and_then(AuthError::aadsts),
        Some(50126)
    );
    rendered.push(render_error(&e));
    let e = StaticTokenCredential::new(ACCESS_TOKEN, time::OffsetDateTime::UNIX_EPOCH)
        .get_token(&[SCOPE], None)
        .await
        .expect_err("expired static token");
    rendered.push(render_error(&e));

    // Successes that handle tokens.
    let token = certificate_credential
        .get_token(&[SCOPE], None)
        .await
        .expect("certificate token");
    rendered.push(render(&token));
    let token = cache.token(&[SCOPE]).await.expect("refreshed token");
    rendered.push(render(&token));
    rendered.push(render(&refresh_credential.refresh_token().await));
    rendered.push(render(&cache));

    for (i, text) in rendered.iter().enumerate() {
        assert_clean(&format!("rendering #{i}"), text, &secrets);
    }
    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        logs.contains("entra_token_request"),
        "tracing captured nothing:\n{logs}"
    );
    assert_clean("the tracing output", &logs, &secrets);
}

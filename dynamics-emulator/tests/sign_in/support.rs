//! Shared helpers: an emulator plus a plain HTTP client, form posts, JWT helpers.

use dynamics_emulator::{Emulator, EmulatorConfig, TestCertificate};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub(crate) const DATAVERSE: &str = "https://contoso.crm.dynamics.com";

/// An emulator and an HTTP client that does not follow redirects.
pub(crate) struct Env {
    pub(crate) emu: Emulator,
    pub(crate) http: reqwest::Client,
}

/// An HTTP answer: status and JSON body (`Value::Null` if the body is not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Answer {
    /// Asserts an Entra error: status, `error`, `error_codes[0]` and the description prefix.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, error: &str, code: u64) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.body["error"], error, "{:#}", self.body);
        assert_eq!(self.body["error_codes"], json!([code]), "{:#}", self.body);
        let description = self.body["error_description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{description}"
        );
        assert!(description.contains("\r\nTrace ID: "), "{description}");
        assert!(
            description.contains("\r\nCorrelation ID: "),
            "{description}"
        );
        assert!(description.contains("\r\nTimestamp: "), "{description}");
        for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
            assert!(
                self.body[field].is_string(),
                "{field} missing: {:#}",
                self.body
            );
        }
    }

    /// Asserts success and returns the body.
    #[track_caller]
    pub(crate) fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{:#}", self.body);
        &self.body
    }

    /// The `access_token` of a successful answer.
    #[track_caller]
    pub(crate) fn access_token(&self) -> &str {
        self.ok()["access_token"].as_str().expect("access_token")
    }
}

pub(crate) async fn start() -> Env {
    start_with(EmulatorConfig::default()).await
}

pub(crate) async fn start_with(config: EmulatorConfig) -> Env {
    let emu = Emulator::start_with(config).await.expect("emulator starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Env { emu, http }
}

impl Env {
    /// `{base}{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path)
    }

    /// The v2 token endpoint of the default tenant.
    pub(crate) fn token_url(&self) -> String {
        self.url(&format!(
            "{}/oauth2/v2.0/token",
            self.emu.defaults().tenant_id
        ))
    }

    pub(crate) async fn post(&self, url: &str, form: &[(&str, &str)]) -> Answer {
        self.send(self.http.post(url).form(form)).await
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request reaches the emulator");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// POST to the default tenant's v2 token endpoint.
    pub(crate) async fn token(&self, form: &[(&str, &str)]) -> Answer {
        self.post(&self.token_url(), form).await
    }

    /// Client credentials with the default confidential app's secret.
    pub(crate) async fn client_credentials(&self, scope: &str) -> Answer {
        let d = self.emu.defaults();
        self.token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &d.client_id.to_string()),
            ("client_secret", &d.client_secret),
            ("scope", scope),
        ])
        .await
    }

    /// Password grant for the default public client.
    pub(crate) async fn password(&self, username: &str, password: &str, scope: &str) -> Answer {
        let client_id = self.emu.defaults().public_client_id.to_string();
        self.token(&[
            ("grant_type", "password"),
            ("client_id", &client_id),
            ("username", username),
            ("password", password),
            ("scope", scope),
        ])
        .await
    }

    /// Password grant for the default user with `offline_access openid`.
    pub(crate) async fn alice(&self) -> Answer {
        let user = &self.emu.defaults().user;
        self.password(
            &user.upn,
            &user.password,
            &format!("{DATAVERSE}/user_impersonation offline_access openid profile"),
        )
        .await
    }
}

/// A signed client assertion for `client_id`, audience `aud`, valid around `now` (Unix seconds).
pub(crate) fn assertion(
    cert: &TestCertificate,
    client_id: &str,
    aud: &str,
    now: i64,
    alg: Algorithm,
) -> String {
    let mut header = Header::new(alg);
    header.x5t = Some(cert.x5t());
    let claims = json!({
        "aud": aud,
        "iss": client_id,
        "sub": client_id,
        "jti": format!("{now}-{}", cert.x5t()),
        "nbf": now,
        "exp": now + 600,
    });
    let key = EncodingKey::from_rsa_pem(cert.private_key_pem.as_bytes()).expect("PKCS#8 key");
    jsonwebtoken::encode(&header, &claims, &key).expect("signed")
}

/// The claims of a JWT, unverified.
pub(crate) fn claims(jwt: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(jwt)
        .expect("a JWT")
        .claims
}

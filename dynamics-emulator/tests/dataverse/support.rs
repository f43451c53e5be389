//! Shared helpers: an emulator, tokens for its Dataverse origin from its own sign-in service,
//! and Web API requests with raw reqwest.

use dynamics_emulator::{Emulator, EmulatorConfig, SeededUser};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// An emulator, an HTTP client and a token for the default admin user (alice).
pub(crate) struct Env {
    pub(crate) emu: Emulator,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
}

/// An HTTP answer: status, headers, text and JSON body (`Value::Null` when not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
    pub(crate) body: Value,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub(crate) fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{}", self.text);
        &self.body
    }

    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code`
    pub(crate) fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// `error.message`
    pub(crate) fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// The `value` array.
    pub(crate) fn values(&self) -> &Vec<Value> {
        static EMPTY: Vec<Value> = Vec::new();
        self.body["value"].as_array().unwrap_or(&EMPTY)
    }
}

pub(crate) async fn start() -> Env {
    start_with(EmulatorConfig::default()).await
}

pub(crate) async fn start_with(config: EmulatorConfig) -> Env {
    let emu = Emulator::start_with(config).await.expect("emulator starts");
    let http = http_client(&emu);
    let user = emu.defaults().user.clone();
    let token = user_token(&emu, &http, &user).await;
    Env { emu, http, token }
}

/// A client that trusts the emulator's CA when it serves HTTPS.
pub(crate) fn http_client(emu: &Emulator) -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = emu.tls_ca_pem() {
        builder = builder
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("CA PEM"));
    }
    builder.build().expect("client")
}

/// The organisation URL (emulator origin, no trailing slash).
pub(crate) fn origin(emu: &Emulator) -> String {
    emu.base_url().as_str().trim_end_matches('/').to_owned()
}

/// A delegated token for `user` on the Dataverse origin (password grant).
pub(crate) async fn user_token(
    emu: &Emulator,
    http: &reqwest::Client,
    user: &SeededUser,
) -> String {
    let scope = format!("{}/user_impersonation", origin(emu));
    user_token_for(emu, http, user, &scope).await
}

/// A delegated token for `user` with `scope` (password grant, the default public client).
pub(crate) async fn user_token_for(
    emu: &Emulator,
    http: &reqwest::Client,
    user: &SeededUser,
    scope: &str,
) -> String {
    let d = emu.defaults();
    let response: Value = http
        .post(format!(
            "{}{}/oauth2/v2.0/token",
            emu.base_url(),
            d.tenant_id
        ))
        .form(&[
            ("grant_type", "password"),
            ("client_id", d.public_client_id.to_string().as_str()),
            ("username", user.upn.as_str()),
            ("password", user.password.as_str()),
            ("scope", scope),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    response["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {response:#}"))
        .to_owned()
}

/// An app-only token of the default confidential app on the Dataverse origin.
pub(crate) async fn app_token(emu: &Emulator, http: &reqwest::Client) -> String {
    let d = emu.defaults();
    let response: Value = http
        .post(format!(
            "{}{}/oauth2/v2.0/token",
            emu.base_url(),
            d.tenant_id
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", d.client_id.to_string().as_str()),
            ("client_secret", d.client_secret.as_str()),
            ("scope", format!("{}/.default", origin(emu)).as_str()),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    response["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {response:#}"))
        .to_owned()
}

impl Env {
    /// `{base}api/data/v9.2/{path}` (absolute URLs are used as they are).
    pub(crate) fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.emu.web_api_url(), path.trim_start_matches('/'))
        }
    }

    /// Sends a request with the default token, extra headers and an optional JSON body.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        self.send_as(&self.token, method, path, headers, body).await
    }

    /// Sends a request with `token`.
    pub(crate) async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("OData-MaxVersion", "4.0")
            .header("OData-Version", "4.0")
            .header("Accept", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the emulator");
        answer(response).await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, &[], None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, &[], Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, &[], None).await
    }

    /// Creates a row and returns its ID (from `OData-EntityId`).
    pub(crate) async fn create(&self, set: &str, body: Value) -> String {
        let answer = self.post(set, body).await;
        answer.expect(204);
        let entity = answer.header("OData-EntityId").expect("OData-EntityId");
        entity
            .rsplit_once('(')
            .and_then(|(_, id)| id.strip_suffix(')'))
            .expect("id in OData-EntityId")
            .to_owned()
    }
}

/// Reads a response.
pub(crate) async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// Dataverse's code for OData query errors.
pub(crate) const ODATA_ERROR: &str = "0x80060888";

/// Percent-encodes everything but unreserved characters, for query values in a URL.
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The server still answers an ordinary query.
pub(crate) async fn assert_still_serving(env: &Env) {
    env.get("accounts?$select=name&$top=1").await.expect(200);
}

//! Shared helpers: an emulator, tokens from its sign-in service, and JSON requests.

use dynamics_emulator::{Emulator, EmulatorConfig, SeededUser};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The Online Management API resource.
pub(crate) const ADMIN: &str = "https://admin.services.crm.dynamics.com";
/// The Power Platform admin (BAP) resource.
pub(crate) const BAP: &str = "https://service.powerapps.com";
/// An api-version BAP accepts.
pub(crate) const BAP_VERSION: &str = "api-version=2020-10-01";

/// An emulator and an HTTP client.
pub(crate) struct Env {
    pub(crate) emu: Emulator,
    pub(crate) http: reqwest::Client,
}

/// An HTTP answer: status, headers and JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub(crate) fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{:#}", self.body);
        &self.body
    }

    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an error envelope.
    pub(crate) fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// `error.message` of an error envelope.
    pub(crate) fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

pub(crate) async fn start() -> Env {
    start_with(EmulatorConfig::default()).await
}

pub(crate) async fn start_with(config: EmulatorConfig) -> Env {
    let emu = Emulator::start_with(config).await.expect("emulator starts");
    Env {
        emu,
        http: reqwest::Client::new(),
    }
}

impl Env {
    /// `{base}{path}` (`path` without a leading slash).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path.trim_start_matches('/'))
    }

    /// A delegated token for `user` on `resource` (password grant, public client).
    pub(crate) async fn user_token(&self, user: &SeededUser, resource: &str) -> String {
        let d = self.emu.defaults();
        let response: Value = self
            .http
            .post(self.url(&format!("{}/oauth2/v2.0/token", d.tenant_id)))
            .form(&[
                ("grant_type", "password"),
                ("client_id", d.public_client_id.to_string().as_str()),
                ("username", user.upn.as_str()),
                ("password", user.password.as_str()),
                (
                    "scope",
                    format!("{}/.default", resource.trim_end_matches('/')).as_str(),
                ),
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

    /// A token of the default admin user (alice, Global administrator).
    pub(crate) async fn admin_token(&self, resource: &str) -> String {
        let user = self.emu.defaults().user.clone();
        self.user_token(&user, resource).await
    }

    /// An app-only token of the default confidential app (client credentials).
    pub(crate) async fn app_token(&self, resource: &str) -> String {
        let d = self.emu.defaults();
        let response: Value = self
            .http
            .post(self.url(&format!("{}/oauth2/v2.0/token", d.tenant_id)))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", d.client_id.to_string().as_str()),
                ("client_secret", d.client_secret.as_str()),
                (
                    "scope",
                    format!("{}/.default", resource.trim_end_matches('/')).as_str(),
                ),
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

    /// Sends a request to `path` (relative) or an absolute URL, with an optional token and
    /// JSON body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.url(path)
        };
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the emulator");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub(crate) async fn post(&self, path: &str, token: &str, body: Option<Value>) -> Answer {
        self.call(Method::POST, path, Some(token), body).await
    }

    /// Polls an operation URL until its status is terminal (at most 20 polls); returns the last
    /// answer and the number of polls.
    pub(crate) async fn poll_to_end(&self, location: &str, token: &str) -> (Answer, u32) {
        for poll in 1..=20 {
            let answer = self.get(location, token).await;
            let status = &answer.body["status"];
            let running = status == "NotStarted"
                || status == "Running"
                || status.as_u64() == Some(2)
                || status.as_u64() == Some(5);
            if answer.status != 200 || !running {
                return (answer, poll);
            }
        }
        panic!("the operation at {location} did not end in 20 polls");
    }
}

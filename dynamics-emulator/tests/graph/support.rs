//! Shared helpers: an emulator with generated users, app-only Graph tokens, GET helpers.

use dynamics_emulator::{AppSeed, Emulator, GeneratedUsers, PlaceSeed, SecretSeed};
use serde_json::Value;
use uuid::Uuid;

/// An emulator, an HTTP client and an app-only Graph token of the default confidential app.
pub(crate) struct Env {
    pub(crate) emu: Emulator,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
}

/// An HTTP answer: status, headers and JSON body (`Value::Null` if not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    /// Asserts success and returns the body.
    #[track_caller]
    pub(crate) fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{:#}", self.body);
        &self.body
    }

    /// Asserts a Graph error with this status and code, and the documented body shape.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{:#}", self.body);
        let error = &self.body["error"];
        assert_eq!(error["code"], code, "{:#}", self.body);
        assert!(error["message"].is_string(), "{:#}", self.body);
        for field in ["date", "request-id", "client-request-id"] {
            assert!(
                error["innerError"][field].is_string(),
                "{field}: {:#}",
                self.body
            );
        }
    }

    /// The `value` array.
    #[track_caller]
    pub(crate) fn values(&self) -> &Vec<Value> {
        self.ok()["value"].as_array().expect("value array")
    }

    /// `@odata.nextLink`, if any.
    pub(crate) fn next_link(&self) -> Option<String> {
        self.body["@odata.nextLink"].as_str().map(str::to_owned)
    }
}

/// Starts the default emulator with `count` generated users in three departments and two
/// countries, and gets an app-only Graph token.
pub(crate) async fn start(count: usize) -> Env {
    let emu = Emulator::start().await.expect("emulator starts");
    let spec = GeneratedUsers {
        departments: vec!["Sales".into(), "Support".into(), "Finance".into()],
        places: vec![
            PlaceSeed::new("Berlin", "Germany", "DE"),
            PlaceSeed::new("Lyon", "France", "FR"),
        ],
        job_titles: vec!["Agent".into(), "Manager".into()],
        ..GeneratedUsers::new(count)
    };
    emu.seed()
        .add_generated_users(emu.defaults().tenant_id, &spec)
        .expect("users");
    let http = reqwest::Client::new();
    let mut env = Env {
        emu,
        http,
        token: String::new(),
    };
    let (client_id, secret) = (
        env.emu.defaults().client_id,
        env.emu.defaults().client_secret.clone(),
    );
    env.token = env.app_token(client_id, &secret).await;
    env
}

impl Env {
    /// The tenant of the default seed.
    pub(crate) fn tenant(&self) -> Uuid {
        self.emu.defaults().tenant_id
    }

    /// An app-only token for the Graph resource.
    pub(crate) async fn app_token(&self, client_id: Uuid, secret: &str) -> String {
        let url = format!(
            "{}{}/oauth2/v2.0/token",
            self.emu.base_url(),
            self.emu.defaults().tenant_id
        );
        let scope = format!("{}/.default", self.emu.graph_resource());
        let answer: Value = self
            .http
            .post(url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id.to_string()),
                ("client_secret", secret),
                ("scope", &scope),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token JSON");
        answer["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {answer:#}"))
            .to_owned()
    }

    /// Registers an app with these Graph application permissions; returns its token.
    pub(crate) async fn token_with_roles(&self, roles: &[&str]) -> String {
        let client_id = Uuid::new_v4();
        let secret = "Graph-test-secret";
        self.emu
            .seed()
            .add_app(
                self.tenant(),
                AppSeed {
                    secrets: vec![SecretSeed::new(secret)],
                    app_roles: [(
                        self.emu.graph_resource(),
                        roles.iter().map(|r| (*r).to_owned()).collect(),
                    )]
                    .into(),
                    ..AppSeed::new(client_id, "Graph test app")
                },
            )
            .expect("app");
        self.app_token(client_id, secret).await
    }

    /// GET `{graph}{path}` with the default token.
    pub(crate) async fn get(&self, path: &str) -> Answer {
        let url = format!("{}{path}", self.emu.graph_url());
        self.get_url(&url, &self.token, &[]).await
    }

    /// GET an absolute URL (e.g. a next link) with a token and extra headers.
    pub(crate) async fn get_url(&self, url: &str, token: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.http.get(url).bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Follows next links from `path` to the end; returns every item and the last answer.
    pub(crate) async fn all_pages(&self, path: &str) -> (Vec<Value>, Answer, usize) {
        let mut answer = self.get(path).await;
        let mut items = answer.values().clone();
        let mut pages = 1;
        while let Some(next) = answer.next_link() {
            answer = self.get_url(&next, &self.token, &[]).await;
            items.extend(answer.values().iter().cloned());
            pages += 1;
            assert!(pages < 10_000, "paging does not end");
        }
        (items, answer, pages)
    }
}

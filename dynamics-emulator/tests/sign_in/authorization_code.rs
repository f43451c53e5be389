//! The authorize endpoint and authorization-code redemption with PKCE.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dynamics_emulator::AppSeed;
use sha2::{Digest, Sha256};
use url::Url;
use uuid::Uuid;

use crate::support::{Answer, DATAVERSE, Env, claims, start};

const REDIRECT: &str = "http://localhost:8765";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-entropy-here";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// GETs the authorize endpoint; returns the status and the parsed `Location` (if any).
async fn authorize(env: &Env, client_id: Uuid, extra: &[(&str, &str)]) -> (u16, Option<Url>) {
    let mut query = vec![
        ("client_id", client_id.to_string()),
        ("response_type", "code".to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        (
            "scope",
            format!("{DATAVERSE}/user_impersonation offline_access openid"),
        ),
        ("state", "xyz 123".to_owned()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".to_owned()),
    ];
    for (name, value) in extra {
        query.retain(|(existing, _)| existing != name);
        query.push((name, (*value).to_owned()));
    }
    let url = env.url(&format!(
        "{}/oauth2/v2.0/authorize",
        env.emu.defaults().tenant_id
    ));
    let response = env
        .http
        .get(url)
        .query(&query)
        .send()
        .await
        .expect("response");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Url::parse(v).ok());
    (response.status().as_u16(), location)
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

async fn redeem(env: &Env, code: &str, verifier: &str) -> Answer {
    env.token(&[
        ("grant_type", "authorization_code"),
        (
            "client_id",
            &env.emu.defaults().public_client_id.to_string(),
        ),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        (
            "scope",
            &format!("{DATAVERSE}/user_impersonation offline_access openid"),
        ),
    ])
    .await
}

async fn code(env: &Env, extra: &[(&str, &str)]) -> String {
    let (status, location) = authorize(env, env.emu.defaults().public_client_id, extra).await;
    assert_eq!(status, 302);
    let location = location.expect("location");
    query(&location)
        .get("code")
        .cloned()
        .expect("code in redirect")
}

#[tokio::test]
async fn authorize_redirects_with_code_and_state_then_s256_redeems() {
    let env = start().await;
    let (status, location) = authorize(
        &env,
        env.emu.defaults().public_client_id,
        &[("nonce", "n-1")],
    )
    .await;
    assert_eq!(status, 302);
    let location = location.expect("location");
    assert_eq!(location.host_str(), Some("localhost"));
    assert_eq!(location.port(), Some(8765));
    let params = query(&location);
    assert_eq!(params["state"], "xyz 123");
    let answer = redeem(&env, &params["code"], VERIFIER).await;
    let body = answer.ok();
    assert!(body["refresh_token"].is_string());
    let id = claims(body["id_token"].as_str().expect("id_token"));
    assert_eq!(id["nonce"], "n-1");
    let c = claims(answer.access_token());
    assert_eq!(c["oid"], env.emu.defaults().user.object_id.to_string());
    assert_eq!(c["scp"], "user_impersonation");
    // Single use.
    redeem(&env, &params["code"], VERIFIER)
        .await
        .assert_error(400, "invalid_grant", 70008);
}

#[tokio::test]
async fn wrong_verifier_is_501481_and_plain_works() {
    let env = start().await;
    let code1 = code(&env, &[]).await;
    redeem(
        &env,
        &code1,
        "a-completely-different-verifier-of-enough-length-000",
    )
    .await
    .assert_error(400, "invalid_grant", 501481);
    let plain = code(
        &env,
        &[
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    redeem(&env, &plain, VERIFIER).await.ok();
}

#[tokio::test]
async fn expired_code_is_70008() {
    let env = start().await;
    let code1 = code(&env, &[]).await;
    env.emu.advance_clock(Duration::from_secs(11 * 60));
    redeem(&env, &code1, VERIFIER)
        .await
        .assert_error(400, "invalid_grant", 70008);
}

#[tokio::test]
async fn login_hint_picks_the_user() {
    let env = start().await;
    let mfa = &env.emu.defaults().mfa_user;
    let code1 = code(&env, &[("login_hint", &mfa.upn)]).await;
    let answer = redeem(&env, &code1, VERIFIER).await;
    assert_eq!(claims(answer.access_token())["upn"], mfa.upn);
    let (status, location) = authorize(
        &env,
        env.emu.defaults().public_client_id,
        &[("login_hint", "ghost@contoso.onmicrosoft.com")],
    )
    .await;
    assert_eq!(status, 302);
    let params = query(&location.expect("location"));
    assert_eq!(params["error"], "invalid_request");
    assert!(params["error_description"].starts_with("AADSTS50034:"));
    assert_eq!(params["state"], "xyz 123");
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_an_error_page_not_a_redirect() {
    let env = start().await;
    let (status, location) = authorize(
        &env,
        env.emu.defaults().public_client_id,
        &[("redirect_uri", "https://evil.example/callback")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(location.is_none());
    let (status, location) = authorize(&env, Uuid::new_v4(), &[]).await;
    assert_eq!((status, location), (400, None));
}

#[tokio::test]
async fn redirectable_errors_carry_error_and_state() {
    let env = start().await;
    let public = env.emu.defaults().public_client_id;
    let (_, location) =
        authorize(&env, public, &[("scope", "https://nope.example/.default")]).await;
    let params = query(&location.expect("location"));
    assert_eq!(params["error"], "invalid_resource");
    assert!(params["error_description"].starts_with("AADSTS500011:"));
    assert_eq!(params["state"], "xyz 123");
    let (_, location) = authorize(&env, public, &[("response_type", "token")]).await;
    assert_eq!(
        query(&location.expect("location"))["error"],
        "unsupported_response_type"
    );
}

#[tokio::test]
async fn fragment_response_mode() {
    let env = start().await;
    let (status, location) = authorize(
        &env,
        env.emu.defaults().public_client_id,
        &[("response_mode", "fragment")],
    )
    .await;
    assert_eq!(status, 302);
    let location = location.expect("location");
    assert!(location.query().is_none());
    let fragment: HashMap<String, String> =
        url::form_urlencoded::parse(location.fragment().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    assert!(fragment.contains_key("code"));
}

#[tokio::test]
async fn missing_consent_redirects_consent_required_unless_prompted() {
    let env = start().await;
    let tenant = env.emu.defaults().tenant_id;
    let client_id = Uuid::new_v4();
    let app = AppSeed {
        public_client: true,
        redirect_uris: vec!["http://localhost".to_owned()],
        ..AppSeed::new(client_id, "Needs consent")
    };
    env.emu.seed().add_app(tenant, app).expect("app added");
    let (_, location) = authorize(&env, client_id, &[]).await;
    let params = query(&location.expect("location"));
    assert_eq!(params["error"], "consent_required");
    assert!(params["error_description"].starts_with("AADSTS65001:"));
    let (_, location) = authorize(&env, client_id, &[("prompt", "consent")]).await;
    assert!(query(&location.expect("location")).contains_key("code"));
}

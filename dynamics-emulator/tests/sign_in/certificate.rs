//! Certificate client assertions and the test-certificate helpers.

use std::time::Duration;

use dynamics_emulator::TestCertificate;
use jsonwebtoken::Algorithm;
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};

use crate::support::{Answer, DATAVERSE, Env, assertion, claims, start};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn with_assertion(env: &Env, client_assertion: &str) -> Answer {
    env.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", &env.emu.defaults().client_id.to_string()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", client_assertion),
        ("scope", &format!("{DATAVERSE}/.default")),
    ])
    .await
}

#[tokio::test]
async fn registered_certificate_is_accepted_rs256_and_ps256() {
    let env = start().await;
    let d = env.emu.defaults();
    let now = env.emu.now().unix_timestamp();
    let v2_aud = env.token_url();
    let signed = assertion(
        &d.certificate,
        &d.client_id.to_string(),
        &v2_aud,
        now,
        Algorithm::RS256,
    );
    let answer = with_assertion(&env, &signed).await;
    assert_eq!(claims(answer.access_token())["appidacr"], "2");

    let v1_aud = env.url(&format!("{}/oauth2/token", d.tenant_domain));
    let signed = assertion(
        &d.certificate,
        &d.client_id.to_string(),
        &v1_aud,
        now,
        Algorithm::PS256,
    );
    with_assertion(&env, &signed).await.ok();
}

#[tokio::test]
async fn other_certificates_and_forgeries_are_rejected() {
    let env = start().await;
    let d = env.emu.defaults();
    let now = env.emu.now().unix_timestamp();
    let client_id = d.client_id.to_string();
    let other = TestCertificate::generate("not registered").expect("certificate");
    let signed = assertion(&other, &client_id, &env.token_url(), now, Algorithm::RS256);
    with_assertion(&env, &signed)
        .await
        .assert_error(401, "invalid_client", 700027);

    // The registered certificate's thumbprint, signed with another key.
    let forged_cert = TestCertificate {
        private_key_pem: other.private_key_pem.clone(),
        ..d.certificate.clone()
    };
    let forged = assertion(
        &forged_cert,
        &client_id,
        &env.token_url(),
        now,
        Algorithm::RS256,
    );
    with_assertion(&env, &forged)
        .await
        .assert_error(401, "invalid_client", 700027);
}

#[tokio::test]
async fn assertion_claims_are_checked() {
    let env = start().await;
    let d = env.emu.defaults();
    let now = env.emu.now().unix_timestamp();
    let client_id = d.client_id.to_string();
    let wrong_aud = assertion(
        &d.certificate,
        &client_id,
        "https://login.example/token",
        now,
        Algorithm::RS256,
    );
    with_assertion(&env, &wrong_aud)
        .await
        .assert_error(401, "invalid_client", 50027);
    let other_client = assertion(
        &d.certificate,
        &d.public_client_id.to_string(),
        &env.token_url(),
        now,
        Algorithm::RS256,
    );
    with_assertion(&env, &other_client)
        .await
        .assert_error(401, "invalid_client", 700021);
    with_assertion(&env, "not-a-jwt")
        .await
        .assert_error(401, "invalid_client", 50027);

    let valid = assertion(
        &d.certificate,
        &client_id,
        &env.token_url(),
        now,
        Algorithm::RS256,
    );
    env.emu.advance_clock(Duration::from_secs(3600));
    with_assertion(&env, &valid)
        .await
        .assert_error(401, "invalid_client", 700024);
}

#[tokio::test]
async fn pkcs12_export_round_trips() {
    let cert = TestCertificate::generate("pfx test").expect("certificate");
    let pfx = cert.to_pkcs12("pa55").expect("pkcs12");
    let store = KeyStore::from_pkcs12(&pfx, "pa55", Pkcs12ImportPolicy::Strict).expect("readable");
    let (_, chain) = store.private_key_chain().expect("key chain");
    assert_eq!(
        chain.certs()[0].as_der(),
        cert.certificate_der().expect("der")
    );
    assert!(KeyStore::from_pkcs12(&pfx, "wrong", Pkcs12ImportPolicy::Strict).is_err());
    assert_eq!(cert.x5t().len(), 27);
    assert_eq!(cert.thumbprint_hex().len(), 40);
    assert!(
        cert.private_key_pem
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
}

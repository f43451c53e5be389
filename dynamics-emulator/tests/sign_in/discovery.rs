//! OIDC discovery documents and JWKS.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::support::{DATAVERSE, start};

#[tokio::test]
async fn v2_configuration_names_the_endpoints() {
    let env = start().await;
    let d = env.emu.defaults();
    for segment in [d.tenant_id.to_string(), d.tenant_domain.clone()] {
        let doc = env
            .send(
                env.http
                    .get(env.url(&format!("{segment}/v2.0/.well-known/openid-configuration"))),
            )
            .await;
        let doc = doc.ok();
        assert_eq!(doc["issuer"], env.url(&format!("{}/v2.0", d.tenant_id)));
        assert_eq!(
            doc["token_endpoint"],
            env.url(&format!("{segment}/oauth2/v2.0/token"))
        );
        assert_eq!(
            doc["authorization_endpoint"],
            env.url(&format!("{segment}/oauth2/v2.0/authorize"))
        );
        assert_eq!(
            doc["device_authorization_endpoint"],
            env.url(&format!("{segment}/oauth2/v2.0/devicecode"))
        );
        assert_eq!(
            doc["jwks_uri"],
            env.url(&format!("{segment}/discovery/v2.0/keys"))
        );
    }
}

#[tokio::test]
async fn v1_and_common_configuration() {
    let env = start().await;
    let tid = env.emu.defaults().tenant_id;
    let v1 = env
        .send(
            env.http
                .get(env.url(&format!("{tid}/.well-known/openid-configuration"))),
        )
        .await;
    assert_eq!(v1.ok()["issuer"], env.url(&format!("{tid}/")));
    assert_eq!(
        v1.ok()["token_endpoint"],
        env.url(&format!("{tid}/oauth2/token"))
    );
    let common = env
        .send(
            env.http
                .get(env.url("common/v2.0/.well-known/openid-configuration")),
        )
        .await;
    assert_eq!(common.ok()["issuer"], env.url("{tenantid}/v2.0"));
}

#[tokio::test]
async fn unknown_tenant_is_90002_everywhere() {
    let env = start().await;
    let doc = env
        .send(
            env.http
                .get(env.url("nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration")),
        )
        .await;
    doc.assert_error(400, "invalid_request", 90002);
    let token = env
        .post(
            &env.url("00000000-1111-2222-3333-444444444444/oauth2/v2.0/token"),
            &[("grant_type", "client_credentials"), ("client_id", "x")],
        )
        .await;
    token.assert_error(400, "invalid_request", 90002);
}

#[tokio::test]
async fn jwks_verifies_an_issued_token() {
    let env = start().await;
    let token = env
        .client_credentials(&format!("{DATAVERSE}/.default"))
        .await;
    let token = token.access_token().to_owned();
    for path in [
        "common/discovery/v2.0/keys",
        "contoso.onmicrosoft.com/discovery/v2.0/keys",
    ] {
        let jwks = env.send(env.http.get(env.url(path))).await;
        let key: &Value = &jwks.ok()["keys"][0];
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), key["kid"].as_str());
        assert_eq!(key["x5t"], key["kid"]);
        let decoding = DecodingKey::from_rsa_components(
            key["n"].as_str().expect("n"),
            key["e"].as_str().expect("e"),
        )
        .expect("RSA key");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[DATAVERSE]);
        validation.set_issuer(&[env.url(&format!("{}/v2.0", env.emu.defaults().tenant_id))]);
        let data = jsonwebtoken::decode::<Value>(&token, &decoding, &validation).expect("verifies");
        assert_eq!(data.claims["aud"], DATAVERSE);
    }
}

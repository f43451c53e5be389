//! Loading client certificates (PEM, bundle, PKCS#12) and the assertion they sign.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dynamics_auth::{
    Authority, ClientCertificate, ClientCertificateCredential, CredentialOptions, TokenCredential,
};
use dynamics_emulator::TestCertificate;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use uuid::Uuid;

const CLIENT_ID: Uuid = Uuid::from_u128(0x11111111_2222_3333_4444_555555555555);

/// RSA key generation costs a little: make the two test certificates once.
fn certs() -> &'static (TestCertificate, TestCertificate) {
    static CERTS: OnceLock<(TestCertificate, TestCertificate)> = OnceLock::new();
    CERTS.get_or_init(|| {
        (
            TestCertificate::generate("dynamics-auth test").expect("cert"),
            TestCertificate::generate("another").expect("cert"),
        )
    })
}

#[test]
fn pem_bundle_and_pkcs12_give_the_same_certificate() {
    let (cert, _) = certs();
    let from_pem =
        ClientCertificate::from_pem(&cert.certificate_pem, &cert.private_key_pem).expect("pem");
    assert_eq!(from_pem.thumbprint(), cert.thumbprint_hex());

    let bundle = format!("{}\n{}", cert.private_key_pem, cert.certificate_pem);
    let from_bundle = ClientCertificate::from_pem_bundle(&bundle).expect("bundle");
    assert_eq!(from_bundle.thumbprint(), cert.thumbprint_hex());

    let pfx = cert.to_pkcs12("pfx-password").expect("pfx");
    let from_pfx = ClientCertificate::from_pkcs12(&pfx, "pfx-password").expect("pkcs12");
    assert_eq!(from_pfx.thumbprint(), cert.thumbprint_hex());
}

#[test]
fn unusable_inputs_are_clear_errors() {
    let (cert, other) = certs();
    let mismatched = ClientCertificate::from_pem(&cert.certificate_pem, &other.private_key_pem)
        .expect_err("key of another certificate");
    assert!(
        mismatched.to_string().contains("does not belong"),
        "{mismatched}"
    );

    let pfx = cert.to_pkcs12("right").expect("pfx");
    let wrong_password = ClientCertificate::from_pkcs12(&pfx, "wrong").expect_err("wrong password");
    assert!(
        wrong_password.to_string().contains("password"),
        "{wrong_password}"
    );

    let no_key = ClientCertificate::from_pem(&cert.certificate_pem, &cert.certificate_pem)
        .expect_err("no key");
    assert!(no_key.to_string().contains("PRIVATE KEY"), "{no_key}");

    assert!(ClientCertificate::from_pem("garbage", "garbage").is_err());
    assert!(ClientCertificate::from_pkcs12(b"garbage", "x").is_err());

    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let e = ClientCertificate::from_pem(&cert.certificate_pem, encrypted).expect_err("encrypted");
    assert!(e.to_string().contains("encrypted"), "{e}");
}

#[derive(serde::Deserialize)]
struct Claims {
    aud: String,
    iss: String,
    sub: String,
    jti: String,
    nbf: i64,
    exp: i64,
}

#[tokio::test]
async fn the_assertion_is_signed_and_addressed_as_entra_documents() {
    let (cert, _) = certs();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "t"
        })))
        .mount(&server)
        .await;
    let credential = ClientCertificateCredential::new(
        Authority::with_host(&server.uri(), "contoso.onmicrosoft.com").expect("authority"),
        CLIENT_ID,
        ClientCertificate::from_pem(&cert.certificate_pem, &cert.private_key_pem).expect("cert"),
        CredentialOptions::default(),
    )
    .expect("credential");
    credential
        .get_token(&["https://x.crm.dynamics.com/.default"], None)
        .await
        .expect("token");

    let requests = server.received_requests().await.expect("recorded");
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&requests[0].body)
            .into_owned()
            .collect();
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(!form.contains_key("client_secret"));
    let assertion = &form["client_assertion"];

    let header = jsonwebtoken::decode_header(assertion).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.x5t.as_deref(), Some(cert.x5t().as_str()));
    let der = cert.certificate_der().expect("der");
    use sha2::Digest as _;
    assert_eq!(
        header.x5t_s256,
        Some(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&der)))
    );

    let key =
        jsonwebtoken::DecodingKey::from_rsa_pem(cert.certificate_pem.as_bytes()).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    let endpoint = format!("{}/contoso.onmicrosoft.com/oauth2/v2.0/token", server.uri());
    validation.set_audience(&[&endpoint]);
    let claims = jsonwebtoken::decode::<Claims>(assertion, &key, &validation)
        .expect("valid signature")
        .claims;
    assert_eq!(claims.aud, endpoint);
    assert_eq!(claims.iss, CLIENT_ID.to_string());
    assert_eq!(claims.sub, CLIENT_ID.to_string());
    assert_eq!(claims.exp - claims.nbf, 600);
    assert!(uuid::Uuid::parse_str(&claims.jti).is_ok());
}

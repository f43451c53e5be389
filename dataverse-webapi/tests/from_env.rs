//! `DataverseClient::from_env_with`: which variables it needs, the typed error naming the one
//! missing, and no secret in any error or Debug output.

use std::collections::HashMap;

use dataverse_webapi::{DataverseClient, FromEnvError};
use proptest::prelude::*;

const SECRET: &str = "s3cr3t-value-never-shown";

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn complete() -> Vec<(&'static str, &'static str)> {
    vec![
        ("DYNAMICS_ORG_URL", "https://contoso.crm4.dynamics.com"),
        ("DYNAMICS_TENANT_ID", "contoso.onmicrosoft.com"),
        ("DYNAMICS_CLIENT_ID", "11111111-2222-3333-4444-555555555555"),
        ("DYNAMICS_CLIENT_SECRET", SECRET),
    ]
}

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    complete().into_iter().filter(|(k, _)| *k != name).collect()
}

#[test]
fn a_client_secret_is_enough() {
    let client = DataverseClient::from_env_with(env(&complete())).expect("client");
    assert_eq!(
        client.org_url().as_str(),
        "https://contoso.crm4.dynamics.com/"
    );
    assert!(!format!("{client:?}").contains(SECRET));
}

#[test]
fn each_missing_variable_is_named() {
    for name in [
        "DYNAMICS_ORG_URL",
        "DYNAMICS_TENANT_ID",
        "DYNAMICS_CLIENT_ID",
    ] {
        let err = DataverseClient::from_env_with(env(&without(name))).expect_err(name);
        match &err {
            FromEnvError::Missing { name: missing, .. } => assert_eq!(*missing, name),
            other => panic!("{name}: {other:?}"),
        }
        assert!(err.to_string().contains(name), "{err}");
        assert!(!err.to_string().contains(SECRET));
        assert!(!format!("{err:?}").contains(SECRET));
    }
}

#[test]
fn a_blank_variable_counts_as_missing() {
    let mut vars = without("DYNAMICS_CLIENT_ID");
    vars.push(("DYNAMICS_CLIENT_ID", "   "));
    let err = DataverseClient::from_env_with(env(&vars)).expect_err("blank");
    assert!(matches!(
        err,
        FromEnvError::Missing {
            name: "DYNAMICS_CLIENT_ID",
            ..
        }
    ));
}

#[test]
fn a_client_id_that_is_not_a_guid_names_the_variable_and_where_to_find_it() {
    let mut vars = without("DYNAMICS_CLIENT_ID");
    vars.push(("DYNAMICS_CLIENT_ID", "my-connector-app"));
    let err = DataverseClient::from_env_with(env(&vars)).expect_err("not a guid");
    assert!(
        matches!(
            err,
            FromEnvError::Invalid {
                name: "DYNAMICS_CLIENT_ID",
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("DYNAMICS_CLIENT_ID"), "{text}");
    assert!(text.contains("Application (client) ID"), "{text}");
    assert!(!text.contains(SECRET));
}

#[test]
fn no_credential_lists_the_choices() {
    let err =
        DataverseClient::from_env_with(env(&without("DYNAMICS_CLIENT_SECRET"))).expect_err("none");
    assert!(matches!(err, FromEnvError::NoCredential));
    let text = err.to_string();
    assert!(text.contains("DYNAMICS_CLIENT_SECRET"), "{text}");
    assert!(text.contains("DYNAMICS_CERTIFICATE_PEM"), "{text}");
    assert!(text.contains("DYNAMICS_CERTIFICATE_PFX"), "{text}");
}

#[test]
fn two_credentials_are_refused_without_showing_the_secret() {
    let mut vars = complete();
    vars.push(("DYNAMICS_CERTIFICATE_PFX", "/nonexistent/app.pfx"));
    let err = DataverseClient::from_env_with(env(&vars)).expect_err("conflict");
    assert!(matches!(
        err,
        FromEnvError::ConflictingCredentials {
            first: "DYNAMICS_CLIENT_SECRET",
            second: "DYNAMICS_CERTIFICATE_PFX"
        }
    ));
    assert!(!err.to_string().contains(SECRET));
}

#[test]
fn a_certificate_without_its_key_names_the_key_variable() {
    let mut vars = without("DYNAMICS_CLIENT_SECRET");
    vars.push(("DYNAMICS_CERTIFICATE_PEM", "/nonexistent/cert.pem"));
    let err = DataverseClient::from_env_with(env(&vars)).expect_err("incomplete");
    assert!(
        err.to_string().contains("DYNAMICS_PRIVATE_KEY_PEM"),
        "{err}"
    );
}

#[test]
fn an_unreadable_certificate_file_names_its_variable() {
    let mut vars = without("DYNAMICS_CLIENT_SECRET");
    vars.push(("DYNAMICS_CERTIFICATE_PFX", "/nonexistent/dir/app.pfx"));
    vars.push(("DYNAMICS_CERTIFICATE_PFX_PASSWORD", SECRET));
    let err = DataverseClient::from_env_with(env(&vars)).expect_err("unreadable");
    assert!(matches!(
        err,
        FromEnvError::File {
            name: "DYNAMICS_CERTIFICATE_PFX",
            ..
        }
    ));
    assert!(!format!("{err:?}").contains(SECRET));
}

#[test]
fn a_garbage_certificate_is_a_typed_error_without_the_password() {
    let dir = std::env::temp_dir().join(format!("from_env_pfx_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("garbage.pfx");
    std::fs::write(&file, b"not a pkcs12 file").expect("write");
    let mut vars = without("DYNAMICS_CLIENT_SECRET");
    let path = file.to_string_lossy().into_owned();
    vars.push(("DYNAMICS_CERTIFICATE_PFX_PASSWORD", SECRET));
    let lookup = {
        let base = env(&vars);
        move |name: &str| {
            if name == "DYNAMICS_CERTIFICATE_PFX" {
                Some(path.clone())
            } else {
                base(name)
            }
        }
    };
    let err = DataverseClient::from_env_with(lookup).expect_err("garbage");
    std::fs::remove_dir_all(&dir).expect("cleanup");
    assert!(matches!(
        err,
        FromEnvError::Invalid {
            name: "DYNAMICS_CERTIFICATE_PFX",
            ..
        }
    ));
    assert!(!err.to_string().contains(SECRET));
    assert!(!format!("{err:?}").contains(SECRET));
}

#[test]
fn a_plain_http_org_url_is_refused_with_the_variable_named() {
    let mut vars = without("DYNAMICS_ORG_URL");
    vars.push(("DYNAMICS_ORG_URL", "http://contoso.crm4.dynamics.com"));
    let err = DataverseClient::from_env_with(env(&vars)).expect_err("http");
    assert!(matches!(err, FromEnvError::Client(_)));
    assert!(err.to_string().contains("DYNAMICS_ORG_URL"), "{err}");
    assert!(!err.to_string().contains(SECRET));
}

#[test]
fn an_unknown_cloud_is_named() {
    let mut vars = complete();
    vars.push(("DYNAMICS_CLOUD", "mars"));
    let err = DataverseClient::from_env_with(env(&vars)).expect_err("cloud");
    assert!(matches!(
        err,
        FromEnvError::Invalid {
            name: "DYNAMICS_CLOUD",
            ..
        }
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever the variables hold, the answer is a client or a typed error, and the secret
    /// never shows in the error.
    #[test]
    fn any_values_give_a_client_or_a_typed_error_without_the_secret(
        org in ".{0,40}",
        tenant in ".{0,40}",
        client_id in ".{0,40}",
        cloud in proptest::option::of("[a-z]{0,8}"),
    ) {
        let mut map = HashMap::new();
        map.insert("DYNAMICS_ORG_URL".to_string(), org);
        map.insert("DYNAMICS_TENANT_ID".to_string(), tenant);
        map.insert("DYNAMICS_CLIENT_ID".to_string(), client_id);
        map.insert("DYNAMICS_CLIENT_SECRET".to_string(), SECRET.to_string());
        if let Some(cloud) = cloud {
            map.insert("DYNAMICS_CLOUD".to_string(), cloud);
        }
        if let Err(err) = DataverseClient::from_env_with(move |name| map.get(name).cloned()) {
            let debug = format!("{err:?}");
            prop_assert!(!err.to_string().contains(SECRET));
            prop_assert!(!debug.contains(SECRET));
        }
    }
}

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// Variables for an org and a sign-in host that are both `server`.
fn local(server: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DYNAMICS_ORG_URL", server.to_string()),
        ("DYNAMICS_AUTHORITY_HOST", server.to_string()),
        ("DYNAMICS_TENANT_ID", TENANT.to_string()),
        (
            "DYNAMICS_CLIENT_ID",
            "11111111-2222-3333-4444-555555555555".to_string(),
        ),
        ("DYNAMICS_CLIENT_SECRET", SECRET.to_string()),
    ]
}

fn env_owned(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    move |name| map.get(name).cloned()
}

#[tokio::test]
async fn the_authority_host_variable_signs_in_at_that_host() {
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": "token-from-the-local-host"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/WhoAmI"))
        .and(header("Authorization", "Bearer token-from-the-local-host"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "UserId": "00000000-0000-0000-0000-000000000001",
            "BusinessUnitId": "00000000-0000-0000-0000-000000000002",
            "OrganizationId": "00000000-0000-0000-0000-000000000003"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = DataverseClient::from_env_with(env_owned(local(&server.uri()))).expect("client");
    let me = client
        .who_am_i()
        .await
        .expect("signed in at the local host");
    assert_eq!(me.user_id, uuid::Uuid::from_u128(1));
}

#[test]
fn a_refused_authority_host_is_named_without_the_secret() {
    // Plain http is only for loopback.
    let mut vars = local("https://contoso.crm4.dynamics.com");
    vars[1].1 = "http://login.example.com".to_string();
    let err = DataverseClient::from_env_with(env_owned(vars)).expect_err("refused");
    match &err {
        FromEnvError::Invalid { name, .. } => assert_eq!(*name, "DYNAMICS_AUTHORITY_HOST"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        dataverse_webapi::ENV_AUTHORITY_HOST,
        "DYNAMICS_AUTHORITY_HOST"
    );
    assert!(err.to_string().contains("DYNAMICS_AUTHORITY_HOST"), "{err}");
    assert!(!err.to_string().contains(SECRET));
    assert!(!format!("{err:?}").contains(SECRET));
}

#[test]
fn a_blank_authority_host_keeps_the_clouds_host() {
    let mut vars = local("https://contoso.crm4.dynamics.com");
    vars[1].1 = "  ".to_string();
    DataverseClient::from_env_with(env_owned(vars)).expect("the public cloud's host");
}

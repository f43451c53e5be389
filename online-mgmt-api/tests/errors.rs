//! Unhappy paths: refused operations, 401, 403, 404, 429 (retried, then given up), malformed
//! answers, non-JSON error bodies, and operations a version lacks.

mod common;

use std::time::Duration;

use online_mgmt_api::{
    AdminError, ApiVersion, InstanceType, NewInstance, NotificationQuery, OperationState,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use common::*;

fn apply_user_path() -> String {
    format!("/api/v1.2/Instances/{INSTANCE}/Users/{USER}/ApplyUser")
}

#[tokio::test]
async fn a_400_with_an_operation_status_names_subject_description_and_code() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(json_status(400, "apply-user-400-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect_err("refused");
    let AdminError::OperationFailed { status } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(status.status, OperationState::FailedToCreate);
    let text = err.to_string();
    assert!(text.contains("refused"), "{text}");
    assert!(text.contains("ApplyUser"), "{text}");
    assert!(
        text.contains("The user is not a member of the environment's security group."),
        "{text}"
    );
    assert!(text.contains("UserNotInSecurityGroup"), "{text}");
}

#[tokio::test]
async fn the_published_400_example_of_both_versions_is_read() {
    for (version, prefix, fixture) in [
        (ApiVersion::V1, "/api/v1", "provision-400-v1.json"),
        (ApiVersion::V1_2, "/api/v1.2", "provision-400-v1.2.json"),
    ] {
        let t = oma(version).await;
        Mock::given(method("PUT"))
            .and(path(format!("{prefix}/Instances/Provision")))
            .respond_with(json_status(400, fixture))
            .expect(1)
            .mount(&t.server)
            .await;
        let new = NewInstance {
            base_language: Some(1033),
            ..NewInstance::new(
                uuid("9d4c1a2b-0000-4000-8000-000000000009"),
                InstanceType::Sandbox,
                "Contoso",
                "contoso",
                "admin@contoso.onmicrosoft.com",
            )
        };
        let err = t
            .client
            .provision_instance(&new)
            .await
            .expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains(
                "ProvisioningJobCreation: There was an error creating the provisioning job."
            ),
            "{version}: {text}"
        );
        assert!(
            matches!(err, AdminError::OperationFailed { ref status } if status.status == OperationState::FailedToCreate)
        );
    }
}

#[tokio::test]
async fn a_401_says_to_check_the_region_and_tenant() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Instances"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize",
        ))
        // Once, then once more with a fresh token.
        .expect(2)
        .mount(&t.server)
        .await;
    let err = t.client.list_instances().await.expect_err("401");
    assert!(err.is_unauthorized());
    let hint = err.hint().expect("hint");
    assert!(hint.contains("region/service URL"), "{hint}");
    assert!(hint.contains("right tenant"), "{hint}");
    assert!(!err.to_string().contains(TOKEN), "the token never shows");
    assert!(!format!("{err:?}").contains(TOKEN), "not in Debug either");
}

#[tokio::test]
async fn a_403_names_the_admin_role() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/TenantApplicationIdentities"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            serde_json::json!({"Message": "Authorization has been denied for this request."}),
        ))
        .expect(1)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .list_application_identities()
        .await
        .expect_err("403");
    assert!(err.is_forbidden());
    let text = err.to_string();
    assert!(text.contains("Authorization has been denied"), "{text}");
    assert!(
        text.contains("Global or Service administrator role"),
        "{text}"
    );
    assert!(text.contains("management application"), "{text}");
}

#[tokio::test]
async fn a_404_says_what_was_not_found() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1.2/Instances/{INSTANCE}")))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .get_instance(uuid(INSTANCE))
        .await
        .expect_err("404");
    assert!(err.is_not_found());
    assert_eq!(err.http_status(), Some(404));
    let hint = err.hint().expect("hint");
    assert!(hint.contains(&format!("no instance {INSTANCE}")), "{hint}");
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_asked() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Instances"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "11"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Instances"))
        .respond_with(json("instances-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let list = t.client.list_instances().await.expect("retried");
    assert_eq!(list.len(), 2);
    assert_eq!(t.clock.sleeps(), vec![Duration::from_secs(11)]);
}

#[tokio::test]
async fn a_429_that_persists_is_throttled_with_retry_after() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "20"))
        .expect(3)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect_err("throttled");
    assert!(err.is_throttled());
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(20)));
    assert!(err.hint().expect("hint").contains("wait 20 s"));
    assert_eq!(t.clock.sleeps().len(), 2, "two retries, as configured");
}

#[tokio::test]
async fn malformed_json_is_a_typed_error() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Instances"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("[{\"Id\": \"e2a9c8b3", "application/json"),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(ResponseTemplate::new(202).set_body_raw("<html>accepted</html>", "text/html"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/v1.2/Operation/7a2e5c1b-0000-4000-8000-000000000001",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"Status": "Running"})),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    let err = t.client.list_instances().await.expect_err("truncated");
    assert!(
        matches!(
            err,
            AdminError::Decode {
                operation: "GetInstances",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("truncated JSON"), "{err}");
    let err = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect_err("not JSON");
    assert!(
        matches!(
            err,
            AdminError::Decode {
                operation: "ApplyUser",
                ..
            }
        ),
        "{err:?}"
    );
    let err = t
        .client
        .operation_status(uuid(OPERATION))
        .await
        .expect_err("no OperationId");
    assert!(err.to_string().contains("OperationId"), "{err}");
}

#[tokio::test]
async fn a_non_json_error_body_still_says_what_happened() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1.2/Instances/{INSTANCE}/Delete")))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway from the front door"))
        .expect(3)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .delete_instance(uuid(INSTANCE))
        .await
        .expect_err("502");
    assert_eq!(err.http_status(), Some(502));
    assert!(
        err.to_string().contains("Bad Gateway from the front door"),
        "{err}"
    );
}

#[tokio::test]
async fn apply_user_on_v1_sends_nothing() {
    let t = oma(ApiVersion::V1).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect_err("v1.2 only");
    assert!(
        matches!(
            err,
            AdminError::NotSupported {
                operation: "ApplyUser",
                version: ApiVersion::V1
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("v1.2"));
    for e in [
        t.client
            .list_tenant_protection_keys()
            .await
            .expect_err("keys"),
        t.client
            .reset_instance(uuid(INSTANCE), &Default::default())
            .await
            .expect_err("reset"),
    ] {
        assert!(matches!(e, AdminError::NotSupported { .. }), "{e:?}");
    }
}

#[tokio::test]
async fn bad_arguments_are_refused_before_sending() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .get_instance(uuid::Uuid::nil())
        .await
        .expect_err("nil");
    assert!(matches!(err, AdminError::InvalidInput { .. }), "{err:?}");
    let err = t
        .client
        .list_notifications(&NotificationQuery {
            tenant_id: uuid(TENANT),
            user_object_id: uuid(USER),
            ..Default::default()
        })
        .await
        .expect_err("no environments");
    assert!(err.hint().expect("fix").contains("ids of the instances"));
    let err = t
        .client
        .provision_instance(&NewInstance::default())
        .await
        .expect_err("empty");
    assert!(err.to_string().contains("service_version_id"), "{err}");
}

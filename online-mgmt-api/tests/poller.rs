//! Long-running operations: ApplyUser and friends, polled to the end with `Retry-After`,
//! v1 integer and v1.2 string states, unknown states, time-outs, cancellation, failures and
//! `Operation-Location`.

mod common;

use std::time::Duration;

use online_mgmt_api::{AdminError, ApiVersion, NewInstanceBackup, OperationState, WaitOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use common::*;

fn apply_user_path() -> String {
    format!("/api/v1.2/Instances/{INSTANCE}/Users/{USER}/ApplyUser")
}

fn poll_path() -> String {
    format!("/api/v1.2/Operation/{OPERATION}")
}

#[tokio::test]
async fn apply_user_is_polled_to_success_honouring_retry_after() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(
            json_status(202, "apply-user-202-v1.2.json").insert_header("Retry-After", "7"),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-running-v1.2.json").insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;

    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    assert_eq!(poller.operation_id(), uuid(OPERATION));
    assert_eq!(poller.last_status().status, OperationState::NotStarted);
    assert_eq!(
        poller.poll_url().expect("url").path(),
        poll_path(),
        "no Operation-Location: Operation/{{id}}"
    );
    let status = poller.wait().await.expect("succeeded");
    assert_eq!(status.status, OperationState::Succeeded);
    assert_eq!(
        t.clock.sleeps(),
        vec![Duration::from_secs(7), Duration::from_secs(3)],
        "waited as Retry-After asked, without sleeping for real"
    );
}

#[tokio::test]
async fn v1_integer_states_are_read() {
    let t = oma(ApiVersion::V1).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/InstanceBackups"))
        .respond_with(json_status(202, "provision-202-v1.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let poll = "/api/v1/Operation/accac4b5-2478-4fc7-b8b0-6b979e837bb1";
    Mock::given(method("GET"))
        .and(path(poll))
        .respond_with(json("operation-running-v1.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll))
        .respond_with(json("operation-succeeded-v1.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let mut poller = t
        .client
        .create_backup(&NewInstanceBackup::new(uuid(INSTANCE), "nightly"))
        .await
        .expect("started");
    assert_eq!(poller.last_status().status, OperationState::NotStarted, "2");
    assert_eq!(
        poller.poll().await.expect("polled").status,
        OperationState::Running,
        "5"
    );
    let status = poller.wait().await.expect("done");
    assert_eq!(status.status, OperationState::Succeeded, "6");
    assert_eq!(
        t.clock.sleeps(),
        vec![Duration::from_secs(5)],
        "the default interval"
    );
}

#[tokio::test]
async fn an_unknown_state_is_kept_and_polling_goes_on() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(json_status(202, "apply-user-202-v1.2.json"))
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-unknown-v1.2.json"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let mut poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    let status = poller.poll().await.expect("polled").clone();
    assert_eq!(status.status, OperationState::Unknown("Hibernating".into()));
    assert!(status.errors.is_empty(), "null lists read as empty");
    assert!(!poller.is_done());
    let done = poller.wait().await.expect("finished");
    assert!(done.is_success());
}

#[tokio::test]
async fn waiting_times_out_with_the_last_status() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(json_status(202, "apply-user-202-v1.2.json"))
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-running-v1.2.json"))
        .expect(3)
        .mount(&t.server)
        .await;
    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    let err = poller
        .wait_with(WaitOptions {
            timeout: Duration::from_secs(12),
            ..Default::default()
        })
        .await
        .expect_err("times out");
    let AdminError::PollTimeout {
        operation_id,
        last_status,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*operation_id, uuid(OPERATION));
    assert_eq!(last_status.status, OperationState::Running);
    assert_eq!(
        t.clock.sleeps(),
        vec![
            Duration::from_secs(5),
            Duration::from_secs(5),
            Duration::from_secs(2)
        ],
        "the last wait is cut to the deadline"
    );
    assert!(err.hint().expect("hint").contains(OPERATION));
}

#[tokio::test]
async fn waiting_can_be_cancelled() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(json_status(202, "apply-user-202-v1.2.json"))
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-running-v1.2.json"))
        .mount(&t.server)
        .await;
    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    let server = &t.server;
    // Cancel once the poller has polled twice.
    let cancel = async {
        loop {
            let seen = server
                .received_requests()
                .await
                .map(|r| r.len())
                .unwrap_or(0);
            if seen >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let err = poller
        .wait_or_cancel(WaitOptions::default(), cancel)
        .await
        .expect_err("cancelled");
    assert!(
        matches!(err, AdminError::Cancelled { operation_id } if operation_id == uuid(OPERATION)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_failed_operation_is_an_error_listing_its_errors() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(json_status(202, "apply-user-202-v1.2.json"))
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-failed-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    let err = poller.wait().await.expect_err("failed");
    let AdminError::OperationFailed { status } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(status.status, OperationState::Failed);
    let text = err.to_string();
    assert!(
        text.contains("ApplyUser: The user could not be added. (code UserSyncFailed)"),
        "{text}"
    );
    assert_eq!(err.service_code(), Some("UserSyncFailed"));
}

#[tokio::test]
async fn an_operation_location_on_the_service_origin_is_polled() {
    let t = oma(ApiVersion::V1_2).await;
    let location = format!("{}/operations/{OPERATION}", t.server.uri());
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(
            json_status(202, "apply-user-202-v1.2.json")
                .insert_header("Operation-Location", location.as_str()),
        )
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/operations/{OPERATION}")))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let mut poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    assert_eq!(poller.poll_url().expect("url").as_str(), location);
    assert!(poller.poll().await.expect("polled").is_success());
}

#[tokio::test]
async fn a_foreign_operation_location_is_ignored() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(json_status(202, "apply-user-202-v1.2.json").insert_header(
            "Operation-Location",
            "https://elsewhere.example.com/operations/1",
        ))
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    assert_eq!(poller.poll_url().expect("url").path(), poll_path());
    poller.wait().await.expect("done");
}

#[tokio::test]
async fn a_404_at_the_operation_location_falls_back_to_operation_id() {
    let t = oma(ApiVersion::V1_2).await;
    let location = format!("{}/operations/{OPERATION}", t.server.uri());
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(
            json_status(202, "apply-user-202-v1.2.json")
                .insert_header("Operation-Location", location.as_str()),
        )
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/operations/{OPERATION}")))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    poller.wait().await.expect("done");
}

#[tokio::test]
async fn an_operation_finished_at_once_needs_no_poll() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("PUT"))
        .and(path("/api/v1.2/Instances/Provision"))
        .respond_with(json("provision-200-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&t.server)
        .await;
    let new = online_mgmt_api::NewInstance::new(
        uuid("9d4c1a2b-0000-4000-8000-000000000009"),
        online_mgmt_api::InstanceType::Sandbox,
        "Contoso",
        "contoso",
        "admin@contoso.onmicrosoft.com",
    );
    let poller = t.client.provision_instance(&new).await.expect("done");
    assert!(poller.is_done());
    let status = poller.wait().await.expect("success");
    assert!(status.is_success());
    assert!(t.clock.sleeps().is_empty());
}

#[tokio::test]
async fn an_earlier_operation_can_be_resumed() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-running-v1.2.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let poller = t
        .client
        .resume_operation(uuid(OPERATION))
        .await
        .expect("found");
    assert_eq!(poller.last_status().status, OperationState::Running);
    poller.wait().await.expect("done");
}

#[tokio::test]
async fn an_absurd_retry_after_is_clamped_not_a_panic() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(
            json_status(202, "apply-user-202-v1.2.json").insert_header("Retry-After", "1e20"),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-running-v1.2.json").insert_header("Retry-After", "inf"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    // Before the fix, reading `Retry-After: 1e20` panicked in `Duration::from_secs_f64`.
    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    assert_eq!(poller.retry_after(), Some(dynamics_http::MAX_RETRY_AFTER));
    let options = WaitOptions::default();
    let status = poller.wait_with(options.clone()).await.expect("succeeded");
    assert_eq!(status.status, OperationState::Succeeded);
    assert_eq!(
        t.clock.sleeps(),
        vec![options.max_interval, options.max_interval],
        "clamped to the poller's max_interval"
    );
}

#[tokio::test]
async fn an_operation_location_with_user_info_is_ignored() {
    let t = oma(ApiVersion::V1_2).await;
    let mut location = url::Url::parse(&t.server.uri()).expect("url");
    location.set_username("alice").expect("user");
    location.set_password(Some("hunter2")).expect("password");
    let location = location.join("operations/1").expect("url");
    Mock::given(method("POST"))
        .and(path(apply_user_path()))
        .respond_with(
            json_status(202, "apply-user-202-v1.2.json")
                .insert_header("Operation-Location", location.as_str()),
        )
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll_path()))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let poller = t
        .client
        .apply_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("started");
    assert_eq!(poller.poll_url().expect("url").path(), poll_path());
    assert!(!poller.poll_url().expect("url").as_str().contains("hunter2"));
    poller.wait().await.expect("done");
}

//! A full sync whose page link is refused with `0x80044352` (wiremock: the emulator's page
//! links never expire) starts over as a new generation, so a row the refused pass returned
//! and that is gone in the new pass is reconciled as deleted, in the initial sync too.

mod support;

use change_sync::{Phase, SyncOptions};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// First pass: rows 1 and 2, then the link to page 2 is refused. Second pass (row 1 deleted
/// meanwhile): rows 2 and 3 and the delta link.
async fn mount_refused_full_sync(server: &MockServer) {
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(support::accounts_page(
                &uri,
                &[1, 2],
                Some("$select=name&$skiptoken=first-pass-2"),
                None,
            )),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$skiptoken", "first-pass-2"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "code": "0x80044352",
            "message": "Version stamp associated with the client has expired. Please perform a full sync."
        }})))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param_is_missing("$deltatoken"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(support::accounts_page(
                &uri,
                &[2, 3],
                None,
                Some("$select=name&$deltatoken=7"),
            )),
        )
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_refused_page_link_restarts_the_initial_sync_and_reconciles_what_vanished() {
    let server = MockServer::start().await;
    mount_refused_full_sync(&server).await;
    let dir = support::temp_dir("page-link");
    let checkpoints = support::sqlite_mirror(&dir).await;
    let options = SyncOptions {
        max_page_size: Some(2),
        ..SyncOptions::default()
    };
    let mut sync =
        support::accounts_sync(support::mock_client(&server), checkpoints.clone(), options);

    let applied = support::catch_up(&mut sync).await.expect("sync");
    assert_eq!(
        applied.reconciled, 1,
        "row 1 vanished between the passes: {applied:?}"
    );
    assert_eq!(applied.changed, 4, "page 1 of each pass: {applied:?}");
    assert_eq!(sync.resyncs(), 1);
    let mirrored: Vec<String> = support::mirror_rows(&checkpoints)
        .await
        .into_keys()
        .collect();
    assert_eq!(
        mirrored,
        [
            Uuid::from_u128(2).to_string(),
            Uuid::from_u128(3).to_string()
        ]
    );
    let checkpoint = sync.checkpoint().await.expect("checkpoint");
    assert_eq!(checkpoint.phase, Phase::Incremental);
    assert_eq!(checkpoint.generation, 2, "the restart is a new generation");
    assert!(
        checkpoint
            .delta_cursor
            .is_some_and(|l| l.contains("$deltatoken=7"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

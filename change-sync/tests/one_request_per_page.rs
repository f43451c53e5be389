//! The change stream requests each next page one page ahead; the sync reads on from that
//! stream, so every page of a round is asked for exactly once (a page asked for twice would
//! cost the service a page build and count against its limits twice).

mod support;

use change_sync::SyncOptions;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

// Several workers: a request started ahead reaches the server at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_a_full_sync_is_requested_once() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let pages = [
        (None, [1, 2], Some("$select=name&$skiptoken=p2"), None),
        (Some("p2"), [3, 4], Some("$select=name&$skiptoken=p3"), None),
        (Some("p3"), [5, 6], None, Some("$select=name&$deltatoken=9")),
    ];
    for (skiptoken, rows, next, delta) in pages {
        let mock = Mock::given(method("GET")).and(path("/api/data/v9.2/accounts"));
        let mock = match skiptoken {
            Some(token) => mock.and(query_param("$skiptoken", token)),
            None => mock
                .and(query_param_is_missing("$skiptoken"))
                .and(query_param_is_missing("$deltatoken")),
        };
        mock.respond_with(
            ResponseTemplate::new(200)
                .set_body_json(support::accounts_page(&uri, &rows, next, delta)),
        )
        .expect(1)
        .mount(&server)
        .await;
    }
    let dir = support::temp_dir("one-request-per-page");
    let checkpoints = support::sqlite_mirror(&dir).await;
    let options = SyncOptions {
        max_page_size: Some(2),
        ..SyncOptions::default()
    };
    let mut sync =
        support::accounts_sync(support::mock_client(&server), checkpoints.clone(), options);
    let applied = support::catch_up(&mut sync).await.expect("sync");
    assert_eq!(applied.changed, 6, "{applied:?}");
    assert_eq!(support::mirror_rows(&checkpoints).await.len(), 6);
    // The `expect(1)` of each page is checked when the server drops.
    drop(sync);
    server.verify().await;
    let _ = std::fs::remove_dir_all(&dir);
}

//! The harness against a real server (skipped, with a line, where PostgreSQL is missing).

use tokio_postgres::NoTls;

#[tokio::test]
async fn each_call_gives_a_new_empty_database_that_accepts_writes() {
    let Some(first) = test_postgres::fresh_database("harness").await else {
        return;
    };
    let second = test_postgres::fresh_database("harness").await.unwrap();
    assert_ne!(first, second);
    for url in [&first, &second] {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
        tokio::spawn(connection);
        client
            .batch_execute("CREATE TABLE t (v BIGINT); INSERT INTO t VALUES (1);")
            .await
            .unwrap();
        let count: i64 = client
            .query_one("SELECT COUNT(*) FROM t", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, 1, "a fresh database starts empty");
    }
}

/// The private cluster asks for the superuser's password: without it, another local user
/// reaching the loopback port gets nothing (it was trust authentication, so superuser).
#[tokio::test]
async fn the_private_cluster_refuses_a_connection_without_the_password() {
    let Some(server) = test_postgres::PgTestServer::get() else {
        return;
    };
    if server.cluster_dir().is_none() {
        return; // DYNAMICS_TEST_POSTGRES_URL names the server; its auth is not ours.
    }
    let url = url::Url::parse(server.admin_url()).unwrap();
    assert!(
        url.password().is_some_and(|p| p.len() >= 32),
        "a random password"
    );
    let mut without = url.clone();
    without.set_password(None).unwrap();
    let refused = tokio_postgres::connect(without.as_str(), NoTls).await;
    assert!(refused.is_err(), "connected without a password");
    let mut wrong = url.clone();
    wrong.set_password(Some("guess")).unwrap();
    assert!(
        tokio_postgres::connect(wrong.as_str(), NoTls)
            .await
            .is_err()
    );
    let (client, connection) = tokio_postgres::connect(url.as_str(), NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute("SELECT 1").await.unwrap();
}

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

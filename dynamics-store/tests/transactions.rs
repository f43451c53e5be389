//! Transactions on both backends: several statements commit together, roll back together
//! (explicitly, on drop, after a failed statement), and readers outside never see half.

use std::time::Duration;

use dynamics_store::{Migration, PgOptions, PgStore, SqlValue, SqliteStore, Store};

static SCHEMA: [Migration; 1] = [Migration {
    version: 1,
    sqlite: "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL);",
    postgres: "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL);",
}];

const INSERT: &str = "INSERT INTO items (id, name) VALUES ($1, $2)";

async fn sqlite_store(dir: &std::path::Path) -> Store {
    let store = SqliteStore::open(&dir.join("tx.db"), Duration::from_secs(5))
        .await
        .expect("open");
    let store = Store::Sqlite(store);
    store.migrate("tx_test", &SCHEMA).await.expect("migrate");
    store
}

async fn pg_store(label: &str) -> Option<Store> {
    let url = test_postgres::fresh_database(label).await?;
    let store = Store::Postgres(Box::new(PgStore::connect(&url).await.expect("connect")));
    store.migrate("tx_test", &SCHEMA).await.expect("migrate");
    Some(store)
}

async fn names(store: &Store) -> Vec<String> {
    store
        .query("SELECT name FROM items ORDER BY id", vec![])
        .await
        .expect("select")
        .iter()
        .map(|row| row.text(0).expect("name"))
        .collect()
}

fn item(id: i64, name: &str) -> Vec<SqlValue> {
    vec![SqlValue::int(id), SqlValue::text(name)]
}

/// The behaviour both backends must share.
async fn check_transactions(store: &Store) {
    // Committed: both rows at once.
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.dialect(), store.dialect());
    tx.execute(INSERT, item(1, "one")).await.expect("insert 1");
    let inside = tx
        .query("SELECT count(*) FROM items", vec![])
        .await
        .expect("count inside");
    assert_eq!(
        inside[0].i64(0).expect("count"),
        1,
        "the transaction sees its own write"
    );
    tx.execute(INSERT, item(2, "two")).await.expect("insert 2");
    tx.commit().await.expect("commit");
    assert_eq!(names(store).await, ["one", "two"]);

    // Rolled back explicitly.
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(3, "three"))
        .await
        .expect("insert 3");
    tx.rollback().await.expect("rollback");
    assert_eq!(names(store).await, ["one", "two"]);

    // Dropped without commit (a crash of the caller's code between statements).
    {
        let mut tx = store.begin().await.expect("begin");
        tx.execute(INSERT, item(4, "four")).await.expect("insert 4");
    }
    assert_eq!(names(store).await, ["one", "two"]);

    // A failed statement: commit refuses and nothing of the transaction stays.
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(5, "five")).await.expect("insert 5");
    tx.execute(INSERT, item(1, "duplicate"))
        .await
        .expect_err("duplicate key");
    let refused = tx
        .execute(INSERT, item(6, "six"))
        .await
        .expect_err("no statement after a failure");
    assert!(refused.to_string().contains("roll it back"), "{refused}");
    let error = tx.commit().await.expect_err("commit after a failure");
    assert!(error.to_string().contains("rolled back"), "{error}");
    assert_eq!(names(store).await, ["one", "two"]);

    // The store is usable again afterwards, with and without transactions.
    store
        .execute(INSERT, item(7, "seven"))
        .await
        .expect("plain insert");
    let mut tx = store.begin().await.expect("begin again");
    tx.execute("DELETE FROM items WHERE id = $1", vec![SqlValue::int(7)])
        .await
        .expect("delete");
    tx.commit().await.expect("commit");
    assert_eq!(names(store).await, ["one", "two"]);
}

#[tokio::test]
async fn sqlite_transactions_commit_and_roll_back_as_a_whole() {
    let dir = tempdir();
    let store = sqlite_store(&dir).await;
    check_transactions(&store).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_transactions_commit_and_roll_back_as_a_whole() {
    let Some(store) = pg_store("tx_whole").await else {
        return;
    };
    check_transactions(&store).await;
}

#[tokio::test]
async fn sqlite_readers_in_another_connection_never_see_half_a_transaction() {
    let dir = tempdir();
    let store = sqlite_store(&dir).await;
    let other = Store::Sqlite(
        SqliteStore::open(&dir.join("tx.db"), Duration::from_secs(5))
            .await
            .expect("second connection"),
    );
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(1, "one")).await.expect("insert");
    assert!(
        names(&other).await.is_empty(),
        "uncommitted rows are invisible"
    );
    tx.execute(INSERT, item(2, "two")).await.expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(names(&other).await, ["one", "two"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sqlite_a_statement_cancelled_mid_transaction_leaves_nothing_behind() {
    let dir = tempdir();
    let store = sqlite_store(&dir).await;
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(1, "one")).await.expect("insert");
    {
        // Polled once, then dropped: the caller's task was cancelled while the statement ran
        // on a blocking thread.
        let pending = tx.execute(INSERT, item(2, "two"));
        tokio::select! {
            biased;
            _ = pending => {}
            () = std::future::ready(()) => {}
        }
    }
    drop(tx);
    // The next user of the connection finds the transaction rolled back, and can write.
    assert!(names(&store).await.is_empty());
    store
        .execute(INSERT, item(3, "three"))
        .await
        .expect("insert after");
    let mut tx = store.begin().await.expect("begin again");
    tx.execute(INSERT, item(4, "four")).await.expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(names(&store).await, ["three", "four"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_plain_statements_run_beside_an_open_transaction() {
    let Some(store) = pg_store("tx_beside").await else {
        return;
    };
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(1, "one")).await.expect("insert");
    // The shared connection is not the transaction's: it sees only committed rows.
    assert!(names(&store).await.is_empty());
    store.execute(INSERT, item(2, "two")).await.expect("beside");
    tx.commit().await.expect("commit");
    assert_eq!(names(&store).await, ["one", "two"]);
}

/// Polls `future` once and drops it: the caller's task was cancelled while the statement ran.
async fn cancel_after_first_poll<F: std::future::Future>(future: F) {
    tokio::select! {
        biased;
        _ = future => {}
        () = std::future::ready(()) => {}
    }
}

/// An insert of many rows: slow enough that it is still running when its future is dropped.
const SLOW_INSERT: &str = "INSERT INTO items (id, name)
    WITH RECURSIVE n(x) AS (SELECT 100 UNION ALL SELECT x + 1 FROM n WHERE x < 50000)
    SELECT x, 'bulk' FROM n";

/// A statement cancelled before it answered may have run: commit must refuse, not commit an
/// unknown state.
async fn check_a_cancelled_statement_is_a_failure(store: &Store) {
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(1, "one")).await.expect("insert");
    cancel_after_first_poll(tx.execute(SLOW_INSERT, vec![])).await;
    let error = tx
        .commit()
        .await
        .expect_err("commit after a cancelled statement");
    assert!(error.to_string().contains("cancelled"), "{error}");
    assert!(names(store).await.is_empty());
    // Statements that answered leave the transaction usable: a fresh one commits.
    let mut tx = store.begin().await.expect("begin again");
    tx.execute(INSERT, item(3, "three")).await.expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(names(store).await, ["three"]);
}

#[tokio::test]
async fn sqlite_a_cancelled_statement_makes_commit_refuse() {
    let dir = tempdir();
    let store = sqlite_store(&dir).await;
    check_a_cancelled_statement_is_a_failure(&store).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_a_cancelled_statement_makes_commit_refuse() {
    let Some(store) = pg_store("tx_cancelled").await else {
        return;
    };
    check_a_cancelled_statement_is_a_failure(&store).await;
}

/// A second connection to the same file, as another process would have; it waits for the
/// write lock up to 10 s (long enough for the other's statement to end).
async fn other_process(dir: &std::path::Path) -> Store {
    Store::Sqlite(
        SqliteStore::open(&dir.join("tx.db"), Duration::from_secs(10))
            .await
            .expect("second connection"),
    )
}

#[tokio::test]
async fn sqlite_a_cancelled_statement_releases_the_write_lock_without_further_use() {
    let dir = tempdir();
    let store = sqlite_store(&dir).await;
    let other = other_process(&dir).await;
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(1, "one")).await.expect("insert");
    cancel_after_first_poll(tx.execute(SLOW_INSERT, vec![])).await;
    drop(tx);
    // `store` is not used again: the rollback must not wait for its next statement.
    other
        .execute(INSERT, item(3, "three"))
        .await
        .expect("another process can write");
    assert_eq!(names(&other).await, ["three"]);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sqlite_a_failed_commit_rolls_back_and_releases_the_write_lock() {
    let dir = tempdir();
    let store = sqlite_store(&dir).await;
    let other = other_process(&dir).await;
    // A deferred foreign key is checked at COMMIT, which then fails with the transaction
    // still open (https://www.sqlite.org/foreignkeys.html#fk_deferred).
    store
        .execute("PRAGMA foreign_keys = ON", vec![])
        .await
        .expect("foreign keys");
    store
        .execute(
            "CREATE TABLE children (id BIGINT PRIMARY KEY,
                parent BIGINT REFERENCES items (id) DEFERRABLE INITIALLY DEFERRED)",
            vec![],
        )
        .await
        .expect("children");
    let mut tx = store.begin().await.expect("begin");
    tx.execute(INSERT, item(1, "one")).await.expect("insert");
    tx.execute("INSERT INTO children (id, parent) VALUES (1, 42)", vec![])
        .await
        .expect("a dangling child, checked at commit");
    let error = tx.commit().await.expect_err("the commit fails");
    assert!(error.to_string().contains("FOREIGN KEY"), "{error}");
    other
        .execute(INSERT, item(3, "three"))
        .await
        .expect("another process can write");
    assert_eq!(
        names(&store).await,
        ["three"],
        "the failed transaction rolled back"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_transactions_wait_for_a_free_connection_beyond_the_maximum() {
    let Some(url) = test_postgres::fresh_database("tx_bounded").await else {
        return;
    };
    let options = PgOptions {
        max_transactions: 1,
    };
    let store = Store::Postgres(Box::new(
        PgStore::connect_with(&url, &options)
            .await
            .expect("connect"),
    ));
    store.migrate("tx_test", &SCHEMA).await.expect("migrate");
    let mut first = store.begin().await.expect("begin");
    first.execute(INSERT, item(1, "one")).await.expect("insert");
    let second = store.begin();
    tokio::pin!(second);
    // Without the bound the second would connect and begin in a few milliseconds, well
    // within the first's half-second statement.
    tokio::select! {
        biased;
        _ = &mut second => panic!("a second transaction began beyond max_transactions = 1"),
        slept = first.query("SELECT 1 FROM pg_sleep(0.5)", vec![]) => {
            slept.expect("the first transaction keeps working");
        }
    }
    first.commit().await.expect("commit");
    let mut second = second.await.expect("begins once the first ended");
    second
        .execute(INSERT, item(2, "two"))
        .await
        .expect("insert");
    second.commit().await.expect("commit");
    assert_eq!(names(&store).await, ["one", "two"]);
}

/// A fresh directory for one test's database file.
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dynamics-store-tx-{}-{}",
        std::process::id(),
        uuid_like()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn uuid_like() -> u128 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    nanos ^ u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

//! `SqlCheckpoints` on SQLite and PostgreSQL: round trips, the outbox form (the checkpoint
//! and the caller's row commit or roll back together), known ids and their generations.

mod support;

use std::sync::Arc;

use change_sync::{Checkpoint, CheckpointStore, Phase, SqlCheckpoints};
use dynamics_store::SqlValue;

async fn check_store(store: &SqlCheckpoints) {
    store
        .store()
        .execute(support::CREATE_MIRROR, vec![])
        .await
        .expect("mirror table");
    assert_eq!(store.load("org/accounts").await.expect("load"), None);

    let first = Checkpoint {
        page_cursor: Some("https://org/api/data/v9.2/accounts?$skiptoken=2".into()),
        ..Checkpoint::start()
    };
    assert!(store.save("org/accounts", &first).await.expect("save"));
    let stored = store
        .load("org/accounts")
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(stored, first.clone().saved());
    assert_eq!(stored.revision, 1);
    assert_eq!(store.load("org/contacts").await.expect("other key"), None);
    // A second writer that read the key before the first save cannot save over it.
    assert!(
        !store
            .save("org/accounts", &first)
            .await
            .expect("stale first save")
    );

    // Outbox: the caller's row and the checkpoint commit together...
    let second = Checkpoint {
        phase: Phase::Incremental,
        page_cursor: None,
        delta_cursor: Some("https://org/api/data/v9.2/accounts?$deltatoken=9".into()),
        ..stored.clone()
    };
    let mut tx = store.begin().await.expect("begin");
    tx.execute(
        "INSERT INTO mirror (id, name) VALUES ($1, $2)",
        vec![SqlValue::text("a"), SqlValue::text("Ada")],
    )
    .await
    .expect("caller row");
    assert!(
        store
            .save_in(&mut tx, "org/accounts", &second)
            .await
            .expect("save in")
    );
    tx.commit().await.expect("commit");
    let second = second.saved();
    assert_eq!(
        store.load("org/accounts").await.expect("load"),
        Some(second.clone())
    );
    // Saving again over the revision it replaced is refused.
    assert!(
        !store
            .save("org/accounts", &stored)
            .await
            .expect("stale save")
    );

    // ...or roll back together.
    let mut tx = store.begin().await.expect("begin");
    tx.execute(
        "INSERT INTO mirror (id, name) VALUES ($1, $2)",
        vec![SqlValue::text("b"), SqlValue::text("Bob")],
    )
    .await
    .expect("caller row");
    assert!(
        store
            .save_in(
                &mut tx,
                "org/accounts",
                &Checkpoint {
                    generation: 9,
                    ..second.clone()
                }
            )
            .await
            .expect("save in")
    );
    drop(tx);
    assert_eq!(
        store.load("org/accounts").await.expect("load"),
        Some(second)
    );
    let mirror = store
        .store()
        .query("SELECT id FROM mirror ORDER BY id", vec![])
        .await
        .expect("mirror");
    assert_eq!(mirror.len(), 1);

    // Known ids: remembered with a generation, re-marked by a later one, forgotten.
    let ids = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut tx = store.begin().await.expect("begin");
    store
        .remember_in(&mut tx, "org/accounts", &ids(&["c", "a", "b", "d"]), 1)
        .await
        .expect("remember");
    store
        .remember_in(&mut tx, "org/contacts", &ids(&["z"]), 1)
        .await
        .expect("other key");
    tx.commit().await.expect("commit");
    let mut tx = store.begin().await.expect("begin");
    store
        .remember_in(&mut tx, "org/accounts", &ids(&["b"]), 2)
        .await
        .expect("re-mark");
    store
        .forget_in(&mut tx, "org/accounts", &ids(&["d"]))
        .await
        .expect("forget");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.unseen("org/accounts", 2, 10).await.expect("unseen"),
        ids(&["a", "c"])
    );
    assert_eq!(
        store.unseen("org/accounts", 2, 1).await.expect("limit"),
        ids(&["a"])
    );
    assert!(
        store
            .unseen("org/accounts", 1, 10)
            .await
            .expect("none")
            .is_empty()
    );

    // A page of thousands of ids (written many a statement), repeats included.
    let many: Vec<String> = (0..2_345).map(|n| format!("id{n:05}")).collect();
    let mut repeated = many.clone();
    repeated.extend_from_slice(&many[..10]);
    let mut tx = store.begin().await.expect("begin");
    store
        .remember_in(&mut tx, "org/leads", &repeated, 3)
        .await
        .expect("remember many");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.unseen("org/leads", 4, 10_000).await.expect("unseen"),
        many
    );
    let mut gone = many[1..].to_vec();
    gone.extend_from_slice(&many[1..5]);
    let mut tx = store.begin().await.expect("begin");
    store
        .forget_in(&mut tx, "org/leads", &gone)
        .await
        .expect("forget many");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.unseen("org/leads", 4, 10_000).await.expect("unseen"),
        ids(&["id00000"])
    );
    assert_eq!(
        store
            .unseen("org/accounts", 2, 10)
            .await
            .expect("other key"),
        ids(&["a", "c"])
    );
}

#[tokio::test]
async fn sqlite_checkpoints_round_trip_and_commit_with_the_callers_rows() {
    let dir = support::temp_dir("checkpoints");
    let store = SqlCheckpoints::open_sqlite(&dir.join("c.db"))
        .await
        .expect("open");
    check_store(&store).await;
    // Opening again keeps everything (the migration is not applied twice).
    let again = SqlCheckpoints::open_sqlite(&dir.join("c.db"))
        .await
        .expect("reopen");
    assert!(again.load("org/accounts").await.expect("load").is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_checkpoints_round_trip_and_commit_with_the_callers_rows() {
    let Some(url) = test_postgres::fresh_database("change_sync").await else {
        return;
    };
    let store = SqlCheckpoints::connect_postgres(&url)
        .await
        .expect("connect");
    check_store(&store).await;
    let shared: Arc<dyn CheckpointStore> = Arc::new(store);
    assert!(shared.load("org/accounts").await.expect("load").is_some());
}

#[test]
fn checkpoint_debug_hides_link_queries() {
    let checkpoint = Checkpoint {
        delta_cursor: Some("https://org/api/data/v9.2/accounts?$deltatoken=secret".into()),
        ..Checkpoint::start()
    };
    let shown = format!("{checkpoint:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("accounts"), "{shown}");
}

//! `ChangeSync` against the emulator: initial sync in pages into a SQLite mirror, deltas with
//! creates, updates and deletes, a batch dropped before commit handed out again, an expired
//! token resynced with reconciled deletions (or a typed error when the caller opts out),
//! and the org's expiry read at start.

mod support;

use std::time::Duration;

use change_sync::{CheckpointStore, Phase, SyncOptions};
use dynamics_emulator::Emulator;
use serde_json::json;
use support::{accounts_sync, catch_up, client, mirror_rows, source_rows, sqlite_mirror, temp_dir};
use uuid::Uuid;

const DAY: Duration = Duration::from_secs(86_400);

async fn create(client: &dataverse_webapi::DataverseClient, name: &str) -> Uuid {
    client
        .table("accounts")
        .create(&json!({"name": name}))
        .send()
        .await
        .expect("create")
}

fn paged() -> SyncOptions {
    SyncOptions {
        max_page_size: Some(3),
        ..SyncOptions::default()
    }
}

#[tokio::test]
async fn initial_sync_then_deltas_keep_the_mirror_equal_to_the_source() {
    let emulator = Emulator::start().await.expect("emulator");
    let writer = client(&emulator);
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(create(&writer, &format!("Account {n}")).await);
    }
    let dir = temp_dir("deltas");
    let checkpoints = sqlite_mirror(&dir).await;
    let mut sync = accounts_sync(client(&emulator), checkpoints.clone(), paged());

    let first = catch_up(&mut sync).await.expect("initial sync");
    assert!(first.changed >= 7, "{first:?}");
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));
    let checkpoint = sync.checkpoint().await.expect("checkpoint");
    assert_eq!(checkpoint.phase, Phase::Incremental);
    assert!(checkpoint.page_cursor.is_none());
    assert!(
        checkpoint
            .delta_cursor
            .as_deref()
            .is_some_and(|l| l.contains("$deltatoken="))
    );
    assert_eq!(
        sync.expiry_days(),
        Some(7),
        "the emulator's default expirechangetrackingindays"
    );

    // Nothing new: a round of one empty page.
    let idle = catch_up(&mut sync).await.expect("idle round");
    assert_eq!((idle.changed, idle.deleted), (0, 0));

    // Creates, updates and deletes by someone else.
    create(&writer, "Fresh").await;
    writer
        .table("accounts")
        .update(ids[0], &json!({"name": "Renamed"}))
        .send()
        .await
        .expect("update");
    for id in &ids[1..3] {
        writer
            .table("accounts")
            .delete(*id)
            .send()
            .await
            .expect("delete");
    }
    let delta = catch_up(&mut sync).await.expect("delta");
    assert_eq!((delta.changed, delta.deleted), (2, 2), "{delta:?}");
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));

    // A new value resumes from the stored checkpoint, not from scratch.
    create(&writer, "After restart").await;
    let mut resumed = accounts_sync(client(&emulator), checkpoints.clone(), paged());
    let after = catch_up(&mut resumed).await.expect("resumed");
    assert_eq!((after.changed, after.deleted), (1, 0), "{after:?}");
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_batch_dropped_before_commit_is_handed_out_again() {
    let emulator = Emulator::start().await.expect("emulator");
    let writer = client(&emulator);
    for n in 0..5 {
        create(&writer, &format!("Account {n}")).await;
    }
    let dir = temp_dir("dropped");
    let checkpoints = sqlite_mirror(&dir).await;
    let mut sync = accounts_sync(client(&emulator), checkpoints.clone(), paged());
    let first_ids: Vec<Uuid> = {
        let batch = sync
            .next_batch()
            .await
            .expect("batch")
            .expect("a first page");
        let ids = batch.page().ids("accountid").collect();
        // Written but never committed: the crash of a process between its writes and commit.
        let mut tx = batch.begin().await.expect("begin");
        tx.execute(
            "INSERT INTO mirror (id, name) VALUES ('x', 'uncommitted')",
            vec![],
        )
        .await
        .expect("write");
        drop(tx);
        ids
    };
    assert_eq!(first_ids.len(), 3);
    assert!(
        checkpoints
            .load("emulator/accounts")
            .await
            .expect("load")
            .is_none()
    );
    let again = sync
        .next_batch()
        .await
        .expect("batch")
        .expect("the same page");
    let again_ids: Vec<Uuid> = again.page().ids("accountid").collect();
    assert_eq!(again_ids, first_ids);
    drop(again);
    catch_up(&mut sync).await.expect("catch up");
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_expired_token_resyncs_and_reconciles_deletes_lost_with_it() {
    let emulator = Emulator::start().await.expect("emulator");
    let writer = client(&emulator);
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(create(&writer, &format!("Account {n}")).await);
    }
    let dir = temp_dir("expired");
    let checkpoints = sqlite_mirror(&dir).await;
    let mut sync = accounts_sync(client(&emulator), checkpoints.clone(), paged());
    catch_up(&mut sync).await.expect("initial sync");
    let before = sync.checkpoint().await.expect("checkpoint");

    for id in &ids[..3] {
        writer
            .table("accounts")
            .delete(*id)
            .send()
            .await
            .expect("delete");
    }
    create(&writer, "Created while expired").await;
    // Past the org's 7 days: the delta link is refused with 0x80044352.
    emulator.advance_clock(DAY * 8);

    let resync = catch_up(&mut sync).await.expect("resync");
    assert_eq!(sync.resyncs(), 1);
    assert_eq!(resync.reconciled, 3, "{resync:?}");
    assert_eq!(
        resync.deleted, 0,
        "the service reports no deletes after an expired token"
    );
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));
    let after = sync.checkpoint().await.expect("checkpoint");
    assert_eq!(after.phase, Phase::Incremental);
    assert_eq!(after.generation, before.generation + 1);
    assert_ne!(after.delta_cursor, before.delta_cursor);

    // And deltas continue from the new link.
    writer
        .table("accounts")
        .delete(ids[5])
        .send()
        .await
        .expect("delete");
    let delta = catch_up(&mut sync).await.expect("delta");
    assert_eq!((delta.deleted, delta.reconciled), (1, 0), "{delta:?}");
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn opting_out_of_automatic_resync_gives_a_typed_error() {
    let emulator = Emulator::start().await.expect("emulator");
    let writer = client(&emulator);
    create(&writer, "Kept").await;
    let gone = create(&writer, "Gone").await;
    let dir = temp_dir("opt-out");
    let checkpoints = sqlite_mirror(&dir).await;
    let options = SyncOptions {
        auto_resync: false,
        ..paged()
    };
    let mut sync = accounts_sync(client(&emulator), checkpoints.clone(), options);
    catch_up(&mut sync).await.expect("initial sync");
    writer
        .table("accounts")
        .delete(gone)
        .send()
        .await
        .expect("delete");
    emulator.advance_clock(DAY * 8);
    let error = catch_up(&mut sync).await.expect_err("expired");
    assert!(error.is_token_expired(), "{error}");
    assert!(error.to_string().contains("start_resync"), "{error}");
    // The checkpoint is untouched until the caller decides.
    assert_eq!(
        checkpoints
            .load("emulator/accounts")
            .await
            .expect("load")
            .map(|c| c.phase),
        Some(Phase::Incremental)
    );
    sync.start_resync().await.expect("resync");
    let resync = catch_up(&mut sync).await.expect("resync round");
    assert_eq!(resync.reconciled, 1, "{resync:?}");
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_acknowledgement_form_hands_an_unacknowledged_page_out_again() {
    let emulator = Emulator::start().await.expect("emulator");
    let writer = client(&emulator);
    for n in 0..5 {
        create(&writer, &format!("Account {n}")).await;
    }
    let dir = temp_dir("ack");
    let checkpoints = sqlite_mirror(&dir).await;
    let mut sync = accounts_sync(client(&emulator), checkpoints.clone(), paged());
    // The caller's data lives elsewhere: an in-memory map, upserted idempotently.
    let mut elsewhere = std::collections::BTreeMap::new();
    let mut applications = 0;
    let mut crashed_once = false;
    loop {
        let Some(batch) = sync.next_batch().await.expect("batch") else {
            break;
        };
        for change in batch.changes() {
            applications += 1;
            if let Some(id) = change.id("accountid") {
                match change {
                    dataverse_webapi::changes::Change::Changed(row) => {
                        elsewhere.insert(id.to_string(), row.get_str("name").map(str::to_owned));
                    }
                    _ => {
                        elsewhere.remove(&id.to_string());
                    }
                }
            }
        }
        if !crashed_once {
            // Applied but not acknowledged: the same page comes again.
            crashed_once = true;
            drop(batch);
            continue;
        }
        batch.acknowledge().await.expect("acknowledge");
    }
    assert_eq!(
        applications,
        5 + 3,
        "the first page of three was applied twice"
    );
    assert_eq!(elsewhere, source_rows(&emulator));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_holds_the_checkpoints_and_the_mirror_of_a_sync() {
    let Some(url) = test_postgres::fresh_database("change_sync_e2e").await else {
        return;
    };
    let emulator = Emulator::start().await.expect("emulator");
    let writer = client(&emulator);
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(create(&writer, &format!("Account {n}")).await);
    }
    let checkpoints = std::sync::Arc::new(
        change_sync::SqlCheckpoints::connect_postgres(&url)
            .await
            .expect("connect"),
    );
    checkpoints
        .store()
        .execute(support::CREATE_MIRROR, vec![])
        .await
        .expect("mirror table");
    let mut sync = accounts_sync(client(&emulator), checkpoints.clone(), paged());
    catch_up(&mut sync).await.expect("initial sync");
    writer
        .table("accounts")
        .delete(ids[0])
        .send()
        .await
        .expect("delete");
    emulator.advance_clock(DAY * 8);
    let resync = catch_up(&mut sync).await.expect("resync");
    assert_eq!(resync.reconciled, 1, "{resync:?}");
    assert_eq!(mirror_rows(&checkpoints).await, source_rows(&emulator));
}

#[tokio::test]
async fn a_second_sync_of_the_same_key_cannot_commit_the_same_page_twice() {
    let emulator = Emulator::start().await.expect("emulator");
    let writer = client(&emulator);
    for n in 0..7 {
        create(&writer, &format!("Account {n}")).await;
    }
    let dir = temp_dir("conflict");
    let checkpoints = sqlite_mirror(&dir).await;
    let mut first = accounts_sync(client(&emulator), checkpoints.clone(), paged());
    let mut second = accounts_sync(client(&emulator), checkpoints.clone(), paged());
    let held = first.next_batch().await.expect("batch").expect("page 1");
    let taken = second
        .next_batch()
        .await
        .expect("batch")
        .expect("page 1 again");
    assert_eq!(
        held.page().ids("accountid").collect::<Vec<_>>(),
        taken.page().ids("accountid").collect::<Vec<_>>()
    );
    taken
        .acknowledge()
        .await
        .expect("the second sync commits first");
    let mut tx = held.begin().await.expect("begin");
    tx.execute(
        "INSERT INTO mirror (id, name) VALUES ('marker', 'from the loser')",
        vec![],
    )
    .await
    .expect("write");
    let error = held
        .commit(tx)
        .await
        .expect_err("the first sync lost the race");
    assert!(
        matches!(error, change_sync::SyncError::Conflict { .. }),
        "{error}"
    );
    assert!(
        mirror_rows(&checkpoints).await.is_empty(),
        "the loser's writes are rolled back"
    );
    // The loser continues from the winner's checkpoint: page 2, not page 1 again.
    let next = first.next_batch().await.expect("batch").expect("page 2");
    assert_eq!(next.page().ids("accountid").count(), 3);
    let page_two = next.page().ids("accountid").collect::<Vec<_>>();
    drop(next);
    let from_winner = second.next_batch().await.expect("batch").expect("page 2");
    assert_eq!(
        from_winner.page().ids("accountid").collect::<Vec<_>>(),
        page_two
    );
    let _ = std::fs::remove_dir_all(&dir);
}

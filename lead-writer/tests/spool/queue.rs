//! The scenarios, written once over [`Backend`].

use std::collections::BTreeSet;
use std::time::Duration;

use lead_writer::spool::{
    Backoff, Clock, FailOutcome, ItemState, ManualClock, ParkedFilter, SpoolId,
};
use lead_writer::{Lead, Rejection, SpoolError, SpoolOptions};

use crate::support::{Backend, fixture, lead, received, start};

const LEASE: Duration = Duration::from_secs(30);

pub(crate) async fn enqueue_is_durable_and_idempotent(backend: Backend) {
    let clock = ManualClock::new(start());
    let example = received(
        fixture("https-endpoint-lead-example.json"),
        crate::support::START,
    );
    let test_lead = received(fixture("test-lead-example.json"), crate::support::START + 5);
    let first_id;
    {
        let spool = backend.open(&clock).await;
        let first = spool.enqueue(&example).await.unwrap();
        assert!(!first.duplicate);
        let again = spool.enqueue(&example).await.unwrap();
        assert!(again.duplicate, "the same key must not be queued twice");
        assert_eq!(again.id, first.id);
        let other = spool.enqueue(&test_lead).await.unwrap();
        assert!(!other.duplicate);
        assert!(other.id > first.id);
        first_id = first.id;
    }
    // A new spool on the same store (for SQLite: the file reopened) sees what was acknowledged.
    let spool = backend.open(&clock).await;
    assert_eq!(spool.status().await.unwrap().pending, 2);
    assert!(spool.enqueue(&example).await.unwrap().duplicate);
    let items = spool.claim("w1", 10, LEASE).await.unwrap();
    assert_eq!(items.len(), 2);
    let item = &items[0];
    assert_eq!(item.id, first_id);
    assert_eq!(item.raw_body, example.raw_body);
    assert_eq!(item.lead, example.lead);
    assert_eq!(item.key, example.key);
    assert_eq!(item.received_at, example.received_at);
    assert_eq!(item.attempts, 0);
    assert!(items[1].lead.is_test());
}

pub(crate) async fn claims_are_exclusive_under_concurrency(backend: Backend) {
    const ITEMS: u32 = 500;
    const TASKS: u32 = 8;
    let clock = ManualClock::new(start());
    // Two spools on one store, as two writer processes would have.
    let spools = [backend.open(&clock).await, backend.open(&clock).await];
    let mut intake = Vec::new();
    for task in 0..TASKS {
        let spool = spools[(task % 2) as usize].clone();
        intake.push(tokio::spawn(async move {
            for n in (task..ITEMS).step_by(TASKS as usize) {
                assert!(!spool.enqueue(&lead(n)).await.unwrap().duplicate);
            }
        }));
    }
    for task in intake {
        task.await.unwrap();
    }
    // Each spool takes its own share: the second skips what the first has leased.
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for (index, spool) in spools.iter().enumerate() {
        let worker = format!("opener-{index}");
        let items = spool.claim(&worker, 5, LEASE).await.unwrap();
        assert_eq!(items.len(), 5);
        for item in items {
            spool.complete(item.id, &worker).await.unwrap();
            total += 1;
            seen.insert(item.id);
        }
    }
    assert_eq!(seen.len(), 10, "the two spools' first claims overlap");
    // Then 8 claimers on the two spools race for the rest.
    let mut workers = Vec::new();
    for task in 0..TASKS {
        let spool = spools[(task % 2) as usize].clone();
        workers.push(tokio::spawn(async move {
            let worker = format!("worker-{task}");
            let mut mine = Vec::new();
            loop {
                let items = spool.claim(&worker, 7, LEASE).await.unwrap();
                if items.is_empty() {
                    return mine;
                }
                for item in items {
                    spool.complete(item.id, &worker).await.unwrap();
                    mine.push(item.id);
                }
            }
        }));
    }
    for worker in workers {
        let mine = worker.await.unwrap();
        total += mine.len();
        seen.extend(mine);
    }
    assert_eq!(total, ITEMS as usize, "every item claimed exactly once");
    assert_eq!(seen.len(), ITEMS as usize, "no item claimed twice");
    let status = spools[1].status().await.unwrap();
    assert_eq!((status.done, status.queue_depth), (u64::from(ITEMS), 0));
}

pub(crate) async fn expired_lease_is_reclaimed_and_the_old_holder_refused(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let id = spool.enqueue(&lead(1)).await.unwrap().id;
    assert_eq!(spool.claim("killed", 5, LEASE).await.unwrap().len(), 1);
    assert!(
        spool.claim("w2", 5, LEASE).await.unwrap().is_empty(),
        "leased items are not claimable"
    );
    clock.advance(LEASE - Duration::from_millis(1));
    assert!(spool.claim("w2", 5, LEASE).await.unwrap().is_empty());
    clock.advance(Duration::from_millis(1));
    let reclaimed = spool.claim("w2", 5, LEASE).await.unwrap();
    assert_eq!(reclaimed.iter().map(|i| i.id).collect::<Vec<_>>(), [id]);
    // The first worker comes back: its completion and failure are refused, nothing changes.
    match spool.complete(id, "killed").await {
        Err(SpoolError::LeaseLost { holder, state, .. }) => {
            assert_eq!(holder.as_deref(), Some("w2"));
            assert_eq!(state, ItemState::Leased);
        }
        other => panic!("expected LeaseLost, got {other:?}"),
    }
    assert!(matches!(
        spool.fail(id, "killed", "late", true).await,
        Err(SpoolError::LeaseLost { .. })
    ));
    spool.complete(id, "w2").await.unwrap();
    spool.complete(id, "w2").await.unwrap(); // a repeat is harmless
    match spool.complete(id, "killed").await {
        Err(SpoolError::LeaseLost { state, holder, .. }) => {
            assert_eq!((state, holder), (ItemState::Done, None));
        }
        other => panic!("expected LeaseLost, got {other:?}"),
    }
    clock.advance(LEASE * 10);
    assert!(
        spool.claim("w3", 5, LEASE).await.unwrap().is_empty(),
        "done items stay done"
    );
}

pub(crate) async fn only_the_lease_holder_may_complete(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let id = spool.enqueue(&lead(1)).await.unwrap().id;
    spool.claim("holder", 1, LEASE).await.unwrap();
    let refused = spool.complete(id, "intruder").await.unwrap_err();
    assert_eq!(
        refused,
        SpoolError::LeaseLost {
            id,
            state: ItemState::Leased,
            holder: Some("holder".to_owned())
        }
    );
    assert!(
        refused.to_string().contains("not leased to this worker"),
        "{refused}"
    );
    assert_eq!(
        spool.status().await.unwrap().leased,
        1,
        "the refusal changed nothing"
    );
    // An expired lease nobody took over may still be completed by its holder.
    clock.advance(LEASE * 2);
    spool.complete(id, "holder").await.unwrap();
    assert_eq!(spool.status().await.unwrap().done, 1);
    assert_eq!(
        spool.complete(SpoolId(9_999), "holder").await.unwrap_err(),
        SpoolError::NotFound { id: SpoolId(9_999) }
    );
    assert!(matches!(
        spool.claim("", 1, LEASE).await,
        Err(SpoolError::InvalidArgument(_))
    ));
    assert!(matches!(
        spool.claim("w", 1, Duration::ZERO).await,
        Err(SpoolError::InvalidArgument(_))
    ));
}

pub(crate) async fn failures_back_off_with_the_injected_clock_then_park(backend: Backend) {
    let clock = ManualClock::new(start());
    let backoff = Backoff::new(Duration::from_secs(10), Duration::from_secs(25)).unwrap();
    let options = SpoolOptions::default()
        .clock(clock.clone())
        .max_attempts(4)
        .backoff(backoff);
    let spool = backend.open_with(options).await;
    let id = spool.enqueue(&lead(1)).await.unwrap().id;
    let mut delays = Vec::new();
    for attempt in 1..=3u32 {
        let items = spool.claim("w", 1, LEASE).await.unwrap();
        assert_eq!(items.len(), 1, "attempt {attempt}");
        assert_eq!(items[0].attempts, attempt - 1);
        let now = clock.now();
        let outcome = spool
            .fail(id, "w", "503 from Dataverse", true)
            .await
            .unwrap();
        let FailOutcome::Retry { attempts, due_at } = outcome else {
            panic!("attempt {attempt} should be retried, got {outcome:?}");
        };
        assert_eq!(attempts, attempt);
        let delay = due_at - now;
        let ceiling = backoff.ceiling(attempt);
        assert!(
            delay <= ceiling && delay >= ceiling / 2,
            "attempt {attempt}: {delay}"
        );
        assert_eq!(delay, backoff.delay(attempt, id.0));
        delays.push(delay);
        // Not claimable a millisecond early, claimable when due.
        clock.set(due_at - Duration::from_millis(1));
        assert!(spool.claim("w", 1, LEASE).await.unwrap().is_empty());
        clock.set(due_at);
    }
    assert!(
        delays[2] <= Duration::from_secs(25),
        "the cap holds: {delays:?}"
    );
    spool.claim("w", 1, LEASE).await.unwrap();
    let outcome = spool.fail(id, "w", "503 again", true).await.unwrap();
    assert_eq!(outcome, FailOutcome::Parked { attempts: 4 });
    clock.advance(Duration::from_secs(24 * 3600));
    assert!(
        spool.claim("w", 1, LEASE).await.unwrap().is_empty(),
        "parked items are not claimed"
    );
    let parked = spool.parked(10).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!((parked[0].id, parked[0].attempts), (id, 4));
    assert_eq!(parked[0].error, "503 again");
    assert_eq!(parked[0].state, ItemState::Parked);
}

pub(crate) async fn retry_parked_puts_back_what_the_filter_selects(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let privilege = spool.enqueue(&lead(1)).await.unwrap().id;
    let mapping = spool.enqueue(&lead(2)).await.unwrap().id;
    spool.claim("w", 2, LEASE).await.unwrap();
    let missing = "403: missing privilege prvCreateLead";
    assert_eq!(
        spool.fail(privilege, "w", missing, false).await.unwrap(),
        FailOutcome::Parked { attempts: 1 },
        "a failure that will not heal parks at once"
    );
    spool
        .fail(mapping, "w", "bad mapping: column x", false)
        .await
        .unwrap();
    assert_eq!(spool.status().await.unwrap().parked, 2);

    let back = spool
        .retry_parked(&ParkedFilter::ErrorContains("privilege".to_owned()))
        .await
        .unwrap();
    assert_eq!(back, 1);
    let items = spool.claim("w", 5, LEASE).await.unwrap();
    assert_eq!(items.iter().map(|i| i.id).collect::<Vec<_>>(), [privilege]);
    assert_eq!(items[0].attempts, 0, "attempts start again");
    assert_eq!(
        spool
            .retry_parked(&ParkedFilter::Ids(vec![mapping, privilege]))
            .await
            .unwrap(),
        1,
        "only parked ids are put back"
    );
    assert_eq!(spool.retry_parked(&ParkedFilter::All).await.unwrap(), 0);
    let status = spool.status().await.unwrap();
    assert_eq!((status.parked, status.pending, status.leased), (0, 1, 1));
    // The reason stays on record after the retry.
    assert!(
        status
            .last_errors
            .iter()
            .any(|e| e.id == mapping && e.error.contains("bad mapping"))
    );
}

pub(crate) async fn status_counts_every_state(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let empty = spool.status().await.unwrap();
    assert_eq!(
        (
            empty.queue_depth,
            empty.oldest_due_at,
            empty.last_errors.len()
        ),
        (0, None, 0)
    );
    let ids: Vec<SpoolId> = {
        let mut ids = Vec::new();
        for n in 1..=5 {
            ids.push(spool.enqueue(&lead(n)).await.unwrap().id);
        }
        ids
    };
    let enqueued_at = clock.now();
    clock.advance(Duration::from_secs(1));
    spool.claim("w", 3, LEASE).await.unwrap();
    spool.complete(ids[0], "w").await.unwrap();
    spool.fail(ids[1], "w", "first error", true).await.unwrap();
    clock.advance(Duration::from_secs(1));
    spool
        .fail(ids[2], "w", "second error", false)
        .await
        .unwrap();
    spool.claim("w", 1, LEASE).await.unwrap(); // ids[3]
    spool
        .dead_letter(
            b"nope",
            &Rejection {
                code: "not_json".into(),
                reason: "r".into(),
            },
        )
        .await
        .unwrap();

    let status = spool.status().await.unwrap();
    assert_eq!(status.done, 1);
    assert_eq!(status.pending, 2, "ids[1] backing off, ids[4] due");
    assert_eq!(status.due_now, 1);
    assert_eq!(status.leased, 1);
    assert_eq!(status.parked, 1);
    assert_eq!(status.dead_letters, 1);
    assert_eq!(status.queue_depth, 3);
    assert_eq!(status.oldest_due_at, Some(enqueued_at));
    // ids[1] is the oldest lead still to write: received at START + 2.
    assert_eq!(
        status.oldest_received_at.map(|t| t.unix_timestamp()),
        Some(crate::support::START + 2)
    );
    let errors: Vec<(SpoolId, &str)> = status
        .last_errors
        .iter()
        .map(|e| (e.id, e.error.as_str()))
        .collect();
    assert_eq!(errors, [(ids[2], "second error"), (ids[1], "first error")]);
}

pub(crate) async fn dead_letters_keep_body_and_reason(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let body = fixture("test-lead-as-published.malformed.txt");
    let error = Lead::parse(&body).unwrap_err();
    let rejection = Rejection::from(&error);
    let id = spool.dead_letter(&body, &rejection).await.unwrap();
    let letters = spool.dead_letters(10).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].id, id);
    assert_eq!(letters[0].raw_body, body);
    assert_eq!(letters[0].rejection, rejection);
    assert_eq!(letters[0].rejection.code, "not_json");
    assert_eq!(letters[0].received_at, start());
    let debug = format!("{:?}", letters[0]);
    assert!(
        !debug.contains("MSFT_TEST"),
        "Debug shows the body: {debug}"
    );
    assert_eq!(spool.status().await.unwrap().dead_letters, 1);
    assert_eq!(
        spool.status().await.unwrap().queue_depth,
        0,
        "dead letters are not queued"
    );
}

pub(crate) async fn newer_schema_is_refused(backend: Backend) {
    let clock = ManualClock::new(start());
    drop(backend.open(&clock).await);
    let bump = "UPDATE schema_versions SET version = 99 WHERE component = 'lead_spool'";
    if backend.is_sqlite() {
        let db = rusqlite::Connection::open(&backend.location).unwrap();
        assert_eq!(db.execute(bump, []).unwrap(), 1);
    } else {
        let (client, connection) =
            tokio_postgres::connect(&backend.location, tokio_postgres::NoTls)
                .await
                .unwrap();
        tokio::spawn(connection);
        assert_eq!(client.execute(bump, &[]).await.unwrap(), 1);
    }
    let error = lead_writer::Spool::open(&backend.location, SpoolOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, SpoolError::Config(_)), "{error:?}");
    assert!(
        error.to_string().contains("newer than this build"),
        "{error}"
    );
}

pub(crate) async fn a_batch_is_stored_at_once_with_duplicates_answered(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let earlier = spool.enqueue(&lead(1)).await.unwrap().id;
    let batch = [lead(2), lead(1), lead(3), lead(2)];
    let answers = spool.enqueue_batch(&batch).await.unwrap();
    let flags: Vec<bool> = answers.iter().map(|a| a.duplicate).collect();
    assert_eq!(flags, [false, true, false, true]);
    assert_eq!(answers[1].id, earlier, "a key queued before keeps its item");
    assert_eq!(
        answers[3].id, answers[0].id,
        "a key repeated in the batch is one item"
    );
    assert_ne!(answers[0].id, answers[2].id);
    assert_eq!(spool.status().await.unwrap().pending, 3);
    assert!(spool.enqueue_batch(&[]).await.unwrap().is_empty());
    let too_many = vec![lead(9); lead_writer::spool::MAX_ENQUEUE_BATCH + 1];
    assert!(matches!(
        spool.enqueue_batch(&too_many).await,
        Err(SpoolError::InvalidArgument(_))
    ));
    // A full batch of new leads goes in whole.
    let full: Vec<_> = (100..100 + lead_writer::spool::MAX_ENQUEUE_BATCH as u32)
        .map(lead)
        .collect();
    let answers = spool.enqueue_batch(&full).await.unwrap();
    assert!(answers.iter().all(|a| !a.duplicate));
    let claimed = spool.claim("w", 1000, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 3 + full.len());
    let by_id: std::collections::HashMap<SpoolId, &lead_writer::spool::SpoolItem> =
        claimed.iter().map(|item| (item.id, item)).collect();
    for (answer, received) in answers.iter().zip(&full) {
        assert_eq!(
            by_id[&answer.id].key, received.key,
            "answers line up with the batch"
        );
    }
}

pub(crate) async fn a_renewed_lease_keeps_the_item(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let id = spool.enqueue(&lead(1)).await.unwrap().id;
    spool.claim("slow", 1, LEASE).await.unwrap();
    clock.advance(Duration::from_secs(20));
    let until = spool.renew_lease(id, "slow", LEASE).await.unwrap();
    assert_eq!(until, clock.now() + LEASE);
    clock.advance(Duration::from_secs(20)); // past the first lease, inside the renewed one
    assert!(spool.claim("other", 1, LEASE).await.unwrap().is_empty());
    assert!(matches!(
        spool.renew_lease(id, "other", LEASE).await,
        Err(SpoolError::LeaseLost { .. })
    ));
    clock.advance(Duration::from_secs(10));
    let taken = spool.claim("other", 1, LEASE).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].claims, 2);
    match spool.renew_lease(id, "slow", LEASE).await {
        Err(SpoolError::LeaseLost { holder, .. }) => assert_eq!(holder.as_deref(), Some("other")),
        other => panic!("expected LeaseLost, got {other:?}"),
    }
}

pub(crate) async fn many_leases_are_renewed_at_once_for_their_holder_only(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    for n in 1..=3 {
        spool.enqueue(&lead(n)).await.unwrap();
    }
    let mine: Vec<SpoolId> = spool
        .claim("slow", 2, LEASE)
        .await
        .unwrap()
        .iter()
        .map(|item| item.id)
        .collect();
    let theirs = spool.claim("other", 1, LEASE).await.unwrap()[0].id;
    clock.advance(Duration::from_secs(20));
    let all = [mine[0], mine[1], theirs];
    assert_eq!(spool.renew_leases(&all, "slow", LEASE).await.unwrap(), 2);
    assert_eq!(spool.renew_leases(&[], "slow", LEASE).await.unwrap(), 0);
    // Past the first leases, inside the renewed ones: only "other"'s item is free again.
    clock.advance(Duration::from_secs(20));
    let taken = spool.claim("third", 10, LEASE).await.unwrap();
    let taken: Vec<SpoolId> = taken.iter().map(|item| item.id).collect();
    assert_eq!(taken, [theirs]);
}

pub(crate) async fn an_item_whose_workers_keep_dying_is_parked(backend: Backend) {
    let clock = ManualClock::new(start());
    let options = SpoolOptions::default()
        .clock(clock.clone())
        .max_abandoned_leases(2);
    let spool = backend.open_with(options).await;
    let id = spool.enqueue(&lead(1)).await.unwrap().id;
    // A failed attempt is not an abandoned lease.
    spool.claim("w", 1, LEASE).await.unwrap();
    let FailOutcome::Retry { due_at, .. } = spool.fail(id, "w", "503", true).await.unwrap() else {
        panic!("should retry");
    };
    clock.set(due_at);
    for claims in 2..=3 {
        let items = spool.claim("dies", 1, LEASE).await.unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!((items[0].claims, items[0].attempts), (claims, 1));
        clock.advance(LEASE); // the worker died; its lease runs out
    }
    // Two leases abandoned: the next claim parks the item instead of handing it out.
    assert!(spool.claim("dies", 1, LEASE).await.unwrap().is_empty());
    let parked = spool.parked(10).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].error.contains("2 leases ran out"),
        "{}",
        parked[0].error
    );
    // Put back after a fix, it starts afresh.
    assert_eq!(spool.retry_parked(&ParkedFilter::All).await.unwrap(), 1);
    let items = spool.claim("fixed", 1, LEASE).await.unwrap();
    assert_eq!((items[0].claims, items[0].attempts), (1, 0));
}

pub(crate) async fn purging_removes_only_old_written_items(backend: Backend) {
    let clock = ManualClock::new(start());
    let spool = backend.open(&clock).await;
    let written = spool.enqueue(&lead(1)).await.unwrap().id;
    spool.enqueue(&lead(2)).await.unwrap();
    let items = spool.claim("w", 1, LEASE).await.unwrap();
    assert_eq!(items[0].id, written);
    spool.complete(written, "w").await.unwrap();
    assert_eq!(
        spool.purge_done(clock.now()).await.unwrap(),
        0,
        "finished at, not before, now"
    );
    clock.advance(Duration::from_secs(1));
    assert!(
        spool.enqueue(&lead(1)).await.unwrap().duplicate,
        "kept items dedupe"
    );
    assert_eq!(spool.purge_done(clock.now()).await.unwrap(), 1);
    let status = spool.status().await.unwrap();
    assert_eq!(
        (status.done, status.pending),
        (0, 1),
        "pending items are never purged"
    );
    // Past the dedupe window the key is free again.
    assert!(!spool.enqueue(&lead(1)).await.unwrap().duplicate);
}

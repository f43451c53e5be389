//! `import_table` on a SQLite spool: an Azure Table export is imported once, in order, each
//! row recorded by its keys so that re-runs and resumed runs do only the rest (rows that show
//! up late included); bad lines become dead letters once.

use std::path::PathBuf;

use lead_writer::import::{ImportOptions, import_table};
use lead_writer::spool::Received;
use lead_writer::{KeyOptions, Lead, Spool, SpoolOptions};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// A temp directory removed on drop (the spool holds personal data).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("lead-import-test-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    async fn spool(&self) -> Spool {
        Spool::open_sqlite(&self.0.join("spool.db"), SpoolOptions::default())
            .await
            .expect("the spool opens")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Rows 0 to 5 over three days (not in row order); later rows on later days, as a growing
/// table stamps them.
fn stamp(n: u32) -> String {
    let day = if n < 6 { 1 + n % 3 } else { 4 + n % 3 };
    format!("2020-06-0{day}T10:00:00.{n:07}Z")
}

/// Entity `n` of the table, in the shape of REFERENCE-WORKFLOWS 1.5.
fn entity(n: u32) -> String {
    let customer = format!(
        r#"{{"FirstName":"Ada{n}","LastName":"Lovelace","Email":"ada{n}@example.com","Phone":"0123","Country":"UK","Company":"Engines","Title":"Analyst"}}"#
    );
    serde_json::json!({
        "PartitionKey": format!("pk{}", n % 2),
        "RowKey": format!("row{n:03}"),
        "Timestamp": stamp(n),
        "ActionCode": "INS",
        "CreatedTime": "6/1/2020 10:00:00 AM",
        "CustomerInfo": customer,
        "Description": "from the table",
        "LeadSource": "AzureMarketplace-INS|contoso.offer",
        "OfferDisplayName": "Contoso Offer",
    })
    .to_string()
}

fn export(rows: impl IntoIterator<Item = u32>) -> Vec<u8> {
    let mut text = String::new();
    for n in rows {
        text.push_str(&entity(n));
        text.push('\n');
    }
    text.into_bytes()
}

async fn items(spool: &Spool) -> u64 {
    let status = spool.status().await.unwrap();
    status.pending + status.leased + status.done + status.parked
}

#[tokio::test]
async fn a_resumed_run_imports_only_the_rest_and_a_rerun_imports_nothing() {
    let dir = TempDir::new();
    resume(&dir.spool().await).await;
}

#[tokio::test]
async fn bad_lines_become_dead_letters_once_with_their_line_number() {
    let dir = TempDir::new();
    bad_lines(&dir.spool().await).await;
}

/// The same on PostgreSQL (the watermark's upsert differs most between the two).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_too() {
    let Some(url) = test_postgres::fresh_database("import_resume").await else {
        return;
    };
    resume(&Spool::open(&url, SpoolOptions::default()).await.unwrap()).await;
    let Some(url) = test_postgres::fresh_database("import_bad_lines").await else {
        return;
    };
    bad_lines(&Spool::open(&url, SpoolOptions::default()).await.unwrap()).await;
}

async fn resume(spool: &Spool) {
    let spool = spool.clone();
    // Written out of time order, as an export by key would be.
    let file = export([4, 1, 5, 0, 3, 2]);

    let first = import_table(
        &spool,
        &file,
        &ImportOptions::default().limit(2).batch_size(1),
    )
    .await
    .unwrap();
    assert_eq!(
        (first.lines, first.imported, first.left_for_next_run),
        (6, 2, 4)
    );
    // The two oldest rows went first.
    let mark = first.watermark.clone().expect("a watermark");
    assert_eq!(mark.row_key, "row003", "{mark}");
    assert_eq!(items(&spool).await, 2);

    let second = import_table(&spool, &file, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (
            second.already_imported,
            second.imported,
            second.already_queued
        ),
        (2, 4, 0),
        "{second}"
    );
    assert_eq!(items(&spool).await, 6);
    assert_eq!(
        second.watermark.as_ref().unwrap().timestamp,
        OffsetDateTime::parse(&stamp(5), &Rfc3339).unwrap()
    );

    let third = import_table(&spool, &file, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((third.imported, third.already_imported), (0, 6), "{third}");
    assert_eq!(items(&spool).await, 6);

    // The table grew: the next export imports only the new rows.
    let grown = export(0..8);
    let fourth = import_table(&spool, &grown, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (fourth.imported, fourth.already_imported),
        (2, 6),
        "{fourth}"
    );
    assert_eq!(items(&spool).await, 8);
}

#[tokio::test]
async fn leads_enqueued_before_a_crash_are_not_queued_twice() {
    let dir = TempDir::new();
    let spool = dir.spool().await;
    // As if a run enqueued rows 0 and 1 and died before recording them: the same leads,
    // keyed by their row and the day of their CreatedTime.
    for n in [0, 1] {
        let raw = entity(n).into_bytes();
        let lead = Lead::parse(&raw).unwrap();
        let created = OffsetDateTime::parse("2020-06-01T10:00:00Z", &Rfc3339).unwrap();
        let received = Received {
            key: lead.table_row_idempotency_key(
                created.unix_timestamp(),
                &format!("pk{}", n % 2),
                &format!("row{n:03}"),
                &KeyOptions::default(),
            ),
            lead,
            raw_body: raw,
            received_at: created,
        };
        spool.enqueue(&received).await.unwrap();
    }
    let report = import_table(&spool, &export(0..3), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((report.imported, report.already_queued), (1, 2), "{report}");
    assert_eq!(items(&spool).await, 3);
}

/// An export is a paged scan in key order, not a snapshot: a row written to a partition the
/// scan had passed shows up only in the next export, older than rows already imported.
#[tokio::test]
async fn a_row_that_shows_up_late_behind_newer_rows_is_still_imported() {
    let dir = TempDir::new();
    let spool = dir.spool().await;
    let first = import_table(&spool, &export(1..6), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(first.imported, 5, "{first}");
    let mark = first.watermark.clone().unwrap();
    let second = import_table(&spool, &export(0..6), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (second.imported, second.already_imported),
        (1, 5),
        "{second}"
    );
    assert_eq!(items(&spool).await, 6);
    // The watermark reports the newest row; the late one does not move it back.
    assert_eq!(second.watermark, Some(mark));
}

/// A row is one lead: an update (new Timestamp, same keys) is not a second lead, and two
/// rows with the same content are two leads.
#[tokio::test]
async fn an_updated_row_is_one_lead_and_twin_rows_are_two() {
    let dir = TempDir::new();
    let spool = dir.spool().await;
    let twin = entity(0).replace("row000", "row900");
    let file = format!("{}\n{twin}\n", entity(0));
    let first = import_table(&spool, file.as_bytes(), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((first.imported, first.already_queued), (2, 0), "{first}");

    // Updated two days later: a new Timestamp, the same keys and CreatedTime.
    let updated = entity(0)
        .replace(&stamp(0), "2020-06-09T08:00:00Z")
        .replace("from the table", "edited");
    let second = import_table(&spool, updated.as_bytes(), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (second.imported, second.already_imported),
        (0, 1),
        "{second}"
    );
    assert_eq!(items(&spool).await, 2);
}

/// Without CreatedTime, the lead's day comes from Timestamp, and the report says how often.
#[tokio::test]
async fn rows_without_created_time_are_counted() {
    let dir = TempDir::new();
    let spool = dir.spool().await;
    let bare = entity(0).replace(r#""CreatedTime":"6/1/2020 10:00:00 AM","#, "");
    assert_ne!(bare, entity(0));
    let file = format!("{bare}\n{}\n", entity(1));
    let report = import_table(&spool, file.as_bytes(), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (report.imported, report.created_from_timestamp),
        (2, 1),
        "{report}"
    );
    assert!(report.to_string().contains("no readable CreatedTime"));
}

async fn bad_lines(spool: &Spool) {
    let no_stamp = entity(9).replace("\"Timestamp\"", "\"Stamp\"");
    let file = format!(
        "{}\n{{\"PartitionKey\": \n\n{}\n{no_stamp}\r\n",
        entity(0),
        entity(1)
    );
    let report = import_table(spool, file.as_bytes(), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (report.lines, report.blank, report.imported, report.rejected),
        (5, 1, 2, 2),
        "{report}"
    );
    let dead = spool.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 2);
    let mut reasons: Vec<(String, String)> = dead
        .iter()
        .map(|d| (d.rejection.code.clone(), d.rejection.reason.clone()))
        .collect();
    reasons.sort();
    assert_eq!(reasons[0].0, "missing_table_column");
    assert!(
        reasons[0].1.starts_with("Azure Table export line 5: "),
        "{reasons:?}"
    );
    assert_eq!(reasons[1].0, "not_json");
    assert!(
        reasons[1].1.starts_with("Azure Table export line 2: "),
        "{reasons:?}"
    );
    // The dead letter keeps the line as it was (without its line end).
    assert!(dead.iter().any(|d| d.raw_body == no_stamp.as_bytes()));

    let again = import_table(spool, file.as_bytes(), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (again.rejected, again.rejected_before, again.imported),
        (0, 2, 0)
    );
    assert_eq!(spool.dead_letters(10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_dry_run_counts_and_writes_nothing() {
    let dir = TempDir::new();
    let spool = dir.spool().await;
    let mut file = export(0..4);
    file.extend_from_slice(b"not json\n");
    let report = import_table(&spool, &file, &ImportOptions::default().dry_run(true))
        .await
        .unwrap();
    assert!(report.dry_run);
    assert_eq!((report.imported, report.rejected), (4, 1), "{report}");
    assert!(report.to_string().contains("would import 4"), "{report}");
    assert_eq!(items(&spool).await, 0);
    assert!(spool.dead_letters(10).await.unwrap().is_empty());
    // Nothing was recorded, so the real run does it all.
    let real = import_table(&spool, &file, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((real.imported, real.rejected), (4, 1));
}

#[tokio::test]
async fn bad_options_are_refused() {
    let dir = TempDir::new();
    let spool = dir.spool().await;
    for options in [
        ImportOptions::default().batch_size(0),
        ImportOptions::default().source(" "),
    ] {
        let err = import_table(&spool, b"", &options).await.unwrap_err();
        assert!(err.to_string().contains("table import"), "{err}");
    }
    let empty = import_table(&spool, b"", &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(empty.lines, 0);
}

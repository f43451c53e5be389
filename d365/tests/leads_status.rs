//! `d365 leads status` and `d365 leads retry` end to end: the real binary reading a SQLite
//! spool prepared through the `lead-writer` API in a scratch directory (no sign-in, no org).

use std::path::PathBuf;
use std::time::Duration;

use lead_writer::spool::Received;
use lead_writer::{KeyOptions, Lead, Rejection, Spool, SpoolOptions};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

mod org_support;
use org_support::{Run, run_blocking};

/// The parked lead's stored error: what the writer records for a missing privilege.
const PRIVILEGE_ERROR: &str =
    "writing the lead failed: HTTP 403, code 0x80040220: principal lacks prvCreateLead";

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("d365-leads-status-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn spool(&self) -> String {
        self.0.join("leads.db").to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Microsoft's HTTPS-endpoint example lead, with a different email per `n`.
fn lead(n: u32) -> Received {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reference/fixtures/marketplace/https-endpoint-lead-example.json"
    );
    let mut body: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).unwrap();
    body["UserDetails"]["Email"] = Value::from(format!("someone{n}@contoso.com"));
    let raw_body = serde_json::to_vec(&body).unwrap();
    let lead = Lead::parse(&raw_body).expect("the fixture parses");
    let now = OffsetDateTime::now_utc();
    let key = lead.idempotency_key(now.unix_timestamp(), &KeyOptions::default());
    Received {
        raw_body,
        lead,
        key,
        received_at: now,
    }
}

/// A spool with three leads, one of them parked for a missing privilege, and one dead letter.
async fn prepared_spool(path: &str) -> Spool {
    let spool = Spool::open(path, SpoolOptions::default()).await.unwrap();
    for n in 0..3 {
        spool.enqueue(&lead(n)).await.unwrap();
    }
    let claimed = spool
        .claim("test-writer", 1, Duration::from_secs(60))
        .await
        .unwrap();
    spool
        .fail(claimed[0].id, "test-writer", PRIVILEGE_ERROR, false)
        .await
        .unwrap();
    spool
        .dead_letter(
            b"not json at all",
            &Rejection {
                code: "not_json".to_owned(),
                reason: "lead body is not JSON: expected value at line 1, column 1".to_owned(),
            },
        )
        .await
        .unwrap();
    spool
}

async fn d365(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || run_blocking(&args, ""))
        .await
        .expect("the run finished")
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_counts_and_the_parked_reason_without_lead_data() {
    let dir = Scratch::new();
    let path = dir.spool();
    let _spool = prepared_spool(&path).await;

    let run = d365(&["leads", "status", "--spool", &path]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    let out = &run.stdout;
    assert!(
        out.contains("Queue depth      2 (pending 2, due now 2; leased 0)"),
        "{out}"
    );
    assert!(out.contains("Parked           1"), "{out}");
    assert!(out.contains("Dead letters     1"), "{out}");
    assert!(out.contains("0x80040220"), "{out}");
    assert!(out.contains("principal lacks prvCreateLead"), "{out}");
    assert!(out.contains("not_json"), "{out}");
    assert!(
        !out.contains("contoso.com") && !out.contains("not json at all"),
        "{out}"
    );

    let json = d365(&["leads", "status", "--spool", &path, "--json"])
        .await
        .ok_json();
    assert_eq!(json["queue_depth"], 2);
    assert_eq!(json["counts"]["pending"], 2);
    assert_eq!(json["counts"]["parked"], 1);
    assert_eq!(json["counts"]["dead_letters"], 1);
    assert_eq!(json["parked"][0]["attempts"], 1);
    assert_eq!(json["parked"][0]["code"], "0x80040220");
    assert_eq!(json["parked"][0]["error"], PRIVILEGE_ERROR);
    assert_eq!(json["dead_letters"][0]["code"], "not_json");
    assert!(json["oldest_received_at"].is_string(), "{json}");
    assert!(!json.to_string().contains("contoso.com"));
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_all_puts_parked_leads_back_to_pending() {
    let dir = Scratch::new();
    let path = dir.spool();
    let spool = prepared_spool(&path).await;

    let none = d365(&[
        "leads",
        "retry",
        "--spool",
        &path,
        "--error-contains",
        "0x80048306",
        "--json",
    ])
    .await
    .ok_json();
    assert_eq!(none["put_back"], 0);

    let run = d365(&["leads", "retry", "--spool", &path, "--all"]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(run.stdout.starts_with("Put 1 parked lead back"), "{run:#?}");

    let status = spool.status().await.unwrap();
    assert_eq!((status.pending, status.parked), (3, 0));
    let json = d365(&["leads", "status", "--spool", &path, "--json"])
        .await
        .ok_json();
    assert_eq!(json["counts"]["pending"], 3);
    assert_eq!(json["parked"], Value::Array(Vec::new()));

    let again = d365(&["leads", "retry", "--spool", &path, "--all", "--json"])
        .await
        .ok_json();
    assert_eq!(again["put_back"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_by_id_and_by_error_text() {
    let dir = Scratch::new();
    let path = dir.spool();
    let spool = prepared_spool(&path).await;
    let parked_id = spool.parked(10).await.unwrap()[0].id.to_string();

    let json = d365(&["leads", "retry", "--spool", &path, "--id", "999", "--json"])
        .await
        .ok_json();
    assert_eq!(json["put_back"], 0);
    let json = d365(&[
        "leads", "retry", "--spool", &path, "--id", &parked_id, "--json",
    ])
    .await
    .ok_json();
    assert_eq!(json["put_back"], 1);

    // Park it again, then put it back by its error code.
    let claimed = spool
        .claim("test-writer", 10, Duration::from_secs(60))
        .await
        .unwrap();
    let again = claimed
        .iter()
        .find(|i| i.id.to_string() == parked_id)
        .expect("the put-back item is due now");
    spool
        .fail(again.id, "test-writer", PRIVILEGE_ERROR, false)
        .await
        .unwrap();
    let json = d365(&[
        "leads",
        "retry",
        "--spool",
        &path,
        "--error-contains",
        "0x80040220",
        "--json",
    ])
    .await
    .ok_json();
    assert_eq!(json["put_back"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_spool_or_no_choice_exits_2_with_what_to_fix() {
    let dir = Scratch::new();
    let path = dir.spool();

    let run = d365(&["leads", "status", "--spool", &path]).await;
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("no spool file"), "{run:#?}");
    assert!(run.stderr.contains("leads serve"), "{run:#?}");
    assert!(
        !std::path::Path::new(&path).exists(),
        "status must not create a spool"
    );

    let run = d365(&["leads", "retry", "--spool", &path, "--json"]).await;
    assert_eq!(run.code, 2, "{run:#?}");
    let error: Value = serde_json::from_str(&run.stdout).expect("the error as JSON");
    assert_eq!(error["error"]["kind"], "usage");
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_postgres_spool_exits_6_without_the_password() {
    let url = format!(
        "postgres://leads:hunter2-secret@127.0.0.1:{}/leads",
        closed_port()
    );
    let run = d365(&["leads", "status", "--spool", &url, "--json"]).await;
    assert_eq!(run.code, 6, "{run:#?}");
    let error: Value = serde_json::from_str(&run.stdout).expect("the error as JSON");
    assert_eq!(error["error"]["kind"], "service");
    assert!(
        error["error"]["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("reachable"),
        "{run:#?}"
    );
    assert!(
        !run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"),
        "{run:#?}"
    );
}

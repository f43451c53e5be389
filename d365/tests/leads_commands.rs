//! `d365 leads setup`, `validate` and `import-table` end to end: the real binary against an
//! emulator started in this test process (signed in as its seeded administrator), and a
//! `leads serve` process started here for `validate`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use uuid::Uuid;

mod org_support;
use org_support::{Fixture, run_blocking};

/// A scratch directory removed when dropped (spools hold personal data).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("d365-leads-cmd-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed when dropped.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_twice_changes_nothing_the_second_time() {
    let fx = Fixture::start().await;
    let app = Uuid::new_v4().to_string();
    let first = fx
        .run(&["leads", "setup", "--app-id", &app, "--json"])
        .await
        .ok_json();
    assert_eq!(first["changed"], true, "{first}");
    assert_eq!(first["user_created"], true, "{first}");
    assert_eq!(first["solution_imported"], true, "{first}");
    assert_eq!(first["role_assigned"], true, "{first}");
    assert_eq!(first["privileges_added"].as_array().map(Vec::len), Some(6));
    // No secret in the environment: no URL, and the setup is done all the same.
    assert!(first["partner_center_url"].is_null(), "{first}");

    let again = fx.run(&["leads", "setup", "--app-id", &app]).await;
    assert_eq!(again.code, 0, "{again:#?}");
    assert!(again.stdout.contains("Nothing to change"), "{again:#?}");
    assert!(again.stdout.contains("Set D365_LEADS_SECRET"), "{again:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_table_imports_once_and_sends_bad_lines_to_the_dead_letters() {
    let dir = Scratch::new();
    let export = dir.path("MarketplaceLeads.jsonl");
    let row = |n: u32| {
        serde_json::json!({
            "PartitionKey": "2020-06-01",
            "RowKey": format!("r{n}"),
            "Timestamp": format!("2020-06-01T10:00:0{n}Z"),
            "CustomerInfo": format!("{{\"FirstName\":\"Ada\",\"LastName\":\"L{n}\",\"Email\":\"a{n}@example.com\"}}"),
            "LeadSource": "AzureMarketplace-INS|contoso.offer",
            "OfferDisplayName": "Contoso Offer",
        })
        .to_string()
    };
    std::fs::write(&export, format!("{}\n{{broken\n{}\n", row(1), row(2))).unwrap();
    let spool = dir.path("leads.db");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = [
            "leads",
            "import-table",
            export.as_str(),
            "--spool",
            spool.as_str(),
            "--json",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        all.extend(extra.iter().map(|s| (*s).to_owned()));
        all
    };

    let dry = run_blocking(&args(&["--dry-run"]), "").ok_json();
    assert_eq!(
        (dry["imported"].as_u64(), dry["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{dry}"
    );
    let first = run_blocking(&args(&[]), "").ok_json();
    assert_eq!(
        (first["imported"].as_u64(), first["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{first}"
    );
    let again = run_blocking(&args(&[]), "").ok_json();
    assert_eq!(
        (
            again["imported"].as_u64(),
            again["already_imported"].as_u64(),
            again["rejected"].as_u64()
        ),
        (Some(0), Some(2), Some(0)),
        "{again}"
    );

    let status = run_blocking(
        &["leads", "status", "--spool", spool.as_str(), "--json"].map(str::to_owned),
        "",
    )
    .ok_json();
    let text = status.to_string();
    assert!(text.contains("Azure Table export line 2"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_sends_the_test_lead_through_a_running_serve_into_the_org() {
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    let secret = format!("{}{}", Uuid::new_v4().simple(), "x");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let base = fx.base();
    let user = &fx.emulator.defaults().user;
    let mut serve = Command::new(env!("CARGO_BIN_EXE_d365"));
    serve
        .args([
            "leads",
            "serve",
            "--spool",
            &dir.path("leads.db"),
            "--listen",
            &listen,
            "--secret-env",
            "LEADS_TEST_SECRET",
            "--service-url",
            &base,
            "--authority-host",
            &base,
            "--client-id",
            &fx.emulator.defaults().public_client_id.to_string(),
            "--org-url",
            &base,
        ])
        .env("LEADS_TEST_SECRET", &secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("D365_") || name == "RUST_LOG" {
            serve.env_remove(name);
        }
    }
    let mut child = serve.spawn().expect("leads serve starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{}\n{}\n", user.upn, user.password).as_bytes())
        .unwrap();
    let _serving = Serving(child);
    // Bounded wait until it listens (a failure, not a timing goal).
    let mut listening = false;
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(&listen).await.is_ok() {
            listening = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listening, "leads serve did not start listening");

    let url = format!("http://{listen}/leads/{secret}");
    let found = fx
        .run(&[
            "leads",
            "validate",
            "--url",
            &url,
            "--interval",
            "1",
            "--timeout",
            "60",
            "--json",
        ])
        .await
        .ok_json();
    let id = found["lead_id"].as_str().expect("a lead id").to_owned();
    assert!(
        found["subject"]
            .as_str()
            .is_some_and(|s| s.contains("Contoso Test")),
        "{found}"
    );
    assert!(
        fx.emulator
            .seed()
            .rows("leads")
            .iter()
            .any(|r| r["leadid"] == id.as_str()),
        "lead {id} is in the table"
    );

    let wrong = fx
        .run(&[
            "leads",
            "validate",
            "--url",
            &format!("http://{listen}/leads/wrong-secret-0123456789abcdef"),
        ])
        .await;
    assert_eq!(wrong.code, 4, "{wrong:#?}");
    assert!(wrong.stderr.contains("secret"), "{wrong:#?}");
    assert!(!wrong.stderr.contains(&secret), "{wrong:#?}");
}

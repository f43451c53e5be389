//! `validate` end to end: the intake router served on loopback with a writer behind it, the
//! emulator as Dataverse. The test lead goes through the endpoint and is found in the lead
//! table; a wrong secret, a dead endpoint and a missing writer each give their own error.

use std::time::Duration;

use lead_writer::service::{ServiceOptions, ServiceState, UrlSecret, router};
use lead_writer::validate::{Progress, ValidateError, ValidateOptions, validate};
use lead_writer::{Mapping, Spool, Writer, WriterOptions};
use tokio::sync::watch;

use super::support::{TempSpool, admin_client, emulator};

const SECRET: &str = "validate-test-secret-0123456789";

/// Serves the intake for `spool` on a loopback port; answers its base URL and a stopper.
async fn serve(spool: &Spool, writer: Option<Writer>) -> (String, watch::Sender<bool>) {
    let options = ServiceOptions::new(UrlSecret::new(SECRET).unwrap());
    let state = match &writer {
        Some(w) => ServiceState::with_writer(spool.clone(), options, w.clone()),
        None => ServiceState::new(spool.clone(), options),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = watch::channel(false);
    let mut serving = stopped.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(state))
            .with_graceful_shutdown(async move {
                let _ = serving.wait_for(|s| *s).await;
            })
            .await;
    });
    if let Some(writer) = writer {
        let mut writing = stopped;
        tokio::spawn(async move {
            writer
                .run(async move {
                    let _ = writing.wait_for(|s| *s).await;
                })
                .await;
        });
    }
    (base, stop)
}

fn quick() -> ValidateOptions {
    ValidateOptions::default()
        .poll_interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(30))
}

#[tokio::test]
async fn the_test_lead_goes_through_the_endpoint_into_the_lead_table() {
    let emulator = emulator().await;
    let admin = admin_client(&emulator);
    let dir = TempSpool::new();
    let spool = dir.open().await;
    let writer = Writer::start(
        admin.clone(),
        spool.clone(),
        WriterOptions::new("validate", Mapping::default()).idle_poll(Duration::from_millis(10)),
    )
    .await
    .unwrap();
    let (base, stop) = serve(&spool, Some(writer)).await;

    let mut heard = Vec::new();
    let found = validate(
        &format!("{base}/leads/{SECRET}"),
        &admin,
        &quick(),
        &mut |p| heard.push(p),
    )
    .await
    .expect("the test lead reaches Dataverse");
    assert_eq!(heard.first(), Some(&Progress::Posted { status: 200 }));
    let subject = found.subject.clone().expect("the lead has a subject");
    assert!(subject.contains("Contoso Test"), "{subject}");
    let row = emulator
        .seed()
        .rows("leads")
        .into_iter()
        .find(|r| r["leadid"] == found.id.hyphenated().to_string())
        .expect("the row is there");
    assert!(
        row["description"]
            .as_str()
            .is_some_and(|d| d.contains("MSFT_TEST_")),
        "{row}"
    );
    let _ = stop.send(true);
}

#[tokio::test]
async fn a_wrong_secret_a_dead_endpoint_and_no_writer_each_say_what_to_check() {
    let emulator = emulator().await;
    let admin = admin_client(&emulator);
    let dir = TempSpool::new();
    let spool = dir.open().await;
    // Intake only: nothing writes what it takes.
    let (base, stop) = serve(&spool, None).await;

    let wrong = validate(
        &format!("{base}/leads/not-the-secret-0123456789abc"),
        &admin,
        &quick(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(wrong, ValidateError::WrongSecret { status: 404, .. }),
        "{wrong}"
    );
    assert!(!wrong.to_string().contains("not-the-secret"), "{wrong}");

    let mut waits = 0;
    let timed_out = validate(
        &format!("{base}/leads/{SECRET}"),
        &admin,
        &quick().timeout(Duration::from_millis(100)),
        &mut |p| {
            if matches!(p, Progress::Waiting { .. }) {
                waits += 1;
            }
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(timed_out, ValidateError::TimedOut { .. }),
        "{timed_out}"
    );
    assert!(
        timed_out.to_string().contains("d365 leads status"),
        "{timed_out}"
    );
    assert!(waits >= 1);
    assert_eq!(spool.status().await.unwrap().pending, 1);

    // A port nobody listens on any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/leads/{SECRET}", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = validate(&dead, &admin, &quick(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(unreachable, ValidateError::Unreachable { .. }),
        "{unreachable}"
    );
    assert!(!unreachable.to_string().contains(SECRET), "{unreachable}");
    let _ = stop.send(true);
}

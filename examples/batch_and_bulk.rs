//! `$batch` and bulk writes: an atomic change set that creates an account and its contact and
//! links them through `Content-ID` references; then a thousand leads written with bulk
//! operation messages (`CreateMultiple`) and a thousand in parallel `$batch` requests, each
//! with one outcome per row.
//!
//! ```sh
//! cargo run --example batch_and_bulk
//! ```
//! Against an org: the variables of `crud_and_query`.

mod common;

use std::time::Instant;

use dynamics_rs::dataverse::{
    Batch, BatchOptions, BatchRequest, BulkMessages, BulkOptions, Record,
};

/// One result line: the label in a fixed-width column, then the value.
fn line(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<14} {value}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::dataverse::connect().await?;
    let client = &target.client;

    let mut batch = Batch::new();
    batch.push_change_set(vec![
        BatchRequest::create("accounts", &Record::new().with("name", "Fourth Coffee"))?
            .content_id(1),
        BatchRequest::create(
            "contacts",
            &Record::new()
                .with("firstname", "Rene")
                .with("lastname", "Valdes"),
        )?
        .content_id(2),
        BatchRequest::put(
            "$1/primarycontactid/$ref",
            &serde_json::json!({ "@odata.id": "$2" }),
        )?
        .content_id(3),
    ])?;
    batch.push(BatchRequest::get("accounts?$select=name&$top=5"));
    let result = client
        .execute_batch(&batch, &BatchOptions::default())
        .await?;
    println!("$batch: parts 1-3 are one change set (account, contact, link); part - is a read:");
    for response in &result.responses {
        line(
            &format!("part {}", response.content_id.as_deref().unwrap_or("-")),
            format!("HTTP {}", response.status),
        );
    }
    line(
        "change set",
        if result.all_succeeded() {
            "committed (all or nothing)"
        } else {
            "rolled back"
        },
    );

    // The same thousand leads twice: once as bulk operation messages (`CreateMultiple`, where
    // the table offers it; the client learns that once and falls back to `$batch` if not), once
    // as `$batch` requests. Both run several requests in flight and report one outcome per row.
    for (mode, messages, how) in [
        (
            "CreateMultiple",
            BulkMessages::Auto,
            "in CreateMultiple requests of 100 rows",
        ),
        (
            "$batch",
            BulkMessages::Never,
            "in $batch requests of 50 rows",
        ),
    ] {
        let leads: Vec<Record> = (0..1000)
            .map(|i| {
                Record::new()
                    .with("subject", format!("Marketplace lead {i} ({mode})"))
                    .with("lastname", "Bulk")
            })
            .collect();
        let started = Instant::now();
        let report = client
            .create_many(
                "leads",
                &leads,
                &BulkOptions {
                    batch_size: 50,
                    rows_per_message: 100,
                    messages,
                    ..Default::default()
                },
            )
            .await?;
        let elapsed = started.elapsed();
        println!(
            "\n{} leads created {how}, several in flight; one outcome per row:",
            leads.len()
        );
        line(
            "written",
            format!("{} of {}", report.succeeded(), leads.len()),
        );
        line("failed", report.failures().len());
        line(
            "elapsed",
            format!(
                "{elapsed:.2?} ({:.0} rows/s)",
                leads.len() as f64 / elapsed.as_secs_f64()
            ),
        );
        line(
            "concurrency",
            format!(
                "{} requests at once (the adaptive limit after the run)",
                client.limiter().limit()
            ),
        );
        line(
            "new ids",
            format!(
                "{} (first {})",
                report.ids().len(),
                report
                    .ids()
                    .first()
                    .map_or_else(|| "-".to_string(), ToString::to_string)
            ),
        );
        for (index, failure) in report.failures().into_iter().take(5) {
            line(&format!("row {index}"), format!("failed: {failure}"));
        }
    }

    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

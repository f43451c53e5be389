//! `$batch` and bulk writes: an atomic change set that creates an account and its contact and
//! links them through `Content-ID` references; then a thousand leads written in parallel
//! batches with one outcome per row.
//!
//! ```sh
//! cargo run --example batch_and_bulk
//! ```
//! Against an org: the variables of `crud_and_query`.

mod common;

use std::time::Instant;

use dynamics_rs::dataverse::{Batch, BatchOptions, BatchRequest, BulkOptions, Record};

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
    for response in &result.responses {
        println!(
            "  batch part {:>4}  HTTP {}",
            response.content_id.as_deref().unwrap_or("-"),
            response.status
        );
    }
    println!("change set committed: {}", result.all_succeeded());

    let leads: Vec<Record> = (0..1000)
        .map(|i| {
            Record::new()
                .with("subject", format!("Marketplace lead {i}"))
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
                ..Default::default()
            },
        )
        .await?;
    let elapsed = started.elapsed();
    println!(
        "bulk create: {} of {} rows written in {:.2?} ({:.0} rows/s), {} failed, concurrency now {}",
        report.succeeded(),
        leads.len(),
        elapsed,
        leads.len() as f64 / elapsed.as_secs_f64(),
        report.failures().len(),
        client.limiter().limit(),
    );
    println!(
        "new ids: {} (first {})",
        report.ids().len(),
        report
            .ids()
            .first()
            .map_or_else(|| "-".to_string(), ToString::to_string)
    );
    for (index, failure) in report.failures().into_iter().take(5) {
        println!("  row {index} failed: {failure:?}");
    }

    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

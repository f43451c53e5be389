//! Streaming 1,000,000 rows through the paging stream from an emulator in another process:
//! prints rows/s and the client's peak resident memory (goal: under 64 MiB).
//!
//! ```sh
//! cargo bench -p dataverse-webapi --bench streaming
//! ```

mod support;

use std::time::Instant;

use futures::TryStreamExt;

const ROWS: usize = 1_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if support::serve_if_child() {
        return Ok(());
    }
    let server = support::Server::start(&support::ServerSpec {
        generated_leads: ROWS,
        ..Default::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = support::client(&server.base_url);
        let before = support::peak_rss_mib();
        let query = client
            .table("leads")
            .query()
            .select(["subject", "lastname", "emailaddress1"])
            .max_page_size(5000);
        let started = Instant::now();
        let mut rows = 0usize;
        let mut stream = std::pin::pin!(query.records());
        while let Some(record) = stream.try_next().await? {
            rows += usize::from(!record.is_empty());
        }
        let elapsed = started.elapsed();
        println!("streaming benchmark: {rows} rows of leads through the paging stream, pages of 5000");
        println!("conditions: {}", support::conditions());
        println!(
            "  {:.0} rows/s ({:.2?} total)",
            rows as f64 / elapsed.as_secs_f64(),
            elapsed
        );
        println!(
            "  client peak resident memory {:.1} MiB (before the query {:.1} MiB; goal: under 64 MiB)",
            support::peak_rss_mib().unwrap_or(f64::NAN),
            before.unwrap_or(f64::NAN)
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

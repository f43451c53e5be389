//! Records and queries on the Dataverse Web API: create, retrieve, update with optimistic
//! concurrency, upsert by alternate key, a safe filter, paging through a stream, and delete.
//!
//! ```sh
//! cargo run --example crud_and_query
//! ```
//! Against an org: `DYNAMICS_TENANT_ID`, `DYNAMICS_CLIENT_ID`, `DYNAMICS_CLIENT_SECRET`,
//! `DYNAMICS_ORG_URL` (the app needs an application user with rights on `lead`).

mod common;

use dynamics_rs::dataverse::{Filter, Order, Record};
use futures::TryStreamExt;

/// One result line: the label in a fixed-width column, then the value.
fn line(label: &str, value: impl std::fmt::Display) {
    println!("{label:<24} {value}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::dataverse::connect().await?;
    let client = &target.client;
    let leads = client.table("leads");

    let me = client.who_am_i().await?;
    line("signed in as", format!("systemuser {}", me.user_id));

    // Create, then read back what was stored.
    let lead = Record::new()
        .with("subject", "Interested in Test Drive")
        .with("firstname", "Siobhán")
        .with("lastname", "O'Bryan")
        .with("companyname", "Contoso Pharmaceuticals");
    let id = leads.create(&lead).await?;
    let stored = leads.retrieve(id).select(["subject", "lastname"]).await?;
    line(
        "created lead",
        format!("{id} (etag {})", stored.etag().unwrap_or("-")),
    );

    // Update only if nobody changed it since we read it.
    let etag = stored
        .etag()
        .ok_or("the service answered without an ETag")?;
    leads
        .update(id, &Record::new().with("subject", "Test Drive booked"))
        .if_match(etag)
        .await?;
    // The same ETag is stale now: the service refuses the second update.
    let stale = leads
        .update(id, &Record::new().with("subject", "lost update"))
        .if_match(etag)
        .await;
    line(
        "update, stale etag",
        if stale.is_err_and(|e| e.is_precondition_failed()) {
            "refused (412), as it should be"
        } else {
            "NOT refused"
        },
    );

    // A filter with a value that would break a hand-written one: the quote is doubled.
    for i in 0..25 {
        leads
            .create(
                &Record::new()
                    .with("subject", format!("Batch of interest {i}"))
                    .with("lastname", "O'Bryan"),
            )
            .await?;
    }
    let query = leads
        .query()
        .select(["subject", "lastname"])
        .filter(Filter::eq("lastname", "O'Bryan").and(Filter::starts_with("subject", "Batch of")))
        .order_by("subject", Order::Asc)
        .max_page_size(10);
    let mut pages = query.pages();
    let mut rows = 0;
    let mut page_count = 0;
    while let Some(page) = pages.try_next().await? {
        page_count += 1;
        rows += page.value.len();
    }
    line(
        "query",
        format!("{rows} rows in {page_count} pages of at most 10"),
    );

    // Rows as a stream, memory bounded by one page.
    let subjects: Vec<String> = query
        .records()
        .map_ok(|r| r.get_str("subject").unwrap_or_default().to_string())
        .try_collect()
        .await?;
    line(
        "first subject",
        subjects.first().map(String::as_str).unwrap_or("-"),
    );

    leads.delete(id).await?;
    let gone = leads.retrieve(id).select(["subject"]).await;
    line(
        "retrieve after delete",
        if gone.is_err_and(|e| e.is_not_found()) {
            "not found (404), as it should be"
        } else {
            "STILL FOUND"
        },
    );

    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

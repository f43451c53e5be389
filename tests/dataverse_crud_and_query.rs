//! Workflow: Dataverse Web API create, read, update, delete and query (`crud_and_query`),
//! app-only with a client secret, against the emulator's org.

mod common;

use dynamics_rs::dataverse::{Filter, Order, Record};
use futures::TryStreamExt;

#[tokio::test]
async fn create_retrieve_update_delete_a_lead() {
    let emulator = common::start().await;
    let client = common::dataverse_client(&emulator);
    let leads = client.table("leads");

    let me = client.who_am_i().await.expect("WhoAmI");
    assert!(!me.user_id.is_nil());

    let leads_before = emulator.seed().row_count("leads");
    let lead = Record::new()
        .with("subject", "Interested in Test Drive")
        .with("firstname", "Siobhán")
        .with("lastname", "O'Bryan");
    let id = leads.create(&lead).await.expect("create");
    assert_eq!(emulator.seed().row_count("leads"), leads_before + 1);

    let stored = leads
        .retrieve(id)
        .select(["subject", "firstname", "lastname"])
        .await
        .expect("retrieve");
    assert_eq!(stored.get_str("subject"), Some("Interested in Test Drive"));
    assert_eq!(stored.get_str("firstname"), Some("Siobhán"));
    assert_eq!(stored.get_str("lastname"), Some("O'Bryan"));
    let etag = stored.etag().expect("the row carries an etag").to_string();

    leads
        .update(id, &Record::new().with("subject", "Test Drive booked"))
        .if_match(&etag)
        .await
        .expect("update with the current etag");
    let updated = leads
        .retrieve(id)
        .select(["subject"])
        .await
        .expect("retrieve after update");
    assert_eq!(updated.get_str("subject"), Some("Test Drive booked"));

    // The old etag is stale now: optimistic concurrency refuses the lost update.
    let stale = leads
        .update(id, &Record::new().with("subject", "lost update"))
        .if_match(&etag)
        .await
        .expect_err("stale etag must be refused");
    assert!(stale.is_precondition_failed(), "412, got {stale:?}");
    let unchanged = leads
        .retrieve(id)
        .select(["subject"])
        .await
        .expect("retrieve after refused update");
    assert_eq!(unchanged.get_str("subject"), Some("Test Drive booked"));

    leads.delete(id).await.expect("delete");
    assert_eq!(emulator.seed().row_count("leads"), leads_before);
    let gone = leads
        .retrieve(id)
        .select(["subject"])
        .await
        .expect_err("deleted row");
    assert!(gone.is_not_found(), "404, got {gone:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn filtered_ordered_query_pages_through_every_matching_row() {
    let emulator = common::start().await;
    let client = common::dataverse_client(&emulator);
    let leads = client.table("leads");

    for i in 0..25 {
        leads
            .create(
                &Record::new()
                    .with("subject", format!("Batch of interest {i:02}"))
                    .with("lastname", "O'Bryan"),
            )
            .await
            .expect("create");
    }
    // Rows that must not match: another last name, and a subject with another prefix.
    leads
        .create(
            &Record::new()
                .with("subject", "Batch of interest 99")
                .with("lastname", "Nguyen"),
        )
        .await
        .expect("create non-matching");
    leads
        .create(
            &Record::new()
                .with("subject", "Other subject")
                .with("lastname", "O'Bryan"),
        )
        .await
        .expect("create non-matching");

    let query = leads
        .query()
        .select(["subject", "lastname"])
        .filter(Filter::eq("lastname", "O'Bryan").and(Filter::starts_with("subject", "Batch of")))
        .order_by("subject", Order::Asc)
        .max_page_size(10);

    let mut pages = query.pages();
    let mut sizes = Vec::new();
    while let Some(page) = pages.try_next().await.expect("page") {
        sizes.push(page.value.len());
    }
    assert_eq!(sizes, vec![10, 10, 5], "25 rows in pages of at most 10");

    let subjects: Vec<String> = query
        .records()
        .map_ok(|r| r.get_str("subject").unwrap_or_default().to_string())
        .try_collect()
        .await
        .expect("records");
    let expected: Vec<String> = (0..25)
        .map(|i| format!("Batch of interest {i:02}"))
        .collect();
    assert_eq!(subjects, expected, "every match, in ascending order");
    emulator.shutdown().await;
}

//! Every payload in `reference/fixtures/marketplace/` (copied from Microsoft's docs, see its
//! SOURCES.md) read, keyed and mapped.

use std::path::PathBuf;

use lead_writer::{Error, KeyOptions, Lead, LeadAction, Mapping};

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reference/fixtures/marketplace"
    ))
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const HTTPS_EXAMPLE: &str = "https-endpoint-lead-example.json";
const SCHEMA: &str = "https-endpoint-lead-schema.json";
const TEST_LEAD: &str = "test-lead-example.json";
const TEST_LEAD_PUBLISHED: &str = "test-lead-as-published.malformed.txt";

#[test]
fn every_fixture_is_covered_here() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "SOURCES.md")
        .collect();
    names.sort();
    assert_eq!(
        names,
        [HTTPS_EXAMPLE, SCHEMA, TEST_LEAD_PUBLISHED, TEST_LEAD]
    );
}

#[test]
fn https_endpoint_example_reads_every_field() {
    let lead = Lead::parse(&read(HTTPS_EXAMPLE)).unwrap();
    assert_eq!(lead.first_name.as_deref(), Some("Some"));
    assert_eq!(lead.last_name.as_deref(), Some("One"));
    assert_eq!(lead.email.as_deref(), Some("someone@contoso.com"));
    assert_eq!(lead.phone.as_deref(), Some("16175555555"));
    assert_eq!(lead.country.as_deref(), Some("USA"));
    assert_eq!(lead.company.as_deref(), Some("Contoso"));
    assert_eq!(lead.title.as_deref(), Some("Esquire"));
    assert_eq!(lead.offer_title.as_deref(), Some("Test Microsoft"));
    assert_eq!(
        lead.description.as_deref(),
        Some("Test run through Power Automate")
    );
    assert!(lead.extra.is_empty() && lead.extra_user_details.is_empty());
    assert!(!lead.is_test());
    let origin = lead.origin();
    assert_eq!(origin.source.as_deref(), Some("AzureMarketplace"));
    assert_eq!(origin.action, Some(LeadAction::Install));

    let key = lead.idempotency_key(0, &KeyOptions::default());
    let columns = Mapping::default().to_columns(&lead, &key).unwrap();
    assert_eq!(
        serde_json::Value::Object(columns),
        serde_json::json!({
            "subject": "Marketplace lead: Test Microsoft (Get it now)",
            "firstname": "Some",
            "lastname": "One",
            "emailaddress1": "someone@contoso.com",
            "telephone1": "16175555555",
            "companyname": "Contoso",
            "jobtitle": "Esquire",
            "address1_country": "USA",
            "description": "Test run through Power Automate\n\nMarketplace lead\nOffer: Test Microsoft\nAction: INS (Get it now)\nSource: AzureMarketplace",
            "leadsourcecode": 8
        })
    );
}

#[test]
fn schema_properties_are_all_known_fields() {
    // Build a lead from the documented schema's property names: none may end up unknown.
    let schema: serde_json::Value = serde_json::from_slice(&read(SCHEMA)).unwrap();
    let mut body = serde_json::Map::new();
    for (name, property) in schema["properties"].as_object().unwrap() {
        let value = match property["properties"].as_object() {
            Some(nested) => nested
                .keys()
                .map(|key| (key.clone(), serde_json::Value::from(format!("v-{key}"))))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            None => serde_json::Value::from(format!("v-{name}")),
        };
        body.insert(name.clone(), value);
    }
    let lead = Lead::parse(serde_json::to_string(&body).unwrap().as_bytes()).unwrap();
    assert!(lead.extra.is_empty(), "{:?}", lead.extra.keys());
    assert!(lead.extra_user_details.is_empty());
    assert_eq!(lead.title.as_deref(), Some("v-Title"));
    assert_eq!(lead.offer_title.as_deref(), Some("v-OfferTitle"));

    // The schema document itself is not a lead.
    assert_eq!(
        Lead::parse(&read(SCHEMA)).unwrap_err(),
        Error::Empty { unknown_keys: 5 }
    );
}

#[test]
fn test_lead_is_recognised_and_mapped() {
    let lead = Lead::parse(&read(TEST_LEAD)).unwrap();
    assert!(lead.is_test());
    assert_eq!(
        lead.email.as_deref(),
        Some("MSFT_TEST_636573304831318844@test.com")
    );
    let key = lead.idempotency_key(0, &KeyOptions::default());
    let columns = Mapping::default().to_columns(&lead, &key).unwrap();
    assert_eq!(
        columns["subject"],
        "Marketplace lead: Contoso Test (Get it now)"
    );
    assert!(
        columns["description"]
            .as_str()
            .unwrap()
            .contains("Test lead: sent by Microsoft Partner Center")
    );
}

#[test]
fn test_lead_with_lower_case_user_details_is_the_same_lead() {
    // The English FAQ spells the container `userDetails` (REFERENCE-WORKFLOWS 1.2).
    let text = String::from_utf8(read(TEST_LEAD)).unwrap();
    let lower = text.replace("\"UserDetails\"", "\"userDetails\"");
    assert_ne!(text, lower);
    let options = KeyOptions::default();
    let a = Lead::parse(text.as_bytes()).unwrap();
    let b = Lead::parse(lower.as_bytes()).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        a.idempotency_key(7, &options),
        b.idempotency_key(7, &options)
    );
}

#[test]
fn published_test_lead_is_refused_with_its_position() {
    // Byte-for-byte as documented: the comma after `"OfferTitle": "Contoso Test"` is missing.
    let err = Lead::parse(&read(TEST_LEAD_PUBLISHED)).unwrap_err();
    assert_eq!(err.code(), "not_json");
    assert!(err.is_bad_lead());
    match &err {
        Error::NotJson { line, column, .. } => assert_eq!((*line, *column), (14, 5)),
        other => panic!("{other:?}"),
    }
    let reason = err.to_string();
    assert!(reason.contains("line 14"), "{reason}");
    assert!(!reason.contains("MSFT_TEST"), "{reason}");
}

#[test]
fn azure_table_entity_is_the_same_lead_as_the_https_post() {
    // The Table destination's entity (REFERENCE 5.4): CustomerInfo as JSON text,
    // OfferDisplayName, CreatedTime and the Azure Table system columns.
    let https: serde_json::Value = serde_json::from_slice(&read(HTTPS_EXAMPLE)).unwrap();
    let entity = serde_json::json!({
        "PartitionKey": "2026-12-06",
        "RowKey": "a1b2",
        "Timestamp": "2026-12-06T10:00:00Z",
        "CustomerInfo": https["UserDetails"].to_string(),
        "LeadSource": https["LeadSource"],
        "ActionCode": https["ActionCode"],
        "OfferDisplayName": https["OfferTitle"],
        "Description": https["Description"],
        "CreatedTime": "12/6/2026 10:00:00 AM",
    });
    let from_table = Lead::parse(entity.to_string().as_bytes()).unwrap();
    let from_https = Lead::parse(&read(HTTPS_EXAMPLE)).unwrap();
    assert_eq!(from_table.email, from_https.email);
    assert_eq!(from_table.offer_title, from_https.offer_title);
    assert_eq!(
        from_table.table_row_key().as_deref(),
        Some("2026-12-06|a1b2")
    );
    let options = KeyOptions::default();
    assert_eq!(
        from_table.idempotency_key(100, &options),
        from_https.idempotency_key(100, &options)
    );
    // Stored in the spool as the HTTPS shape, it reads back equal, system columns kept.
    let stored = serde_json::to_vec(&from_table).unwrap();
    assert_eq!(Lead::parse(&stored).unwrap(), from_table);
}

//! Table name resolution: either name works, answers are cached and shared by clones.

mod support;

use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const SELECT: &str = "LogicalName,EntitySetName,PrimaryIdAttribute,TableType";

#[tokio::test]
async fn a_table_resolves_once_by_either_name_for_every_clone() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/EntityDefinitions"))
        .and(query_param("$select", SELECT))
        .and(query_param(
            "$filter",
            "EntitySetName eq 'leads' or LogicalName eq 'leads'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [{"LogicalName": "lead", "EntitySetName": "leads",
                       "PrimaryIdAttribute": "leadid", "TableType": "Standard",
                       "MetadataId": "00000000-0000-0000-0000-000000000001"}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let clone = org.client.clone();
    let (a, b) = tokio::join!(
        org.client.resolve_table("leads"),
        clone.resolve_table("leads")
    );
    let names = a.expect("resolved");
    assert_eq!(b.expect("resolved"), names);
    assert_eq!(
        (
            names.logical_name.as_str(),
            names.entity_set.as_str(),
            names.primary_id.as_str()
        ),
        ("lead", "leads", "leadid")
    );
    assert_eq!(names.is_elastic(), Some(false));
    // The logical name was learnt with the set name: no second request.
    for _ in 0..3 {
        assert_eq!(clone.resolve_table("lead").await.expect("cached"), names);
    }
}

#[tokio::test]
async fn an_unknown_table_is_not_found_and_bad_names_are_refused_before_sending() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/EntityDefinitions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})))
        .expect(1)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .resolve_table("nosuchtables")
        .await
        .expect_err("unknown");
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("nosuchtables"), "{err}");
    let err = org
        .client
        .resolve_table("leads' or 1 eq 1")
        .await
        .expect_err("refused");
    assert!(
        matches!(err, dataverse_webapi::DataverseError::InvalidInput { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_service_refusing_or_in_the_filter_is_asked_one_name_at_a_time() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(query_param(
            "$filter",
            "EntitySetName eq 'lead' or LogicalName eq 'lead'",
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": {"code": "0x80060888", "message": "or is not supported"}}),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$filter", "EntitySetName eq 'lead'"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$filter", "LogicalName eq 'lead'"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [{"LogicalName": "lead", "EntitySetName": "leads", "PrimaryIdAttribute": "leadid"}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let names = org.client.resolve_table("lead").await.expect("resolved");
    assert_eq!(names.entity_set, "leads");
    assert_eq!(names.is_elastic(), None);
}

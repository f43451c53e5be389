//! Metadata calls against wiremock: paths, queries and bodies as Microsoft's examples
//! show them ("Query table definitions using the Web API", PublishXml, RetrieveVersion).

mod support;

use dataverse_webapi::Expand;
use dataverse_webapi::metadata::{KeyIndexStatus, OwnershipType};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const API: &str = "/api/data/v9.2";

#[tokio::test]
async fn table_definition_is_read_by_logical_name_with_select_and_expand() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/EntityDefinitions(LogicalName='account')")))
        .and(query_param("$select", "LogicalName,EntitySetName,OwnershipType"))
        .and(query_param("$expand", "Keys($select=KeyAttributes,EntityKeyIndexStatus)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x/$metadata#EntityDefinitions(LogicalName,EntitySetName,OwnershipType,Keys(KeyAttributes,EntityKeyIndexStatus))/$entity",
            "LogicalName": "account", "EntitySetName": "accounts", "OwnershipType": "UserOwned",
            "MetadataId": "70816501-edb9-4740-a16c-6a5efbc05d84",
            "Keys": [{"KeyAttributes": ["accountnumber"], "EntityKeyIndexStatus": "Active",
                      "MetadataId": "1dc7b1d2-6beb-ec11-bb3d-0022482ea769"}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let table = org
        .client
        .metadata()
        .table("account")
        .select(["LogicalName", "EntitySetName", "OwnershipType"])
        .expand(Expand::new("Keys").select(["KeyAttributes", "EntityKeyIndexStatus"]))
        .await
        .expect("definition");
    assert_eq!(table.entity_set_name.as_deref(), Some("accounts"));
    assert_eq!(table.ownership_type, Some(OwnershipType::UserOwned));
    assert_eq!(table.keys[0].key_attributes, ["accountnumber"]);
    assert_eq!(
        table.keys[0].entity_key_index_status,
        Some(KeyIndexStatus::Active)
    );
    assert!(table.extra.contains_key("@odata.context"));
}

#[tokio::test]
async fn a_missing_table_is_not_found_and_a_bad_name_never_leaves() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='nosuch')"
        )))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": "0x80060888", "message": "Could not find an entity with name nosuch"}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let missing = org
        .client
        .metadata()
        .table("nosuch")
        .await
        .expect_err("404");
    assert!(missing.is_not_found());
    let bad = org
        .client
        .metadata()
        .table("account')/Attributes")
        .await
        .expect_err("refused");
    assert!(matches!(
        bad,
        dataverse_webapi::DataverseError::InvalidInput { .. }
    ));
}

#[tokio::test]
async fn publish_sends_the_parameter_xml_and_publish_all_an_empty_body() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/PublishXml")))
        .and(body_json(json!({
            "ParameterXml": "<importexportxml><entities><entity>account</entity><entity>new_bankaccount</entity></entities></importexportxml>"
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/PublishAllXml")))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let metadata = org.client.metadata();
    metadata
        .publish(&["account", "new_bankaccount"])
        .await
        .expect("published");
    metadata.publish_all().await.expect("all published");
}

#[tokio::test]
async fn version_reads_retrieve_version_and_rejects_an_empty_answer() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/RetrieveVersion")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x/$metadata#Microsoft.Dynamics.CRM.RetrieveVersionResponse",
            "Version": "9.2.24081.00190"
        })))
        .up_to_n_times(1)
        .expect(1)
        .mount(&org.server)
        .await;
    assert_eq!(
        org.client.version().await.expect("version"),
        "9.2.24081.00190"
    );
    let other = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/RetrieveVersion")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&other.server)
        .await;
    assert!(matches!(
        other.client.version().await,
        Err(dataverse_webapi::DataverseError::UnexpectedResponse(_))
    ));
}

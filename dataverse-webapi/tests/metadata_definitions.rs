//! Reading and writing definitions against wiremock: paths, queries, headers
//! (`MSCRM.MergeLabels`, `MSCRM.SolutionUniqueName`) and bodies as Microsoft's examples show
//! them ("Query table definitions using the Web API", "Create and update table definitions
//! using the Web API", "Create and update column definitions using the Web API"), the CSDL
//! document, change tracking, and polling a key on the manual clock.

mod support;

use std::time::Duration;

use dataverse_webapi::metadata::{
    AttributeCast, ChangeTrackingOutcome, ChoiceOption, ColumnDefinition, CsdlError,
    GlobalChoiceDefinition, KeyDefinition, KeyIndexStatus, KeyWait, MetadataError,
    RelationshipType, TableDefinition,
};
use dataverse_webapi::{DataverseError, Filter};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{
    body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, ResponseTemplate};

const API: &str = "/api/data/v9.2";
const TABLE_ID: &str = "417129e1-207c-e511-80d2-00155d2a68d2";

fn label(text: &str) -> serde_json::Value {
    json!({"LocalizedLabels": [{"Label": text, "LanguageCode": 1033}], "UserLocalizedLabel": {"Label": text, "LanguageCode": 1033}})
}

#[tokio::test]
async fn tables_are_listed_with_select_and_filter() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/EntityDefinitions")))
        .and(query_param("$select", "LogicalName,EntitySetName"))
        .and(query_param("$filter", "IsCustomEntity eq true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x/$metadata#EntityDefinitions(LogicalName,EntitySetName)",
            "value": [
                {"LogicalName": "new_bankaccount", "EntitySetName": "new_bankaccounts", "MetadataId": TABLE_ID},
                {"LogicalName": "new_card", "EntitySetName": "new_cards", "MetadataId": "70816501-edb9-4740-a16c-6a5efbc05d84"}
            ]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let tables = org
        .client
        .metadata()
        .tables()
        .select(["LogicalName", "EntitySetName"])
        .filter(Filter::eq("IsCustomEntity", true))
        .await
        .expect("tables");
    assert_eq!(tables.len(), 2);
    assert_eq!(tables[1].entity_set_name.as_deref(), Some("new_cards"));
}

#[tokio::test]
async fn a_choice_column_is_read_through_its_cast_with_its_options() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='account')/Attributes(LogicalName='preferredappointmentdaycode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
        )))
        .and(query_param("$select", "LogicalName"))
        .and(query_param("$expand", "OptionSet,GlobalOptionSet"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x/$metadata#EntityDefinitions('account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata(LogicalName,OptionSet,GlobalOptionSet)/$entity",
            "LogicalName": "preferredappointmentdaycode",
            "MetadataId": "5967e7cc-afbb-4c10-bf7e-e7ef430c52be",
            "OptionSet": {
                "MetadataId": "b2a8d2b4-b5fd-4b4c-8cdc-3a24e0bd9e4b",
                "IsGlobal": false, "Name": "account_preferredappointmentdaycode", "OptionSetType": "Picklist",
                "Options": [
                    {"Value": 0, "Label": label("Sunday")},
                    {"Value": 1, "Label": label("Monday")}
                ]
            },
            "GlobalOptionSet": null
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let column = org
        .client
        .metadata()
        .attribute("account", "preferredappointmentdaycode")
        .picklist()
        .select(["LogicalName"])
        .await
        .expect("column");
    let options: Vec<(Option<i64>, Option<String>)> = column
        .options()
        .into_iter()
        .map(|o| (o.value, o.label.and_then(|l| l.text().map(str::to_string))))
        .collect();
    assert_eq!(
        options,
        [
            (Some(0), Some("Sunday".to_string())),
            (Some(1), Some("Monday".to_string()))
        ]
    );
}

#[tokio::test]
async fn columns_keys_relationships_and_global_choices_are_listed() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata"
        )))
        .and(query_param("$select", "LogicalName,MaxLength"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"LogicalName": "name", "MaxLength": 160, "MetadataId": "a1965545-44bc-4b7b-b1ae-93074d0e3f2a"}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/EntityDefinitions({TABLE_ID})/Keys")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"LogicalName": "new_accountnumberkey", "KeyAttributes": ["new_accountnumber"], "EntityKeyIndexStatus": "Pending"}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/RelationshipDefinitions/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata"
        )))
        .and(query_param("$filter", "ReferencedEntity eq 'contact'"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"SchemaName": "account_primary_contact", "RelationshipType": "OneToManyRelationship",
                       "ReferencedEntity": "contact", "ReferencingEntity": "account", "ReferencingAttribute": "primarycontactid"}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/GlobalOptionSetDefinitions")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"Name": "sample_colors", "IsGlobal": true, "OptionSetType": "Picklist", "Options": []}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/GlobalOptionSetDefinitions(Name='sample_colors')"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "Name": "sample_colors", "IsGlobal": true,
            "Options": [{"Value": 727000000, "Label": label("Red")}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let metadata = org.client.metadata();
    let columns = metadata
        .attributes("account")
        .cast(AttributeCast::String)
        .select(["LogicalName", "MaxLength"])
        .await
        .expect("columns");
    assert_eq!(columns[0].max_length(), Some(160));
    let id: Uuid = TABLE_ID.parse().expect("uuid");
    let keys = metadata.keys(id).await.expect("keys");
    assert_eq!(
        keys[0].entity_key_index_status,
        Some(KeyIndexStatus::Pending)
    );
    let relationships = metadata
        .relationships()
        .one_to_many()
        .filter(Filter::eq("ReferencedEntity", "contact"))
        .await
        .expect("relationships");
    assert_eq!(relationships[0].kind(), Some(RelationshipType::OneToMany));
    assert_eq!(
        relationships[0].referencing_attribute.as_deref(),
        Some("primarycontactid")
    );
    let sets = metadata.global_option_sets().await.expect("sets");
    assert_eq!(sets[0].name.as_deref(), Some("sample_colors"));
    let set = metadata
        .global_option_set("sample_colors")
        .await
        .expect("set");
    assert_eq!(set.value_of("Red"), Some(727000000));
}

#[tokio::test]
async fn a_paged_definition_list_is_refused_rather_than_cut_short() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/EntityDefinitions")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"LogicalName": "account"}],
            "@odata.nextLink": format!("{}{API}/EntityDefinitions?$skiptoken=2", org.server.uri())
        })))
        .mount(&org.server)
        .await;
    let error = org.client.metadata().tables().await.expect_err("refused");
    assert!(matches!(error, DataverseError::UnexpectedResponse(_)));
}

const CSDL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">
    <edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>
  </edmx:Reference>
  <edmx:DataServices>
    <Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="crmbaseentity" Abstract="true"/>
      <EntityType Name="new_bankaccount" BaseType="mscrm.crmbaseentity">
        <Key><PropertyRef Name="new_bankaccountid"/></Key>
        <Property Name="new_bankaccountid" Type="Edm.Guid"/>
        <Property Name="new_accountname" Type="Edm.String" Unicode="false"/>
        <Property Name="new_balance" Type="Edm.Decimal" Scale="Variable"/>
      </EntityType>
      <EntityContainer Name="System">
        <EntitySet Name="new_bankaccounts" EntityType="Microsoft.Dynamics.CRM.new_bankaccount">
          <Annotation Term="Org.OData.Capabilities.V1.ChangeTracking">
            <Record><PropertyValue Property="Supported" Bool="true"/></Record>
          </Annotation>
        </EntitySet>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

#[tokio::test]
async fn the_csdl_document_is_read_with_annotations_and_bad_answers_are_typed() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/$metadata")))
        .and(query_param("annotations", "true"))
        .and(header("Accept", "application/xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CSDL, "application/xml"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/$metadata")))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"not\": \"xml\"}", "application/json"),
        )
        .mount(&org.server)
        .await;
    let csdl = org.client.metadata().csdl().await.expect("csdl");
    let set = csdl.entity_set("new_bankaccounts").expect("set");
    assert!(set.change_tracking);
    assert_eq!(csdl.key_of_set("new_bankaccounts"), ["new_bankaccountid"]);
    assert_eq!(
        csdl.entity_type_of_set("new_bankaccounts")
            .and_then(|t| t.property("new_balance"))
            .map(|p| p.edm_type.as_str()),
        Some("Edm.Decimal")
    );
    let error = org.client.metadata().csdl().await.expect_err("not XML");
    assert!(
        matches!(
            error,
            DataverseError::Metadata(MetadataError::Csdl(CsdlError::NotXml(_)))
        ),
        "{error:?}"
    );
}

fn entity_id(org: &support::Org, tail: &str) -> String {
    format!("{}{API}/{tail}", org.server.uri())
}

#[tokio::test]
async fn a_table_is_created_in_a_solution_and_its_id_read_from_the_entity_id() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/EntityDefinitions")))
        .and(header("MSCRM.SolutionUniqueName", "examplesolution"))
        .and(body_partial_json(json!({
            "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
            "SchemaName": "new_BankAccount",
            "OwnershipType": "UserOwned",
            "HasNotes": false,
            "IsActivity": false,
            "ChangeTrackingEnabled": true,
            "DisplayCollectionName": {"LocalizedLabels": [{"Label": "Bank Accounts", "LanguageCode": 1033}]}
        })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            entity_id(&org, &format!("EntityDefinitions({TABLE_ID})")),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let id = org
        .client
        .metadata()
        .create_table(
            &TableDefinition::new("new_BankAccount", "Bank Account", "Bank Accounts")
                .primary_name("new_AccountName", "Account Name")
                .change_tracking(true)
                .in_solution("examplesolution"),
        )
        .await
        .expect("created");
    assert_eq!(id.to_string(), TABLE_ID);
    let requests = org.server.received_requests().await.expect("recorded");
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("json");
    assert_eq!(body["Attributes"][0]["IsPrimaryName"], true);
    assert_eq!(body["Attributes"][0]["SchemaName"], "new_AccountName");
}

#[tokio::test]
async fn columns_and_keys_are_added_and_a_missing_entity_id_is_an_error() {
    let org = support::org().await;
    let column_id = "f01bef16-287c-e511-80d2-00155d2a68d2";
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='new_bankaccount')/Attributes"
        )))
        .and(body_partial_json(json!({
            "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
            "AttributeType": "Picklist",
            "SchemaName": "new_Kind",
            "OptionSet": {"IsGlobal": false, "OptionSetType": "Picklist"}
        })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            entity_id(
                &org,
                &format!(
                    "EntityDefinitions(LogicalName='new_bankaccount')/Attributes({column_id})"
                ),
            ),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='new_bankaccount')/Keys"
        )))
        .and(body_partial_json(json!({
            "SchemaName": "new_AccountNumberKey",
            "KeyAttributes": ["new_accountnumber"]
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let metadata = org.client.metadata();
    let id = metadata
        .add_column(
            "new_bankaccount",
            &ColumnDefinition::choice(
                "new_Kind",
                "Kind",
                [
                    ChoiceOption::new(100000000, "Savings"),
                    ChoiceOption::new(100000001, "Checking"),
                ],
            ),
        )
        .await
        .expect("column");
    assert_eq!(id.to_string(), column_id);
    let error = metadata
        .add_key(
            "new_bankaccount",
            &KeyDefinition::new(
                "new_AccountNumberKey",
                "Account number",
                ["new_accountnumber"],
            ),
        )
        .await
        .expect_err("no OData-EntityId");
    assert!(matches!(error, DataverseError::UnexpectedResponse(_)));
    let invalid = metadata
        .add_column(
            "new_bankaccount",
            &ColumnDefinition::string("Code", "Code", 10),
        )
        .await
        .expect_err("no prefix");
    assert!(matches!(invalid, DataverseError::InvalidInput { .. }));
}

#[tokio::test]
async fn a_global_choice_is_created_and_bound_by_id() {
    let org = support::org().await;
    let set_id = "2b4f6b0b-1cf6-ec11-bb3d-000d3a1a7b3f";
    Mock::given(method("POST"))
        .and(path(format!("{API}/GlobalOptionSetDefinitions")))
        .and(body_partial_json(json!({
            "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata",
            "Name": "sample_colors", "IsGlobal": true, "OptionSetType": "Picklist",
            "Options": [{"Value": null, "Label": {"LocalizedLabels": [{"Label": "Red", "LanguageCode": 1033}]}}]
        })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            entity_id(&org, &format!("GlobalOptionSetDefinitions({set_id})")),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/EntityDefinitions({TABLE_ID})/Attributes"
        )))
        .and(body_partial_json(json!({
            "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
            "GlobalOptionSet@odata.bind": format!("/GlobalOptionSetDefinitions({set_id})")
        })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            entity_id(
                &org,
                &format!("EntityDefinitions({TABLE_ID})/Attributes({set_id})"),
            ),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let metadata = org.client.metadata();
    let id = metadata
        .create_global_choice(&GlobalChoiceDefinition::new(
            "sample_colors",
            "Colors",
            [ChoiceOption::labelled("Red")],
        ))
        .await
        .expect("created");
    let table: Uuid = TABLE_ID.parse().expect("uuid");
    metadata
        .add_column(
            table,
            &ColumnDefinition::global_choice(
                "sample_Colors",
                "Colors",
                dataverse_webapi::metadata::GlobalOptionSetRef::Id(id),
            ),
        )
        .await
        .expect("bound");
}

/// The full definition as a GET without `$select` answers it (abridged).
fn full_definition(tracking: bool, can: bool) -> serde_json::Value {
    json!({
        "@odata.context": "x/$metadata#EntityDefinitions/$entity",
        "MetadataId": TABLE_ID,
        "LogicalName": "new_bankaccount",
        "SchemaName": "new_BankAccount",
        "EntitySetName": "new_bankaccounts",
        "ChangeTrackingEnabled": tracking,
        "CanChangeTrackingBeEnabled": {"Value": can, "CanBeChanged": true, "ManagedPropertyLogicalName": "canchangetrackingbeenabled"},
        "IsAuditEnabled": {"Value": false, "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyauditsettings"},
        "DisplayName": label("Bank Account"),
        "Description": label("Customer bank accounts"),
        "HasNotes": false
    })
}

async fn mount_definition(org: &support::Org, tracking: bool, can: bool) {
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='new_bankaccount')"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(full_definition(tracking, can)))
        .mount(&org.server)
        .await;
}

#[tokio::test]
async fn an_update_reads_the_whole_definition_and_puts_it_back_with_merge_labels() {
    let org = support::org().await;
    mount_definition(&org, false, true).await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/EntityDefinitions({TABLE_ID})")))
        .and(header("MSCRM.MergeLabels", "true"))
        .and(body_partial_json(json!({
            "LogicalName": "new_bankaccount",
            "HasNotes": false,
            "IsAuditEnabled": {"Value": false},
            "DisplayName": {"LocalizedLabels": [{"Label": "Bank account (renamed)", "LanguageCode": 1033}]}
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .metadata()
        .update_table("new_bankaccount", |definition| {
            if let Some(name) = definition.display_name.as_mut() {
                name.localized_labels[0].label = "Bank account (renamed)".into();
            }
        })
        .await
        .expect("updated");
    let requests = org.server.received_requests().await.expect("recorded");
    let put = requests
        .iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("a PUT");
    let body: serde_json::Value = serde_json::from_slice(&put.body).expect("json");
    assert!(body.get("@odata.context").is_none());
    assert!(body.get("Attributes").is_none());
    assert!(requests.iter().all(|r| r.method.as_str() != "PATCH"));
}

#[tokio::test]
async fn a_column_update_reads_it_through_its_cast_and_puts_it_back_typed() {
    let org = support::org().await;
    let column = format!(
        "{API}/EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_accountnumber')"
    );
    Mock::given(method("GET"))
        .and(path(column.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.type": "#Microsoft.Dynamics.CRM.StringAttributeMetadata",
            "MetadataId": "f01bef16-287c-e511-80d2-00155d2a68d2",
            "LogicalName": "new_accountnumber"
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{column}/Microsoft.Dynamics.CRM.StringAttributeMetadata"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x",
            "MetadataId": "f01bef16-287c-e511-80d2-00155d2a68d2",
            "LogicalName": "new_accountnumber", "SchemaName": "new_AccountNumber",
            "AttributeType": "String", "MaxLength": 20, "FormatName": {"Value": "Text"},
            "DisplayName": label("Account Number"),
            "RequiredLevel": {"Value": "None", "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("PUT"))
        .and(path(column.clone()))
        .and(header("MSCRM.MergeLabels", "true"))
        .and(body_partial_json(json!({
            "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
            "MaxLength": 20,
            "FormatName": {"Value": "Text"},
            "RequiredLevel": {"Value": "ApplicationRequired", "CanBeChanged": true}
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .metadata()
        .update_column("new_bankaccount", "new_accountnumber", |c| {
            if let Some(level) = c.required_level.as_mut() {
                level.value = dataverse_webapi::metadata::RequiredLevel::ApplicationRequired;
            }
        })
        .await
        .expect("updated");
}

#[tokio::test]
async fn change_tracking_is_enabled_once_then_published() {
    let org = support::org().await;
    // The status read selects; the update reads the whole definition.
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='new_bankaccount')"
        )))
        .and(query_param(
            "$select",
            "LogicalName,ChangeTrackingEnabled,CanChangeTrackingBeEnabled",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(full_definition(false, true)))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='new_bankaccount')"
        )))
        .and(query_param_is_missing("$select"))
        .respond_with(ResponseTemplate::new(200).set_body_json(full_definition(false, true)))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/EntityDefinitions({TABLE_ID})")))
        .and(header("MSCRM.MergeLabels", "true"))
        .and(body_partial_json(json!({"ChangeTrackingEnabled": true})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/PublishXml")))
        .and(body_partial_json(json!({
            "ParameterXml": "<importexportxml><entities><entity>new_bankaccount</entity></entities></importexportxml>"
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let outcome = org
        .client
        .metadata()
        .enable_change_tracking("new_bankaccount")
        .await
        .expect("enabled");
    assert_eq!(outcome, ChangeTrackingOutcome::Enabled);
}

#[tokio::test]
async fn change_tracking_already_on_or_not_allowed_sends_no_update() {
    let on = support::org().await;
    mount_definition(&on, true, true).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&on.server)
        .await;
    let outcome = on
        .client
        .metadata()
        .enable_change_tracking("new_bankaccount")
        .await
        .expect("no-op");
    assert_eq!(outcome, ChangeTrackingOutcome::AlreadyEnabled);

    let refused = support::org().await;
    mount_definition(&refused, false, false).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&refused.server)
        .await;
    let error = refused
        .client
        .metadata()
        .enable_change_tracking("new_bankaccount")
        .await
        .expect_err("not allowed");
    match &error {
        DataverseError::Metadata(MetadataError::ChangeTrackingNotAllowed { table, reason }) => {
            assert_eq!(table, "new_bankaccount");
            assert!(reason.contains("CanChangeTrackingBeEnabled"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("new_bankaccount"));
}

fn key_answer(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "value": [
            {"LogicalName": "new_otherkey", "EntityKeyIndexStatus": "Failed"},
            {"LogicalName": "new_accountnumberkey", "SchemaName": "new_AccountNumberKey",
             "KeyAttributes": ["new_accountnumber"], "EntityKeyIndexStatus": status}
        ]
    }))
}

async fn mount_key(org: &support::Org, status: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/EntityDefinitions(LogicalName='new_bankaccount')/Keys"
        )))
        .and(query_param(
            "$select",
            "LogicalName,SchemaName,KeyAttributes,EntityKeyIndexStatus",
        ))
        .respond_with(key_answer(status))
        .up_to_n_times(times)
        .expect(times)
        .mount(&org.server)
        .await;
}

#[tokio::test]
async fn a_key_is_polled_on_the_clock_until_active() {
    let org = support::org().await;
    mount_key(&org, "Pending", 1).await;
    mount_key(&org, "InProgress", 1).await;
    mount_key(&org, "Active", 1).await;
    let wait = KeyWait {
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(60),
    };
    let key = org
        .client
        .metadata()
        .wait_for_key_active("new_bankaccount", "new_AccountNumberKey", wait)
        .await
        .expect("active");
    assert_eq!(key.key_attributes, ["new_accountnumber"]);
    assert_eq!(
        org.clock.sleeps(),
        [Duration::from_secs(2), Duration::from_secs(2)]
    );
}

#[tokio::test]
async fn a_key_that_fails_stays_pending_or_is_missing_is_a_typed_error() {
    let wait = KeyWait {
        interval: Duration::from_secs(5),
        timeout: Duration::from_secs(12),
    };
    let pending = support::org().await;
    mount_key(&pending, "Pending", 4).await;
    let error = pending
        .client
        .metadata()
        .wait_for_key_active("new_bankaccount", "new_accountnumberkey", wait)
        .await
        .expect_err("timed out");
    match error {
        DataverseError::Metadata(MetadataError::KeyNotActive { status, waited, .. }) => {
            assert_eq!(status, "Pending");
            assert_eq!(waited, Duration::from_secs(12));
        }
        other => panic!("unexpected {other:?}"),
    }

    let failed = support::org().await;
    mount_key(&failed, "Failed", 1).await;
    let error = failed
        .client
        .metadata()
        .wait_for_key_active("new_bankaccount", "new_accountnumberkey", wait)
        .await
        .expect_err("failed");
    assert!(matches!(
        error,
        DataverseError::Metadata(MetadataError::KeyFailed { .. })
    ));
    assert!(error.to_string().contains("ReactivateEntityKey"));

    let missing = support::org().await;
    mount_key(&missing, "Active", 1).await;
    let error = missing
        .client
        .metadata()
        .wait_for_key_active("new_bankaccount", "new_nosuchkey", wait)
        .await
        .expect_err("missing");
    assert!(error.is_not_found());
}

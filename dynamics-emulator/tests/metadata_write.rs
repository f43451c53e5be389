//! Table definitions written over HTTP: a table created with `POST EntityDefinitions` then
//! serves rows like a built-in one; columns, keys, updates with `MSCRM.MergeLabels`, change
//! tracking (irreversible), global option sets, `RetrieveVersion` and publishing.

#[allow(dead_code)]
#[path = "dataverse/support.rs"]
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Env, start};

fn label(text: &str) -> Value {
    json!({ "@odata.type": "Microsoft.Dynamics.CRM.Label",
            "LocalizedLabels": [{ "@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": text, "LanguageCode": 1033 }] })
}

fn bank_account() -> Value {
    json!({
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
        "SchemaName": "new_BankAccount",
        "DisplayName": label("Bank Account"),
        "DisplayCollectionName": label("Bank Accounts"),
        "Description": label("An entity to store information about customer bank accounts"),
        "OwnershipType": "UserOwned",
        "IsActivity": false,
        "HasActivities": false,
        "HasNotes": false,
        "Attributes": [{
            "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
            "AttributeType": "String",
            "SchemaName": "new_AccountName",
            "RequiredLevel": { "Value": "None" },
            "MaxLength": 100,
            "FormatName": { "Value": "Text" },
            "DisplayName": label("Account Name"),
            "IsPrimaryName": true,
        }],
    })
}

async fn create_table(env: &Env) -> String {
    let answer = env
        .send(
            Method::POST,
            "EntityDefinitions",
            &[("MSCRM.SolutionUniqueName", "examplesolution")],
            Some(bank_account()),
        )
        .await;
    answer.expect(204);
    answer
        .header("OData-EntityId")
        .expect("OData-EntityId")
        .to_owned()
}

#[tokio::test]
async fn a_created_table_serves_rows_like_a_built_in_one() {
    let env = start().await;
    let entity = create_table(&env).await;
    assert!(entity.contains("/EntityDefinitions("), "{entity}");
    let definition = env
        .get("EntityDefinitions(LogicalName='new_bankaccount')")
        .await;
    let body = definition.expect(200);
    assert_eq!(body["SchemaName"], "new_BankAccount");
    assert_eq!(body["EntitySetName"], "new_bankaccounts");
    assert_eq!(body["PrimaryNameAttribute"], "new_accountname");
    assert_eq!(body["IsCustomEntity"], true);
    assert_eq!(
        body["DisplayCollectionName"]["UserLocalizedLabel"]["Label"],
        "Bank Accounts"
    );
    let id = env
        .create("new_bankaccounts", json!({ "new_accountname": "Checking" }))
        .await;
    let listed = env
        .get("new_bankaccounts?$select=new_accountname&$filter=new_accountname eq 'Checking'")
        .await;
    listed.expect(200);
    assert_eq!(listed.values().len(), 1, "{}", listed.text);
    assert_eq!(listed.values()[0]["new_accountname"], "Checking");
    env.delete(&format!("new_bankaccounts({id})"))
        .await
        .expect(204);
    assert!(env.get("new_bankaccounts").await.values().is_empty());
    // The same name again is refused.
    let again = env.post("EntityDefinitions", bank_account()).await;
    assert_eq!(again.status, 400, "{}", again.text);
    assert!(
        again.message().contains("new_bankaccount"),
        "{}",
        again.message()
    );
}

#[tokio::test]
async fn tables_without_a_prefix_or_a_primary_name_are_refused() {
    let env = start().await;
    let mut unprefixed = bank_account();
    unprefixed["SchemaName"] = json!("BankAccount");
    let answer = env.post("EntityDefinitions", unprefixed).await;
    assert_eq!(answer.status, 400);
    assert!(answer.message().contains("prefix"), "{}", answer.message());
    let mut no_primary = bank_account();
    no_primary["Attributes"] = json!([]);
    let answer = env.post("EntityDefinitions", no_primary).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.message().contains("primary name"),
        "{}",
        answer.message()
    );
}

#[tokio::test]
async fn columns_added_later_read_null_on_older_rows_and_keys_serve_upserts() {
    let env = start().await;
    create_table(&env).await;
    let old = env
        .create("new_bankaccounts", json!({ "new_accountname": "Old" }))
        .await;
    let table = "EntityDefinitions(LogicalName='new_bankaccount')";
    let column = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.IntegerAttributeMetadata",
        "SchemaName": "new_Number", "DisplayName": label("Number"), "RequiredLevel": { "Value": "None" },
    });
    let answer = env
        .post(&format!("{table}/Attributes"), column.clone())
        .await;
    answer.expect(204);
    assert!(
        answer
            .header("OData-EntityId")
            .expect("id")
            .contains("/Attributes(")
    );
    let duplicate = env.post(&format!("{table}/Attributes"), column).await;
    assert_eq!(duplicate.status, 400, "{}", duplicate.text);
    let unprefixed = env
        .post(&format!("{table}/Attributes"), json!({ "@odata.type": "Microsoft.Dynamics.CRM.IntegerAttributeMetadata", "SchemaName": "Number", "DisplayName": label("N") }))
        .await;
    assert_eq!(unprefixed.status, 400);
    let lookup = env
        .post(&format!("{table}/Attributes"), json!({ "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata", "SchemaName": "new_Parent", "DisplayName": label("P") }))
        .await;
    assert!(
        lookup.message().contains("RelationshipDefinitions"),
        "{}",
        lookup.message()
    );
    let row = env
        .get(&format!("new_bankaccounts({old})?$select=new_number"))
        .await;
    assert_eq!(row.expect(200)["new_number"], Value::Null);
    let choice = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
        "SchemaName": "new_Kind", "DisplayName": label("Kind"),
        "OptionSet": { "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata", "IsGlobal": false, "OptionSetType": "Picklist",
                       "Options": [{ "Value": 1, "Label": label("Savings") }, { "Value": 2, "Label": label("Checking") }] },
    });
    env.post(&format!("{table}/Attributes"), choice)
        .await
        .expect(204);
    env.patch(
        &format!("new_bankaccounts({old})"),
        json!({ "new_number": 7, "new_kind": 2 }),
    )
    .await
    .expect(204);
    let key = json!({ "@odata.type": "Microsoft.Dynamics.CRM.EntityKeyMetadata", "SchemaName": "new_NumberKey",
                      "DisplayName": label("Number key"), "KeyAttributes": ["new_number"] });
    env.post(&format!("{table}/Keys"), key).await.expect(204);
    let keys = env.get(&format!("{table}/Keys")).await;
    assert_eq!(keys.values()[0]["EntityKeyIndexStatus"], "Active");
    env.patch(
        "new_bankaccounts(new_number=7)",
        json!({ "new_accountname": "By key" }),
    )
    .await
    .expect(204);
    env.patch(
        "new_bankaccounts(new_number=8)",
        json!({ "new_accountname": "Upserted" }),
    )
    .await
    .expect(204);
    let rows = env
        .get("new_bankaccounts?$select=new_accountname,new_number&$orderby=new_number")
        .await;
    let names: Vec<&Value> = rows
        .values()
        .iter()
        .map(|r| &r["new_accountname"])
        .collect();
    assert_eq!(names, vec![&json!("By key"), &json!("Upserted")]);
}

#[tokio::test]
async fn updates_merge_or_replace_labels_and_change_tracking_cannot_be_undone() {
    let env = start().await;
    create_table(&env).await;
    let table = "EntityDefinitions(LogicalName='new_bankaccount')";
    let mut definition = bank_account();
    definition["DisplayName"] =
        json!({ "LocalizedLabels": [{ "Label": "Compte", "LanguageCode": 1036 }] });
    definition["ChangeTrackingEnabled"] = json!(true);
    env.send(
        Method::PUT,
        table,
        &[("MSCRM.MergeLabels", "true")],
        Some(definition.clone()),
    )
    .await
    .expect(204);
    let body = env.get(table).await;
    let labels = body.body["DisplayName"]["LocalizedLabels"]
        .as_array()
        .expect("labels")
        .len();
    assert_eq!(labels, 2, "{}", body.text);
    assert_eq!(body.body["ChangeTrackingEnabled"], true);
    assert_eq!(body.body["CanChangeTrackingBeEnabled"]["Value"], true);
    env.send(Method::PUT, table, &[], Some(definition.clone()))
        .await
        .expect(204);
    let body = env.get(table).await;
    assert_eq!(
        body.body["DisplayName"]["LocalizedLabels"]
            .as_array()
            .expect("labels")
            .len(),
        1
    );
    let tracked = env
        .send(
            Method::GET,
            "new_bankaccounts?$select=new_accountname",
            &[("Prefer", "odata.track-changes")],
            None,
        )
        .await;
    assert!(
        tracked.expect(200)["@odata.deltaLink"].is_string(),
        "{}",
        tracked.text
    );
    let plain = env.get("$metadata").await;
    assert_eq!(plain.status, 200, "{}", plain.text);
    let csdl = env.get("$metadata?annotations=true").await;
    assert_eq!(csdl.status, 200, "{}", csdl.text);
    assert_eq!(csdl.header("content-type"), Some("application/xml"));
    assert!(csdl.text.contains("<EntitySet Name=\"new_bankaccounts\" EntityType=\"Microsoft.Dynamics.CRM.new_bankaccount\"><Annotation Term=\"Org.OData.Capabilities.V1.ChangeTracking\">"), "{}", &csdl.text[..200]);
    definition["ChangeTrackingEnabled"] = json!(false);
    let refused = env.send(Method::PUT, table, &[], Some(definition)).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.message().contains("cannot be disabled"),
        "{}",
        refused.message()
    );
    let patch = env.patch(table, json!({ "DisplayName": label("x") })).await;
    assert_eq!(patch.status, 405);
}

#[tokio::test]
async fn global_option_sets_version_and_publishing() {
    let env = start().await;
    let set = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata", "Name": "new_Colours", "IsGlobal": true,
        "OptionSetType": "Picklist", "DisplayName": label("Colours"),
        "Options": [{ "Value": null, "Label": label("Red") }],
    });
    env.post("GlobalOptionSetDefinitions", set)
        .await
        .expect(204);
    let one = env
        .get("GlobalOptionSetDefinitions(Name='new_colours')")
        .await;
    assert_eq!(one.expect(200)["Options"][0]["Value"], 100_000_000);
    create_table(&env).await;
    let column = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "SchemaName": "new_Colour",
        "DisplayName": label("Colour"), "GlobalOptionSet@odata.bind": "/GlobalOptionSetDefinitions(Name='new_colours')",
    });
    env.post(
        "EntityDefinitions(LogicalName='new_bankaccount')/Attributes",
        column,
    )
    .await
    .expect(204);
    let version = env.get("RetrieveVersion()").await;
    assert!(
        version.expect(200)["Version"]
            .as_str()
            .expect("Version")
            .starts_with("9.2.")
    );
    let publish = json!({ "ParameterXml": "<importexportxml><entities><entity>new_bankaccount</entity></entities></importexportxml>" });
    env.post("PublishXml", publish).await.expect(204);
    let bad = env
        .post("PublishXml", json!({ "ParameterXml": "<importexportxml>" }))
        .await;
    assert_eq!(bad.status, 400);
    env.send(Method::POST, "PublishAllXml", &[], None)
        .await
        .expect(204);
    assert_eq!(env.emu.seed().metadata_publishes(), 2);
}

#[tokio::test]
async fn a_column_can_use_a_built_in_global_choice_and_platform_columns_are_not_custom() {
    let env = start().await;
    create_table(&env).await;
    let builtin = env
        .get("GlobalOptionSetDefinitions(Name='account_accountcategorycode')")
        .await;
    let options = builtin.expect(200)["Options"].clone();
    let column = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "SchemaName": "new_Category",
        "DisplayName": label("Category"),
        "GlobalOptionSet@odata.bind": "/GlobalOptionSetDefinitions(Name='account_accountcategorycode')",
    });
    env.post(
        "EntityDefinitions(LogicalName='new_bankaccount')/Attributes",
        column,
    )
    .await
    .expect(204);
    let read = env
        .get("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_category')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=GlobalOptionSet")
        .await;
    let read = read.expect(200);
    assert_eq!(
        read["GlobalOptionSet"]["Options"].as_array().map(Vec::len),
        options.as_array().map(Vec::len)
    );
    for (column, custom) in [
        ("new_accountname", true),
        ("new_category", true),
        ("createdon", false),
        ("ownerid", false),
    ] {
        let attribute = env
            .get(&format!(
                "EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='{column}')?$select=IsCustomAttribute"
            ))
            .await;
        assert_eq!(
            attribute.expect(200)["IsCustomAttribute"],
            custom,
            "{column}"
        );
    }
}

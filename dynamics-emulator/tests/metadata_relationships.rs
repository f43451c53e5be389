//! Relationship definitions written over HTTP (`POST RelationshipDefinitions`: one-to-many with
//! its lookup, many-to-many) and definitions deleted (`DELETE` of tables, columns, keys and
//! relationships), as Learn "Create and update table relationships using the Web API" and
//! "Create and update table definitions using the Web API" describe them.

#[allow(dead_code)]
#[path = "dataverse/support.rs"]
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Env, answer, start};

const TABLE: &str = "EntityDefinitions(LogicalName='new_bankaccount')";

fn label(text: &str) -> Value {
    json!({ "@odata.type": "Microsoft.Dynamics.CRM.Label",
            "LocalizedLabels": [{ "@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": text, "LanguageCode": 1033 }] })
}

async fn create_table(env: &Env) {
    let table = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
        "SchemaName": "new_BankAccount",
        "DisplayName": label("Bank Account"),
        "DisplayCollectionName": label("Bank Accounts"),
        "OwnershipType": "UserOwned",
        "HasActivities": false,
        "HasNotes": false,
        "IsActivity": false,
        "Attributes": [{
            "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
            "SchemaName": "new_AccountName",
            "MaxLength": 100,
            "DisplayName": label("Account Name"),
            "IsPrimaryName": true,
        }],
    });
    env.post("EntityDefinitions", table).await.expect(204);
}

/// The docs' one-to-many example, with account as the referenced table.
fn one_to_many() -> Value {
    json!({
        "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        "SchemaName": "new_account_new_bankaccount",
        "AssociatedMenuConfiguration": { "Behavior": "UseCollectionName", "Group": "Details", "Label": label("Bank Accounts"), "Order": 10000 },
        "CascadeConfiguration": { "Assign": "NoCascade", "Delete": "RemoveLink", "Merge": "NoCascade", "Reparent": "NoCascade", "Share": "NoCascade", "Unshare": "NoCascade" },
        "ReferencedAttribute": "accountid",
        "ReferencedEntity": "account",
        "ReferencingEntity": "new_bankaccount",
        "Lookup": {
            "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata",
            "AttributeType": "Lookup",
            "AttributeTypeName": { "Value": "LookupType" },
            "SchemaName": "new_ParentAccount",
            "DisplayName": label("Parent account"),
            "Description": label("The account that holds the bank account"),
            "RequiredLevel": { "Value": "None" },
        },
    })
}

fn many_to_many() -> Value {
    json!({
        "@odata.type": "Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata",
        "SchemaName": "new_bankaccount_contact",
        "Entity1LogicalName": "new_bankaccount",
        "Entity2LogicalName": "contact",
        "IntersectEntityName": "new_bankaccount_contact",
        "Entity1NavigationPropertyName": "new_bankaccount_contacts",
        "Entity2NavigationPropertyName": "new_contact_bankaccounts",
    })
}

fn entity_id(answer: &support::Answer) -> String {
    answer
        .header("OData-EntityId")
        .expect("OData-EntityId")
        .to_owned()
}

#[tokio::test]
async fn a_one_to_many_relationship_creates_its_lookup_and_both_navigation_properties() {
    let env = start().await;
    create_table(&env).await;
    let answer = env.post("RelationshipDefinitions", one_to_many()).await;
    answer.expect(204);
    let url = entity_id(&answer);
    assert!(url.contains("/RelationshipDefinitions("), "{url}");
    let by_id = env
        .get(&url[url.find("RelationshipDefinitions").unwrap_or(0)..])
        .await;
    assert_eq!(
        by_id.expect(200)["SchemaName"],
        "new_account_new_bankaccount"
    );
    let found = env
        .get("RelationshipDefinitions(SchemaName='new_account_new_bankaccount')")
        .await;
    let body = found.expect(200);
    assert_eq!(body["ReferencingAttribute"], "new_parentaccount");
    assert_eq!(body["IsCustomRelationship"], true);
    assert_eq!(
        body["ReferencedEntityNavigationPropertyName"],
        "new_account_new_bankaccount"
    );
    assert_eq!(
        body["ReferencingEntityNavigationPropertyName"],
        "new_ParentAccount"
    );
    let column = env
        .get(&format!(
            "{TABLE}/Attributes(LogicalName='new_parentaccount')"
        ))
        .await;
    let column = column.expect(200);
    assert_eq!(column["AttributeType"], "Lookup");
    assert_eq!(column["IsCustomAttribute"], true);

    let account = env.create("accounts", json!({ "name": "Holder" })).await;
    let row = env
        .create(
            "new_bankaccounts",
            json!({ "new_accountname": "Checking", "new_ParentAccount@odata.bind": format!("/accounts({account})") }),
        )
        .await;
    let read = env
        .get(&format!(
            "new_bankaccounts({row})?$select=_new_parentaccount_value"
        ))
        .await;
    assert_eq!(read.expect(200)["_new_parentaccount_value"], account);
    let children = env
        .get(&format!(
            "accounts({account})/new_account_new_bankaccount?$select=new_accountname"
        ))
        .await;
    assert_eq!(children.values()[0]["new_accountname"], "Checking");
}

#[tokio::test]
async fn many_to_many_rows_associate_through_the_new_navigation_property() {
    let env = start().await;
    create_table(&env).await;
    let answer = env.post("RelationshipDefinitions", many_to_many()).await;
    answer.expect(204);
    let listed = env
        .get("RelationshipDefinitions/Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata?$filter=SchemaName eq 'new_bankaccount_contact'")
        .await;
    assert_eq!(
        listed.values()[0]["IntersectEntityName"],
        "new_bankaccount_contact"
    );
    let row = env
        .create("new_bankaccounts", json!({ "new_accountname": "Savings" }))
        .await;
    let contact = env.create("contacts", json!({ "lastname": "Owner" })).await;
    let reference = json!({ "@odata.id": env.url(&format!("contacts({contact})")) });
    env.post(
        &format!("new_bankaccounts({row})/new_bankaccount_contacts/$ref"),
        reference,
    )
    .await
    .expect(204);
    let related = env
        .get(&format!(
            "contacts({contact})/new_contact_bankaccounts?$select=new_accountname"
        ))
        .await;
    assert_eq!(related.values()[0]["new_accountname"], "Savings");
    env.delete(&format!(
        "new_bankaccounts({row})/new_bankaccount_contacts({contact})/$ref"
    ))
    .await
    .expect(204);
    let none = env
        .get(&format!("contacts({contact})/new_contact_bankaccounts"))
        .await;
    assert!(none.values().is_empty(), "{}", none.text);

    let deleted = env
        .delete("RelationshipDefinitions(SchemaName='new_bankaccount_contact')")
        .await;
    deleted.expect(204);
    let gone = env
        .get(&format!("contacts({contact})/new_contact_bankaccounts"))
        .await;
    assert_eq!(gone.status, 400, "{}", gone.text);
    assert!(
        gone.message().contains("Could not find a property"),
        "{}",
        gone.message()
    );
    let again = env
        .get("RelationshipDefinitions(SchemaName='new_bankaccount_contact')")
        .await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn bad_relationship_definitions_say_what_to_fix() {
    let env = start().await;
    create_table(&env).await;
    let mut untyped = one_to_many();
    untyped.as_object_mut().map(|o| o.remove("@odata.type"));
    let cases = [
        (untyped, "@odata.type"),
        (
            json!({ "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata", "SchemaName": "new_x",
                    "ReferencedEntity": "nosuchtable", "ReferencingEntity": "new_bankaccount" }),
            "nosuchtable",
        ),
        (
            json!({ "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata", "SchemaName": "new_x",
                    "ReferencedEntity": "account", "ReferencingEntity": "new_bankaccount" }),
            "Lookup",
        ),
        (
            json!({ "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata", "SchemaName": "new_x",
                    "ReferencedEntity": "account", "ReferencedAttribute": "name", "ReferencingEntity": "new_bankaccount",
                    "Lookup": { "SchemaName": "new_A", "DisplayName": label("A") } }),
            "accountid",
        ),
        (
            json!({ "@odata.type": "Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata", "SchemaName": "x_no_prefix",
                    "Entity1LogicalName": "account", "Entity2LogicalName": "contact" }),
            "customization prefix",
        ),
    ];
    for (body, hint) in cases {
        let answer = env.post("RelationshipDefinitions", body).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert!(answer.message().contains(hint), "{}", answer.message());
    }
    env.post("RelationshipDefinitions", one_to_many())
        .await
        .expect(204);
    let twice = env.post("RelationshipDefinitions", one_to_many()).await;
    assert!(
        twice.message().contains("already exists"),
        "{}",
        twice.message()
    );
    let put = env
        .send(
            Method::PUT,
            "RelationshipDefinitions(SchemaName='new_account_new_bankaccount')",
            &[],
            Some(one_to_many()),
        )
        .await;
    assert_eq!(put.status, 405, "{}", put.text);
}

#[tokio::test]
async fn custom_columns_and_keys_are_deleted_and_platform_ones_refused() {
    let env = start().await;
    create_table(&env).await;
    let column = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.IntegerAttributeMetadata",
        "SchemaName": "new_Number", "DisplayName": label("Number"),
    });
    env.post(&format!("{TABLE}/Attributes"), column)
        .await
        .expect(204);
    let row = env
        .create(
            "new_bankaccounts",
            json!({ "new_accountname": "Kept", "new_number": 5 }),
        )
        .await;
    let key = json!({ "SchemaName": "new_NumberKey", "DisplayName": label("Number key"), "KeyAttributes": ["new_number"] });
    env.post(&format!("{TABLE}/Keys"), key).await.expect(204);
    let in_key = env
        .delete(&format!("{TABLE}/Attributes(LogicalName='new_number')"))
        .await;
    assert_eq!(in_key.status, 400);
    assert!(
        in_key.message().contains("new_numberkey"),
        "{}",
        in_key.message()
    );
    let keys = env.get(&format!("{TABLE}/Keys")).await;
    let key_id = keys.values()[0]["MetadataId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    env.delete(&format!("{TABLE}/Keys({key_id})"))
        .await
        .expect(204);
    assert!(env.get(&format!("{TABLE}/Keys")).await.values().is_empty());
    let by_key = env.get("new_bankaccounts(new_number=5)").await;
    assert_eq!(by_key.status, 400, "{}", by_key.text);

    env.delete(&format!("{TABLE}/Attributes(LogicalName='new_number')"))
        .await
        .expect(204);
    let columns = env
        .get(&format!(
            "{TABLE}/Attributes?$select=LogicalName&$filter=LogicalName eq 'new_number'"
        ))
        .await;
    assert!(columns.values().is_empty());
    let read = env
        .get(&format!("new_bankaccounts({row})?$select=new_accountname"))
        .await;
    assert_eq!(read.expect(200)["new_accountname"], "Kept");
    let unknown = env
        .get(&format!("new_bankaccounts({row})?$select=new_number"))
        .await;
    assert_eq!(unknown.status, 400);

    for path in [
        format!("{TABLE}/Attributes(LogicalName='new_accountname')"),
        format!("{TABLE}/Attributes(LogicalName='createdon')"),
        "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')".to_owned(),
    ] {
        let refused = env.delete(&path).await;
        assert_eq!(refused.status, 400, "{path}: {}", refused.text);
        assert!(
            refused.message().contains("cannot be deleted"),
            "{}",
            refused.message()
        );
    }
    let missing = env
        .delete(&format!("{TABLE}/Attributes(LogicalName='new_nothing')"))
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn deleting_a_table_takes_its_rows_and_relationships_and_built_ins_are_refused() {
    let env = start().await;
    create_table(&env).await;
    env.post("RelationshipDefinitions", one_to_many())
        .await
        .expect(204);
    env.post("RelationshipDefinitions", many_to_many())
        .await
        .expect(204);
    env.create("new_bankaccounts", json!({ "new_accountname": "Gone" }))
        .await;
    env.delete(TABLE).await.expect(204);
    assert_eq!(env.get(TABLE).await.status, 404);
    assert_eq!(env.get("new_bankaccounts").await.status, 404);
    for name in ["new_account_new_bankaccount", "new_bankaccount_contact"] {
        let relationship = env
            .get(&format!("RelationshipDefinitions(SchemaName='{name}')"))
            .await;
        assert_eq!(relationship.status, 404, "{name}");
    }
    let listed = env
        .get("EntityDefinitions?$select=LogicalName&$filter=LogicalName eq 'new_bankaccount'")
        .await;
    assert!(listed.values().is_empty());
    let document = env.get("$metadata").await;
    assert!(!document.text.contains("new_bankaccount"));
    // The same name can be defined again, empty.
    create_table(&env).await;
    let rows = env.get("new_bankaccounts").await;
    assert!(rows.values().is_empty());

    let account = env.delete("EntityDefinitions(LogicalName='account')").await;
    assert_eq!(account.status, 400);
    assert!(
        account.message().contains("cannot be deleted"),
        "{}",
        account.message()
    );
    let builtin = env.get("RelationshipDefinitions?$select=MetadataId").await;
    let id = builtin.values()[0]["MetadataId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refused = env.delete(&format!("RelationshipDefinitions({id})")).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.message().contains("cannot be deleted"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn a_definition_delete_after_writes_in_the_same_change_set_is_refused() {
    let env = start().await;
    create_table(&env).await;
    let part = |method: &str, url: &str, body: Option<&str>| {
        let mut text = format!(
            "--changeset_t\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n{method} /api/data/v9.2/{url} HTTP/1.1\r\n"
        );
        if let Some(body) = body {
            text.push_str(&format!("Content-Type: application/json\r\n\r\n{body}\r\n"));
        } else {
            text.push_str("\r\n");
        }
        text
    };
    let body = format!(
        "--batch_t\r\nContent-Type: multipart/mixed; boundary=changeset_t\r\n\r\n{}{}--changeset_t--\r\n--batch_t--\r\n",
        part(
            "POST",
            "new_bankaccounts",
            Some(r#"{"new_accountname":"In the set"}"#)
        ),
        part("DELETE", TABLE, None),
    );
    let response = env
        .http
        .post(env.url("$batch"))
        .bearer_auth(&env.token)
        .header("Content-Type", "multipart/mixed; boundary=batch_t")
        .header("OData-Version", "4.0")
        .body(body)
        .send()
        .await
        .expect("sent");
    let batch = answer(response).await;
    assert!(
        batch
            .text
            .contains("after writes in the same $batch change set"),
        "{}",
        batch.text
    );
    env.get(TABLE).await.expect(200);
    let rows = env.get("new_bankaccounts").await;
    assert!(rows.values().is_empty(), "the change set was rolled back");
}

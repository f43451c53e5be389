//! Associations: `$ref` (POST, PUT, DELETE with `$id=` and `nav(id)/$ref`, GET), `@odata.bind`
//! on create and update, and security roles on users.

use reqwest::Method;
use serde_json::json;

use crate::support::start;

#[tokio::test]
async fn collection_and_single_valued_refs() {
    let env = start().await;
    let account = env.create("accounts", json!({"name": "Parent"})).await;
    let contact = env.create("contacts", json!({"lastname": "Child"})).await;
    let contact_url = format!("{}contacts({contact})", env.emu.web_api_url());
    env.post(
        &format!("accounts({account})/contact_customer_accounts/$ref"),
        json!({"@odata.id": contact_url}),
    )
    .await
    .expect(204);
    let refs = env
        .get(&format!(
            "accounts({account})/contact_customer_accounts/$ref"
        ))
        .await;
    assert_eq!(refs.values().len(), 1);
    assert_eq!(refs.values()[0]["@odata.id"], contact_url.as_str());
    assert!(
        refs.body["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("$metadata#Collection($ref)"))
    );
    let children = env
        .get(&format!(
            "accounts({account})/contact_customer_accounts?$select=fullname"
        ))
        .await;
    assert_eq!(children.values().len(), 1);
    env.send(
        Method::DELETE,
        &format!("accounts({account})/contact_customer_accounts({contact})/$ref"),
        &[],
        None,
    )
    .await
    .expect(204);
    assert!(
        env.get(&format!(
            "accounts({account})/contact_customer_accounts/$ref"
        ))
        .await
        .values()
        .is_empty()
    );
    env.send(
        Method::PUT,
        &format!("accounts({account})/primarycontactid/$ref"),
        &[],
        Some(json!({"@odata.id": format!("contacts({contact})")})),
    )
    .await
    .expect(204);
    let single = env
        .get(&format!("accounts({account})/primarycontactid/$ref"))
        .await;
    assert_eq!(single.expect(200)["@odata.id"], contact_url.as_str());
    let related = env
        .get(&format!(
            "accounts({account})/primarycontactid?$select=fullname"
        ))
        .await;
    assert_eq!(related.expect(200)["fullname"], "Child");
    env.send(
        Method::DELETE,
        &format!("accounts({account})/primarycontactid/$ref"),
        &[],
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        env.get(&format!("accounts({account})/primarycontactid"))
            .await
            .status,
        204
    );
    let wrong_method = env
        .send(
            Method::POST,
            &format!("accounts({account})/primarycontactid/$ref"),
            &[],
            Some(json!({"@odata.id": contact_url})),
        )
        .await;
    wrong_method.expect(405);
    let missing_id = env
        .send(
            Method::DELETE,
            &format!("accounts({account})/contact_customer_accounts/$ref"),
            &[],
            None,
        )
        .await;
    missing_id.expect(400);
}

#[tokio::test]
async fn roles_are_assigned_many_to_many() {
    let env = start().await;
    let roles = env
        .get("roles?$select=roleid,name,_businessunitid_value,_parentrootroleid_value&$filter=name eq 'Basic User'")
        .await;
    assert_eq!(roles.values().len(), 2, "one copy per business unit");
    let root = env
        .get("businessunits?$select=businessunitid,name&$filter=parentbusinessunitid eq null")
        .await;
    assert_eq!(root.values().len(), 1);
    let root_id = root.values()[0]["businessunitid"]
        .as_str()
        .expect("id")
        .to_owned();
    let role = env
        .get(&format!("roles?$select=roleid&$filter=name eq 'Basic User' and _businessunitid_value eq {root_id}"))
        .await;
    let role_id = role.values()[0]["roleid"].as_str().expect("id").to_owned();
    let app_user = env
        .create(
            "systemusers",
            json!({
                "applicationid": "5b4bd2d7-0e0e-4b5f-9a64-000000000abc",
                "accessmode": 4,
                "isdisabled": false,
                "businessunitid@odata.bind": format!("/businessunits({root_id})"),
            }),
        )
        .await;
    let role_url = format!("{}roles({role_id})", env.emu.web_api_url());
    env.post(
        &format!("systemusers({app_user})/systemuserroles_association/$ref"),
        json!({"@odata.id": role_url}),
    )
    .await
    .expect(204);
    let user = env
        .get("systemusers?$select=fullname,domainname,applicationid&$expand=systemuserroles_association($select=roleid,name,_businessunitid_value)&$filter=applicationid eq 5b4bd2d7-0e0e-4b5f-9a64-000000000abc")
        .await;
    let row = &user.values()[0];
    assert!(
        row["domainname"].as_str().is_some_and(|d| !d.is_empty()),
        "domainname is filled in"
    );
    // Collection expansions in collection answers also link the collection, as in the
    // documented answers.
    assert!(row["systemuserroles_association@odata.nextLink"].is_string());
    let single = env.get(&format!("systemusers({app_user})?$select=fullname&$expand=systemuserroles_association($select=name)")).await;
    assert_eq!(
        single.body["systemuserroles_association"][0]["name"],
        "Basic User"
    );
    env.send(
        Method::DELETE,
        &format!("systemusers({app_user})/systemuserroles_association/$ref?$id={role_url}"),
        &[],
        None,
    )
    .await
    .expect(204);
    let after = env
        .get(&format!(
            "systemusers({app_user})/systemuserroles_association/$ref"
        ))
        .await;
    assert!(after.values().is_empty());
}

#[tokio::test]
async fn deleting_a_parent_clears_lookups() {
    let env = start().await;
    let account = env.create("accounts", json!({"name": "Going away"})).await;
    let task = env
        .create("tasks", json!({"subject": "Stays", "regardingobjectid_account_task@odata.bind": format!("/accounts({account})")}))
        .await;
    let before = env
        .get(&format!("tasks({task})?$select=_regardingobjectid_value"))
        .await;
    assert_eq!(before.body["_regardingobjectid_value"], account.as_str());
    env.delete(&format!("accounts({account})"))
        .await
        .expect(204);
    let after = env
        .get(&format!("tasks({task})?$select=_regardingobjectid_value"))
        .await;
    assert!(after.expect(200)["_regardingobjectid_value"].is_null());
}

/// `$expand=nav/$ref` returns references for single-valued navigation properties (with the
/// lookup value beside them) and is refused on collection-valued ones with the documented
/// message ("Join tables using OData").
#[tokio::test]
async fn expand_ref_returns_references_of_lookups_only() {
    let env = start().await;
    let contact = env
        .create(
            "contacts",
            json!({"firstname": "Ref", "lastname": "Target"}),
        )
        .await;
    let account = env
        .create(
            "accounts",
            json!({"name": "Ref source", "primarycontactid@odata.bind": format!("/contacts({contact})")}),
        )
        .await;
    env.create("accounts", json!({"name": "No contact"})).await;
    let list = env
        .get("accounts?$select=name&$expand=primarycontactid/$ref&$orderby=name desc")
        .await;
    let rows = list.expect(200)["value"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 2);
    let linked = &rows[0];
    assert_eq!(linked["_primarycontactid_value"], contact.as_str());
    assert_eq!(
        linked["primarycontactid"]["@odata.id"],
        env.url(&format!("contacts({contact})")).as_str()
    );
    assert!(rows[1]["primarycontactid"].is_null());
    let single = env
        .get(&format!(
            "accounts({account})?$select=name&$expand=primarycontactid/$ref"
        ))
        .await;
    assert_eq!(
        single.expect(200)["primarycontactid"]["@odata.id"],
        env.url(&format!("contacts({contact})")).as_str()
    );
    let refused = env
        .get("accounts?$select=name&$expand=Account_Tasks/$ref")
        .await;
    refused.expect(400);
    assert_eq!(refused.code(), "0x80060888");
    assert_eq!(
        refused.message(),
        "Expand with $ref is only supported on lookup type navigation property."
    );
}

/// `ownerid` is polymorphic (a user or a team, as documented): a team binds through
/// `ownerid@odata.bind`, the lookup annotations name `team`, and the platform keeps
/// `owninguser`/`owningteam` in step with the owner (one set, the other null), also when the
/// owner changes back to a user.
#[tokio::test]
async fn a_team_can_own_a_row_and_owning_columns_follow_the_owner() {
    let env = start().await;
    let team = env.create("teams", json!({"name": "Owners"})).await;
    let account = env
        .create(
            "accounts",
            json!({"name": "Team-owned", "ownerid@odata.bind": format!("/teams({team})")}),
        )
        .await;
    let prefer = (
        "Prefer",
        "odata.include-annotations=\"Microsoft.Dynamics.CRM.associatednavigationproperty,Microsoft.Dynamics.CRM.lookuplogicalname\"",
    );
    let path = format!(
        "accounts({account})?$select=_ownerid_value,_owninguser_value,_owningteam_value&$expand=owningteam($select=name)"
    );
    let owned = env.send(Method::GET, &path, &[prefer], None).await;
    let body = owned.expect(200);
    assert_eq!(body["_ownerid_value"], team.as_str());
    assert_eq!(
        body["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"],
        "team"
    );
    assert_eq!(
        body["_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"],
        "ownerid"
    );
    assert_eq!(body["_owningteam_value"], team.as_str());
    assert_eq!(body["_owninguser_value"], serde_json::Value::Null);
    assert_eq!(body["owningteam"]["name"], "Owners");
    let reference = env.get(&format!("accounts({account})/ownerid/$ref")).await;
    assert!(
        reference.expect(200)["@odata.id"]
            .as_str()
            .is_some_and(|id| id.ends_with(&format!("teams({team})"))),
        "{}",
        reference.text
    );

    // Back to a user: owninguser follows, owningteam is cleared.
    let me = env.get("WhoAmI").await.expect(200)["UserId"]
        .as_str()
        .expect("UserId")
        .to_owned();
    env.patch(
        &format!("accounts({account})"),
        json!({"ownerid@odata.bind": format!("/systemusers({me})")}),
    )
    .await
    .expect(204);
    let owned = env.send(Method::GET, &path, &[prefer], None).await;
    let body = owned.expect(200);
    assert_eq!(
        body["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"],
        "systemuser"
    );
    assert_eq!(body["_owninguser_value"], me.as_str());
    assert_eq!(body["_owningteam_value"], serde_json::Value::Null);
    assert_eq!(body["owningteam"], serde_json::Value::Null);

    // PUT ownerid/$ref also takes a team, and owningteam follows.
    env.send(
        Method::PUT,
        &format!("accounts({account})/ownerid/$ref"),
        &[],
        Some(json!({"@odata.id": format!("teams({team})")})),
    )
    .await
    .expect(204);
    let owned = env.send(Method::GET, &path, &[prefer], None).await;
    let body = owned.expect(200);
    assert_eq!(body["_owningteam_value"], team.as_str());
    assert_eq!(body["_owninguser_value"], serde_json::Value::Null);

    // Rows created without an owner belong to the caller, who is also their owning user.
    let contact = env.create("contacts", json!({"lastname": "Mine"})).await;
    let mine = env
        .get(&format!(
            "contacts({contact})?$select=fullname&$expand=owninguser($select=fullname)"
        ))
        .await;
    assert_eq!(mine.expect(200)["owninguser"]["systemuserid"], me.as_str());

    // An owner is a user or a team: a reference to another table is refused.
    let refused = env
        .post(
            "accounts",
            json!({"name": "x", "ownerid@odata.bind": format!("/accounts({account})")}),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
}

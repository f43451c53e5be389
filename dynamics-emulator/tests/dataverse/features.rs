//! FetchXML, change tracking, EntityDefinitions, ImportSolution and the service document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{encode, start};

#[tokio::test]
async fn fetchxml_pages_with_cookies() {
    let env = start().await;
    let rows: Vec<Value> = (0..7).map(|n| json!({"lastname": format!("Person {n}"), "jobtitle": if n % 2 == 0 { "Even" } else { "Odd" }})).collect();
    env.emu
        .seed()
        .insert_rows("contacts", rows)
        .expect("seeded");
    let fetch = |page: u32, cookie: Option<&str>| {
        let cookie = cookie
            .map(|c| {
                format!(
                    " paging-cookie=\"{}\"",
                    c.replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;")
                        .replace('"', "&quot;")
                )
            })
            .unwrap_or_default();
        format!(
            "<fetch count=\"3\" page=\"{page}\"{cookie}><entity name=\"contact\"><attribute name=\"fullname\"/><attribute name=\"jobtitle\"/>\
             <order attribute=\"fullname\" descending=\"true\"/><filter><condition attribute=\"fullname\" operator=\"like\" value=\"Person%\"/></filter></entity></fetch>"
        )
    };
    let prefer = [(
        "Prefer",
        "odata.include-annotations=\"Microsoft.Dynamics.CRM.fetchxmlpagingcookie\"",
    )];
    let mut names = Vec::new();
    let mut cookie: Option<String> = None;
    for page in 1..=3 {
        let answer = env
            .send(
                Method::GET,
                &format!(
                    "contacts?fetchXml={}",
                    encode(&fetch(page, cookie.as_deref()))
                ),
                &prefer,
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        names.extend(
            answer
                .values()
                .iter()
                .map(|v| v["fullname"].as_str().unwrap_or_default().to_owned()),
        );
        cookie = answer.body["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"]
            .as_str()
            .map(|outer| {
                let start =
                    outer.find("pagingcookie=\"").expect("attribute") + "pagingcookie=\"".len();
                let encoded = &outer[start..start + outer[start..].find('"').expect("end")];
                let once = percent(encoded);
                percent(&once)
            });
        assert_eq!(
            answer.body["@Microsoft.Dynamics.CRM.morerecords"].as_bool(),
            (page < 3).then_some(true)
        );
    }
    let expected: Vec<String> = (0..7).rev().map(|n| format!("Person {n}")).collect();
    assert_eq!(names, expected);
    let mismatch = env
        .get(&format!(
            "accounts?fetchXml={}",
            encode("<fetch><entity name=\"contact\"/></fetch>")
        ))
        .await;
    mismatch.expect(400);
    let unknown = env
        .get(&format!(
            "contacts?fetchXml={}",
            encode("<fetch><entity name=\"contact\"><attribute name=\"nosuch\"/></entity></fetch>")
        ))
        .await;
    unknown.expect(400);
}

fn percent(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn change_tracking_returns_changes_and_deletions() {
    let env = start().await;
    let keep = env.create("accounts", json!({"name": "Keep"})).await;
    let remove = env.create("accounts", json!({"name": "Remove"})).await;
    let initial = env
        .send(
            Method::GET,
            "accounts?$select=name",
            &[("Prefer", "odata.track-changes")],
            None,
        )
        .await;
    assert_eq!(
        initial.header("Preference-Applied"),
        Some("odata.track-changes")
    );
    assert_eq!(initial.values().len(), 2);
    let link = initial.body["@odata.deltaLink"]
        .as_str()
        .expect("deltaLink")
        .to_owned();
    assert!(link.contains("$deltatoken="));
    let nothing = env.get(&link).await;
    assert!(nothing.values().is_empty());
    env.patch(&format!("accounts({keep})"), json!({"name": "Kept"}))
        .await
        .expect(204);
    env.delete(&format!("accounts({remove})")).await.expect(204);
    env.create("accounts", json!({"name": "New"})).await;
    let delta = env.get(&link).await;
    let values = delta.values();
    assert_eq!(values.len(), 3);
    assert!(values[..2].iter().all(|v| v["name"].is_string()));
    assert_eq!(values[2]["reason"], "deleted");
    assert_eq!(values[2]["id"], remove.as_str());
    assert!(
        delta.body["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("/$delta"))
    );
    let token = link.split("$deltatoken=").nth(1).expect("token");
    assert_eq!(
        env.get(&format!("accounts/$count?$deltatoken={token}"))
            .await
            .text,
        "3"
    );
    let refused = env
        .send(
            Method::GET,
            "accounts?$select=name&$filter=name eq 'x'",
            &[("Prefer", "odata.track-changes")],
            None,
        )
        .await;
    refused.expect(400);
    assert_eq!(
        refused.message(),
        "The \"$filter\" query parameter isn't supported when Change Tracking is enabled."
    );
    env.emu
        .advance_clock(std::time::Duration::from_secs(8 * 86_400));
    let user = env.emu.defaults().user.clone();
    let fresh = crate::support::user_token(&env.emu, &env.http, &user).await;
    let expired = env.send_as(&fresh, Method::GET, &link, &[], None).await;
    expired.expect(400);
    assert_eq!(
        expired.message(),
        "Version stamp associated with the client has expired. Please perform a full sync."
    );
    let untracked = env
        .send_as(
            &fresh,
            Method::GET,
            "roles?$select=name",
            &[("Prefer", "odata.track-changes")],
            None,
        )
        .await;
    untracked.expect(400);
}

#[tokio::test]
async fn entity_definitions_describe_tables() {
    let env = start().await;
    let all = env.get("EntityDefinitions?$select=LogicalName,EntitySetName&$filter=LogicalName eq 'lead' or LogicalName eq 'account'").await;
    assert_eq!(all.values().len(), 2);
    let lead = env
        .get("EntityDefinitions(LogicalName='lead')?$expand=Attributes,Keys")
        .await;
    let body = lead.expect(200);
    assert_eq!(body["EntitySetName"], "leads");
    assert_eq!(body["PrimaryIdAttribute"], "leadid");
    assert_eq!(body["PrimaryNameAttribute"], "fullname");
    assert_eq!(body["ChangeTrackingEnabled"], true);
    let attributes = body["Attributes"].as_array().expect("attributes");
    assert!(
        attributes
            .iter()
            .any(|a| a["LogicalName"] == "subject" && a["MaxLength"] == 300)
    );
    assert!(
        attributes
            .iter()
            .any(|a| a["LogicalName"] == "leadsourcecode" && a["AttributeType"] == "Picklist")
    );
    let relationships = env.get("EntityDefinitions(LogicalName='account')/OneToManyRelationships?$filter=SchemaName eq 'Account_Tasks'").await;
    assert_eq!(
        relationships.values()[0]["ReferencingEntityNavigationPropertyName"],
        "regardingobjectid_account_task"
    );
    let many = env
        .get("EntityDefinitions(LogicalName='systemuser')/ManyToManyRelationships")
        .await;
    assert!(
        many.values()
            .iter()
            .any(|r| r["SchemaName"] == "systemuserroles_association")
    );
    let attribute = env
        .get("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='primarycontactid')")
        .await;
    assert_eq!(attribute.expect(200)["Targets"][0], "contact");
    env.get("EntityDefinitions(LogicalName='nosuch')")
        .await
        .expect(404);
}

#[tokio::test]
async fn import_solution_and_service_document() {
    let env = start().await;
    // A truncated zip is read and refused (see solution_import.rs for real packages).
    let broken = env.post("ImportSolution", json!({"CustomizationFile": "UEsDBBQ=", "OverwriteUnmanagedCustomizations": true, "PublishWorkflows": true, "ImportJobId": "7f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b"}))
        .await;
    broken.expect(400);
    assert!(
        broken.message().contains("not a valid .zip"),
        "{}",
        broken.text
    );
    assert_eq!(env.emu.seed().solution_imports(), 1);
    env.post(
        "ImportSolution",
        json!({"CustomizationFile": "not base64!"}),
    )
    .await
    .expect(400);
    let document = env.get("").await;
    assert!(document.values().iter().any(|v| v["name"] == "leads"));
    env.get("../v8.0/WhoAmI").await;
    let old = env
        .send(
            Method::GET,
            &format!("{}api/data/v8.0/WhoAmI", env.emu.base_url()),
            &[],
            None,
        )
        .await;
    old.expect(404);
    let v90 = env
        .send(
            Method::GET,
            &format!("{}api/data/v9.0/WhoAmI", env.emu.base_url()),
            &[],
            None,
        )
        .await;
    assert!(
        v90.expect(200)["@odata.context"]
            .as_str()
            .is_some_and(|c| c.contains("/api/data/v9.0/"))
    );
}

#[tokio::test]
async fn change_tracking_initial_load_pages() {
    let env = start().await;
    env.emu.seed().insert_generated_leads(25);
    let prefer = [("Prefer", "odata.track-changes,odata.maxpagesize=10")];
    let mut url = "leads?$select=fullname".to_owned();
    let mut seen = 0;
    let delta = loop {
        let page = env.send(Method::GET, &url, &prefer, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen += page.values().len();
        match page.body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(page.body.get("@odata.deltaLink").is_none());
                url = next.to_owned();
            }
            None => {
                break page.body["@odata.deltaLink"]
                    .as_str()
                    .expect("deltaLink")
                    .to_owned();
            }
        }
    };
    assert_eq!(seen, 25);
    env.post("leads", json!({"lastname": "After"}))
        .await
        .expect(204);
    assert_eq!(env.get(&delta).await.values().len(), 1);
}

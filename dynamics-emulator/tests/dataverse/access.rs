//! The security model: privileges from roles (direct and through teams) with their depth
//! against record ownership, Dataverse's 403 answers, the System Administrator bypass and
//! change sets failing on a denied part.

use reqwest::Method;
use serde_json::json;

use crate::security_support::{
    ACCESS_DENIED, BASIC, DEEP, GLOBAL, LOCAL, NO_ROLES, PRIVILEGE_DENIED, assign_role,
    create_app_user, default_app_user, names, seed_account, seed_role, send_as_user, units,
};
use crate::support::start;

#[tokio::test]
async fn an_app_user_creates_leads_but_cannot_delete_accounts() {
    let env = start().await;
    let units = units(&env).await;
    let (user, token) = default_app_user(&env, &units.root).await;
    let role = seed_role(
        &env,
        "Lead Writer",
        &units.root,
        &[("prvCreateLead", BASIC), ("prvReadLead", BASIC)],
    );
    assign_role(&env, &user, &role).await;
    let account = env.create("accounts", json!({"name": "Kept"})).await;

    let created = env
        .send_as(
            &token,
            Method::POST,
            "leads",
            &[],
            Some(json!({"lastname": "Marketplace", "subject": "From the app"})),
        )
        .await;
    created.expect(204);
    let lead = created
        .header("OData-EntityId")
        .expect("entity id")
        .to_owned();
    let mine = env.send_as(&token, Method::GET, &lead, &[], None).await;
    assert_eq!(
        mine.expect(200)["_ownerid_value"],
        user.as_str(),
        "the creator owns it"
    );

    let denied = env
        .send_as(
            &token,
            Method::DELETE,
            &format!("accounts({account})"),
            &[],
            None,
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(denied.code(), PRIVILEGE_DENIED);
    let message = denied.message();
    assert!(
        message.starts_with(&format!(
            "Principal user (Id={user}, type=8, roleCount=1, privilegeCount=2"
        )),
        "{message}"
    );
    assert!(
        message.contains("is missing prvDeleteAccount privilege (Id=")
            && message.contains("on OTC=1 for entity 'account'"),
        "{message}"
    );
    env.get(&format!("accounts({account})")).await.expect(200);

    let read = env
        .send_as(&token, Method::GET, "accounts?$select=name", &[], None)
        .await;
    assert_eq!(read.status, 403, "no read privilege at all fails the query");
    assert!(
        read.message()
            .contains("is missing prvReadAccount privilege")
    );
}

#[tokio::test]
async fn queries_return_only_rows_the_depth_reaches() {
    let env = start().await;
    let units = units(&env).await;
    let root_user =
        create_app_user(&env, "11111111-0000-4000-8000-000000000001", &units.root).await;
    let sales_user =
        create_app_user(&env, "11111111-0000-4000-8000-000000000002", &units.sales).await;
    let local = seed_role(
        &env,
        "Root readers",
        &units.root,
        &[("prvReadAccount", LOCAL)],
    );
    let basic = seed_role(
        &env,
        "Sales readers",
        &units.sales,
        &[("prvReadAccount", BASIC)],
    );
    assign_role(&env, &root_user, &local).await;
    assign_role(&env, &sales_user, &basic).await;
    let admin = env.get("WhoAmI").await.expect(200)["UserId"]
        .as_str()
        .expect("admin id")
        .to_owned();
    seed_account(&env, "Admin's", &admin);
    seed_account(&env, "Root user's", &root_user);
    let sales_account = seed_account(&env, "Sales user's", &sales_user);

    let root_view =
        send_as_user(&env, &root_user, Method::GET, "accounts?$select=name", None).await;
    root_view.expect(200);
    assert_eq!(
        names(&root_view),
        ["Admin's", "Root user's"],
        "Local: the root unit only"
    );
    let sales_view = send_as_user(
        &env,
        &sales_user,
        Method::GET,
        "accounts?$select=name&$count=true",
        None,
    )
    .await;
    assert_eq!(names(&sales_view), ["Sales user's"], "Basic: its own rows");
    assert_eq!(
        sales_view.body["@odata.count"], 1,
        "the count is filtered too"
    );
    let count = send_as_user(&env, &sales_user, Method::GET, "accounts/$count", None).await;
    assert_eq!(count.text, "1");

    let single = send_as_user(
        &env,
        &root_user,
        Method::GET,
        &format!("accounts({sales_account})"),
        None,
    )
    .await;
    assert_eq!(single.status, 403, "{}", single.text);
    assert_eq!(single.code(), ACCESS_DENIED);
    assert!(
        single.message().contains(&format!(
            "Principal with id = {root_user} does not have ReadAccess right(s) for record with id = {sales_account} of entity account"
        )),
        "{}",
        single.message()
    );

    let deep = seed_role(
        &env,
        "Deep readers",
        &units.root,
        &[("prvReadAccount", DEEP)],
    );
    assign_role(&env, &root_user, &deep).await;
    let deeper = send_as_user(&env, &root_user, Method::GET, "accounts?$select=name", None).await;
    assert_eq!(
        names(&deeper),
        ["Admin's", "Root user's", "Sales user's"],
        "Deep: the child unit too (highest depth of two roles wins)"
    );
    let sales_deep = seed_role(
        &env,
        "Sales deep",
        &units.sales,
        &[("prvReadAccount", DEEP)],
    );
    assign_role(&env, &sales_user, &sales_deep).await;
    let still = send_as_user(
        &env,
        &sales_user,
        Method::GET,
        "accounts?$select=name",
        None,
    )
    .await;
    assert_eq!(
        names(&still),
        ["Sales user's"],
        "Deep does not reach the parent unit"
    );
}

#[tokio::test]
async fn team_roles_reach_what_the_team_owns_and_its_unit() {
    let env = start().await;
    let units = units(&env).await;
    let member = create_app_user(&env, "22222222-0000-4000-8000-000000000001", &units.root).await;
    let team = env
        .create(
            "teams",
            json!({
                "name": "Sales team",
                "teamtype": 0,
                "businessunitid@odata.bind": format!("/businessunits({})", units.sales),
            }),
        )
        .await;
    env.post(
        &format!("teams({team})/teammembership_association/$ref"),
        json!({"@odata.id": format!("{}systemusers({member})", env.emu.web_api_url())}),
    )
    .await
    .expect(204);
    let role = seed_role(
        &env,
        "Team role",
        &units.sales,
        &[("prvReadAccount", LOCAL), ("prvCreateAccount", BASIC)],
    );
    env.post(
        &format!("teams({team})/teamroles_association/$ref"),
        json!({"@odata.id": format!("{}roles({role})", env.emu.web_api_url())}),
    )
    .await
    .expect(204);
    let admin = env.get("WhoAmI").await.expect(200)["UserId"]
        .as_str()
        .expect("id")
        .to_owned();
    let sales_owner =
        create_app_user(&env, "22222222-0000-4000-8000-000000000002", &units.sales).await;
    seed_account(&env, "In root", &admin);
    seed_account(&env, "In sales", &sales_owner);

    let seen = send_as_user(&env, &member, Method::GET, "accounts?$select=name", None).await;
    assert_eq!(
        names(&seen),
        ["In sales"],
        "the team role's Local depth starts from the team's unit, not the member's"
    );
    // Team privileges only: the team's Basic create reaches records the team owns, not the
    // member's own.
    let own = send_as_user(
        &env,
        &member,
        Method::POST,
        "accounts",
        Some(json!({"name": "Mine"})),
    )
    .await;
    assert_eq!(own.status, 403, "{}", own.text);
    assert_eq!(own.code(), ACCESS_DENIED);
    assert!(own.message().contains("CreateAccess"), "{}", own.message());
    let for_team = send_as_user(
        &env,
        &member,
        Method::POST,
        "accounts",
        Some(json!({"name": "Team's", "ownerid@odata.bind": format!("/teams({team})")})),
    )
    .await;
    for_team.expect(204);
    let after = send_as_user(&env, &member, Method::GET, "accounts?$select=name", None).await;
    assert_eq!(names(&after), ["In sales", "Team's"]);
}

#[tokio::test]
async fn a_principal_without_roles_is_told_so_but_reaches_whoami_and_metadata() {
    let env = start().await;
    let units = units(&env).await;
    let (user, token) = default_app_user(&env, &units.root).await;
    let denied = env
        .send_as(&token, Method::GET, "accounts?$select=name", &[], None)
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(denied.code(), NO_ROLES);
    assert!(
        denied.message().starts_with(
            "SecLib::RetrievePrivilegeForUser failed - no roles are assigned to user."
        ) && denied.message().contains(&user),
        "{}",
        denied.message()
    );
    let who = env.send_as(&token, Method::GET, "WhoAmI", &[], None).await;
    assert_eq!(who.expect(200)["UserId"], user.as_str());
    env.send_as(
        &token,
        Method::GET,
        "EntityDefinitions(LogicalName='account')?$select=LogicalName",
        &[],
        None,
    )
    .await
    .expect(200);
    env.send_as(&token, Method::GET, "", &[], None)
        .await
        .expect(200);
}

#[tokio::test]
async fn system_administrator_sees_and_does_everything() {
    let env = start().await;
    let units = units(&env).await;
    let (user, token) = default_app_user(&env, &units.root).await;
    let admin_role = env
        .get(&format!(
            "roles?$select=roleid&$filter=name eq 'System Administrator' and _businessunitid_value eq {}",
            units.root
        ))
        .await
        .values()[0]["roleid"]
        .as_str()
        .expect("role id")
        .to_owned();
    assign_role(&env, &user, &admin_role).await;
    let other = create_app_user(&env, "33333333-0000-4000-8000-000000000001", &units.sales).await;
    let account = seed_account(&env, "Someone else's", &other);
    let all = env
        .send_as(&token, Method::GET, "accounts?$select=name", &[], None)
        .await;
    assert_eq!(names(&all), ["Someone else's"]);
    env.send_as(
        &token,
        Method::DELETE,
        &format!("accounts({account})"),
        &[],
        None,
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn a_denied_part_fails_its_change_set() {
    let env = start().await;
    let units = units(&env).await;
    let (user, token) = default_app_user(&env, &units.root).await;
    let role = seed_role(
        &env,
        "Leads only",
        &units.root,
        &[("prvCreateLead", GLOBAL)],
    );
    assign_role(&env, &user, &role).await;
    let part = |content_id: u32, url: &str, body: &str| {
        format!(
            "--changeset_s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {content_id}\r\n\r\nPOST {url} HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{body}\r\n"
        )
    };
    let body = format!(
        "--batch_s\r\nContent-Type: multipart/mixed; boundary=changeset_s\r\n\r\n{}{}--changeset_s--\r\n--batch_s--\r\n",
        part(1, "leads", r#"{"lastname":"In the change set"}"#),
        part(2, "accounts", r#"{"name":"Not allowed"}"#),
    );
    let answer = crate::support::answer(
        env.http
            .post(env.url("$batch"))
            .bearer_auth(&token)
            .header("Content-Type", "multipart/mixed; boundary=batch_s")
            .header("OData-Version", "4.0")
            .body(body)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(answer.text.contains("403"), "{}", answer.text);
    assert!(answer.text.contains("prvCreateAccount"), "{}", answer.text);
    let leads = env
        .get("leads?$select=lastname&$filter=lastname eq 'In the change set'")
        .await;
    assert!(leads.values().is_empty(), "the lead was rolled back");
}

#[tokio::test]
async fn expanded_rows_follow_the_read_depth_of_their_table() {
    let env = start().await;
    let units = units(&env).await;
    let user = create_app_user(&env, "66666666-0000-4000-8000-000000000001", &units.root).await;
    let role = seed_role(
        &env,
        "Contacts everywhere, own accounts",
        &units.root,
        &[("prvReadContact", GLOBAL), ("prvReadAccount", BASIC)],
    );
    assign_role(&env, &user, &role).await;
    let admin = env.get("WhoAmI").await.expect(200)["UserId"]
        .as_str()
        .expect("id")
        .to_owned();
    let theirs = seed_account(&env, "Theirs", &admin);
    let mine = seed_account(&env, "Mine", &user);
    for (last, account) in [("Under theirs", &theirs), ("Under mine", &mine)] {
        env.emu
            .seed()
            .insert_rows(
                "contacts",
                vec![json!({
                    "lastname": last,
                    "parentcustomerid_account@odata.bind": format!("/accounts({account})"),
                })],
            )
            .expect("contact inserted");
    }
    let contacts = send_as_user(
        &env,
        &user,
        Method::GET,
        "contacts?$select=lastname&$expand=parentcustomerid_account($select=name)&$orderby=lastname",
        None,
    )
    .await;
    let rows = contacts.expect(200)["value"]
        .as_array()
        .expect("rows")
        .clone();
    assert_eq!(rows.len(), 2, "every contact is readable");
    assert_eq!(rows[0]["lastname"], "Under mine");
    assert_eq!(rows[0]["parentcustomerid_account"]["name"], "Mine");
    assert_eq!(rows[1]["lastname"], "Under theirs");
    assert!(
        rows[1]["parentcustomerid_account"].is_null(),
        "an unreadable parent is not expanded: {}",
        rows[1]
    );
    let accounts = send_as_user(
        &env,
        &user,
        Method::GET,
        "accounts?$select=name&$expand=contact_customer_accounts($select=lastname)",
        None,
    )
    .await;
    assert_eq!(names(&accounts), ["Mine"]);
    let expanded = &accounts.values()[0]["contact_customer_accounts"];
    assert_eq!(expanded.as_array().map(Vec::len), Some(1), "{expanded}");
}

#[tokio::test]
async fn updates_assignments_and_associations_need_their_privileges() {
    let env = start().await;
    let units = units(&env).await;
    let user = create_app_user(&env, "77777777-0000-4000-8000-000000000001", &units.root).await;
    let role = seed_role(
        &env,
        "Own account editor",
        &units.root,
        &[
            ("prvReadAccount", GLOBAL),
            ("prvWriteAccount", BASIC),
            ("prvReadContact", GLOBAL),
            ("prvAppendContact", GLOBAL),
        ],
    );
    assign_role(&env, &user, &role).await;
    let admin = env.get("WhoAmI").await.expect(200)["UserId"]
        .as_str()
        .expect("id")
        .to_owned();
    let theirs = seed_account(&env, "Theirs", &admin);
    let mine = seed_account(&env, "Mine", &user);
    let patch = |account: String, body: serde_json::Value| {
        let env = &env;
        let user = user.clone();
        async move {
            send_as_user(
                env,
                &user,
                Method::PATCH,
                &format!("accounts({account})"),
                Some(body),
            )
            .await
        }
    };

    patch(mine.clone(), json!({"name": "Mine, renamed"}))
        .await
        .expect(204);
    let other = patch(theirs.clone(), json!({"name": "Not mine"})).await;
    assert_eq!(other.status, 403, "{}", other.text);
    assert_eq!(other.code(), ACCESS_DENIED);
    assert!(
        other.message().contains("WriteAccess"),
        "{}",
        other.message()
    );

    let give_away = json!({"ownerid@odata.bind": format!("/systemusers({admin})")});
    let refused = patch(mine.clone(), give_away.clone()).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused
            .message()
            .contains("is missing prvAssignAccount privilege"),
        "{}",
        refused.message()
    );
    let assigner = seed_role(
        &env,
        "Assigner",
        &units.root,
        &[("prvAssignAccount", BASIC)],
    );
    assign_role(&env, &user, &assigner).await;
    patch(mine.clone(), give_away).await.expect(204);
    let owner = env
        .get(&format!("accounts({mine})?$select=_ownerid_value"))
        .await;
    assert_eq!(owner.expect(200)["_ownerid_value"], admin.as_str());

    let contact = env.create("contacts", json!({"lastname": "Linked"})).await;
    let link = |account: &str| json!({"@odata.id": format!("{}accounts({account})", env.emu.web_api_url())});
    let path = format!("contacts({contact})/parentcustomerid_account/$ref");
    let no_append_to = send_as_user(&env, &user, Method::PUT, &path, Some(link(&theirs))).await;
    assert_eq!(no_append_to.status, 403, "{}", no_append_to.text);
    assert!(
        no_append_to
            .message()
            .contains("is missing prvAppendToAccount privilege"),
        "{}",
        no_append_to.message()
    );
    let append_to = seed_role(
        &env,
        "Append to",
        &units.root,
        &[("prvAppendToAccount", LOCAL)],
    );
    assign_role(&env, &user, &append_to).await;
    send_as_user(&env, &user, Method::PUT, &path, Some(link(&theirs)))
        .await
        .expect(204);
}

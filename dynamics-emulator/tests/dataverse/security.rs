//! The security model's data over the Web API: the privilege catalogue, roles per business
//! unit, the role privilege messages, application users, moving users between business units,
//! and teams with roles.

use dynamics_emulator::TableSeed;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Env, encode, start};

const ROOT_BU: &str = "c0a7e5a0-0000-4000-8000-000000000041";
const SALES_BU: &str = "c0a7e5a0-0000-4000-8000-000000000044";
const SYSTEM_ADMINISTRATOR: &str = "c0a7e5a0-0000-4000-8000-000000000045";

async fn privilege(env: &Env, name: &str) -> Value {
    let answer = env
        .get(&format!(
            "privileges?$filter={}",
            encode(&format!("name eq '{name}'"))
        ))
        .await;
    let rows = answer.values();
    assert_eq!(rows.len(), 1, "{name}: {}", answer.text);
    rows[0].clone()
}

async fn privilege_id(env: &Env, name: &str) -> String {
    privilege(env, name).await["privilegeid"]
        .as_str()
        .expect("privilegeid")
        .to_owned()
}

/// The roles named `name`, as `(roleid, business unit, parent root role)`.
async fn roles_named(env: &Env, name: &str) -> Vec<(String, String, String)> {
    let answer = env
        .get(&format!(
            "roles?$select=name,_businessunitid_value,_parentrootroleid_value&$filter={}",
            encode(&format!("name eq '{name}'"))
        ))
        .await;
    answer.expect(200);
    answer
        .values()
        .iter()
        .map(|r| {
            (
                r["roleid"].as_str().unwrap_or_default().to_owned(),
                r["_businessunitid_value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r["_parentrootroleid_value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

fn copy_in(roles: &[(String, String, String)], unit: &str) -> String {
    roles
        .iter()
        .find(|(_, bu, _)| bu == unit)
        .map(|(id, _, _)| id.clone())
        .unwrap_or_else(|| panic!("no copy in {unit}: {roles:?}"))
}

async fn role_privileges(env: &Env, role: &str) -> Vec<(String, String)> {
    let answer = env
        .get(&format!("RetrieveRolePrivilegesRole(RoleId={role})"))
        .await;
    answer.expect(200)["RolePrivileges"]
        .as_array()
        .expect("RolePrivileges")
        .iter()
        .map(|p| {
            (
                p["PrivilegeName"].as_str().unwrap_or_default().to_owned(),
                p["Depth"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn new_role(env: &Env, name: &str) -> String {
    env.create(
        "roles",
        json!({"name": name, "businessunitid@odata.bind": format!("/businessunits({ROOT_BU})")}),
    )
    .await
}

async fn app_user(env: &Env, app: &str, unit: &str) -> String {
    env.create(
        "systemusers",
        json!({"applicationid": app, "accessmode": 4, "businessunitid@odata.bind": format!("/businessunits({unit})")}),
    )
    .await
}

#[tokio::test]
async fn the_catalogue_names_every_table_privilege_with_its_depths() {
    let env = start().await;
    let create_lead = privilege(&env, "prvCreateLead").await;
    assert_eq!(create_lead["accessright"], 32);
    assert_eq!(create_lead["canbebasic"], true);
    assert_eq!(create_lead["canbeglobal"], true);
    let share = privilege(&env, "prvShareAccount").await;
    assert_eq!(share["accessright"], 262_144);
    let read_unit = privilege(&env, "prvReadBusinessUnit").await;
    assert_eq!(
        read_unit["canbebasic"], false,
        "organisation-owned: Global only"
    );
    assert_eq!(read_unit["canbeglobal"], true);
    env.get(&format!(
        "privileges?$filter={}",
        encode("name eq 'prvAssignBusinessUnit'")
    ))
    .await;
    for name in [
        "prvReadAsyncOperation",
        "prvWriteAsyncOperation",
        "prvAppendToAsyncOperation",
        "prvCreateUserEntityUISettings",
        "prvReadUserEntityUISettings",
        "prvWriteUserEntityUISettings",
        "prvReadRole",
        "prvCreateRole",
        "prvAssignRole",
        "prvReadUser",
    ] {
        privilege(&env, name).await;
    }
    // System Administrator holds everything at Organization depth, in every unit's copy.
    let held = role_privileges(&env, SYSTEM_ADMINISTRATOR).await;
    assert!(held.contains(&("prvDeleteAccount".to_owned(), "Global".to_owned())));
    assert!(held.iter().all(|(_, depth)| depth == "Global"));
    let admins = roles_named(&env, "System Administrator").await;
    let sales_admin = copy_in(&admins, SALES_BU);
    assert_eq!(role_privileges(&env, &sales_admin).await.len(), held.len());
    // Basic User holds the user-level basics.
    let basic = copy_in(&roles_named(&env, "Basic User").await, ROOT_BU);
    let basics = role_privileges(&env, &basic).await;
    assert!(basics.contains(&("prvCreateLead".to_owned(), "Basic".to_owned())));
    assert!(basics.contains(&("prvReadUser".to_owned(), "Global".to_owned())));
}

#[tokio::test]
async fn custom_tables_get_privileges_held_by_the_administrator() {
    let env = start().await;
    env.emu
        .seed()
        .add_table(TableSeed {
            logical_name: "sample_widget".into(),
            primary_name_attribute: "sample_name".into(),
            ..TableSeed::default()
        })
        .expect("table added");
    let id = privilege_id(&env, "prvCreateSample_widget").await;
    let held = role_privileges(&env, SYSTEM_ADMINISTRATOR).await;
    assert!(
        held.contains(&("prvCreateSample_widget".to_owned(), "Global".to_owned())),
        "{id}"
    );
}

#[tokio::test]
async fn roles_are_copied_to_every_business_unit_and_follow_their_root() {
    let env = start().await;
    let root = new_role(&env, "Lead Writer").await;
    let copies = roles_named(&env, "Lead Writer").await;
    assert_eq!(copies.len(), 2, "root and Sales: {copies:?}");
    assert!(
        copies.iter().all(|(_, _, parent)| *parent == root),
        "{copies:?}"
    );
    let sales_copy = copy_in(&copies, SALES_BU);
    assert_ne!(sales_copy, root);

    // A new business unit receives a copy of every role, with its privileges.
    let lead = privilege_id(&env, "prvCreateLead").await;
    env.post(
        &format!("roles({root})/Microsoft.Dynamics.CRM.AddPrivilegesRole"),
        json!({"Privileges": [{"PrivilegeId": lead, "Depth": "Local", "BusinessUnitId": ROOT_BU}]}),
    )
    .await
    .expect(204);
    let east = env
        .create(
            "businessunits",
            json!({"name": "East", "parentbusinessunitid@odata.bind": format!("/businessunits({SALES_BU})")}),
        )
        .await;
    let copies = roles_named(&env, "Lead Writer").await;
    assert_eq!(copies.len(), 3);
    let east_copy = copy_in(&copies, &east);
    assert_eq!(
        role_privileges(&env, &east_copy).await,
        vec![("prvCreateLead".to_owned(), "Local".to_owned())]
    );
    assert_eq!(copies.iter().filter(|(_, _, p)| *p == root).count(), 3);
    assert_eq!(roles_named(&env, "System Administrator").await.len(), 3);

    // Unique by name per unit.
    let duplicate = env
        .post("roles", json!({"name": "lead writer", "businessunitid@odata.bind": format!("/businessunits({ROOT_BU})")}))
        .await;
    duplicate.expect(412);
    assert_eq!(duplicate.code(), "0x80040237");
    assert!(
        duplicate.message().contains("already exists"),
        "{}",
        duplicate.text
    );

    // A rename of the root reaches the copies; a copy cannot be deleted on its own.
    env.patch(&format!("roles({root})"), json!({"name": "Lead Writer 2"}))
        .await
        .expect(204);
    assert_eq!(roles_named(&env, "Lead Writer 2").await.len(), 3);
    let refused = env.delete(&format!("roles({sales_copy})")).await;
    refused.expect(400);
    assert!(refused.message().contains(&root), "{}", refused.text);
    env.delete(&format!("roles({root})")).await.expect(204);
    assert!(roles_named(&env, "Lead Writer 2").await.is_empty());
    let orphans = env
        .get(&format!(
            "roleprivilegescollection?$filter={}",
            encode(&format!("_roleid_value eq {east_copy}"))
        ))
        .await;
    assert!(
        orphans.expect(200)["value"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

#[tokio::test]
async fn a_role_created_in_a_child_unit_stays_below_it() {
    let env = start().await;
    let id = env
        .create(
            "roles",
            json!({"name": "Sales Only", "businessunitid@odata.bind": format!("/businessunits({SALES_BU})")}),
        )
        .await;
    let roles = roles_named(&env, "Sales Only").await;
    assert_eq!(roles, vec![(id.clone(), SALES_BU.to_owned(), id)]);
}

#[tokio::test]
async fn privilege_messages_add_replace_remove_and_check_depths() {
    let env = start().await;
    let role = new_role(&env, "Writer").await;
    let create_lead = privilege_id(&env, "prvCreateLead").await;
    let read_job = privilege_id(&env, "prvReadAsyncOperation").await;
    let read_unit = privilege_id(&env, "prvReadBusinessUnit").await;
    let add = format!("roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole");
    env.post(&add, json!({"Privileges": [{"PrivilegeId": create_lead, "Depth": "Global", "BusinessUnitId": ROOT_BU}]}))
        .await
        .expect(204);
    // Adding again changes the depth; the number form is accepted.
    env.post(&add, json!({"Privileges": [{"PrivilegeId": create_lead, "Depth": "Local"}, {"PrivilegeId": create_lead, "Depth": 0}, {"PrivilegeId": read_job, "Depth": "Global"}]}))
        .await
        .expect(204);
    let held = role_privileges(&env, &role).await;
    assert!(held.contains(&("prvCreateLead".to_owned(), "Basic".to_owned())));
    assert!(held.contains(&("prvReadAsyncOperation".to_owned(), "Global".to_owned())));
    assert_eq!(held.len(), 2);
    let answer = env
        .get(&format!("RetrieveRolePrivilegesRole(RoleId={role})"))
        .await;
    let first = &answer.expect(200)["RolePrivileges"][0];
    assert_eq!(first["BusinessUnitId"], ROOT_BU);
    assert!(
        first["PrivilegeId"]
            .as_str()
            .is_some_and(|id| Uuid::parse_str(id).is_ok())
    );
    // The Sales copy follows.
    let sales = copy_in(&roles_named(&env, "Writer").await, SALES_BU);
    assert_eq!(role_privileges(&env, &sales).await.len(), 2);
    // The N:N navigation lists the privileges.
    let nav = env
        .get(&format!(
            "roles({role})/roleprivileges_association?$select=name"
        ))
        .await;
    assert_eq!(nav.expect(200)["value"].as_array().map(Vec::len), Some(2));

    // A depth the privilege cannot have.
    let wrong = env
        .post(
            &add,
            json!({"Privileges": [{"PrivilegeId": read_unit, "Depth": "Basic"}]}),
        )
        .await;
    wrong.expect(400);
    assert!(
        wrong.message().contains("prvReadBusinessUnit") && wrong.message().contains("Global"),
        "{}",
        wrong.text
    );
    let bad_depth = env
        .post(
            &add,
            json!({"Privileges": [{"PrivilegeId": read_job, "Depth": "Everywhere"}]}),
        )
        .await;
    bad_depth.expect(400);
    env.post(
        &add,
        json!({"Privileges": [{"PrivilegeId": Uuid::new_v4(), "Depth": "Global"}]}),
    )
    .await
    .expect(404);

    env.post(
        &format!("roles({role})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole"),
        json!({"Privileges": [{"PrivilegeId": read_unit, "Depth": "Global"}]}),
    )
    .await
    .expect(204);
    assert_eq!(
        role_privileges(&env, &role).await,
        vec![("prvReadBusinessUnit".to_owned(), "Global".to_owned())]
    );
    assert_eq!(role_privileges(&env, &sales).await.len(), 1);
    env.post(
        &format!("roles({role})/Microsoft.Dynamics.CRM.RemovePrivilegeRole"),
        json!({"PrivilegeId": read_unit}),
    )
    .await
    .expect(204);
    assert!(role_privileges(&env, &role).await.is_empty());
    assert!(role_privileges(&env, &sales).await.is_empty());
    env.get(&format!(
        "RetrieveRolePrivilegesRole(RoleId={})",
        Uuid::new_v4()
    ))
    .await
    .expect(404);
    // A parameter alias; a role that is not a GUID; no role.
    let aliased = env
        .get(&format!(
            "RetrieveRolePrivilegesRole(RoleId=@p1)?@p1={role}"
        ))
        .await;
    assert_eq!(
        aliased.expect(200)["RolePrivileges"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    env.get("RetrieveRolePrivilegesRole(RoleId='x')")
        .await
        .expect(400);
    env.get("RetrieveRolePrivilegesRole()").await.expect(400);
    env.get(&format!(
        "roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole"
    ))
    .await
    .expect(405);
}

#[tokio::test]
async fn application_users_are_created_once_per_application() {
    let env = start().await;
    let known = env.emu.defaults().client_id.to_string();
    let user = app_user(&env, &known, ROOT_BU).await;
    let row = env.get(&format!("systemusers({user})")).await;
    let row = row.expect(200);
    assert_eq!(row["fullname"], "# Emulator confidential app");
    assert_eq!(row["accessmode"], 4);
    assert_eq!(row["isdisabled"], false);
    assert_eq!(row["_businessunitid_value"], ROOT_BU);
    assert!(
        row["azureactivedirectoryobjectid"]
            .as_str()
            .is_some_and(|id| Uuid::parse_str(id).is_ok())
    );
    assert!(row["domainname"].as_str().is_some_and(|d| !d.is_empty()));

    let again = env
        .post("systemusers", json!({"applicationid": known, "accessmode": 4, "businessunitid@odata.bind": format!("/businessunits({ROOT_BU})")}))
        .await;
    again.expect(412);
    assert_eq!(again.code(), "0x80040237");
    assert_eq!(
        again.message(),
        "A record with matching key values already exists."
    );

    let found = env
        .get(&format!(
            "systemusers?$select=systemuserid&$filter=applicationid eq {known}"
        ))
        .await;
    assert_eq!(found.values().len(), 1);
    assert_eq!(found.values()[0]["systemuserid"], user.as_str());

    // An application the directory does not know; no business unit: the root unit.
    let unknown = Uuid::new_v4().to_string();
    let other = env
        .create("systemusers", json!({"applicationid": unknown}))
        .await;
    let row = env.get(&format!("systemusers({other})")).await;
    assert_eq!(row.expect(200)["_businessunitid_value"], ROOT_BU);
    assert_eq!(row.body["fullname"], format!("# {unknown}"));
    env.post("systemusers", json!({"applicationid": "not a guid"}))
        .await
        .expect(400);

    // Disable, then no roles can be given.
    env.patch(
        &format!("systemusers({other})"),
        json!({"isdisabled": true, "applicationid": unknown}),
    )
    .await
    .expect(204);
    let refused = env
        .post(
            &format!("systemusers({other})/systemuserroles_association/$ref"),
            json!({"@odata.id": format!("roles({SYSTEM_ADMINISTRATOR})")}),
        )
        .await;
    refused.expect(400);
    assert_eq!(refused.code(), "0x80040225");
    assert!(refused.message().contains("disabled"), "{}", refused.text);
}

#[tokio::test]
async fn moving_a_user_drops_its_roles_and_roles_must_match_the_unit() {
    let env = start().await;
    let user = app_user(&env, &Uuid::new_v4().to_string(), ROOT_BU).await;
    let basic = roles_named(&env, "Basic User").await;
    let (root_basic, sales_basic) = (copy_in(&basic, ROOT_BU), copy_in(&basic, SALES_BU));
    let assign = format!("systemusers({user})/systemuserroles_association/$ref");
    let wrong = env
        .post(
            &assign,
            json!({"@odata.id": format!("roles({sales_basic})")}),
        )
        .await;
    wrong.expect(400);
    assert_eq!(wrong.code(), "0x80040203");
    assert!(
        wrong.message().contains("Sales") && wrong.message().contains(ROOT_BU),
        "{}",
        wrong.text
    );
    env.post(
        &assign,
        json!({"@odata.id": format!("roles({root_basic})")}),
    )
    .await
    .expect(204);
    let privileges = env
        .get(&format!(
            "systemusers({user})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()"
        ))
        .await;
    assert!(
        privileges.expect(200)["RolePrivileges"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );

    env.post(
        &format!("systemusers({user})/Microsoft.Dynamics.CRM.SetBusinessSystemUser"),
        json!({
            "BusinessUnit": {"@odata.type": "Microsoft.Dynamics.CRM.businessunit", "businessunitid": SALES_BU},
            "ReassignPrincipal": {"@odata.type": "Microsoft.Dynamics.CRM.systemuser", "systemuserid": user},
            "DoNotMoveAllRecords": false
        }),
    )
    .await
    .expect(204);
    let row = env
        .get(&format!(
            "systemusers({user})?$select=_businessunitid_value"
        ))
        .await;
    assert_eq!(row.expect(200)["_businessunitid_value"], SALES_BU);
    let roles = env
        .get(&format!("systemusers({user})/systemuserroles_association"))
        .await;
    assert!(
        roles.values().is_empty(),
        "classic model: roles removed: {}",
        roles.text
    );
    env.post(
        &assign,
        json!({"@odata.id": format!("roles({sales_basic})")}),
    )
    .await
    .expect(204);
    // A PATCH of the business unit drops the roles of the former unit too.
    env.patch(
        &format!("systemusers({user})"),
        json!({"businessunitid@odata.bind": format!("/businessunits({ROOT_BU})")}),
    )
    .await
    .expect(204);
    let roles = env
        .get(&format!("systemusers({user})/systemuserroles_association"))
        .await;
    assert!(roles.values().is_empty(), "{}", roles.text);
    // Plain GUIDs are tolerated; an unknown unit is a 404; a missing one a 400.
    env.post(
        &format!("systemusers({user})/Microsoft.Dynamics.CRM.SetBusinessSystemUser"),
        json!({"BusinessUnit": ROOT_BU, "ReassignPrincipal": user}),
    )
    .await
    .expect(204);
    env.post(
        &format!("systemusers({user})/Microsoft.Dynamics.CRM.SetBusinessSystemUser"),
        json!({"BusinessUnit": Uuid::new_v4().to_string()}),
    )
    .await
    .expect(404);
    env.post(
        &format!("systemusers({user})/Microsoft.Dynamics.CRM.SetBusinessSystemUser"),
        json!({}),
    )
    .await
    .expect(400);
    env.post(
        &format!(
            "systemusers({})/Microsoft.Dynamics.CRM.SetBusinessSystemUser",
            Uuid::new_v4()
        ),
        json!({"BusinessUnit": ROOT_BU}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn teams_hold_roles_of_their_unit_and_give_them_to_members() {
    let env = start().await;
    let missing_group = env
        .post("teams", json!({"name": "Group", "teamtype": 2, "businessunitid@odata.bind": format!("/businessunits({SALES_BU})")}))
        .await;
    missing_group.expect(400);
    assert!(
        missing_group
            .message()
            .contains("azureactivedirectoryobjectid")
    );
    let group = Uuid::new_v4();
    let team = env
        .create(
            "teams",
            json!({"name": "Group", "teamtype": 2, "membershiptype": 1, "azureactivedirectoryobjectid": group, "businessunitid@odata.bind": format!("/businessunits({SALES_BU})")}),
        )
        .await;
    let row = env
        .get(&format!(
            "teams({team})?$select=teamtype,membershiptype,azureactivedirectoryobjectid"
        ))
        .await;
    assert_eq!(row.expect(200)["membershiptype"], 1);
    assert_eq!(row.body["azureactivedirectoryobjectid"], group.to_string());
    let owner_team = env
        .create("teams", json!({"name": "Owners", "teamtype": 0}))
        .await;
    let row = env
        .get(&format!(
            "teams({owner_team})?$select=_businessunitid_value"
        ))
        .await;
    assert_eq!(row.expect(200)["_businessunitid_value"], ROOT_BU);

    let role = new_role(&env, "Team Role").await;
    let read_job = privilege_id(&env, "prvReadAsyncOperation").await;
    env.post(
        &format!("roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole"),
        json!({"Privileges": [{"PrivilegeId": read_job, "Depth": "Deep"}]}),
    )
    .await
    .expect(204);
    let sales_copy = copy_in(&roles_named(&env, "Team Role").await, SALES_BU);
    let team_roles = format!("teams({team})/teamroles_association/$ref");
    let wrong = env
        .post(&team_roles, json!({"@odata.id": format!("roles({role})")}))
        .await;
    wrong.expect(400);
    assert!(wrong.message().contains("team"), "{}", wrong.text);
    env.post(
        &team_roles,
        json!({"@odata.id": format!("roles({sales_copy})")}),
    )
    .await
    .expect(204);

    let user = app_user(&env, &Uuid::new_v4().to_string(), SALES_BU).await;
    env.post(
        &format!("teams({team})/teammembership_association/$ref"),
        json!({"@odata.id": format!("systemusers({user})")}),
    )
    .await
    .expect(204);
    let privileges = env
        .get(&format!(
            "systemusers({user})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()"
        ))
        .await;
    let list = privileges.expect(200)["RolePrivileges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1, "{}", privileges.text);
    assert_eq!(list[0]["PrivilegeName"], "prvReadAsyncOperation");
    assert_eq!(list[0]["Depth"], "Deep");
    let team_privileges = env
        .get(&format!(
            "teams({team})/Microsoft.Dynamics.CRM.RetrieveTeamPrivileges()"
        ))
        .await;
    assert_eq!(
        team_privileges.expect(200)["RolePrivileges"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // A direct role at a higher depth wins.
    env.post(
        &format!("systemusers({user})/systemuserroles_association/$ref"),
        json!({"@odata.id": format!("roles({})", copy_in(&roles_named(&env, "System Administrator").await, SALES_BU))}),
    )
    .await
    .expect(204);
    let privileges = env
        .get(&format!(
            "systemusers({user})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()"
        ))
        .await;
    let list = privileges.expect(200)["RolePrivileges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let job = list
        .iter()
        .find(|p| p["PrivilegeName"] == "prvReadAsyncOperation")
        .expect("held");
    assert_eq!(job["Depth"], "Global");
}

#[tokio::test]
async fn role_privileges_change_only_through_the_role_messages() {
    let env = start().await;
    let role = new_role(&env, "Plain writes").await;
    let privilege = privilege_id(&env, "prvCreateLead").await;
    let body = json!({
        "roleid@odata.bind": format!("/roles({role})"),
        "privilegeid@odata.bind": format!("/privileges({privilege})"),
        "privilegedepthmask": 8,
    });
    let created = env.post("roleprivilegescollection", body).await;
    assert_eq!(created.status, 405, "{}", created.text);
    assert!(
        created.text.contains("AddPrivilegesRole"),
        "{}",
        created.text
    );
    let renamed = env
        .patch(
            &format!("privileges({privilege})"),
            json!({"name": "prvAnything"}),
        )
        .await;
    assert_eq!(renamed.status, 405, "{}", renamed.text);
    assert!(role_privileges(&env, &role).await.is_empty());
    let listed = env.get("roleprivilegescollection?$top=1").await;
    assert_eq!(listed.status, 200, "reading stays allowed: {}", listed.text);
}

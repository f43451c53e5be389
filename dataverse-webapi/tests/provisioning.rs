//! Provisioning against wiremock: the exact requests (paths, queries, bodies, headers) and
//! the behaviour around them: idempotent ensure (adopt, enable, 412 race, soft-deleted rows),
//! roles per business unit, idempotent assignment, privilege resolution and depths.

mod support;

use dataverse_webapi::DataverseError;
use dataverse_webapi::provisioning::{
    AccessRight, MembershipType, Principal, PrivilegeDepth, PrivilegeGrant, TeamType,
};
use serde_json::{Value, json};
use support::org;
use uuid::Uuid;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const API: &str = "/api/data/v9.2";
const APP: Uuid = Uuid::from_u128(0x5b4bd2d7_0e0e_4b5f_9a64_000000000abc);
const ROOT_BU: Uuid = Uuid::from_u128(0xb0000000_0000_4000_8000_000000000001);
const SALES_BU: Uuid = Uuid::from_u128(0xb0000000_0000_4000_8000_000000000002);
const USER: Uuid = Uuid::from_u128(0xa0000000_0000_4000_8000_000000000001);
const ROLE_ROOT: Uuid = Uuid::from_u128(0xc0000000_0000_4000_8000_000000000001);
const ROLE_SALES: Uuid = Uuid::from_u128(0xc0000000_0000_4000_8000_000000000002);
const PRV_READ: Uuid = Uuid::from_u128(0xd0000000_0000_4000_8000_000000000001);
const PRV_CREATE: Uuid = Uuid::from_u128(0xd0000000_0000_4000_8000_000000000002);

fn rows(value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "value": value }))
}

fn app_user(id: Uuid, disabled: bool, deleted: i64, unit: Uuid) -> Value {
    json!({
        "systemuserid": id, "applicationid": APP, "fullname": "Lead Writer App",
        "isdisabled": disabled, "deletedstate": deleted, "_businessunitid_value": unit,
        "systemuserroles_association": []
    })
}

fn role(id: Uuid, name: &str, unit: Uuid, root: Uuid) -> Value {
    json!({"roleid": id, "name": name, "_businessunitid_value": unit, "_parentrootroleid_value": root})
}

fn service_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"code": code, "message": message}}))
}

const APP_FILTER: &str = "applicationid eq 5b4bd2d7-0e0e-4b5f-9a64-000000000abc";

async fn mount_root_bu(server: &wiremock::MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/businessunits")))
        .and(query_param("$filter", "parentbusinessunitid eq null"))
        .respond_with(rows(
            json!([{"businessunitid": ROOT_BU, "name": "contoso", "_parentbusinessunitid_value": null}]),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn ensure_creates_the_app_user_in_the_root_business_unit() {
    let o = org().await;
    let new_id = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .and(query_param("$filter", APP_FILTER))
        .and(query_param(
            "$expand",
            "systemuserroles_association($select=roleid,name,_businessunitid_value,_parentrootroleid_value)",
        ))
        .respond_with(rows(json!([])))
        .expect(1)
        .mount(&o.server)
        .await;
    mount_root_bu(&o.server).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/systemusers")))
        .and(header("OData-Version", "4.0"))
        .and(header("Content-Type", "application/json; charset=utf-8"))
        .and(body_json(json!({
            "applicationid": APP,
            "accessmode": 4,
            "isdisabled": false,
            "businessunitid@odata.bind": format!("/businessunits({ROOT_BU})"),
        })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{}{API}/systemusers({new_id})", o.server.uri()),
        ))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers({new_id})")))
        .respond_with(ResponseTemplate::new(200).set_body_json(app_user(new_id, false, 0, ROOT_BU)))
        .expect(1)
        .mount(&o.server)
        .await;
    let ensured = o.client.app_users().ensure(APP).await.expect("created");
    assert!(ensured.created && !ensured.updated);
    assert_eq!(ensured.user.id, new_id);
    assert_eq!(ensured.user.business_unit_id, Some(ROOT_BU));
    assert!(!format!("{:?}", ensured.user).contains("Lead Writer App"));
}

#[tokio::test]
async fn ensure_adopts_a_disabled_user_enables_it_and_keeps_its_business_unit() {
    let o = org().await;
    let id = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .and(query_param("$filter", APP_FILTER))
        .respond_with(rows(json!([app_user(id, true, 0, SALES_BU)])))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/systemusers({id})")))
        .and(header("If-Match", "*"))
        .and(body_json(json!({"isdisabled": false})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers({id})")))
        .respond_with(ResponseTemplate::new(200).set_body_json(app_user(id, false, 0, SALES_BU)))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&o.server)
        .await;
    let ensured = o.client.app_users().ensure(APP).await.expect("adopted");
    assert!(!ensured.created && ensured.updated);
    assert!(!ensured.user.is_disabled);
    assert_eq!(ensured.user.business_unit_id, Some(SALES_BU));
}

#[tokio::test]
async fn ensure_moves_an_existing_user_only_when_asked() {
    let o = org().await;
    let id = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(rows(json!([app_user(id, false, 0, ROOT_BU)])))
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/systemusers({id})/Microsoft.Dynamics.CRM.SetBusinessSystemUser"
        )))
        .and(body_json(json!({
            "BusinessUnit": {"@odata.type": "Microsoft.Dynamics.CRM.businessunit", "businessunitid": SALES_BU},
            "ReassignPrincipal": {"@odata.type": "Microsoft.Dynamics.CRM.systemuser", "systemuserid": id},
            "DoNotMoveAllRecords": false
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers({id})")))
        .respond_with(ResponseTemplate::new(200).set_body_json(app_user(id, false, 0, SALES_BU)))
        .mount(&o.server)
        .await;
    let ensured = o
        .client
        .app_users()
        .ensure(APP)
        .business_unit(SALES_BU)
        .await
        .expect("moved");
    assert!(ensured.updated);
    assert_eq!(ensured.user.business_unit_id, Some(SALES_BU));
}

#[tokio::test]
async fn a_412_duplicate_from_a_racing_creator_is_adopted_not_surfaced() {
    let o = org().await;
    let theirs = Uuid::new_v4();
    // First read: nothing yet. After the 412: the other creator's row.
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(rows(json!([])))
        .up_to_n_times(1)
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(rows(json!([app_user(theirs, false, 0, ROOT_BU)])))
        .expect(1)
        .mount(&o.server)
        .await;
    mount_root_bu(&o.server).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(service_error(
            412,
            "0x80040237",
            "A record with matching key values already exists.",
        ))
        .expect(1)
        .mount(&o.server)
        .await;
    let ensured = o.client.app_users().ensure(APP).await.expect("adopted");
    assert!(!ensured.created && !ensured.updated);
    assert_eq!(ensured.user.id, theirs);
}

#[tokio::test]
async fn a_412_without_a_row_to_adopt_is_returned() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    mount_root_bu(&o.server).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(service_error(412, "0x80040237", "duplicate"))
        .mount(&o.server)
        .await;
    let err = o.client.app_users().ensure(APP).await.expect_err("nothing");
    assert!(err.is_precondition_failed(), "{err}");
    assert_eq!(err.code(), Some("0x80040237"));
}

#[tokio::test]
async fn soft_deleted_rows_are_purged_with_two_deletes_before_the_create() {
    let o = org().await;
    let gone = Uuid::new_v4();
    let new_id = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(rows(json!([app_user(gone, false, 1, ROOT_BU)])))
        .mount(&o.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{API}/systemusers({gone})")))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&o.server)
        .await;
    mount_root_bu(&o.server).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{}{API}/systemusers({new_id})", o.server.uri()),
        ))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers({new_id})")))
        .respond_with(ResponseTemplate::new(200).set_body_json(app_user(new_id, false, 0, ROOT_BU)))
        .mount(&o.server)
        .await;
    let ensured = o.client.app_users().ensure(APP).await.expect("created");
    assert!(ensured.created);
    assert_eq!(ensured.user.id, new_id);
}

#[tokio::test]
async fn disable_patches_a_live_user_and_names_a_missing_one() {
    let o = org().await;
    let id = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(rows(json!([app_user(id, false, 0, ROOT_BU)])))
        .up_to_n_times(1)
        .mount(&o.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/systemusers({id})")))
        .and(body_json(json!({"isdisabled": true})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    let user = o.client.app_users().disable(APP).await.expect("disabled");
    assert!(user.is_disabled);
    // Now the org has none (only a soft-deleted row).
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(rows(json!([app_user(id, true, 1, ROOT_BU)])))
        .mount(&o.server)
        .await;
    let err = o.client.app_users().disable(APP).await.expect_err("none");
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains(&APP.to_string()), "{err}");
}

#[tokio::test]
async fn a_role_missing_from_the_unit_names_the_units_where_it_exists() {
    let o = org().await;
    let other = Uuid::from_u128(0xb0000000_0000_4000_8000_000000000003);
    Mock::given(method("GET"))
        .and(path(format!("{API}/roles")))
        .and(query_param("$filter", "name eq 'O''Brien''s Writer'"))
        .and(query_param(
            "$select",
            "roleid,name,_businessunitid_value,_parentrootroleid_value",
        ))
        .respond_with(rows(json!([
            role(ROLE_ROOT, "O'Brien's Writer", ROOT_BU, ROLE_ROOT),
            role(ROLE_SALES, "O'Brien's Writer", SALES_BU, ROLE_ROOT),
        ])))
        .expect(2)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/businessunits")))
        .and(query_param(
            "$filter",
            format!("(businessunitid eq {ROOT_BU}) or (businessunitid eq {SALES_BU})"),
        ))
        .respond_with(rows(json!([
            {"businessunitid": ROOT_BU, "name": "contoso"},
            {"businessunitid": SALES_BU, "name": "Sales"},
        ])))
        .mount(&o.server)
        .await;
    let found = o
        .client
        .roles()
        .find("O'Brien's Writer")
        .in_business_unit(SALES_BU)
        .await
        .expect("found");
    assert_eq!(found.id, ROLE_SALES);
    assert_eq!(found.root_role_id(), ROLE_ROOT);
    let err = o
        .client
        .roles()
        .find("O'Brien's Writer")
        .in_business_unit(other)
        .await
        .expect_err("not in that unit");
    assert!(matches!(err, DataverseError::NotFound { .. }));
    let text = err.to_string();
    assert!(
        text.contains("'Sales'") && text.contains("'contoso'") && text.contains(&other.to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn a_role_that_exists_nowhere_says_so() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/roles")))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    let err = o
        .client
        .roles()
        .find("Nope")
        .in_business_unit(ROOT_BU)
        .await
        .expect_err("none");
    assert!(err.is_not_found());
    assert!(err.to_string().contains("'Nope'"), "{err}");
}

async fn mount_user_in_sales(server: &wiremock::MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers({USER})")))
        .and(query_param("$select", "_businessunitid_value"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"systemuserid": USER, "_businessunitid_value": SALES_BU})),
        )
        .mount(server)
        .await;
}

async fn mount_root_role(server: &wiremock::MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/roles({ROLE_ROOT})")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(role(ROLE_ROOT, "Writer", ROOT_BU, ROLE_ROOT)),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn assign_gives_a_user_the_copy_of_its_own_business_unit() {
    let o = org().await;
    mount_root_role(&o.server).await;
    mount_user_in_sales(&o.server).await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/roles")))
        .and(query_param(
            "$filter",
            format!(
                "(roleid eq {ROLE_ROOT} or _parentrootroleid_value eq {ROLE_ROOT}) and _businessunitid_value eq {SALES_BU}"
            ),
        ))
        .respond_with(rows(json!([role(ROLE_SALES, "Writer", SALES_BU, ROLE_ROOT)])))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association"
        )))
        .respond_with(rows(json!([])))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association/$ref"
        )))
        .and(body_json(json!({
            "@odata.id": format!("{}{API}/roles({ROLE_SALES})", o.server.uri())
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    let assigned = o
        .client
        .roles()
        .assign(ROLE_ROOT, Principal::User(USER))
        .await
        .expect("assigned");
    assert_eq!(assigned.id, ROLE_SALES);
}

#[tokio::test]
async fn assigning_a_held_role_sends_nothing_and_succeeds() {
    let o = org().await;
    let team = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!("{API}/roles({ROLE_ROOT})")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(role(ROLE_ROOT, "Writer", ROOT_BU, ROLE_ROOT)),
        )
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/teams({team})")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"teamid": team, "_businessunitid_value": ROOT_BU})),
        )
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/teams({team})/teamroles_association")))
        .respond_with(rows(json!([role(ROLE_ROOT, "Writer", ROOT_BU, ROLE_ROOT)])))
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&o.server)
        .await;
    let assigned = o
        .client
        .roles()
        .assign(ROLE_ROOT, Principal::Team(team))
        .await
        .expect("already held");
    assert_eq!(assigned.id, ROLE_ROOT);
}

#[tokio::test]
async fn a_role_without_a_copy_refused_by_a_classic_org_explains_the_model() {
    let o = org().await;
    mount_root_role(&o.server).await;
    mount_user_in_sales(&o.server).await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/roles")))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association"
        )))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association/$ref"
        )))
        .respond_with(service_error(
            400,
            "0x80040217",
            "The role is not in the user's business unit",
        ))
        .expect(1)
        .mount(&o.server)
        .await;
    let err = o
        .client
        .roles()
        .assign(ROLE_ROOT, Principal::User(USER))
        .await
        .expect_err("classic model");
    let text = err.to_string();
    assert!(err.is_not_found(), "{text}");
    assert!(
        text.contains("classic business unit model") && text.contains("'Writer'"),
        "{text}"
    );
    assert!(text.contains("not in the user's business unit"), "{text}");
}

#[tokio::test]
async fn remove_deletes_the_held_copy_and_is_a_no_op_when_absent() {
    let o = org().await;
    mount_root_role(&o.server).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association"
        )))
        .respond_with(rows(json!([role(
            ROLE_SALES, "Writer", SALES_BU, ROLE_ROOT
        )])))
        .up_to_n_times(1)
        .mount(&o.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association/$ref"
        )))
        .and(query_param(
            "$id",
            format!("{}{API}/roles({ROLE_SALES})", o.server.uri()),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    let removed = o
        .client
        .roles()
        .remove(ROLE_ROOT, Principal::User(USER))
        .await
        .expect("removed");
    assert!(removed);
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association"
        )))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    let removed = o
        .client
        .roles()
        .remove(ROLE_ROOT, Principal::User(USER))
        .await
        .expect("nothing to do");
    assert!(!removed);
}

#[tokio::test]
async fn role_privileges_are_read_with_both_depth_forms() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/RetrieveRolePrivilegesRole(RoleId=@p0)")))
        .and(query_param("@p0", ROLE_ROOT.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "…#Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRoleResponse",
            "RolePrivileges": [
                {"Depth": "Global", "PrivilegeId": PRV_READ, "BusinessUnitId": ROOT_BU, "PrivilegeName": "prvReadAsyncOperation"},
                {"Depth": 0, "PrivilegeId": PRV_CREATE, "BusinessUnitId": ROOT_BU},
                {"Depth": "RecordFilter", "PrivilegeId": Uuid::nil()}
            ]
        })))
        .expect(1)
        .mount(&o.server)
        .await;
    let privileges = o.client.roles().privileges(ROLE_ROOT).await.expect("read");
    assert_eq!(privileges.len(), 3);
    assert_eq!(privileges[0].depth, PrivilegeDepth::Organization);
    assert_eq!(privileges[0].name.as_deref(), Some("prvReadAsyncOperation"));
    assert_eq!(privileges[1].depth, PrivilegeDepth::User);
    assert_eq!(privileges[1].name, None);
    assert_eq!(
        privileges[2].depth,
        PrivilegeDepth::Unknown("RecordFilter".into())
    );
}

#[tokio::test]
async fn user_privileges_use_the_bound_function() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "RolePrivileges": [{"Depth": "Local", "PrivilegeId": PRV_READ}]
        })))
        .expect(1)
        .mount(&o.server)
        .await;
    let privileges = o.client.users().privileges(USER).await.expect("read");
    assert_eq!(privileges[0].depth, PrivilegeDepth::BusinessUnit);
}

async fn mount_privilege(server: &wiremock::MockServer, name: &str, id: Uuid, right: i64) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/privileges")))
        .and(query_param("$filter", format!("name eq '{name}'")))
        .and(query_param("$select", "privilegeid,name,accessright"))
        .respond_with(rows(json!([{
            "privilegeid": id,
            // The service compares names without regard to case and answers its own.
            "name": name.replace("userentityuisettings", "UserEntityUISettings"),
            "accessright": right
        }])))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn add_privileges_resolves_names_and_table_rights_then_sends_the_depths() {
    let o = org().await;
    mount_privilege(&o.server, "prvReadAsyncOperation", PRV_READ, 1).await;
    mount_privilege(&o.server, "prvCreateuserentityuisettings", PRV_CREATE, 32).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/roles({ROLE_ROOT})/Microsoft.Dynamics.CRM.AddPrivilegesRole"
        )))
        .and(body_json(json!({"Privileges": [
            {"PrivilegeId": PRV_READ, "Depth": "Global"},
            {"PrivilegeId": PRV_CREATE, "Depth": "Basic"}
        ]})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    let sent = o
        .client
        .roles()
        .add_privileges(
            ROLE_ROOT,
            [
                PrivilegeGrant::new("prvReadAsyncOperation", PrivilegeDepth::Organization),
                PrivilegeGrant::new(
                    ("userentityuisettings", AccessRight::Create),
                    PrivilegeDepth::User,
                ),
            ],
        )
        .await
        .expect("added");
    assert_eq!(
        sent[1].name.as_deref(),
        Some("prvCreateUserEntityUISettings")
    );
}

#[tokio::test]
async fn replace_privileges_uses_its_own_action() {
    let o = org().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/roles({ROLE_ROOT})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole"
        )))
        .and(body_json(json!({"Privileges": [
            {"PrivilegeId": PRV_READ, "Depth": "Deep"}
        ]})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    o.client
        .roles()
        .replace_privileges(
            ROLE_ROOT,
            [PrivilegeGrant::new(PRV_READ, PrivilegeDepth::ParentChild)],
        )
        .await
        .expect("replaced");
}

#[tokio::test]
async fn an_unknown_privilege_is_named_and_nothing_is_sent() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/privileges")))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&o.server)
        .await;
    let err = o
        .client
        .roles()
        .add_privileges(
            ROLE_ROOT,
            [PrivilegeGrant::new("prvFlyLead", PrivilegeDepth::User)],
        )
        .await
        .expect_err("unknown");
    assert!(err.is_not_found());
    assert!(err.to_string().contains("'prvFlyLead'"), "{err}");
    let err = o
        .client
        .roles()
        .add_privileges(
            ROLE_ROOT,
            [PrivilegeGrant::new(
                ("lead') or (name ne '", AccessRight::Read),
                PrivilegeDepth::User,
            )],
        )
        .await
        .expect_err("not a table name");
    assert!(matches!(err, DataverseError::InvalidInput { .. }), "{err}");
}

#[tokio::test]
async fn remove_privilege_is_idempotent() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/RetrieveRolePrivilegesRole(RoleId=@p0)"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "RolePrivileges": [{"Depth": "Global", "PrivilegeId": PRV_READ}]
        })))
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/roles({ROLE_ROOT})/Microsoft.Dynamics.CRM.RemovePrivilegeRole"
        )))
        .and(body_json(json!({"PrivilegeId": PRV_READ})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    let roles = o.client.roles();
    assert!(
        roles
            .remove_privilege(ROLE_ROOT, PRV_READ)
            .await
            .expect("removed")
    );
    assert!(
        !roles
            .remove_privilege(ROLE_ROOT, PRV_CREATE)
            .await
            .expect("not held")
    );
}

#[tokio::test]
async fn an_entra_group_team_is_created_with_its_type_and_membership() {
    let o = org().await;
    let group = Uuid::new_v4();
    let team = Uuid::new_v4();
    Mock::given(method("POST"))
        .and(path(format!("{API}/teams")))
        .and(body_json(json!({
            "name": "Lead writers",
            "teamtype": 2,
            "businessunitid@odata.bind": format!("/businessunits({SALES_BU})"),
            "azureactivedirectoryobjectid": group,
            "membershiptype": 1
        })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{}{API}/teams({team})", o.server.uri()),
        ))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/teams({team})")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "teamid": team, "name": "Lead writers", "teamtype": 2, "membershiptype": 1,
            "azureactivedirectoryobjectid": group, "_businessunitid_value": SALES_BU
        })))
        .mount(&o.server)
        .await;
    let created = o
        .client
        .teams()
        .create("Lead writers")
        .business_unit(SALES_BU)
        .entra_security_group(group)
        .membership(MembershipType::Members)
        .await
        .expect("created");
    assert_eq!(created.team_type, Some(TeamType::EntraSecurityGroup));
    assert_eq!(created.membership_type, Some(MembershipType::Members));
    assert_eq!(created.entra_group_id, Some(group));
}

#[tokio::test]
async fn add_members_skips_members_already_there() {
    let o = org().await;
    let team = Uuid::new_v4();
    let newcomer = Uuid::new_v4();
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/teams({team})/teammembership_association"
        )))
        .and(query_param("$select", "systemuserid"))
        .respond_with(rows(json!([{"systemuserid": USER}])))
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/teams({team})/teammembership_association/$ref"
        )))
        .and(body_json(json!({
            "@odata.id": format!("{}{API}/systemusers({newcomer})", o.server.uri())
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    let added = o
        .client
        .teams()
        .add_members(team, [USER, newcomer])
        .await
        .expect("added");
    assert_eq!(added, 1);
}

#[tokio::test]
async fn creating_a_business_unit_defaults_to_the_root_as_parent() {
    let o = org().await;
    let unit = Uuid::new_v4();
    mount_root_bu(&o.server).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/businessunits")))
        .and(body_json(json!({
            "name": "Sales",
            "parentbusinessunitid@odata.bind": format!("/businessunits({ROOT_BU})")
        })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{}{API}/businessunits({unit})", o.server.uri()),
        ))
        .expect(1)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/businessunits({unit})")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "businessunitid": unit, "name": "Sales", "_parentbusinessunitid_value": ROOT_BU
        })))
        .mount(&o.server)
        .await;
    let created = o
        .client
        .business_units()
        .create("Sales")
        .await
        .expect("created");
    assert_eq!(created.parent_id, Some(ROOT_BU));
}

#[tokio::test]
async fn no_root_business_unit_is_a_clear_error() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/businessunits")))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    let err = o.client.business_units().root().await.expect_err("none");
    assert!(err.is_not_found());
    assert!(err.to_string().contains("root business unit"), "{err}");
}

#[tokio::test]
async fn as_given_assigns_the_other_units_copy_without_looking_for_one() {
    let o = org().await;
    mount_root_role(&o.server).await;
    mount_user_in_sales(&o.server).await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/roles")))
        .respond_with(rows(json!([])))
        .expect(0)
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association"
        )))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association/$ref"
        )))
        .and(body_json(json!({
            "@odata.id": format!("{}{API}/roles({ROLE_ROOT})", o.server.uri())
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&o.server)
        .await;
    let assigned = o
        .client
        .roles()
        .assign(ROLE_ROOT, Principal::User(USER))
        .as_given()
        .await
        .expect("assigned across units");
    assert_eq!(assigned.id, ROLE_ROOT);
}

#[tokio::test]
async fn a_duplicate_association_answer_is_success() {
    let o = org().await;
    mount_root_role(&o.server).await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers({USER})")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"systemuserid": USER, "_businessunitid_value": ROOT_BU})),
        )
        .mount(&o.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association"
        )))
        .respond_with(rows(json!([])))
        .mount(&o.server)
        .await;
    // Another caller assigned it between our read and our write.
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association/$ref"
        )))
        .respond_with(service_error(
            400,
            "0x80040237",
            "Cannot insert duplicate key.",
        ))
        .expect(1)
        .mount(&o.server)
        .await;
    let assigned = o
        .client
        .roles()
        .assign(ROLE_ROOT, Principal::User(USER))
        .await
        .expect("already there");
    assert_eq!(assigned.id, ROLE_ROOT);
}

#[tokio::test]
async fn a_foreign_next_link_in_a_principals_roles_is_refused() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/systemusers({USER})/systemuserroles_association"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [role(ROLE_ROOT, "Writer", ROOT_BU, ROLE_ROOT)],
            "@odata.nextLink": "https://evil.example.com/api/data/v9.2/roles?$skiptoken=1"
        })))
        .expect(1)
        .mount(&o.server)
        .await;
    let err = o.client.roles().of_user(USER).await.expect_err("foreign");
    assert!(matches!(err, DataverseError::ForeignLink { .. }), "{err}");
}

#[tokio::test]
async fn a_non_json_error_on_ensure_keeps_the_status_and_text() {
    let o = org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/systemusers")))
        .respond_with(ResponseTemplate::new(403).set_body_string("Forbidden by proxy"))
        .mount(&o.server)
        .await;
    let err = o.client.app_users().ensure(APP).await.expect_err("refused");
    assert_eq!(err.status(), Some(403));
    assert!(!err.is_not_found());
}

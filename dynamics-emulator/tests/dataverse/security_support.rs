//! Helpers of the security tests: application users created through the Web API (the callers
//! the security model applies to by default), roles with chosen privileges and depths seeded
//! straight into `privileges` / `roles` / `roleprivilegescollection` (so the tests do not
//! depend on the emulator's privilege catalogue), and requests as one of those users.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Answer, Env, app_token};

/// Depth masks of `roleprivileges.privilegedepthmask`.
pub(crate) const BASIC: i64 = 1;
pub(crate) const LOCAL: i64 = 2;
pub(crate) const DEEP: i64 = 4;
pub(crate) const GLOBAL: i64 = 8;

/// Dataverse's code of a missing privilege.
pub(crate) const PRIVILEGE_DENIED: &str = "0x80040220";
/// Dataverse's code of a failed record-level access check.
pub(crate) const ACCESS_DENIED: &str = "0x80048306";
/// The code the emulator gives "no roles are assigned to user".
pub(crate) const NO_ROLES: &str = "0x80042f09";

/// The root business unit and its child "Sales".
pub(crate) struct Units {
    pub(crate) root: String,
    pub(crate) sales: String,
}

/// Reads the two business units of the starting organisation (as the admin).
pub(crate) async fn units(env: &Env) -> Units {
    let id = |answer: &Answer| {
        answer.values()[0]["businessunitid"]
            .as_str()
            .expect("businessunitid")
            .to_owned()
    };
    let root = env
        .get("businessunits?$select=businessunitid&$filter=parentbusinessunitid eq null")
        .await;
    let sales = env
        .get("businessunits?$select=businessunitid&$filter=name eq 'Sales'")
        .await;
    Units {
        root: id(&root),
        sales: id(&sales),
    }
}

/// Creates an application user through the Web API (as the admin) in `unit`; returns its
/// `systemuserid`.
pub(crate) async fn create_app_user(env: &Env, application_id: &str, unit: &str) -> String {
    env.create(
        "systemusers",
        json!({
            "applicationid": application_id,
            "accessmode": 4,
            "isdisabled": false,
            "businessunitid@odata.bind": format!("/businessunits({unit})"),
        }),
    )
    .await
}

/// The application user of the default confidential app, created through the Web API before
/// the app's first call, and an app-only token of that app.
pub(crate) async fn default_app_user(env: &Env, unit: &str) -> (String, String) {
    let client_id = env.emu.defaults().client_id.to_string();
    let user = create_app_user(env, &client_id, unit).await;
    (user, app_token(&env.emu, &env.http).await)
}

/// The `privilegeid` of a privilege, inserting the catalogue row when missing.
fn privilege(env: &Env, name: &str) -> String {
    let existing = env
        .emu
        .seed()
        .rows("privileges")
        .into_iter()
        .find(|row| row["name"] == name);
    if let Some(row) = existing {
        return row["privilegeid"].as_str().expect("privilegeid").to_owned();
    }
    env.emu
        .seed()
        .insert_rows("privileges", vec![json!({ "name": name })])
        .expect("privilege inserted")[0]
        .to_string()
}

/// Creates a role in `unit` with privileges at depths (`("prvCreateLead", BASIC)`); returns
/// its `roleid`.
pub(crate) fn seed_role(env: &Env, name: &str, unit: &str, privileges: &[(&str, i64)]) -> String {
    let role = env
        .emu
        .seed()
        .insert_rows(
            "roles",
            vec![json!({ "name": name, "_businessunitid_value": unit })],
        )
        .expect("role inserted")[0]
        .to_string();
    let rows: Vec<Value> = privileges
        .iter()
        .map(|(privilege_name, depth)| {
            json!({
                "_roleid_value": role,
                "_privilegeid_value": privilege(env, privilege_name),
                "privilegedepthmask": depth,
            })
        })
        .collect();
    if !rows.is_empty() {
        env.emu
            .seed()
            .insert_rows("roleprivilegescollection", rows)
            .expect("role privileges inserted");
    }
    role
}

/// Gives `user` the role (as the admin).
pub(crate) async fn assign_role(env: &Env, user: &str, role: &str) {
    env.post(
        &format!("systemusers({user})/systemuserroles_association/$ref"),
        json!({ "@odata.id": format!("{}roles({role})", env.emu.web_api_url()) }),
    )
    .await
    .expect(204);
}

/// Sends a request as `user` (the admin's token with `MSCRMCallerID`: the operation runs as
/// that user).
pub(crate) async fn send_as_user(
    env: &Env,
    user: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    env.send(method, path, &[("MSCRMCallerID", user)], body)
        .await
}

/// Inserts an account owned by `owner` (a `systemuserid`); returns its ID.
pub(crate) fn seed_account(env: &Env, name: &str, owner: &str) -> String {
    env.emu
        .seed()
        .insert_rows(
            "accounts",
            vec![json!({ "name": name, "ownerid@odata.bind": format!("/systemusers({owner})") })],
        )
        .expect("account inserted")[0]
        .to_string()
}

/// The `name`s of a collection answer, sorted.
pub(crate) fn names(answer: &Answer) -> Vec<String> {
    let mut names: Vec<String> = answer
        .values()
        .iter()
        .filter_map(|row| row["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

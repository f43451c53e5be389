//! Role assignment under the security model (Read and Assign on the role, no role holding
//! more than the assigner) and the enforcement switch.

use dynamics_emulator::SecurityEnforcement;
use reqwest::Method;
use serde_json::json;

use crate::security_support::{
    BASIC, GLOBAL, LOCAL, NO_ROLES, PRIVILEGE_DENIED, assign_role, create_app_user, seed_role,
    send_as_user, units,
};
use crate::support::{app_token, start};

#[tokio::test]
async fn an_assigner_cannot_hand_out_more_than_it_holds() {
    let env = start().await;
    let units = units(&env).await;
    let assigner = create_app_user(&env, "44444444-0000-4000-8000-000000000001", &units.root).await;
    let target = create_app_user(&env, "44444444-0000-4000-8000-000000000002", &units.root).await;
    let own = seed_role(
        &env,
        "Provisioner",
        &units.root,
        &[
            ("prvReadRole", GLOBAL),
            ("prvAssignRole", GLOBAL),
            ("prvReadLead", LOCAL),
        ],
    );
    assign_role(&env, &assigner, &own).await;
    let bigger = seed_role(&env, "Bigger", &units.root, &[("prvReadLead", GLOBAL)]);
    let smaller = seed_role(&env, "Smaller", &units.root, &[("prvReadLead", BASIC)]);
    let role_url = |role: &str| format!("{}roles({role})", env.emu.web_api_url());
    let user_url = format!("{}systemusers({target})", env.emu.web_api_url());

    let escalate = send_as_user(
        &env,
        &assigner,
        Method::POST,
        &format!("systemusers({target})/systemuserroles_association/$ref"),
        Some(json!({"@odata.id": role_url(&bigger)})),
    )
    .await;
    assert_eq!(escalate.status, 403, "{}", escalate.text);
    assert_eq!(escalate.code(), PRIVILEGE_DENIED);
    assert!(
        escalate
            .message()
            .contains("cannot assign security role 'Bigger'")
            && escalate.message().contains("prvReadLead")
            && escalate.message().contains("Global (Organization)")
            && escalate.message().contains("Local (Business Unit)"),
        "{}",
        escalate.message()
    );
    let from_the_role_side = send_as_user(
        &env,
        &assigner,
        Method::POST,
        &format!("roles({bigger})/systemuserroles_association/$ref"),
        Some(json!({"@odata.id": user_url})),
    )
    .await;
    assert_eq!(
        from_the_role_side.status, 403,
        "{}",
        from_the_role_side.text
    );

    send_as_user(
        &env,
        &assigner,
        Method::POST,
        &format!("systemusers({target})/systemuserroles_association/$ref"),
        Some(json!({"@odata.id": role_url(&smaller)})),
    )
    .await
    .expect(204);
    let roles = env
        .get(&format!(
            "systemusers({target})/systemuserroles_association?$select=name"
        ))
        .await;
    let names: Vec<&str> = roles
        .values()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["Smaller"], "only the allowed role was given");

    // Without prvAssignRole nothing can be assigned.
    let reader = seed_role(&env, "Role reader", &units.root, &[("prvReadRole", GLOBAL)]);
    let weak = create_app_user(&env, "44444444-0000-4000-8000-000000000003", &units.root).await;
    assign_role(&env, &weak, &reader).await;
    let refused = send_as_user(
        &env,
        &weak,
        Method::POST,
        &format!("systemusers({target})/systemuserroles_association/$ref"),
        Some(json!({"@odata.id": role_url(&smaller)})),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .message()
            .contains("is missing prvAssignRole privilege"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn the_switch_decides_who_is_checked() {
    let env = start().await;
    let units = units(&env).await;
    // An application user created through the API, without roles: checked by default.
    let api_user = create_app_user(&env, "55555555-0000-4000-8000-000000000001", &units.root).await;
    // An interactive user created through the API: not checked by default.
    let interactive = env
        .create(
            "systemusers",
            json!({
                "domainname": "frank@contoso.onmicrosoft.com",
                "fullname": "Frank",
                "businessunitid@odata.bind": format!("/businessunits({})", units.root),
            }),
        )
        .await;
    let read = |user: String| {
        let env = &env;
        async move { send_as_user(env, &user, Method::GET, "accounts?$select=name", None).await }
    };
    assert_eq!(read(api_user.clone()).await.code(), NO_ROLES);
    read(interactive.clone()).await.expect(200);
    // The application user the emulator creates for a new app-only caller is not checked.
    let auto = app_token(&env.emu, &env.http).await;
    env.send_as(&auto, Method::GET, "accounts?$select=name", &[], None)
        .await
        .expect(200);
    // The seeded admin is not checked either.
    env.get("accounts?$select=name").await.expect(200);

    env.emu
        .seed()
        .set_security_enforcement(SecurityEnforcement::Off);
    assert_eq!(
        env.emu.seed().dataverse_config().security,
        SecurityEnforcement::Off
    );
    read(api_user.clone()).await.expect(200);

    env.emu
        .seed()
        .set_security_enforcement(SecurityEnforcement::AllPrincipals);
    assert_eq!(read(interactive.clone()).await.code(), NO_ROLES);
    assert_eq!(read(api_user.clone()).await.code(), NO_ROLES);
    env.get("accounts?$select=name").await.expect(200);
    env.send_as(&auto, Method::GET, "accounts?$select=name", &[], None)
        .await
        .expect(200);
}

#[tokio::test]
async fn binding_a_lookup_needs_append_and_append_to() {
    let env = start().await;
    let units = units(&env).await;
    let user = create_app_user(&env, "88888888-0000-4000-8000-000000000001", &units.root).await;
    let role = seed_role(
        &env,
        "Contact creator",
        &units.root,
        &[("prvCreateContact", GLOBAL), ("prvReadAccount", GLOBAL)],
    );
    assign_role(&env, &user, &role).await;
    let account = env.create("accounts", json!({"name": "Parent"})).await;
    let body = json!({
        "lastname": "Bound",
        "parentcustomerid_account@odata.bind": format!("/accounts({account})"),
    });
    let refused = send_as_user(&env, &user, Method::POST, "contacts", Some(body.clone())).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused
            .message()
            .contains("is missing prvAppendContact privilege"),
        "{}",
        refused.message()
    );
    let append = seed_role(&env, "Append", &units.root, &[("prvAppendContact", BASIC)]);
    assign_role(&env, &user, &append).await;
    let still = send_as_user(&env, &user, Method::POST, "contacts", Some(body.clone())).await;
    assert!(
        still
            .message()
            .contains("is missing prvAppendToAccount privilege"),
        "{}",
        still.message()
    );
    let append_to = seed_role(
        &env,
        "Append to",
        &units.root,
        &[("prvAppendToAccount", LOCAL)],
    );
    assign_role(&env, &user, &append_to).await;
    send_as_user(&env, &user, Method::POST, "contacts", Some(body))
        .await
        .expect(204);
    // Without a lookup, Create alone is enough.
    send_as_user(
        &env,
        &user,
        Method::POST,
        "contacts",
        Some(json!({"lastname": "Plain"})),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn a_checked_caller_needs_the_privilege_to_impersonate() {
    let env = start().await;
    let units = units(&env).await;
    let (user, token) = crate::security_support::default_app_user(&env, &units.root).await;
    let reader = seed_role(&env, "Reader", &units.root, &[("prvReadAccount", GLOBAL)]);
    assign_role(&env, &user, &reader).await;
    let admin = env.get("WhoAmI").await.expect(200)["UserId"]
        .as_str()
        .expect("id")
        .to_owned();
    let as_admin = env
        .send_as(
            &token,
            Method::DELETE,
            "accounts(00000000-0000-0000-0000-000000000001)",
            &[("MSCRMCallerID", admin.as_str())],
            None,
        )
        .await;
    assert_eq!(as_admin.status, 403, "{}", as_admin.text);
    assert_eq!(as_admin.code(), PRIVILEGE_DENIED);
    assert!(
        as_admin
            .message()
            .contains("is missing prvActOnBehalfOfAnotherUser privilege"),
        "{}",
        as_admin.message()
    );
    let delegate = seed_role(
        &env,
        "Delegate",
        &units.root,
        &[("prvActOnBehalfOfAnotherUser", GLOBAL)],
    );
    assign_role(&env, &user, &delegate).await;
    let who = env
        .send_as(
            &token,
            Method::GET,
            "WhoAmI",
            &[("MSCRMCallerID", admin.as_str())],
            None,
        )
        .await;
    assert_eq!(who.expect(200)["UserId"], admin.as_str());
}

//! Groups: find by name, members paging, memberOf, membership changes.

use dynamics_emulator::GroupSeed;
use serde_json::Value;
use uuid::Uuid;

use crate::support::start;

#[tokio::test]
async fn group_members_page_with_top_and_carry_the_user_type() {
    let env = start(250).await;
    let tenant = env.tenant();
    let (users, _, _) = env.all_pages("users?$top=999&$select=id").await;
    let members: Vec<Uuid> = users
        .iter()
        .map(|u| u["id"].as_str().unwrap().parse().unwrap())
        .take(250)
        .collect();
    let group_id = Uuid::new_v4();
    env.emu
        .seed()
        .add_group(
            tenant,
            GroupSeed {
                members: members.clone(),
                ..GroupSeed::new(group_id, "Sales Team")
            },
        )
        .unwrap();
    let (listed, _, pages) = env
        .all_pages(&format!(
            "groups/{group_id}/members?$top=100&$select=id,department"
        ))
        .await;
    assert_eq!(pages, 3);
    assert_eq!(listed.len(), 250);
    assert_eq!(listed[0]["@odata.type"], "#microsoft.graph.user");
    assert!(listed[0].get("department").is_some());
    assert!(listed[0].get("displayName").is_none());

    // Default page size is 100.
    let first = env.get(&format!("groups/{group_id}/members")).await;
    assert_eq!(first.values().len(), 100);
    assert!(first.next_link().is_some());

    env.get(&format!("groups/{}/members", Uuid::new_v4()))
        .await
        .assert_error(404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn groups_are_found_by_display_name_and_membership_changes_show() {
    let env = start(4).await;
    let tenant = env.tenant();
    let seeder = env.emu.seed();
    let alice = env.emu.defaults().user.object_id;
    let dave = env.emu.defaults().non_admin_user.object_id;
    let (sales, support) = (Uuid::new_v4(), Uuid::new_v4());
    seeder
        .add_group(
            tenant,
            GroupSeed {
                members: vec![alice],
                ..GroupSeed::new(sales, "Sales")
            },
        )
        .unwrap();
    seeder
        .add_group(tenant, GroupSeed::new(support, "Support Engineers"))
        .unwrap();

    let found = env.get("groups?$filter=displayName eq 'sales'").await;
    assert_eq!(found.values().len(), 1);
    assert_eq!(found.values()[0]["id"], sales.to_string());
    assert_eq!(found.values()[0]["displayName"], "Sales");
    let prefix = env
        .get("groups?$filter=startsWith(displayName,'Sup')&$select=displayName")
        .await;
    assert_eq!(prefix.values().len(), 1);
    assert_eq!(prefix.values()[0].as_object().unwrap().len(), 2);

    seeder.set_group_members(tenant, sales, [dave]).unwrap();
    let ids = |answer: &crate::support::Answer| -> Vec<Value> {
        answer.values().iter().map(|m| m["id"].clone()).collect()
    };
    let members = env.get(&format!("groups/{sales}/members")).await;
    assert_eq!(ids(&members), [Value::String(dave.to_string())]);
    let member_of = env.get(&format!("users/{dave}/memberOf")).await;
    assert_eq!(member_of.values()[0]["displayName"], "Sales");
    assert_eq!(
        member_of.values()[0]["@odata.type"],
        "#microsoft.graph.group"
    );

    // A deleted user leaves its groups.
    seeder.delete_user(tenant, dave).unwrap();
    let members = env.get(&format!("groups/{sales}/members")).await;
    assert!(members.values().is_empty());

    // Unknown members are refused.
    assert!(
        seeder
            .set_group_members(tenant, sales, [Uuid::new_v4()])
            .is_err()
    );
    assert!(
        seeder
            .add_group(tenant, GroupSeed::new(Uuid::nil(), "x"))
            .is_err()
    );
}

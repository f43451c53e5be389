//! Environment users become `systemuser` rows whenever the list changes, however many requests
//! came before (the service only rebuilds its view of the list when it moved), and lookups by
//! the Entra object id (an alternate key, answered from its index) find exactly the rows a
//! full read would.

use uuid::Uuid;

use crate::support::start;

fn by_object_id(ids: &[Uuid]) -> String {
    let filter = ids
        .iter()
        .map(|id| format!("azureactivedirectoryobjectid eq {id}"))
        .collect::<Vec<_>>()
        .join(" or ");
    format!("systemusers?$select=systemuserid,azureactivedirectoryobjectid&$filter={filter}")
}

#[tokio::test]
async fn a_user_added_after_earlier_requests_gets_a_row_and_a_reset_makes_it_again() {
    let env = start().await;
    let d = env.emu.defaults().clone();
    let oid = d.non_admin_user.object_id;
    assert!(env.get(&by_object_id(&[oid])).await.values().is_empty());
    // Several requests with the list unchanged, then a change.
    env.get("WhoAmI").await.expect(200);
    env.emu
        .seed()
        .add_environment_user(d.instance_id, oid)
        .expect("added");
    let found = env.get(&by_object_id(&[oid])).await;
    assert_eq!(found.values().len(), 1, "{}", found.text);
    assert_eq!(
        found.values()[0]["azureactivedirectoryobjectid"],
        oid.to_string()
    );
    env.emu.seed().reset_dataverse().expect("reset");
    let again = env.get(&by_object_id(&[oid])).await;
    assert_eq!(again.values().len(), 1, "{}", again.text);
}

#[tokio::test]
async fn an_or_of_object_ids_and_an_and_with_another_condition_match_what_they_name() {
    let env = start().await;
    let d = env.emu.defaults().clone();
    let present = d.user.object_id;
    let absent = Uuid::from_u128(0xdead);
    let both = env.get(&by_object_id(&[absent, present, present])).await;
    assert_eq!(both.values().len(), 1, "{}", both.text);
    let narrowed = env
        .get(&format!(
            "{} and isdisabled eq true",
            by_object_id(&[present])
        ))
        .await;
    assert!(narrowed.values().is_empty(), "{}", narrowed.text);
}

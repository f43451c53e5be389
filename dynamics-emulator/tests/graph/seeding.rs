//! Seeding for Graph: JSON seed files with profiles, generated users and groups; updates.

use dynamics_emulator::{Emulator, EmulatorConfig, SeedFile, UserSeed};
use uuid::Uuid;

#[tokio::test]
async fn a_json_seed_with_profiles_generated_users_and_groups_is_served() {
    let tenant = Uuid::new_v4();
    let user = Uuid::new_v4();
    let group = Uuid::new_v4();
    let json = format!(
        r#"{{"tenants":[{{"id":"{tenant}","domain":"fabrikam.onmicrosoft.com",
            "users":[{{"object_id":"{user}","user_principal_name":"jo@fabrikam.onmicrosoft.com",
                       "password":"Jo-Passw0rd!","department":"Finance","city":"Oslo",
                       "country":"Norway","usage_location":"NO","job_title":"Controller",
                       "account_enabled":false,"licences":["{tenant}"]}}],
            "generated_users":{{"count":20,"departments":["Sales"]}},
            "groups":[{{"id":"{group}","display_name":"Finance","members":["{user}"]}}]}}]}}"#
    );
    let seed = SeedFile::from_json(&json).expect("seed parses");
    let emu = Emulator::start_with(EmulatorConfig {
        seed: Some(seed),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let seeder = emu.seed();
    let jo = seeder.user(tenant, user).expect("user");
    assert_eq!(jo.department.as_deref(), Some("Finance"));
    assert!(!jo.account_enabled);
    assert_eq!(jo.licences, [tenant]);
    let generated = dynamics_emulator::GeneratedUsers::object_id(tenant, "user", 20);
    let twentieth = seeder.user(tenant, generated).expect("generated user");
    assert_eq!(
        twentieth.user_principal_name,
        "user00020@fabrikam.onmicrosoft.com"
    );
    assert!(twentieth.account_enabled, "enabled by default");
}

#[test]
fn user_seed_json_without_the_new_fields_keeps_its_defaults() {
    let seed: UserSeed = serde_json::from_str(
        r#"{"object_id":"c0a7e5a0-0000-4000-8000-0000000000aa","user_principal_name":"a@b.c","password":"p"}"#,
    )
    .unwrap();
    assert!(seed.account_enabled);
    assert!(seed.licensed);
    assert!(seed.department.is_none());
    assert!(seed.licences.is_empty());
}

#[tokio::test]
async fn update_user_refuses_to_change_the_object_id_and_unknown_users() {
    let emu = Emulator::start().await.unwrap();
    let tenant = emu.defaults().tenant_id;
    let alice = emu.defaults().user.object_id;
    let seeder = emu.seed();
    assert!(
        seeder
            .update_user(tenant, alice, |u| u.object_id = Uuid::new_v4())
            .is_err()
    );
    assert!(
        seeder
            .update_user(tenant, Uuid::new_v4(), |u| u.city = None)
            .is_err()
    );
    assert!(seeder.delete_user(tenant, Uuid::new_v4()).is_err());
    assert!(seeder.purge_user(tenant, Uuid::new_v4()).is_err());
    // A deleted user can no longer sign in or be found.
    seeder.delete_user(tenant, alice).unwrap();
    assert!(seeder.user(tenant, alice).is_none());
    seeder.purge_user(tenant, alice).unwrap();
}

#[tokio::test]
async fn fifty_thousand_generated_users_seed_quickly() {
    let emu = Emulator::start().await.unwrap();
    let tenant = emu.defaults().tenant_id;
    let ids = emu
        .seed()
        .add_generated_users(tenant, &dynamics_emulator::GeneratedUsers::new(50_000))
        .unwrap();
    assert_eq!(ids.len(), 50_000);
    assert!(emu.seed().user(tenant, ids[49_999]).is_some());
}

#[tokio::test]
async fn the_example_seed_file_carries_profiles_generated_users_and_a_group() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seed.example.json");
    let seed = SeedFile::from_path(path).expect("example seed parses");
    let tenant = seed.tenants[0].id;
    let emu = Emulator::start_with(EmulatorConfig {
        seed: Some(seed.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let dana: Uuid = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f".parse().unwrap();
    let profile = emu.seed().user(tenant, dana).expect("dana");
    assert_eq!(profile.usage_location.as_deref(), Some("NO"));
    assert_eq!(seed.tenants[0].groups.len(), 1);
    let generated = dynamics_emulator::GeneratedUsers::object_id(tenant, "user", 1);
    assert_eq!(
        emu.seed().user(tenant, generated).and_then(|u| u.city),
        Some("Oslo".to_owned())
    );
}

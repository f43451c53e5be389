//! Seed files, run-time seeding and configuration.

use dynamics_emulator::{
    AppSeed, EmulatorConfig, MfaState, SecretSeed, SeedFile, TenantSeed, UserSeed,
};
use uuid::Uuid;

use crate::support::{claims, start, start_with};

#[tokio::test]
async fn example_seed_file_loads_and_works() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seed.example.json");
    let seed = SeedFile::from_path(path).expect("example seed parses");
    let tenant = &seed.tenants[0];
    let app = tenant
        .apps
        .iter()
        .find(|a| !a.secrets.is_empty())
        .expect("confidential app");
    let env = start_with(EmulatorConfig {
        seed: Some(seed.clone()),
        default_seed: false,
        ..EmulatorConfig::default()
    })
    .await;
    let resource = &tenant.resources[0];
    let answer = env
        .post(
            &env.url(&format!("{}/oauth2/v2.0/token", tenant.domain)),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &app.client_id.to_string()),
                ("client_secret", &app.secrets[0].value),
                ("scope", &format!("{resource}/.default")),
            ],
        )
        .await;
    assert_eq!(claims(answer.access_token())["tid"], tenant.id.to_string());
    // Without the default seed the default tenant does not exist.
    env.client_credentials("https://contoso.crm.dynamics.com/.default")
        .await
        .assert_error(400, "invalid_request", 90002);
    // The file round-trips through JSON.
    assert_eq!(
        SeedFile::from_json(&seed.to_json()).expect("round trip"),
        seed
    );
}

#[tokio::test]
async fn runtime_seeding_of_a_second_tenant() {
    let env = start().await;
    let seeder = env.emu.seed();
    let tenant = Uuid::new_v4();
    seeder
        .add_tenant(TenantSeed {
            id: tenant,
            domain: "fabrikam.onmicrosoft.com".to_owned(),
        })
        .expect("tenant");
    seeder
        .add_resource(tenant, "https://fabrikam.crm4.dynamics.com/")
        .expect("resource");
    let client_id = Uuid::new_v4();
    seeder
        .add_app(
            tenant,
            AppSeed {
                public_client: true,
                ..AppSeed::new(client_id, "Fabrikam tool")
            },
        )
        .expect("app");
    seeder
        .add_user(
            tenant,
            UserSeed {
                object_id: Uuid::new_v4(),
                user_principal_name: "dana@fabrikam.onmicrosoft.com".to_owned(),
                password: "Dana-Passw0rd!".to_owned(),
                mfa: MfaState::None,
                display_name: "Dana".to_owned(),
                ..UserSeed::default()
            },
        )
        .expect("user");
    seeder
        .grant_consent(tenant, client_id, "https://fabrikam.crm4.dynamics.com")
        .expect("consent");
    let answer = env
        .post(
            &env.url("fabrikam.onmicrosoft.com/oauth2/v2.0/token"),
            &[
                ("grant_type", "password"),
                ("client_id", &client_id.to_string()),
                ("username", "DANA@fabrikam.onmicrosoft.com"),
                ("password", "Dana-Passw0rd!"),
                (
                    "scope",
                    "https://fabrikam.crm4.dynamics.com//user_impersonation",
                ),
            ],
        )
        .await;
    assert_eq!(
        claims(answer.access_token())["aud"],
        "https://fabrikam.crm4.dynamics.com"
    );

    // Invalid seeding is an error, not a panic.
    assert!(
        seeder
            .add_app(Uuid::new_v4(), AppSeed::new(client_id, "x"))
            .is_err()
    );
    assert!(
        seeder
            .add_app(
                tenant,
                AppSeed {
                    certificates: vec!["not a certificate".to_owned()],
                    ..AppSeed::new(Uuid::new_v4(), "bad cert")
                }
            )
            .is_err()
    );
    assert!(
        seeder
            .grant_consent(tenant, client_id, "https://unregistered.example")
            .is_err()
    );
    assert!(
        seeder
            .add_tenant(TenantSeed {
                id: tenant,
                domain: "other.onmicrosoft.com".to_owned()
            })
            .is_err()
    );
    assert!(seeder.add_user(tenant, UserSeed::default()).is_err());
    assert!(seeder.add_app(tenant, AppSeed::default()).is_err());
    let secret = SecretSeed::new("s");
    assert!(!format!("{secret:?}").contains("\"s\""));
}

#[tokio::test]
async fn shutdown_stops_the_server_even_with_a_pooled_connection() {
    let env = start().await;
    env.client_credentials("https://contoso.crm.dynamics.com/.default")
        .await
        .ok();
    let token_url = env.token_url();
    env.emu.shutdown().await;
    let after = env
        .http
        .post(&token_url)
        .form(&[("grant_type", "x")])
        .send()
        .await;
    assert!(after.is_err(), "the server still answers: {after:?}");
}

//! Admin-service seeding: the example seed file (instances, identities, admin applications,
//! roles and licences) and run-time instance seeding.

use dynamics_emulator::{EmulatorConfig, InstanceSeed, SeedFile};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{BAP_VERSION, Env, start, start_with};

/// A token from the first tenant of the example file.
async fn token(env: &Env, seed: &SeedFile, form: &[(&str, &str)]) -> String {
    let tenant = &seed.tenants[0];
    let response: Value = env
        .http
        .post(env.url(&format!("{}/oauth2/v2.0/token", tenant.id)))
        .form(form)
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("JSON");
    response["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{response:#}"))
        .to_owned()
}

#[tokio::test]
async fn example_seed_file_drives_both_admin_apis() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seed.example.json");
    let seed = SeedFile::from_path(path).expect("example seed parses");
    let env = start_with(EmulatorConfig {
        seed: Some(seed.clone()),
        default_seed: false,
        ..EmulatorConfig::default()
    })
    .await;
    let tenant = &seed.tenants[0];
    let daemon = &tenant.apps[0];
    let instance = &tenant.instances[0];
    let client_id = daemon.client_id.to_string();

    // The challenge names the only tenant.
    let challenge = env.call(Method::GET, "api/aad/challenge", None, None).await;
    assert!(
        challenge
            .header("www-authenticate")
            .is_some_and(|h| h.contains(&tenant.id.to_string()))
    );

    // The daemon is a registered application identity; a regional admin audience is accepted.
    let oma = token(
        &env,
        &seed,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &daemon.secrets[0].value),
            ("scope", "https://admin.services.crm4.dynamics.com/.default"),
        ],
    )
    .await;
    let instances = env.get("api/v1.2/Instances", &oma).await;
    let listed = instances.expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed[0]["applicationUrl"],
        json!("https://fabrikam.crm4.dynamics.com/")
    );
    assert_eq!(
        env.emu.seed().environment_users(instance.id),
        instance.users
    );

    // It is an admin application too.
    let bap = token(
        &env,
        &seed,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &daemon.secrets[0].value),
            ("scope", "https://service.powerapps.com/.default"),
        ],
    )
    .await;
    let environment = env
        .get(
            &format!(
                "providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{}?{BAP_VERSION}",
                instance.id
            ),
            &bap,
        )
        .await;
    assert_eq!(
        environment.expect(200)["properties"]["displayName"],
        json!("Fabrikam")
    );

    // Dana (Global administrator) signs in with the admin CLI.
    let dana = &tenant.users[0];
    let delegated = token(
        &env,
        &seed,
        &[
            ("grant_type", "password"),
            ("client_id", &tenant.apps[1].client_id.to_string()),
            ("username", &dana.user_principal_name),
            ("password", &dana.password),
            ("scope", "https://admin.services.crm4.dynamics.com/.default"),
        ],
    )
    .await;
    env.get(&format!("api/v1/Instances/{}", instance.id), &delegated)
        .await
        .expect(200);
}

#[tokio::test]
async fn run_time_instances_are_checked() {
    let env = start().await;
    let d = env.emu.defaults();
    let seeder = env.emu.seed();
    assert!(
        seeder
            .add_instance(Uuid::new_v4(), InstanceSeed::new(Uuid::new_v4(), "fresh"))
            .is_err(),
        "unknown tenant"
    );
    assert!(
        seeder
            .add_instance(d.tenant_id, InstanceSeed::new(Uuid::new_v4(), "contoso"))
            .is_err(),
        "domain in use"
    );
    assert!(
        seeder
            .add_instance(d.tenant_id, InstanceSeed::new(Uuid::new_v4(), "Bad Domain"))
            .is_err()
    );
    assert!(
        seeder
            .add_instance(
                d.tenant_id,
                InstanceSeed {
                    users: vec![Uuid::new_v4()],
                    ..InstanceSeed::new(Uuid::new_v4(), "strangers")
                }
            )
            .is_err(),
        "users must be in the tenant"
    );
    let id = Uuid::new_v4();
    seeder
        .add_instance(d.tenant_id, InstanceSeed::new(id, "fresh"))
        .expect("added");
    assert!(seeder.environment_users(id).is_empty());
    seeder
        .add_environment_user(id, d.non_admin_user.object_id)
        .expect("user added");
    assert_eq!(seeder.environment_users(id), [d.non_admin_user.object_id]);
    assert!(seeder.add_environment_user(id, Uuid::new_v4()).is_err());
    assert!(seeder.set_user_licensed(Uuid::new_v4(), true).is_err());
    assert!(seeder.environment_users(Uuid::new_v4()).is_empty());
}

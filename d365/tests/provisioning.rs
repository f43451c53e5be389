//! `d365 app-users` and `d365 roles` against an emulator started in this test process, signed
//! in as its seeded administrator (password piped on stdin), acting on the org by URL or by
//! environment.

use uuid::Uuid;

mod org_support;
use org_support::{Fixture, run_blocking};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_users_ensure_is_idempotent_list_shows_it_and_disable_disables_it() {
    let fx = Fixture::start().await;
    let app = Uuid::new_v4().to_string();
    let created = fx
        .run_with(&["app-users", "ensure", "--app-id", &app, "--json"], true)
        .await
        .ok_json();
    assert_eq!(created["outcome"], "created");
    assert_eq!(created["application_id"], app.as_str());
    assert_eq!(created["disabled"], false);

    let again = fx
        .run_with(&["app-users", "ensure", "--app-id", &app, "--json"], true)
        .await
        .ok_json();
    assert_eq!(again["outcome"], "unchanged");
    assert_eq!(again["systemuser_id"], created["systemuser_id"]);

    let listed = fx
        .run_with(&["app-users", "list", "--json"], true)
        .await
        .ok_json();
    let rows = listed.as_array().expect("an array");
    assert!(
        rows.iter().any(|r| r["application_id"] == app.as_str()),
        "{listed}"
    );

    let disabled = fx
        .run_with(&["app-users", "disable", "--app-id", &app, "--json"], true)
        .await
        .ok_json();
    assert_eq!(disabled["disabled"], true);

    let human = fx
        .run_with(&["app-users", "ensure", "--app-id", &app], true)
        .await;
    assert_eq!(human.code, 0, "{human:#?}");
    assert!(
        human.stdout.contains("already existed and was updated"),
        "{human:#?}"
    );

    let table = fx.run_with(&["app-users", "list"], true).await;
    assert!(table.stdout.starts_with("APPLICATION ID"), "{table:#?}");
    let password = &fx.emulator.defaults().user.password;
    assert!(!table.stdout.contains(password.as_str()) && !table.stderr.contains(password.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_assigned_listed_and_removed_idempotently() {
    let fx = Fixture::start().await;
    let app = Uuid::new_v4().to_string();
    fx.run_with(&["app-users", "ensure", "--app-id", &app, "--json"], true)
        .await
        .ok_json();

    let assign = [
        "roles",
        "assign",
        "--role",
        "Basic User",
        "--app-id",
        &app,
        "--json",
    ];
    let assigned = fx.run_with(&assign, true).await.ok_json();
    assert_eq!(assigned["outcome"], "assigned");
    assert_eq!(assigned["role_name"], "Basic User");
    assert_eq!(
        fx.run_with(&assign, true).await.ok_json()["role_id"],
        assigned["role_id"]
    );

    let held = fx
        .run_with(&["roles", "list", "--app-id", &app, "--json"], true)
        .await
        .ok_json();
    let held = held.as_array().expect("an array");
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["role_id"], assigned["role_id"]);

    let remove = [
        "roles",
        "remove",
        "--role",
        "Basic User",
        "--app-id",
        &app,
        "--json",
    ];
    assert_eq!(
        fx.run_with(&remove, true).await.ok_json()["outcome"],
        "removed"
    );
    assert_eq!(
        fx.run_with(&remove, true).await.ok_json()["outcome"],
        "not held"
    );

    let root_roles = fx.run_with(&["roles", "list"], true).await;
    assert_eq!(root_roles.code, 0, "{root_roles:#?}");
    assert!(
        root_roles.stdout.starts_with("ROLE ID") && root_roles.stdout.contains("Basic User"),
        "{root_roles:#?}"
    );

    let missing = fx
        .run_with(
            &[
                "roles",
                "assign",
                "--role",
                "No Such Role",
                "--app-id",
                &app,
            ],
            true,
        )
        .await;
    assert_eq!(missing.code, 5, "{missing:#?}");
    assert!(missing.stderr.contains("No Such Role"), "{missing:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_org_is_found_by_environment_id_and_an_unknown_one_is_named() {
    let fx = Fixture::start().await;
    let instance = fx.emulator.defaults().instance_id.to_string();
    let listed = fx
        .run_with(
            &["app-users", "list", "--environment", &instance, "--json"],
            false,
        )
        .await;
    listed.ok_json();
    let unknown = fx
        .run_with(&["app-users", "list", "--environment", "Nowhere"], false)
        .await;
    assert_eq!(unknown.code, 5, "{unknown:#?}");
    assert!(unknown.stderr.contains("Nowhere"), "{unknown:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_are_checked_before_signing_in() {
    let fx = Fixture::start().await;
    let no_org = fx.run_with(&["app-users", "list"], false).await;
    assert_eq!(no_org.code, 2, "{no_org:#?}");
    assert!(no_org.stderr.contains("--org-url"), "{no_org:#?}");

    let no_principal = fx
        .run_with(&["roles", "assign", "--role", "Basic User"], true)
        .await;
    assert_eq!(no_principal.code, 2, "{no_principal:#?}");

    let bad_spec = fx
        .run_with(
            &[
                "roles",
                "privileges",
                "--role",
                "Basic User",
                "--add",
                "prvReadLead:Galaxy",
            ],
            true,
        )
        .await;
    assert_eq!(bad_spec.code, 2, "{bad_spec:#?}");
    assert!(bad_spec.stderr.contains("not a depth"), "{bad_spec:#?}");
    // Nothing reached the org.
    assert_eq!(fx.emulator.dataverse_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_in_process_emulator_the_org_is_the_emulators_own() {
    let app = Uuid::new_v4().to_string();
    let args: Vec<String> = [
        "app-users",
        "ensure",
        "--app-id",
        &app,
        "--emulator",
        "--json",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let run = tokio::task::spawn_blocking(move || run_blocking(&args, ""))
        .await
        .expect("the run finished");
    let json = run.ok_json();
    assert_eq!(json["outcome"], "created");
    assert_eq!(json["application_id"], app.as_str());
}

//! Solution import against the workspace's emulator: packages written by
//! [`SolutionBuilder`] import synchronously and as a system job, their roles land in every
//! business unit with exactly the package's privileges (read back through the provisioning
//! API), list and find show them, and failures carry the service's error text.

use std::sync::Arc;
use std::time::Duration;

use dataverse_webapi::provisioning::{PrivilegeDepth, RolePrivilege};
use dataverse_webapi::solutions::{Publisher, RoleDefinition, SolutionBuilder};
use dataverse_webapi::{ClientOptions, DataverseClient, DataverseError};
use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions};
use dynamics_emulator::Emulator;

async fn start() -> (Emulator, DataverseClient) {
    let emu = Emulator::start().await.expect("emulator starts");
    let d = emu.defaults();
    let base = emu.base_url().as_str().trim_end_matches('/').to_owned();
    let credential = ClientSecretCredential::new(
        Authority::with_host(&base, &d.tenant_id.to_string()).expect("authority"),
        d.client_id,
        d.client_secret.clone(),
        CredentialOptions::default(),
    )
    .expect("credential");
    let client = DataverseClient::new(&base, Arc::new(credential), ClientOptions::default())
        .expect("client");
    (emu, client)
}

fn publisher() -> Publisher {
    Publisher::new("contoso", "Contoso", "cts", 10000)
}

/// The lead-writer package of the marketplace seed.
fn lead_writer(version: &str) -> SolutionBuilder {
    SolutionBuilder::new("LeadWriter", version, publisher())
        .display_name("Marketplace Lead Writer")
        .role(
            RoleDefinition::new("Lead Writer")
                .privilege("prvCreateLead", PrivilegeDepth::Organization)
                .privilege("prvReadLead", PrivilegeDepth::User)
                .privilege("prvAppendToAsyncOperation", PrivilegeDepth::ParentChild),
        )
}

/// The role's privileges as `(name in lower case, depth)`, sorted.
fn by_name(privileges: &[RolePrivilege]) -> Vec<(String, PrivilegeDepth)> {
    let mut out: Vec<_> = privileges
        .iter()
        .map(|p| {
            (
                p.name.clone().unwrap_or_default().to_ascii_lowercase(),
                p.depth.clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

async fn assert_role_everywhere(client: &DataverseClient) {
    let expected = vec![
        (
            "prvappendtoasyncoperation".to_owned(),
            PrivilegeDepth::ParentChild,
        ),
        ("prvcreatelead".to_owned(), PrivilegeDepth::Organization),
        ("prvreadlead".to_owned(), PrivilegeDepth::User),
    ];
    let units = client.business_units().list().await.expect("units");
    assert!(units.len() >= 2, "the default seed has a child unit");
    let root = client.business_units().root().await.expect("root");
    let root_copy = client
        .roles()
        .find("Lead Writer")
        .in_business_unit(root.id)
        .await
        .expect("root copy");
    for unit in &units {
        let copy = client
            .roles()
            .find("Lead Writer")
            .in_business_unit(unit.id)
            .await
            .expect("a copy in every unit");
        assert_eq!(copy.root_role_id(), root_copy.id);
        let held = client
            .roles()
            .privileges(copy.id)
            .await
            .expect("privileges");
        assert_eq!(by_name(&held), expected, "unit {:?}", unit.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_package_imports_synchronously_and_its_role_is_in_every_unit() {
    let (_emu, client) = start().await;
    let zip = lead_writer("1.0.0.0").build().expect("zip");
    let outcome = client
        .solutions()
        .import(zip.clone())
        .await
        .expect("imported");
    assert!(outcome.import_job_id.is_some());
    assert_eq!(outcome.async_operation_id, None);
    assert_eq!(outcome.solution_unique_name.as_deref(), Some("LeadWriter"));
    assert_role_everywhere(&client).await;

    let found = client
        .solutions()
        .find("LeadWriter")
        .await
        .expect("find")
        .expect("installed");
    assert_eq!(found.version.as_deref(), Some("1.0.0.0"));
    assert_eq!(found.managed, Some(true));
    assert_eq!(
        found
            .publisher
            .as_ref()
            .and_then(|p| p.unique_name.as_deref()),
        Some("contoso")
    );
    assert!(
        client
            .solutions()
            .find("LeadWriter")
            .version("1.0.0.0")
            .await
            .expect("find version")
            .is_some()
    );
    assert!(
        client
            .solutions()
            .find("LeadWriter")
            .version("9.9.9.9")
            .await
            .expect("find version")
            .is_none()
    );
    let listed = client.solutions().list().await.expect("list");
    assert!(listed.iter().any(|s| s.unique_name == "LeadWriter"));

    // The same version again is fine and changes nothing.
    client.solutions().import(zip).await.expect("re-imported");
    assert_role_everywhere(&client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_package_imports_as_a_system_job() {
    let (_emu, client) = start().await;
    let zip = lead_writer("1.2.0.0").build().expect("zip");
    let outcome = client
        .solutions()
        .import(zip)
        .asynchronously()
        .poll_interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(60))
        .await
        .expect("imported");
    assert!(outcome.async_operation_id.is_some());
    assert!(outcome.import_job_id.is_some());
    assert_eq!(outcome.version.as_deref(), Some("1.2.0.0"));
    assert_role_everywhere(&client).await;
    let found = client
        .solutions()
        .find("LeadWriter")
        .await
        .expect("find")
        .expect("installed");
    assert_eq!(found.version.as_deref(), Some("1.2.0.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_packages_fail_with_the_services_text() {
    let (_emu, client) = start().await;
    let unknown = SolutionBuilder::new("Broken", "1.0.0.0", publisher())
        .role(RoleDefinition::new("Broken").privilege("prvFlyToTheMoon", PrivilegeDepth::User))
        .build()
        .expect("zip");
    for asynchronous in [false, true] {
        let import = client.solutions().import(unknown.clone());
        let import = if asynchronous {
            import.asynchronously().timeout(Duration::from_secs(60))
        } else {
            import
        };
        match import.await {
            Err(DataverseError::SolutionImportFailed {
                message,
                import_job_id,
                async_operation_id,
                ..
            }) => {
                assert!(message.contains("prvFlyToTheMoon"), "{message}");
                assert!(import_job_id.is_some());
                assert_eq!(async_operation_id.is_some(), asynchronous);
            }
            other => panic!("expected SolutionImportFailed, got {other:?}"),
        }
    }
    // A zip cut short: it starts like one (the client's own check passes), the service
    // cannot read it.
    let mut cut = lead_writer("1.0.0.0").build().expect("zip");
    cut.truncate(cut.len() / 2);
    match client.solutions().import(cut).await {
        Err(DataverseError::SolutionImportFailed {
            message,
            import_job_id,
            ..
        }) => {
            assert!(message.contains("solution file"), "{message}");
            assert!(import_job_id.is_some());
        }
        other => panic!("expected SolutionImportFailed, got {other:?}"),
    }
    assert!(
        client
            .solutions()
            .find("Broken")
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        client
            .roles()
            .find("Broken")
            .await
            .expect_err("no role")
            .is_not_found()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_solution_is_not_downgraded() {
    let (_emu, client) = start().await;
    let newer = lead_writer("2.0.0.0").build().expect("zip");
    client.solutions().import(newer).await.expect("imported");
    let older = lead_writer("1.5.0.0").build().expect("zip");
    match client.solutions().import(older).await {
        Err(DataverseError::SolutionImportFailed { message, .. }) => {
            assert!(message.contains("downgraded"), "{message}");
        }
        other => panic!("expected SolutionImportFailed, got {other:?}"),
    }
    let found = client
        .solutions()
        .find("LeadWriter")
        .await
        .expect("find")
        .expect("installed");
    assert_eq!(found.version.as_deref(), Some("2.0.0.0"));
}

//! The world of the `sync_users_to_business_units` example, shared with its test
//! (`tests/user_sync.rs`): the org's business units, teams and roles the rules name, and on
//! the emulator a tenant of staff in three departments and two countries, the clients a sync
//! needs, and the Entra changes between two syncs.

#![allow(dead_code)] // The example and the test each use their own part.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use dynamics_emulator::{Emulator, GeneratedUsers, PlaceSeed, UserSeed};
use dynamics_rs::admin::{
    AdminApi, AdminBackend, ClientOptions as AdminOptions, EnvironmentName, OnlineManagementClient,
    ServiceEndpoint, WaitOptions,
};
use dynamics_rs::auth::{
    Authority, ClientSecretCredential, CredentialOptions, TokenCredential,
    UsernamePasswordCredential,
};
use dynamics_rs::dataverse::{ClientOptions, DataverseClient};
use dynamics_rs::user_sync::{AdminForceSync, GraphClient, GraphOptions, RuleSet};
use serde_json::json;
use uuid::Uuid;

/// The rules (also in `reference/user-sync/business_units.toml`).
pub(crate) const RULES: &str = include_str!("../../reference/user-sync/business_units.toml");

/// The departments, each a business unit of the same name.
pub(crate) const DEPARTMENTS: [&str; 3] = ["Sales", "Engineering", "Support"];

/// Teams by business unit.
pub(crate) const TEAMS: [(&str, &str); 4] = [
    ("Sales Team", "Sales"),
    ("Engineering Team", "Engineering"),
    ("Support Team", "Support"),
    ("Support Germany", "Support"),
];

/// The roles the rules hand out (created in the root unit; Dataverse copies a role into
/// every business unit).
pub(crate) const ROLES: [&str; 3] = ["Salesperson", "Engineer", "Support Agent"];

/// The licence the staff hold (any SKU id: the sync checks that there is one).
pub(crate) const STAFF_SKU: Uuid = Uuid::from_u128(0x5ca1_ab1e_0000_4000_8000_0000_0000_0001);

/// The UPN prefix of the staff (the rules' filter).
pub(crate) const PREFIX: &str = "staff";

/// The rules, parsed.
pub(crate) fn rules() -> Result<RuleSet, Box<dyn Error>> {
    Ok(RuleSet::from_toml(RULES, Some("business_units.toml"))?)
}

/// Creates what the rules name and the org does not have yet (business units under the
/// root, their teams, the roles); a second call changes nothing.
pub(crate) async fn prepare_org(org: &DataverseClient) -> Result<(), Box<dyn Error>> {
    let root = org.business_units().root().await?;
    for unit in DEPARTMENTS {
        if org.business_units().find(unit).await?.is_none() {
            org.business_units()
                .create(unit)
                .parent(root.id)
                .send()
                .await?;
        }
    }
    for (team, unit) in TEAMS {
        if org.teams().find(team).await?.is_none() {
            let unit = org
                .business_units()
                .find(unit)
                .await?
                .ok_or("the unit was just created")?;
            org.teams()
                .create(team)
                .business_unit(unit.id)
                .send()
                .await?;
        }
    }
    for role in ROLES {
        if org.roles().named(role).await?.is_empty() {
            org.table("roles")
                .create(&json!({
                    "name": role,
                    "businessunitid@odata.bind": format!("/businessunits({})", root.id),
                }))
                .await?;
        }
    }
    Ok(())
}

/// The staff: `count` licensed users over the three departments and two countries
/// (user `n` gets department `(n-1) % 3` and place `(n-1) % 2`, so every pair occurs).
pub(crate) fn staff(count: usize) -> GeneratedUsers {
    GeneratedUsers {
        count,
        prefix: PREFIX.to_owned(),
        departments: DEPARTMENTS.iter().map(|d| (*d).to_owned()).collect(),
        places: vec![
            PlaceSeed::new("Berlin", "Germany", "DE"),
            PlaceSeed::new("Lyon", "France", "FR"),
        ],
        job_titles: vec!["Associate".to_owned()],
        ..GeneratedUsers::new(count)
    }
}

/// Adds the staff to the emulator's tenant, each with a licence; returns their object ids.
pub(crate) fn seed_staff(emulator: &Emulator, count: usize) -> Result<Vec<Uuid>, Box<dyn Error>> {
    let d = emulator.defaults();
    let spec = staff(count);
    let users = spec.users(d.tenant_id, &d.tenant_domain).map(|mut u| {
        u.licences = vec![STAFF_SKU];
        u
    });
    emulator.seed().add_users(d.tenant_id, users)?;
    Ok((1..=count)
        .map(|n| GeneratedUsers::object_id(d.tenant_id, PREFIX, n))
        .collect())
}

/// What [`change_some`] did in Entra.
pub(crate) struct EntraChanges {
    /// Moved from Sales to Engineering.
    pub(crate) moved: Uuid,
    /// Account disabled.
    pub(crate) disabled: Uuid,
    /// Two new hires (Sales in Germany, Support in France).
    pub(crate) hired: [Uuid; 2],
}

/// An administrator's changes in Entra between two syncs: staff 1 (Sales) moves to
/// Engineering, staff 2 (Engineering) leaves (account disabled), two are hired.
pub(crate) fn change_some(
    emulator: &Emulator,
    staff_ids: &[Uuid],
) -> Result<EntraChanges, Box<dyn Error>> {
    let d = emulator.defaults();
    let seed = emulator.seed();
    let (moved, disabled) = (staff_ids[0], staff_ids[1]);
    seed.update_user(d.tenant_id, moved, |u| {
        u.department = Some("Engineering".to_owned())
    })?;
    seed.set_account_enabled(d.tenant_id, disabled, false)?;
    let hire = |n: u128, department: &str, city: &str, country: &str, location: &str| {
        let id = Uuid::from_u128(0x0e1e_0000_0000_4000_8000_0000_0000_0000 + n);
        let upn = format!("{PREFIX}-new{n}@{}", d.tenant_domain);
        let user = UserSeed {
            object_id: id,
            display_name: format!("New Hire {n}"),
            mail: Some(upn.clone()),
            user_principal_name: upn,
            password: "New-Hire-Passw0rd!".to_owned(),
            department: Some(department.to_owned()),
            city: Some(city.to_owned()),
            country: Some(country.to_owned()),
            usage_location: Some(location.to_owned()),
            licences: vec![STAFF_SKU],
            ..UserSeed::default()
        };
        seed.add_users(d.tenant_id, [user]).map(|_| id)
    };
    let hired = [
        hire(1, "Sales", "Berlin", "Germany", "DE")?,
        hire(2, "Support", "Lyon", "France", "FR")?,
    ];
    Ok(EntraChanges {
        moved,
        disabled,
        hired,
    })
}

/// The clients a sync needs, on the emulator: Graph and Dataverse as the seeded
/// application (which holds `User.Read.All`), force sync as the seeded administrator.
pub(crate) struct EmulatorClients {
    pub(crate) graph: GraphClient,
    pub(crate) dataverse: DataverseClient,
    pub(crate) force_sync: AdminForceSync,
}

/// Builds [`EmulatorClients`] for a running emulator.
pub(crate) async fn emulator_clients(
    emulator: &Emulator,
) -> Result<EmulatorClients, Box<dyn Error>> {
    let d = emulator.defaults();
    let base = emulator
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let authority = || Authority::with_host(&base, &d.tenant_id.to_string());
    let app: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        authority()?,
        d.client_id,
        d.client_secret.clone(),
        CredentialOptions::default(),
    )?);
    let graph = GraphClient::new(
        emulator.graph_url().as_str(),
        app.clone(),
        GraphOptions::default(),
    )?;
    let dataverse = DataverseClient::new(&base, app, ClientOptions::default())?;
    let admin: Arc<dyn TokenCredential> = Arc::new(UsernamePasswordCredential::new(
        authority()?,
        d.public_client_id,
        &d.user.upn,
        d.user.password.clone(),
        CredentialOptions::default(),
    )?);
    let oma = OnlineManagementClient::connect(
        ServiceEndpoint::Custom(emulator.base_url().clone()),
        admin,
        AdminOptions::default(),
    )
    .await?;
    let force_sync = AdminForceSync::new(
        AdminApi::new(AdminBackend::OnlineManagement(oma)),
        EnvironmentName::from(d.instance_id),
        WaitOptions {
            timeout: Duration::from_secs(60),
            default_interval: Duration::from_millis(20),
            max_interval: Duration::from_millis(200),
        },
    );
    Ok(EmulatorClients {
        graph,
        dataverse,
        force_sync,
    })
}

/// How many of `users` (Entra object ids) each business unit holds in the org, by unit name,
/// with the disabled ones counted apart (`"<unit> (disabled)"`).
pub(crate) async fn users_per_unit(
    org: &DataverseClient,
    users: &[Uuid],
) -> Result<std::collections::BTreeMap<String, usize>, Box<dyn Error>> {
    let units = org.business_units().list().await?;
    let name = |id: Option<Uuid>| {
        units
            .iter()
            .find(|u| Some(u.id) == id)
            .and_then(|u| u.name.clone())
            .unwrap_or_else(|| "?".to_owned())
    };
    let mut out = std::collections::BTreeMap::new();
    for user in dynamics_rs::user_sync::read_users(org, users)
        .await?
        .values()
    {
        let mut key = name(user.business_unit);
        if user.is_disabled() {
            key.push_str(" (disabled)");
        }
        *out.entry(key).or_insert(0) += 1;
    }
    Ok(out)
}

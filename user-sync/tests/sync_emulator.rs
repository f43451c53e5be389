//! Whole runs: Graph from wiremock (Microsoft's wire format), the org and the admin API from
//! the workspace's emulator. Dry run, apply (force sync through ApplyUser, then placement),
//! an idempotent second run, a delta round with a department change and a leaver, the
//! safety stop, a crash between pages that resumes from the checkpoint, and `410 Gone`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use dataverse_webapi::provisioning::{Principal, SecurityRole};
use dataverse_webapi::{ClientOptions as DvOptions, DataverseClient};
use dynamics_auth::{
    Authority, ClientSecretCredential, CredentialOptions, StaticTokenCredential,
    UsernamePasswordCredential,
};
use dynamics_emulator::{Emulator, Seeder, UserSeed};
use online_mgmt_api::{
    AdminApi, AdminBackend, BapEndpoint, BapOptions, ClientOptions as OmaOptions, EnvironmentName,
    OnlineManagementClient, PowerPlatformAdminClient, ServiceEndpoint, WaitOptions,
};
use serde_json::{Value, json};
use user_sync::{
    ActionKind, AdminForceSync, ForceSync, ForceSyncOutcome, GraphClient, GraphOptions, RuleSet,
    SilentProgress, SqlCheckpoints, SyncError, SyncJournal, SyncOptions, UserSync, UserWait,
};
use uuid::Uuid;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RULES: &str = r#"
default = "skip"

[[placement]]
name = "sales"
when = { attribute = "department", op = "equals", value = "Sales" }
business_unit = "Sales"
teams = ["Sales Team"]
roles = ["Salesperson"]

[[placement]]
name = "service"
when = { attribute = "department", op = "equals", value = "Service" }
business_unit = "Service"
roles = ["CSR"]

[safety]
max_change_share = 0.5
"#;

struct World {
    emu: Emulator,
    graph_server: MockServer,
    dataverse: DataverseClient,
    state: PathBuf,
    users: Vec<Uuid>,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.state.parent().unwrap_or(&self.state));
    }
}

async fn world(licensed: &[bool]) -> World {
    let emu = Emulator::start().await.expect("emulator");
    let d = emu.defaults().clone();
    let base = emu.base_url().as_str().trim_end_matches('/').to_owned();
    let credential = ClientSecretCredential::new(
        Authority::with_host(&base, &d.tenant_id.to_string()).expect("authority"),
        d.client_id,
        d.client_secret.clone(),
        CredentialOptions::default(),
    )
    .expect("credential");
    let dataverse =
        DataverseClient::new(&base, Arc::new(credential), DvOptions::default()).expect("client");
    let root = dataverse.business_units().root().await.expect("root");
    dataverse
        .business_units()
        .create("Service")
        .await
        .expect("unit");
    for role in ["Salesperson", "CSR"] {
        dataverse
            .table("roles")
            .create(&json!({
                "name": role,
                "businessunitid@odata.bind": format!("/businessunits({})", root.id),
            }))
            .await
            .expect("role");
    }
    dataverse.teams().create("Sales Team").await.expect("team");
    let mut users = Vec::new();
    for (i, licensed) in licensed.iter().enumerate() {
        let id = Uuid::from_u128(0xabc0_0000_0000_4000_8000_0000_0000_0000 + i as u128 + 1);
        emu.seed()
            .add_user(
                d.tenant_id,
                UserSeed {
                    object_id: id,
                    user_principal_name: format!("user{}@contoso.onmicrosoft.com", i + 1),
                    password: "unused-Passw0rd".into(),
                    display_name: format!("User {}", i + 1),
                    licensed: *licensed,
                    ..UserSeed::default()
                },
            )
            .expect("directory user");
        users.push(id);
    }
    let dir = std::env::temp_dir().join(format!("user-sync-test-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("state dir");
    World {
        emu,
        graph_server: MockServer::start().await,
        dataverse,
        state: dir.join("state.sqlite"),
        users,
    }
}

fn graph_user(id: Uuid, n: usize, department: &str, licensed: bool) -> Value {
    json!({
        "id": id, "userPrincipalName": format!("user{n}@contoso.onmicrosoft.com"),
        "displayName": format!("User {n}"), "mail": null, "department": department,
        "city": "Berlin", "country": "Germany", "jobTitle": null, "usageLocation": "DE",
        "accountEnabled": true,
        "assignedLicenses": if licensed { json!([{"disabledPlans": [], "skuId": "sku-1"}]) } else { json!([]) }
    })
}

impl World {
    fn graph(&self) -> GraphClient {
        let token = StaticTokenCredential::new(
            "graph-token",
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        );
        GraphClient::new(
            &format!("{}/v1.0/", self.graph_server.uri()),
            Arc::new(token),
            GraphOptions::default(),
        )
        .expect("graph")
    }

    /// Force sync through the Power Platform admin API (`addUser`) instead of ApplyUser.
    fn bap_admin(&self) -> AdminForceSync {
        let d = self.emu.defaults();
        let authority =
            Authority::with_host(self.emu.base_url().as_str(), &d.tenant_id.to_string())
                .expect("authority");
        let credential = UsernamePasswordCredential::new(
            authority,
            d.public_client_id,
            &d.user.upn,
            d.user.password.clone(),
            CredentialOptions::default(),
        )
        .expect("admin sign-in");
        let client = PowerPlatformAdminClient::new(
            BapEndpoint::Custom {
                base_url: self.emu.base_url().clone(),
                scope: "https://service.powerapps.com/.default".into(),
            },
            Arc::new(credential),
            BapOptions::default(),
        )
        .expect("bap");
        AdminForceSync::new(
            AdminApi::new(AdminBackend::PowerPlatform(client)),
            EnvironmentName::from(d.instance_id),
            WaitOptions {
                timeout: Duration::from_secs(1),
                default_interval: Duration::from_millis(10),
                max_interval: Duration::from_millis(50),
            },
        )
    }

    async fn admin(&self) -> AdminForceSync {
        let d = self.emu.defaults();
        let authority =
            Authority::with_host(self.emu.base_url().as_str(), &d.tenant_id.to_string())
                .expect("authority");
        let credential = UsernamePasswordCredential::new(
            authority,
            d.public_client_id,
            &d.user.upn,
            d.user.password.clone(),
            CredentialOptions::default(),
        )
        .expect("admin sign-in");
        let client = OnlineManagementClient::connect(
            ServiceEndpoint::Custom(self.emu.base_url().clone()),
            Arc::new(credential),
            OmaOptions::default(),
        )
        .await
        .expect("oma");
        AdminForceSync::new(
            AdminApi::new(AdminBackend::OnlineManagement(client)),
            EnvironmentName::from(d.instance_id),
            WaitOptions {
                timeout: Duration::from_secs(30),
                default_interval: Duration::from_millis(10),
                max_interval: Duration::from_millis(50),
            },
        )
    }

    async fn sync(&self, force: Arc<dyn ForceSync>) -> UserSync {
        self.sync_with(force, RULES).await
    }

    async fn sync_with(&self, force: Arc<dyn ForceSync>, rules: &str) -> UserSync {
        let checkpoints = Arc::new(
            SqlCheckpoints::open_sqlite(&self.state)
                .await
                .expect("store"),
        );
        UserSync::new(
            self.graph(),
            self.dataverse.clone(),
            force,
            checkpoints,
            RuleSet::from_toml(rules, None).expect("rules"),
        )
        .with_progress(Arc::new(SilentProgress))
        .with_journal(self.journal().await)
    }

    async fn journal(&self) -> SyncJournal {
        SyncJournal::open_sqlite(&self.state)
            .await
            .expect("journal")
    }

    fn link(&self, query: &str) -> String {
        format!("{}/v1.0/users/delta?{query}", self.graph_server.uri())
    }

    /// `users/delta` (the first request of a full round) answers `pages` in order, each
    /// page after the first at `$skiptoken=p<n>`, the last with `$deltatoken=<delta>`.
    async fn full_round(&self, pages: Vec<Vec<Value>>, delta: &str, times: u64) {
        let count = pages.len();
        for (i, value) in pages.into_iter().enumerate() {
            let mut body = json!({ "value": value });
            if i + 1 < count {
                body["@odata.nextLink"] = json!(self.link(&format!("$skiptoken=p{}", i + 2)));
            } else {
                body["@odata.deltaLink"] = json!(self.link(&format!("$deltatoken={delta}")));
            }
            let mock = Mock::given(method("GET")).and(path("/v1.0/users/delta"));
            let mock = if i == 0 {
                mock.and(query_param_is_missing("$skiptoken"))
                    .and(query_param_is_missing("$deltatoken"))
            } else {
                mock.and(query_param("$skiptoken", format!("p{}", i + 1)))
            };
            mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
                .expect(times)
                .mount(&self.graph_server)
                .await;
        }
    }

    /// `$deltatoken=<token>` answers these changes and the next delta link.
    async fn delta_round(&self, token: &str, value: Vec<Value>, next: &str) {
        Mock::given(method("GET"))
            .and(path("/v1.0/users/delta"))
            .and(query_param("$deltatoken", token))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "@odata.deltaLink": self.link(&format!("$deltatoken={next}")),
                "value": value
            })))
            .mount(&self.graph_server)
            .await;
    }

    async fn placement(&self, user: Uuid) -> (Uuid, Vec<String>, Vec<String>, bool) {
        let rows = user_sync::read_users(&self.dataverse, &[user])
            .await
            .expect("read");
        let u = rows.get(&user.to_string()).expect("synced user").clone();
        let mut roles: Vec<String> = u.roles.iter().filter_map(|r| r.name.clone()).collect();
        let mut teams: Vec<String> = u.teams.iter().filter_map(|t| t.name.clone()).collect();
        roles.sort();
        teams.sort();
        (
            u.business_unit.expect("unit"),
            roles,
            teams,
            u.is_disabled(),
        )
    }

    async fn unit(&self, name: &str) -> Uuid {
        self.dataverse
            .business_units()
            .find(name)
            .await
            .expect("find")
            .expect("unit exists")
            .id
    }
}

fn kinds(report: &user_sync::SyncReport) -> Vec<(Uuid, ActionKind)> {
    report
        .plan
        .actions
        .iter()
        .map(|a| (a.user, a.kind))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_apply_second_run_and_a_delta_round() {
    let w = world(&[true, true, true, false]).await;
    let [a, b, c, d] = [w.users[0], w.users[1], w.users[2], w.users[3]];
    w.full_round(
        vec![
            vec![
                graph_user(a, 1, "Sales", true),
                graph_user(b, 2, "Service", true),
            ],
            vec![
                graph_user(c, 3, "Marketing", true),
                graph_user(d, 4, "Sales", false),
            ],
        ],
        "d1",
        3,
    )
    .await;
    let sync = w.sync(Arc::new(w.admin().await)).await;

    // Dry run: what would happen, nothing done, no checkpoint.
    let preview = sync
        .run(&SyncOptions {
            dry_run: true,
            ..Default::default()
        })
        .await
        .expect("dry run");
    assert_eq!(
        kinds(&preview),
        vec![
            (a, ActionKind::ForceSync),
            (b, ActionKind::ForceSync),
            // No licence in Entra is a hint: the service decides (review finding 8).
            (d, ActionKind::ForceSync)
        ]
    );
    assert_eq!(preview.plan.skipped, 1, "Marketing matches no placement");
    assert!(
        preview
            .plan
            .to_table()
            .contains("unit: Sales; roles: Salesperson; teams: Sales Team")
    );
    assert!(
        sync.checkpoints()
            .load(user_sync::DEFAULT_CHECKPOINT_KEY)
            .await
            .expect("get")
            .is_none()
    );

    // Apply: force sync through ApplyUser, then placement.
    let applied = sync.run(&SyncOptions::default()).await.expect("apply");
    assert!(applied.full_round);
    assert_eq!(applied.unlicensed(), vec!["user4@contoso.onmicrosoft.com"]);
    let sales = w.unit("Sales").await;
    let service = w.unit("Service").await;
    assert_eq!(
        w.placement(a).await,
        (
            sales,
            vec!["Salesperson".into()],
            vec!["Sales Team".into()],
            false
        )
    );
    assert_eq!(
        w.placement(b).await,
        (service, vec!["CSR".into()], vec![], false)
    );
    assert!(
        user_sync::read_users(&w.dataverse, &[c, d])
            .await
            .expect("read")
            .is_empty()
    );

    // A second run from scratch plans nothing but another try for the unlicensed user.
    let again = sync
        .run(&SyncOptions {
            full: true,
            dry_run: true,
            ..Default::default()
        })
        .await
        .expect("second run");
    assert_eq!(kinds(&again), vec![(d, ActionKind::ForceSync)]);

    // A delta round: a moves to Service (Graph sends only what changed), b leaves Entra.
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{a}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(graph_user(a, 1, "Service", true)))
        .expect(1)
        .mount(&w.graph_server)
        .await;
    w.delta_round(
        "d1",
        vec![
            json!({"id": a, "department": "Service"}),
            json!({"id": b, "@removed": {"reason": "deleted"}}),
        ],
        "d2",
    )
    .await;
    w.delta_round("d2", vec![], "d3").await;
    // A custom role the rules never mention survives the move.
    let custom: SecurityRole = w
        .dataverse
        .roles()
        .find("Delegate")
        .in_business_unit(sales)
        .await
        .expect("role");
    let a_row = user_sync::read_users(&w.dataverse, &[a])
        .await
        .expect("read")[&a.to_string()]
        .id;
    w.dataverse
        .roles()
        .assign(custom.id, Principal::User(a_row))
        .await
        .expect("assign");

    let delta = sync
        .run(&SyncOptions {
            disable_leavers: true,
            ..Default::default()
        })
        .await
        .expect("delta round");
    assert!(!delta.full_round);
    assert_eq!(
        kinds(&delta),
        // A removed user is known by its object id only, which sorts before the names.
        vec![
            (b, ActionKind::DisableLeaver),
            (a, ActionKind::MoveUnit),
            (a, ActionKind::RemoveRole),
            (a, ActionKind::AddRole),
            (a, ActionKind::RemoveTeam),
        ]
    );
    assert_eq!(
        w.placement(a).await,
        (
            service,
            vec!["CSR".into(), "Delegate".into()],
            vec![],
            false
        )
    );
    assert!(
        w.placement(b).await.3,
        "the leaver is disabled, not deleted"
    );

    // Nothing changed since: an empty plan.
    let quiet = sync
        .run(&SyncOptions::default())
        .await
        .expect("quiet round");
    assert!(quiet.plan.actions.is_empty() && quiet.applied.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_moves_too_many_users_stops_unless_forced() {
    let w = world(&[true, true]).await;
    let [a, b] = [w.users[0], w.users[1]];
    w.full_round(
        vec![vec![
            graph_user(a, 1, "Sales", true),
            graph_user(b, 2, "Sales", true),
        ]],
        "d1",
        1,
    )
    .await;
    let sync = w.sync(Arc::new(w.admin().await)).await;
    sync.run(&SyncOptions::default()).await.expect("first sync");
    // Both change department: 2 of 2 users move, more than the file's 50%.
    w.delta_round(
        "d1",
        vec![
            graph_user(a, 1, "Service", true),
            graph_user(b, 2, "Service", true),
        ],
        "d2",
    )
    .await;
    // The share is of the managed users: the two placed plus the org's other users synced
    // from Entra (the emulator's own), so a tighter share than the file's is given here.
    let strict = SyncOptions {
        max_change_share: Some(0.2),
        ..Default::default()
    };
    let err = sync.run(&strict).await.expect_err("too many");
    assert!(
        matches!(err, SyncError::SafetyLimit { affected: 2, .. }),
        "{err}"
    );
    assert_eq!(
        w.placement(a).await.0,
        w.unit("Sales").await,
        "nothing applied"
    );
    let forced = sync
        .run(&SyncOptions {
            force: true,
            ..Default::default()
        })
        .await
        .expect("forced");
    assert_eq!(forced.plan.disrupted_users(), 2);
    assert_eq!(w.placement(b).await.0, w.unit("Service").await);
}

/// Puts users into the environment through the emulator's seeder, failing once for chosen
/// users: a crash in the middle of an apply.
#[derive(Debug)]
struct FlakyForceSync {
    seeder: Seeder,
    instance: Uuid,
    fail_once: Mutex<HashSet<Uuid>>,
}

#[async_trait]
impl ForceSync for FlakyForceSync {
    async fn force_sync(&self, user: Uuid) -> user_sync::Result<ForceSyncOutcome> {
        if self.fail_once.lock().expect("lock").remove(&user) {
            return Err(SyncError::Store(dynamics_store::StoreError::Config(
                "simulated crash".into(),
            )));
        }
        self.seeder
            .add_environment_user(self.instance, user)
            .expect("environment user");
        Ok(ForceSyncOutcome::Requested)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_pages_resumes_from_the_checkpoint() {
    let w = world(&[true, true]).await;
    let [a, b] = [w.users[0], w.users[1]];
    // Page 1 is read once; page 2 twice (the crashed run, then the resumed one).
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param_is_missing("$deltatoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": w.link("$skiptoken=p2"),
            "value": [graph_user(a, 1, "Sales", true)]
        })))
        .expect(1)
        .mount(&w.graph_server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.deltaLink": w.link("$deltatoken=d1"),
            "value": [graph_user(b, 2, "Service", true)]
        })))
        .expect(2)
        .mount(&w.graph_server)
        .await;
    let force = Arc::new(FlakyForceSync {
        seeder: w.emu.seed(),
        instance: w.emu.defaults().instance_id,
        fail_once: Mutex::new(HashSet::from([b])),
    });
    let sync = w
        .sync(force)
        .await
        .with_clock(Arc::new(dynamics_auth::SystemClock));
    let options = SyncOptions {
        user_wait: UserWait {
            timeout: Duration::from_secs(5),
            interval: Duration::from_millis(10),
        },
        ..Default::default()
    };
    let crash = sync.run(&options).await.expect_err("crashes on page 2");
    assert!(crash.to_string().contains("simulated crash"), "{crash}");
    // Page 1 is applied and the checkpoint points at page 2.
    assert_eq!(w.placement(a).await.0, w.unit("Sales").await);
    let saved = sync
        .checkpoints()
        .load(user_sync::DEFAULT_CHECKPOINT_KEY)
        .await
        .expect("get")
        .expect("saved after page 1");
    assert!(
        saved.page_cursor.expect("page").contains("skiptoken=p2"),
        "resumes at page 2"
    );

    let resumed = sync.run(&options).await.expect("resumed");
    assert!(!resumed.full_round);
    assert_eq!(kinds(&resumed), vec![(b, ActionKind::ForceSync)]);
    assert_eq!(w.placement(b).await.0, w.unit("Service").await);
    let done = sync
        .checkpoints()
        .load(user_sync::DEFAULT_CHECKPOINT_KEY)
        .await
        .expect("get")
        .expect("saved");
    assert!(
        done.delta_cursor.expect("delta").contains("deltatoken=d1") && done.page_cursor.is_none(),
        "the round is complete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_delta_link_starts_a_full_round() {
    let w = world(&[true]).await;
    let a = w.users[0];
    w.full_round(vec![vec![graph_user(a, 1, "Sales", true)]], "d1", 2)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "d1"))
        .respond_with(ResponseTemplate::new(410).set_body_json(
            json!({"error": {"code": "resyncRequired", "message": "Resync required."}}),
        ))
        .expect(1)
        .mount(&w.graph_server)
        .await;
    let sync = w.sync(Arc::new(w.admin().await)).await;
    sync.run(&SyncOptions::default()).await.expect("first");
    let again = sync.run(&SyncOptions::default()).await.expect("after 410");
    assert!(again.full_round);
    assert!(
        again.plan.actions.is_empty(),
        "already placed: {:?}",
        again.plan.actions
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_rules_place_members_and_a_week_old_delta_link_starts_a_full_round() {
    let w = world(&[true, true]).await;
    let [a, b] = [w.users[0], w.users[1]];
    let group = "22222222-0000-4000-8000-000000000001";
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param("$filter", "displayName eq 'Support Engineers'"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": group}]})))
        .expect(1)
        .mount(&w.graph_server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/groups/{group}/members")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"@odata.type": "#microsoft.graph.user", "id": b}]
        })))
        .expect(1)
        .mount(&w.graph_server)
        .await;
    // A delta link past Graph's 7 days: Graph says so, and the sync starts over.
    Mock::given(method("GET"))
        .and(query_param("$deltatoken", "stale"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"code": "syncStateNotFound", "message": "The sync state is older than 7 days."}
        })))
        .expect(1)
        .mount(&w.graph_server)
        .await;
    w.full_round(
        vec![vec![
            graph_user(a, 1, "Marketing", true),
            graph_user(b, 2, "Marketing", true),
        ]],
        "d1",
        1,
    )
    .await;
    let rules = r#"
[[placement]]
name = "support"
when = { member_of = "Support Engineers" }
business_unit = "Service"
roles = ["CSR"]
"#;
    let clock = dynamics_auth::ManualClock::starting_now();
    let sync = w
        .sync_with(Arc::new(w.admin().await), rules)
        .await
        .with_clock(Arc::new(clock.clone()));
    let stale = user_sync::Checkpoint {
        phase: user_sync::Phase::Incremental,
        page_cursor: None,
        delta_cursor: Some(w.link("$deltatoken=stale")),
        generation: 1,
        revision: 0,
    };
    assert!(
        sync.checkpoints()
            .save(user_sync::DEFAULT_CHECKPOINT_KEY, &stale)
            .await
            .expect("old checkpoint")
    );
    // Stored with these rules: only the link's age forces the full round.
    let fingerprint = RuleSet::from_toml(rules, None)
        .expect("rules")
        .fingerprint();
    w.journal()
        .await
        .set_rules_fingerprint(user_sync::DEFAULT_CHECKPOINT_KEY, &fingerprint)
        .await
        .expect("fingerprint");
    let report = sync.run(&SyncOptions::default()).await.expect("run");
    assert!(report.full_round);
    assert!(!report.rules_changed);
    assert_eq!(kinds(&report), vec![(b, ActionKind::ForceSync)]);
    assert_eq!(report.plan.skipped, 1);
    assert_eq!(
        w.placement(b).await,
        (w.unit("Service").await, vec!["CSR".into()], vec![], false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_licence_that_has_not_reached_the_environment_is_reported_not_retried() {
    // Graph lists a licence, but the environment does not see it yet: ApplyUser fails
    // with UserNotLicensed. The user is reported and the round completes.
    let w = world(&[false]).await;
    let a = w.users[0];
    w.full_round(vec![vec![graph_user(a, 1, "Sales", true)]], "d1", 1)
        .await;
    w.delta_round("d1", vec![], "d2").await;
    let sync = w.sync(Arc::new(w.admin().await)).await;
    let report = sync.run(&SyncOptions::default()).await.expect("run");
    assert_eq!(kinds(&report), vec![(a, ActionKind::ForceSync)]);
    assert_eq!(report.unlicensed(), vec!["user1@contoso.onmicrosoft.com"]);
    assert!(
        user_sync::read_users(&w.dataverse, &[a])
            .await
            .expect("read")
            .is_empty()
    );
    let saved = sync
        .checkpoints()
        .load(user_sync::DEFAULT_CHECKPOINT_KEY)
        .await
        .expect("get")
        .expect("saved");
    assert!(
        saved.delta_cursor.expect("delta").contains("deltatoken=d1"),
        "the round is done"
    );
    let next = sync.run(&SyncOptions::default()).await.expect("next round");
    assert!(
        next.plan.actions.is_empty(),
        "not retried by the delta round"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_sync_through_bap_add_user_places_the_user() {
    // The backend is the caller's choice: here the Power Platform admin API's addUser.
    let w = world(&[true, false]).await;
    let [a, b] = [w.users[0], w.users[1]];
    w.full_round(
        vec![vec![
            graph_user(a, 1, "Service", true),
            graph_user(b, 2, "Service", true),
        ]],
        "d1",
        1,
    )
    .await;
    let sync = w.sync(Arc::new(w.bap_admin())).await;
    let report = sync.run(&SyncOptions::default()).await.expect("run");
    assert_eq!(
        w.placement(a).await,
        (w.unit("Service").await, vec!["CSR".into()], vec![], false)
    );
    // addUser answers userNotLicensed for b: reported within the wait, not retried forever.
    assert_eq!(report.unlicensed(), vec!["user2@contoso.onmicrosoft.com"]);
}

/// Accepts every force sync but, for chosen users, never adds them to the environment: a
/// user the environment's security group keeps out, say.
#[derive(Debug)]
struct NeverAppears {
    seeder: Seeder,
    instance: Uuid,
    left_out: Mutex<HashSet<Uuid>>,
}

#[async_trait]
impl ForceSync for NeverAppears {
    async fn force_sync(&self, user: Uuid) -> user_sync::Result<ForceSyncOutcome> {
        if !self.left_out.lock().expect("lock").contains(&user) {
            self.seeder
                .add_environment_user(self.instance, user)
                .expect("environment user");
        }
        Ok(ForceSyncOutcome::Requested)
    }
}

fn short_wait() -> SyncOptions {
    SyncOptions {
        user_wait: UserWait {
            timeout: Duration::from_millis(200),
            interval: Duration::from_millis(20),
        },
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_that_never_appears_is_recorded_and_retried_while_the_page_completes() {
    let w = world(&[true, true]).await;
    let [a, b] = [w.users[0], w.users[1]];
    w.full_round(
        vec![vec![
            graph_user(a, 1, "Sales", true),
            graph_user(b, 2, "Service", true),
        ]],
        "d1",
        1,
    )
    .await;
    w.delta_round("d1", vec![], "d2").await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{b}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(graph_user(b, 2, "Service", true)))
        .expect(1)
        .mount(&w.graph_server)
        .await;
    let force = Arc::new(NeverAppears {
        seeder: w.emu.seed(),
        instance: w.emu.defaults().instance_id,
        left_out: Mutex::new(HashSet::from([b])),
    });
    let sync = w
        .sync(force.clone())
        .await
        .with_clock(Arc::new(dynamics_auth::SystemClock));
    let report = sync.run(&short_wait()).await.expect("the page completes");
    assert_eq!(w.placement(a).await.0, w.unit("Sales").await);
    let failed = report.failed();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "user2@contoso.onmicrosoft.com");
    assert!(failed[0].1.contains("did not appear"), "{failed:?}");
    let saved = sync
        .checkpoints()
        .load(user_sync::DEFAULT_CHECKPOINT_KEY)
        .await
        .expect("load")
        .expect("saved");
    assert!(
        saved
            .delta_cursor
            .is_some_and(|link| link.contains("deltatoken=d1"))
            && saved.page_cursor.is_none(),
        "the round is done"
    );
    assert!(
        w.journal()
            .await
            .retry_list()
            .await
            .expect("list")
            .contains_key(&b)
    );

    // The next (delta) run retries b, which now comes through, and clears the list.
    force.left_out.lock().expect("lock").clear();
    let next = sync.run(&short_wait()).await.expect("retry");
    assert_eq!(kinds(&next), vec![(b, ActionKind::ForceSync)]);
    assert!(next.failed().is_empty());
    assert_eq!(w.placement(b).await.0, w.unit("Service").await);
    assert!(
        w.journal()
            .await
            .retry_list()
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_noted_before_an_unfinished_move_are_given_back_by_the_next_run() {
    let w = world(&[true]).await;
    let a = w.users[0];
    w.full_round(vec![vec![graph_user(a, 1, "Sales", true)]], "d1", 1)
        .await;
    w.delta_round("d1", vec![], "d2").await;
    w.delta_round("d2", vec![], "d3").await;
    let sync = w.sync(Arc::new(w.admin().await)).await;
    sync.run(&SyncOptions::default()).await.expect("placed");
    // A run stopped right after a move: the user's custom role was noted, not given back.
    let delegate: SecurityRole = w
        .dataverse
        .roles()
        .find("Delegate")
        .in_business_unit(w.unit("Sales").await)
        .await
        .expect("role");
    let row = user_sync::read_users(&w.dataverse, &[a])
        .await
        .expect("read")[&a.to_string()]
        .id;
    w.journal()
        .await
        .hold_roles(row, &[delegate.root_role_id()])
        .await
        .expect("note");
    // A dry run changes nothing, not even this.
    sync.run(&SyncOptions {
        dry_run: true,
        ..Default::default()
    })
    .await
    .expect("dry run");
    assert_eq!(w.placement(a).await.1, vec!["Salesperson".to_owned()]);

    sync.run(&SyncOptions::default()).await.expect("resume");
    assert_eq!(
        w.placement(a).await.1,
        vec!["Delegate".to_owned(), "Salesperson".to_owned()]
    );
    assert!(
        w.journal()
            .await
            .held_roles()
            .await
            .expect("held")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_rules_start_a_full_round_that_places_unchanged_users_again() {
    let w = world(&[true]).await;
    let a = w.users[0];
    w.full_round(vec![vec![graph_user(a, 1, "Sales", true)]], "d1", 2)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$deltatoken", "d1"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&w.graph_server)
        .await;
    let admin: Arc<dyn ForceSync> = Arc::new(w.admin().await);
    w.sync(admin.clone())
        .await
        .run(&SyncOptions::default())
        .await
        .expect("placed");
    let edited = RULES.replace(
        "business_unit = \"Sales\"\nteams",
        "business_unit = \"Service\"\nteams",
    );
    assert_ne!(edited, RULES);
    let report = w
        .sync_with(admin, &edited)
        .await
        .run(&SyncOptions {
            force: true,
            ..Default::default()
        })
        .await
        .expect("full round");
    assert!(report.rules_changed && report.full_round);
    assert_eq!(w.placement(a).await.0, w.unit("Service").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_on_two_pages_is_planned_from_its_last_entry_only() {
    let w = world(&[true]).await;
    let a = w.users[0];
    w.full_round(
        vec![
            vec![graph_user(a, 1, "Sales", true)],
            vec![graph_user(a, 1, "Service", true)],
        ],
        "d1",
        1,
    )
    .await;
    let sync = w.sync(Arc::new(w.admin().await)).await;
    let report = sync
        .run(&SyncOptions {
            dry_run: true,
            ..Default::default()
        })
        .await
        .expect("dry run");
    assert_eq!(kinds(&report), vec![(a, ActionKind::ForceSync)]);
    assert!(report.plan.actions[0].detail.contains("unit: Service"));
    assert_eq!(report.plan.considered, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_while_reading_a_changed_user_again_does_not_disable_it() {
    let w = world(&[true]).await;
    let a = w.users[0];
    w.full_round(vec![vec![graph_user(a, 1, "Sales", true)]], "d1", 1)
        .await;
    w.delta_round("d1", vec![json!({"id": a, "department": "Sales"})], "d2")
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{a}")))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error": {"code": "Request_ResourceNotFound", "message": "not found"}}),
        ))
        .expect(2)
        .mount(&w.graph_server)
        .await;
    let sync = w.sync(Arc::new(w.admin().await)).await;
    let options = SyncOptions {
        disable_leavers: true,
        ..Default::default()
    };
    sync.run(&options).await.expect("placed");
    let report = sync.run(&options).await.expect("delta round");
    assert!(report.plan.actions.is_empty(), "{:?}", report.plan.actions);
    assert!(!w.placement(a).await.3, "still enabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_round_disables_known_users_it_no_longer_returns() {
    // No delta round ever reported b's removal (say its `@removed` fell in a round that
    // expired): the next full round does not return b, and the reconciliation disables it.
    let w = world(&[true, true]).await;
    let [a, b] = [w.users[0], w.users[1]];
    let first = json!({
        "@odata.deltaLink": w.link("$deltatoken=d1"),
        "value": [graph_user(a, 1, "Sales", true), graph_user(b, 2, "Sales", true)]
    });
    let second = json!({
        "@odata.deltaLink": w.link("$deltatoken=d2"),
        "value": [graph_user(a, 1, "Sales", true)]
    });
    for body in [first, second] {
        Mock::given(method("GET"))
            .and(path("/v1.0/users/delta"))
            .and(query_param_is_missing("$deltatoken"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .up_to_n_times(1)
            .expect(1)
            .mount(&w.graph_server)
            .await;
    }
    let sync = w.sync(Arc::new(w.admin().await)).await;
    sync.run(&SyncOptions::default()).await.expect("first");
    assert!(!w.placement(b).await.3);
    let full = SyncOptions {
        full: true,
        disable_leavers: true,
        force: true,
        ..Default::default()
    };
    let report = sync.run(&full).await.expect("full round");
    assert!(report.full_round);
    assert_eq!(kinds(&report), vec![(b, ActionKind::DisableLeaver)]);
    assert!(w.placement(b).await.3, "disabled, not deleted");
    assert!(!w.placement(a).await.3);
    // b is forgotten: the ledger holds a only, marked with the second generation.
    let saved = sync
        .checkpoints()
        .load(user_sync::DEFAULT_CHECKPOINT_KEY)
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(saved.phase, user_sync::Phase::Incremental);
    assert_eq!(saved.generation, 2);
    let known = sync
        .checkpoints()
        .unseen(user_sync::DEFAULT_CHECKPOINT_KEY, i64::MAX, 10)
        .await
        .expect("known");
    assert_eq!(known, vec![a.to_string()]);
}

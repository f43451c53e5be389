//! Workflow: sync Entra users into business units by rules (`sync_users_to_business_units`,
//! issue 13 §3). The example's world (200 staff, three departments, two countries, the rules
//! in `reference/user-sync/business_units.toml`) on the emulator: a dry run changes nothing,
//! the apply places everyone, Entra changes are followed, a quiet run plans nothing; and the
//! real `d365 users sync` killed with SIGKILL mid-apply resumes to the same end state.

#[path = "../examples/common/user_sync_demo.rs"]
mod demo;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use dynamics_emulator::Emulator;
use dynamics_rs::dataverse::DataverseClient;
use dynamics_rs::user_sync::{
    ActionKind, CheckpointStore, SilentProgress, SqlCheckpoints, SyncOptions, UserSync, read_users,
};
use uuid::Uuid;

const STAFF: usize = 200;

/// A user as the org has it: unit name, roles and teams (sorted), disabled.
type Placement = (String, Vec<String>, Vec<String>, bool);

/// Every given user's placement, by Entra object id.
async fn placements(org: &DataverseClient, users: &[Uuid]) -> BTreeMap<Uuid, Placement> {
    let units = org.business_units().list().await.expect("units");
    let unit_name = |id: Option<Uuid>| {
        units
            .iter()
            .find(|u| Some(u.id) == id)
            .and_then(|u| u.name.clone())
            .unwrap_or_default()
    };
    read_users(org, users)
        .await
        .expect("read users")
        .into_values()
        .map(|u| {
            let mut roles: Vec<String> = u.roles.iter().filter_map(|r| r.name.clone()).collect();
            let mut teams: Vec<String> = u.teams.iter().filter_map(|t| t.name.clone()).collect();
            roles.sort();
            teams.sort();
            let placement = (unit_name(u.business_unit), roles, teams, u.is_disabled());
            (
                u.entra_id.expect("synced users carry their object id"),
                placement,
            )
        })
        .collect()
}

/// What the rules give staff member `n` (from 1), as a clean run leaves it.
fn expected(n: usize) -> Placement {
    let department = demo::DEPARTMENTS[(n - 1) % 3];
    let in_germany = (n - 1).is_multiple_of(2);
    let (role, mut teams) = match department {
        "Sales" => ("Salesperson", vec!["Sales Team"]),
        "Engineering" => ("Engineer", vec!["Engineering Team"]),
        _ if in_germany => ("Support Agent", vec!["Support Team", "Support Germany"]),
        _ => ("Support Agent", vec!["Support Team"]),
    };
    teams.sort();
    (
        department.to_owned(),
        vec![role.to_owned()],
        teams.into_iter().map(str::to_owned).collect(),
        false,
    )
}

fn expected_all(staff: &[Uuid]) -> BTreeMap<Uuid, Placement> {
    staff
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, expected(i + 1)))
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn kinds_of(report: &dynamics_rs::user_sync::SyncReport) -> BTreeMap<ActionKind, usize> {
    report.plan.counts()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_are_placed_by_the_rules_changes_follow_and_a_quiet_run_does_nothing() {
    let emulator = Emulator::start().await.expect("emulator");
    let staff = demo::seed_staff(&emulator, STAFF).expect("staff");
    let clients = demo::emulator_clients(&emulator).await.expect("clients");
    let org = clients.dataverse.clone();
    demo::prepare_org(&org).await.expect("org");
    demo::prepare_org(&org)
        .await
        .expect("a second prepare changes nothing");
    let dir = temp_dir("user-sync-workflow");
    let checkpoints = Arc::new(
        SqlCheckpoints::open_sqlite(&dir.join("state.sqlite"))
            .await
            .expect("store"),
    );
    let sync = UserSync::new(
        clients.graph,
        org.clone(),
        Arc::new(clients.force_sync),
        checkpoints.clone(),
        demo::rules().expect("rules"),
    )
    .with_progress(Arc::new(SilentProgress));
    let options = SyncOptions {
        disable_leavers: true,
        ..Default::default()
    };
    let dry_run = SyncOptions {
        dry_run: true,
        ..options.clone()
    };

    // Dry run: every staff member would be force-synced; nothing happens.
    let preview = sync.run(&dry_run).await.expect("dry run");
    assert_eq!(
        kinds_of(&preview),
        BTreeMap::from([(ActionKind::ForceSync, STAFF)])
    );
    assert_eq!(
        preview.plan.skipped,
        preview.plan.considered - STAFF,
        "the seeded admins are filtered out"
    );
    assert!(placements(&org, &staff).await.is_empty());
    assert!(
        checkpoints
            .load(dynamics_rs::user_sync::DEFAULT_CHECKPOINT_KEY)
            .await
            .expect("load")
            .is_none()
    );

    // Apply: three units, each with its team and role; Support in Germany in two teams.
    let applied = sync.run(&options).await.expect("apply");
    assert!(applied.full_round);
    assert_eq!(
        demo::users_per_unit(&org, &staff).await.expect("count"),
        BTreeMap::from([
            ("Engineering".to_owned(), 67),
            ("Sales".to_owned(), 67),
            ("Support".to_owned(), 66),
        ])
    );
    assert_eq!(placements(&org, &staff).await, expected_all(&staff));

    // A second run: the delta round is empty and the plan too.
    let quiet = sync.run(&options).await.expect("quiet");
    assert!(!quiet.full_round);
    assert!(quiet.plan.actions.is_empty(), "{:?}", quiet.plan.actions);

    // Entra changes: moved, disabled, two hired.
    let changes = demo::change_some(&emulator, &staff).expect("changes");
    let preview = sync.run(&dry_run).await.expect("dry run after changes");
    assert_eq!(
        kinds_of(&preview),
        BTreeMap::from([
            (ActionKind::ForceSync, 2),
            (ActionKind::MoveUnit, 1),
            (ActionKind::RemoveRole, 1),
            (ActionKind::AddRole, 1),
            (ActionKind::RemoveTeam, 1),
            (ActionKind::AddTeam, 1),
            (ActionKind::DisableLeaver, 1),
        ])
    );
    sync.run(&options).await.expect("apply changes");
    let mut everyone = staff.clone();
    everyone.extend(changes.hired);
    let now = placements(&org, &everyone).await;
    assert_eq!(
        now[&changes.moved],
        (
            "Engineering".to_owned(),
            vec!["Engineer".to_owned()],
            vec!["Engineering Team".to_owned()],
            false
        ),
        "moved with the new department's role and team only"
    );
    let (unit, roles, teams, disabled) = &now[&changes.disabled];
    assert!(*disabled, "the leaver is disabled");
    assert_eq!(
        (unit.as_str(), roles.len(), teams.len()),
        ("Engineering", 1, 1),
        "and kept as it was (never deleted)"
    );
    assert_eq!(now[&changes.hired[0]], expected(1), "Sales in Germany");
    assert_eq!(
        now[&changes.hired[1]],
        (
            "Support".to_owned(),
            vec!["Support Agent".to_owned()],
            vec!["Support Team".to_owned()],
            false
        ),
        "Support in France"
    );
    assert_eq!(
        demo::users_per_unit(&org, &everyone).await.expect("count"),
        BTreeMap::from([
            ("Engineering".to_owned(), 67),
            ("Engineering (disabled)".to_owned(), 1),
            ("Sales".to_owned(), 67),
            ("Support".to_owned(), 67),
        ])
    );

    let last = sync.run(&options).await.expect("last");
    assert!(last.plan.actions.is_empty(), "{:?}", last.plan.actions);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `d365` binary next to this test's executable (`target/<profile>/d365`).
fn d365_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let binary = profile_dir.join(format!("d365{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build -p d365`",
        binary.display()
    );
    binary
}

/// `d365 users sync` against the emulator as its administrator (password on stdin).
fn d365_sync(emulator: &Emulator, rules: &Path, state: &Path, extra: &[&str]) -> Command {
    let base = emulator
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let mut cmd = Command::new(d365_binary());
    cmd.args(["users", "sync", "--rules"])
        .arg(rules)
        .arg("--state")
        .arg(state)
        .args(["--graph-url", emulator.graph_url().as_str()])
        .args(["--poll-interval-ms", "20", "--json"])
        .args(extra)
        .args(["--service-url", &base, "--authority-host", &base])
        .args(["--org-url", &base])
        .arg("--client-id")
        .arg(emulator.defaults().public_client_id.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars() {
        if name.starts_with("D365_") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn sign_in_on_stdin(emulator: &Emulator, child: &mut std::process::Child) {
    let user = &emulator.defaults().user;
    let mut input = child.stdin.take().expect("stdin");
    let _ = input.write_all(format!("{}\n{}\n", user.upn, user.password).as_bytes());
}

/// Runs to the end; answers the JSON report.
fn run_to_end(mut cmd: Command, emulator: &Emulator) -> serde_json::Value {
    let mut child = cmd.spawn().expect("d365 starts");
    sign_in_on_stdin(emulator, &mut child);
    let out = child.wait_with_output().expect("d365 ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "d365 failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d365_killed_mid_apply_resumes_to_the_clean_end_state() {
    // The emulator lives in this process, so it outlives the killed child.
    let emulator = Emulator::start().await.expect("emulator");
    let staff = demo::seed_staff(&emulator, STAFF).expect("staff");
    let clients = demo::emulator_clients(&emulator).await.expect("clients");
    let org = clients.dataverse.clone();
    demo::prepare_org(&org).await.expect("org");
    let dir = temp_dir("user-sync-crash");
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, demo::RULES).expect("rules");
    let state = dir.join("state.sqlite");

    // Graph pages hold 100 users: the first page's progress line comes while page 2 is
    // still to be applied. Kill the child (SIGKILL) as soon as it is printed.
    let mut child = d365_sync(&emulator, &rules, &state, &[])
        .spawn()
        .expect("d365 starts");
    sign_in_on_stdin(&emulator, &mut child);
    let stderr = child.stderr.take().expect("stderr");
    let killed = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("stderr line");
            let first_page_done = line.starts_with("applied page 1/");
            seen.push(line);
            if first_page_done {
                child.kill().expect("kill -9");
                let status = child.wait().expect("reaped");
                return (status, seen);
            }
        }
        panic!("d365 ended before applying a page: {seen:#?}");
    })
    .await
    .expect("watcher");
    assert!(!killed.0.success(), "killed, not finished: {:?}", killed.1);
    let after_crash = placements(&org, &staff).await;
    assert!(
        after_crash.len() >= 90 && after_crash.len() < STAFF,
        "the first page is in, the rest is not: {} synced",
        after_crash.len()
    );

    // Restart: the run resumes from page 2 and completes.
    let resumed = run_to_end(d365_sync(&emulator, &rules, &state, &[]), &emulator);
    assert_eq!(
        resumed["full_round"], false,
        "resumed, not restarted: {resumed}"
    );
    assert_eq!(placements(&org, &staff).await, expected_all(&staff));
    assert_eq!(
        demo::users_per_unit(&org, &staff).await.expect("count"),
        BTreeMap::from([
            ("Engineering".to_owned(), 67),
            ("Sales".to_owned(), 67),
            ("Support".to_owned(), 66),
        ])
    );

    // And a further run is a no-op.
    let quiet = run_to_end(d365_sync(&emulator, &rules, &state, &[]), &emulator);
    assert_eq!(quiet["plan"]["actions"], serde_json::json!([]), "{quiet}");
    let _ = std::fs::remove_dir_all(&dir);
}

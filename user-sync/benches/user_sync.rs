//! User sync throughput and memory (issue 13 §3): a tenant of 50,000 users
//! (`GeneratedUsers`, three departments, two countries, all licensed), a first sync (plan,
//! then apply: every user force-synced and placed), then a delta sync after 1,000 users moved
//! department. Reports users/s per phase and the sync's peak memory.
//!
//! ```sh
//! cargo bench -p user-sync --bench user_sync              # 50,000 users (build in release)
//! cargo bench -p user-sync --bench user_sync -- --quick   # 5,000 users, 500 changes
//! ```
//!
//! The emulator runs in this process; each sync runs in a child process (this executable
//! again, with `--child`), so the peak memory reported is the sync's own (`VmHWM` of the
//! child, Linux), not the emulator's. Both share the machine's cores: the conditions
//! (cores, profile, load average) are printed with the numbers.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{
    Authority, ClientSecretCredential, CredentialOptions, TokenCredential,
    UsernamePasswordCredential,
};
use dynamics_emulator::{Emulator, EmulatorConfig, GeneratedUsers, PlaceSeed};
use online_mgmt_api::{
    AdminApi, AdminBackend, ClientOptions as AdminOptions, EnvironmentName, OnlineManagementClient,
    ServiceEndpoint, WaitOptions,
};
use serde_json::{Value, json};
use user_sync::{
    AdminForceSync, GraphClient, GraphOptions, RuleSet, SilentProgress, SqlCheckpoints,
    SyncOptions, UserSync,
};
use uuid::Uuid;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const DEPARTMENTS: [&str; 3] = ["Sales", "Engineering", "Support"];
const RULES: &str = r#"
default = "skip"

[filter]
all = [{ attribute = "userPrincipalName", op = "starts_with", value = "bench" }]

[[placement]]
name = "sales"
when = { attribute = "department", op = "equals", value = "Sales" }
business_unit = "Sales"
teams = ["Sales Team"]
roles = ["Salesperson"]

[[placement]]
name = "engineering"
when = { attribute = "department", op = "equals", value = "Engineering" }
business_unit = "Engineering"
teams = ["Engineering Team"]
roles = ["Engineer"]

[[placement]]
name = "support"
when = { attribute = "department", op = "equals", value = "Support" }
business_unit = "Support"
teams = ["Support Team"]
roles = ["Support Agent"]
"#;
/// Users applied at once (the sync's `concurrency`). Each force-synced user holds a worker
/// for at least one ApplyUser poll interval (100 ms), so this bounds the first sync at
/// `CONCURRENCY / 0.1 s` users/s whatever the machine.
const CONCURRENCY: usize = 32;
const SKU: Uuid = Uuid::from_u128(0xbe7c_0000_0000_4000_8000_0000_0000_0001);

/// What the child needs to reach the emulator (loopback only; the secrets are the
/// emulator's seeded test values).
struct Target {
    base: String,
    graph: String,
    tenant: Uuid,
    client_id: Uuid,
    secret: String,
    public_client_id: Uuid,
    admin_upn: String,
    admin_password: String,
    instance: Uuid,
    state: String,
}

impl Target {
    fn to_env(&self, cmd: &mut Command) {
        cmd.env("US_BENCH_BASE", &self.base)
            .env("US_BENCH_GRAPH", &self.graph)
            .env("US_BENCH_TENANT", self.tenant.to_string())
            .env("US_BENCH_CLIENT", self.client_id.to_string())
            .env("US_BENCH_SECRET", &self.secret)
            .env("US_BENCH_PUBLIC_CLIENT", self.public_client_id.to_string())
            .env("US_BENCH_ADMIN_UPN", &self.admin_upn)
            .env("US_BENCH_ADMIN_PASSWORD", &self.admin_password)
            .env("US_BENCH_INSTANCE", self.instance.to_string())
            .env("US_BENCH_STATE", &self.state);
    }

    fn from_env() -> Result<Self, BoxError> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Target {
            base: var("US_BENCH_BASE")?,
            graph: var("US_BENCH_GRAPH")?,
            tenant: var("US_BENCH_TENANT")?.parse()?,
            client_id: var("US_BENCH_CLIENT")?.parse()?,
            secret: var("US_BENCH_SECRET")?,
            public_client_id: var("US_BENCH_PUBLIC_CLIENT")?.parse()?,
            admin_upn: var("US_BENCH_ADMIN_UPN")?,
            admin_password: var("US_BENCH_ADMIN_PASSWORD")?,
            instance: var("US_BENCH_INSTANCE")?.parse()?,
            state: var("US_BENCH_STATE")?,
        })
    }
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let phase = args.get(i + 1).ok_or("--child needs a phase")?;
        return runtime.block_on(child(phase));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (users, changes) = if quick { (5_000, 500) } else { (50_000, 1_000) };
    runtime.block_on(parent(users, changes))
}

/// Seeds the tenant and the org, runs the first sync, changes users, runs the delta sync.
async fn parent(users: usize, changes: usize) -> Result<(), BoxError> {
    conditions(users, changes);
    // An ApplyUser operation ends on its first poll, with no `Retry-After`: the sync then waits
    // only the poller's floor (100 ms) per force-synced user. With the default (two polls, one
    // second apart, capped at 100 ms here) the first sync measured mostly those waits.
    let emulator = Emulator::start_with(EmulatorConfig {
        admin_operation_polls: 1,
        admin_retry_after_secs: 0,
        ..EmulatorConfig::default()
    })
    .await?;
    let d = emulator.defaults().clone();
    let spec = GeneratedUsers {
        prefix: "bench".to_owned(),
        departments: DEPARTMENTS.iter().map(|s| (*s).to_owned()).collect(),
        places: vec![
            PlaceSeed::new("Berlin", "Germany", "DE"),
            PlaceSeed::new("Lyon", "France", "FR"),
        ],
        ..GeneratedUsers::new(users)
    };
    let seeded = Instant::now();
    emulator.seed().add_users(
        d.tenant_id,
        spec.users(d.tenant_id, &d.tenant_domain).map(|mut u| {
            u.licences = vec![SKU];
            u
        }),
    )?;
    eprintln!("seeded {users} users in {:.1?}", seeded.elapsed());
    let dir = std::env::temp_dir().join(format!("user-sync-bench-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let target = Target {
        base: emulator
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        graph: emulator.graph_url().to_string(),
        tenant: d.tenant_id,
        client_id: d.client_id,
        secret: d.client_secret.clone(),
        public_client_id: d.public_client_id,
        admin_upn: d.user.upn.clone(),
        admin_password: d.user.password.clone(),
        instance: d.instance_id,
        state: dir.join("state.sqlite").display().to_string(),
    };
    prepare_org(&dataverse(&target)?).await?;

    let first = run_child(&target, "first").await?;
    report("first sync", users, &first);

    // 1,000 (or 500) users move department: a move, a role and a team each way.
    for n in (1..=users).step_by(users / changes).take(changes) {
        let id = GeneratedUsers::object_id(d.tenant_id, "bench", n);
        let next = DEPARTMENTS[n % DEPARTMENTS.len()].to_owned();
        emulator
            .seed()
            .update_user(d.tenant_id, id, |u| u.department = Some(next))?;
    }
    let delta = run_child(&target, "delta").await?;
    report(&format!("delta sync ({changes} changed)"), changes, &delta);
    // Other work on the machine moves the numbers: say how busy it was by the end too.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_else(|_| "unknown".into());
    println!(
        "load average at the end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = std::fs::remove_dir_all(&dir);
    emulator.shutdown().await;
    Ok(())
}

fn conditions(users: usize, changes: usize) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "debug (numbers are for development only)"
    } else {
        "release"
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_else(|_| "unknown".into());
    println!("user sync benchmark: {users} users, then {changes} changes");
    println!(
        "conditions: {cores} cores, {profile} profile, load average {}, sync concurrency \
         {CONCURRENCY}, ApplyUser done at its first poll (>= 100 ms per user), emulator in the \
         parent process",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn report(name: &str, users: usize, result: &Value) {
    let secs = |key: &str| result[key].as_f64().unwrap_or(f64::NAN);
    let per_sec = |s: f64| users as f64 / s;
    println!(
        "{name:<28} plan {:>7.2} s ({:>7.0} users/s) | apply {:>7.2} s ({:>7.0} users/s) | \
         {:>6} actions | peak memory of the sync {:>6.1} MiB",
        secs("plan_secs"),
        per_sec(secs("plan_secs")),
        secs("apply_secs"),
        per_sec(secs("apply_secs")),
        result["actions"],
        result["peak_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0,
    );
}

/// Runs one phase in a child process; answers its JSON line.
async fn run_child(target: &Target, phase: &str) -> Result<Value, BoxError> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["--child", phase]);
    target.to_env(&mut cmd);
    let out = tokio::task::spawn_blocking(move || cmd.output()).await??;
    if !out.status.success() {
        return Err(format!(
            "the {phase} sync failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().ok_or("the child printed nothing")?;
    Ok(serde_json::from_str(line)?)
}

/// One phase: a dry run (the plan), then the apply (which plans again and applies).
async fn child(phase: &str) -> Result<(), BoxError> {
    let target = Target::from_env()?;
    let sync = sync(&target).await?;
    let options = SyncOptions {
        force: true,
        concurrency: CONCURRENCY,
        ..Default::default()
    };
    let started = Instant::now();
    sync.run(&SyncOptions {
        dry_run: true,
        ..options.clone()
    })
    .await?;
    let plan = started.elapsed();
    let started = Instant::now();
    let done = sync.run(&options).await?;
    let apply = started.elapsed().saturating_sub(plan);
    let line = json!({
        "phase": phase,
        "plan_secs": plan.as_secs_f64(),
        // The apply run reads and plans again; its planning share is taken off.
        "apply_secs": apply.max(Duration::from_millis(1)).as_secs_f64(),
        "actions": done.applied.len(),
        "peak_kib": peak_kib(),
    });
    println!("{line}");
    Ok(())
}

/// The process's peak resident set (Linux `VmHWM`), in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn authority(target: &Target) -> Result<Authority, BoxError> {
    Ok(Authority::with_host(
        &target.base,
        &target.tenant.to_string(),
    )?)
}

fn app(target: &Target) -> Result<Arc<dyn TokenCredential>, BoxError> {
    Ok(Arc::new(ClientSecretCredential::new(
        authority(target)?,
        target.client_id,
        target.secret.clone(),
        CredentialOptions::default(),
    )?))
}

fn dataverse(target: &Target) -> Result<DataverseClient, BoxError> {
    Ok(DataverseClient::new(
        &target.base,
        app(target)?,
        ClientOptions::default(),
    )?)
}

async fn sync(target: &Target) -> Result<UserSync, BoxError> {
    let graph = GraphClient::new(&target.graph, app(target)?, GraphOptions::default())?;
    let admin: Arc<dyn TokenCredential> = Arc::new(UsernamePasswordCredential::new(
        authority(target)?,
        target.public_client_id,
        &target.admin_upn,
        target.admin_password.clone(),
        CredentialOptions::default(),
    )?);
    let oma = OnlineManagementClient::connect(
        ServiceEndpoint::Custom(format!("{}/", target.base).parse()?),
        admin,
        AdminOptions::default(),
    )
    .await?;
    let force = AdminForceSync::new(
        AdminApi::new(AdminBackend::OnlineManagement(oma)),
        EnvironmentName::from(target.instance),
        WaitOptions {
            timeout: Duration::from_secs(120),
            default_interval: Duration::from_millis(10),
            max_interval: Duration::from_millis(100),
        },
    );
    Ok(UserSync::new(
        graph,
        dataverse(target)?,
        Arc::new(force),
        Arc::new(SqlCheckpoints::open_sqlite(target.state.as_ref()).await?),
        RuleSet::from_toml(RULES, None)?,
    )
    .with_progress(Arc::new(SilentProgress)))
}

/// The business units, teams and roles the rules name.
async fn prepare_org(org: &DataverseClient) -> Result<(), BoxError> {
    let root = org.business_units().root().await?;
    for unit in DEPARTMENTS {
        let unit = org
            .business_units()
            .create(unit)
            .parent(root.id)
            .send()
            .await?;
        let team = format!(
            "{} Team",
            unit.name.as_deref().ok_or("the unit has a name")?
        );
        org.teams()
            .create(team)
            .business_unit(unit.id)
            .send()
            .await?;
    }
    for role in ["Salesperson", "Engineer", "Support Agent"] {
        org.table("roles")
            .create(&json!({
                "name": role,
                "businessunitid@odata.bind": format!("/businessunits({})", root.id),
            }))
            .await?;
    }
    Ok(())
}

//! The real `d365` binary against an emulator started in this test process: the old
//! utility's workflow (config file, password on stdin), the new commands, every exit code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use dynamics_emulator::Emulator;
use serde_json::Value;
use uuid::Uuid;

const SAMPLE_TENANT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SAMPLE_APP: &str = "11111111-2222-3333-4444-555555555555";

/// One run of the binary.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }

    /// Every failure is one line on stderr (besides warnings and notes).
    fn error_line(&self) -> &str {
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "one error line expected: {self:#?}");
        errors[0]
    }
}

/// A fresh empty directory under Cargo's scratch space.
fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "d365-e2e-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// How to run the binary.
struct Invocation {
    args: Vec<String>,
    stdin: Option<String>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
}

impl Invocation {
    fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Invocation {
            args: args.into_iter().map(Into::into).collect(),
            stdin: None,
            env: Vec::new(),
            cwd: scratch_dir(),
        }
    }

    fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Runs it on a blocking thread, so the emulator keeps serving meanwhile.
    async fn run(self) -> Run {
        tokio::task::spawn_blocking(move || self.run_blocking())
            .await
            .expect("the run finished")
    }

    fn run_blocking(self) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_d365"));
        cmd.args(&self.args)
            .current_dir(&self.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Hermetic: no D365_* settings from the developer's shell.
        for (name, _) in std::env::vars() {
            if name.starts_with("D365_") || name == "RUST_LOG" {
                cmd.env_remove(name);
            }
        }
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        let mut child = cmd.spawn().expect("d365 starts");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            if let Some(text) = &self.stdin {
                // The binary may exit before reading (a usage error): ignore a broken pipe.
                let _ = stdin.write_all(text.as_bytes());
            }
        }
        let output = child.wait_with_output().expect("d365 ends");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The emulator and the flags that point the binary at it.
struct Fixture {
    emulator: Emulator,
}

impl Fixture {
    async fn start() -> Self {
        Fixture {
            emulator: Emulator::start().await.expect("emulator starts"),
        }
    }

    fn base(&self) -> String {
        self.emulator
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    fn tenant(&self) -> String {
        self.emulator.defaults().tenant_id.to_string()
    }

    /// `--service-url`, `--authority-host` and the emulator's public client.
    fn target_flags(&self) -> Vec<String> {
        vec![
            "--service-url".into(),
            self.base(),
            "--authority-host".into(),
            self.base(),
            "--client-id".into(),
            self.emulator.defaults().public_client_id.to_string(),
        ]
    }

    /// The sample XML config with the placeholder tenant replaced by the emulator's.
    fn xml_config(&self, dir: &Path) -> PathBuf {
        let sample = include_str!("../examples/CDSTestdriveUtility.exe.config");
        let path = dir.join("CDSTestdriveUtility.exe.config");
        std::fs::write(&path, sample.replace(SAMPLE_TENANT, &self.tenant())).expect("write");
        path
    }

    /// The sample TOML config, likewise.
    fn toml_config(&self, dir: &Path) -> PathBuf {
        let sample = include_str!("../examples/d365.toml");
        let path = dir.join("d365.toml");
        std::fs::write(&path, sample.replace(SAMPLE_TENANT, &self.tenant())).expect("write");
        path
    }

    /// `args` + the target flags, signed in as alice with the user name and password piped
    /// on stdin (as a script would answer the old utility's prompts).
    fn as_alice<S: AsRef<str>>(&self, args: &[S]) -> Invocation {
        let user = &self.emulator.defaults().user;
        self.invocation(args)
            .stdin(&format!("{}\n{}\n", user.upn, user.password))
    }

    fn invocation<S: AsRef<str>>(&self, args: &[S]) -> Invocation {
        let mut all: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        all.extend(self.target_flags());
        Invocation::new(all)
    }

    async fn listed_apps(&self, extra: &[&str]) -> Vec<Uuid> {
        let mut args = vec!["listallapps", "--json"];
        args.extend_from_slice(extra);
        let run = self.as_alice(&args).run().await;
        run.assert_code(0);
        run.json()
            .as_array()
            .expect("an array")
            .iter()
            .map(|a| {
                Uuid::parse_str(a["application_id"].as_str().expect("application_id"))
                    .expect("a GUID")
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whitelistapp_with_the_old_config_and_a_piped_password_then_list_and_unregister() {
    let fx = Fixture::start().await;
    let dir = scratch_dir();
    let config = fx.xml_config(&dir);
    let config = config.display().to_string();
    let app = Uuid::parse_str(SAMPLE_APP).expect("guid");

    let run = fx
        .as_alice(&["whitelistapp", "--config", &config])
        .run()
        .await;
    run.assert_code(0);
    assert!(
        run.stdout.contains(&format!("Application {app}")) && run.stdout.contains("registered"),
        "{run:#?}"
    );
    // The prompts go to stderr only when stdin is a terminal; nothing secret is echoed.
    let password = &fx.emulator.defaults().user.password;
    assert!(!run.stdout.contains(password.as_str()) && !run.stderr.contains(password.as_str()));

    let listed = fx.listed_apps(&["--config", &config]).await;
    assert!(listed.contains(&app), "{listed:?}");

    // Registering again changes nothing, and says so.
    let run = fx
        .as_alice(&["whitelistapp", "--config", &config])
        .run()
        .await;
    run.assert_code(0);
    assert!(run.stdout.contains("already registered"), "{run:#?}");

    let run = fx
        .as_alice(&["unregisterapp", "--config", &config])
        .run()
        .await;
    run.assert_code(0);
    assert!(run.stdout.contains("no longer registered"), "{run:#?}");
    let listed = fx.listed_apps(&["--config", &config]).await;
    assert!(!listed.contains(&app), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_list_prints_an_aligned_table() {
    let fx = Fixture::start().await;
    let app = Uuid::new_v4().to_string();
    let tenant = fx.tenant();
    fx.as_alice(&["apps", "register", "--app-id", &app, "--tenant-id", &tenant])
        .run()
        .await
        .assert_code(0);
    let run = fx.as_alice(&["apps", "list"]).run().await;
    run.assert_code(0);
    let mut lines = run.stdout.lines();
    let header = lines.next().expect("a header");
    assert!(header.starts_with("APPLICATION ID"), "{header}");
    let tenant_column = header.find("TENANT ID").expect("tenant column");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&app))
        .unwrap_or_else(|| panic!("{app} listed: {run:#?}"));
    assert_eq!(
        row.find(&tenant),
        Some(tenant_column),
        "aligned: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_toml_config_works_the_same() {
    let fx = Fixture::start().await;
    let dir = scratch_dir();
    let config = fx.toml_config(&dir).display().to_string();
    fx.as_alice(&["apps", "register", "--config", &config])
        .run()
        .await
        .assert_code(0);
    let listed = fx.listed_apps(&["--config", &config]).await;
    assert!(listed.contains(&Uuid::parse_str(SAMPLE_APP).expect("guid")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_beats_the_file_and_flags_beat_the_environment() {
    let fx = Fixture::start().await;
    let dir = scratch_dir();
    let config = fx.xml_config(&dir).display().to_string();
    let from_env = Uuid::new_v4().to_string();
    let from_flag = Uuid::new_v4().to_string();

    // The environment variable replaces the file's AadApplicationId.
    fx.as_alice(&["whitelistapp", "--config", &config])
        .env("D365_AAD_APPLICATION_ID", &from_env)
        .run()
        .await
        .assert_code(0);
    // The flag replaces the environment variable.
    fx.as_alice(&["whitelistapp", "--config", &config, "--app-id", &from_flag])
        .env("D365_AAD_APPLICATION_ID", &from_env)
        .run()
        .await
        .assert_code(0);
    let listed = fx.listed_apps(&["--config", &config]).await;
    assert!(listed.contains(&Uuid::parse_str(&from_env).expect("guid")));
    assert!(listed.contains(&Uuid::parse_str(&from_flag).expect("guid")));
    assert!(
        !listed.contains(&Uuid::parse_str(SAMPLE_APP).expect("guid")),
        "the file's value was overridden: {listed:?}"
    );

    // `config show` tells where each value came from.
    let run = Invocation::new([
        "config",
        "show",
        "--json",
        "--config",
        &config,
        "--service-url",
        "crm4",
    ])
    .env("D365_SERVICE_URL", "EMEA")
    .env("D365_AAD_APPLICATION_ID", &from_env)
    .env("D365_CLIENT_SECRET", "never-shown-secret")
    .run()
    .await;
    run.assert_code(0);
    assert!(!run.stdout.contains("never-shown-secret"));
    let shown = run.json();
    let setting = |key: &str| {
        shown["settings"]
            .as_array()
            .expect("settings")
            .iter()
            .find(|s| s["key"] == key)
            .cloned()
            .expect("listed")
    };
    assert_eq!(setting("ServiceURL")["value"], "crm4");
    assert_eq!(setting("ServiceURL")["source"], "flag --service-url");
    assert_eq!(setting("AadApplicationId")["value"], from_env.as_str());
    assert_eq!(
        setting("AadApplicationId")["source"],
        "env D365_AAD_APPLICATION_ID"
    );
    assert!(
        setting("AadAppTenantId")["source"]
            .as_str()
            .expect("source")
            .starts_with("file ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_sync_waits_for_apply_user() {
    let fx = Fixture::start().await;
    let d = fx.emulator.defaults();
    let environment = d.instance_id.to_string();
    let user = d.non_admin_user.object_id.to_string();
    let args = [
        "users",
        "force-sync",
        "--environment",
        &environment,
        "--user",
        &user,
        "--poll-interval-ms",
        "20",
        "--json",
    ];
    let run = fx.as_alice(&args).run().await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["status"], "Succeeded", "{run:#?}");
    assert_eq!(json["environment_id"], environment.as_str());
    assert_eq!(json["user_object_id"], user.as_str());
    assert_eq!(json["backend"], "oma");
    let operation = json["operation_id"].as_str().expect("operation id");
    Uuid::parse_str(operation).expect("a GUID");

    // The operation can be looked up afterwards.
    let run = fx
        .as_alice(&["operations", "wait", operation, "--poll-interval-ms", "20"])
        .run()
        .await;
    run.assert_code(0);
    assert!(run.stdout.contains("Succeeded"), "{run:#?}");

    // Human output says it in a sentence.
    let run = fx.as_alice(&args[..8]).run().await;
    run.assert_code(0);
    assert!(
        run.stdout.contains("is synced into environment"),
        "{run:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_list_and_get() {
    let fx = Fixture::start().await;
    let id = fx.emulator.defaults().instance_id.to_string();
    let run = fx.as_alice(&["instances", "list", "--json"]).run().await;
    run.assert_code(0);
    let listed = run.json();
    assert!(
        listed
            .as_array()
            .expect("array")
            .iter()
            .any(|i| i["id"] == id.as_str()),
        "{run:#?}"
    );
    let run = fx.as_alice(&["instances", "get", &id]).run().await;
    run.assert_code(0);
    assert!(run.stdout.contains("Unique name"), "{run:#?}");

    let unknown = Uuid::new_v4().to_string();
    let run = fx.as_alice(&["instances", "get", &unknown]).run().await;
    run.assert_code(5);
    assert!(
        run.error_line().contains(&format!("instance {unknown}")),
        "{run:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bap_backend_registers_and_lists_management_apps() {
    let fx = Fixture::start().await;
    let app = Uuid::new_v4();
    let app_text = app.to_string();
    let tenant = fx.tenant();
    let run = fx
        .as_alice(&[
            "--backend",
            "bap",
            "apps",
            "register",
            "--app-id",
            &app_text,
            "--tenant-id",
            &tenant,
            "--json",
        ])
        .run()
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["application_id"], app_text.as_str());
    let listed = fx.listed_apps(&["--backend", "bap"]).await;
    assert!(listed.contains(&app), "{listed:?}");
    fx.as_alice(&["--backend", "bap", "unregisterapp", "--app-id", &app_text])
        .run()
        .await
        .assert_code(0);
    let listed = fx.listed_apps(&["--backend", "bap"]).await;
    assert!(!listed.contains(&app), "{listed:?}");

    // addUser is synchronous: no operation id.
    let d = fx.emulator.defaults();
    let run = fx
        .as_alice(&[
            "--backend",
            "bap",
            "users",
            "force-sync",
            "--environment",
            &d.instance_id.to_string(),
            "--user",
            &d.non_admin_user.object_id.to_string(),
            "--json",
        ])
        .run()
        .await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["backend"], "bap");
    assert!(json["operation_id"].is_null(), "{json}");
    assert!(
        fx.emulator
            .seed()
            .environment_users(d.instance_id)
            .contains(&d.non_admin_user.object_id)
    );

    // Instances are an Online Management API command.
    let run = fx
        .as_alice(&["--backend", "bap", "instances", "list"])
        .run()
        .await;
    run.assert_code(2);
}

#[cfg(feature = "emulator")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_mode_needs_nothing_else() {
    let d = {
        let emu = Emulator::start().await.expect("emulator");
        emu.defaults().clone()
    };
    let app = Uuid::new_v4().to_string();
    let run = Invocation::new(["--emulator", "whitelistapp", "--app-id", &app, "--json"])
        .run()
        .await;
    run.assert_code(0);
    assert!(run.stderr.contains("note: --emulator"), "{run:#?}");
    assert_eq!(run.json()["application_id"], app.as_str());
    assert_eq!(run.json()["tenant_id"], d.tenant_id.to_string().as_str());

    let run = Invocation::new([
        "--emulator",
        "users",
        "force-sync",
        "--environment",
        &d.instance_id.to_string(),
        "--user",
        &d.non_admin_user.object_id.to_string(),
        "--poll-interval-ms",
        "20",
    ])
    .run()
    .await;
    run.assert_code(0);
    assert!(
        run.stdout.contains("is synced into environment"),
        "{run:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_mode_replaces_the_config_files_tenant() {
    let tenant = {
        let emu = Emulator::start().await.expect("emulator");
        emu.defaults().tenant_id.to_string()
    };
    // The shipped sample, unchanged: its tenant and service URL are not the emulator's.
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/CDSTestdriveUtility.exe.config"
    );
    let run = Invocation::new(["--emulator", "whitelistapp", "--config", sample, "--json"])
        .run()
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["application_id"], SAMPLE_APP, "{run:#?}");
    assert_eq!(run.json()["tenant_id"], tenant.as_str(), "{run:#?}");
    assert_ne!(tenant, SAMPLE_TENANT);
    // The environment is replaced too; an explicit --tenant-id still wins (and the
    // emulator refuses a foreign tenant, as the service does).
    let run = Invocation::new(["--emulator", "whitelistapp", "--config", sample, "--json"])
        .env("D365_TENANT_ID", SAMPLE_TENANT)
        .run()
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["tenant_id"], tenant.as_str(), "{run:#?}");
    let run = Invocation::new([
        "--emulator",
        "whitelistapp",
        "--config",
        sample,
        "--tenant-id",
        SAMPLE_TENANT,
    ])
    .run()
    .await;
    assert_ne!(run.code, 0, "{run:#?}");
}

#[test]
fn a_closed_stdout_is_success_without_an_error() {
    for args in [
        &["--emulator", "listallapps"][..],
        &["--emulator", "instances", "list", "--json"][..],
    ] {
        // The reader is gone before the binary starts, so every write to stdout is EPIPE.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_d365"));
        for (name, _) in std::env::vars() {
            if name.starts_with("D365_") || name == "RUST_LOG" {
                cmd.env_remove(name);
            }
        }
        let output = cmd
            .args(args)
            .current_dir(scratch_dir())
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("d365 runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_json_every_usage_failure_prints_the_error_object_with_a_fix() {
    let dir = scratch_dir();
    let bad_guid = dir.join("bad.toml");
    std::fs::write(&bad_guid, "AadApplicationId = \"not-a-guid\"\n").expect("write");
    let bad_xml = dir.join("bad.config");
    std::fs::write(&bad_xml, "<configuration><appSettings>").expect("write");
    let missing = dir.join("missing.config");
    let bad_guid = bad_guid.display().to_string();
    let bad_xml = bad_xml.display().to_string();
    let missing = missing.display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["--json", "registerap"],
        vec!["listallapps", "--json", "--no-such-flag"],
        vec!["--json", "apps"],
        vec!["--json", "instances", "get", "not-a-guid"],
        vec![
            "--json",
            "--emulator",
            "whitelistapp",
            "--config",
            &bad_guid,
        ],
        vec!["--json", "--emulator", "listallapps", "--config", &bad_xml],
        vec!["--json", "--emulator", "listallapps", "--config", &missing],
        vec![
            "--json",
            "whitelistapp",
            "--service-url",
            "https://contoso.crm4.dynamics.com",
        ],
    ];
    for args in runs {
        let run = Invocation::new(args.clone()).run().await;
        run.assert_code(2);
        let json = run.json();
        let error = &json["error"];
        assert_eq!(error["kind"], "usage", "{args:?}: {run:#?}");
        assert_eq!(error["exit_code"], 2, "{args:?}: {run:#?}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{run:#?}"
        );
        assert!(
            error["fix"].as_str().is_some_and(|f| !f.is_empty()),
            "{args:?}: fix is null: {run:#?}"
        );
        run.error_line();
    }
    // The fix of a misspelt command is clap's suggestion.
    let run = Invocation::new(["--json", "registerap"]).run().await;
    let fix = run.json()["error"]["fix"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(fix.contains("registerapp"), "{run:#?}");
    // Without --json, clap's own text is unchanged.
    let run = Invocation::new(["registerap"]).run().await;
    run.assert_code(2);
    assert!(
        run.stdout.is_empty() && run.stderr.contains("Usage:"),
        "{run:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_guids_and_bad_config_files_exit_2_before_any_prompt() {
    let fx = Fixture::start().await;
    let run = fx
        .invocation(&["whitelistapp", "--app-id", "not-a-guid", "--tenant-id", "x"])
        .run()
        .await;
    run.assert_code(2);
    let line = run.error_line();
    assert!(
        line.contains("--app-id") && line.contains("not a GUID"),
        "{line}"
    );
    assert!(
        !run.stderr.contains("Password"),
        "no prompt before the check"
    );

    let run = fx
        .invocation(&[
            "users",
            "force-sync",
            "--environment",
            "nope",
            "--user",
            "x",
        ])
        .run()
        .await;
    run.assert_code(2);
    // One line that says where the value is found; nothing on stdout without --json.
    let line = run.error_line();
    assert!(
        line.contains("is not a GUID") && line.contains("To fix: use an instance id"),
        "{line}"
    );
    assert!(run.stdout.is_empty(), "{run:#?}");

    // The default environment's name is for the Power Platform admin API only: refused for
    // the Online Management API before any sign-in.
    let default_environment = format!("Default-{}", fx.tenant());
    let run = fx
        .invocation(&[
            "users",
            "force-sync",
            "--environment",
            &default_environment,
            "--user",
            "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b",
        ])
        .run()
        .await;
    run.assert_code(2);
    let line = run.error_line();
    assert!(
        line.contains("takes the instance id") && line.contains("--backend bap"),
        "{line}"
    );
    assert!(
        !run.stderr.contains("Password"),
        "no prompt before the check"
    );

    let dir = scratch_dir();
    let broken = dir.join("CDSTestdriveUtility.exe.config");
    std::fs::write(
        &broken,
        "<configuration>\n  <appSettings>\n</configuration>\n",
    )
    .expect("write");
    let run = fx
        .invocation(&["listallapps", "--config", &broken.display().to_string()])
        .run()
        .await;
    run.assert_code(2);
    let line = run.error_line();
    assert!(
        line.contains("CDSTestdriveUtility.exe.config") && line.contains("line"),
        "{line}"
    );

    let bad_value = dir.join("bad.toml");
    std::fs::write(
        &bad_value,
        "AadApplicationId = \"my-app\"\nAadAppTenantId = \"x\"\n",
    )
    .expect("write");
    let run = fx
        .invocation(&["whitelistapp", "--config", &bad_value.display().to_string()])
        .run()
        .await;
    run.assert_code(2);
    assert!(run.error_line().contains("AadApplicationId in"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_mfa_exit_3_with_a_hint() {
    let fx = Fixture::start().await;
    let d = fx.emulator.defaults();
    let tenant = fx.tenant();
    let run = fx
        .invocation(&[
            "apps",
            "list",
            "--authority",
            &format!("https://login.microsoftonline.com/{tenant}"),
        ])
        .stdin(&format!("{}\nnot-the-password\n", d.user.upn))
        .run()
        .await;
    run.assert_code(3);
    let line = run.error_line();
    assert!(line.contains("AADSTS50126"), "{line}");
    assert!(
        line.contains("To fix: check the user name and password"),
        "{line}"
    );
    assert!(!run.stderr.contains("not-the-password"));

    let run = fx
        .invocation(&["apps", "list", "-u", &d.mfa_user.upn])
        .env("D365_TENANT_ID", &tenant)
        .stdin(&format!("{}\n", d.mfa_user.password))
        .run()
        .await;
    run.assert_code(3);
    assert!(run.error_line().contains("use --device-code"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_admin_exits_4_with_the_role_message() {
    let fx = Fixture::start().await;
    let dave = &fx.emulator.defaults().non_admin_user;
    let run = fx
        .invocation(&["listallapps", "--username", &dave.upn])
        .env("D365_TENANT_ID", &fx.tenant())
        .stdin(&format!("{}\n", dave.password))
        .run()
        .await;
    run.assert_code(4);
    assert!(
        run.error_line()
            .to_lowercase()
            .contains("the signed-in account needs the global or service administrator role"),
        "{run:#?}"
    );
    // The fix says how to get the role instead of repeating the message.
    let line = run.error_line();
    let (message, fix) = line.split_once(". To fix: ").expect("a fix");
    assert_ne!(message.trim_start_matches("error: "), fix, "{run:#?}");
    assert!(!fix.contains("needs the Global"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistering_an_unknown_app_exits_5() {
    let fx = Fixture::start().await;
    let app = Uuid::new_v4().to_string();
    let run = fx
        .as_alice(&["unregisterapp", "--app-id", &app, "--json"])
        .env("D365_TENANT_ID", &fx.tenant())
        .run()
        .await;
    run.assert_code(5);
    assert!(run.error_line().contains(&app), "{run:#?}");
    assert_eq!(run.json()["error"]["exit_code"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_after_the_retries_exits_7() {
    let fx = Fixture::start().await;
    fx.emulator.seed().throttle_admin_requests(1);
    let run = fx
        .as_alice(&["listallapps", "--max-retries", "0"])
        .run()
        .await;
    run.assert_code(7);
    assert!(run.error_line().contains("429"), "{run:#?}");

    // With retries, one throttled answer is ridden out (Retry-After: 1 s).
    fx.emulator.seed().throttle_admin_requests(1);
    fx.as_alice(&["listallapps", "--max-retries", "1"])
        .run()
        .await
        .assert_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_sync_adds_the_user_on_the_service_side_and_a_failed_operation_exits_6() {
    let fx = Fixture::start().await;
    let d = fx.emulator.defaults();
    let dave = d.non_admin_user.object_id;
    assert!(
        !fx.emulator
            .seed()
            .environment_users(d.instance_id)
            .contains(&dave)
    );
    let environment = d.instance_id.to_string();
    fx.as_alice(&[
        "users",
        "force-sync",
        "--environment",
        &environment,
        "--user",
        &dave.to_string(),
        "--poll-interval-ms",
        "20",
    ])
    .run()
    .await
    .assert_code(0);
    assert!(
        fx.emulator
            .seed()
            .environment_users(d.instance_id)
            .contains(&dave)
    );

    // An unlicensed user: ApplyUser ends Failed (UserNotLicensed).
    let run = fx
        .as_alice(&[
            "users",
            "force-sync",
            "--environment",
            &environment,
            "--user",
            &d.unlicensed_user.object_id.to_string(),
            "--poll-interval-ms",
            "20",
        ])
        .run()
        .await;
    run.assert_code(6);
    assert!(run.error_line().contains("license"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_registered_by_an_admin_signs_in_app_only_as_test_drive_does() {
    let fx = Fixture::start().await;
    let d = fx.emulator.defaults();
    let app = d.client_id.to_string();
    let tenant = fx.tenant();
    let base = fx.base();
    let app_only = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(["--service-url".into(), base.clone()]);
        all.extend(["--authority-host".into(), base.clone()]);
        Invocation::new(all)
            .env("D365_AAD_APPLICATION_ID", &app)
            .env("D365_TENANT_ID", &tenant)
            .env("D365_CLIENT_SECRET", &d.client_secret)
    };

    // Not registered yet: 403, and the fix says to register it.
    let run = app_only(&["listallapps"]).run().await;
    run.assert_code(4);
    assert!(run.error_line().contains("d365 apps register"), "{run:#?}");
    // It cannot register itself.
    let run = app_only(&["whitelistapp"]).run().await;
    run.assert_code(2);
    assert!(
        run.error_line().contains("cannot register itself"),
        "{run:#?}"
    );
    assert!(!run.stderr.contains(&d.client_secret));

    // An administrator registers it; then it can force-sync users on its own.
    fx.as_alice(&["whitelistapp", "--app-id", &app, "--tenant-id", &tenant])
        .run()
        .await
        .assert_code(0);
    let run = app_only(&[
        "users",
        "force-sync",
        "--environment",
        &d.instance_id.to_string(),
        "--user",
        &d.non_admin_user.object_id.to_string(),
        "--poll-interval-ms",
        "20",
        "--json",
    ])
    .run()
    .await;
    run.assert_code(0);
    assert_eq!(run.json()["status"], "Succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_prints_the_instructions_on_stderr() {
    let fx = Fixture::start().await;
    fx.emulator
        .seed()
        .set_device_code_behaviour(dynamics_emulator::DeviceCodeBehaviour {
            interval_secs: 1,
            ..Default::default()
        });
    let run = fx
        .invocation(&["instances", "list", "--device-code", "--json"])
        .env("D365_TENANT_ID", &fx.tenant())
        .run()
        .await;
    run.assert_code(0);
    assert!(run.stderr.contains("devicelogin"), "{run:#?}");
    assert!(run.json().as_array().is_some_and(|a| !a.is_empty()));
    // Once the browser step is done, it says who signed in (the emulator approves as its
    // seeded administrator), once, on stderr only, and never the token.
    let expected = format!(
        "Signed in as {} (tenant {}).",
        fx.emulator.defaults().user.upn,
        fx.tenant()
    );
    assert_eq!(run.stderr.matches(&expected).count(), 1, "{run:#?}");
    assert!(!run.stdout.contains("Signed in as"), "{run:#?}");
    assert!(!run.stderr.contains("eyJ"), "no token on stderr: {run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_sign_in_says_who_signed_in_only_with_verbose() {
    let fx = Fixture::start().await;
    let upn = &fx.emulator.defaults().user.upn;
    let expected = format!("Signed in as {upn} (tenant {}).", fx.tenant());
    let quiet = fx
        .as_alice(&["listallapps", "--json"])
        .env("D365_TENANT_ID", &fx.tenant())
        .run()
        .await;
    quiet.assert_code(0);
    assert!(!quiet.stderr.contains("Signed in as"), "{quiet:#?}");
    let verbose = fx
        .as_alice(&["listallapps", "--json", "-v"])
        .env("D365_TENANT_ID", &fx.tenant())
        .run()
        .await;
    verbose.assert_code(0);
    assert_eq!(verbose.stderr.matches(&expected).count(), 1, "{verbose:#?}");
    assert!(
        !verbose.stderr.contains("eyJ"),
        "no token on stderr: {verbose:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_consent_exits_3_with_the_admin_consent_url() {
    let fx = Fixture::start().await;
    let tenant = fx.emulator.defaults().tenant_id;
    let client = Uuid::new_v4();
    fx.emulator
        .seed()
        .add_app(
            tenant,
            dynamics_emulator::AppSeed {
                public_client: true,
                redirect_uris: vec!["http://localhost".into()],
                ..dynamics_emulator::AppSeed::new(client, "Unconsented CLI")
            },
        )
        .expect("app added");
    let base = fx.base();
    let client_text = client.to_string();
    let args = [
        "listallapps",
        "--service-url",
        &base,
        "--authority-host",
        &base,
        "--client-id",
        &client_text,
    ];
    let user = &fx.emulator.defaults().user;
    let run = Invocation::new(args)
        .env("D365_TENANT_ID", &tenant.to_string())
        .stdin(&format!("{}\n{}\n", user.upn, user.password))
        .run()
        .await;
    run.assert_code(3);
    let line = run.error_line();
    assert!(line.contains("AADSTS65001"), "{line}");
    assert!(
        line.contains(&format!("/{tenant}/adminconsent?client_id={client}")),
        "{line}"
    );
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_says_each_retry_and_exits_6() {
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let tenant = "c0a7e5a0-0000-4000-8000-000000000001";
    let run = Invocation::new([
        "listallapps",
        "--service-url",
        &closed,
        "--authority-host",
        &closed,
        "--tenant-id",
        tenant,
        "-u",
        "alice@contoso.onmicrosoft.com",
        "--max-retries",
        "1",
    ])
    .env("D365_PASSWORD", "not-used")
    .run()
    .await;
    run.assert_code(6);
    assert!(
        run.stderr
            .contains("admin service did not answer (attempt 1 of 2), retrying in "),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("not-used"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_sign_in_host_exits_6_like_any_unreachable_host() {
    let fx = Fixture::start().await;
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let user = &fx.emulator.defaults().user;
    let run = Invocation::new([
        "listallapps",
        "--service-url",
        &fx.base(),
        "--authority-host",
        &closed,
        "--client-id",
        &fx.emulator.defaults().public_client_id.to_string(),
        "-u",
        &user.upn,
        "--max-retries",
        "0",
    ])
    .env("D365_TENANT_ID", &fx.tenant())
    .env("D365_PASSWORD", &user.password)
    .run()
    .await;
    run.assert_code(6);
    assert!(!run.stderr.contains(user.password.as_str()), "{run:#?}");
    // The sign-in's own retries are said too.
    assert!(
        run.stderr
            .contains("sign-in request failed (attempt 1 of 3), retrying in "),
        "{run:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_each_admin_request_with_its_status_and_seconds_timestamps() {
    let fx = Fixture::start().await;
    let run = fx
        .as_alice(&["listallapps", "-v"])
        .env("D365_TENANT_ID", &fx.tenant())
        .run()
        .await;
    run.assert_code(0);
    let expected = format!(
        "request: GET {}/api/v1.2/TenantApplicationIdentities -> 200 in ",
        fx.base()
    );
    assert!(run.stderr.contains(&expected), "{run:#?}");
    // Log lines start with a timestamp to the second: `2026-12-06T04:05:04Z DEBUG ...`.
    let stamped = run
        .stderr
        .lines()
        .find(|l| l.contains("DEBUG"))
        .expect("a debug line");
    let stamp = stamped.split_whitespace().next().expect("a timestamp");
    assert_eq!(stamp.len(), 20, "{stamped}");
    assert!(stamp.ends_with('Z') && !stamp.contains('.'), "{stamped}");
    let password = &fx.emulator.defaults().user.password;
    assert!(!run.stderr.contains(password.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_given_as_its_domain_signs_in_and_registering_asks_for_the_guid() {
    let fx = Fixture::start().await;
    let domain = fx.emulator.defaults().tenant_domain.clone();
    let run = fx
        .as_alice(&["listallapps"])
        .env("D365_TENANT_ID", &domain)
        .run()
        .await;
    run.assert_code(0);
    let run = fx
        .as_alice(&[
            "whitelistapp",
            "--app-id",
            SAMPLE_APP,
            "--tenant-id",
            &domain,
        ])
        .run()
        .await;
    run.assert_code(2);
    assert!(run.error_line().contains("Overview"), "{run:#?}");
    let run = fx
        .as_alice(&["listallapps", "--tenant-id", "contoso"])
        .run()
        .await;
    run.assert_code(2);
    assert!(run.error_line().contains("Tenant ID"), "{run:#?}");
}

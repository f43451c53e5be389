//! The `d365 leads serve` processes: spawned from the built binary, waited for until their
//! health endpoint answers, killed with SIGKILL and restarted on the same port.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::emulator::{WRITER_APP, WRITER_SECRET};

/// Environment variable holding the intake URL secret for the spawned processes.
const SECRET_ENV: &str = "D365_LEADS_SECRET";
/// How often readiness is polled.
const READY_POLL: Duration = Duration::from_millis(50);
/// A process that crashes on its own this many times in a row fails the run.
const MAX_FAILED_STARTS: u32 = 5;

/// What every process is started with.
#[derive(Debug, Clone)]
pub(crate) struct ServeSpec {
    /// The `d365` binary.
    pub(crate) binary: PathBuf,
    /// The emulator's base URL (authority host and org).
    pub(crate) emulator_url: String,
    /// The emulator's tenant.
    pub(crate) tenant: String,
    /// `--spool`.
    pub(crate) spool: String,
    /// The intake URL secret.
    pub(crate) url_secret: String,
    /// `--lease-secs`.
    pub(crate) lease_secs: u64,
    /// `--retry-initial-secs`, `--retry-max-secs` and `--max-attempts`.
    pub(crate) retry: RetryPolicy,
    /// Where each process's output goes (`<name>.log`, appended across restarts).
    pub(crate) log_dir: PathBuf,
    /// How long a start may take before the run fails (a bound, not a timing goal).
    pub(crate) ready_within: Duration,
}

/// The spool's retry flags of `leads serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// `--retry-initial-secs`.
    pub(crate) initial_secs: u64,
    /// `--retry-max-secs`.
    pub(crate) max_secs: u64,
    /// `--max-attempts`.
    pub(crate) max_attempts: u32,
}

/// One `leads serve` process and its history.
#[derive(Debug)]
pub(crate) struct Process {
    /// `a`, `b`, ...
    pub(crate) name: String,
    port: u16,
    child: Option<Child>,
    /// Starts, the first included.
    pub(crate) starts: u32,
    /// SIGKILLs sent.
    pub(crate) kills: u32,
    /// Exits nobody asked for (a start that failed, such as the writer's start-up metadata
    /// read losing every retry to injected faults).
    pub(crate) crashes: u32,
}

/// A free loopback port (bound, read, released; the process binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Process {
    /// A process not started yet, on a fresh port.
    pub(crate) fn new(name: &str) -> Process {
        Process {
            name: name.to_owned(),
            port: free_port(),
            child: None,
            starts: 0,
            kills: 0,
            crashes: 0,
        }
    }

    /// The intake URL (secret included) the load generator posts to.
    pub(crate) fn intake_url(&self, spec: &ServeSpec) -> String {
        format!("http://127.0.0.1:{}/leads/{}", self.port, spec.url_secret)
    }

    fn health_url(&self) -> String {
        format!("http://127.0.0.1:{}/healthz", self.port)
    }

    fn log_path(&self, spec: &ServeSpec) -> PathBuf {
        spec.log_dir.join(format!("{}.log", self.name))
    }

    fn spawn(&mut self, spec: &ServeSpec) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path(spec))
            .expect("the process log opens");
        let err = log.try_clone().expect("the process log clones");
        let lease = spec.lease_secs.to_string();
        let (initial, max, attempts) = (
            spec.retry.initial_secs.to_string(),
            spec.retry.max_secs.to_string(),
            spec.retry.max_attempts.to_string(),
        );
        let listen = format!("127.0.0.1:{}", self.port);
        let child = Command::new(&spec.binary)
            .args([
                "leads",
                "serve",
                "--spool",
                &spec.spool,
                "--listen",
                &listen,
            ])
            .args(["--lease-secs", &lease, "--org-url", &spec.emulator_url])
            .args(["--retry-initial-secs", &initial, "--retry-max-secs", &max])
            .args(["--max-attempts", &attempts])
            .args(["--authority-host", &spec.emulator_url])
            .args(["--tenant-id", &spec.tenant, "--verbose"])
            // The writer's warnings (lost leases, parked leads) and the pipeline's retries.
            .env("RUST_LOG", "lead_writer=warn,dynamics_http=info")
            .env(SECRET_ENV, &spec.url_secret)
            .env("D365_AAD_APPLICATION_ID", WRITER_APP.to_string())
            .env("D365_TENANT_ID", &spec.tenant)
            .env("D365_CLIENT_SECRET", WRITER_SECRET)
            // No settings file of the machine's user gets in the way.
            .env("HOME", &spec.log_dir)
            .current_dir(&spec.log_dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", spec.binary.display()));
        self.child = Some(child);
        self.starts += 1;
    }

    /// Starts the process and waits until it answers `/healthz`. A start that exits is
    /// counted as a crash and tried again, up to [`MAX_FAILED_STARTS`] in a row.
    pub(crate) async fn start(&mut self, spec: &ServeSpec, http: &reqwest::Client) {
        let mut failed = 0;
        loop {
            self.spawn(spec);
            if self.wait_ready(spec, http).await {
                return;
            }
            self.crashes += 1;
            failed += 1;
            assert!(
                failed < MAX_FAILED_STARTS,
                "`leads serve` {} failed to start {failed} times in a row; its log:\n{}",
                self.name,
                self.log_tail(spec)
            );
        }
    }

    /// `true` once `/healthz` answers 200; `false` if the process exited first.
    async fn wait_ready(&mut self, spec: &ServeSpec, http: &reqwest::Client) -> bool {
        let started = Instant::now();
        loop {
            if !self.is_running() {
                return false;
            }
            if let Ok(answer) = http.get(self.health_url()).send().await
                && answer.status().is_success()
            {
                return true;
            }
            assert!(
                started.elapsed() < spec.ready_within,
                "`leads serve` {} did not become ready within {:?}; its log:\n{}",
                self.name,
                spec.ready_within,
                self.log_tail(spec)
            );
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// Whether the process is alive (an exit nobody asked for is reaped here).
    pub(crate) fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => match child.try_wait() {
                Ok(None) => true,
                Ok(Some(_)) | Err(_) => {
                    self.child = None;
                    false
                }
            },
            None => false,
        }
    }

    /// SIGKILL (`Child::kill` on Unix), then reap.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            self.kills += 1;
        }
    }

    /// Stops the process at the end of the run (SIGKILL: nothing it could still do matters
    /// to the checks, which read the spool and the table afterwards).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last lines of the process's log, for a failure message.
    pub(crate) fn log_tail(&self, spec: &ServeSpec) -> String {
        let text = std::fs::read_to_string(self.log_path(spec)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

//! Benchmarks run the emulator in a child process (this same binary, started again with
//! `DYNAMICS_BENCH_SERVER` set), so the client's time and memory are measured alone.

#![allow(dead_code)] // Each benchmark uses part of this.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions, TokenCredential};
use dynamics_emulator::{
    BatchCounting, DataverseConfig, DataverseLimits, Emulator, EmulatorConfig, FaultInjection,
    LatencyModel,
};
use dynamics_http::{AttemptObserver, AttemptOutcome};

const ROLE: &str = "DYNAMICS_BENCH_SERVER";

/// What the child emulator is asked to be.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerSpec {
    pub(crate) limits: Option<(Duration, u32, Duration, u32)>,
    pub(crate) latency: Option<(Duration, Duration)>,
    pub(crate) dop_hint: Option<u32>,
    pub(crate) generated_leads: usize,
    /// Shares of requests answered 503 and of connections dropped (fault injection).
    pub(crate) faults: Option<(f64, f64)>,
}

impl ServerSpec {
    fn encode(&self) -> String {
        let (w, r, e, c) = self.limits.unwrap_or_default();
        let (pr, po) = self.latency.unwrap_or_default();
        format!(
            "{},{},{},{},{},{},{},{},{},{},{}",
            u8::from(self.limits.is_some()),
            w.as_millis(),
            r,
            e.as_millis(),
            c,
            pr.as_micros(),
            po.as_micros(),
            self.dop_hint.unwrap_or(8),
            self.generated_leads,
            // Rates in millionths, so the spec stays a list of integers.
            (self.faults.map_or(0.0, |f| f.0) * 1e6) as u64,
            (self.faults.map_or(0.0, |f| f.1) * 1e6) as u64,
        )
    }

    fn decode(text: &str) -> Option<ServerSpec> {
        let v: Vec<u64> = text
            .split(',')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let [on, w, r, e, c, pr, po, hint, leads, unavailable, dropped] = v[..] else {
            return None;
        };
        Some(ServerSpec {
            limits: (on == 1).then(|| {
                (
                    Duration::from_millis(w),
                    r as u32,
                    Duration::from_millis(e),
                    c as u32,
                )
            }),
            latency: Some((Duration::from_micros(pr), Duration::from_micros(po))),
            dop_hint: Some(hint as u32),
            generated_leads: leads as usize,
            faults: (unavailable > 0 || dropped > 0)
                .then(|| (unavailable as f64 / 1e6, dropped as f64 / 1e6)),
        })
    }

    /// The emulator's configuration for this spec.
    pub(crate) fn config(&self) -> DataverseConfig {
        let mut config = DataverseConfig::default();
        if let Some((window, max_requests, max_execution_time, max_concurrent_requests)) =
            self.limits
        {
            config.limits = DataverseLimits {
                enabled: true,
                window,
                max_requests,
                max_execution_time,
                max_concurrent_requests,
                batch_counting: BatchCounting::PerOperation,
            };
        }
        if let Some((per_request, per_operation)) = self.latency {
            config.latency = LatencyModel {
                per_request,
                per_operation,
            };
        }
        if let Some(hint) = self.dop_hint {
            config.dop_hint = hint;
        }
        if let Some((unavailable_rate, drop_rate)) = self.faults {
            config.faults = FaultInjection {
                unavailable_rate,
                drop_rate,
                ..FaultInjection::default()
            };
        }
        config
    }
}

/// In the child: run the emulator until stdin closes, and return `true`. In the parent: `false`.
pub(crate) fn serve_if_child() -> bool {
    let Ok(spec) = std::env::var(ROLE) else {
        return false;
    };
    let spec = ServerSpec::decode(&spec).expect("server spec");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let emulator = Emulator::start_with(EmulatorConfig {
            dataverse: spec.config(),
            ..Default::default()
        })
        .await
        .expect("emulator");
        if spec.generated_leads > 0 {
            emulator.seed().insert_generated_leads(spec.generated_leads);
        }
        println!("LISTENING {}", emulator.base_url());
        // Run until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("stdin");
        emulator.shutdown().await;
    });
    true
}

/// A child emulator and its base URL; it stops when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base_url: String,
}

impl Server {
    /// The emulator child's process id (to read its CPU time from `/proc`).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn start(spec: &ServerSpec) -> Server {
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .env(ROLE, spec.encode())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the emulator");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read");
        let base_url = line
            .trim()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("unexpected line from the emulator: {line}"))
            .to_string();
        Server { child, base_url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// A client for the child emulator, signed in app-only with the default seed's secret.
pub(crate) fn client(base_url: &str) -> DataverseClient {
    client_with(base_url, ClientOptions::default())
}

/// Attempts by outcome, as a client's pipeline saw them.
#[derive(Debug, Default)]
pub(crate) struct AttemptCounts {
    answered: AtomicUsize,
    throttled_requests: AtomicUsize,
    throttled_execution: AtomicUsize,
    throttled_concurrency: AtomicUsize,
    unavailable: AtomicUsize,
    failed: AtomicUsize,
    /// Microseconds of the answered attempts' latency (below 400), summed.
    answered_micros: std::sync::atomic::AtomicU64,
    /// When each 429 came, after the first attempt.
    throttled_at: std::sync::Mutex<(Option<std::time::Instant>, Vec<f64>)>,
}

impl AttemptObserver for AttemptCounts {
    fn on_attempt(&self, outcome: &AttemptOutcome) {
        let code = outcome.error.as_ref().and_then(|(code, _)| code.as_deref());
        let counter = match (outcome.status, code) {
            (Some(429), Some("0x80072322")) => &self.throttled_requests,
            (Some(429), Some("0x80072321")) => &self.throttled_execution,
            (Some(429), _) => &self.throttled_concurrency,
            (Some(503), _) => &self.unavailable,
            (Some(_), _) => &self.answered,
            (None, _) => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if outcome.status.is_some_and(|s| s < 400) {
            let micros = u64::try_from(outcome.latency.as_micros()).unwrap_or(u64::MAX);
            self.answered_micros.fetch_add(micros, Ordering::Relaxed);
        }
        let mut times = self.throttled_at.lock().unwrap_or_else(|p| p.into_inner());
        let start = *times.0.get_or_insert_with(std::time::Instant::now);
        if outcome.status == Some(429) {
            times.1.push(start.elapsed().as_secs_f64());
        }
    }
}

impl std::fmt::Display for AttemptCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        write!(
            f,
            "attempts: {} answered, 429 {} requests / {} execution / {} concurrency, {} 503, {} no answer",
            n(&self.answered),
            n(&self.throttled_requests),
            n(&self.throttled_execution),
            n(&self.throttled_concurrency),
            n(&self.unavailable),
            n(&self.failed),
        )?;
        let answered = n(&self.answered);
        if answered > 0 {
            let total = self.answered_micros.load(Ordering::Relaxed) as f64;
            write!(
                f,
                "; mean latency of the answered {:.0} ms",
                total / answered as f64 / 1000.0
            )?;
        }
        if std::env::var_os("BULK_BENCH_TIMES").is_some() {
            let times = self.throttled_at.lock().unwrap_or_else(|p| p.into_inner());
            let shown: Vec<String> = times.1.iter().map(|t| format!("{t:.2}")).collect();
            write!(f, "; 429s at {}", shown.join(" "))?;
        }
        Ok(())
    }
}

/// [`client`] whose attempts are counted.
pub(crate) fn counted_client(base_url: &str) -> (DataverseClient, Arc<AttemptCounts>) {
    let counts = Arc::new(AttemptCounts::default());
    let mut options = ClientOptions::default();
    options.pipeline.observer = Some(counts.clone());
    (client_with(base_url, options), counts)
}

fn client_with(base_url: &str, options: ClientOptions) -> DataverseClient {
    // The default seed is fixed: the same ids and secret in every emulator.
    let tenant = "c0a7e5a0-0000-4000-8000-000000000001";
    let client_id = dynamics_auth::Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_000000000002);
    let secret = "Emu8Q~default-client-secret-0123456789";
    let authority = Authority::with_host(base_url, tenant).expect("authority");
    let credential: Arc<dyn TokenCredential> = Arc::new(
        ClientSecretCredential::new(authority, client_id, secret, CredentialOptions::default())
            .expect("credential"),
    );
    DataverseClient::new(base_url, credential, options).expect("client")
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The 1, 5 and 15 minute load averages (Linux), or "unknown".
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".into())
}

pub(crate) fn conditions() -> String {
    format!(
        "{} CPU cores, {} build, emulator in a child process on loopback",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}

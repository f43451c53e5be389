//! `leads serve`: the lead intake router (`lead_writer::service`) and the writer, in one
//! process, until Ctrl-C or SIGTERM. Wiring only: what the endpoint answers is decided in
//! `lead_writer::service`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use lead_writer::service::{SecretIn, ServiceOptions, ServiceState, UrlSecret, router};
use lead_writer::spool::Backoff;
use lead_writer::writer::WriterSettings;
use lead_writer::{Mapping, Spool, SpoolOptions, Writer, WriterOptions};
use tokio::sync::watch;

use super::dataverse_target::{DataverseTargetArgs, OrgInputs, connect, from_dataverse};
use super::leads_tls;
use crate::exit::{ExitKind, Failure};

/// Options of `leads serve`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// The spool: a SQLite file (created when missing; one process) or a postgres:// URL
    /// (several processes share it)
    #[arg(long, value_name = "PATH|URL", default_value = "leads.db")]
    pub(crate) spool: String,

    /// Address to listen on. Without --tls-cert/--tls-key only a loopback address is
    /// accepted: plain HTTP is for a TLS-terminating proxy on the same machine
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,

    /// PEM certificate chain (server certificate first) for HTTPS; with --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,

    /// Environment variable holding the URL secret (at least 24 of A-Z a-z 0-9 - _ . ~),
    /// the only guard of the endpoint: the marketplace sends no credentials
    #[arg(long, value_name = "NAME", default_value = "D365_LEADS_SECRET")]
    pub(crate) secret_env: String,

    /// Where the secret goes in the URL: /leads/<secret> or /leads?token=<secret>
    #[arg(long, value_enum, default_value_t = SecretPlacement::Path)]
    pub(crate) secret_in: SecretPlacement,

    /// The public base URL the marketplace reaches (the proxy's), for the URL printed to
    /// paste into Partner Center [default: http://<--listen>]
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,

    /// Print the URL with the secret (it is masked otherwise)
    #[arg(long)]
    pub(crate) show_url: bool,

    /// Largest body accepted, in bytes (larger ones get 413)
    #[arg(long, value_name = "BYTES", default_value_t = lead_writer::DEFAULT_MAX_BODY_BYTES)]
    pub(crate) max_body_bytes: usize,

    /// Lead-to-column mapping (TOML) [default: the documented default mapping]
    #[arg(long, value_name = "FILE")]
    pub(crate) mapping: Option<PathBuf>,

    /// Apply the org's duplicate detection rules to each lead; a lead they match is parked
    /// with the reason instead of written (also `duplicate_detection = true` under
    /// `[writer]` in the --mapping file)
    #[arg(long)]
    pub(crate) duplicate_detection: bool,

    /// Only take leads in (no writer, no sign-in): another process writes from the spool
    #[arg(long)]
    pub(crate) intake_only: bool,

    /// How long the writer holds the leads it claims, in seconds (renewed while a write runs).
    /// After a crash (kill -9, power loss) its leads wait this long before any writer,
    /// this one restarted included, takes them again
    #[arg(long, value_name = "SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) lease_secs: u64,

    /// The wait after a lead's first failed write, in seconds; it doubles with each further
    /// failure (with jitter), up to --retry-max-secs
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) retry_initial_secs: u64,

    /// The longest wait between two tries of a lead, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) retry_max_secs: u64,

    /// Failed writes after which a lead is parked for `leads retry` instead of tried again
    /// (a failure that cannot heal, such as a missing privilege, parks it at once)
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) max_attempts: u32,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// `--secret-in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SecretPlacement {
    /// `/leads/<secret>`
    Path,
    /// `/leads?token=<secret>`
    Query,
}

/// Runs `leads serve` until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: &ServeArgs, inputs: OrgInputs<'_>) -> Result<(), Failure> {
    // Every check that needs no network first.
    check_listen(args)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(leads_tls::server_config(cert, key)?),
        _ => None,
    };
    let secret = read_secret(&args.secret_env, inputs.env)?;
    let (mapping, settings) = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!("cannot read --mapping {}: {e}", path.display()))
            })?;
            let mapping = Mapping::from_toml(&text).map_err(|e| Failure::usage(e.to_string()))?;
            let settings =
                WriterSettings::from_toml(&text).map_err(|e| Failure::usage(e.to_string()))?;
            (mapping, settings)
        }
        None => (Mapping::default(), WriterSettings::default()),
    };
    let choice = if args.intake_only {
        None
    } else {
        Some(args.org.choice(inputs.default_org.as_deref())?)
    };
    let options = ServiceOptions::new(secret)
        .secret_in(match args.secret_in {
            SecretPlacement::Path => SecretIn::Path,
            SecretPlacement::Query => SecretIn::Query,
        })
        .max_body_bytes(args.max_body_bytes);

    let spool = Spool::open(&args.spool, spool_options(args)?)
        .await
        .map_err(|e| {
            Failure::new(ExitKind::Service, e.to_string()).with_fix(
                "check --spool: a writable SQLite file path, or a reachable postgres:// URL",
            )
        })?;
    let writer = match choice {
        None => None,
        Some(choice) => {
            let org = connect(choice, inputs).await?;
            let mut options = WriterOptions::new(worker_name(), mapping)
                .settings(&settings)
                .lease(Duration::from_secs(args.lease_secs));
            if args.duplicate_detection {
                options = options.duplicate_detection(true);
            }
            let writer = Writer::start(org.client, spool.clone(), options)
                .await
                .map_err(|e| match e {
                    lead_writer::WriterError::Metadata { source, .. } => {
                        from_dataverse(&source, &org.ctx)
                    }
                    lead_writer::WriterError::Spool(e) => {
                        Failure::new(ExitKind::Service, e.to_string())
                    }
                    other => Failure::usage(other.to_string()),
                })?;
            Some(writer)
        }
    };
    let public = public_base(args, tls.is_some())?;
    let shown = paste_url(&public, &options, args.show_url);
    let state = match &writer {
        Some(w) => ServiceState::with_writer(spool.clone(), options, w.clone()),
        None => ServiceState::new(spool.clone(), options),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            Failure::new(
                ExitKind::Service,
                format!("cannot listen on {}: {e}", args.listen),
            )
            .with_fix("pick a free port with --listen")
        })?;
    eprintln!(
        "Taking leads on {}://{} (spool: {}{}). Stop with Ctrl-C.",
        if tls.is_some() { "https" } else { "http" },
        args.listen,
        spool.location(),
        if writer.is_some() {
            ""
        } else {
            "; intake only, no writer"
        }
    );
    eprintln!("URL to paste into Partner Center (Customer leads, HTTPS endpoint): {shown}");
    eprintln!("Health: {public}/healthz   Metrics: {public}/metrics");

    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        eprintln!("Stopping: finishing requests and writes in progress...");
        let _ = stop.send(true);
    });
    let app = router(state);
    let serving = async {
        match tls {
            Some(config) => {
                let listener = leads_tls::TlsListener::new(listener, config).map_err(|e| {
                    Failure::new(
                        ExitKind::Service,
                        format!("cannot listen on {}: {e}", args.listen),
                    )
                })?;
                serve_until(listener, app, stopped.clone()).await
            }
            None => serve_until(listener, app, stopped.clone()).await,
        }
    };
    let writing = async {
        if let Some(writer) = &writer {
            writer.run(wait(stopped.clone())).await;
        }
    };
    let (served, ()) = tokio::join!(serving, writing);
    served?;
    if let Some(writer) = &writer {
        let s = writer.stats().snapshot();
        eprintln!(
            "Stopped. Written {}, duplicates {}, parked {}, retried {}.",
            s.written, s.duplicates, s.parked, s.retried
        );
    }
    Ok(())
}

/// Serves `app` on `listener` until `stopped` turns true, finishing requests in progress.
async fn serve_until<L>(
    listener: L,
    app: axum::Router,
    stopped: watch::Receiver<bool>,
) -> Result<(), Failure>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, app)
        .with_graceful_shutdown(wait(stopped))
        .await
        .map_err(|e| Failure::new(ExitKind::Service, format!("the lead endpoint failed: {e}")))
}

/// The spool's retry policy from the flags.
fn spool_options(args: &ServeArgs) -> Result<SpoolOptions, Failure> {
    let backoff = Backoff::new(
        Duration::from_secs(args.retry_initial_secs),
        Duration::from_secs(args.retry_max_secs),
    )
    .map_err(|_| {
        Failure::usage(format!(
            "--retry-initial-secs {} is longer than --retry-max-secs {}",
            args.retry_initial_secs, args.retry_max_secs
        ))
        .with_fix("make --retry-initial-secs at most --retry-max-secs")
    })?;
    Ok(SpoolOptions::default()
        .backoff(backoff)
        .max_attempts(args.max_attempts))
}

/// Plain HTTP only on loopback: leads are personal data.
fn check_listen(args: &ServeArgs) -> Result<(), Failure> {
    if args.tls_cert.is_some() || args.listen.ip().is_loopback() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "--listen {} is not a loopback address, and leads (personal data) are not served over plain HTTP",
        args.listen
    ))
    .with_fix(
        "give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS-terminating \
         reverse proxy (nginx, Caddy, ...) and give its address with --public-url",
    ))
}

pub(super) fn read_secret(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<UrlSecret, Failure> {
    let value = env(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        Failure::usage(format!(
            "the environment variable {name} (--secret-env) is not set"
        ))
        .with_fix(format!(
            "set {name} to a random secret, e.g. `export {name}=$(openssl rand -hex 24)`"
        ))
    })?;
    UrlSecret::new(value.trim()).map_err(|e| {
        Failure::usage(format!("{name}: {e}")).with_fix(format!(
            "set {name} to e.g. the output of `openssl rand -hex 24`"
        ))
    })
}

/// The base URL the marketplace reaches, without a trailing slash.
fn public_base(args: &ServeArgs, tls: bool) -> Result<String, Failure> {
    base_url(args.public_url.as_deref(), args.listen, tls)
}

/// The base URL from `--public-url`, or from the listen address; shared with the commands
/// that print or call the endpoint (`leads setup`, `leads validate`).
pub(super) fn base_url(
    public_url: Option<&str>,
    listen: SocketAddr,
    tls: bool,
) -> Result<String, Failure> {
    match public_url {
        None => Ok(format!(
            "{}://{}",
            if tls { "https" } else { "http" },
            listen
        )),
        Some(url) => {
            let parsed = url::Url::parse(url.trim()).map_err(|e| {
                Failure::usage(format!("--public-url is not a URL: {e}"))
                    .with_fix("give the proxy's base URL, e.g. https://leads.contoso.com")
            })?;
            if parsed.scheme() != "https" {
                return Err(Failure::usage(
                    "--public-url must be https: the marketplace posts personal data",
                )
                .with_fix("give the TLS proxy's https:// URL"));
            }
            Ok(parsed.as_str().trim_end_matches('/').to_owned())
        }
    }
}

/// The intake URL, the secret masked unless `show` (it would end up in terminal scroll-back
/// and logs).
fn paste_url(base: &str, options: &ServiceOptions, show: bool) -> String {
    if show {
        return format!("{base}{}", options.intake_path());
    }
    let secret = options.secret.expose();
    let masked = format!(
        "{}…(--show-url to print it)",
        &secret[..4.min(secret.len())]
    );
    format!("{base}{}", options.secret_in.intake_path(&masked))
}

/// This process's name in the spool's leases: host and process id.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "d365".to_owned());
    format!("{host}:{}", std::process::id())
}

async fn wait(mut stopped: watch::Receiver<bool>) {
    // A dropped sender counts as a stop too.
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Ctrl-C, or SIGTERM on Unix (what service managers and containers send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(extra: &[&str]) -> ServeArgs {
        let mut argv = vec!["d365", "leads", "serve"];
        argv.extend_from_slice(extra);
        let cli = crate::cli::Cli::try_parse_from(argv).expect("parses");
        match cli.command {
            crate::cli::Command::Leads(super::super::leads::LeadsCommand::Serve(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_secret_must_be_set_and_long_and_never_shows_in_the_error() {
        let none = |_: &str| None;
        assert!(
            read_secret("X", &none)
                .unwrap_err()
                .to_string()
                .contains("X")
        );
        let short = |_: &str| Some("tooshort".to_owned());
        let err = read_secret("X", &short).unwrap_err().to_string();
        assert!(
            err.contains("at least") && !err.contains("tooshort"),
            "{err}"
        );
    }

    #[test]
    fn the_printed_url_masks_the_secret_unless_asked() {
        let secret = UrlSecret::new("abcd0123456789abcdef0123456789").unwrap();
        let options = ServiceOptions::new(secret);
        let masked = paste_url("https://x.example", &options, false);
        assert!(
            masked.starts_with("https://x.example/leads/abcd…"),
            "{masked}"
        );
        assert!(!masked.contains("0123456789abcdef"), "{masked}");
        assert_eq!(
            paste_url("https://x.example", &options, true),
            "https://x.example/leads/abcd0123456789abcdef0123456789"
        );
    }

    #[test]
    fn plain_http_is_refused_off_loopback_and_public_url_must_be_https() {
        let err = check_listen(&parse(&["--listen", "0.0.0.0:8080"])).unwrap_err();
        assert!(err.to_string().contains("not a loopback"), "{err}");
        check_listen(&parse(&["--listen", "[::1]:8080"])).unwrap();
        check_listen(&parse(&[
            "--listen",
            "0.0.0.0:8443",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
        ]))
        .unwrap();
        let args = parse(&["--public-url", "http://leads.contoso.com"]);
        assert!(public_base(&args, false).is_err());
        let args = parse(&["--public-url", "https://leads.contoso.com/"]);
        assert_eq!(
            public_base(&args, false).unwrap(),
            "https://leads.contoso.com"
        );
        assert_eq!(
            public_base(&parse(&[]), false).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            public_base(&parse(&[]), true).unwrap(),
            "https://127.0.0.1:8080"
        );
    }

    #[test]
    fn the_lease_defaults_to_two_minutes_and_zero_is_refused() {
        assert_eq!(parse(&[]).lease_secs, 120);
        assert_eq!(parse(&["--lease-secs", "5"]).lease_secs, 5);
        let argv = ["d365", "leads", "serve", "--lease-secs", "0"];
        assert!(crate::cli::Cli::try_parse_from(argv).is_err());
    }

    #[test]
    fn the_retry_flags_shape_the_spool_and_a_backwards_range_is_refused() {
        let options = spool_options(&parse(&[])).unwrap();
        assert_eq!(options.backoff, Backoff::default());
        assert_eq!(options.max_attempts, 10);
        let options = spool_options(&parse(&[
            "--retry-initial-secs",
            "1",
            "--retry-max-secs",
            "4",
            "--max-attempts",
            "50",
        ]))
        .unwrap();
        assert_eq!(
            options.backoff,
            Backoff::new(Duration::from_secs(1), Duration::from_secs(4)).unwrap()
        );
        assert_eq!(options.max_attempts, 50);
        let err = spool_options(&parse(&[
            "--retry-initial-secs",
            "90",
            "--retry-max-secs",
            "60",
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("--retry-max-secs"), "{err}");
    }

    #[test]
    fn tls_cert_and_key_go_together() {
        let argv = ["d365", "leads", "serve", "--tls-cert", "c.pem"];
        assert!(crate::cli::Cli::try_parse_from(argv).is_err());
    }
}

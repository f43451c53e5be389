//! `dynamics-emulator`: runs the emulator on 127.0.0.1 until Ctrl-C (or SIGTERM/SIGHUP), then
//! removes the certificate and private-key files it wrote for the default client.
//!
//! ```text
//! cargo run -p dynamics-emulator -- --port 7070 [--seed seed.json] [--no-default-seed] [--tls]
//!     [--security api-app-users|all|off]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use dynamics_emulator::{
    DataverseConfig, DefaultSeed, Emulator, EmulatorConfig, SecurityEnforcement, SeedFile,
};
use tracing_subscriber::EnvFilter;

/// A local stand-in for Microsoft Entra ID (sign-in) and the Dynamics 365 admin APIs, for offline
/// tests and examples.
#[derive(Debug, Parser)]
#[command(name = "dynamics-emulator", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free port).
    #[arg(long, default_value_t = 7070, env = "DYNAMICS_EMULATOR_PORT")]
    port: u16,
    /// A JSON seed file with extra tenants, apps, users, resources, consents and environments.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Do not register the default tenant, apps and users.
    #[arg(long)]
    no_default_seed: bool,
    /// Serve HTTPS with a generated certificate (its CA is written to a temp file).
    #[arg(long)]
    tls: bool,
    /// Which Dataverse callers the security model (roles, privileges, depth) applies to.
    #[arg(long, value_enum, default_value_t = Security::ApiAppUsers, env = "DYNAMICS_EMULATOR_SECURITY")]
    security: Security,
}

/// `--security` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Security {
    /// Application users created through the Web API only (the seeded admin, interactive users
    /// and auto-created application users are not checked).
    ApiAppUsers,
    /// Every caller without System Administrator.
    All,
    /// Nobody.
    Off,
}

impl From<Security> for SecurityEnforcement {
    fn from(value: Security) -> Self {
        match value {
            Security::ApiAppUsers => Self::ApiApplicationUsers,
            Security::All => Self::AllPrincipals,
            Security::Off => Self::Off,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dynamics-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    // Listen for stop signals before anything is written, so a signal that arrives during
    // start-up still goes through the clean-up below instead of killing the process.
    let stop = StopSignals::listen()?;
    // Removes every file written below when `run` returns, by any path.
    let mut written = WrittenFiles::default();
    let seed = args
        .seed
        .as_deref()
        .map(SeedFile::from_path)
        .transpose()
        .map_err(|e| e.to_string())?;
    let config = EmulatorConfig {
        port: args.port,
        seed,
        default_seed: !args.no_default_seed,
        tls: args.tls,
        dataverse: DataverseConfig {
            security: args.security.into(),
            ..DataverseConfig::default()
        },
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start_with(config)
        .await
        .map_err(|e| e.to_string())?;
    println!("dynamics-emulator listening on {}", emulator.base_url());
    let writes_files = emulator.tls_ca_pem().is_some() || !args.no_default_seed;
    let dir = if writes_files {
        Some(create_files_dir(&mut written).map_err(|e| e.to_string())?)
    } else {
        None
    };
    if let (Some(ca), Some(dir)) = (emulator.tls_ca_pem(), &dir) {
        let path = dir.join("tls-ca.pem");
        write_new(&path, ca.as_bytes(), 0o644).map_err(|e| e.to_string())?;
        println!(
            "TLS CA certificate:    {} (trust it in clients)",
            path.display()
        );
    }
    if let (false, Some(dir)) = (args.no_default_seed, &dir) {
        let files = write_certificate(emulator.defaults(), dir).map_err(|e| e.to_string())?;
        print_defaults(&emulator, &files);
    }
    if let Some(path) = &args.seed {
        println!("Seed file applied: {}", path.display());
    }
    println!("Press Ctrl-C to stop (the files above are removed then).");
    stop.wait().await;
    // The key files go first: the graceful shutdown can take seconds, and a second signal or
    // a kill in that time must not leave them behind.
    drop(written);
    emulator.shutdown().await;
    Ok(())
}

/// Ctrl-C, and on Unix also SIGTERM and SIGHUP (a closed terminal): each stops the emulator
/// the same way, so the written key files are removed.
struct StopSignals {
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Installs the handlers now (a signal that arrives before [`Self::wait`] is not lost).
    fn listen() -> Result<Self, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = [
                SignalKind::interrupt(),
                SignalKind::terminate(),
                SignalKind::hangup(),
            ]
            .into_iter()
            .map(|kind| signal(kind).map_err(|e| format!("could not listen for signals: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
            Ok(Self { signals })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the first stop signal.
    async fn wait(self) {
        #[cfg(unix)]
        {
            let waits = self.signals.into_iter().map(|mut signal| {
                Box::pin(async move {
                    signal.recv().await;
                })
            });
            // `select_all` without the futures crate: poll every signal until one fires.
            let mut waits: Vec<_> = waits.collect();
            std::future::poll_fn(|cx| {
                for wait in &mut waits {
                    if wait.as_mut().poll(cx).is_ready() {
                        return std::task::Poll::Ready(());
                    }
                }
                std::task::Poll::Pending
            })
            .await;
        }
        #[cfg(not(unix))]
        {
            if let Err(error) = tokio::signal::ctrl_c().await {
                eprintln!("dynamics-emulator: could not wait for Ctrl-C ({error}); stopping");
            }
        }
    }
}

/// Files and folders the binary wrote for the user (the client's private key among them);
/// dropping it removes them, whether `run` ends by a signal or by an error.
#[derive(Default)]
struct WrittenFiles {
    dirs: Vec<PathBuf>,
}

impl Drop for WrittenFiles {
    fn drop(&mut self) {
        for dir in &self.dirs {
            remove_quietly(std::fs::remove_dir_all(dir), dir);
        }
    }
}

/// Reports a failed removal (a file already gone is fine).
fn remove_quietly(result: std::io::Result<()>, path: &Path) {
    if let Err(error) = result
        && error.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!(
            "dynamics-emulator: could not remove {}: {error}",
            path.display()
        );
    }
}

/// Where the default certificate was written.
struct CertificateFiles {
    certificate: PathBuf,
    private_key: PathBuf,
    pkcs12: PathBuf,
}

/// Password of the written `.pfx`.
const PFX_PASSWORD: &str = "emulator";

/// The prefix of the folder the binary writes its files into, in the temp dir.
const DIR_PREFIX: &str = "dynamics-emulator-";

/// Creates this run's folder, `dynamics-emulator-<pid>-<random>` in the temp dir, that only
/// its owner can enter, and registers it with `written` for removal. The random part makes the
/// name unguessable, and the folder is created afresh (never reused): if another local user
/// planted a folder or a link under that name, creation fails instead of writing into it.
/// Folders of earlier runs that were killed before they could clean up are swept first.
fn create_files_dir(written: &mut WrittenFiles) -> std::io::Result<PathBuf> {
    let temp = std::env::temp_dir();
    let dir = temp.join(format!(
        "{DIR_PREFIX}{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir)?;
    written.dirs.push(dir.clone());
    sweep_stale_dirs(&temp, &dir);
    Ok(dir)
}

/// Removes folders `dynamics-emulator-<pid>-<32 hex digits>` in `temp` that this user owns,
/// that are real folders (not links), and whose process no longer runs (`/proc/<pid>` absent).
/// Linux only, where `/proc` says which processes run; elsewhere nothing is swept. `ours` (just
/// created) tells which user we are.
fn sweep_stale_dirs(temp: &Path, ours: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let proc_root = Path::new("/proc");
        if !proc_root.join("self").exists() {
            return;
        }
        let Ok(me) = std::fs::symlink_metadata(ours) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(temp) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(stale_dir_pid) else {
                continue;
            };
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if path == ours
                || !meta.file_type().is_dir()
                || meta.uid() != me.uid()
                || proc_root.join(pid.to_string()).exists()
            {
                continue;
            }
            remove_quietly(std::fs::remove_dir_all(&path), &path);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (temp, ours);
}

/// The pid in a folder name `dynamics-emulator-<pid>-<32 lowercase hex digits>`, or `None`
/// for any other name.
fn stale_dir_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(DIR_PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    let hex = random.len() == 32
        && random
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if hex && digits {
        pid.parse().ok()
    } else {
        None
    }
}

/// Writes the default certificate as PEM (certificate, PKCS#8 key) and PKCS#12 into `dir`.
fn write_certificate(defaults: &DefaultSeed, dir: &Path) -> std::io::Result<CertificateFiles> {
    let files = CertificateFiles {
        certificate: dir.join("client-certificate.pem"),
        private_key: dir.join("client-private-key.pem"),
        pkcs12: dir.join("client-certificate.pfx"),
    };
    write_new(
        &files.certificate,
        defaults.certificate.certificate_pem.as_bytes(),
        0o644,
    )?;
    write_new(
        &files.private_key,
        defaults.certificate.private_key_pem.as_bytes(),
        0o600,
    )?;
    let pfx = defaults
        .certificate
        .to_pkcs12(PFX_PASSWORD)
        .map_err(std::io::Error::other)?;
    write_new(&files.pkcs12, &pfx, 0o600)?;
    Ok(files)
}

/// Writes a new file with this mode (on Unix). It must not exist: an existing file or a
/// planted link is an error, never followed or overwritten.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    std::io::Write::write_all(&mut options.open(path)?, contents)
}

fn print_defaults(emulator: &Emulator, files: &CertificateFiles) {
    let d = emulator.defaults();
    let authority = format!("{}{}", emulator.base_url(), d.tenant_id);
    println!();
    println!(
        "Tenant:                {} ({})",
        d.tenant_id, d.tenant_domain
    );
    println!("Authority:             {authority}");
    println!("Token endpoint (v2):   {authority}/oauth2/v2.0/token");
    println!(
        "Microsoft Graph:       {} (scope {}/.default)",
        emulator.graph_url(),
        emulator.graph_resource()
    );
    println!("Confidential client:   {}", d.client_id);
    println!("  client secret:       {}", d.client_secret);
    println!("  certificate (PEM):   {}", files.certificate.display());
    println!("  private key (PEM):   {}", files.private_key.display());
    println!(
        "  PKCS#12:             {} (password: {PFX_PASSWORD})",
        files.pkcs12.display()
    );
    println!("  thumbprint (SHA-1):  {}", d.certificate.thumbprint_hex());
    println!(
        "Public client:         {} (redirect {})",
        d.public_client_id, d.redirect_uri
    );
    println!(
        "User:                  {} / {}",
        d.user.upn, d.user.password
    );
    println!(
        "MFA user:              {} / {}",
        d.mfa_user.upn, d.mfa_user.password
    );
    println!(
        "MFA enrollment user:   {} / {}",
        d.mfa_enrollment_user.upn, d.mfa_enrollment_user.password
    );
    println!(
        "Non-admin user:        {} / {}",
        d.non_admin_user.upn, d.non_admin_user.password
    );
    println!(
        "Unlicensed user:       {} / {}",
        d.unlicensed_user.upn, d.unlicensed_user.password
    );
    println!("Dataverse URL:         {}", d.dataverse_url);
    println!("Dataverse Web API:     {}", emulator.web_api_url());
    println!("Environment:           {}", d.instance_id);
    println!(
        "Online Management API: {}api/v1.2/ (resource https://admin.services.crm.dynamics.com)",
        emulator.base_url()
    );
    println!(
        "Power Platform admin:  {}providers/Microsoft.BusinessAppPlatform/ (resource https://service.powerapps.com)",
        emulator.base_url()
    );
    println!("Resources:             {}", d.resources.join(", "));
    println!();
}

#[cfg(test)]
mod tests {
    use super::{Args, Parser, SecurityEnforcement, stale_dir_pid};

    #[test]
    fn only_names_of_this_binary_are_swept() {
        let hex = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            stale_dir_pid(&format!("dynamics-emulator-42-{hex}")),
            Some(42)
        );
        for other in [
            "dynamics-emulator-42".to_owned(),
            format!("dynamics-emulator--{hex}"),
            format!("dynamics-emulator-4x2-{hex}"),
            format!("dynamics-emulator-42-{hex}0"),
            format!("dynamics-emulator-42-{}", hex.to_uppercase()),
            format!("dynamics-emulator-shutdown-int-{hex}"),
            format!("other-42-{hex}"),
        ] {
            assert_eq!(stale_dir_pid(&other), None, "{other}");
        }
    }

    #[test]
    fn the_security_flag_picks_the_enforcement() {
        let parse = |args: &[&str]| {
            Args::try_parse_from(std::iter::once("dynamics-emulator").chain(args.iter().copied()))
        };
        let default = parse(&[]).expect("no flags");
        assert_eq!(
            SecurityEnforcement::from(default.security),
            SecurityEnforcement::ApiApplicationUsers
        );
        for (value, expected) in [
            ("api-app-users", SecurityEnforcement::ApiApplicationUsers),
            ("all", SecurityEnforcement::AllPrincipals),
            ("off", SecurityEnforcement::Off),
        ] {
            let args = parse(&["--security", value]).expect("a known value");
            assert_eq!(
                SecurityEnforcement::from(args.security),
                expected,
                "{value}"
            );
        }
        assert!(parse(&["--security", "sometimes"]).is_err());
    }
}

//! `dynamics-emulator`: runs the emulator on 127.0.0.1 until Ctrl-C.
//!
//! ```text
//! cargo run -p dynamics-emulator -- --port 7070 [--seed seed.json] [--no-default-seed] [--tls]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use dynamics_emulator::{DefaultSeed, Emulator, EmulatorConfig, SeedFile};
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
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start_with(config)
        .await
        .map_err(|e| e.to_string())?;
    println!("dynamics-emulator listening on {}", emulator.base_url());
    if let Some(ca) = emulator.tls_ca_pem() {
        let path =
            std::env::temp_dir().join(format!("dynamics-emulator-{}-ca.pem", std::process::id()));
        std::fs::write(&path, ca).map_err(|e| e.to_string())?;
        println!(
            "TLS CA certificate:    {} (trust it in clients)",
            path.display()
        );
    }
    if !args.no_default_seed {
        let files = write_certificate(emulator.defaults()).map_err(|e| e.to_string())?;
        print_defaults(&emulator, &files);
    }
    if let Some(path) = &args.seed {
        println!("Seed file applied: {}", path.display());
    }
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("could not wait for Ctrl-C: {e}"))?;
    emulator.shutdown().await;
    Ok(())
}

/// Where the default certificate was written.
struct CertificateFiles {
    certificate: PathBuf,
    private_key: PathBuf,
    pkcs12: PathBuf,
}

/// Password of the written `.pfx`.
const PFX_PASSWORD: &str = "emulator";

/// Writes the default certificate as PEM (certificate, PKCS#8 key) and PKCS#12 into a temp dir.
fn write_certificate(defaults: &DefaultSeed) -> std::io::Result<CertificateFiles> {
    let dir = std::env::temp_dir().join(format!("dynamics-emulator-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let files = CertificateFiles {
        certificate: dir.join("client-certificate.pem"),
        private_key: dir.join("client-private-key.pem"),
        pkcs12: dir.join("client-certificate.pfx"),
    };
    std::fs::write(&files.certificate, &defaults.certificate.certificate_pem)?;
    write_private(
        &files.private_key,
        defaults.certificate.private_key_pem.as_bytes(),
    )?;
    let pfx = defaults
        .certificate
        .to_pkcs12(PFX_PASSWORD)
        .map_err(std::io::Error::other)?;
    write_private(&files.pkcs12, &pfx)?;
    Ok(files)
}

/// Writes a file readable by its owner only (on Unix).
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
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

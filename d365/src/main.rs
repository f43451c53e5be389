#![doc = include_str!("../README.md")]

mod cli;
mod commands;
mod config;
mod emulator;
mod exit;
mod output;
mod session;
mod settings;
mod signin;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::exit::Failure;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version print to stdout and exit 0; usage errors exit 2.
            let code = e.exit_code();
            let _ = e.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    if cli.global.verbose {
        init_logging();
    }
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report(
                &Failure::new(exit::ExitKind::Service, format!("cannot start: {e}")),
                json,
            );
            return ExitCode::from(6);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report(&failure, json);
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Prints a failure: one line on stderr; with `--json` also a JSON error object on stdout.
fn report(failure: &Failure, json: bool) {
    eprintln!("error: {failure}");
    if json {
        let _ = output::print_json(&failure.to_json());
    }
}

/// `--verbose`: the SDK's `tracing` events (requests, retries, sign-in steps) on stderr.
/// The SDK never logs tokens or secrets.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "d365=debug,online_mgmt_api=debug,dynamics_http=debug,dynamics_auth=debug",
        )
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

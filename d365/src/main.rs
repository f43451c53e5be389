#![doc = include_str!("../README.md")]
// Doc comments on clap arguments are the CLI's help text, written for a terminal: bare URLs
// and `<placeholders>` there are meant literally, not as links or HTML.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

mod cli;
mod cli_errors;
mod commands;
mod config;
mod emulator;
mod exit;
mod output;
mod progress;
mod session;
mod settings;
mod signin;
mod whoami;

use std::process::ExitCode;

use crate::cli::Cli;
use crate::exit::Failure;

fn main() -> ExitCode {
    let parsed = cli::command()
        .try_get_matches()
        .and_then(|mut m| <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut m))
        .map_err(cli_errors::without_opposite_suggestions);
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version print to stdout and exit 0; usage errors exit 2, and with
            // --json print the same error object as every other failure.
            // A GUID argument's error is reported as a failure in any case, so that its fix
            // says where the value is found.
            let code = e.exit_code();
            let json = wants_json(std::env::args_os().skip(1));
            if code != 0 && (json || cli_errors::guid_fix(&e).is_some()) {
                let failure = Failure::command_line(&e);
                report(&failure, json);
                return ExitCode::from(failure.exit_code());
            }
            let _ = e.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    init_logging(cli.global.verbose, cli.global.max_retries);
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

/// Whether the raw arguments ask for `--json` (before any `--`), for errors found before
/// they could be parsed.
fn wants_json<I: IntoIterator<Item = std::ffi::OsString>>(args: I) -> bool {
    args.into_iter()
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// Prints a failure: one line on stderr; with `--json` also a JSON error object on stdout.
fn report(failure: &Failure, json: bool) {
    eprintln!("error: {failure}");
    if json {
        let _ = output::print_json(&failure.to_json());
    }
}

/// Retries (and their waits) always go to stderr, so that a slow service is not a silent
/// pause. With `--verbose`, also every admin request with its status and time, and the
/// SDK's `tracing` events (retries, sign-in steps). The SDK never logs tokens or secrets.
fn init_logging(verbose: bool, max_retries: Option<u32>) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let progress = progress::Progress {
        max_retries: max_retries
            .unwrap_or_else(|| dynamics_http::RetryOptions::default().max_retries),
        sign_in_max_retries: dynamics_auth::CredentialOptions::default().max_retries,
        verbose,
    };
    let registry = tracing_subscriber::registry();
    if verbose {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(
                "d365=debug,online_mgmt_api=debug,dynamics_http=debug,dynamics_auth=debug",
            )
        });
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_timer(progress::SecondsUtc);
        let _ = registry.with(filter).with(fmt).with(progress).try_init();
    } else {
        // The pipeline says its retries at info, the sign-in its own at debug.
        let filter = tracing_subscriber::EnvFilter::new("dynamics_http=info,dynamics_auth=debug");
        let _ = registry.with(filter).with(progress).try_init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse_error(args: &[&str]) -> Failure {
        let e = Cli::try_parse_from(args).expect_err("a usage error");
        Failure::command_line(&cli_errors::without_opposite_suggestions(e))
    }

    #[test]
    fn json_is_seen_before_parsing_but_not_after_a_double_dash() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert!(wants_json(args(&["nope", "--json"])));
        assert!(!wants_json(args(&["nope", "--", "--json"])));
        assert!(!wants_json(args(&["nope", "--jsonx"])));
    }

    #[test]
    fn command_line_errors_are_one_line_with_a_fix() {
        for args in [
            &["d365", "registerap"][..],
            &["d365", "listallapps", "--nope"][..],
            &["d365", "apps"][..],
            &["d365", "instances", "get", "not-a-guid"][..],
            &["d365", "listallapps", "--max-retries", "99"][..],
        ] {
            let f = parse_error(args);
            assert_eq!(f.exit_code(), 2, "{args:?}");
            let json = f.to_json();
            let error = &json["error"];
            assert_eq!(error["kind"], "usage", "{args:?}");
            let message = error["message"].as_str().expect("message");
            let fix = error["fix"].as_str().expect("a fix");
            assert!(!message.is_empty() && !fix.is_empty(), "{json}");
            assert!(
                !message.contains('\n') && !message.starts_with("error"),
                "{json}"
            );
        }
        let f = parse_error(&["d365", "unregisterap"]);
        assert!(f.to_string().contains("unregisterapp"), "{f}");
        let f = parse_error(&["d365", "registerap"]);
        let fix = f.to_json()["error"]["fix"]
            .as_str()
            .expect("fix")
            .to_owned();
        assert!(
            fix.contains("'registerapp'") && !fix.contains("unregisterapp"),
            "{fix}"
        );
    }

    #[test]
    fn a_bad_guid_argument_says_where_the_value_is_found_once() {
        let f = parse_error(&["d365", "instances", "get", "nope"]);
        let json = f.to_json();
        let message = json["error"]["message"].as_str().expect("message");
        let fix = json["error"]["fix"].as_str().expect("fix");
        assert!(message.contains("`nope` is not a GUID"), "{message}");
        assert!(fix.contains("d365 instances list"), "{fix}");
        assert!(!message.contains("d365 instances list"), "{message}");
    }
}

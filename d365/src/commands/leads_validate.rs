//! `leads validate`: Partner Center's "Validate", from this side (`lead_writer::validate`):
//! a test lead through the running endpoint, then the wait until it is in the lead table.

use std::time::Duration;

use clap::Args;
use lead_writer::validate::{self, Progress, ValidateError, ValidateOptions, ValidatedLead};
use serde::Serialize;

use super::dataverse_target::{
    DataverseTargetArgs, OrgInputs, connect, from_dataverse, io_failure,
};
use super::leads_endpoint::EndpointArgs;
use crate::exit::{Context, ExitKind, Failure};
use crate::output::{self, Format};

/// Options of `leads validate`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ValidateArgs {
    /// The intake URL with its secret, as `leads serve --show-url` prints it [default: built
    /// like `leads serve` does, from the flags below and the secret in --secret-env]
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,

    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,

    /// Longest wait for the lead to reach Dataverse, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) timeout: u64,

    /// Seconds between looks in Dataverse
    #[arg(long, value_name = "SECONDS", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=60))]
    pub(crate) interval: u64,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// The `--json` answer.
#[derive(Debug, Serialize)]
struct ValidatedJson {
    lead_id: String,
    subject: Option<String>,
    seconds: u64,
}

/// Runs `leads validate`.
pub(crate) async fn run(
    args: &ValidateArgs,
    inputs: OrgInputs<'_>,
    format: Format,
) -> Result<(), Failure> {
    let url = match &args.url {
        Some(url) => url.clone(),
        None => args.endpoint.url(inputs.env)?,
    };
    validate::check_endpoint(&url).map_err(|e| {
        Failure::usage(e.to_string()).with_fix("give the URL `leads serve --show-url` prints")
    })?;
    let choice = args.org.choice(inputs.default_org.as_deref())?;
    let org = connect(choice, inputs).await?;
    let options = ValidateOptions::default()
        .timeout(Duration::from_secs(args.timeout))
        .poll_interval(Duration::from_secs(args.interval));
    // The wait is shown on stderr, so `--json` output stays one document.
    let mut progress = |step: Progress| match step {
        Progress::Posted { status } => eprintln!(
            "The endpoint took the test lead ({status}); waiting for it in Dataverse (up to {} s)...",
            args.timeout
        ),
        Progress::Waiting { elapsed } => eprintln!("  not there yet after {} s", elapsed.as_secs()),
        _ => {}
    };
    let found = validate::validate(&url, &org.client, &options, &mut progress)
        .await
        .map_err(|e| failure(&e, &org.ctx))?;
    match format {
        Format::Json => output::print_json(&json(&found)),
        Format::Human => output::print_text(&text(&found)),
    }
    .map_err(io_failure)
}

fn json(found: &ValidatedLead) -> ValidatedJson {
    ValidatedJson {
        lead_id: found.id.hyphenated().to_string(),
        subject: found.subject.clone(),
        seconds: found.after.as_secs(),
    }
}

fn text(found: &ValidatedLead) -> String {
    format!(
        "Validated: the test lead is in Dataverse.\nLead id: {}\nSubject: {}\n",
        found.id,
        found.subject.as_deref().unwrap_or("(none)")
    )
}

fn failure(error: &ValidateError, ctx: &Context) -> Failure {
    match error {
        ValidateError::InvalidUrl(_) => Failure::usage(error.to_string()),
        ValidateError::Unreachable { .. } => Failure::new(ExitKind::Service, error.to_string())
            .with_fix("start `d365 leads serve`, and give the URL it printed (--show-url)"),
        ValidateError::WrongSecret { .. } => Failure::new(ExitKind::NotAuthorized, error.to_string())
            .with_fix("use the secret `leads serve` was started with (its --secret-env variable)"),
        ValidateError::TimedOut { .. } => Failure::new(ExitKind::Service, error.to_string())
            .with_fix("run `d365 leads status --spool <the serve spool>` to see the queue and parked leads"),
        ValidateError::Dataverse(source) => from_dataverse(source, ctx),
        _ => Failure::new(ExitKind::Service, error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_names_the_lead() {
        let found = sample();
        let text = text(&found);
        assert!(
            text.contains("Lead id: 00000000-0000-0000-0000-000000000001"),
            "{text}"
        );
        assert!(text.contains("Subject: Marketplace lead"), "{text}");
        let json = serde_json::to_value(json(&found)).unwrap();
        assert_eq!(json["subject"], "Marketplace lead: Contoso Test");
    }

    #[test]
    fn a_timeout_points_to_leads_status() {
        let err = ValidateError::TimedOut {
            waited: Duration::from_secs(120),
            lead_ids: Vec::new(),
        };
        let failure = failure(&err, &Context::default());
        assert!(failure.to_string().contains("leads status"), "{failure}");
        assert_eq!(failure.exit_code(), 6);
    }

    fn sample() -> ValidatedLead {
        ValidatedLead::new(
            uuid::Uuid::from_u128(1),
            Some("Marketplace lead: Contoso Test".to_owned()),
            Duration::from_secs(3),
        )
    }
}

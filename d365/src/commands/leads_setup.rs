//! `leads setup`: the lead writer's security setup in the org (`lead_writer::setup`), then
//! the URL to paste into Partner Center.

use clap::Args;
use lead_writer::setup::{self, SetupError, SetupOptions, SetupReport};
use serde::Serialize;
use uuid::Uuid;

use super::dataverse_target::{
    DataverseTargetArgs, OrgInputs, connect, from_dataverse, io_failure,
};
use super::leads_endpoint::EndpointArgs;
use crate::cli_errors::{APPLICATION_ID, guid};
use crate::exit::{Context, ExitKind, Failure};
use crate::output::{self, Format};

/// Options of `leads setup`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SetupArgs {
    /// The Entra application (client) id the writer signs in as
    #[arg(long, value_name = "GUID", value_parser = guid(APPLICATION_ID))]
    pub(crate) app_id: Uuid,

    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// The `--json` answer.
#[derive(Debug, Serialize)]
struct SetupJson {
    application_user_id: Uuid,
    user_created: bool,
    user_updated: bool,
    solution: &'static str,
    solution_imported: bool,
    role: &'static str,
    role_id: Uuid,
    role_assigned: bool,
    privileges_added: Vec<String>,
    changed: bool,
    /// The URL to paste into Partner Center (it holds the secret); absent when the secret's
    /// environment variable is not set or no `--public-url` was given.
    partner_center_url: Option<String>,
    /// Why `partner_center_url` is absent, and what to pass.
    partner_center_note: Option<String>,
}

/// What `leads setup` can say about the URL for Partner Center.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PartnerUrl {
    /// The public https intake URL, with its secret.
    Ready(String),
    /// The secret's environment variable (named) is not set.
    NoSecret(String),
    /// No `--public-url`: the only URL known is this machine's listening address, which the
    /// marketplace cannot reach (and which is plain http).
    NotPublic,
}

impl PartnerUrl {
    fn url(&self) -> Option<String> {
        match self {
            PartnerUrl::Ready(url) => Some(url.clone()),
            _ => None,
        }
    }

    fn note(&self) -> Option<String> {
        match self {
            PartnerUrl::Ready(_) => None,
            PartnerUrl::NoSecret(name) => Some(format!(
                "Set {name} (the secret `leads serve` uses) and run this again to print the \
                 URL to paste into Partner Center."
            )),
            PartnerUrl::NotPublic => Some(
                "Partner Center needs the endpoint's public https address: run this again with \
                 --public-url https://<your host> (the address `leads serve` is reached at, \
                 e.g. through its TLS proxy) to print the URL to paste."
                    .to_owned(),
            ),
        }
    }
}

/// Runs `leads setup`.
pub(crate) async fn run(
    args: &SetupArgs,
    inputs: OrgInputs<'_>,
    format: Format,
) -> Result<(), Failure> {
    let choice = args.org.choice(inputs.default_org.as_deref())?;
    // The URL is checked before any change, so a bad secret or --public-url stops early; an
    // unset secret only leaves the URL out (the setup is worth doing without it).
    let secret_set = (inputs.env)(&args.endpoint.secret_env).is_some_and(|v| !v.trim().is_empty());
    let url = if secret_set {
        match args.endpoint.partner_center_url(inputs.env)? {
            Some(url) => PartnerUrl::Ready(url),
            None => PartnerUrl::NotPublic,
        }
    } else {
        PartnerUrl::NoSecret(args.endpoint.secret_env.clone())
    };
    let org = connect(choice, inputs).await?;
    let report = setup::run(&org.client, &SetupOptions::new(args.app_id))
        .await
        .map_err(|e| failure(&e, &org.ctx))?;
    match format {
        Format::Json => output::print_json(&json(&report, &url)),
        Format::Human => output::print_text(&text(&report, &url)),
    }
    .map_err(io_failure)
}

fn failure(error: &SetupError, ctx: &Context) -> Failure {
    match error.dataverse() {
        // An error that is not about rights keeps the shared mapping's fix.
        Some(source) if !matches!(source.status(), Some(401 | 403)) => from_dataverse(source, ctx),
        Some(_) => Failure::new(ExitKind::NotAuthorized, error.to_string()).with_fix(
            "run it as a System Administrator of the org (it imports a solution, creates the \
                 application user and assigns a role); what was done stays done, so run it again \
                 after fixing the cause",
        ),
        None => Failure::new(ExitKind::Service, error.to_string()),
    }
}

fn json(report: &SetupReport, url: &PartnerUrl) -> SetupJson {
    SetupJson {
        application_user_id: report.user_id,
        user_created: report.user_created,
        user_updated: report.user_updated,
        solution: setup::SOLUTION_NAME,
        solution_imported: report.solution_imported,
        role: setup::ROLE_NAME,
        role_id: report.role_id,
        role_assigned: report.role_assigned,
        privileges_added: report.privileges_added.clone(),
        changed: report.changed(),
        partner_center_url: url.url(),
        partner_center_note: url.note(),
    }
}

fn text(report: &SetupReport, url: &PartnerUrl) -> String {
    let mut text = report.to_string();
    text.push('\n');
    match url {
        PartnerUrl::Ready(url) => text.push_str(&format!(
            "Paste into Partner Center (offer > Customer leads > HTTPS endpoint), and keep it \
             secret: it is the endpoint's only guard:\n{url}\n"
        )),
        other => {
            text.push_str(&other.note().unwrap_or_default());
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(changed: bool) -> SetupReport {
        let mut report = SetupReport::default();
        report.user_created = changed;
        report.solution_imported = changed;
        report.role_assigned = changed;
        if changed {
            report.privileges_added.push("prvReadAsyncOperation".into());
        }
        report
    }

    #[test]
    fn the_text_says_what_changed_and_what_to_paste() {
        let first = text(
            &report(true),
            &PartnerUrl::Ready("https://leads.contoso.com/leads/s3cret".into()),
        );
        assert!(
            first.contains("created") && first.contains("imported"),
            "{first}"
        );
        assert!(
            first.ends_with("https://leads.contoso.com/leads/s3cret\n"),
            "{first}"
        );
        let again = text(
            &report(false),
            &PartnerUrl::NoSecret("D365_LEADS_SECRET".into()),
        );
        assert!(again.contains("Nothing to change"), "{again}");
        assert!(again.contains("Set D365_LEADS_SECRET"), "{again}");
        let json = serde_json::to_value(json(&report(false), &PartnerUrl::NotPublic)).unwrap();
        assert_eq!(json["changed"], false);
        assert!(json["partner_center_url"].is_null());
        assert!(
            json["partner_center_note"]
                .as_str()
                .unwrap()
                .contains("--public-url")
        );
    }

    #[test]
    fn without_a_public_url_nothing_is_offered_for_partner_center() {
        let shown = text(&report(false), &PartnerUrl::NotPublic);
        assert!(!shown.contains("Paste into Partner Center"), "{shown}");
        assert!(!shown.contains("http://"), "{shown}");
        assert!(shown.contains("--public-url https://"), "{shown}");
    }
}

//! `solutions import <zip> [--async]` and `solutions list` (Dataverse Web API, one org named
//! with `--org-url` or `--environment`, as for `roles`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use dataverse_webapi::solutions::{ImportOutcome, SolutionInfo};
use dataverse_webapi::{DataverseClient, DataverseError};
use serde::Serialize;
use uuid::Uuid;

use super::dataverse_target::{
    DataverseTargetArgs, OrgInputs, connect, from_dataverse, io_failure,
};
use crate::exit::{Context, ExitKind, Failure};
use crate::output::{self, Format, Table, cell, fields};

/// The largest solution file read (Dataverse refuses solution files over about 95 MB).
const MAX_ZIP_BYTES: u64 = 128 * 1024 * 1024;

/// `d365 solutions ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SolutionsCommand {
    /// Import a solution .zip into an org (ImportSolution, or ImportSolutionAsync with
    /// --async). Needs the System Customizer or System Administrator role in the org (the
    /// Import Customizations privilege)
    Import(ImportArgs),
    /// List the org's solutions with version, managed flag and publisher. Needs Read on
    /// Solution (any role that can open the maker portal's Solutions page)
    List(ListArgs),
}

/// `solutions import`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ImportArgs {
    /// The solution .zip file
    pub(crate) zip: PathBuf,
    /// Import as a system job and wait for it (for large solutions)
    #[arg(long = "async")]
    pub(crate) asynchronous: bool,
    /// Overwrite unmanaged customizations of the solution's components
    #[arg(long)]
    pub(crate) overwrite_unmanaged: bool,
    /// Activate the processes (workflows) in the solution
    #[arg(long)]
    pub(crate) publish_workflows: bool,
    /// With --async: how long to wait, in seconds [default: 1800]
    #[arg(long, value_name = "SECS", requires = "asynchronous",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) timeout_secs: Option<u64>,
    /// With --async: seconds between polls, at least 1 [default: 10]
    #[arg(long, value_name = "SECS", requires = "asynchronous",
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub(crate) poll_interval_secs: Option<u64>,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// `solutions list`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ListArgs {
    /// Also list the solutions the maker portal hides (Active, Default, ...)
    #[arg(long)]
    pub(crate) all: bool,

    #[command(flatten)]
    pub(crate) org: DataverseTargetArgs,
}

/// The org the command names.
pub(crate) fn org_args(command: &SolutionsCommand) -> &DataverseTargetArgs {
    match command {
        SolutionsCommand::Import(a) => &a.org,
        SolutionsCommand::List(a) => &a.org,
    }
}

/// Runs `solutions ...`: the org flags and the solution file are checked before sign-in.
pub(crate) async fn run(
    command: &SolutionsCommand,
    inputs: OrgInputs<'_>,
    format: Format,
) -> Result<(), Failure> {
    let choice = org_args(command).choice(inputs.default_org.as_deref())?;
    match command {
        SolutionsCommand::Import(args) => {
            let zip = read_zip(&args.zip)?;
            let org = connect(choice, inputs).await?;
            import(&org.client, args, zip, &org.ctx, format).await
        }
        SolutionsCommand::List(args) => {
            let org = connect(choice, inputs).await?;
            list(&org.client, args, &org.ctx, format).await
        }
    }
}

/// A solution file that cannot be read: "permission denied" and "no such file" say so.
fn unreadable(path: &Path, e: &std::io::Error) -> Failure {
    let shown = path.display();
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            Failure::usage(format!("cannot read {shown}: permission denied")).with_fix(format!(
                "make the file readable by this user (chmod u+r {shown}), or copy it somewhere \
                 readable"
            ))
        }
        std::io::ErrorKind::NotFound => Failure::usage(format!(
            "cannot read {shown}: no such file"
        ))
        .with_fix(
            "check the path of the solution .zip (relative paths start at the current directory)",
        ),
        _ => Failure::usage(format!("cannot read {shown}: {e}")).with_fix(
            "pass the path of a solution .zip exported from Dataverse or built by the SDK",
        ),
    }
}

/// Reads the solution file, refusing what cannot be a solution before any sign-in.
pub(crate) fn read_zip(path: &Path) -> Result<Vec<u8>, Failure> {
    let unreadable = |e: std::io::Error| unreadable(path, &e);
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(Failure::usage(format!("{} is a directory", path.display()))
            .with_fix("pass the solution .zip itself, not an extracted folder"));
    }
    let size = meta.len();
    if size > MAX_ZIP_BYTES {
        return Err(Failure::usage(format!(
            "{} is {size} bytes; a solution file is at most {MAX_ZIP_BYTES}",
            path.display()
        ))
        .with_fix("check that this is the solution .zip"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ZIP_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_ZIP_BYTES {
        return Err(Failure::usage(format!(
            "{} is over {MAX_ZIP_BYTES} bytes; a solution file is at most that",
            path.display()
        ))
        .with_fix("check that this is the solution .zip"));
    }
    if !bytes.starts_with(b"PK") {
        return Err(
            Failure::usage(format!("{} is not a zip file", path.display()))
                .with_fix("pass the solution .zip itself, not an extracted folder or its XML"),
        );
    }
    Ok(bytes)
}

/// An import as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ImportJson {
    /// The solution's unique name, when the import job names it.
    pub(crate) solution: Option<String>,
    /// Its version.
    pub(crate) version: Option<String>,
    /// The import job.
    pub(crate) import_job_id: Option<Uuid>,
    /// The system job of an `--async` import.
    pub(crate) async_operation_id: Option<Uuid>,
    /// Warnings in the import job's result.
    pub(crate) warnings: Vec<String>,
}

impl From<&ImportOutcome> for ImportJson {
    fn from(o: &ImportOutcome) -> Self {
        ImportJson {
            solution: o.solution_unique_name.clone(),
            version: o.version.clone(),
            import_job_id: o.import_job_id,
            async_operation_id: o.async_operation_id,
            warnings: o
                .warnings
                .iter()
                .map(|w| match &w.component {
                    Some(c) => format!("{c}: {}", w.message),
                    None => w.message.clone(),
                })
                .collect(),
        }
    }
}

/// Imports the solution file and reports the outcome.
pub(crate) async fn import(
    client: &DataverseClient,
    args: &ImportArgs,
    zip: Vec<u8>,
    ctx: &Context,
    format: Format,
) -> Result<(), Failure> {
    let mut import = client
        .solutions()
        .import(zip)
        .overwrite_unmanaged_customizations(args.overwrite_unmanaged)
        .publish_workflows(args.publish_workflows);
    if args.asynchronous {
        import = import.asynchronously();
        if let Some(secs) = args.timeout_secs {
            import = import.timeout(Duration::from_secs(secs));
        }
        if let Some(secs) = args.poll_interval_secs {
            import = import.poll_interval(Duration::from_secs(secs));
        }
    }
    let outcome = import.await.map_err(|e| failure(&e, ctx))?;
    let json = ImportJson::from(&outcome);
    match format {
        Format::Json => output::print_json(&json),
        Format::Human => output::print_text(&import_text(&json)),
    }
    .map_err(io_failure)
}

/// The human report of an import.
pub(crate) fn import_text(o: &ImportJson) -> String {
    let mut text = fields(&[
        ("Imported", cell(o.solution.as_deref())),
        ("Version", cell(o.version.as_deref())),
        ("Import job", cell(o.import_job_id)),
        ("Async operation", cell(o.async_operation_id)),
    ]);
    for warning in &o.warnings {
        text.push_str(&format!("warning: {warning}\n"));
    }
    text
}

/// A solution as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SolutionJson {
    /// `solutionid`.
    pub(crate) id: Option<Uuid>,
    /// The unique name.
    pub(crate) unique_name: String,
    /// The display name.
    pub(crate) friendly_name: Option<String>,
    /// The version.
    pub(crate) version: Option<String>,
    /// Managed or not.
    pub(crate) managed: Option<bool>,
    /// The publisher's unique name.
    pub(crate) publisher: Option<String>,
}

impl From<&SolutionInfo> for SolutionJson {
    fn from(s: &SolutionInfo) -> Self {
        SolutionJson {
            id: s.id,
            unique_name: s.unique_name.clone(),
            friendly_name: s.friendly_name.clone(),
            version: s.version.clone(),
            managed: s.managed,
            publisher: s.publisher.as_ref().and_then(|p| p.unique_name.clone()),
        }
    }
}

/// Lists the org's solutions.
pub(crate) async fn list(
    client: &DataverseClient,
    args: &ListArgs,
    ctx: &Context,
    format: Format,
) -> Result<(), Failure> {
    let mut list = client.solutions().list();
    if args.all {
        list = list.include_hidden();
    }
    let solutions = list.await.map_err(|e| failure(&e, ctx))?;
    let rows: Vec<SolutionJson> = solutions.iter().map(SolutionJson::from).collect();
    match format {
        Format::Json => output::print_json(&rows),
        Format::Human => output::print_text(&list_text(&rows)),
    }
    .map_err(io_failure)
}

/// The human listing.
pub(crate) fn list_text(rows: &[SolutionJson]) -> String {
    if rows.is_empty() {
        return "No solutions (use --all to include the hidden ones).\n".to_owned();
    }
    let mut t = Table::new(["UNIQUE NAME", "VERSION", "MANAGED", "PUBLISHER", "NAME"]);
    for s in rows {
        t.row([
            s.unique_name.clone(),
            cell(s.version.as_deref()),
            cell(s.managed.map(|m| if m { "yes" } else { "no" })),
            cell(s.publisher.as_deref()),
            cell(s.friendly_name.as_deref()),
        ]);
    }
    t.render()
}

/// Maps a Dataverse error to the tool's exit codes.
pub(crate) fn failure(error: &DataverseError, ctx: &Context) -> Failure {
    match error {
        DataverseError::SolutionImportFailed { import_job_id, .. } => {
            let fix = match import_job_id {
                Some(job) => format!(
                    "fix what the message names and import again; the full log is the import \
                     job {job} (Solutions > Solution history in the maker portal)"
                ),
                None => "fix what the message names and import again".to_owned(),
            };
            Failure::new(ExitKind::Service, error.to_string()).with_fix(fix)
        }
        DataverseError::SolutionImportTimedOut { .. } => {
            Failure::new(ExitKind::Service, error.to_string()).with_fix(
                "the import may still finish: check Solutions > Solution history, or give it \
                 longer with --timeout-secs",
            )
        }
        _ => from_dataverse(error, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Harness {
        #[command(subcommand)]
        command: SolutionsCommand,
    }

    #[test]
    fn import_parses_its_flags() {
        let parsed = Harness::try_parse_from([
            "solutions",
            "import",
            "lw.zip",
            "--org-url",
            "https://contoso.crm4.dynamics.com",
            "--async",
            "--timeout-secs",
            "60",
        ])
        .expect("parses");
        let SolutionsCommand::Import(args) = parsed.command else {
            panic!("import expected");
        };
        assert!(args.asynchronous);
        assert_eq!(args.timeout_secs, Some(60));
        assert_eq!(args.zip, PathBuf::from("lw.zip"));
        assert!(Harness::try_parse_from(["solutions", "import"]).is_err());
        // Polling flags mean nothing without --async.
        assert!(
            Harness::try_parse_from(["solutions", "import", "lw.zip", "--timeout-secs", "5"])
                .is_err()
        );
        let env = Harness::try_parse_from(["solutions", "list", "--environment", "Contoso"])
            .expect("parses");
        let SolutionsCommand::List(list) = env.command else {
            panic!("list expected");
        };
        assert_eq!(list.org.environment.as_deref(), Some("Contoso"));
    }

    #[test]
    fn a_file_that_is_not_a_zip_is_a_usage_error() {
        let dir = std::env::temp_dir().join(format!("d365-solutions-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("solution.xml");
        std::fs::write(&path, "<ImportExportXml/>").expect("written");
        let err = read_zip(&path).expect_err("not a zip");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("not a zip"), "{err}");
        let missing = read_zip(&dir.join("missing.zip")).expect_err("missing");
        assert_eq!(missing.exit_code(), 2);
        std::fs::write(&path, b"PK\x05\x06rest").expect("written");
        assert!(read_zip(&path).is_ok());
        std::fs::remove_dir_all(&dir).expect("cleaned");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 64,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Any file content is read or refused without a panic, and only zip-like content
        /// (the `PK` signature) is accepted, unchanged.
        #[test]
        fn any_file_is_read_or_refused_as_a_usage_error(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            zip_like in proptest::prelude::any::<bool>(),
        ) {
            let mut bytes = bytes;
            if zip_like {
                bytes.splice(0..0, *b"PK");
            }
            let dir = std::env::temp_dir().join(format!("d365-prop-{}", Uuid::new_v4()));
            std::fs::create_dir_all(&dir).expect("dir");
            let path = dir.join("any.zip");
            std::fs::write(&path, &bytes).expect("written");
            let read = read_zip(&path);
            std::fs::remove_dir_all(&dir).expect("cleaned");
            match read {
                Ok(read) => {
                    proptest::prop_assert!(bytes.starts_with(b"PK"));
                    proptest::prop_assert_eq!(read, bytes);
                }
                Err(e) => {
                    proptest::prop_assert!(!bytes.starts_with(b"PK"));
                    proptest::prop_assert_eq!(e.exit_code(), 2);
                }
            }
        }
    }

    #[test]
    fn unreadable_files_say_why_and_how_to_fix_it() {
        let path = Path::new("/srv/lw.zip");
        let denied = unreadable(
            path,
            &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert_eq!(denied.exit_code(), 2);
        let text = denied.to_json().to_string();
        assert!(text.contains("permission denied"), "{text}");
        assert!(text.contains("chmod u+r /srv/lw.zip"), "{text}");
        let missing = unreadable(path, &std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(missing.exit_code(), 2);
        assert!(missing.to_string().contains("no such file"), "{missing}");
    }

    #[test]
    fn import_failures_name_the_job_and_exit_with_the_service_code() {
        let job = Uuid::nil();
        let err = DataverseError::SolutionImportFailed {
            import_job_id: Some(job),
            async_operation_id: None,
            message: "Some dependencies are missing.".into(),
        };
        let f = failure(&err, &Context::default());
        assert_eq!(f.exit_code(), 6);
        let text = f.to_json().to_string();
        assert!(text.contains("dependencies are missing"), "{text}");
        assert!(text.contains(&job.to_string()), "{text}");
        // Everything else maps as for the other org commands.
        let missing = DataverseError::NotFound {
            what: "a solution named 'Nope'".into(),
            fix: "check the name".into(),
        };
        assert_eq!(failure(&missing, &Context::default()).exit_code(), 5);
    }

    #[test]
    fn listings_render_every_column() {
        let rows = [SolutionJson {
            id: None,
            unique_name: "MarketplaceLeadWriter".into(),
            friendly_name: Some("Marketplace Lead Writer".into()),
            version: Some("1.0.0.0".into()),
            managed: Some(true),
            publisher: Some("contoso".into()),
        }];
        let text = list_text(&rows);
        assert!(text.starts_with("UNIQUE NAME"), "{text}");
        assert!(
            text.contains("MarketplaceLeadWriter  1.0.0.0  yes"),
            "{text}"
        );
        assert!(list_text(&[]).contains("--all"));
        let report = import_text(&ImportJson {
            solution: Some("Lw".into()),
            version: None,
            import_job_id: None,
            async_operation_id: None,
            warnings: vec!["entity Lead: skipped".into()],
        });
        assert!(report.contains("warning: entity Lead: skipped"), "{report}");
    }
}

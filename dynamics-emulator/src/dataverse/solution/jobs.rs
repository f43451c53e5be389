//! The records an import leaves: an `importjobs` row whose `data` is the result XML (root
//! attributes `succeeded="success|failure"` and `status="<error text>"`, progress 100), and for
//! `ImportSolutionAsync` an `asyncoperations` row that is already completed (statecode 3,
//! statuscode 30 Succeeded or 31 Failed, with the error in `message` and `friendlymessage`).

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::package::Package;
use crate::dataverse::errors::ApiError;
use crate::dataverse::odata::paging::xml_escape;
use crate::dataverse::write::ops::Writer;

/// The outcome of one import.
pub(crate) struct Outcome<'a> {
    pub(crate) job: Uuid,
    pub(crate) package: Option<&'a Package>,
    pub(crate) solution: Option<Uuid>,
    /// `None` on success, else the error text.
    pub(crate) error: Option<String>,
    /// Start and end, ISO 8601 UTC.
    pub(crate) started: String,
    pub(crate) finished: String,
}

/// Escaped for an XML attribute; control characters XML 1.0 cannot carry become spaces.
fn escape(text: &str) -> String {
    let printable: String = text
        .chars()
        .map(|c| match c {
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => ' ',
            c => c,
        })
        .collect();
    xml_escape(&printable)
}

/// The `data` XML of the import job.
pub(crate) fn result_xml(outcome: &Outcome<'_>) -> String {
    let (succeeded, status) = match &outcome.error {
        None => ("success", String::new()),
        Some(error) => ("failure", escape(error)),
    };
    let result = format!(
        "<result result=\"{succeeded}\" errorcode=\"{}\" errortext=\"{status}\" datetime=\"{}\"/>",
        if outcome.error.is_some() {
            "0x80048068"
        } else {
            "0"
        },
        escape(&outcome.finished)
    );
    let manifest = outcome.package.map_or_else(String::new, |p| {
        format!(
            "<solutionManifests><solutionManifest languagecode=\"1033\" id=\"{}\" LocalizedName=\"{}\" Version=\"{}\" Managed=\"{}\"><UniqueName>{}</UniqueName><Version>{}</Version>{result}</solutionManifest></solutionManifests>",
            escape(&p.unique_name),
            escape(&p.friendly_name),
            escape(&p.version_text()),
            u8::from(p.managed),
            escape(&p.unique_name),
            escape(&p.version_text()),
        )
    });
    let roles = outcome.package.map_or_else(String::new, |p| {
        p.roles
            .iter()
            .map(|r| {
                format!(
                    "<role id=\"{}\" name=\"{}\">{result}</role>",
                    r.id.map(|id| format!("{{{id}}}")).unwrap_or_default(),
                    escape(&r.name)
                )
            })
            .collect()
    });
    format!(
        "<importexportxml start=\"{}\" stop=\"{}\" progress=\"100\" processed=\"true\" succeeded=\"{succeeded}\" status=\"{status}\">{manifest}<roles>{roles}</roles></importexportxml>",
        escape(&outcome.started),
        escape(&outcome.finished)
    )
}

/// Writes the `importjobs` row.
pub(crate) fn write_import_job(
    writer: &mut Writer<'_>,
    outcome: &Outcome<'_>,
) -> Result<(), ApiError> {
    let table = writer.catalog.by_logical("importjob").unwrap_or_default();
    let name = outcome
        .package
        .map_or("Solution import", |p| p.unique_name.as_str());
    let mut body = Map::new();
    body.insert("name".to_owned(), json!(name));
    body.insert("solutionname".to_owned(), json!(name));
    body.insert("solutionid".to_owned(), json!(outcome.solution));
    body.insert("data".to_owned(), json!(result_xml(outcome)));
    body.insert("progress".to_owned(), json!(100.0));
    body.insert("startedon".to_owned(), json!(outcome.started));
    body.insert("completedon".to_owned(), json!(outcome.finished));
    body.insert("operationcontext".to_owned(), json!("Import"));
    if writer.data.row(table, outcome.job).is_some() {
        writer.update(table, outcome.job, &body)
    } else {
        writer
            .create(table, &body, Some(outcome.job), &[])
            .map(|_| ())
    }
}

/// Writes the completed `asyncoperations` row.
pub(crate) fn write_async_operation(
    writer: &mut Writer<'_>,
    id: Uuid,
    outcome: &Outcome<'_>,
) -> Result<(), ApiError> {
    let table = writer
        .catalog
        .by_logical("asyncoperation")
        .unwrap_or_default();
    let mut body = Map::new();
    body.insert("name".to_owned(), json!("ImportSolutionAsync"));
    body.insert("statecode".to_owned(), json!(3));
    body.insert(
        "statuscode".to_owned(),
        json!(if outcome.error.is_some() { 31 } else { 30 }),
    );
    let message = outcome.error.clone().map_or(Value::Null, Value::String);
    body.insert("message".to_owned(), message.clone());
    body.insert("friendlymessage".to_owned(), message);
    body.insert("startedon".to_owned(), json!(outcome.started));
    body.insert("completedon".to_owned(), json!(outcome.finished));
    body.insert("correlationid".to_owned(), json!(outcome.job));
    writer.create(table, &body, Some(id), &[]).map(|_| ())
}

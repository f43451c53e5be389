//! `operations wait <id>`: follow a long-running Online Management API operation to its end.

use online_mgmt_api::{ItemDescription, OperationStatus, WaitOptions};
use serde::Serialize;
use uuid::Uuid;

use crate::exit::{self, Context, ExitKind, Failure};
use crate::output::{self, Format, fields};
use crate::session::Session;

/// An operation's outcome as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct OperationJson {
    /// The operation id.
    pub(crate) operation_id: Uuid,
    /// The final state (`Succeeded`, ...).
    pub(crate) status: String,
    /// What went wrong, if anything.
    pub(crate) errors: Vec<ItemJson>,
    /// What the service reported along the way.
    pub(crate) information: Vec<ItemJson>,
}

/// One error or information item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ItemJson {
    /// A machine-readable code.
    pub(crate) code: Option<String>,
    /// What it is about.
    pub(crate) subject: Option<String>,
    /// What happened.
    pub(crate) description: Option<String>,
}

impl From<&ItemDescription> for ItemJson {
    fn from(i: &ItemDescription) -> Self {
        ItemJson {
            code: i.code.clone(),
            subject: i.subject.clone(),
            description: i.description.clone(),
        }
    }
}

impl From<&OperationStatus> for OperationJson {
    fn from(s: &OperationStatus) -> Self {
        OperationJson {
            operation_id: s.operation_id,
            status: s.status.to_string(),
            errors: s.errors.iter().map(ItemJson::from).collect(),
            information: s.information.iter().map(ItemJson::from).collect(),
        }
    }
}

/// The human view of an operation's outcome.
pub(crate) fn details(op: &OperationJson) -> String {
    let items = |list: &[ItemJson]| {
        if list.is_empty() {
            return "-".to_owned();
        }
        list.iter()
            .map(|i| {
                let mut text = [i.subject.as_deref(), i.description.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                if let Some(code) = &i.code {
                    text.push_str(&format!(" (code {code})"));
                }
                text
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    fields(&[
        ("Operation", op.operation_id.to_string()),
        ("Status", op.status.clone()),
        ("Errors", items(&op.errors)),
        ("Information", items(&op.information)),
    ])
}

/// Resolves when the user presses Ctrl-C; never, if the signal cannot be watched.
pub(crate) async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Waits for operation `id`.
pub(crate) async fn wait(
    session: &Session,
    id: Uuid,
    options: WaitOptions,
    format: Format,
) -> Result<(), Failure> {
    let client = session.oma("operations wait")?;
    let ctx = Context {
        not_found: Some((
            format!("operation {id}"),
            "check the id, and that ServiceURL is the region where the operation was started \
             (operations are kept for a limited time)"
                .to_owned(),
        )),
        ..session.ctx.clone()
    };
    let poller = client
        .resume_operation(id)
        .await
        .map_err(|e| exit::from_admin(&e, &ctx))?;
    let status = poller
        .wait_or_cancel(options, ctrl_c())
        .await
        .map_err(|e| exit::from_admin(&e, &ctx))?;
    let json = OperationJson::from(&status);
    match format {
        Format::Json => output::print_json(&json),
        Format::Human => output::print_text(&details(&json)),
    }
    .map_err(|e| {
        Failure::new(ExitKind::Service, format!("cannot write the output: {e}"))
            .with_fix("check that standard output can be written (disk space, permissions)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_list_errors_with_codes() {
        let op = OperationJson {
            operation_id: Uuid::from_u128(7),
            status: "Failed".into(),
            errors: vec![ItemJson {
                code: Some("UserNotLicensed".into()),
                subject: Some("ApplyUser".into()),
                description: Some("The user has no license.".into()),
            }],
            information: vec![],
        };
        let text = details(&op);
        assert!(
            text.contains(
                "Errors       ApplyUser: The user has no license. (code UserNotLicensed)"
            ),
            "{text}"
        );
        assert!(text.contains("Information  -"), "{text}");
    }
}

//! `users force-sync`: add an Entra user to an environment now (Online Management API
//! `ApplyUser`, or BAP `addUser`), instead of waiting for the background sync.

use online_mgmt_api::{EnvironmentName, WaitOptions};
use serde::Serialize;
use uuid::Uuid;

use crate::commands::operations::ctrl_c;
use crate::config::Backend;
use crate::exit::{self, Context, ExitKind, Failure};
use crate::output::{self, Format};
use crate::session::Session;

/// The outcome as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ForceSyncJson {
    /// The environment: an instance id, or (BAP) `Default-<tenant id>`.
    pub(crate) environment_id: String,
    /// The user's Entra object id.
    pub(crate) user_object_id: Uuid,
    /// `oma` or `bap`.
    pub(crate) backend: Backend,
    /// The ApplyUser operation (Online Management API only; `addUser` is synchronous).
    pub(crate) operation_id: Option<Uuid>,
    /// The final state (`Succeeded`).
    pub(crate) status: String,
}

/// What to check when the environment or the user is not found: the environment id means
/// an instance id on the Online Management API, and the Power Platform environment id on BAP.
fn not_found_fix(backend: Backend) -> String {
    let environment = match backend {
        Backend::Bap => {
            "the Environment ID from the Power Platform admin center > Environments > your \
             environment"
        }
        Backend::Oma => "an instance id from `d365 instances list`; ServiceURL must be its region",
    };
    format!(
        "check --environment ({environment}) and --user (the user's Entra object id, not the \
         user name)"
    )
}

/// The instance id the Online Management API needs: `Default-<tenant id>` names an
/// environment on the Power Platform admin API only. Checked before signing in.
pub(crate) fn oma_instance(environment: &EnvironmentName) -> Result<Uuid, Failure> {
    environment.as_uuid().ok_or_else(|| {
        Failure::usage(format!(
            "--environment {environment} is a Power Platform environment name; the Online \
             Management API takes the instance id"
        ))
        .with_fix(
            "give an instance id from `d365 instances list`, or add --backend bap (the Power \
             Platform admin API knows the default environment by that name)",
        )
    })
}

/// Force-syncs `user` into `environment` and waits for it.
pub(crate) async fn force_sync(
    session: &Session,
    environment: EnvironmentName,
    user: Uuid,
    wait: WaitOptions,
    format: Format,
) -> Result<(), Failure> {
    let ctx = Context {
        not_found: Some((
            format!("environment {environment} or user {user}"),
            not_found_fix(session.backend),
        )),
        ..session.ctx.clone()
    };
    let fail = |e: online_mgmt_api::AdminError| exit::from_admin(&e, &ctx);
    let outcome = match &session.oma {
        Some(client) => {
            let instance = oma_instance(&environment)?;
            let poller = client.apply_user(instance, user).await.map_err(fail)?;
            let operation_id = poller.operation_id();
            if format == Format::Human {
                eprintln!("ApplyUser started (operation {operation_id}); waiting for it to end...");
            }
            let status = poller.wait_or_cancel(wait, ctrl_c()).await.map_err(fail)?;
            ForceSyncJson {
                environment_id: environment.to_string(),
                user_object_id: user,
                backend: Backend::Oma,
                operation_id: Some(operation_id),
                status: status.status.to_string(),
            }
        }
        None => {
            session
                .admin
                .force_sync_user(environment.clone(), user)
                .wait(wait)
                .await
                .map_err(fail)?;
            ForceSyncJson {
                environment_id: environment.to_string(),
                user_object_id: user,
                backend: Backend::Bap,
                operation_id: None,
                status: "Succeeded".to_owned(),
            }
        }
    };
    match format {
        Format::Json => output::print_json(&outcome),
        Format::Human => output::print_text(&sentence(&outcome)),
    }
    .map_err(|e| {
        Failure::new(ExitKind::Service, format!("cannot write the output: {e}"))
            .with_fix("check that standard output can be written (disk space, permissions)")
    })
}

/// The human outcome.
pub(crate) fn sentence(o: &ForceSyncJson) -> String {
    match o.operation_id {
        Some(op) => format!(
            "User {} is synced into environment {} (operation {op}: {}).\n",
            o.user_object_id, o.environment_id, o.status
        ),
        None => format!(
            "User {} is synced into environment {}.\n",
            o.user_object_id, o.environment_id
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_names_user_environment_and_operation() {
        let o = ForceSyncJson {
            environment_id: Uuid::from_u128(0x20).to_string(),
            user_object_id: Uuid::from_u128(7),
            backend: Backend::Oma,
            operation_id: Some(Uuid::from_u128(9)),
            status: "Succeeded".into(),
        };
        let text = sentence(&o);
        assert!(
            text.contains("operation 00000000-0000-0000-0000-000000000009: Succeeded"),
            "{text}"
        );
        let json = serde_json::to_value(&o).expect("json");
        assert_eq!(json["backend"], "oma");
        assert_eq!(json["status"], "Succeeded");
    }

    #[test]
    fn a_missing_environment_points_to_where_each_backend_lists_its_ids() {
        let oma = not_found_fix(Backend::Oma);
        assert!(oma.contains("d365 instances list"), "{oma}");
        let bap = not_found_fix(Backend::Bap);
        assert!(bap.contains("Power Platform admin center"), "{bap}");
        assert!(!bap.contains("d365 instances list"), "{bap}");
        for fix in [oma, bap] {
            assert!(fix.contains("object id, not the user name"), "{fix}");
        }
    }
}

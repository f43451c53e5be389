//! `apps register | list | unregister` (and the old `whitelistapp`, `listallapps`,
//! `unregisterapp`).

use online_mgmt_api::RegisteredApplication;
use serde::Serialize;
use uuid::Uuid;

use crate::config::Backend;
use crate::exit::{self, Context, ExitKind, Failure};
use crate::output::{self, Format, Table, cell};
use crate::session::Session;

/// A registered application as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AppJson {
    /// The Entra application (client) id.
    pub(crate) application_id: Uuid,
    /// The application's tenant, when the service says.
    pub(crate) tenant_id: Option<Uuid>,
    /// Whether the registration is enabled, when the service says.
    pub(crate) enabled: Option<bool>,
    /// The registration's own id (Online Management API), when the service says.
    pub(crate) registration_id: Option<Uuid>,
    /// When it was registered, as the service wrote it.
    pub(crate) created_on: Option<String>,
}

impl From<&RegisteredApplication> for AppJson {
    fn from(app: &RegisteredApplication) -> Self {
        AppJson {
            application_id: app.application_id,
            tenant_id: app.tenant_id,
            enabled: app.enabled,
            registration_id: app.registration_id,
            created_on: app.created_on.clone(),
        }
    }
}

fn api_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Oma => "the Online Management API",
        Backend::Bap => "the Power Platform admin API as a management application",
    }
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::new(ExitKind::Service, format!("cannot write the output: {e}"))
        .with_fix("check that standard output can be written (disk space, permissions)")
}

/// Registers `app_id` of `tenant_id`.
pub(crate) async fn register(
    session: &Session,
    app_id: Uuid,
    tenant_id: Uuid,
    format: Format,
) -> Result<(), Failure> {
    let to_failure = |e| exit::from_admin(&e, &session.ctx);
    // Registering twice is harmless, but the answer should say it changed nothing.
    let existing = session
        .admin
        .list_applications()
        .await
        .map_err(to_failure)?
        .into_iter()
        .find(|a| a.application_id == app_id);
    let already = existing.is_some();
    let registered = match existing {
        Some(existing) => existing,
        None => session
            .admin
            .register_application(app_id)
            .tenant_id(tenant_id)
            .await
            .map_err(to_failure)?,
    };
    let json = AppJson::from(&registered);
    match format {
        Format::Json => output::print_json(&json),
        Format::Human => output::print_text(&registered_sentence(
            app_id,
            tenant_id,
            already,
            session.backend,
        )),
    }
    .map_err(io_failure)
}

/// What `apps register` prints: "is registered" or, when it was before, "was already
/// registered".
fn registered_sentence(app_id: Uuid, tenant_id: Uuid, already: bool, backend: Backend) -> String {
    let api = api_name(backend);
    if already {
        format!(
            "Application {app_id} (tenant {tenant_id}) was already registered with {api}; \
             nothing changed.\n"
        )
    } else {
        format!("Application {app_id} (tenant {tenant_id}) is registered with {api}.\n")
    }
}

/// Lists the registered applications.
pub(crate) async fn list(session: &Session, format: Format) -> Result<(), Failure> {
    let apps = session
        .admin
        .list_applications()
        .await
        .map_err(|e| exit::from_admin(&e, &session.ctx))?;
    let rows: Vec<AppJson> = apps.iter().map(AppJson::from).collect();
    match format {
        Format::Json => output::print_json(&rows),
        Format::Human => output::print_text(&table(&rows)),
    }
    .map_err(io_failure)
}

/// The human listing.
pub(crate) fn table(rows: &[AppJson]) -> String {
    if rows.is_empty() {
        return "No applications are registered.\n".to_owned();
    }
    let mut t = Table::new([
        "APPLICATION ID",
        "TENANT ID",
        "ENABLED",
        "REGISTRATION ID",
        "CREATED ON",
    ]);
    for app in rows {
        t.row([
            app.application_id.to_string(),
            cell(app.tenant_id),
            cell(app.enabled),
            cell(app.registration_id),
            cell(
                app.created_on
                    .as_deref()
                    .map(crate::progress::to_the_second),
            ),
        ]);
    }
    t.render()
}

/// Removes `app_id`'s registration.
pub(crate) async fn unregister(
    session: &Session,
    app_id: Uuid,
    format: Format,
) -> Result<(), Failure> {
    let ctx = Context {
        not_found: Some((
            format!("application {app_id}"),
            "check AadApplicationId (--app-id); `d365 apps list` shows the registered applications"
                .to_owned(),
        )),
        ..session.ctx.clone()
    };
    session
        .admin
        .unregister_application(app_id)
        .await
        .map_err(|e| exit::from_admin(&e, &ctx))?;
    match format {
        Format::Json => output::print_json(&serde_json::json!({
            "application_id": app_id,
            "unregistered": true,
        })),
        Format::Human => output::print_text(&format!(
            "Application {app_id} is no longer registered with {}.\n",
            match session.backend {
                Backend::Oma => "the Online Management API",
                Backend::Bap => "the Power Platform admin API",
            }
        )),
    }
    .map_err(io_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_every_field_and_dashes_for_gaps() {
        let rows = [AppJson {
            application_id: Uuid::from_u128(1),
            tenant_id: None,
            enabled: Some(true),
            registration_id: None,
            created_on: Some("2024-01-02T03:04:05Z".into()),
        }];
        let text = table(&rows);
        let mut lines = text.lines();
        assert!(lines.next().expect("header").starts_with("APPLICATION ID"));
        let row = lines.next().expect("row");
        assert!(
            row.starts_with("00000000-0000-0000-0000-000000000001  -"),
            "{row}"
        );
        assert!(row.contains("true"), "{row}");
        assert!(row.ends_with("2024-01-02T03:04:05Z"), "{row}");
        assert_eq!(table(&[]), "No applications are registered.\n");
        // The service's nanoseconds are cut to the second for people.
        let precise = AppJson {
            created_on: Some("2026-12-06T04:05:04.050244555Z".into()),
            ..rows[0].clone()
        };
        let text = table(&[precise]);
        assert!(text.trim_end().ends_with("2026-12-06T04:05:04Z"), "{text}");
    }

    #[test]
    fn json_field_names_are_stable() {
        let value = serde_json::to_value(AppJson {
            application_id: Uuid::from_u128(1),
            tenant_id: Some(Uuid::from_u128(2)),
            enabled: None,
            registration_id: None,
            created_on: None,
        })
        .expect("json");
        let mut keys: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "application_id",
                "created_on",
                "enabled",
                "registration_id",
                "tenant_id"
            ]
        );
    }
}

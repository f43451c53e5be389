//! `instances list | get <id>` (Online Management API).

use online_mgmt_api::Instance;
use serde::Serialize;
use uuid::Uuid;

use crate::exit::{self, Context, ExitKind, Failure};
use crate::output::{self, Format, Table, cell, fields};
use crate::session::Session;

/// An instance as printed with `--json`. Field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct InstanceJson {
    /// The instance (environment) id.
    pub(crate) id: Uuid,
    /// The unique name (`org1a2b3c`).
    pub(crate) unique_name: Option<String>,
    /// The display name.
    pub(crate) friendly_name: Option<String>,
    /// The domain name (`contoso` in `contoso.crm4.dynamics.com`).
    pub(crate) domain_name: Option<String>,
    /// The organisation URL.
    pub(crate) application_url: Option<String>,
    /// The Web API URL.
    pub(crate) api_url: Option<String>,
    /// The state (`Ready`, ...).
    pub(crate) state: Option<String>,
    /// The type (`Production`, `Sandbox`, ...).
    pub(crate) r#type: Option<String>,
    /// The version.
    pub(crate) version: Option<String>,
    /// What it is for.
    pub(crate) purpose: Option<String>,
}

impl From<&Instance> for InstanceJson {
    fn from(i: &Instance) -> Self {
        InstanceJson {
            id: i.id,
            unique_name: i.unique_name.clone(),
            friendly_name: i.friendly_name.clone(),
            domain_name: i.domain_name.clone(),
            application_url: i.application_url.clone(),
            api_url: i.api_url.clone(),
            state: i.state.as_ref().map(ToString::to_string),
            r#type: i.r#type.as_ref().map(ToString::to_string),
            version: i.version.clone(),
            purpose: i.purpose.clone(),
        }
    }
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::new(ExitKind::Service, format!("cannot write the output: {e}"))
        .with_fix("check that standard output can be written (disk space, permissions)")
}

/// Lists the instances of the region.
pub(crate) async fn list(session: &Session, format: Format) -> Result<(), Failure> {
    let client = session.oma("instances list")?;
    let instances = client
        .list_instances()
        .await
        .map_err(|e| exit::from_admin(&e, &session.ctx))?;
    let rows: Vec<InstanceJson> = instances.iter().map(InstanceJson::from).collect();
    match format {
        Format::Json => output::print_json(&rows),
        Format::Human => output::print_text(&table(&rows)),
    }
    .map_err(io_failure)
}

/// The human listing.
pub(crate) fn table(rows: &[InstanceJson]) -> String {
    if rows.is_empty() {
        return "No instances in this region (check ServiceURL if you expected some).\n".to_owned();
    }
    let mut t = Table::new(["ID", "UNIQUE NAME", "FRIENDLY NAME", "STATE", "TYPE", "URL"]);
    for i in rows {
        t.row([
            i.id.to_string(),
            cell(i.unique_name.as_deref()),
            cell(i.friendly_name.as_deref()),
            cell(i.state.as_deref()),
            cell(i.r#type.as_deref()),
            cell(i.application_url.as_deref()),
        ]);
    }
    t.render()
}

/// Shows one instance.
pub(crate) async fn get(session: &Session, id: Uuid, format: Format) -> Result<(), Failure> {
    let client = session.oma("instances get")?;
    let ctx = Context {
        not_found: Some((
            format!("instance {id}"),
            "check the id (`d365 instances list` shows them) and that ServiceURL is the \
             instance's region"
                .to_owned(),
        )),
        ..session.ctx.clone()
    };
    let instance = client
        .get_instance(id)
        .await
        .map_err(|e| exit::from_admin(&e, &ctx))?;
    let json = InstanceJson::from(&instance);
    match format {
        Format::Json => output::print_json(&json),
        Format::Human => output::print_text(&details(&json)),
    }
    .map_err(io_failure)
}

/// The human view of one instance.
pub(crate) fn details(i: &InstanceJson) -> String {
    fields(&[
        ("Id", i.id.to_string()),
        ("Unique name", cell(i.unique_name.as_deref())),
        ("Friendly name", cell(i.friendly_name.as_deref())),
        ("Domain name", cell(i.domain_name.as_deref())),
        ("State", cell(i.state.as_deref())),
        ("Type", cell(i.r#type.as_deref())),
        ("Version", cell(i.version.as_deref())),
        ("URL", cell(i.application_url.as_deref())),
        ("API URL", cell(i.api_url.as_deref())),
        ("Purpose", cell(i.purpose.as_deref())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InstanceJson {
        InstanceJson {
            id: Uuid::from_u128(0x20),
            unique_name: Some("orgc0a7e5a0".into()),
            friendly_name: Some("Contoso".into()),
            domain_name: None,
            application_url: Some("https://contoso.crm4.dynamics.com/".into()),
            api_url: None,
            state: Some("Ready".into()),
            r#type: Some("Production".into()),
            version: None,
            purpose: None,
        }
    }

    #[test]
    fn list_and_details_render() {
        let text = table(&[sample()]);
        assert!(text.starts_with("ID  "), "{text}");
        assert!(text.contains("orgc0a7e5a0  Contoso"), "{text}");
        let text = details(&sample());
        assert!(text.contains("Unique name    orgc0a7e5a0"), "{text}");
        assert!(text.contains("API URL        -"), "{text}");
    }

    #[test]
    fn json_uses_type_not_r_type() {
        let value = serde_json::to_value(sample()).expect("json");
        assert_eq!(value["type"], "Production");
        assert!(value.get("r#type").is_none());
    }
}

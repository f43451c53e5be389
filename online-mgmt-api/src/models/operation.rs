//! `OperationStatus`: what every long-running (and most synchronous) admin call answers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::de;
use super::enums::{InstanceState, OperationState};

/// The status of an operation, as `202 Accepted`, `200 OK` and `400 Bad Request` answers and
/// `GET Operation/{id}` carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationStatus {
    /// The operation's id (all zeros for validation-only and refused calls).
    #[serde(rename = "OperationId", alias = "operationId")]
    pub operation_id: Uuid,
    /// Its state.
    #[serde(rename = "Status", alias = "status")]
    pub status: OperationState,
    /// What went wrong.
    #[serde(
        rename = "Errors",
        alias = "errors",
        default,
        deserialize_with = "de::null_default"
    )]
    pub errors: Vec<ItemDescription>,
    /// Progress and other information.
    #[serde(
        rename = "Information",
        alias = "information",
        default,
        deserialize_with = "de::null_default"
    )]
    pub information: Vec<ItemDescription>,
    /// Where the operation can be polled, when the service says.
    #[serde(
        rename = "OperationLocation",
        alias = "operationLocation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub operation_location: Option<String>,
    /// Where the resource the operation works on lives, when the service says.
    #[serde(
        rename = "ResourceLocation",
        alias = "resourceLocation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_location: Option<String>,
    /// Extra values, such as `admin.InstanceId` and `instanceState`.
    #[serde(
        rename = "Context",
        alias = "context",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<OperationContext>,
    /// Fields this client does not know, kept as sent.
    #[serde(flatten, skip_serializing_if = "de::is_empty_map")]
    pub extra: Map<String, Value>,
}

impl OperationStatus {
    /// A status with no errors, information or context.
    pub fn new(operation_id: Uuid, status: OperationState) -> Self {
        OperationStatus {
            operation_id,
            status,
            errors: Vec::new(),
            information: Vec::new(),
            operation_location: None,
            resource_location: None,
            context: None,
            extra: Map::new(),
        }
    }

    /// See [`OperationState::is_terminal`].
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// `true` when the operation succeeded.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// A context item, whatever the casing of `Items` and of the key.
    pub fn context_item(&self, key: &str) -> Option<&Value> {
        let items = &self.context.as_ref()?.items;
        items.get(key).or_else(|| {
            items
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    }

    /// The instance the operation works on (`Context.Items["admin.InstanceId"]`): the new
    /// instance's id for a provisioning.
    pub fn instance_id(&self) -> Option<Uuid> {
        self.context_item("admin.InstanceId")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
    }

    /// The instance's state (`Context.Items["instanceState"]`), integer or string.
    pub fn instance_state(&self) -> Option<InstanceState> {
        self.context_item("instanceState")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// The errors on one line: `Subject: Description (code Code); ...`.
    pub fn error_summary(&self) -> String {
        self.errors
            .iter()
            .map(ItemDescription::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// An error or information item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDescription {
    /// What it is about.
    #[serde(
        rename = "Subject",
        alias = "subject",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub subject: Option<String>,
    /// What happened.
    #[serde(
        rename = "Description",
        alias = "description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// A machine-readable code (v1.2).
    #[serde(
        rename = "Code",
        alias = "code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
}

impl std::fmt::Display for ItemDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.subject, &self.description) {
            (Some(s), Some(d)) => write!(f, "{s}: {d}")?,
            (Some(s), None) => f.write_str(s)?,
            (None, Some(d)) => f.write_str(d)?,
            (None, None) => f.write_str("(no description)")?,
        }
        if let Some(code) = &self.code {
            write!(f, " (code {code})")?;
        }
        Ok(())
    }
}

/// The `Context` of an operation status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationContext {
    /// The items, such as `admin.InstanceId` and `instanceState`.
    #[serde(
        rename = "Items",
        alias = "items",
        default,
        deserialize_with = "de::null_default"
    )]
    pub items: Map<String, Value>,
}

/// Which operation to look up with
/// [`operation_status_by_query`](crate::OnlineManagementClient::operation_status_by_query)
/// (v1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationQuery {
    /// The operation provider (`query.operationProvider`).
    pub operation_provider: Option<String>,
    /// The instance (`query.instanceId`).
    pub instance_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_v1_example_with_integers_and_camel_case() {
        let s: OperationStatus = serde_json::from_str(
            r#"{"operationId":"accac4b5-2478-4fc7-b8b0-6b979e837bb1","status":2,"errors":[],"information":[],"operationLocation":null,"resourceLocation":null,"context":{"items":{"instanceState":2,"admin.InstanceId":"e2a9c8b3-2ead-4a83-b8ad-d1587b6415de"}}}"#,
        )
        .expect("parses");
        assert_eq!(s.status, OperationState::NotStarted);
        assert_eq!(s.instance_state(), Some(InstanceState::Pending));
        assert_eq!(
            s.instance_id().map(|u| u.to_string()).as_deref(),
            Some("e2a9c8b3-2ead-4a83-b8ad-d1587b6415de")
        );
        assert!(s.extra.is_empty());
    }

    #[test]
    fn reads_pascal_case_and_keeps_unknown_fields() {
        let s: OperationStatus = serde_json::from_str(
            r#"{"OperationId":"00000000-0000-0000-0000-000000000001","Status":"Failed","Errors":[{"Subject":"S","Description":"D","Code":"C"}],"Information":null,"Context":{"Items":null},"Percent":40}"#,
        )
        .expect("parses");
        assert_eq!(s.status, OperationState::Failed);
        assert_eq!(s.error_summary(), "S: D (code C)");
        assert!(s.information.is_empty());
        assert_eq!(s.extra.get("Percent"), Some(&Value::from(40)));
        let back = serde_json::to_value(&s).expect("ser");
        assert_eq!(back["Percent"], Value::from(40));
        assert_eq!(back["Status"], Value::from("Failed"));
    }
}

//! `OperationStatus`: the answer of every long-running or validating Online Management API call,
//! with its `OperationState`, `ItemDescription` errors and context items.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::admin::api_version::ApiVersion;
use crate::seed::InstanceState;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// `OperationState`, in spec order (v1 writes the position; `NotFound` and `Conflict` are
    /// v1.2 additions).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum OperationState {
        None,
        FailedToCreate,
        NotStarted,
        Ready,
        Pending,
        Running,
        Succeeded,
        Failed,
        Cancelling,
        Cancelled,
        Aborting,
        Aborted,
        Tombstone,
        Deleting,
        Deleted,
        NotFound,
        Conflict,
    }
}

impl OperationState {
    /// Whether polling ends here.
    pub(crate) fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded
                | Self::Failed
                | Self::FailedToCreate
                | Self::Cancelled
                | Self::Aborted
                | Self::Deleted
                | Self::NotFound
                | Self::Conflict
        )
    }
}

/// An `ItemDescription`: an error or information item. `code` is written from v1.2 on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemDescription {
    pub(crate) subject: String,
    pub(crate) description: String,
    pub(crate) code: Option<String>,
}

impl ItemDescription {
    /// An item with a subject, a code and a description.
    pub(crate) fn new(
        subject: impl Into<String>,
        code: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            subject: subject.into(),
            description: description.into(),
            code: Some(code.into()),
        }
    }

    /// The item as the API version writes it (camelCase, as in the specs' examples).
    pub(crate) fn render(&self, api: ApiVersion) -> Value {
        let mut item = json!({ "subject": self.subject, "description": self.description });
        if api == ApiVersion::V1_2
            && let Some(map) = item.as_object_mut()
        {
            map.insert("code".into(), json!(self.code));
        }
        item
    }
}

/// A value in `context.items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContextValue {
    /// An instance state, written like the other enums.
    InstanceState(InstanceState),
    /// A string (e.g. `admin.InstanceId`).
    Text(String),
}

/// An `OperationStatus` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OperationStatus {
    pub(crate) operation_id: Uuid,
    pub(crate) status: OperationState,
    pub(crate) errors: Vec<ItemDescription>,
    pub(crate) information: Vec<ItemDescription>,
    pub(crate) operation_location: Option<String>,
    pub(crate) resource_location: Option<String>,
    pub(crate) context: Vec<(String, ContextValue)>,
}

impl OperationStatus {
    /// A status with no errors, information, locations or context.
    pub(crate) fn new(operation_id: Uuid, status: OperationState) -> Self {
        Self {
            operation_id,
            status,
            errors: Vec::new(),
            information: Vec::new(),
            operation_location: None,
            resource_location: None,
            context: Vec::new(),
        }
    }

    /// A request that was rejected before an operation started: nil ID, `FailedToCreate`.
    pub(crate) fn failed_to_create(errors: Vec<ItemDescription>) -> Self {
        Self {
            errors,
            ..Self::new(Uuid::nil(), OperationState::FailedToCreate)
        }
    }

    /// A synchronous call that failed: nil ID, `Failed`.
    pub(crate) fn failed(errors: Vec<ItemDescription>) -> Self {
        Self {
            errors,
            ..Self::new(Uuid::nil(), OperationState::Failed)
        }
    }

    /// A validation or synchronous call that succeeded: nil ID, `Succeeded`.
    pub(crate) fn succeeded() -> Self {
        Self::new(Uuid::nil(), OperationState::Succeeded)
    }

    /// Adds `admin.InstanceId`.
    pub(crate) fn with_instance(mut self, instance_id: Uuid) -> Self {
        self.context.push((
            "admin.InstanceId".to_owned(),
            ContextValue::Text(instance_id.to_string()),
        ));
        self
    }

    /// Adds `instanceState`.
    pub(crate) fn with_instance_state(mut self, state: InstanceState) -> Self {
        self.context.push((
            "instanceState".to_owned(),
            ContextValue::InstanceState(state),
        ));
        self
    }

    /// The body as the API version writes it: camelCase keys, enums as integers (v1) or
    /// strings (v1.2).
    pub(crate) fn render(&self, api: ApiVersion) -> Value {
        let items: Map<String, Value> = self
            .context
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    ContextValue::InstanceState(state) => api.enum_value(*state),
                    ContextValue::Text(text) => Value::from(text.as_str()),
                };
                (key.clone(), value)
            })
            .collect();
        let render_all =
            |items: &[ItemDescription]| items.iter().map(|i| i.render(api)).collect::<Vec<_>>();
        json!({
            "operationId": self.operation_id,
            "status": api.enum_value(self.status),
            "errors": render_all(&self.errors),
            "information": render_all(&self.information),
            "operationLocation": self.operation_location,
            "resourceLocation": self.resource_location,
            "context": { "items": items },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::WireEnum;

    #[test]
    fn v1_matches_the_spec_example_shape() {
        let status = OperationStatus::failed_to_create(vec![ItemDescription::new(
            "ProvisioningJobCreation",
            "X",
            "There was an error creating the provisioning job.",
        )])
        .with_instance_state(InstanceState::FailedProvisioning);
        let v1 = status.render(ApiVersion::V1);
        assert_eq!(v1["status"], json!(1));
        assert_eq!(v1["context"]["items"]["instanceState"], json!(5));
        assert_eq!(
            v1["errors"][0],
            json!({"subject": "ProvisioningJobCreation",
                   "description": "There was an error creating the provisioning job."})
        );
        let v12 = status.render(ApiVersion::V1_2);
        assert_eq!(v12["status"], json!("FailedToCreate"));
        assert_eq!(
            v12["context"]["items"]["instanceState"],
            json!("FailedProvisioning")
        );
        assert_eq!(v12["errors"][0]["code"], json!("X"));
        assert_eq!(v12["operationLocation"], Value::Null);
    }

    #[test]
    fn state_positions_follow_the_spec() {
        assert_eq!(OperationState::NotStarted.index(), 2);
        assert_eq!(OperationState::Running.index(), 5);
        assert_eq!(OperationState::Succeeded.index(), 6);
        assert_eq!(OperationState::Deleted.index(), 14);
        assert_eq!(OperationState::Conflict.index(), 16);
        assert!(OperationState::Failed.is_terminal());
        assert!(!OperationState::Running.is_terminal());
    }
}

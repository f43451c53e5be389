//! User notifications (v1.2 `UserNotification`).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rfc3339;
use crate::wire_enum::{WireEnum, wire_enum};

wire_enum! {
    /// `NotificationState`, in spec order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum NotificationState {
        None,
        Ready,
        Unread,
        Read,
        Pending,
        Inactive,
        Disabled,
        FailedProvisioning,
        ReadyToConfigure,
        Locked,
    }
}

wire_enum! {
    /// `NotificationPriority`, in spec order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum NotificationPriority {
        Unknown,
        High,
        Low,
    }
}

/// An environment a notification is about (`EnvironmentMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvironmentRef {
    pub(crate) id: Uuid,
    pub(crate) name: Option<String>,
    pub(crate) geo: Option<String>,
}

/// The content of a notification (`NotificationContent`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NotificationContent {
    pub(crate) template_id: Option<String>,
    pub(crate) template_type: Option<String>,
    pub(crate) slugs: BTreeMap<String, String>,
}

/// A posted notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notification {
    pub(crate) id: Uuid,
    pub(crate) admin_id: Uuid,
    pub(crate) tenant_id: Uuid,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) environments: Vec<EnvironmentRef>,
    pub(crate) state: NotificationState,
    pub(crate) priority: NotificationPriority,
    pub(crate) org_id: Option<Uuid>,
    pub(crate) content: NotificationContent,
}

impl Notification {
    /// The `UserNotification` body (v1.2: enums as strings).
    pub(crate) fn render(&self) -> Value {
        json!({
            "notificationId": self.id,
            "adminId": self.admin_id,
            "tenantId": self.tenant_id,
            "createdAt": rfc3339(self.created_at),
            "environments": self.environments.iter().map(|e| json!({
                "id": e.id,
                "name": e.name,
                "geo": e.geo,
            })).collect::<Vec<_>>(),
            "state": self.state.name(),
            "priority": self.priority.name(),
            "orgId": self.org_id,
            "content": {
                "templateId": self.content.template_id,
                "templateType": self.content.template_type,
                "slugs": self.content.slugs,
            },
        })
    }

    /// Whether the notification is about any of these environments.
    pub(crate) fn concerns_any(&self, environments: &[Uuid]) -> bool {
        self.environments
            .iter()
            .any(|e| environments.contains(&e.id))
    }
}

//! User notifications, v1.2.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::de;
use super::enums::{NotificationPriority, NotificationState};

/// Which notifications
/// [`list_notifications`](crate::OnlineManagementClient::list_notifications) reads (v1.2):
/// those of one admin about some environments. Construct with `..Default::default()`; the
/// ids must be set and `environments` must not be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationQuery {
    /// The tenant (directory) id.
    pub tenant_id: Uuid,
    /// The admin's Entra user object id.
    pub user_object_id: Uuid,
    /// The environments (instance ids) to read notifications about; at least one.
    pub environments: Vec<Uuid>,
}

/// A notification to or from the notification service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserNotification {
    /// Its id.
    #[serde(
        alias = "notificationId",
        default,
        deserialize_with = "de::opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub notification_id: Option<Uuid>,
    /// The admin it is for (the user object id).
    #[serde(
        alias = "adminId",
        default,
        deserialize_with = "de::opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub admin_id: Option<Uuid>,
    /// The tenant.
    #[serde(
        alias = "tenantId",
        default,
        deserialize_with = "de::opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub tenant_id: Option<Uuid>,
    /// When it was created.
    #[serde(alias = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The environments it is about.
    #[serde(
        alias = "environments",
        default,
        deserialize_with = "de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub environments: Vec<EnvironmentMetadata>,
    /// Its state.
    #[serde(alias = "state", skip_serializing_if = "Option::is_none")]
    pub state: Option<NotificationState>,
    /// Its priority.
    #[serde(alias = "priority", skip_serializing_if = "Option::is_none")]
    pub priority: Option<NotificationPriority>,
    /// The org it is about.
    #[serde(
        alias = "orgId",
        default,
        deserialize_with = "de::opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub org_id: Option<Uuid>,
    /// What it says.
    #[serde(alias = "content", skip_serializing_if = "Option::is_none")]
    pub content: Option<NotificationContent>,
}

/// An environment a notification is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentMetadata {
    /// The environment id.
    #[serde(
        alias = "id",
        default,
        deserialize_with = "de::opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<Uuid>,
    /// Its name.
    #[serde(alias = "name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its geography.
    #[serde(alias = "geo", skip_serializing_if = "Option::is_none")]
    pub geo: Option<String>,
}

/// The content of a notification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationContent {
    /// The template.
    #[serde(alias = "templateId", skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// The template type.
    #[serde(alias = "templateType", skip_serializing_if = "Option::is_none")]
    pub template_type: Option<String>,
    /// Values for the template's placeholders.
    #[serde(
        alias = "slugs",
        default,
        deserialize_with = "de::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub slugs: BTreeMap<String, String>,
}

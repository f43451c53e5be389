//! The request bodies of the Online Management API, read field by field (any key case) into
//! typed values. Shape errors (missing required fields, wrong types) are reported here; rules that
//! need the emulator's state are checked by the handlers.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::notification::{
    EnvironmentRef, NotificationContent, NotificationPriority, NotificationState,
};
use crate::admin::api_version::ApiVersion;
use crate::admin::body::{FieldError, Fields, take};
use crate::seed::InstanceType;

/// `Ok` when no field failed, else every field error.
fn finish<T>(value: T, errors: Vec<FieldError>) -> Result<T, Vec<FieldError>> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

/// An error for a field that must be present.
fn required(field: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: "is required".to_owned(),
    }
}

/// `Currency.Code` of an optional `Currency` object.
fn currency_code(fields: &Fields<'_>, name: &str) -> Result<Option<String>, FieldError> {
    match fields.object(name)? {
        Some(currency) => currency.string("Code"),
        None => Ok(None),
    }
}

/// `NewInstance` (Provision).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NewInstanceRequest {
    pub(crate) service_version_id: Uuid,
    pub(crate) instance_type: InstanceType,
    pub(crate) friendly_name: String,
    pub(crate) domain_name: String,
    pub(crate) initial_user_email: String,
    pub(crate) base_language: Option<i64>,
    pub(crate) currency_code: Option<String>,
    pub(crate) templates: Vec<String>,
    pub(crate) purpose: Option<String>,
    pub(crate) security_group_id: Option<Uuid>,
    pub(crate) additional_properties: BTreeMap<String, String>,
}

impl NewInstanceRequest {
    /// Reads the body; v1 also requires `BaseLanguage`.
    pub(crate) fn read(fields: &Fields<'_>, api: ApiVersion) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let instance_type = take(
            &mut errors,
            fields
                .enum_value::<InstanceType>("Type")
                .and_then(|t| t.ok_or_else(|| required("Type"))),
        );
        let base_language = take(&mut errors, fields.int("BaseLanguage"));
        if api == ApiVersion::V1 && base_language.is_none() {
            errors.push(required("BaseLanguage"));
        }
        let request = Self {
            service_version_id: take(&mut errors, fields.required_uuid("ServiceVersionId")),
            instance_type,
            friendly_name: take(&mut errors, fields.required_string("FriendlyName")),
            domain_name: take(&mut errors, fields.required_string("DomainName")),
            initial_user_email: take(&mut errors, fields.required_string("InitialUserEmail")),
            base_language,
            currency_code: take(&mut errors, currency_code(fields, "Currency")),
            templates: take(&mut errors, fields.strings("Templates")),
            purpose: take(&mut errors, fields.string("Purpose")),
            security_group_id: take(&mut errors, fields.uuid("SecurityGroupId")),
            additional_properties: take(&mut errors, fields.string_map("AdditionalProperties")),
        };
        finish(request, errors)
    }
}

/// `NewInstanceBackup`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NewBackupRequest {
    pub(crate) instance_id: Uuid,
    pub(crate) label: String,
    pub(crate) notes: Option<String>,
}

impl NewBackupRequest {
    /// Reads the body.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let request = Self {
            instance_id: take(&mut errors, fields.required_uuid("InstanceId")),
            label: take(&mut errors, fields.required_string("Label")),
            notes: take(&mut errors, fields.string("Notes")),
        };
        if request.label.chars().count() > 100 {
            errors.push(FieldError {
                field: "Label".to_owned(),
                message: "must be at most 100 characters".to_owned(),
            });
        }
        finish(request, errors)
    }
}

/// `InstanceRestorePoint` (Restore).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RestoreRequest {
    pub(crate) source_instance_id: Uuid,
    pub(crate) instance_backup_id: Option<Uuid>,
    pub(crate) label: Option<String>,
    pub(crate) created_on: Option<time::OffsetDateTime>,
}

impl RestoreRequest {
    /// Reads the body.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let request = Self {
            source_instance_id: take(&mut errors, fields.required_uuid("SourceInstanceId")),
            instance_backup_id: take(&mut errors, fields.uuid("InstanceBackupId")),
            label: take(&mut errors, fields.string("Label")),
            created_on: take(&mut errors, fields.date_time("CreatedOn")),
        };
        finish(request, errors)
    }
}

/// `InstanceAdminModeSettings` (UpdateAdminMode).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AdminModeRequest {
    pub(crate) override_user_object_id: Option<Uuid>,
    pub(crate) admin_mode: Option<bool>,
    pub(crate) background_operations_enabled: Option<bool>,
    pub(crate) notification_text: Option<String>,
}

impl AdminModeRequest {
    /// Reads the body.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let request = Self {
            override_user_object_id: take(&mut errors, fields.uuid("OverrideUserObjectId")),
            admin_mode: take(&mut errors, fields.bool("AdminMode")),
            background_operations_enabled: take(
                &mut errors,
                fields.bool("BackgroundOperationsEnabled"),
            ),
            notification_text: take(&mut errors, fields.string("NotificationText")),
        };
        finish(request, errors)
    }
}

/// `ConfigureInstanceSettings` (v1.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfigureRequest {
    pub(crate) purpose: Option<String>,
    pub(crate) additional_properties: BTreeMap<String, String>,
}

impl ConfigureRequest {
    /// Reads the body.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let request = Self {
            purpose: take(&mut errors, fields.string("Purpose")),
            additional_properties: take(&mut errors, fields.string_map("AdditionalProperties")),
        };
        finish(request, errors)
    }
}

/// `ResetRequest` (v1.2). Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResetRequest {
    pub(crate) friendly_name: Option<String>,
    pub(crate) domain_name: Option<String>,
    pub(crate) purpose: Option<String>,
    pub(crate) security_group_id: Option<Uuid>,
    pub(crate) target_release: Option<String>,
    pub(crate) base_language_code: Option<i64>,
    pub(crate) currency_code: Option<String>,
    pub(crate) application_names: Vec<String>,
    pub(crate) additional_properties: BTreeMap<String, String>,
}

impl ResetRequest {
    /// Reads the body.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let request = Self {
            friendly_name: take(&mut errors, fields.string("FriendlyName")),
            domain_name: take(&mut errors, fields.string("DomainName")),
            purpose: take(&mut errors, fields.string("Purpose")),
            security_group_id: take(&mut errors, fields.uuid("SecurityGroupId")),
            target_release: take(&mut errors, fields.string("TargetRelease")),
            base_language_code: take(&mut errors, fields.int("BaseLanguageCode")),
            currency_code: take(&mut errors, currency_code(fields, "Currency")),
            application_names: take(&mut errors, fields.strings("ApplicationNames")),
            additional_properties: take(&mut errors, fields.string_map("AdditionalProperties")),
        };
        finish(request, errors)
    }
}

/// `ImportKeyData` (v1.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ImportKeyRequest {
    pub(crate) key_name: String,
    pub(crate) key: Vec<u8>,
}

impl ImportKeyRequest {
    /// Reads the body: `KeyName` and a non-empty base64 `Key` are required.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let _key_type = take(&mut errors, fields.int("KeyType"));
        let _password = take(&mut errors, fields.string("KeyPassword"));
        let request = Self {
            key_name: take(&mut errors, fields.required_string("KeyName")),
            key: take(
                &mut errors,
                fields
                    .bytes("Key")
                    .and_then(|key| key.filter(|k| !k.is_empty()).ok_or_else(|| required("Key"))),
            ),
        };
        finish(request, errors)
    }
}

/// `GenerateKeyData` (v1.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GenerateKeyRequest {
    pub(crate) subject_name: String,
    pub(crate) key_password: String,
}

impl GenerateKeyRequest {
    /// Reads the body: `SubjectName` and `KeyPassword` are required.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let request = Self {
            subject_name: take(&mut errors, fields.required_string("SubjectName")),
            key_password: take(&mut errors, fields.required_string("KeyPassword")),
        };
        finish(request, errors)
    }
}

/// `UserNotification` (v1.2 PostUserNotification).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NotificationRequest {
    pub(crate) id: Option<Uuid>,
    pub(crate) admin_id: Option<Uuid>,
    pub(crate) environments: Vec<EnvironmentRef>,
    pub(crate) state: Option<NotificationState>,
    pub(crate) priority: Option<NotificationPriority>,
    pub(crate) org_id: Option<Uuid>,
    pub(crate) content: NotificationContent,
}

impl NotificationRequest {
    /// Reads the body: at least one environment with an `Id` is required.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let environments = take(&mut errors, fields.objects("Environments"))
            .iter()
            .filter_map(|environment| {
                Some(EnvironmentRef {
                    id: take(&mut errors, environment.required_uuid("Id").map(Some))?,
                    name: take(&mut errors, environment.string("Name")),
                    geo: take(&mut errors, environment.string("Geo")),
                })
            })
            .collect::<Vec<_>>();
        if environments.is_empty() && errors.is_empty() {
            errors.push(required("Environments"));
        }
        let content = match take(&mut errors, fields.object("Content")) {
            Some(content) => NotificationContent {
                template_id: take(&mut errors, content.string("TemplateId")),
                template_type: take(&mut errors, content.string("TemplateType")),
                slugs: take(&mut errors, content.string_map("Slugs")),
            },
            None => NotificationContent::default(),
        };
        let request = Self {
            id: take(&mut errors, fields.uuid("NotificationId")),
            admin_id: take(&mut errors, fields.uuid("AdminId")),
            environments,
            state: take(&mut errors, fields.enum_value("State")),
            priority: take(&mut errors, fields.enum_value("Priority")),
            org_id: take(&mut errors, fields.uuid("OrgId")),
            content,
        };
        finish(request, errors)
    }
}

/// `TenantApplicationIdentity` (CreateTenantApplicationIdentity).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IdentityRequest {
    pub(crate) aad_application_id: Uuid,
    pub(crate) tenant_id: Option<Uuid>,
    pub(crate) enabled: Option<bool>,
}

impl IdentityRequest {
    /// Reads the body: `AadApplicationId` is required; `TenantId` and `Enabled` default to the
    /// caller's tenant and `true`.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let request = Self {
            aad_application_id: take(&mut errors, fields.required_uuid("AadApplicationId")),
            tenant_id: take(&mut errors, fields.uuid("TenantId")),
            enabled: take(&mut errors, fields.bool("Enabled")),
        };
        finish(request, errors)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;

    fn read<T>(
        value: Value,
        reader: impl Fn(&Fields<'_>) -> Result<T, Vec<FieldError>>,
    ) -> Result<T, Vec<String>> {
        let map: Map<String, Value> = value.as_object().cloned().unwrap_or_default();
        reader(&Fields::new(&map)).map_err(|errors| errors.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn new_instance_in_pascal_or_camel_case() {
        let pascal = json!({
            "ServiceVersionId": "5d3b8a1e-6f0c-4c6e-9a52-000000000902",
            "Type": "Sandbox", "FriendlyName": "Dev", "DomainName": "dev",
            "InitialUserEmail": "a@b", "Currency": {"Code": "EUR"}
        });
        let camel = json!({
            "serviceVersionId": "5d3b8a1e-6f0c-4c6e-9a52-000000000902",
            "type": 2, "friendlyName": "Dev", "domainName": "dev",
            "initialUserEmail": "a@b", "currency": {"code": "EUR"}
        });
        let a = read(pascal, |f| NewInstanceRequest::read(f, ApiVersion::V1_2));
        let b = read(camel, |f| NewInstanceRequest::read(f, ApiVersion::V1_2));
        assert_eq!(a, b);
        assert_eq!(
            a.map(|r| (r.instance_type, r.currency_code)),
            Ok((InstanceType::Sandbox, Some("EUR".to_owned())))
        );
    }

    #[test]
    fn missing_fields_are_all_reported() {
        let errors = read(json!({}), |f| NewInstanceRequest::read(f, ApiVersion::V1))
            .err()
            .unwrap_or_default();
        for field in [
            "Type",
            "BaseLanguage",
            "ServiceVersionId",
            "FriendlyName",
            "DomainName",
            "InitialUserEmail",
        ] {
            assert!(errors.iter().any(|e| e == field), "{field} in {errors:?}");
        }
    }

    #[test]
    fn notification_needs_an_environment() {
        assert_eq!(
            read(json!({"Environments": []}), NotificationRequest::read).err(),
            Some(vec!["Environments".to_owned()])
        );
        assert_eq!(
            read(
                json!({"Environments": [{"Name": "x"}]}),
                NotificationRequest::read
            )
            .err(),
            Some(vec!["Environments[0].Id".to_owned()])
        );
    }
}

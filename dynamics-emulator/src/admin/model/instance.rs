//! The `Instance` body of the Online Management API.

use serde_json::{Value, json};

use crate::admin::api_version::ApiVersion;
use crate::environments::Instance;

/// An instance as the API version writes it: camelCase keys; `state` and `type` as integers
/// (v1) or strings (v1.2); v1.2 adds `initialUserPrincipalName`, `isLocked`,
/// `protectionStatus` and `additionalProperties`.
pub(crate) fn render_instance(instance: &Instance, api: ApiVersion) -> Value {
    let mut body = json!({
        "id": instance.id,
        "uniqueName": instance.unique_name,
        "version": instance.version,
        "applicationUrl": instance.application_url,
        "apiUrl": instance.api_url,
        "state": api.enum_value(instance.state),
        "stateIsSupportedForDelete": instance.is_sandbox_like(),
        "adminMode": instance.admin_mode,
        "type": api.enum_value(instance.instance_type),
        "purpose": instance.purpose,
        "friendlyName": instance.friendly_name,
        "domainName": instance.domain_name,
        "baseLanguage": instance.base_language,
        "initialUserEmail": instance.initial_user_email,
        "securityGroupId": instance.security_group_id,
    });
    if api == ApiVersion::V1_2
        && let Some(map) = body.as_object_mut()
    {
        map.insert(
            "initialUserPrincipalName".into(),
            json!(instance.initial_user_principal_name),
        );
        map.insert("isLocked".into(), json!(instance.is_locked));
        map.insert(
            "protectionStatus".into(),
            api.enum_value(instance.protection_status),
        );
        map.insert(
            "additionalProperties".into(),
            json!(instance.additional_properties),
        );
    }
    body
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;
    use crate::seed::{InstanceSeed, InstanceType};

    #[test]
    fn enums_follow_the_version() {
        let seed = InstanceSeed {
            instance_type: InstanceType::Sandbox,
            ..InstanceSeed::new(Uuid::new_v4(), "fab")
        };
        let instance = Instance::from_seed(Uuid::new_v4(), seed, OffsetDateTime::UNIX_EPOCH);
        let v1 = render_instance(&instance, ApiVersion::V1);
        assert_eq!(v1["type"], json!(2));
        assert_eq!(v1["state"], json!(1));
        assert!(v1.get("protectionStatus").is_none());
        let v12 = render_instance(&instance, ApiVersion::V1_2);
        assert_eq!(v12["type"], json!("Sandbox"));
        assert_eq!(v12["protectionStatus"], json!("MicrosoftEncrypted"));
        assert_eq!(v12["stateIsSupportedForDelete"], json!(true));
    }
}

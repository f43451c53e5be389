//! The BAP environment body, built from an instance.

use serde_json::{Value, json};

use crate::admin::model::rfc3339;
use crate::environments::Instance;
use crate::wire_enum::WireEnum;

/// An environment as `GET …/scopes/admin/environments/{id}` returns it, with the Dataverse
/// details in `properties.linkedEnvironmentMetadata` (`instanceUrl` is the instance's
/// `ApplicationUrl`, `instanceApiUrl` its `ApiUrl`).
pub(crate) fn render_environment(instance: &Instance) -> Value {
    let created = rfc3339(instance.created_on);
    json!({
        "id": format!(
            "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{}",
            instance.id
        ),
        "type": "Microsoft.BusinessAppPlatform/scopes/environments",
        "location": "unitedstates",
        "name": instance.id,
        "properties": {
            "tenantId": instance.tenant_id,
            "azureRegion": "westus",
            "displayName": instance.friendly_name,
            "createdTime": created,
            "environmentSku": instance.instance_type.name(),
            "isDefault": false,
            "provisioningState": "Succeeded",
            "databaseType": "CommonDataService",
            "states": {
                "management": { "id": "Ready" },
                "runtime": { "id": if instance.admin_mode { "AdminMode" } else { "Enabled" } },
            },
            "linkedEnvironmentMetadata": {
                "type": "Dynamics365Instance",
                "resourceId": instance.id,
                "friendlyName": instance.friendly_name,
                "uniqueName": instance.unique_name,
                "domainName": instance.domain_name,
                "version": instance.version,
                "instanceUrl": instance.application_url,
                "instanceApiUrl": instance.api_url,
                "baseLanguage": instance.base_language,
                "instanceState": instance.state.name(),
                "createdTime": created,
                "securityGroupId": instance.security_group_id,
            },
        },
    })
}

//! Power Platform admin API bodies, read tolerantly.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A management application (service principal allowed to call the admin APIs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminApplication {
    /// The Entra application (client) id.
    #[serde(rename = "applicationId", alias = "ApplicationId")]
    pub application_id: Uuid,
    /// Fields this client does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Power Platform environment, as the admin API describes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Environment {
    /// The environment name (its id, as BAP writes it).
    pub name: Option<String>,
    /// The full resource id (`/providers/Microsoft.BusinessAppPlatform/environments/{name}`).
    pub id: Option<String>,
    /// The geography, such as `europe`.
    pub location: Option<String>,
    /// The display name (`properties.displayName`).
    pub display_name: Option<String>,
    /// The SKU, such as `Production` or `Sandbox` (`properties.environmentSku`).
    pub sku: Option<String>,
    /// The Dataverse organization behind it (`properties.linkedEnvironmentMetadata`);
    /// `None` when the environment has no Dataverse.
    pub dataverse: Option<LinkedEnvironment>,
    /// All of `properties`, as sent.
    pub properties: Map<String, Value>,
}

/// The Dataverse organization of an environment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkedEnvironment {
    /// The org URL, such as `https://contoso.crm4.dynamics.com/`.
    pub instance_url: Option<String>,
    /// The Web API URL, such as `https://contoso.api.crm4.dynamics.com`.
    pub instance_api_url: Option<String>,
    /// The unique (database) name.
    pub unique_name: Option<String>,
    /// The domain name (the first label of the org URL).
    pub domain_name: Option<String>,
    /// The version.
    pub version: Option<String>,
    /// The state, such as `Ready`.
    pub instance_state: Option<String>,
    /// The base language (LCID).
    #[serde(default, deserialize_with = "crate::models::de::lenient_i64")]
    pub base_language: Option<i64>,
    /// The organization's resource id.
    pub resource_id: Option<String>,
    /// Fields this client does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawEnvironment {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

impl Environment {
    /// [`name`](Self::name) as an [`EnvironmentName`](crate::EnvironmentName), to pass back
    /// to the API; `None` when absent or not a GUID or `Default-<GUID>`.
    pub fn environment_name(&self) -> Option<crate::EnvironmentName> {
        self.name
            .as_deref()
            .and_then(|name| crate::EnvironmentName::parse(name).ok())
    }
}

impl<'de> Deserialize<'de> for Environment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawEnvironment::deserialize(d)?;
        let properties = raw.properties.unwrap_or_default();
        let text = |key: &str| {
            properties
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let dataverse = match properties.get("linkedEnvironmentMetadata") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<LinkedEnvironment>(v.clone()).map_err(|_| {
                    serde::de::Error::custom("linkedEnvironmentMetadata is not an object")
                })?,
            ),
        };
        Ok(Environment {
            name: raw.name,
            id: raw.id,
            location: raw.location,
            display_name: text("displayName"),
            sku: text("environmentSku"),
            dataverse,
            properties,
        })
    }
}

//! The fixed catalogues of the Online Management API: currencies by region, service versions,
//! languages, templates and instance-type capacity, and how each is written.

use serde_json::{Value, json};
use uuid::{Uuid, uuid};

use crate::admin::api_version::ApiVersion;
use crate::seed::InstanceType;

/// A currency (`Currency`).
pub(crate) struct Currency {
    pub(crate) code: &'static str,
    pub(crate) precision: u8,
    pub(crate) symbol: &'static str,
    pub(crate) name: &'static str,
}

/// A region and its currencies (`Region`).
pub(crate) struct Region {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) currencies: &'static [Currency],
}

/// A service version (release) instances can be provisioned with (`ServiceVersion`).
pub(crate) struct ServiceVersion {
    pub(crate) id: Uuid,
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    /// The `Version` of instances provisioned with it.
    pub(crate) build: &'static str,
    pub(crate) localized_name: &'static str,
}

/// A base language (`Language`).
pub(crate) struct Language {
    pub(crate) lcid: i32,
    pub(crate) name: &'static str,
    pub(crate) localized_name: &'static str,
}

/// An application template (`Template`).
pub(crate) struct Template {
    pub(crate) name: &'static str,
    pub(crate) localized_name: &'static str,
    pub(crate) localized_description: &'static str,
}

/// How many instances of a type a tenant may have (`InstanceTypeInfo.Total`).
pub(crate) struct Capacity {
    pub(crate) instance_type: InstanceType,
    pub(crate) total: u32,
}

const fn currency(
    code: &'static str,
    precision: u8,
    symbol: &'static str,
    name: &'static str,
) -> Currency {
    Currency {
        code,
        precision,
        symbol,
        name,
    }
}

/// Regions and their currencies.
pub(crate) const REGIONS: &[Region] = &[
    Region {
        code: "NA",
        name: "North America",
        currencies: &[
            currency("USD", 2, "$", "US Dollar"),
            currency("CAD", 2, "$", "Canadian Dollar"),
        ],
    },
    Region {
        code: "EMEA",
        name: "Europe, Middle East and Africa",
        currencies: &[
            currency("EUR", 2, "€", "Euro"),
            currency("GBP", 2, "£", "British Pound"),
            currency("CHF", 2, "CHF", "Swiss Franc"),
        ],
    },
    Region {
        code: "APAC",
        name: "Asia Pacific",
        currencies: &[
            currency("JPY", 0, "¥", "Japanese Yen"),
            currency("AUD", 2, "$", "Australian Dollar"),
            currency("INR", 2, "₹", "Indian Rupee"),
        ],
    },
];

/// The releases instances can be provisioned with, newest first.
pub(crate) const SERVICE_VERSIONS: &[ServiceVersion] = &[
    ServiceVersion {
        id: uuid!("5d3b8a1e-6f0c-4c6e-9a52-000000000902"),
        name: "Dynamics 365 9.2",
        version: "9.2",
        build: "9.2.24101.00201",
        localized_name: "Dynamics 365 9.2",
    },
    ServiceVersion {
        id: uuid!("5d3b8a1e-6f0c-4c6e-9a52-000000000901"),
        name: "Dynamics 365 9.1",
        version: "9.1",
        build: "9.1.0.24613",
        localized_name: "Dynamics 365 9.1",
    },
];

/// Base languages.
pub(crate) const LANGUAGES: &[Language] = &[
    Language {
        lcid: 1033,
        name: "English",
        localized_name: "English",
    },
    Language {
        lcid: 1031,
        name: "German",
        localized_name: "Deutsch",
    },
    Language {
        lcid: 1036,
        name: "French",
        localized_name: "Français",
    },
    Language {
        lcid: 3082,
        name: "Spanish",
        localized_name: "Español",
    },
    Language {
        lcid: 1041,
        name: "Japanese",
        localized_name: "日本語",
    },
];

/// Application templates.
pub(crate) const TEMPLATES: &[Template] = &[
    Template {
        name: "D365_CDS",
        localized_name: "Microsoft Dataverse",
        localized_description: "A Dataverse database without Dynamics 365 apps.",
    },
    Template {
        name: "D365_Sales",
        localized_name: "Dynamics 365 Sales",
        localized_description: "Sales: leads, opportunities, accounts and contacts.",
    },
    Template {
        name: "D365_CustomerService",
        localized_name: "Dynamics 365 Customer Service",
        localized_description: "Customer Service: cases, queues and knowledge articles.",
    },
    Template {
        name: "D365_FieldService",
        localized_name: "Dynamics 365 Field Service",
        localized_description: "Field Service: work orders, scheduling and inventory.",
    },
];

/// Per-tenant capacity by instance type.
pub(crate) const CAPACITY: &[Capacity] = &[
    Capacity {
        instance_type: InstanceType::Production,
        total: 2,
    },
    Capacity {
        instance_type: InstanceType::Sandbox,
        total: 5,
    },
    Capacity {
        instance_type: InstanceType::Trial,
        total: 1,
    },
    Capacity {
        instance_type: InstanceType::Developer,
        total: 1,
    },
];

/// The service version with this ID.
pub(crate) fn service_version(id: Uuid) -> Option<&'static ServiceVersion> {
    SERVICE_VERSIONS.iter().find(|v| v.id == id)
}

/// Whether a currency code is offered (any case).
pub(crate) fn currency_known(code: &str) -> bool {
    REGIONS
        .iter()
        .flat_map(|r| r.currencies)
        .any(|c| c.code.eq_ignore_ascii_case(code))
}

/// Whether an LCID is offered.
pub(crate) fn language_known(lcid: i64) -> bool {
    LANGUAGES.iter().any(|l| i64::from(l.lcid) == lcid)
}

/// Whether a template name is offered (any case).
pub(crate) fn template_known(name: &str) -> bool {
    TEMPLATES.iter().any(|t| t.name.eq_ignore_ascii_case(name))
}

/// The capacity of an instance type, `None` when the type cannot be provisioned.
pub(crate) fn capacity(instance_type: InstanceType) -> Option<u32> {
    CAPACITY
        .iter()
        .find(|c| c.instance_type == instance_type)
        .map(|c| c.total)
}

/// Whether the API version knows the instance type (`Default` and `Developer` are v1.2 only).
pub(crate) fn type_in_version(instance_type: InstanceType, api: ApiVersion) -> bool {
    api == ApiVersion::V1_2
        || !matches!(
            instance_type,
            InstanceType::Default | InstanceType::Developer
        )
}

/// `GET Currencies`: `Region[]`.
pub(crate) fn render_regions() -> Value {
    REGIONS
        .iter()
        .map(|region| {
            json!({
                "regionCode": region.code,
                "name": region.name,
                "currencies": region.currencies.iter().map(|c| json!({
                    "code": c.code,
                    "precision": c.precision,
                    "symbol": c.symbol,
                    "name": c.name,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// `GET ServiceVersions`: `ServiceVersion[]`.
pub(crate) fn render_service_versions() -> Value {
    SERVICE_VERSIONS
        .iter()
        .map(|v| {
            json!({
                "localizedName": v.localized_name,
                "lcid": 1033,
                "version": v.version,
                "id": v.id,
                "name": v.name,
            })
        })
        .collect()
}

/// `GET Languages`: `Language[]`.
pub(crate) fn render_languages() -> Value {
    LANGUAGES
        .iter()
        .map(|l| json!({ "lcid": l.lcid, "name": l.name, "localizedName": l.localized_name }))
        .collect()
}

/// `GET Templates`: v1 lists `supportedServiceVersions` (IDs), v1.2 `supportedReleases`.
pub(crate) fn render_templates(api: ApiVersion) -> Value {
    TEMPLATES
        .iter()
        .map(|t| {
            let mut body = json!({
                "name": t.name,
                "localizedName": t.localized_name,
                "localizedDescription": t.localized_description,
            });
            let (key, value) = match api {
                ApiVersion::V1 => (
                    "supportedServiceVersions",
                    SERVICE_VERSIONS.iter().map(|v| json!(v.id)).collect(),
                ),
                ApiVersion::V1_2 => (
                    "supportedReleases",
                    SERVICE_VERSIONS
                        .iter()
                        .map(|v| {
                            json!({
                                "id": v.id,
                                "name": v.name,
                                "types": CAPACITY
                                    .iter()
                                    .map(|c| api.enum_value(c.instance_type))
                                    .collect::<Vec<_>>(),
                            })
                        })
                        .collect::<Vec<_>>(),
                ),
            };
            if let Some(map) = body.as_object_mut() {
                map.insert(key.into(), Value::Array(value));
            }
            body
        })
        .collect()
}

/// One `InstanceTypeInfo`.
pub(crate) fn render_type_info(
    instance_type: InstanceType,
    total: u32,
    consumed: usize,
    api: ApiVersion,
) -> Value {
    json!({ "type": api.enum_value(instance_type), "total": total, "consumed": consumed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert!(currency_known("usd"));
        assert!(!currency_known("XXX"));
        assert!(language_known(1033));
        assert!(template_known("d365_sales"));
        assert_eq!(capacity(InstanceType::Support), None);
        assert!(service_version(SERVICE_VERSIONS[0].id).is_some());
        assert!(!type_in_version(InstanceType::Developer, ApiVersion::V1));
    }

    #[test]
    fn templates_differ_by_version() {
        assert!(render_templates(ApiVersion::V1)[0]["supportedServiceVersions"].is_array());
        assert_eq!(
            render_templates(ApiVersion::V1_2)[0]["supportedReleases"][0]["types"][0],
            json!("Production")
        );
    }
}

//! What the service offers: releases, currencies, languages, templates, instance types.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::de;
use super::enums::InstanceType;
use super::instance::Currency;

/// A release (service version) that instances can be provisioned with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceVersion {
    /// Its id (`ServiceVersionId` of [`NewInstance`](crate::NewInstance), `releaseId` of
    /// [`languages`](crate::OnlineManagementClient::languages)).
    #[serde(alias = "id", default, deserialize_with = "de::opt_uuid")]
    pub id: Option<Uuid>,
    /// Its name.
    #[serde(alias = "name")]
    pub name: Option<String>,
    /// Its localized name.
    #[serde(alias = "localizedName")]
    pub localized_name: Option<String>,
    /// Its version.
    #[serde(alias = "version")]
    pub version: Option<String>,
    /// The language of the localized name.
    #[serde(rename = "LCID", alias = "lcid", alias = "Lcid")]
    pub lcid: Option<i32>,
}

/// The currencies of a region (the answer of `GET Currencies`, `Region` in the schema).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CurrencyRegion {
    /// The region code.
    #[serde(alias = "regionCode")]
    pub region_code: Option<String>,
    /// The region name.
    #[serde(alias = "name")]
    pub name: Option<String>,
    /// Its currencies.
    #[serde(alias = "currencies", default, deserialize_with = "de::null_default")]
    pub currencies: Vec<Currency>,
}

/// A language instances can be provisioned with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Language {
    /// The LCID, such as 1033.
    #[serde(rename = "LCID", alias = "lcid", alias = "Lcid")]
    pub lcid: Option<i32>,
    /// Its name.
    #[serde(alias = "name")]
    pub name: Option<String>,
    /// Its localized name.
    #[serde(alias = "localizedName")]
    pub localized_name: Option<String>,
}

/// A template (set of apps) instances can be provisioned with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    /// Its name (what [`NewInstance::templates`](crate::NewInstance::templates) takes).
    #[serde(alias = "name")]
    pub name: Option<String>,
    /// Its localized name.
    #[serde(alias = "localizedName")]
    pub localized_name: Option<String>,
    /// Its localized description.
    #[serde(alias = "localizedDescription")]
    pub localized_description: Option<String>,
    /// The releases it works with (v1.2).
    #[serde(
        alias = "supportedReleases",
        default,
        deserialize_with = "de::null_default"
    )]
    pub supported_releases: Vec<SupportedRelease>,
    /// The service versions it works with (v1).
    #[serde(
        alias = "supportedServiceVersions",
        default,
        deserialize_with = "de::null_default"
    )]
    pub supported_service_versions: Vec<Uuid>,
}

/// A release a template works with (v1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SupportedRelease {
    /// The release id.
    #[serde(alias = "id", default, deserialize_with = "de::opt_uuid")]
    pub id: Option<Uuid>,
    /// The release name.
    #[serde(alias = "name")]
    pub name: Option<String>,
    /// The instance types.
    #[serde(alias = "types", default, deserialize_with = "de::null_default")]
    pub types: Vec<InstanceType>,
}

/// How many instances of a type the tenant has and may have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceTypeInfo {
    /// The type.
    #[serde(alias = "type")]
    pub r#type: Option<InstanceType>,
    /// The total allowed.
    #[serde(alias = "total")]
    pub total: Option<i32>,
    /// How many are used.
    #[serde(alias = "consumed")]
    pub consumed: Option<i32>,
}

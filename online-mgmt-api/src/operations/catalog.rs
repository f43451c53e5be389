//! What the service offers.

use uuid::Uuid;

use crate::{
    AdminError, CurrencyRegion, InstanceType, InstanceTypeInfo, Language, OnlineManagementClient,
    ServiceVersion, Template,
};

impl OnlineManagementClient {
    /// The releases instances can be provisioned with.
    pub async fn service_versions(&self) -> Result<Vec<ServiceVersion>, AdminError> {
        let request = self.requests().service_versions()?;
        self.get_list(request, "GetServiceVersions", None).await
    }

    /// The currencies, by region.
    pub async fn currencies(&self) -> Result<Vec<CurrencyRegion>, AdminError> {
        let request = self.requests().currencies()?;
        self.get_list(request, "GetCurrencies", None).await
    }

    /// The languages of a release.
    pub async fn languages(&self, release_id: Uuid) -> Result<Vec<Language>, AdminError> {
        let request = self.requests().languages(release_id)?;
        self.get_list(
            request,
            "GetLanguages",
            Some(format!("no release {release_id} (see service_versions)")),
        )
        .await
    }

    /// The templates (app sets) instances can be provisioned with.
    pub async fn templates(&self) -> Result<Vec<Template>, AdminError> {
        let request = self.requests().templates()?;
        self.get_list(request, "GetTemplates", None).await
    }

    /// How many instances of each type the tenant has and may have.
    pub async fn instance_types(&self) -> Result<Vec<InstanceTypeInfo>, AdminError> {
        let request = self.requests().instance_types()?;
        self.get_list(request, "GetInstanceTypesInfo", None).await
    }

    /// How many instances of one type the tenant has and may have.
    pub async fn instance_type(&self, kind: &InstanceType) -> Result<InstanceTypeInfo, AdminError> {
        let request = self.requests().instance_type(kind)?;
        self.get_json(
            request,
            "GetInstanceTypeInfo",
            Some(format!("no information for instance type {kind}")),
        )
        .await
    }
}

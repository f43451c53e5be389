//! Instances: list, get, provision, delete, reset, restore, admin mode, configuration.

use uuid::Uuid;

use crate::{
    AdminError, ConfigureInstanceSettings, Instance, InstanceAdminModeSettings,
    InstanceRestorePoint, NewInstance, OnlineManagementClient, OperationPoller, OperationStatus,
    ResetRequest, Submit,
};

fn no_instance(id: Uuid) -> Option<String> {
    Some(format!("no instance {id}"))
}

impl OnlineManagementClient {
    /// Every instance of the tenant (in this service URL's region).
    pub async fn list_instances(&self) -> Result<Vec<Instance>, AdminError> {
        let request = self.requests().list_instances()?;
        self.get_list(request, "GetInstances", None).await
    }

    /// One instance.
    pub async fn get_instance(&self, id: Uuid) -> Result<Instance, AdminError> {
        let request = self.requests().get_instance(id)?;
        self.get_json(request, "GetInstance", no_instance(id)).await
    }

    /// Starts provisioning an instance. The new instance's id is in the poller's
    /// [`last_status`](OperationPoller::last_status)`().instance_id()`.
    pub async fn provision_instance(
        &self,
        instance: &NewInstance,
    ) -> Result<OperationPoller, AdminError> {
        let request = self
            .requests()
            .provision_instance(instance, Submit::Apply)?;
        self.start(request, "ProvisionInstance", None).await
    }

    /// Checks a provisioning without doing it (`validate=true`): `Ok` when it would be
    /// accepted, [`AdminError::OperationFailed`] with the reasons when not.
    pub async fn validate_provision_instance(
        &self,
        instance: &NewInstance,
    ) -> Result<OperationStatus, AdminError> {
        let request = self
            .requests()
            .provision_instance(instance, Submit::ValidateOnly)?;
        self.send_sync(request, "ProvisionInstance", None).await
    }

    /// Starts deleting an instance.
    pub async fn delete_instance(&self, id: Uuid) -> Result<OperationPoller, AdminError> {
        let request = self.requests().delete_instance(id, Submit::Apply)?;
        self.start(request, "DeleteInstance", no_instance(id)).await
    }

    /// Checks a deletion without doing it (`validate=true`).
    pub async fn validate_delete_instance(&self, id: Uuid) -> Result<OperationStatus, AdminError> {
        let request = self.requests().delete_instance(id, Submit::ValidateOnly)?;
        self.send_sync(request, "DeleteInstance", no_instance(id))
            .await
    }

    /// Starts resetting a (sandbox) instance (v1.2 only).
    pub async fn reset_instance(
        &self,
        target_instance_id: Uuid,
        reset: &ResetRequest,
    ) -> Result<OperationPoller, AdminError> {
        let request = self.requests().reset_instance(target_instance_id, reset)?;
        self.start(request, "ResetInstance", no_instance(target_instance_id))
            .await
    }

    /// Starts restoring a backup into an instance.
    pub async fn restore_instance(
        &self,
        target_instance_id: Uuid,
        restore_point: &InstanceRestorePoint,
    ) -> Result<OperationPoller, AdminError> {
        let request = self
            .requests()
            .restore_instance(target_instance_id, restore_point)?;
        self.start(
            request,
            "RestoreInstance",
            Some(format!(
                "no instance {target_instance_id}, or no such backup of instance {}",
                restore_point.source_instance_id
            )),
        )
        .await
    }

    /// Turns administration mode on or off (answers at once).
    pub async fn update_admin_mode(
        &self,
        id: Uuid,
        settings: &InstanceAdminModeSettings,
    ) -> Result<OperationStatus, AdminError> {
        let request = self
            .requests()
            .update_admin_mode(id, settings, Submit::Apply)?;
        self.send_sync(request, "UpdateInstanceAdminMode", no_instance(id))
            .await
    }

    /// Checks an administration mode change without doing it (`validate=true`).
    pub async fn validate_update_admin_mode(
        &self,
        id: Uuid,
        settings: &InstanceAdminModeSettings,
    ) -> Result<OperationStatus, AdminError> {
        let request = self
            .requests()
            .update_admin_mode(id, settings, Submit::ValidateOnly)?;
        self.send_sync(request, "UpdateInstanceAdminMode", no_instance(id))
            .await
    }

    /// Changes instance settings (v1.2 only; answers at once).
    pub async fn configure_instance(
        &self,
        id: Uuid,
        settings: &ConfigureInstanceSettings,
    ) -> Result<OperationStatus, AdminError> {
        let request = self
            .requests()
            .configure_instance(id, settings, Submit::Apply)?;
        self.send_sync(request, "ConfigureInstance", no_instance(id))
            .await
    }

    /// Checks an instance settings change without doing it (v1.2 only, `validate=true`).
    pub async fn validate_configure_instance(
        &self,
        id: Uuid,
        settings: &ConfigureInstanceSettings,
    ) -> Result<OperationStatus, AdminError> {
        let request = self
            .requests()
            .configure_instance(id, settings, Submit::ValidateOnly)?;
        self.send_sync(request, "ConfigureInstance", no_instance(id))
            .await
    }
}

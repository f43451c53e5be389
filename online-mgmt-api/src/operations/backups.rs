//! Instance backups.

use uuid::Uuid;

use crate::{
    AdminError, InstanceBackup, NewInstanceBackup, OnlineManagementClient, OperationPoller,
};

impl OnlineManagementClient {
    /// The backups of an instance.
    pub async fn list_backups(&self, instance_id: Uuid) -> Result<Vec<InstanceBackup>, AdminError> {
        let request = self.requests().list_backups(instance_id)?;
        self.get_list(
            request,
            "GetInstanceBackups",
            Some(format!("no instance {instance_id}")),
        )
        .await
    }

    /// One backup of an instance.
    pub async fn get_backup(
        &self,
        instance_id: Uuid,
        restore_point_id: Uuid,
    ) -> Result<InstanceBackup, AdminError> {
        let request = self.requests().get_backup(instance_id, restore_point_id)?;
        self.get_json(
            request,
            "GetInstanceBackup",
            Some(format!(
                "no backup {restore_point_id} of instance {instance_id}"
            )),
        )
        .await
    }

    /// Starts a backup.
    pub async fn create_backup(
        &self,
        backup: &NewInstanceBackup,
    ) -> Result<OperationPoller, AdminError> {
        let request = self.requests().create_backup(backup)?;
        self.start(
            request,
            "BackupInstance",
            Some(format!("no instance {}", backup.instance_id)),
        )
        .await
    }
}

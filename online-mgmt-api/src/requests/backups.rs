//! `InstanceBackups`: list, get and start backups.

use dynamics_http::HttpRequest;
use uuid::Uuid;

use super::identities::require_id;
use super::{Requests, json_body};
use crate::{AdminError, NewInstanceBackup};

impl Requests {
    /// `GET InstanceBackups?instanceId={id}` (GetInstanceBackups).
    pub fn list_backups(&self, instance_id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("instance id", instance_id)?;
        let mut url = self.url(&["InstanceBackups"]);
        url.query_pairs_mut().append_pair("instanceId", &id);
        Ok(self.request(HttpRequest::get(url)))
    }

    /// `GET InstanceBackups/{instanceId}/{restorePointId}` (GetInstanceBackup).
    pub fn get_backup(
        &self,
        instance_id: Uuid,
        restore_point_id: Uuid,
    ) -> Result<HttpRequest, AdminError> {
        let id = require_id("instance id", instance_id)?;
        let point = require_id("restore point (backup) id", restore_point_id)?;
        Ok(self.request(HttpRequest::get(self.url(&[
            "InstanceBackups",
            &id,
            &point,
        ]))))
    }

    /// `POST InstanceBackups` (BackupInstance).
    pub fn create_backup(&self, backup: &NewInstanceBackup) -> Result<HttpRequest, AdminError> {
        require_id("instance id", backup.instance_id)?;
        if backup.label.trim().is_empty() {
            return Err(AdminError::invalid(
                "backup label (empty)",
                "give a label to find the backup by when restoring",
            ));
        }
        json_body(
            self.request(HttpRequest::post(self.url(&["InstanceBackups"]))),
            backup,
        )
    }
}

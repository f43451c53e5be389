//! `ApplyUser`.

use uuid::Uuid;

use crate::{AdminError, OnlineManagementClient, OperationPoller};

impl OnlineManagementClient {
    /// Force-syncs a user (Entra object id) into an instance (v1.2 only: on a v1 client this
    /// fails with [`AdminError::NotSupported`] without sending anything). Wait for the
    /// returned poller to know the outcome.
    pub async fn apply_user(
        &self,
        instance_id: Uuid,
        user_object_id: Uuid,
    ) -> Result<OperationPoller, AdminError> {
        let request = self.requests().apply_user(instance_id, user_object_id)?;
        self.start(
            request,
            "ApplyUser",
            Some(format!(
                "no instance {instance_id}, or no user {user_object_id} in the tenant"
            )),
        )
        .await
    }
}

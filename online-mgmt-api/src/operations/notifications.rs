//! User notifications (v1.2 only).

use uuid::Uuid;

use crate::{AdminError, OnlineManagementClient, OperationPoller, UserNotification};

impl OnlineManagementClient {
    /// The notifications of an admin (user object id) about some environments.
    pub async fn list_notifications(
        &self,
        tenant_id: Uuid,
        user_object_id: Uuid,
        environments: &[Uuid],
    ) -> Result<Vec<UserNotification>, AdminError> {
        let request =
            self.requests()
                .list_notifications(tenant_id, user_object_id, environments)?;
        self.get_list(request, "GetAllNotifications", None).await
    }

    /// Starts posting a notification.
    pub async fn post_notification(
        &self,
        notification: &UserNotification,
    ) -> Result<OperationPoller, AdminError> {
        let request = self.requests().post_notification(notification)?;
        self.start(request, "PostUserNotification", None).await
    }
}

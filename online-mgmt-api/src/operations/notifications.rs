//! User notifications (v1.2 only).

use crate::{
    AdminError, NotificationQuery, OnlineManagementClient, OperationPoller, UserNotification,
};

impl OnlineManagementClient {
    /// The notifications of an admin (user object id) about some environments (v1.2 only).
    pub async fn list_notifications(
        &self,
        query: &NotificationQuery,
    ) -> Result<Vec<UserNotification>, AdminError> {
        let request = self.requests().list_notifications(query)?;
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

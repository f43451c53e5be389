//! `Notifications`: user notifications, v1.2 only.

use super::identities::require_id;
use super::{Requests, json_body};
use crate::{AdminError, NotificationQuery, UserNotification};
use dynamics_http::HttpRequest;

impl Requests {
    /// `GET Notifications/{tenantId}/{userObjectId}?environments=...&environments=...`
    /// (GetAllNotifications, v1.2 only).
    pub fn list_notifications(&self, query: &NotificationQuery) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("GetAllNotifications")?;
        let tenant = require_id("tenant id", query.tenant_id)?;
        let user = require_id("user object id", query.user_object_id)?;
        if query.environments.is_empty() {
            return Err(AdminError::invalid(
                "environments (none given)",
                "give the ids of the instances to get notifications for",
            ));
        }
        let mut url = self.url(&["Notifications", &tenant, &user]);
        {
            let mut pairs = url.query_pairs_mut();
            for env in &query.environments {
                pairs.append_pair("environments", &require_id("environment id", *env)?);
            }
        }
        Ok(self.request(HttpRequest::get(url)))
    }

    /// `POST Notifications` (PostUserNotification, v1.2 only).
    pub fn post_notification(
        &self,
        notification: &UserNotification,
    ) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("PostUserNotification")?;
        json_body(
            self.request(HttpRequest::post(self.url(&["Notifications"]))),
            notification,
        )
    }
}

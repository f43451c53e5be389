//! `ApplyUser`: force-sync a user into an instance (v1.2).

use dynamics_http::HttpRequest;
use uuid::Uuid;

use super::Requests;
use super::identities::require_id;
use crate::AdminError;

impl Requests {
    /// `POST Instances/{id}/Users/{userObjectId}/ApplyUser` (ApplyUser, v1.2 only): no body;
    /// the user's Entra object id is a path segment.
    pub fn apply_user(
        &self,
        instance_id: Uuid,
        user_object_id: Uuid,
    ) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("ApplyUser")?;
        let instance = require_id("instance (environment) id", instance_id)?;
        let user = require_id("user object id", user_object_id)?;
        // Applying the same user twice has the same effect as once.
        Ok(self
            .empty_post(self.url(&["Instances", &instance, "Users", &user, "ApplyUser"]))
            .retry_safe(true))
    }
}

#[cfg(test)]
mod tests {
    use dynamics_http::Method;

    use super::*;
    use crate::ApiVersion;
    use crate::requests::tests::requests;

    #[test]
    fn apply_user_has_the_documented_shape() {
        let instance = Uuid::from_u128(0x1111);
        let user = Uuid::from_u128(0x2222);
        let req = requests(ApiVersion::V1_2)
            .apply_user(instance, user)
            .expect("builds");
        assert_eq!(req.method(), Method::Post);
        assert_eq!(
            req.url().as_str(),
            format!(
                "https://admin.services.crm4.dynamics.com/api/v1.2/Instances/{instance}/Users/{user}/ApplyUser"
            )
        );
        assert!(req.body_bytes().is_none());
        assert_eq!(req.url().query(), None);
    }

    #[test]
    fn apply_user_does_not_exist_in_v1() {
        let err = requests(ApiVersion::V1)
            .apply_user(Uuid::from_u128(1), Uuid::from_u128(2))
            .expect_err("v1.2 only");
        assert!(matches!(
            err,
            AdminError::NotSupported {
                operation: "ApplyUser",
                version: ApiVersion::V1
            }
        ));
    }

    #[test]
    fn nil_ids_are_refused() {
        let err = requests(ApiVersion::V1_2)
            .apply_user(Uuid::nil(), Uuid::from_u128(2))
            .expect_err("nil");
        assert!(err.to_string().contains("instance"), "{err}");
    }
}

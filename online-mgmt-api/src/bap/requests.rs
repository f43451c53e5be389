//! Power Platform admin API requests, built without IO.

use dynamics_http::HttpRequest;
use serde_json::json;
use url::Url;
use uuid::Uuid;

use super::client::BapOptions;
use crate::requests::require_id;
use crate::{AdminError, EnvironmentName};

const PROVIDER: [&str; 2] = ["providers", "Microsoft.BusinessAppPlatform"];

/// Builds the Power Platform admin API requests of one base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BapRequests {
    base: Url,
    add_user_api_version: String,
    admin_applications_api_version: String,
    environments_api_version: String,
}

impl BapRequests {
    /// Requests for `base` (ending with `/`) with the API versions of `options`.
    pub fn new(base: Url, options: &BapOptions) -> Result<Self, AdminError> {
        for (what, v) in [
            ("addUser api-version", &options.add_user_api_version),
            (
                "adminApplications api-version",
                &options.admin_applications_api_version,
            ),
            (
                "environments api-version",
                &options.environments_api_version,
            ),
        ] {
            let ok = !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !ok {
                return Err(AdminError::invalid(
                    format!("{what} `{v}`"),
                    "use a date version such as 2023-06-01",
                ));
            }
        }
        Ok(BapRequests {
            base,
            add_user_api_version: options.add_user_api_version.clone(),
            admin_applications_api_version: options.admin_applications_api_version.clone(),
            environments_api_version: options.environments_api_version.clone(),
        })
    }

    /// The base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, segments: &[&str], api_version: &str) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(PROVIDER).extend(segments);
        }
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        url
    }

    fn request(request: HttpRequest) -> HttpRequest {
        request.header("Accept", "application/json")
    }

    /// `POST .../scopes/admin/environments/{environmentId}/addUser` with
    /// `{"objectId": "<user object id>"}`: force-syncs a user into the environment's
    /// Dataverse.
    pub fn add_user(
        &self,
        environment: &EnvironmentName,
        user_object_id: Uuid,
    ) -> Result<HttpRequest, AdminError> {
        let env = environment.path_segment()?;
        let user = require_id("user object id", user_object_id)?;
        let url = self.url(
            &["scopes", "admin", "environments", &env, "addUser"],
            &self.add_user_api_version,
        );
        // Adding a user twice has the same effect as once.
        Self::request(HttpRequest::post(url))
            .json(&json!({ "objectId": user }))
            .map(|r| r.retry_safe(true))
            .map_err(AdminError::Http)
    }

    /// `PUT .../adminApplications/{clientId}` (no body): registers a management application.
    pub fn register_admin_application(&self, client_id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("application (client) id", client_id)?;
        let url = self.url(
            &["adminApplications", &id],
            &self.admin_applications_api_version,
        );
        Ok(Self::request(HttpRequest::put(url)).header("Content-Length", "0"))
    }

    /// `GET .../adminApplications/{clientId}`.
    pub fn get_admin_application(&self, client_id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("application (client) id", client_id)?;
        let url = self.url(
            &["adminApplications", &id],
            &self.admin_applications_api_version,
        );
        Ok(Self::request(HttpRequest::get(url)))
    }

    /// `GET .../adminApplications`.
    pub fn list_admin_applications(&self) -> Result<HttpRequest, AdminError> {
        let url = self.url(&["adminApplications"], &self.admin_applications_api_version);
        Ok(Self::request(HttpRequest::get(url)))
    }

    /// `DELETE .../adminApplications/{clientId}`.
    pub fn remove_admin_application(&self, client_id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("application (client) id", client_id)?;
        let url = self.url(
            &["adminApplications", &id],
            &self.admin_applications_api_version,
        );
        Ok(Self::request(HttpRequest::delete(url)))
    }

    /// `GET .../scopes/admin/environments/{environmentId}`.
    pub fn get_environment(
        &self,
        environment: &EnvironmentName,
    ) -> Result<HttpRequest, AdminError> {
        let env = environment.path_segment()?;
        let url = self.url(
            &["scopes", "admin", "environments", &env],
            &self.environments_api_version,
        );
        Ok(Self::request(HttpRequest::get(url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests() -> BapRequests {
        BapRequests::new(
            Url::parse("https://api.bap.microsoft.com/").expect("url"),
            &BapOptions::default(),
        )
        .expect("requests")
    }

    #[test]
    fn add_user_puts_the_object_id_in_the_body() {
        let env = Uuid::from_u128(1);
        let user = Uuid::from_u128(2);
        let req = requests().add_user(&env.into(), user).expect("builds");
        assert_eq!(
            req.url().as_str(),
            format!(
                "https://api.bap.microsoft.com/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{env}/addUser?api-version=2023-06-01"
            )
        );
        let body: serde_json::Value =
            serde_json::from_slice(req.body_bytes().expect("body")).expect("json");
        assert_eq!(body, json!({ "objectId": user.to_string() }));
    }

    #[test]
    fn the_default_environment_is_addressed_by_its_name_and_nil_ids_are_refused() {
        let tenant = Uuid::from_u128(0x72f9);
        let req = requests()
            .get_environment(&EnvironmentName::default_of(tenant))
            .expect("builds");
        assert!(
            req.url()
                .path()
                .ends_with(&format!("/scopes/admin/environments/Default-{tenant}")),
            "{}",
            req.url()
        );
        let nil = EnvironmentName::from(Uuid::nil());
        assert!(requests().add_user(&nil, Uuid::from_u128(2)).is_err());
        assert!(requests().get_environment(&nil).is_err());
    }

    #[test]
    fn admin_applications_use_their_api_version() {
        let id = Uuid::from_u128(3);
        let req = requests().register_admin_application(id).expect("builds");
        assert_eq!(req.method(), dynamics_http::Method::Put);
        assert_eq!(
            req.url().as_str(),
            format!(
                "https://api.bap.microsoft.com/providers/Microsoft.BusinessAppPlatform/adminApplications/{id}?api-version=2020-10-01"
            )
        );
        assert!(req.body_bytes().is_none());
        let bad = BapOptions {
            add_user_api_version: "2023-06-01&x=1".into(),
            ..Default::default()
        };
        assert!(BapRequests::new(Url::parse("https://a.example/").expect("url"), &bad).is_err());
    }
}

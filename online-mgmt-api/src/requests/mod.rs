//! Every Online Management API request, built without IO: a [`Requests`] turns arguments
//! into [`HttpRequest`]s that the client sends through its pipeline. Build them yourself to
//! unit-test, to inspect what would be sent, or to send them through your own pipeline.

mod backups;
mod catalog;
pub(crate) mod identities;
mod instances;
mod keys;
mod notifications;
mod operations;
mod users;

use dynamics_auth::secure_url;
use dynamics_http::HttpRequest;
use url::Url;

pub(crate) use identities::require_id;

use crate::{AdminError, ApiVersion};

/// Builds the requests of one service URL and API version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requests {
    base: Url,
    version: ApiVersion,
    accept_language: Option<String>,
}

impl Requests {
    /// Requests for `service_url` (`https`, or `http` to loopback; a path is kept as a
    /// prefix) and `version`.
    pub fn new(service_url: &Url, version: ApiVersion) -> Result<Self, AdminError> {
        secure_url::ensure_secure("Online Management API service URL", service_url).map_err(
            |e| {
                AdminError::invalid(
                    format!("service URL `{}`", secure_url::redact_url(service_url)),
                    e.to_string(),
                )
            },
        )?;
        if service_url.cannot_be_a_base()
            || service_url.query().is_some()
            || service_url.fragment().is_some()
        {
            return Err(AdminError::invalid(
                format!("service URL `{}`", dynamics_http::redacted_url(service_url)),
                "give the base URL only, such as https://admin.services.crm4.dynamics.com",
            ));
        }
        let mut base = service_url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Requests {
            base,
            version,
            accept_language: None,
        })
    }

    /// Adds `Accept-Language` (such as `en-US`) to every request.
    pub fn with_accept_language(mut self, language: &str) -> Result<Self, AdminError> {
        let ok = !language.is_empty()
            && language.len() <= 100
            && language.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '-' | ',' | ';' | '=' | '.' | '*' | ' ')
            });
        if !ok {
            return Err(AdminError::invalid(
                format!("Accept-Language `{language}`"),
                "use a language tag such as en-US",
            ));
        }
        self.accept_language = Some(language.to_string());
        Ok(self)
    }

    /// The service URL (ending with `/`).
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The API version.
    pub fn version(&self) -> ApiVersion {
        self.version
    }

    /// `{base}api/{version}/{segments...}`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .push("api")
                .push(self.version.as_str())
                .extend(segments);
        }
        url
    }

    /// A request with the headers every call carries.
    pub(crate) fn request(&self, request: HttpRequest) -> HttpRequest {
        let request = request.header("Accept", "application/json");
        match &self.accept_language {
            Some(lang) => request.header("Accept-Language", lang.clone()),
            None => request,
        }
    }

    /// A body-less POST, with `Content-Length: 0` (some front ends refuse a POST without it).
    pub(crate) fn empty_post(&self, url: Url) -> HttpRequest {
        self.request(HttpRequest::post(url).header("Content-Length", "0"))
    }

    /// Fails with [`AdminError::NotSupported`] on v1.
    pub(crate) fn require_v1_2(&self, operation: &'static str) -> Result<(), AdminError> {
        match self.version {
            ApiVersion::V1_2 => Ok(()),
            version => Err(AdminError::NotSupported { operation, version }),
        }
    }
}

pub(crate) fn json_body<T: serde::Serialize>(
    request: HttpRequest,
    body: &T,
) -> Result<HttpRequest, AdminError> {
    request.json(body).map_err(AdminError::Http)
}

/// Adds `validate=true` when asked.
/// Whether a request that changes an instance is carried out, or only checked by the
/// service (`?validate=true`: it answers whether the request would be accepted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Submit {
    /// Carry it out.
    #[default]
    Apply,
    /// Only check it (`validate=true`); nothing changes.
    ValidateOnly,
}

pub(crate) fn with_validate(mut url: Url, submit: Submit) -> Url {
    if submit == Submit::ValidateOnly {
        url.query_pairs_mut().append_pair("validate", "true");
    }
    url
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn requests(version: ApiVersion) -> Requests {
        Requests::new(
            &Url::parse("https://admin.services.crm4.dynamics.com").expect("url"),
            version,
        )
        .expect("requests")
    }

    #[test]
    fn urls_keep_a_path_prefix_and_encode_segments() {
        let r = Requests::new(
            &Url::parse("http://127.0.0.1:7070/admin").expect("url"),
            ApiVersion::V1_2,
        )
        .expect("loopback http is fine");
        assert_eq!(
            r.url(&["Keys", "a b/c", "SetTenantProtectionKey"]).as_str(),
            "http://127.0.0.1:7070/admin/api/v1.2/Keys/a%20b%2Fc/SetTenantProtectionKey"
        );
        assert!(
            Requests::new(
                &Url::parse("http://admin.services.crm.dynamics.com").expect("url"),
                ApiVersion::V1
            )
            .is_err()
        );
    }

    #[test]
    fn accept_language_is_checked() {
        let r = requests(ApiVersion::V1)
            .with_accept_language("en-US")
            .expect("ok");
        let req = r.request(HttpRequest::get(r.url(&["Instances"])));
        assert_eq!(req.header_value("accept-language"), Some("en-US"));
        assert!(
            requests(ApiVersion::V1)
                .with_accept_language("en\r\nX: y")
                .is_err()
        );
    }
}

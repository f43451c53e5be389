//! The Power Platform admin API ("BAP", `api.bap.microsoft.com`), host-agnostic paths:
//!
//! | Method | Path (under `/providers/Microsoft.BusinessAppPlatform/`) |
//! |---|---|
//! | GET | `scopes/admin/environments`, `scopes/admin/environments/{environmentId}` |
//! | POST | `scopes/admin/environments/{environmentId}/addUser` |
//! | GET | `adminApplications` |
//! | PUT, GET, DELETE | `adminApplications/{clientId}` |
//!
//! Every call needs an `api-version` query parameter.

mod add_user;
mod applications;
mod environments;
mod model;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post};

use super::reply::Rejection;
use super::{query, reply};
use crate::state::Shared;

/// The common prefix of BAP paths.
const PREFIX: &str = "/providers/Microsoft.BusinessAppPlatform";

/// The BAP routes (as spelt, and in lower case).
pub(crate) fn routes() -> Router<Arc<Shared>> {
    let table: Vec<(&str, MethodRouter<Arc<Shared>>)> = vec![
        ("scopes/admin/environments", get(environments::list)),
        ("scopes/admin/environments/{id}", get(environments::get_one)),
        (
            "scopes/admin/environments/{id}/addUser",
            post(add_user::add_user),
        ),
        ("adminApplications", get(applications::list)),
        (
            "adminApplications/{id}",
            get(applications::get_one)
                .put(applications::register)
                .delete(applications::remove),
        ),
    ];
    table
        .into_iter()
        .fold(Router::new(), |router, (path, method)| {
            let spelt = format!("{PREFIX}/{path}");
            let lower = spelt.to_ascii_lowercase();
            router.route(&spelt, method.clone()).route(&lower, method)
        })
}

/// Checks the `api-version` query parameter as BAP does: required, `YYYY-MM-DD` with an
/// optional `-preview` suffix.
fn require_api_version(raw_query: Option<&str>) -> Result<(), Rejection> {
    let Some(version) = query::value(raw_query, "api-version") else {
        return Err(reply::error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
        .into());
    };
    let date = version.strip_suffix("-preview").unwrap_or(&version);
    let well_formed = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if well_formed {
        Ok(())
    } else {
        Err(reply::error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is invalid. Use a date such as 2020-10-01 or \
                 2023-06-01."
            ),
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::require_api_version;

    #[test]
    fn api_version_is_required_and_date_shaped() {
        assert!(require_api_version(Some("api-version=2020-10-01")).is_ok());
        assert!(require_api_version(Some("$expand=x&api-version=2022-03-01-preview")).is_ok());
        assert!(require_api_version(None).is_err());
        assert!(require_api_version(Some("api-version=latest")).is_err());
    }
}

//! The admin-consent endpoint: `GET /{tenant}/adminconsent?client_id=&redirect_uri=&state=`.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use url::Url;

use super::authority::Authority;
use super::error::{AadError, RequestMeta};
use super::params::Params;
use super::path_segment;
use super::redirect::{self, Reply, ResponseMode};
use crate::state::Shared;

/// Grants the app delegated consent on every resource of the tenant (the admin approves at once)
/// and redirects to `redirect_uri?tenant={tid}&state={state}&admin_consent=True`. Without
/// `redirect_uri` the app's first registered redirect URI is used.
pub(super) async fn admin_consent(
    State(shared): State<Arc<Shared>>,
    segment: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let meta = RequestMeta::from_headers(&headers);
    let params = Params::from_query(query.as_deref());
    match consent(&shared, &path_segment(segment), &params) {
        Ok((reply, tenant_id)) => {
            let mut result = vec![("tenant".to_owned(), tenant_id)];
            if let Some(state) = params.get("state") {
                result.push(("state".to_owned(), state.to_owned()));
            }
            result.push(("admin_consent".to_owned(), "True".to_owned()));
            reply.send(result)
        }
        Err(error) => error.to_page(&shared, &meta),
    }
}

fn consent(shared: &Shared, segment: &str, params: &Params) -> Result<(Reply, String), AadError> {
    let mut store = shared.lock();
    let authority = Authority::resolve(&store.directory, segment)?;
    let client_id = params.require("client_id")?;
    let (tenant, app) = authority.client_app(&store.directory, segment, client_id)?;
    let raw_redirect = params
        .get("redirect_uri")
        .or_else(|| app.redirect_uris.first().map(String::as_str))
        .unwrap_or_default()
        .to_owned();
    let redirect_uri = Url::parse(&raw_redirect)
        .ok()
        .filter(|uri| redirect::is_registered(&app.redirect_uris, uri))
        .ok_or_else(|| AadError::unregistered_redirect_uri(&raw_redirect, app.client_id))?;
    let (tenant_id, client_id) = (tenant.id, app.client_id);
    store
        .directory
        .grant_admin_consent(tenant_id, client_id)
        .map_err(|e| AadError::malformed(&e.to_string()))?;
    // The caller adds `state` itself, between `tenant` and `admin_consent` as Entra does.
    let reply = Reply {
        redirect_uri,
        mode: ResponseMode::Query,
        state: None,
    };
    Ok((reply, tenant_id.to_string()))
}

//! `GET /users` ("List users"), `GET /users/{id | userPrincipalName}`, `GET /users/$count`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::{self, Profile};
use super::filter::Filter;
use super::props::{self, UserProp};
use super::query::{self, Query};
use super::reply::{GraphError, json_response, text_response};
use super::token;
use super::{GraphContext, schema};
use crate::directory::User;

/// `GET /users`.
pub(crate) fn list(ctx: &GraphContext<'_>, query: &Query) -> Result<Response, GraphError> {
    let (tenant_id, profile) = auth::authorize_user_read(ctx.shared, ctx.headers)?;
    query.reject_unsupported()?;
    let select = schema::user_select_for(query.select.as_deref(), profile)?;
    let top = query.page_size()?;
    let advanced = query::eventual(ctx.headers) && query.count_requested();
    let filter = parse_filter(query.filter.as_deref(), advanced, profile)?;
    let after = match &query.skip_token {
        Some(t) => Some(token::decode_cursor(t).ok_or_else(invalid_skip_token)?),
        None => None,
    };
    let store = ctx.shared.lock();
    let users = store.directory.tenant(tenant_id).map(|t| &t.users);
    let matches = |user: &&User| filter.as_ref().is_none_or(|f| f.matches(&user_value(user)));
    let mut page: Vec<&User> = users
        .into_iter()
        .flat_map(|users| users.after(after))
        .filter(matches)
        .take(top + 1)
        .collect();
    let more = page.len() > top;
    page.truncate(top);
    let mut body = json!({
        "@odata.context": context(ctx, "users", query.select.as_deref()),
    });
    if advanced {
        // `$count=true` counts only with `ConsistencyLevel: eventual`; Graph ignores it otherwise.
        let total = users.map_or(0, |users| users.iter().filter(matches).count());
        body["@odata.count"] = json!(total);
    }
    body["value"] = Value::Array(page.iter().map(|u| props::render(u, &select)).collect());
    if let (true, Some(last)) = (more, page.last()) {
        body["@odata.nextLink"] = json!(next_link(ctx, "users", query, last.object_id));
    }
    Ok(json_response(StatusCode::OK, &body, ctx.ids))
}

/// `GET /users/$count`: only with `ConsistencyLevel: eventual` ("Advanced query capabilities").
pub(crate) fn count(ctx: &GraphContext<'_>, query: &Query) -> Result<Response, GraphError> {
    let (tenant_id, profile) = auth::authorize_user_read(ctx.shared, ctx.headers)?;
    if !query::eventual(ctx.headers) {
        return Err(GraphError::bad_request(
            "$count is not currently supported.",
        ));
    }
    let filter = parse_filter(query.filter.as_deref(), true, profile)?;
    let store = ctx.shared.lock();
    let total = store.directory.tenant(tenant_id).map_or(0, |t| {
        t.users
            .iter()
            .filter(|u| filter.as_ref().is_none_or(|f| f.matches(&user_value(u))))
            .count()
    });
    Ok(text_response(total.to_string(), ctx.ids))
}

/// `GET /users/{id | userPrincipalName}`.
pub(crate) fn get(
    ctx: &GraphContext<'_>,
    key: &str,
    query: &Query,
) -> Result<Response, GraphError> {
    let (tenant_id, profile) = auth::authorize_user_read(ctx.shared, ctx.headers)?;
    let select = schema::user_select_for(query.select.as_deref(), profile)?;
    let store = ctx.shared.lock();
    let user = store
        .directory
        .tenant(tenant_id)
        .and_then(|t| find_user(&t.users, key))
        .ok_or_else(|| GraphError::not_found(key))?;
    let mut body = props::render(user, &select);
    body["@odata.context"] = json!(ctx.graph_url("$metadata#users/$entity"));
    Ok(json_response(StatusCode::OK, &body, ctx.ids))
}

/// A user by object ID or UPN.
pub(crate) fn find_user<'a>(users: &'a crate::directory::Users, key: &str) -> Option<&'a User> {
    match Uuid::parse_str(key) {
        Ok(id) => users.get(id),
        Err(_) => users.by_upn(key),
    }
}

/// Parses and checks a user `$filter` (only on properties `profile` may read).
fn parse_filter(
    text: Option<&str>,
    advanced: bool,
    profile: Profile,
) -> Result<Option<Filter>, GraphError> {
    text.map(|text| {
        let filter = Filter::parse(text)?.check(&schema::USER, advanced)?;
        schema::check_filter_profile(&filter, profile)?;
        Ok(filter)
    })
    .transpose()
}

/// A user's property values for filtering.
pub(crate) fn user_value(user: &User) -> impl Fn(&str) -> Value + '_ {
    move |name| UserProp::parse(name).map_or(Value::Null, |p| p.value(user))
}

pub(crate) fn invalid_skip_token() -> GraphError {
    GraphError::bad_request("The $skiptoken is not valid for this request.")
}

/// `{graph}$metadata#{set}` or `…#{set}(a,b)` with a `$select`.
pub(crate) fn context(ctx: &GraphContext<'_>, set: &str, select: Option<&str>) -> String {
    match select {
        Some(select) => ctx.graph_url(&format!("$metadata#{set}({})", select.replace(' ', ""))),
        None => ctx.graph_url(&format!("$metadata#{set}")),
    }
}

/// The next page's link: the request's options again, with a `$skiptoken` after `last`.
pub(crate) fn next_link(ctx: &GraphContext<'_>, path: &str, query: &Query, last: Uuid) -> String {
    let mut text = String::new();
    for (key, value) in [
        ("$select", &query.select),
        ("$filter", &query.filter),
        ("$top", &query.top),
        ("$count", &query.count),
    ] {
        if let Some(value) = value {
            query::push(&mut text, key, value);
        }
    }
    query::push(&mut text, "$skiptoken", &token::encode_cursor(last));
    ctx.graph_url(&format!("{path}?{text}"))
}

//! `GET /groups` ("List groups", e.g. `$filter=displayName eq '…'`), `GET /groups/{id}`,
//! `GET /groups/{id}/members` ("List group members") and `GET /users/{id}/memberOf`.

use std::ops::Bound;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::GraphContext;
use super::auth::{self, Need};
use super::filter::Filter;
use super::props;
use super::query::{self, Query};
use super::reply::{GraphError, json_response};
use super::schema;
use super::store::Group;
use super::token;
use super::users::{context, find_user, invalid_skip_token, next_link};

/// Group properties, in output order.
const GROUP_PROPS: [&str; 9] = [
    "id",
    "createdDateTime",
    "description",
    "displayName",
    "groupTypes",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
];

/// `GET /groups`.
pub(crate) fn list(ctx: &GraphContext<'_>, query: &Query) -> Result<Response, GraphError> {
    let tenant_id = auth::authorize(ctx.shared, ctx.headers, Need::Groups)?;
    query.reject_unsupported()?;
    let select = group_select(query.select.as_deref())?;
    let top = query.page_size()?;
    let advanced = query::eventual(ctx.headers) && query.count_requested();
    let filter = query
        .filter
        .as_deref()
        .map(|text| Filter::parse(text)?.check(&schema::GROUP, advanced))
        .transpose()?;
    let after = skip_cursor(query)?;
    let store = ctx.shared.lock();
    let groups = store.graph.tenant(tenant_id).map(|t| &t.groups);
    let matches = |group: &&Group| {
        filter
            .as_ref()
            .is_none_or(|f| f.matches(&|name| group_value(group, name)))
    };
    let mut page: Vec<&Group> = groups
        .into_iter()
        .flat_map(|groups| {
            let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
            groups.range((lower, Bound::Unbounded)).map(|(_, g)| g)
        })
        .filter(matches)
        .take(top + 1)
        .collect();
    let more = page.len() > top;
    page.truncate(top);
    let mut body = json!({ "@odata.context": context(ctx, "groups", query.select.as_deref()) });
    if advanced {
        body["@odata.count"] = json!(groups.map_or(0, |g| g.values().filter(matches).count()));
    }
    body["value"] = Value::Array(page.iter().map(|g| render_group(g, &select)).collect());
    if let (true, Some(last)) = (more, page.last()) {
        body["@odata.nextLink"] = json!(next_link(ctx, "groups", query, last.id));
    }
    Ok(json_response(StatusCode::OK, &body, ctx.ids))
}

/// `GET /groups/{id}`.
pub(crate) fn get(ctx: &GraphContext<'_>, id: &str, query: &Query) -> Result<Response, GraphError> {
    let tenant_id = auth::authorize(ctx.shared, ctx.headers, Need::Groups)?;
    let select = group_select(query.select.as_deref())?;
    let store = ctx.shared.lock();
    let group = find_group(&store, tenant_id, id)?;
    let mut body = render_group(group, &select);
    body["@odata.context"] = json!(ctx.graph_url("$metadata#groups/$entity"));
    Ok(json_response(StatusCode::OK, &body, ctx.ids))
}

/// `GET /groups/{id}/members`: member users, paged by `$top` (1–999, default 100).
pub(crate) fn members(
    ctx: &GraphContext<'_>,
    id: &str,
    query: &Query,
) -> Result<Response, GraphError> {
    let tenant_id = auth::authorize(ctx.shared, ctx.headers, Need::Groups)?;
    query.reject_unsupported()?;
    if query.filter.is_some() {
        return Err(GraphError::unsupported_query(
            "The emulator does not filter group members; filter the users instead.",
        ));
    }
    let select = schema::user_select(query.select.as_deref())?;
    let top = query.page_size()?;
    let after = skip_cursor(query)?;
    let store = ctx.shared.lock();
    let group = find_group(&store, tenant_id, id)?;
    let users = store.directory.tenant(tenant_id).map(|t| &t.users);
    let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut page: Vec<_> = group
        .members
        .range((lower, Bound::Unbounded))
        .filter_map(|member| users.and_then(|u| u.get(*member)))
        .take(top + 1)
        .collect();
    let more = page.len() > top;
    page.truncate(top);
    let value = page
        .iter()
        .map(|user| {
            let mut object = Map::new();
            object.insert("@odata.type".into(), json!("#microsoft.graph.user"));
            if let Value::Object(fields) = props::render(user, &select) {
                object.extend(fields);
            }
            Value::Object(object)
        })
        .collect();
    let mut body = json!({
        "@odata.context": ctx.graph_url("$metadata#directoryObjects"),
        "value": Value::Array(value),
    });
    if let (true, Some(last)) = (more, page.last()) {
        body["@odata.nextLink"] = json!(next_link(
            ctx,
            &format!("groups/{}/members", group.id),
            query,
            last.object_id
        ));
    }
    Ok(json_response(StatusCode::OK, &body, ctx.ids))
}

/// `GET /users/{id}/memberOf`: the user's groups, in one page. It takes the group permissions
/// (`GroupMember.Read.All` and up); whether `User.Read.All` alone suffices in Graph is
/// UNCONFIRMED, so it does not here.
pub(crate) fn member_of(
    ctx: &GraphContext<'_>,
    key: &str,
    query: &Query,
) -> Result<Response, GraphError> {
    let tenant_id = auth::authorize(ctx.shared, ctx.headers, Need::Groups)?;
    let select = group_select(query.select.as_deref())?;
    let store = ctx.shared.lock();
    let user = store
        .directory
        .tenant(tenant_id)
        .and_then(|t| find_user(&t.users, key))
        .ok_or_else(|| GraphError::not_found(key))?;
    let value: Vec<Value> = store
        .graph
        .tenant(tenant_id)
        .into_iter()
        .flat_map(|t| t.groups.values())
        .filter(|g| g.members.contains(&user.object_id))
        .map(|g| {
            let mut object = Map::new();
            object.insert("@odata.type".into(), json!("#microsoft.graph.group"));
            if let Value::Object(fields) = render_group(g, &select) {
                object.extend(fields);
            }
            Value::Object(object)
        })
        .collect();
    let body = json!({
        "@odata.context": ctx.graph_url("$metadata#directoryObjects"),
        "value": value,
    });
    Ok(json_response(StatusCode::OK, &body, ctx.ids))
}

fn find_group<'a>(
    store: &'a crate::state::Store,
    tenant_id: Uuid,
    id: &str,
) -> Result<&'a Group, GraphError> {
    Uuid::parse_str(id)
        .ok()
        .and_then(|id| store.graph.tenant(tenant_id)?.groups.get(&id))
        .ok_or_else(|| GraphError::not_found(id))
}

fn skip_cursor(query: &Query) -> Result<Option<Uuid>, GraphError> {
    query
        .skip_token
        .as_deref()
        .map(|t| token::decode_cursor(t).ok_or_else(invalid_skip_token))
        .transpose()
}

/// The group properties a `$select` names (all when absent).
fn group_select(select: Option<&str>) -> Result<Vec<&'static str>, GraphError> {
    match select {
        None => Ok(GROUP_PROPS.to_vec()),
        Some(select) => select
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                GROUP_PROPS
                    .into_iter()
                    .find(|p| p.eq_ignore_ascii_case(name))
                    .ok_or_else(|| schema::unknown_property(name, "group"))
            })
            .collect(),
    }
}

fn group_value(group: &Group, name: &str) -> Value {
    match name {
        "id" => json!(group.id),
        "createdDateTime" => json!(group.created.format(&Rfc3339).unwrap_or_default()),
        "description" => group.description.as_ref().map_or(Value::Null, |d| json!(d)),
        "displayName" => json!(group.display_name),
        "groupTypes" => json!([]),
        "mail" => Value::Null,
        "mailEnabled" => json!(false),
        "mailNickname" => json!(group.mail_nickname),
        "securityEnabled" => json!(true),
        _ => Value::Null,
    }
}

/// A group with the selected properties (`id` always).
fn render_group(group: &Group, select: &[&str]) -> Value {
    let mut object = Map::new();
    for name in GROUP_PROPS {
        if name == "id" || select.contains(&name) {
            object.insert(name.to_owned(), group_value(group, name));
        }
    }
    Value::Object(object)
}

//! A Microsoft Graph look-alike for directory sync: users (list, get, delta), groups and their
//! members, served under `{base}graph/v1.0/`. Tokens are for the resource `{base}graph`
//! (scope `{base}graph/.default`); app-only tokens need an application permission such as
//! `User.Read.All` (users) or `GroupMember.Read.All` (groups), or the call gets
//! `403 Authorization_RequestDenied`.
//!
//! | Method | Path (under `/graph/v1.0`) | Purpose |
//! |---|---|---|
//! | GET | `/users` | list users: `$select`, `$filter`, `$top` (1–999), `$count`, paging |
//! | GET | `/users/$count` | count (needs `ConsistencyLevel: eventual`) |
//! | GET | `/users/delta` (or `/users/microsoft.graph.delta()`) | delta query |
//! | GET | `/users/{id or UPN}` | one user |
//! | GET | `/users/{id or UPN}/memberOf` | the user's groups |
//! | GET | `/groups` | list groups (`$filter=displayName eq '…'`) |
//! | GET | `/groups/{id}` | one group |
//! | GET | `/groups/{id}/members` | member users, paged |

mod auth;
mod delta;
mod filter;
mod groups;
mod props;
mod query;
mod reply;
mod schema;
mod store;
mod token;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

pub(crate) use store::{GraphStore, Removal};

use self::query::Query;
use self::reply::{GraphError, RequestIds};
use crate::state::Shared;

/// The path prefix of the Graph service.
const PREFIX: &str = "graph/v1.0/";

/// What every handler gets: the state, the headers and the request's IDs.
pub(crate) struct GraphContext<'a> {
    shared: &'a Shared,
    headers: &'a HeaderMap,
    ids: RequestIds,
}

impl GraphContext<'_> {
    /// `{base}graph/v1.0/{rest}`.
    fn graph_url(&self, rest: &str) -> String {
        self.shared.url(&format!("{PREFIX}{rest}"))
    }
}

/// The Graph routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/graph/v1.0/users", get(list_users))
        .route("/graph/v1.0/users/{key}", get(user_segment))
        .route("/graph/v1.0/users/{key}/memberOf", get(member_of))
        .route("/graph/v1.0/groups", get(list_groups))
        .route("/graph/v1.0/groups/{id}", get(get_group))
        .route("/graph/v1.0/groups/{id}/members", get(group_members))
}

/// Runs a handler body and turns its error into a Graph error answer.
fn serve(
    shared: &Shared,
    headers: &HeaderMap,
    raw_query: Option<String>,
    handler: impl FnOnce(&GraphContext<'_>, &Query) -> Result<Response, GraphError>,
) -> Response {
    let ctx = GraphContext {
        shared,
        headers,
        ids: RequestIds::for_request(headers),
    };
    let query = Query::parse(raw_query.as_deref());
    handler(&ctx, &query).unwrap_or_else(|error| {
        tracing::debug!(code = error.code, status = %error.status, "Graph request refused");
        error.into_response(ctx.ids, shared.clock.now())
    })
}

async fn list_users(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve(&shared, &headers, raw, users::list)
}

async fn user_segment(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve(&shared, &headers, raw, |ctx, query| match key.as_str() {
        "delta" | "microsoft.graph.delta" | "microsoft.graph.delta()" => delta::delta(ctx, query),
        "$count" => users::count(ctx, query),
        _ => users::get(ctx, &key, query),
    })
}

async fn member_of(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve(&shared, &headers, raw, |ctx, query| {
        groups::member_of(ctx, &key, query)
    })
}

async fn list_groups(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve(&shared, &headers, raw, groups::list)
}

async fn get_group(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve(&shared, &headers, raw, |ctx, query| {
        groups::get(ctx, &id, query)
    })
}

async fn group_members(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    serve(&shared, &headers, raw, |ctx, query| {
        groups::members(ctx, &id, query)
    })
}

/// Stores a group (replacing one with the same ID) with already checked members.
pub(crate) fn store_group(
    graph: &mut GraphStore,
    tenant_id: uuid::Uuid,
    seed: crate::seed::GroupSeed,
    members: std::collections::BTreeSet<uuid::Uuid>,
    now: time::OffsetDateTime,
) {
    let group = store::Group::from_seed(seed, members, now);
    graph.tenant_mut(tenant_id).groups.insert(group.id, group);
}

//! `GET /users/delta` ("user: delta", "Use delta query to track changes in Microsoft Graph
//! data"): an initial round pages through all current users and ends with an
//! `@odata.deltaLink`; later rounds list the users changed since, and deleted users as
//! `{"id":…,"@removed":{"reason":"changed"|"deleted"}}`.
//!
//! Changed users are rendered with all tracked properties (the docs allow "at least the
//! properties that have been updated, but additional properties may be included"). With a
//! `$select`, a user whose only changes are to unselected properties is left out, as the docs
//! describe. Tokens expire after 7 days of emulator time ("Token duration": 7 days for
//! directory objects) with `410 Gone` and `syncStateNotFound`; an admin reset gives `410 Gone`
//! and `resyncRequired`; both carry a `Location` with the initial request ("Synchronization
//! reset").

use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::GraphContext;
use super::auth::{self, Need};
use super::props::{self, UserProp};
use super::query::{self, Query};
use super::reply::{GraphError, json_response};
use super::schema;
use super::store::Removal;
use super::token::{DeltaState, Phase};
use super::users::context;
use crate::state::Store;

/// How long a delta token stays valid.
pub(crate) const TOKEN_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// Page size of delta responses (`$top` is not supported there; `Prefer: odata.maxpagesize`
/// is honoured, UNCONFIRMED for users).
const DEFAULT_PAGE: usize = 100;

fn invalid_token() -> GraphError {
    GraphError::bad_request("The delta token is not valid.")
}

/// `GET /users/delta`.
pub(crate) fn delta(ctx: &GraphContext<'_>, query: &Query) -> Result<Response, GraphError> {
    let tenant_id = auth::authorize(ctx.shared, ctx.headers, Need::Users)?;
    let page = query::max_page_size(ctx.headers).unwrap_or(DEFAULT_PAGE);
    let now = ctx.shared.clock.unix();
    let store = ctx.shared.lock();
    let epoch = store.graph.tenant(tenant_id).map_or(0, |t| t.epoch);
    let token = query
        .skip_token
        .as_deref()
        .or(query.delta_token.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let state = match token {
        None => {
            if query.filter.is_some() || query.top.is_some() || !query.unsupported.is_empty() {
                return Err(GraphError::unsupported_query(
                    "The delta function of users supports $select only in the emulator ($filter by id, $top, $orderby and $expand are not served).",
                ));
            }
            DeltaState {
                tenant: tenant_id,
                epoch,
                issued: now,
                select: tracked_select(query)?,
                phase: Phase::Initial {
                    after: None,
                    high: store.graph.high_water(),
                },
            }
        }
        // "Sync from now": no resource data, just a delta link.
        Some(latest) if latest.eq_ignore_ascii_case("latest") => {
            let state = DeltaState {
                tenant: tenant_id,
                epoch,
                issued: now,
                select: tracked_select(query)?,
                phase: Phase::Done {
                    since: store.graph.high_water(),
                },
            };
            let body = json!({
                "@odata.context": context(ctx, "users", query.select.as_deref()),
                "value": [],
                "@odata.deltaLink": link(ctx, "$deltatoken", &state),
            });
            return Ok(json_response(StatusCode::OK, &body, ctx.ids));
        }
        Some(token) => {
            let state = DeltaState::decode(token)
                .filter(|s| s.tenant == tenant_id)
                .ok_or_else(invalid_token)?;
            // A token issued "in the future" was not issued here: 400, like any token the
            // emulator cannot read.
            let age = state.age(now).ok_or_else(invalid_token)?;
            if state.epoch != epoch {
                return Err(gone(
                    ctx,
                    &state,
                    "resyncRequired",
                    "The delta token is no longer valid, and the app must reset the sync state.",
                ));
            }
            if age > TOKEN_LIFETIME_SECS {
                return Err(gone(
                    ctx,
                    &state,
                    "syncStateNotFound",
                    "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
                ));
            }
            state
        }
    };
    let select: Vec<UserProp> = if state.select.is_empty() {
        props::DEFAULT.to_vec()
    } else {
        state
            .select
            .iter()
            .filter_map(|n| UserProp::parse(n))
            .collect()
    };
    let (value, next) = match state.phase {
        Phase::Initial { after, high } => {
            let (value, next) = initial_page(&store, tenant_id, after, page, &select);
            let phase = match next {
                Some(last) => Phase::Initial {
                    after: Some(last),
                    high,
                },
                None => Phase::Done { since: high },
            };
            (value, phase)
        }
        Phase::Changes { since, after, high } => {
            let window = Window { since, after, high };
            changes_page(&store, tenant_id, window, page, &select, &state.select)
        }
        Phase::Done { since } => {
            let high = store.graph.high_water();
            let window = Window {
                since,
                after: since,
                high,
            };
            changes_page(&store, tenant_id, window, page, &select, &state.select)
        }
    };
    drop(store);
    let next_state = DeltaState {
        issued: now,
        phase: next,
        ..state
    };
    let select_text = (!next_state.select.is_empty()).then(|| next_state.select.join(","));
    let mut body = json!({
        "@odata.context": context(ctx, "users", select_text.as_deref()),
        "value": value,
    });
    match next_state.phase {
        Phase::Done { .. } => {
            body["@odata.deltaLink"] = json!(link(ctx, "$deltatoken", &next_state))
        }
        _ => body["@odata.nextLink"] = json!(link(ctx, "$skiptoken", &next_state)),
    }
    Ok(json_response(StatusCode::OK, &body, ctx.ids))
}

/// The canonical names of the initial request's `$select` (empty without one: default
/// properties, every change tracked).
fn tracked_select(query: &Query) -> Result<Vec<String>, GraphError> {
    if query.select.is_none() {
        return Ok(Vec::new());
    }
    let props = schema::user_select(query.select.as_deref())?;
    Ok(props.iter().map(|p| p.name().to_owned()).collect())
}

/// One page of the initial round; the last object ID served when more users follow.
fn initial_page(
    store: &Store,
    tenant_id: uuid::Uuid,
    after: Option<uuid::Uuid>,
    page: usize,
    select: &[UserProp],
) -> (Vec<Value>, Option<uuid::Uuid>) {
    let Some(tenant) = store.directory.tenant(tenant_id) else {
        return (Vec::new(), None);
    };
    let mut users: Vec<_> = tenant.users.after(after).take(page + 1).collect();
    let more = users.len() > page;
    users.truncate(page);
    let last = users.last().map(|u| u.object_id).filter(|_| more);
    (
        users.iter().map(|u| props::render(u, select)).collect(),
        last,
    )
}

/// Where a changes round stands: changes after `since` up to `high`, served up to `after`.
#[derive(Debug, Clone, Copy)]
struct Window {
    since: u64,
    after: u64,
    high: u64,
}

/// One page of a changes round over the log entries in `(after, high]`.
fn changes_page(
    store: &Store,
    tenant_id: uuid::Uuid,
    window: Window,
    page: usize,
    select: &[UserProp],
    tracked: &[String],
) -> (Vec<Value>, Phase) {
    let Window { since, after, high } = window;
    let Some(graph) = store.graph.tenant(tenant_id) else {
        return (Vec::new(), Phase::Done { since: high });
    };
    let users = store.directory.tenant(tenant_id).map(|t| &t.users);
    let tracked_mask = (!tracked.is_empty()).then(|| props::mask(select));
    let mut value = Vec::new();
    let mut last_seq = after;
    for (object_id, change) in graph.changes(after, high) {
        if value.len() == page {
            return (
                value,
                Phase::Changes {
                    since,
                    after: last_seq,
                    high,
                },
            );
        }
        last_seq = change.seq;
        if let Some(removal) = change.removed {
            value.push(removed(object_id, removal));
            continue;
        }
        let Some(user) = users.and_then(|u| u.get(object_id)) else {
            continue;
        };
        if tracked_mask.is_none_or(|mask| change.touches(since, mask)) {
            value.push(props::render(user, select));
        }
    }
    (value, Phase::Done { since: high })
}

/// A removed user in a delta response.
fn removed(object_id: uuid::Uuid, removal: Removal) -> Value {
    json!({ "id": object_id, "@removed": { "reason": removal.reason() } })
}

/// `{graph}users/delta?{key}={token}`.
fn link(ctx: &GraphContext<'_>, key: &str, state: &DeltaState) -> String {
    ctx.graph_url(&format!("users/delta?{key}={}", state.encode()))
}

/// `410 Gone` with a `Location` that starts over: the initial request with an empty
/// `$deltaToken`, keeping the tracked `$select`.
fn gone(
    ctx: &GraphContext<'_>,
    state: &DeltaState,
    code: &'static str,
    message: &str,
) -> GraphError {
    let mut restart = String::new();
    if !state.select.is_empty() {
        query::push(&mut restart, "$select", &state.select.join(","));
    }
    query::push(&mut restart, "$deltatoken", "");
    GraphError::new(StatusCode::GONE, code, message).with_header(
        header::LOCATION,
        ctx.graph_url(&format!("users/delta?{restart}")),
    )
}

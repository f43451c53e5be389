//! Change tracking: `Prefer: odata.track-changes` starts it (pages of rows, `@odata.deltaLink`
//! with the last), and `$deltatoken` returns the rows created or changed since (null columns
//! left out) followed by `$deletedEntity` rows, paged the same way. A token older than the
//! organisation's `expirechangetrackingindays`, or issued before the table's definition
//! changed, is refused with `0x80044352` (token format: [`super::change_token`]).
//!
//! Every answer is cut at one version (carried in the page cursors): changes made while a
//! client pages come in the next delta, never between the pages of this one.

use axum::http::{HeaderName, StatusCode};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Call;
use super::change_token::{
    DeltaCursor, DeltaToken, Phase, initial_skiptoken, split_initial_skiptoken,
};
use super::plan::{Plan, Scope};
use crate::dataverse::errors::ApiError;
use crate::dataverse::odata::paging::{PagingCookie, encode_link_value};
use crate::dataverse::odata::prefer::{Applied, preference_applied};
use crate::dataverse::render::context::fragment;
use crate::dataverse::render::entity::Renderer;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::row::Row;
use crate::dataverse::wire::{ApiBody, ApiResponse, ApiResult};

/// Default of `organization.expirechangetrackingindays`.
pub(crate) const DEFAULT_EXPIRY_DAYS: i64 = 7;

/// One page of an answer: the items, the link to the next page (none on the last) and the
/// version the answer was cut at.
struct Cut {
    values: Vec<Value>,
    next_skiptoken: Option<String>,
    upper: u64,
    /// `@odata.count` when `$count=true`: items in the whole answer, all pages.
    total: usize,
}

/// Initial (`Prefer: odata.track-changes`) and delta (`$deltatoken`) requests.
pub(crate) fn track(store: &DataverseStore, call: &Call<'_>, table: u16) -> ApiResult {
    let definition = store.catalog.table(table);
    if !definition.change_tracking {
        return Err(ApiError::bad_request(format!(
            "Change tracking is not enabled for the {} table (ChangeTrackingEnabled is false).",
            definition.logical_name
        )));
    }
    for (name, present) in [
        ("filter", call.options.filter.is_some()),
        ("orderby", call.options.orderby.is_some()),
        ("expand", call.options.expand.is_some()),
        ("top", call.options.top.is_some()),
    ] {
        if present {
            return Err(ApiError::bad_request(format!(
                "The \"${name}\" query parameter isn't supported when Change Tracking is enabled."
            )));
        }
    }
    let plan = Plan::from_call(store, call, table, Scope::All)?;
    let since = match &call.options.deltatoken {
        Some(token) => Some(checked_token(store, call, table, token)?),
        None => None,
    };
    let cut = match since {
        Some(since) => delta_page(store, call, table, &plan, since)?,
        None => initial_page(store, call, table, &plan)?,
    };
    let base = fragment(&store.catalog, table, &plan.selection, &[]);
    let context = match since {
        Some(_) => call.env.context(&format!("{base}/$delta")),
        None => call.env.context(&base),
    };
    let mut body = Map::new();
    body.insert("@odata.context".to_owned(), Value::String(context));
    if call.options.count {
        // UNCONFIRMED: the docs count changes with `/$count?$deltatoken=`; `$count=true` on a
        // tracking request is answered as on any collection (the whole answer, all pages).
        body.insert("@odata.count".to_owned(), json!(cut.total));
    }
    // The delta link comes with the last page only; earlier pages link to the next.
    match cut.next_skiptoken {
        Some(skiptoken) => body.insert(
            "@odata.nextLink".to_owned(),
            Value::String(next_link(call, &skiptoken)),
        ),
        None => body.insert(
            "@odata.deltaLink".to_owned(),
            Value::String(delta_link(store, call, table, cut.upper)),
        ),
    };
    body.insert("value".to_owned(), Value::Array(cut.values));
    let applied = Applied {
        annotations: call.prefer.annotations.is_some(),
        track_changes: true,
        max_page_size: call.prefer.max_page_size.is_some(),
        ..Applied::default()
    };
    let mut response = ApiResponse::collection(Value::Object(body));
    if let Some(value) = preference_applied(&call.prefer, applied) {
        response = response.with_header(HeaderName::from_static("preference-applied"), value);
    }
    Ok(response)
}

/// A page of the full load, in primary-key order.
fn initial_page(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    plan: &Plan,
) -> Result<Cut, ApiError> {
    let view = store.view();
    let (start, page_number, cursor) = match &call.options.skiptoken {
        Some(token) => {
            let (start, cookie) = split_initial_skiptoken(token);
            let (next, cookie) = PagingCookie::from_skiptoken(cookie).ok_or_else(|| {
                ApiError::bad_request("The $skiptoken is not a valid paging cookie.")
            })?;
            (start, next, Some(plan.cursor(&view, &cookie)?))
        }
        None => (None, 1, None),
    };
    // The load starts at the version current on its first page: a row changed while the
    // client pages is reported again by the first delta.
    let upper = start.unwrap_or_else(|| store.data.current_version());
    let page = plan.page(&view, cursor.as_ref(), 0, call.prefer.page_size());
    let next_skiptoken = page.more.then(|| {
        let cookie = plan.cookie(&view, page_number, &page.rows);
        initial_skiptoken(upper, &cookie.skiptoken())
    });
    let renderer = renderer(store, call, false);
    let values = page
        .rows
        .iter()
        .map(|(id, row)| Value::Object(renderer.row(table, *id, row, &plan.selection, &[])))
        .collect();
    let rows = &store.data.table(table).rows;
    let total = match (&plan.readable, call.options.count) {
        (_, false) => 0,
        (None, true) => rows.len(),
        (Some(readable), true) => rows
            .iter()
            .filter(|(id, row)| readable.allows(&store.catalog, &store.data, **id, row))
            .count(),
    };
    Ok(Cut {
        values,
        next_skiptoken,
        upper,
        total,
    })
}

/// A page of a delta: rows changed after `since` by version, then deletions by version, all
/// at most the version the delta was cut at.
fn delta_page(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    plan: &Plan,
    since: u64,
) -> Result<Cut, ApiError> {
    let cursor = match &call.options.skiptoken {
        Some(token) => DeltaCursor::parse(token)
            .ok_or_else(|| ApiError::bad_request("The $skiptoken is not a valid delta cursor."))?,
        None => DeltaCursor {
            upper: store.data.current_version(),
            phase: Phase::Changed,
            after: since,
        },
    };
    let size = call.prefer.page_size();
    let changed = changed_rows(store, plan, table, since, cursor.upper);
    let deleted = deletions(store, table, since, cursor.upper);
    let total = changed.len() + deleted.len();
    let renderer = renderer(store, call, true);
    let mut values = Vec::new();
    let mut last = None;
    if cursor.phase == Phase::Changed {
        for (id, row) in changed.iter().filter(|(_, row)| row.version > cursor.after) {
            if values.len() == size {
                break;
            }
            values.push(Value::Object(renderer.row(
                table,
                *id,
                row,
                &plan.selection,
                &[],
            )));
            last = Some((Phase::Changed, row.version));
        }
    }
    let deleted_after = match cursor.phase {
        Phase::Changed => since,
        Phase::Deleted => cursor.after,
    };
    let context = call.env.context(&format!(
        "{}/$deletedEntity",
        store.catalog.table(table).entity_set
    ));
    for (version, id) in deleted.iter().filter(|(v, _)| *v > deleted_after) {
        if values.len() == size {
            break;
        }
        values.push(json!({ "@odata.context": context, "id": id, "reason": "deleted" }));
        last = Some((Phase::Deleted, *version));
    }
    let more = match last {
        Some((Phase::Changed, version)) => {
            changed.iter().any(|(_, row)| row.version > version) || !deleted.is_empty()
        }
        Some((Phase::Deleted, version)) => deleted.iter().any(|(v, _)| *v > version),
        None => false,
    };
    let next_skiptoken = match last {
        Some((phase, after)) if more => Some(
            DeltaCursor {
                upper: cursor.upper,
                phase,
                after,
            }
            .encode(),
        ),
        _ => None,
    };
    Ok(Cut {
        values,
        next_skiptoken,
        upper: cursor.upper,
        total,
    })
}

/// Readable rows with `since < version <= upper`, by version.
fn changed_rows<'a>(
    store: &'a DataverseStore,
    plan: &Plan,
    table: u16,
    since: u64,
    upper: u64,
) -> Vec<(Uuid, &'a Row)> {
    let view = store.view();
    let mut rows: Vec<(Uuid, &Row)> = store
        .data
        .table(table)
        .rows
        .iter()
        .filter(|(id, row)| {
            row.version > since
                && row.version <= upper
                && plan
                    .readable
                    .as_ref()
                    .is_none_or(|r| r.allows(view.catalog, view.data, **id, row))
        })
        .map(|(id, row)| (*id, row))
        .collect();
    rows.sort_by_key(|(_, row)| row.version);
    rows
}

/// Deletions with `since < version <= upper`, by version. A row created, updated or both and
/// then deleted is reported once, as deleted, even if the client never saw it (Learn, same
/// article). An id that exists again (re-created with the same id) is not reported deleted:
/// its current row is reported as changed instead, so a client applying the delta in order
/// ends with the row.
fn deletions(store: &DataverseStore, table: u16, since: u64, upper: u64) -> Vec<(u64, Uuid)> {
    let data = store.data.table(table);
    data.deletions
        .iter()
        .filter(|(v, id)| *v > since && *v <= upper && !data.rows.contains_key(id))
        .copied()
        .collect()
}

fn renderer<'a>(store: &'a DataverseStore, call: &'a Call<'_>, delta: bool) -> Renderer<'a> {
    Renderer {
        view: store.view(),
        env: call.env,
        prefer: &call.prefer,
        omit_nulls: delta,
        in_collection: true,
        money_companion: !delta,
        access: Some(&call.access),
    }
}

/// `GET /{set}/$count?$deltatoken=…`: how many rows changed (and were deleted) since.
pub(crate) fn count(store: &DataverseStore, call: &Call<'_>, table: u16) -> ApiResult {
    let token = call.options.deltatoken.as_deref().unwrap_or_default();
    let since = checked_token(store, call, table, token)?;
    let readable = super::plan::readable_rows(store, call, table)?;
    let upper = store.data.current_version();
    let changed = store
        .data
        .table(table)
        .rows
        .iter()
        .filter(|(id, row)| {
            row.version > since
                && readable
                    .as_ref()
                    .is_none_or(|r| r.allows(&store.catalog, &store.data, **id, row))
        })
        .count();
    let total = changed + deletions(store, table, since, upper).len();
    Ok(ApiResponse {
        status: StatusCode::OK,
        headers: Vec::new(),
        body: ApiBody::Text(total.to_string()),
    })
}

/// The link to the next page: the request's own query with the new `$skiptoken`.
fn next_link(call: &Call<'_>, skiptoken: &str) -> String {
    let kept = call.request.query.raw_without(&["$skiptoken"]);
    let separator = if kept.is_empty() { "" } else { "&" };
    format!(
        "{}{}?{kept}{separator}$skiptoken={}",
        call.env.root(),
        call.request.path,
        encode_link_value(skiptoken)
    )
}

fn delta_link(store: &DataverseStore, call: &Call<'_>, table: u16, version: u64) -> String {
    let token = DeltaToken {
        version,
        issued: call.env.now,
        metadata: Some(store.catalog.table(table).metadata_version),
    };
    let kept = call
        .request
        .query
        .raw_without(&["$deltatoken", "$skiptoken"]);
    let separator = if kept.is_empty() { "" } else { "&" };
    format!(
        "{}{}?{kept}{separator}$deltatoken={}",
        call.env.root(),
        call.request.path,
        encode_token(&token.encode())
    )
}

/// Every byte but letters and digits as `%xx` (lower-case), as the service encodes tokens.
fn encode_token(token: &str) -> String {
    token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

/// Parses a `$deltatoken` and refuses it when expired (by age or by a definition change).
fn checked_token(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    token: &str,
) -> Result<u64, ApiError> {
    let parsed = DeltaToken::parse(token)
        .ok_or_else(|| ApiError::bad_request(format!("The $deltatoken '{token}' is not valid.")))?;
    parsed.check(
        call.env.now,
        expiry_days(store),
        store.catalog.table(table).metadata_version,
    )?;
    Ok(parsed.version)
}

/// `organization.expirechangetrackingindays`.
fn expiry_days(store: &DataverseStore) -> i64 {
    let table = store.builtin("organization");
    let definition = store.catalog.table(table);
    definition
        .attribute_index("expirechangetrackingindays")
        .and_then(|index| {
            store
                .data
                .row(table, store.org.organization)
                .and_then(|row| row.get(index))
        })
        .and_then(|cell| match cell {
            CellRef::Int(days) => Some(days),
            _ => None,
        })
        .unwrap_or(DEFAULT_EXPIRY_DAYS)
}

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
use crate::dataverse::access::RowFilter;
use crate::dataverse::errors::ApiError;
use crate::dataverse::odata::paging::{PagingCookie, encode_link_value};
use crate::dataverse::odata::prefer::{Applied, preference_applied};
use crate::dataverse::render::context::fragment;
use crate::dataverse::render::entity::Renderer;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::store::change_log::{Position, end_of};
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
/// at most the version the delta was cut at. The page is read from the table's change log
/// from the cursor on, one item past the page to know whether another page follows.
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
            after_id: None,
        },
    };
    let upper = cursor.upper;
    // A zero page size would never move the cursor on.
    let size = call.prefer.page_size().max(1);
    let readable = plan.readable.as_ref();
    let renderer = renderer(store, call, true);
    let mut values = Vec::new();
    let mut last = None;
    let mut more = false;
    if cursor.phase == Phase::Changed {
        let from = (cursor.after, cursor.after_id.unwrap_or(Uuid::max()));
        for (id, row) in changed_rows(store, readable, table, from, upper) {
            if values.len() == size {
                more = true;
                break;
            }
            values.push(Value::Object(renderer.row(
                table,
                id,
                row,
                &plan.selection,
                &[],
            )));
            last = Some(DeltaCursor {
                upper,
                phase: Phase::Changed,
                after: row.version,
                after_id: Some(id),
            });
        }
    }
    if !more {
        let deleted_after = match cursor.phase {
            Phase::Changed => since,
            Phase::Deleted => cursor.after,
        };
        let context = call.env.context(&format!(
            "{}/$deletedEntity",
            store.catalog.table(table).entity_set
        ));
        for (version, id) in deletions(store, table, deleted_after, upper) {
            if values.len() == size {
                more = true;
                break;
            }
            values.push(json!({ "@odata.context": context, "id": id, "reason": "deleted" }));
            last = Some(DeltaCursor {
                upper,
                phase: Phase::Deleted,
                after: version,
                after_id: None,
            });
        }
    }
    let next_skiptoken = last.filter(|_| more).map(|cursor| cursor.encode());
    let total = if call.options.count {
        changes_since(store, readable, table, since, upper)
    } else {
        0
    };
    Ok(Cut {
        values,
        next_skiptoken,
        upper,
        total,
    })
}

/// Readable rows whose current version is after `from` and at most `upper`, by version then
/// id (a seek into the table's change log, then one lookup per row).
fn changed_rows<'a>(
    store: &'a DataverseStore,
    readable: Option<&'a RowFilter>,
    table: u16,
    from: Position,
    upper: u64,
) -> impl Iterator<Item = (Uuid, &'a Row)> + 'a {
    let data = store.data.table(table);
    data.changes
        .stored_between(from, upper)
        .filter_map(|(_, id)| data.rows.get(&id).map(|row| (id, row)))
        .filter(move |(id, row)| {
            readable.is_none_or(|r| r.allows(&store.catalog, &store.data, *id, row))
        })
}

/// Deletions with `after < version <= upper`, by version. A row created, updated or both and
/// then deleted is reported once, as deleted, even if the client never saw it (Learn, same
/// article). An id that exists again (re-created with the same id) is not reported deleted:
/// its current row is reported as changed instead, so a client applying the delta in order
/// ends with the row.
fn deletions(
    store: &DataverseStore,
    table: u16,
    after: u64,
    upper: u64,
) -> impl Iterator<Item = (u64, Uuid)> + '_ {
    let data = store.data.table(table);
    data.changes
        .deleted_between(after, upper)
        .iter()
        .copied()
        .filter(|(_, id)| !data.rows.contains_key(id))
}

/// How many items a delta from `since` cut at `upper` holds, all pages: the work is in
/// the changes since, not in the size of the table.
fn changes_since(
    store: &DataverseStore,
    readable: Option<&RowFilter>,
    table: u16,
    since: u64,
    upper: u64,
) -> usize {
    changed_rows(store, readable, table, end_of(since), upper).count()
        + deletions(store, table, since, upper).count()
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
    let total = changes_since(store, readable.as_ref(), table, since, upper);
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

#[cfg(test)]
mod tests {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, HeaderValue, Method};
    use time::OffsetDateTime;

    use super::*;
    use crate::dataverse::env::{Caller, Env};
    use crate::dataverse::handlers::dispatch;
    use crate::dataverse::odata::query_string::QueryString;
    use crate::dataverse::settings::SecurityEnforcement;
    use crate::dataverse::store::row::Row;
    use crate::dataverse::wire::ApiRequest;
    use crate::dataverse::{DataverseConfig, DataverseShared};

    fn get(store: &mut DataverseStore, env: &Env, query: &str) -> Value {
        let mut headers = HeaderMap::new();
        headers.insert(
            "prefer",
            HeaderValue::from_static("odata.track-changes,odata.maxpagesize=2"),
        );
        let request = ApiRequest {
            method: Method::GET,
            path: "accounts".to_owned(),
            query: QueryString::parse(Some(query)),
            headers,
            body: Bytes::new(),
        };
        match dispatch(store, env, &request).body {
            ApiBody::Json(body, _) => body,
            _ => panic!("a delta page is JSON"),
        }
    }

    /// The service gives every change its own version, so ties cannot be made over HTTP; the
    /// store allows them, and a page that ends inside one must not skip the rest of it.
    #[test]
    fn a_page_boundary_inside_one_version_loses_no_row() {
        let shared = DataverseShared::new(DataverseConfig::default()).expect("starts");
        let mut store = shared.lock();
        let table = store.builtin("account");
        let since = store.data.current_version();
        let shared_version = store.data.next_version();
        let ids: Vec<Uuid> = (1..=5).map(Uuid::from_u128).collect();
        {
            let DataverseStore { catalog, data, .. } = &mut *store;
            for id in &ids {
                data.put(catalog, table, *id, Row::new(shared_version, []))
                    .expect("stored");
            }
        }
        let env = Env {
            origin: "http://127.0.0.1".to_owned(),
            version: "v9.2".to_owned(),
            caller: Caller {
                user_id: store.org.system_user,
                business_unit_id: store.org.root_business_unit,
            },
            organization_id: store.org.organization,
            now: OffsetDateTime::now_utc(),
            security: SecurityEnforcement::Off,
        };
        let token = DeltaToken {
            version: since,
            issued: env.now,
            metadata: Some(store.catalog.table(table).metadata_version),
        };
        let mut query = format!("$select=name&$deltatoken={}", encode_token(&token.encode()));
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let body = get(&mut store, &env, &query);
            pages += 1;
            for item in body["value"].as_array().expect("value") {
                seen.push(item["accountid"].as_str().expect("id").to_owned());
            }
            match body["@odata.nextLink"].as_str() {
                Some(next) => query = next.split_once('?').expect("query").1.to_owned(),
                None => break,
            }
            assert!(pages < 10, "the cursor does not move: {body}");
        }
        let expected: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        assert_eq!(seen, expected);
        assert_eq!(pages, 3);
    }
}

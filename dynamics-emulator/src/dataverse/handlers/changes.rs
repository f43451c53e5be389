//! Change tracking: `Prefer: odata.track-changes` starts it (pages of rows, `@odata.deltaLink`
//! with the last), and
//! `$deltatoken` returns the rows created or changed since (null columns left out) followed by
//! `$deletedEntity` rows. The token is `{version}!{MM/dd/yyyy HH:mm:ss}`; a token older than
//! the organisation's `expirechangetrackingindays` is refused.

use axum::http::{HeaderName, StatusCode};
use serde_json::{Map, Value, json};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::Call;
use super::plan::{Plan, Scope};
use crate::dataverse::errors::ApiError;
use crate::dataverse::odata::paging::{PagingCookie, encode_link_value};
use crate::dataverse::odata::prefer::{Applied, preference_applied};
use crate::dataverse::render::context::fragment;
use crate::dataverse::render::entity::Renderer;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::cell::CellRef;
use crate::dataverse::wire::{ApiBody, ApiResponse, ApiResult};

/// Default of `organization.expirechangetrackingindays`.
pub(crate) const DEFAULT_EXPIRY_DAYS: i64 = 7;

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
    let view = store.view();
    let since = match &call.options.deltatoken {
        Some(token) => Some(parse_token(store, call, token)?),
        None => None,
    };
    let renderer = Renderer {
        view,
        env: call.env,
        prefer: &call.prefer,
        omit_nulls: since.is_some(),
        in_collection: true,
        money_companion: since.is_none(),
        access: Some(&call.access),
    };
    // The initial load comes in pages (`Prefer: odata.maxpagesize`, default 5000) with
    // `$skiptoken` links; the delta link comes with the last page.
    let mut next_link = None;
    let mut values: Vec<Value> = match since {
        Some(version) => view
            .data
            .table(table)
            .rows
            .iter()
            .filter(|(id, row)| {
                row.version > version
                    && plan
                        .readable
                        .as_ref()
                        .is_none_or(|r| r.allows(view.catalog, view.data, **id, row))
            })
            .map(|(id, row)| Value::Object(renderer.row(table, *id, row, &plan.selection, &[])))
            .collect(),
        None => {
            let (page_number, cursor) = match &call.options.skiptoken {
                Some(token) => {
                    let (next, cookie) = PagingCookie::from_skiptoken(token).ok_or_else(|| {
                        ApiError::bad_request("The $skiptoken is not a valid paging cookie.")
                    })?;
                    (next, Some(plan.cursor(&view, &cookie)?))
                }
                None => (1, None),
            };
            let page = plan.page(&view, cursor.as_ref(), 0, call.prefer.page_size());
            if page.more {
                let cookie = plan.cookie(&view, page_number, &page.rows);
                let kept = call.request.query.raw_without(&["$skiptoken"]);
                let separator = if kept.is_empty() { "" } else { "&" };
                next_link = Some(format!(
                    "{}{}?{kept}{separator}$skiptoken={}",
                    call.env.root(),
                    call.request.path,
                    encode_link_value(&cookie.skiptoken())
                ));
            }
            page.rows
                .iter()
                .map(|(id, row)| Value::Object(renderer.row(table, *id, row, &plan.selection, &[])))
                .collect()
        }
    };
    let base = fragment(&store.catalog, table, &plan.selection, &[]);
    let context = match since {
        Some(version) => {
            let deleted = call
                .env
                .context(&format!("{}/$deletedEntity", definition.entity_set));
            values.extend(
                view.data
                    .table(table)
                    .deletions
                    .iter()
                    .filter(|(v, _)| *v > version)
                    .map(|(_, id)| json!({ "@odata.context": deleted, "id": id, "reason": "deleted" })),
            );
            call.env.context(&format!("{base}/$delta"))
        }
        None => call.env.context(&base),
    };
    let mut body = Map::new();
    body.insert("@odata.context".to_owned(), Value::String(context));
    match next_link {
        Some(link) => body.insert("@odata.nextLink".to_owned(), Value::String(link)),
        None => body.insert(
            "@odata.deltaLink".to_owned(),
            Value::String(delta_link(store, call)),
        ),
    };
    body.insert("value".to_owned(), Value::Array(values));
    let applied = Applied {
        annotations: call.prefer.annotations.is_some(),
        track_changes: true,
        max_page_size: call.prefer.max_page_size.is_some() && since.is_none(),
        ..Applied::default()
    };
    let mut response = ApiResponse::collection(Value::Object(body));
    if let Some(value) = preference_applied(&call.prefer, applied) {
        response = response.with_header(HeaderName::from_static("preference-applied"), value);
    }
    Ok(response)
}

/// `GET /{set}/$count?$deltatoken=…`: how many rows changed (and were deleted) since.
pub(crate) fn count(store: &DataverseStore, call: &Call<'_>, table: u16) -> ApiResult {
    let token = call.options.deltatoken.as_deref().unwrap_or_default();
    let since = parse_token(store, call, token)?;
    let readable = super::plan::readable_rows(store, call, table)?;
    let data = store.data.table(table);
    let changed = data
        .rows
        .iter()
        .filter(|(id, row)| {
            row.version > since
                && readable
                    .as_ref()
                    .is_none_or(|r| r.allows(&store.catalog, &store.data, **id, row))
        })
        .count()
        + data.deletions.iter().filter(|(v, _)| *v > since).count();
    Ok(ApiResponse {
        status: StatusCode::OK,
        headers: Vec::new(),
        body: ApiBody::Text(changed.to_string()),
    })
}

fn delta_link(store: &DataverseStore, call: &Call<'_>) -> String {
    let now = call.env.now;
    let token = format!(
        "{}!{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
        store.data.current_version(),
        u8::from(now.month()),
        now.day(),
        now.year(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let kept = call
        .request
        .query
        .raw_without(&["$deltatoken", "$skiptoken"]);
    let separator = if kept.is_empty() { "" } else { "&" };
    format!(
        "{}{}?{kept}{separator}$deltatoken={}",
        call.env.root(),
        call.request.path,
        encode_token(&token)
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

fn parse_token(store: &DataverseStore, call: &Call<'_>, token: &str) -> Result<u64, ApiError> {
    let invalid = || ApiError::bad_request(format!("The $deltatoken '{token}' is not valid."));
    let (version, stamp) = token.split_once('!').ok_or_else(invalid)?;
    let version: u64 = version.trim().parse().map_err(|_| invalid())?;
    let issued = parse_stamp(stamp.trim()).ok_or_else(invalid)?;
    let expiry_days = expiry_days(store);
    if (call.env.now - issued).whole_days() > expiry_days {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "",
            "Version stamp associated with the client has expired. Please perform a full sync.",
        ));
    }
    Ok(version)
}

/// `MM/dd/yyyy HH:mm:ss` (UTC).
fn parse_stamp(text: &str) -> Option<OffsetDateTime> {
    let (date, clock) = text.split_once(' ')?;
    let mut d = date.split('/');
    let month: u8 = d.next()?.parse().ok()?;
    let day: u8 = d.next()?.parse().ok()?;
    let year: i32 = d.next()?.parse().ok()?;
    let mut c = clock.split(':');
    let hour: u8 = c.next()?.parse().ok()?;
    let minute: u8 = c.next()?.parse().ok()?;
    let second: u8 = c.next()?.parse().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
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

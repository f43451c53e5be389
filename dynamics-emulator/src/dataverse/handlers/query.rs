//! Collection queries: `GET /{set}` (and a collection-valued navigation property) with
//! `$select`, `$filter`, `$orderby`, `$top`, `$expand`, `$count`, and paging by
//! `Prefer: odata.maxpagesize` and `$skiptoken` cookies; `$apply` (see [`aggregate`]);
//! `GET /{set}/$count`.

use axum::http::HeaderName;
use serde_json::{Map, Value};

use super::plan::{Plan, Scope};
use super::{Call, aggregate, changes, fetch};
use crate::dataverse::errors::ApiError;
use crate::dataverse::odata::paging::{PagingCookie, encode_link_value};
use crate::dataverse::odata::prefer::{Applied, MAX_PAGE_SIZE, preference_applied};
use crate::dataverse::render::context::fragment;
use crate::dataverse::render::entity::Renderer;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiBody, ApiResponse, ApiResult};

/// The most `@odata.count` and `$count` report.
pub(crate) const COUNT_LIMIT: usize = 5000;
/// The `@Microsoft.Dynamics.CRM.globalmetadataversion` the emulator reports.
pub(crate) const METADATA_VERSION: &str = "1000001";

/// `GET /{set}`: an OData query, a FetchXML query, or change tracking.
pub(crate) fn collection_request(
    store: &mut DataverseStore,
    call: &Call<'_>,
    table: u16,
) -> ApiResult {
    if call.options.apply.is_some()
        && (call.options.fetch_xml.is_some()
            || call.options.deltatoken.is_some()
            || call.prefer.track_changes)
    {
        return Err(ApiError::bad_request(
            "The query parameter $apply cannot be combined with fetchXml or change tracking.",
        ));
    }
    if call.options.fetch_xml.is_some() {
        return fetch::fetch(store, call, table);
    }
    if call.options.deltatoken.is_some() || call.prefer.track_changes {
        return changes::track(store, call, table);
    }
    collection(store, call, table, Scope::All)
}

/// A collection answer for a scope.
pub(crate) fn collection(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    scope: Scope,
) -> ApiResult {
    if call.options.apply.is_some() {
        return aggregate::aggregate(store, call, table, scope);
    }
    let plan = Plan::from_call(store, call, table, scope)?;
    let view = store.view();
    let prefer = &call.prefer;
    let paged_by_preference = prefer.max_page_size.is_some();
    let (size, top_limited) = match (call.options.top, paged_by_preference) {
        (Some(top), false) => (top.min(MAX_PAGE_SIZE), true),
        _ => (prefer.page_size(), false),
    };
    let (page_number, cursor) = match &call.options.skiptoken {
        Some(token) => {
            let (next, cookie) = PagingCookie::from_skiptoken(token).ok_or_else(|| {
                ApiError::bad_request("The $skiptoken is not a valid paging cookie.")
            })?;
            (next, Some(plan.cursor(&view, &cookie)?))
        }
        None => (1, None),
    };
    let page = plan.page(&view, cursor.as_ref(), 0, size);
    let renderer = Renderer {
        view,
        env: call.env,
        prefer,
        omit_nulls: false,
        in_collection: true,
        money_companion: true,
        access: Some(&call.access),
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::String(call.env.context(&fragment(
            &store.catalog,
            table,
            &plan.selection,
            &plan.expand,
        ))),
    );
    let total = (call.options.count || prefer.wants("Microsoft.Dynamics.CRM.totalrecordcount"))
        .then(|| plan.count(&view, COUNT_LIMIT));
    if call.options.count
        && let Some(total) = total
    {
        body.insert(
            "@odata.count".to_owned(),
            Value::from(total.min(COUNT_LIMIT)),
        );
    }
    count_annotations(&mut body, call, total);
    let values = page
        .rows
        .iter()
        .map(|(id, row)| {
            Value::Object(renderer.row(table, *id, row, &plan.selection, &plan.expand))
        })
        .collect();
    body.insert("value".to_owned(), Value::Array(values));
    if page.more && !top_limited {
        let cookie = plan.cookie(&view, page_number, &page.rows);
        body.insert(
            "@odata.nextLink".to_owned(),
            Value::String(next_link(call, &cookie)),
        );
    }
    let applied = Applied {
        annotations: prefer.annotations.is_some(),
        max_page_size: paged_by_preference,
        ..Applied::default()
    };
    let mut response = ApiResponse::collection(Value::Object(body));
    if let Some(value) = preference_applied(prefer, applied) {
        response = response.with_header(HeaderName::from_static("preference-applied"), value);
    }
    Ok(response)
}

/// `@Microsoft.Dynamics.CRM.totalrecordcount` and friends, when asked for.
pub(crate) fn count_annotations(
    body: &mut Map<String, Value>,
    call: &Call<'_>,
    total: Option<usize>,
) {
    let prefer = &call.prefer;
    if prefer.wants("Microsoft.Dynamics.CRM.totalrecordcount") {
        let reported = match total {
            Some(total) if call.options.count => {
                i64::try_from(total.min(COUNT_LIMIT)).unwrap_or(-1)
            }
            _ => -1,
        };
        body.insert(
            "@Microsoft.Dynamics.CRM.totalrecordcount".to_owned(),
            Value::from(reported),
        );
    }
    if prefer.wants("Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded") {
        body.insert(
            "@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded".to_owned(),
            Value::Bool(total.is_some_and(|t| t > COUNT_LIMIT)),
        );
    }
    if prefer.wants_global_metadata_version() {
        body.insert(
            "@Microsoft.Dynamics.CRM.globalmetadataversion".to_owned(),
            Value::String(METADATA_VERSION.to_owned()),
        );
    }
}

/// The request's URL with its options (minus `$skiptoken` and `$count`) and a new `$skiptoken`.
fn next_link(call: &Call<'_>, cookie: &PagingCookie) -> String {
    let kept = call.request.query.raw_without(&["$skiptoken", "$count"]);
    let token = encode_link_value(&cookie.skiptoken());
    let separator = if kept.is_empty() { "" } else { "&" };
    format!(
        "{}{}?{kept}{separator}$skiptoken={token}",
        call.env.root(),
        call.request.path
    )
}

/// `GET /{set}/$count`: the number of rows (with `$filter`), at most 5000, as text.
pub(crate) fn count_request(store: &mut DataverseStore, call: &Call<'_>, table: u16) -> ApiResult {
    if call.options.deltatoken.is_some() {
        return changes::count(store, call, table);
    }
    count_text(store, call, table, Scope::All)
}

/// The count of a scope as a `text/plain` answer.
pub(crate) fn count_text(
    store: &DataverseStore,
    call: &Call<'_>,
    table: u16,
    scope: Scope,
) -> ApiResult {
    let plan = Plan::from_call(store, call, table, scope)?;
    let count = plan.count(&store.view(), COUNT_LIMIT).min(COUNT_LIMIT);
    Ok(ApiResponse {
        status: axum::http::StatusCode::OK,
        headers: Vec::new(),
        body: ApiBody::Text(count.to_string()),
    })
}

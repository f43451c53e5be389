//! `GET /{set}?fetchXml=…`: FetchXML queries with `count`/`page` paging, paging cookies
//! (`@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`, `@Microsoft.Dynamics.CRM.morerecords`) and
//! null columns left out, as the service answers them.

use axum::http::HeaderName;
use serde_json::{Map, Value};

use super::Call;
use super::plan::{Plan, Scope};
use super::query::{COUNT_LIMIT, count_annotations};
use crate::dataverse::errors::ApiError;
use crate::dataverse::fetchxml::{filter_expr, json_name, parse_fetch};
use crate::dataverse::odata::filter_bind::bind;
use crate::dataverse::odata::orderby::parse_orderby;
use crate::dataverse::odata::paging::PagingCookie;
use crate::dataverse::odata::prefer::{Applied, MAX_PAGE_SIZE, preference_applied};
use crate::dataverse::odata::select::{Selection, parse_select};
use crate::dataverse::render::entity::Renderer;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiResponse, ApiResult};

const PAGING_COOKIE: &str = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie";

/// Runs the FetchXML in `fetchXml`.
pub(crate) fn fetch(store: &DataverseStore, call: &Call<'_>, table: u16) -> ApiResult {
    let xml = call.options.fetch_xml.as_deref().unwrap_or_default();
    let query = parse_fetch(xml)?;
    let catalog = &store.catalog;
    let definition = catalog.table(table);
    if query.entity != definition.logical_name {
        return Err(ApiError::bad_request(format!(
            "The entity name '{}' in the FetchXML does not match the entity set '{}' of the URL.",
            query.entity, definition.entity_set
        )));
    }
    let selection = match &query.attributes {
        Some(attributes) => {
            let names = attributes
                .iter()
                .map(|a| json_name(definition, a))
                .collect::<Result<Vec<_>, _>>()?;
            parse_select(&names.join(","), definition)?
        }
        None => Selection::All,
    };
    let filter = match &query.filter {
        Some(filter) => Some(bind(
            &filter_expr(definition, filter)?,
            catalog,
            table,
            &call.env.bind_context(),
        )?),
        None => None,
    };
    let order_text = query
        .orders
        .iter()
        .map(|(attribute, descending)| {
            json_name(definition, attribute)
                .map(|n| format!("{n} {}", if *descending { "desc" } else { "asc" }))
        })
        .collect::<Result<Vec<_>, _>>()?
        .join(",");
    let mut order = parse_orderby(&order_text, catalog, table)?;
    for (key, (attribute, _)) in order.iter_mut().zip(&query.orders) {
        key.attribute.clone_from(attribute);
    }
    let plan = Plan {
        table,
        scope: Scope::All,
        selection,
        filter,
        order,
        expand: Vec::new(),
        readable: super::plan::readable_rows(store, call, table)?,
    };
    let view = store.view();
    let size = query
        .top
        .or(query.count)
        .unwrap_or(MAX_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    let page_number = query.page.unwrap_or(1);
    let cookie = query
        .paging_cookie
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            PagingCookie::parse_xml(c)
                .ok_or_else(|| ApiError::bad_request("The paging cookie is not valid XML."))
        })
        .transpose()?;
    let (cursor, offset) = match &cookie {
        Some(cookie) if page_number > 1 => (Some(plan.cursor(&view, cookie)?), 0),
        _ => (None, (page_number as usize - 1).saturating_mul(size)),
    };
    let page = plan.page(&view, cursor.as_ref(), offset, size);
    let renderer = Renderer {
        view,
        env: call.env,
        prefer: &call.prefer,
        omit_nulls: true,
        in_collection: true,
        money_companion: false,
        access: Some(&call.access),
    };
    let mut columns = plan.selection.names(definition).unwrap_or_default();
    columns.push(definition.primary_id.clone());
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::String(call.env.context(&format!(
            "{}({})",
            definition.entity_set,
            columns.join(",")
        ))),
    );
    let wants_count = call.options.count || query.total_count;
    let total = (wants_count || call.prefer.wants("Microsoft.Dynamics.CRM.totalrecordcount"))
        .then(|| plan.count(&view, COUNT_LIMIT));
    if wants_count && let Some(total) = total {
        body.insert(
            "@odata.count".to_owned(),
            Value::from(total.min(COUNT_LIMIT)),
        );
    }
    count_annotations(&mut body, call, total);
    if page.more && query.top.is_none() && call.prefer.wants(PAGING_COOKIE) {
        let cookie = plan.cookie(&view, page_number, &page.rows);
        body.insert(
            format!("@{PAGING_COOKIE}"),
            Value::String(cookie.fetch_annotation()),
        );
        body.insert(
            "@Microsoft.Dynamics.CRM.morerecords".to_owned(),
            Value::Bool(true),
        );
    }
    let values = page
        .rows
        .iter()
        .map(|(id, row)| Value::Object(renderer.row(table, *id, row, &plan.selection, &[])))
        .collect();
    body.insert("value".to_owned(), Value::Array(values));
    let mut response = ApiResponse::collection(Value::Object(body));
    let applied = Applied {
        annotations: call.prefer.annotations.is_some(),
        ..Applied::default()
    };
    if let Some(value) = preference_applied(&call.prefer, applied) {
        response = response.with_header(HeaderName::from_static("preference-applied"), value);
    }
    Ok(response)
}

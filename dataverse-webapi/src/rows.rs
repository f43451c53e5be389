//! The requests behind the row builders of [`crate::Table`]: create, retrieve, update, upsert
//! and delete one row, and repeating a write whose answer was lost without reporting our own
//! change back as a conflict.

use dynamics_http::{HttpRequest, HttpResponse, Method};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;
use uuid::Uuid;

use crate::client::{DataverseClient, UpsertMode, UpsertOutcome};
use crate::error::{DataverseError, Result};
use crate::key::{RecordKey, parse_entity_id};
use crate::options::RequestOptions;
use crate::query::{Expand, check_column, checked};
use crate::record::Record;

/// A row an upsert wrote, as stored, and whether the upsert created it. From
/// [`crate::Upsert::return_representation`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UpsertedRecord {
    /// The row as stored, with the selected columns (all when none were selected).
    pub record: Record,
    /// `true` if the upsert created the row (201 Created), `false` if it updated an existing
    /// one (200 OK).
    pub created: bool,
}

impl DataverseClient {
    /// `POST {set}`; the new row's id, read from `OData-EntityId`, or from `Location` (the
    /// header OData v4 requires on a 201), or, when the answer carries the row, from its
    /// `@odata.id` or its primary key column.
    pub(crate) async fn create_row(
        &self,
        entity_set: &str,
        record: &impl Serialize,
        options: &RequestOptions,
    ) -> Result<Uuid> {
        checked("entity set", entity_set)?;
        let request = self
            .request(Method::Post, self.url(entity_set)?, options)
            .json(record)?;
        let response = self.send(request).await?;
        let key = match self.entity_id_header(&response) {
            Some(header) => parse_entity_id(self.api_root(), header)?.1,
            None => match id_in_body(self.api_root(), entity_set, response.body())? {
                Some(id) => RecordKey::Id(id),
                None => {
                    return Err(DataverseError::UnexpectedResponse(format!(
                        "{} answered {} without OData-EntityId, Location or the row's id",
                        response.method(),
                        response.status()
                    )));
                }
            },
        };
        key.id().ok_or_else(|| {
            DataverseError::UnexpectedResponse(
                "a create answered with an alternate key, not an id".into(),
            )
        })
    }

    /// `POST {set}?$select=..` with `Prefer: return=representation` (201): the row as stored.
    pub(crate) async fn create_and_return_row(
        &self,
        entity_set: &str,
        record: &impl Serialize,
        select: &[&str],
        options: &RequestOptions,
    ) -> Result<Record> {
        checked("entity set", entity_set)?;
        let url = self.url(&with_select(entity_set, select)?)?;
        let request = self
            .request(Method::Post, url, &options.clone().return_representation())
            .json(record)?;
        let response = self.send(request).await?;
        response.json().map_err(Into::into)
    }

    /// `GET {set}({key})?$select=..&$expand=..`, into any serde type.
    pub(crate) async fn retrieve_row<T: DeserializeOwned>(
        &self,
        entity_set: &str,
        key: &RecordKey,
        select: &[&str],
        expand: &[Expand],
        options: &RequestOptions,
    ) -> Result<T> {
        let mut query = crate::Query::new(entity_set).select(select.iter().copied());
        for e in expand {
            query = query.expand(e.clone());
        }
        let relative = query.to_relative_url()?;
        let key = key.segment()?;
        let relative = match relative.split_once('?') {
            Some((set, q)) => format!("{set}{key}?{q}"),
            None => format!("{relative}{key}"),
        };
        let response = self
            .send(self.request(Method::Get, self.url(&relative)?, options))
            .await?;
        response.json().map_err(Into::into)
    }

    /// `PATCH {set}({key})` with `If-Match: *` (never a create) or the given ETag. Repeated
    /// after a lost answer only without an ETag (see [`crate::Update`]).
    pub(crate) async fn update_row(
        &self,
        entity_set: &str,
        key: &RecordKey,
        changes: &impl Serialize,
        if_match: Option<&str>,
        options: &RequestOptions,
    ) -> Result<()> {
        let request = self
            .request(Method::Patch, self.record_url(entity_set, key)?, options)
            .header("If-Match", if_match.unwrap_or("*"))
            // With `If-Match: *` a repeat leaves the same state; with an ETag, a repeat after
            // a lost success would fail 412 against our own change, so it is not repeated.
            .retry_safe(if_match.is_none())
            .json(changes)?;
        self.send(request).await?;
        Ok(())
    }

    /// [`Self::update_row`] with `Prefer: return=representation` (200): the row as stored.
    pub(crate) async fn update_and_return_row(
        &self,
        entity_set: &str,
        key: &RecordKey,
        changes: &impl Serialize,
        select: &[&str],
        if_match: Option<&str>,
        options: &RequestOptions,
    ) -> Result<Record> {
        checked("entity set", entity_set)?;
        let relative = with_select(&format!("{entity_set}{}", key.segment()?), select)?;
        let request = self
            .request(
                Method::Patch,
                self.url(&relative)?,
                &options.clone().return_representation(),
            )
            .header("If-Match", if_match.unwrap_or("*"))
            .retry_safe(if_match.is_none())
            .json(changes)?;
        self.send(request).await?.json().map_err(Into::into)
    }

    /// `PATCH {set}({key})` without `If-Match` (create or update), or create-only / update-only
    /// as `mode` says (see [`crate::Upsert`] for how a lost create-only answer is handled).
    pub(crate) async fn upsert_row(
        &self,
        entity_set: &str,
        key: RecordKey,
        record: &impl Serialize,
        mode: UpsertMode,
        options: &RequestOptions,
    ) -> Result<UpsertOutcome> {
        let url = self.record_url(entity_set, &key)?;
        let request = self.upsert_request(url, record, mode, options)?;
        let Some(response) = self.send_upsert(request, mode).await? else {
            return Ok(UpsertOutcome {
                id: key.id(),
                key: Some(key),
                created: Some(true),
            });
        };
        let key = match self.entity_id_header(&response) {
            Some(header) => Some(parse_entity_id(self.api_root(), header)?.1),
            None => None,
        };
        let id = key.as_ref().and_then(RecordKey::id);
        let created = match response.status() {
            201 => Some(true),
            200 => Some(false),
            _ => None,
        };
        Ok(UpsertOutcome { id, key, created })
    }

    /// [`Self::upsert_row`] with `Prefer: return=representation`: the row as stored, and
    /// whether it was created (201) or updated (200).
    pub(crate) async fn upsert_and_return_row(
        &self,
        entity_set: &str,
        key: &RecordKey,
        record: &impl Serialize,
        (mode, select): (UpsertMode, &[&str]),
        options: &RequestOptions,
    ) -> Result<UpsertedRecord> {
        checked("entity set", entity_set)?;
        let url = self.url(&with_select(
            &format!("{entity_set}{}", key.segment()?),
            select,
        )?)?;
        let options = options.clone().return_representation();
        let request = self.upsert_request(url, record, mode, &options)?;
        let Some(response) = self.send_upsert(request, mode).await? else {
            // A create-only upsert whose lost answer had created the row: read it back.
            let mut read = options;
            read.return_representation = false;
            let record = self
                .retrieve_row(entity_set, key, select, &[], &read)
                .await?;
            return Ok(UpsertedRecord {
                record,
                created: true,
            });
        };
        let created = match response.status() {
            201 => true,
            200 => false,
            status => {
                return Err(DataverseError::UnexpectedResponse(format!(
                    "an upsert asked to return the row answered {status} without it \
                     (expected 201 Created or 200 OK)"
                )));
            }
        };
        Ok(UpsertedRecord {
            record: response.json()?,
            created,
        })
    }

    fn upsert_request(
        &self,
        url: Url,
        record: &impl Serialize,
        mode: UpsertMode,
        options: &RequestOptions,
    ) -> Result<HttpRequest> {
        let request = self
            .request(Method::Patch, url, options)
            // Addressed by key, an upsert leaves the same state however often it runs.
            .retry_safe(true)
            .json(record)?;
        Ok(match mode {
            UpsertMode::Upsert => request,
            UpsertMode::CreateOnly => request
                .header("If-None-Match", "*")
                // Retried here instead, to recognise our own create in a 412.
                .retry_safe(false),
            UpsertMode::UpdateOnly => request.header("If-Match", "*"),
        })
    }

    /// Sends an upsert; `None` when a create-only upsert's repeat found the row its lost
    /// first attempt created.
    async fn send_upsert(
        &self,
        request: HttpRequest,
        mode: UpsertMode,
    ) -> Result<Option<HttpResponse>> {
        match mode {
            UpsertMode::CreateOnly => self.send_write_once(request, |status| status == 412).await,
            _ => self.send(request).await.map(Some),
        }
    }

    /// `DELETE {set}({key})`, with `If-Match` when `if_match` is set. Repeated after a lost
    /// answer only without an ETag (see [`crate::Delete`]).
    pub(crate) async fn delete_row(
        &self,
        entity_set: &str,
        key: &RecordKey,
        if_match: Option<&str>,
        options: &RequestOptions,
    ) -> Result<()> {
        let request = self
            .request(Method::Delete, self.record_url(entity_set, key)?, options)
            // Repeated below, or (with an ETag) not at all; never by the pipeline, whose
            // repeat would report our own delete as a 404 or 412.
            .retry_safe(false);
        match if_match {
            Some(etag) => {
                self.send(request.header("If-Match", etag)).await?;
            }
            None => {
                self.send_write_once(request, |status| status == 404)
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends a write the pipeline must not repeat by itself, repeating it here after a
    /// failure that leaves open whether it was applied (a timeout or broken connection after
    /// sending, 408, 5xx). `took_effect` says whether a status answered to a repeat means such
    /// an earlier attempt did apply: 412 for a create-only upsert (the row exists now), 404
    /// for a delete (the row is gone). `Ok(None)` is that case. Any other final answer,
    /// error statuses included, is returned as it is, and so is the same status on the first
    /// attempt.
    pub(crate) async fn send_recognising_own_write(
        &self,
        request: HttpRequest,
        took_effect: fn(u16) -> bool,
    ) -> Result<Option<HttpResponse>> {
        let pipeline = self.pipeline().options();
        let mut retries = 0u32;
        let mut may_have_applied = false;
        loop {
            let answer = self.send_any_status(request.clone()).await;
            let (ambiguous, wait) = match &answer {
                Ok(response) if may_have_applied && took_effect(response.status()) => {
                    tracing::debug!(
                        status = response.status(),
                        "an attempt whose answer was lost took effect; taking the write as done"
                    );
                    return Ok(None);
                }
                Ok(response) => (
                    matches!(response.status(), 408 | 500 | 502 | 503 | 504),
                    response
                        .header("retry-after")
                        .and_then(dynamics_http::parse_retry_after),
                ),
                Err(DataverseError::Http(dynamics_http::HttpError::Transport {
                    connect: false,
                    ..
                })) => (true, None),
                Err(_) => (false, None),
            };
            if !ambiguous || retries >= pipeline.retry.max_retries {
                return answer.map(Some);
            }
            may_have_applied = true;
            let delay = wait
                .unwrap_or_else(|| pipeline.retry.backoff(retries))
                .min(pipeline.retry.max_delay);
            pipeline.clock.sleep(delay).await;
            retries += 1;
        }
    }

    /// [`Self::send_recognising_own_write`] for calls that want error statuses as errors.
    pub(crate) async fn send_write_once(
        &self,
        request: HttpRequest,
        took_effect: fn(u16) -> bool,
    ) -> Result<Option<HttpResponse>> {
        match self
            .send_recognising_own_write(request, took_effect)
            .await?
        {
            Some(response) if response.status() >= 400 => {
                Err(dynamics_http::status_error(&response).into())
            }
            other => Ok(other),
        }
    }

    /// The header naming the row a create or upsert wrote: `OData-EntityId`, or `Location`
    /// (OData v4 requires it on a 201; `OData-EntityId` may be absent).
    pub(crate) fn entity_id_header<'a>(&self, response: &'a HttpResponse) -> Option<&'a str> {
        response
            .header("OData-EntityId")
            .or_else(|| response.header("Location"))
    }
}

/// The id of a row returned in a create's answer: its `@odata.id`, or its primary key column
/// (`accountid` for `accounts`, `opportunityid` for `opportunities`).
fn id_in_body(api_root: &Url, entity_set: &str, body: &[u8]) -> Result<Option<Uuid>> {
    let Ok(Value::Object(row)) = serde_json::from_slice::<Value>(body) else {
        return Ok(None);
    };
    if let Some(Value::String(id)) = row.get("@odata.id") {
        return Ok(parse_entity_id(api_root, id)?.1.id());
    }
    let mut stems = vec![
        entity_set
            .strip_suffix('s')
            .unwrap_or(entity_set)
            .to_string(),
    ];
    if let Some(stem) = entity_set.strip_suffix("ies") {
        stems.push(format!("{stem}y"));
    }
    if let Some(stem) = entity_set.strip_suffix("es") {
        stems.push(stem.to_string());
    }
    Ok(stems.iter().find_map(|stem| {
        row.get(&format!("{stem}id"))
            .and_then(Value::as_str)
            .and_then(|v| Uuid::parse_str(v).ok())
    }))
}

fn with_select(path: &str, select: &[&str]) -> Result<String> {
    if select.is_empty() {
        return Ok(path.to_string());
    }
    let checked: std::result::Result<Vec<String>, String> =
        select.iter().map(|c| check_column(c)).collect();
    let columns = checked.map_err(|fix| DataverseError::invalid("$select", fix))?;
    Ok(format!(
        "{path}?$select={}",
        crate::query::encode::query_value(&columns.join(","))
    ))
}

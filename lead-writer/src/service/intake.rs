//! The lead handler: secret check, body limit, parse, store durably, and only then answer.
//!
//! Answers (REFERENCE 5: the marketplace's expected code and retry policy are UNCONFIRMED,
//! so: answer 200 fast, be idempotent):
//! - wrong or missing secret: 404 with no body, as for any unknown URL (the endpoint is not
//!   revealed; the method is only looked at after the secret);
//! - body over the limit: 413, nothing stored (it cannot be a lead);
//! - a lead: 200 once [`Spool::enqueue`](crate::Spool::enqueue) returned (durable), also for a
//!   duplicate;
//! - not a lead: kept as a dead letter, then 400 with the reason (names fields and JSON
//!   types, never values);
//! - spool failure: 503, so the sender retries (nothing was acknowledged).

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::ServiceState;
use crate::spool::Received;
use crate::{Lead, ParseOptions, Rejection};

/// A request that reached the intake URL; `secret` is what the URL carried.
pub(crate) async fn handle(
    state: &ServiceState,
    secret: Option<&str>,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let inner = &state.inner;
    if !secret.is_some_and(|s| inner.check.matches(s)) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "POST the lead as JSON\n",
        )
            .into_response();
    }
    inner.stats.add_received();
    let limit = inner.options.max_body_bytes;
    let body = match read_limited(headers, body, limit).await {
        Ok(body) => body,
        Err(BodyFault::TooLarge) => {
            inner.stats.add_too_large();
            tracing::warn!(limit, "lead body over the size limit refused (413)");
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("lead body over the {limit}-byte limit\n"),
            )
                .into_response();
        }
        Err(BodyFault::Unreadable) => {
            return (
                StatusCode::BAD_REQUEST,
                "the request body could not be read\n",
            )
                .into_response();
        }
    };
    let received_at = inner.options.clock.now();
    let parse_options = ParseOptions::default().max_body_bytes(limit);
    match Lead::parse_with(&body, &parse_options) {
        Ok(lead) => {
            let key = lead.idempotency_key(received_at.unix_timestamp(), &inner.options.key);
            let received = Received {
                raw_body: body.to_vec(),
                lead,
                key,
                received_at,
            };
            let stored = match &inner.batcher {
                Some(batcher) => batcher.enqueue(received).await,
                None => inner.spool.enqueue(&received).await,
            };
            match stored {
                Ok(queued) => {
                    if queued.duplicate {
                        inner.stats.add_duplicate();
                    } else {
                        inner.stats.add_stored();
                    }
                    // The key is a hash: it identifies the lead without holding its data.
                    tracing::info!(
                        spool_id = queued.id.0,
                        key = %key,
                        duplicate = queued.duplicate,
                        "lead stored"
                    );
                    let text = if queued.duplicate {
                        "lead already received\n"
                    } else {
                        "lead received\n"
                    };
                    (StatusCode::OK, text).into_response()
                }
                Err(error) => spool_failed(state, &error),
            }
        }
        Err(error) => {
            let rejection = Rejection::from(&error);
            match inner.spool.dead_letter(&body, &rejection).await {
                Ok(id) => {
                    inner.stats.add_rejected();
                    tracing::warn!(dead_letter = id.0, code = %rejection.code, "lead body refused: {}", rejection.reason);
                    (StatusCode::BAD_REQUEST, format!("{}\n", rejection.reason)).into_response()
                }
                Err(error) => spool_failed(state, &error),
            }
        }
    }
}

fn spool_failed(state: &ServiceState, error: &crate::SpoolError) -> Response {
    state.inner.stats.add_spool_failure();
    tracing::error!("lead spool failed, answering 503 so the sender retries: {error}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "30")],
        "the lead could not be stored; try again\n",
    )
        .into_response()
}

enum BodyFault {
    TooLarge,
    Unreadable,
}

/// Reads the body, stopping as soon as it passes `limit` (a declared `Content-Length` over it
/// is refused unread).
async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, BodyFault> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyFault::TooLarge);
    }
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyFault::Unreadable)?;
        if buffer.len() + chunk.len() > limit {
            return Err(BodyFault::TooLarge);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

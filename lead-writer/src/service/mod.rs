//! The lead intake service: an axum router that takes the marketplace's POST, stores the lead
//! durably in the [`Spool`] and only then answers 2xx, plus `GET /healthz` and
//! `GET /metrics` (Prometheus text format 0.0.4).
//!
//! The marketplace sends no credentials (REFERENCE 5), so the URL pasted into Partner Center
//! carries a secret ([`UrlSecret`]), in the path (`/leads/{secret}`) or the query
//! (`/leads?token={secret}`), compared in constant time; a wrong one gets the same 404 as an
//! unknown URL. No TLS here: the caller serves the router (`d365 leads serve`).
//!
//! ```no_run
//! use lead_writer::service::{ServiceOptions, ServiceState, UrlSecret, router};
//! use lead_writer::{Spool, SpoolOptions};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let spool = Spool::open("leads.db", SpoolOptions::default()).await?;
//! let secret = UrlSecret::new(std::env::var("LEADS_SECRET")?)?;
//! let app = router(ServiceState::new(spool, ServiceOptions::new(secret)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

mod batcher;
mod error;
mod intake;
mod metrics;
mod options;
mod secret;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::Deserialize;

use crate::{Spool, Writer};

pub use error::ServiceError;
pub use metrics::{IntakeSnapshot, IntakeStats};
pub use options::{MIN_SECRET_LEN, SecretIn, ServiceOptions, UrlSecret};

use secret::SecretCheck;

/// What the router's handlers share. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ServiceState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    spool: Spool,
    check: SecretCheck,
    options: ServiceOptions,
    stats: IntakeStats,
    writer: Option<Writer>,
    /// Group commit; `None` when disabled or built outside a tokio runtime.
    batcher: Option<batcher::Batcher>,
}

impl ServiceState {
    /// The state for a router storing into `spool`. Call it inside a tokio runtime for
    /// group commit ([`ServiceOptions::max_batch`]); outside one, each lead is stored on its
    /// own.
    pub fn new(spool: Spool, options: ServiceOptions) -> Self {
        ServiceState::build(spool, options, None)
    }

    /// The same, with a writer running in this process: `/metrics` then shows its counters.
    pub fn with_writer(spool: Spool, options: ServiceOptions, writer: Writer) -> Self {
        ServiceState::build(spool, options, Some(writer))
    }

    fn build(spool: Spool, options: ServiceOptions, writer: Option<Writer>) -> Self {
        // The field is public: clamp here too (a zero would make no channel).
        let batch = options.max_batch.min(crate::spool::MAX_ENQUEUE_BATCH);
        let batcher = (batch > 1)
            .then(|| batcher::Batcher::start(spool.clone(), batch))
            .flatten();
        ServiceState {
            inner: Arc::new(Inner {
                batcher,
                spool,
                check: SecretCheck::new(options.secret.expose()),
                options,
                stats: IntakeStats::default(),
                writer,
            }),
        }
    }

    /// The intake counters.
    pub fn stats(&self) -> &IntakeStats {
        &self.inner.stats
    }

    /// The options in use.
    pub fn options(&self) -> &ServiceOptions {
        &self.inner.options
    }
}

/// The router: the intake URL (per [`ServiceOptions::secret_in`]), `GET /healthz` and
/// `GET /metrics`; anything else is 404.
pub fn router(state: ServiceState) -> Router {
    let intake = match state.inner.options.secret_in {
        SecretIn::Path => Router::new().route("/leads/{secret}", any(by_path)),
        SecretIn::Query => Router::new().route("/leads", any(by_query)),
    };
    intake
        .route("/healthz", get(health))
        .route("/metrics", get(metrics_page))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

async fn by_path(
    State(state): State<ServiceState>,
    secret: Result<Path<String>, axum::extract::rejection::PathRejection>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let secret = secret.ok().map(|Path(s)| s);
    intake::handle(&state, secret.as_deref(), &method, &headers, body).await
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn by_query(
    State(state): State<ServiceState>,
    query: Result<Query<TokenQuery>, axum::extract::rejection::QueryRejection>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let secret = query.ok().and_then(|Query(q)| q.token);
    intake::handle(&state, secret.as_deref(), &method, &headers, body).await
}

/// 200 when the spool answers, else 503.
async fn health(State(state): State<ServiceState>) -> Response {
    match state.inner.spool.status().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::warn!("health check: spool unreachable: {error}");
            (StatusCode::SERVICE_UNAVAILABLE, "spool unreachable\n").into_response()
        }
    }
}

async fn metrics_page(State(state): State<ServiceState>) -> Response {
    let inner = &state.inner;
    let spool = inner.spool.status().await.ok();
    let writer = inner.writer.as_ref().map(|w| w.stats().snapshot());
    let text = metrics::render(&inner.stats.snapshot(), spool.as_ref(), writer.as_ref());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

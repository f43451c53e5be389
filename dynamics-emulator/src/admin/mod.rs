//! The admin service: the Online Management API (v1 and v1.2, `/api/v1/…`, `/api/v1.2/…`), its
//! challenge endpoint (`/api/aad/challenge`), and the Power Platform admin API ("BAP",
//! `/providers/Microsoft.BusinessAppPlatform/…`), all on the emulator's origin.
//!
//! Layout: [`auth`] decides who may call; [`model`] holds the data and the bodies;
//! [`operations`] runs long-running operations; [`oma`] and [`bap`] are the HTTP handlers.

mod api_version;
mod auth;
mod bap;
mod body;
mod challenge;
mod model;
mod oma;
mod operations;
mod outcome;
mod query;
mod reply;
pub(crate) mod seeding;
mod store;
mod throttle;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub use outcome::OperationOutcome;
pub(crate) use store::AdminStore;

use crate::state::Shared;

/// The admin service's routes. Every route but the challenge is counted and can be throttled.
pub(crate) fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .merge(oma::routes(api_version::ApiVersion::V1))
        .merge(oma::routes(api_version::ApiVersion::V1_2))
        .merge(bap::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            shared,
            throttle::throttle,
        ))
        .route("/api/aad/challenge", get(challenge::aad_challenge))
}

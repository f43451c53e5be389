//! Middleware on every admin route (not the challenge): counts the request and answers 429 while
//! [`Seeder::throttle_admin_requests`](crate::Seeder::throttle_admin_requests) has requests left.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::reply;
use crate::state::Shared;

/// The `Retry-After` of a throttled answer, in seconds.
const THROTTLED_RETRY_AFTER_SECS: u64 = 1;

/// Counts the request, then throttles it or passes it on.
pub(crate) async fn throttle(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    shared.count_admin_request();
    let throttled = shared.lock().admin.take_throttle();
    if !throttled {
        return next.run(request).await;
    }
    let mut response = reply::error(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!(
            "The emulator is throttling admin requests (scripted). Retry after \
             {THROTTLED_RETRY_AFTER_SECS} second(s)."
        ),
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(THROTTLED_RETRY_AFTER_SECS),
    );
    response
}

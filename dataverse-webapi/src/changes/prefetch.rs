//! One page ahead: the next page of a sync is requested as soon as its link is known, before
//! the current page is parsed and applied, so the service prepares page N+1 while this client
//! parses page N and the caller applies it. The delta sync benchmark
//! (`benches/delta_sync.rs`) showed paging strictly in turn leaves the service idle during the
//! client's share of each page.
//!
//! At most one request runs ahead. Dropping the stream aborts it (the GET may already have
//! reached the service; it changes nothing there). Outside a tokio runtime nothing runs
//! ahead and pages are fetched in turn.

use std::future::Future;

use tokio::task::JoinHandle;
use url::Url;

use crate::error::Result;
use dynamics_http::HttpResponse;

/// A request for the page at `url`, running on the runtime.
pub(crate) struct Prefetch {
    url: Url,
    task: JoinHandle<Result<HttpResponse>>,
}

impl Prefetch {
    /// Starts `fetch` for the page at `url`; `None` outside a tokio runtime.
    pub(crate) fn start<F>(url: Url, fetch: F) -> Option<Self>
    where
        F: Future<Output = Result<HttpResponse>> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        Some(Self {
            url,
            task: runtime.spawn(fetch),
        })
    }

    /// The answer for `url` if this prefetch is for it; `None` (and the prefetch aborted) if it
    /// is for another page or its task did not finish (the caller then fetches in turn).
    pub(crate) async fn answer_for(mut self, url: &Url) -> Option<Result<HttpResponse>> {
        if &self.url != url {
            return None;
        }
        (&mut self.task).await.ok()
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // No-op once the task has finished.
        self.task.abort();
    }
}

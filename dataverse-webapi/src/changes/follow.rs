//! Follows a change tracking answer page by page: `@odata.nextLink` verbatim until the page
//! that carries `@odata.deltaLink` (Dataverse sends it on the last page only), with the same
//! `Prefer` on every request. Links leaving the org are refused and a repeated link stops the
//! stream; an expired token becomes [`DataverseError::ChangeTokenExpired`]. The next page is
//! requested one page ahead ([`super::prefetch`]).

use std::collections::HashSet;
use std::future::Future;

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use url::Url;

use super::expired;
use super::model::ChangePage;
use super::prefetch::Prefetch;
use super::wire::{next_link_of, parse_page};
use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::options::RequestOptions;
use dynamics_http::{HttpResponse, Method, redacted_url};

/// Where and how to start following.
pub(crate) struct Start {
    /// The first URL (a full sync's query, a saved next link or a delta link).
    pub(crate) url: Result<Url>,
    /// The whole `Prefer` header of every request.
    pub(crate) prefer: String,
    /// Other per-request headers (their `Prefer` parts are in `prefer`).
    pub(crate) options: RequestOptions,
    /// The delta link to report on a last page that carries none (a delta with no changes
    /// may answer "empty JSON"): the link the sync started from, still valid.
    pub(crate) fallback_delta: Option<String>,
}

struct State {
    client: DataverseClient,
    next: Option<Url>,
    prefer: String,
    options: RequestOptions,
    fallback_delta: Option<String>,
    seen: HashSet<String>,
    failed: Option<DataverseError>,
    /// The request for the page after the one being read, when it is already under way.
    ahead: Option<Prefetch>,
}

/// The pages of one sync, from `start`.
pub(crate) fn follow(
    client: &DataverseClient,
    start: Start,
) -> BoxStream<'static, Result<ChangePage>> {
    let (next, failed) = match start.url {
        Ok(url) => (Some(url), None),
        Err(e) => (None, Some(e)),
    };
    let state = State {
        client: client.clone(),
        next,
        prefer: start.prefer,
        options: start.options,
        fallback_delta: start.fallback_delta,
        seen: HashSet::new(),
        failed,
        ahead: None,
    };
    stream::try_unfold(state, step).boxed()
}

async fn step(mut state: State) -> Result<Option<(ChangePage, State)>> {
    if let Some(error) = state.failed.take() {
        return Err(error);
    }
    let Some(url) = state.next.take() else {
        return Ok(None);
    };
    let answered = match state.ahead.take() {
        Some(ahead) => ahead.answer_for(&url).await,
        None => None,
    };
    let response = match answered {
        Some(answer) => answer,
        None => fetch(&state, url.clone()).await,
    }
    .map_err(expired::classify)?;
    // Ask for the next page now: the service prepares it while this one is parsed and applied.
    // A link that cannot be followed is not fetched; the checks below report it.
    if let Some(link) = next_link_of(response.body())
        && let Ok(next) = resolve(&state.client, &url, &link, "@odata.nextLink")
        && !state.seen.contains(next.as_str())
    {
        state.ahead = Prefetch::start(next.clone(), fetch(&state, next));
    }
    let mut page = parse_page(response.body())?;
    if let Some(link) = page.next_link.take() {
        // OData: a relative link is relative to the request URL (RFC 3986 section 5).
        let next = resolve(&state.client, &url, &link, "@odata.nextLink")?;
        page.next_link = Some(next.to_string());
        if state.seen.insert(next.to_string()) {
            state.next = Some(next);
        } else {
            state.failed = Some(DataverseError::PagingLoop {
                link: redacted_url(&next),
            });
        }
    } else {
        page.delta_link = match page.delta_link.take() {
            Some(link) => {
                Some(resolve(&state.client, &url, &link, "@odata.deltaLink")?.to_string())
            }
            None => state.fallback_delta.take(),
        };
    }
    Ok(Some((page, state)))
}

/// The GET of one page, with the sync's `Prefer` and options (the same for every page).
fn fetch(state: &State, url: Url) -> impl Future<Output = Result<HttpResponse>> + Send + 'static {
    let client = state.client.clone();
    let request = client
        .request(Method::Get, url, &state.options)
        .header("Prefer", state.prefer.clone());
    async move { client.send(request).await }
}

fn resolve(client: &DataverseClient, base: &Url, link: &str, what: &str) -> Result<Url> {
    let url = base.join(link.trim()).map_err(|_| {
        DataverseError::UnexpectedResponse(format!("{what} is not a URL reference"))
    })?;
    // Never follow (and so never send the token) outside the org.
    client.check_same_org(&url)?;
    Ok(url)
}

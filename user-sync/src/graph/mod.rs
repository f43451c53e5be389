//! The Microsoft Graph source: users with `$select`, the users delta query (`@removed`,
//! `nextLink`/`deltaLink`, `410 Gone` → full resync), one user, groups and their members.
//!
//! Facts from Microsoft Learn, "Use delta query to track changes in Microsoft Graph data" and
//! "user: delta": follow `@odata.nextLink` until an `@odata.deltaLink`; keep the delta link
//! for the next round; removed users come as `{"id": ..., "@removed": {"reason": ...}}`;
//! an updated user carries at least the changed properties; a `410 Gone` means "start again
//! with a full synchronisation"; directory delta tokens last 7 days, after which the service
//! answers `400` with `syncStateNotFound`. Throttling (`429` + `Retry-After`) is retried by
//! the shared pipeline.

mod model;
mod requests;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use dynamics_auth::TokenCredential;
use dynamics_http::{BearerAuth, HttpError, HttpRequest, Pipeline, PipelineOptions};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use model::decode_failure;
pub use model::{AssignedLicense, DeltaItem, DeltaPage, GraphUser, RemovedReason, USER_SELECT};
pub use requests::{DEFAULT_GRAPH_BASE, graph_scope};

use crate::error::{Result, SyncError};
use model::RawPage;

/// The error codes Graph uses for a delta token it no longer knows (besides `410 Gone`).
/// `syncStateNotFound` is documented for tokens older than 7 days; the others are seen in
/// the field (UNCONFIRMED in the docs), so they are accepted too.
const EXPIRED_CODES: [&str; 3] = ["syncStateNotFound", "resyncRequired", "syncStateInvalid"];

/// Options of a [`GraphClient`]. Construct with `..Default::default()`.
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// The HTTP pipeline: retries (429 with `Retry-After`), timeouts, clock.
    pub pipeline: PipelineOptions,
    /// The page size to ask for (list: `$top`, 1 to 999; delta: `Prefer:
    /// odata.maxpagesize`). `None` leaves it to the service.
    pub page_size: Option<u32>,
}

/// A Microsoft Graph client for the users and groups the sync reads. Cheap to clone.
///
/// The bearer token (for [`graph_scope`] of the base URL) goes only to the base URL's host:
/// a paging link pointing elsewhere is refused.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    pipeline: Pipeline,
    base: Url,
    scope: String,
    page_size: Option<u32>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.inner.base.as_str())
            .field("scope", &self.inner.scope)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// A client for `base_url` (e.g. [`DEFAULT_GRAPH_BASE`]; https, or http to loopback),
    /// signing in with `credential` for the scope derived from it.
    pub fn new(
        base_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: GraphOptions,
    ) -> Result<Self> {
        let base = requests::parse_base(base_url)?;
        let scope = graph_scope(&base);
        let auth = BearerAuth::new(credential, vec![scope.clone()], &base)?;
        let pipeline = Pipeline::new(Some(auth), options.pipeline)?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                pipeline,
                base,
                scope,
                page_size: options.page_size,
            }),
        })
    }

    /// The base URL (ending with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The token scope asked for.
    pub fn scope(&self) -> &str {
        &self.inner.scope
    }

    async fn page(&self, request: HttpRequest) -> Result<DeltaPage> {
        let url = dynamics_http::redacted_url(request.url());
        let response = self.inner.pipeline.send(request).await?;
        let raw: RawPage = decode(response.body()).map_err(|message| SyncError::GraphDecode {
            url: url.clone(),
            message,
        })?;
        raw.into_page()
            .map_err(|message| SyncError::GraphDecode { url, message })
    }

    /// One page of `GET users?$select=...`: `link` is `None` for the first page, else the
    /// previous page's `next_link`.
    pub async fn list_users_page(&self, link: Option<&str>) -> Result<DeltaPage> {
        let request = match link {
            None => requests::list_users(&self.inner.base, self.inner.page_size)?,
            Some(link) => requests::follow(link, None)?,
        };
        self.page(request).await
    }

    /// One page of the users delta query: `link` is `None` to start a full round, else a
    /// `next_link` or `delta_link` from an earlier page. An expired link gives
    /// [`SyncError::DeltaExpired`].
    pub async fn delta_page(&self, link: Option<&str>) -> Result<DeltaPage> {
        let request = match link {
            None => requests::start_delta(&self.inner.base, self.inner.page_size)?,
            Some(link) => requests::follow(link, self.inner.page_size)?,
        };
        match self.page(request).await {
            Err(SyncError::Graph(e)) if link.is_some() && is_expired(&e) => {
                Err(SyncError::DeltaExpired {
                    reason: match e.service_code() {
                        Some(code) => format!("{} {code}", e.status().unwrap_or_default()),
                        None => format!("{}", e.status().unwrap_or_default()),
                    },
                })
            }
            other => other,
        }
    }

    /// One user with the sync's `$select`; `None` when Graph says it does not exist.
    pub async fn user(&self, id: &str) -> Result<Option<GraphUser>> {
        let request = requests::user(&self.inner.base, id)?;
        let url = dynamics_http::redacted_url(request.url());
        match self.inner.pipeline.send(request).await {
            Ok(response) => decode(response.body())
                .map(Some)
                .map_err(|message| SyncError::GraphDecode { url, message }),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The object id of a group given by id or display name. A name must match exactly one
    /// group.
    pub async fn resolve_group(&self, id_or_name: &str) -> Result<String> {
        if uuid::Uuid::parse_str(id_or_name.trim()).is_ok() {
            return Ok(id_or_name.trim().to_ascii_lowercase());
        }
        #[derive(Deserialize)]
        struct Group {
            id: String,
        }
        #[derive(Deserialize)]
        struct Groups {
            #[serde(default)]
            value: Vec<Group>,
        }
        let request = requests::groups_named(&self.inner.base, id_or_name.trim())?;
        let url = dynamics_http::redacted_url(request.url());
        let response = self.inner.pipeline.send(request).await?;
        let groups: Groups =
            decode(response.body()).map_err(|message| SyncError::GraphDecode { url, message })?;
        match groups.value.as_slice() {
            [one] => Ok(one.id.to_ascii_lowercase()),
            [] => Err(SyncError::Group {
                group: id_or_name.to_owned(),
                problem: "no group has this display name; check the name, or give the \
                          group's object id"
                    .to_owned(),
            }),
            many => Err(SyncError::Group {
                group: id_or_name.to_owned(),
                problem: format!(
                    "{} groups share this display name; give the object id of the one meant",
                    many.len()
                ),
            }),
        }
    }

    /// The object ids (lower case) of a group's direct members, every page followed.
    pub async fn group_member_ids(&self, group_id: &str) -> Result<HashSet<String>> {
        let mut members = HashSet::new();
        let mut seen = HashSet::new();
        let mut request = requests::group_members(&self.inner.base, group_id)?;
        loop {
            let page = self.page(request).await?;
            members.extend(page.items.iter().map(|i| i.id().to_ascii_lowercase()));
            let Some(next) = page.next_link else {
                return Ok(members);
            };
            if !seen.insert(next.clone()) {
                return Err(repeated(&next));
            }
            request = requests::follow(&next, None)?;
        }
    }
}

/// Reads a Graph body as `T`. A failure names the field and what was expected, never the
/// value found (it may be someone's name or address).
fn decode<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| decode_failure(&e.path().to_string(), e.inner()))
}

fn is_expired(e: &HttpError) -> bool {
    e.status() == Some(410)
        || e.service_code()
            .is_some_and(|c| EXPIRED_CODES.iter().any(|x| x.eq_ignore_ascii_case(c)))
}

/// The error for a paging link seen before.
pub(crate) fn repeated(link: &str) -> SyncError {
    SyncError::RepeatedLink {
        url: Url::parse(link)
            .map(|u| dynamics_http::redacted_url(&u))
            .unwrap_or_else(|_| "(not a URL)".to_owned()),
    }
}

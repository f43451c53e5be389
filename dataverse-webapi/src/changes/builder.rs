//! `client.table("accounts").changes()`: the builder of a change tracking sync.

use std::fmt;

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};
use url::Url;
use uuid::Uuid;

use super::follow::{Start, follow};
use super::model::{Change, ChangePage};
use super::reconcile::{SeenIds, SeenSet};
use super::request::{count_url, initial_url, prefer};
use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::options::RequestOptions;
use crate::table::Table;
use dynamics_http::Method;

/// How many reconciled deletions one page carries.
const RECONCILE_PAGE: usize = 5000;

impl Table {
    /// A change tracking sync of the table (it must have `ChangeTrackingEnabled`): a full
    /// sync from scratch, or the changes since a saved delta link
    /// ([`Changes::from_link`]).
    pub fn changes(&self) -> Changes {
        Changes {
            client: self.client().clone(),
            entity_set: self.entity_set().to_string(),
            select: Vec::new(),
            max_page_size: None,
            link: None,
            count: false,
            options: RequestOptions::default(),
        }
    }
}

/// A change tracking sync. From [`Table::changes`]; read it with [`Changes::pages`] (one item
/// per page, to commit page by page) or [`Changes::stream`] (one item per change).
#[must_use = "a builder does nothing until it is streamed"]
pub struct Changes {
    client: DataverseClient,
    entity_set: String,
    select: Vec<String>,
    max_page_size: Option<u32>,
    link: Option<String>,
    count: bool,
    options: RequestOptions,
}

impl fmt::Debug for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changes")
            .field("entity_set", &self.entity_set)
            .field("select", &self.select)
            .field("max_page_size", &self.max_page_size)
            .field("from_link", &self.link.is_some())
            .finish_non_exhaustive()
    }
}

impl Changes {
    read_options!();

    /// Only these columns (`$select`) on a full sync; the delta links that follow keep them.
    /// Learn: `$filter`, `$orderby`, `$expand` and `$top` are refused with change tracking.
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.select
            .extend(columns.into_iter().map(|c| c.as_ref().to_string()));
        self
    }

    /// At most `n` rows a page (`Prefer: odata.maxpagesize`; the service's default is 5000).
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }

    /// Starts from a saved link instead of a full sync: the last page's
    /// [`ChangePage::delta_link`] (the changes since that sync) or a page's
    /// [`ChangePage::next_link`] (resume inside a sync). The link carries its query, so
    /// [`select`](Self::select) does not apply to it. A link to another origin is refused.
    pub fn from_link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// Asks for `@odata.count` on a full sync's pages (`$count=true`). UNCONFIRMED on the
    /// service: the documented count of changes is [`Changes::count`].
    pub fn count_in_pages(mut self) -> Self {
        self.count = true;
        self
    }

    /// The pages of the sync; the last carries the delta link to save for the next one.
    /// An expired delta link ends the stream with [`DataverseError::ChangeTokenExpired`].
    ///
    /// The next page is requested one page ahead, while the caller still holds the current
    /// one (on a tokio runtime): at most one request runs ahead, its errors come in page
    /// order, and dropping the stream aborts it.
    pub fn pages(self) -> impl Stream<Item = Result<ChangePage>> + Send + 'static {
        let (client, start) = self.start();
        follow(&client, start)
    }

    /// The changes of the sync one by one (the page boundaries and links are dropped: use
    /// [`Changes::pages`] to checkpoint).
    pub fn stream(self) -> impl Stream<Item = Result<Change>> + Send + 'static {
        self.pages()
            .map_ok(|page| stream::iter(page.changes.into_iter().map(Ok)))
            .try_flatten()
    }

    /// How many changes (changed and deleted rows) are waiting behind the delta link given to
    /// [`Changes::from_link`]: `GET {set}/$count?$deltatoken=…` (Learn: "Retrieve count of
    /// the changes").
    pub async fn count(self) -> Result<u64> {
        let link = self.link.as_deref().ok_or_else(|| {
            DataverseError::invalid(
                "change count",
                "call from_link with a saved delta link first: the count is of changes since it",
            )
        })?;
        let url = count_url(&self.resolve(link)?)?;
        let request = self.client.request(Method::Get, url, &self.options);
        let response = self
            .client
            .send(request)
            .await
            .map_err(super::expired::classify)?;
        let text = String::from_utf8_lossy(response.body());
        text.trim()
            .trim_start_matches('\u{feff}')
            .parse()
            .map_err(|_| {
                DataverseError::UnexpectedResponse(format!(
                    "the change count is not a number: {}",
                    dynamics_http::capped(&text, 100)
                ))
            })
    }

    /// A full sync followed by delete reconciliation: the pages of the full sync (as
    /// [`Changes::pages`]), then pages of `Deleted { reason: Reconciled }` for each of
    /// `known_ids` the sync did not return. The delta link comes on the last page of all (the
    /// full sync's own last page then carries neither link), so a caller that saves it only
    /// after applying every page misses no deletion. After a crash, run the resync again:
    /// the ids it has seen are in memory only.
    ///
    /// `primary_id` is the table's id column (`accountid`, see
    /// [`DataverseClient::resolve_table`]). `known_ids` are the ids the caller holds locally,
    /// read lazily after the sync in any order (see [`SeenIds`] for the memory cost). A
    /// resync cannot resume from a link: it starts from scratch.
    pub fn full_resync_with_deletes<I>(
        self,
        primary_id: &str,
        known_ids: I,
    ) -> impl Stream<Item = Result<ChangePage>> + Send + 'static
    where
        I: IntoIterator<Item = Uuid>,
        I::IntoIter: Send + 'static,
    {
        if self.link.is_some() {
            let error = DataverseError::invalid(
                "full resync",
                "a full resync starts from scratch; build it without from_link",
            );
            return stream::once(async move { Err(error) }).boxed();
        }
        let primary_id = primary_id.to_string();
        let known: Box<dyn Iterator<Item = Uuid> + Send> = Box::new(known_ids.into_iter());
        let state = Resync::Syncing {
            pages: self.pages().boxed(),
            seen: SeenIds::new(),
            primary_id,
            known,
        };
        stream::try_unfold(state, Resync::step).boxed()
    }

    fn resolve(&self, link: &str) -> Result<Url> {
        let url = self.client.api_root().join(link.trim()).map_err(|_| {
            DataverseError::invalid("change link", "pass the link exactly as it was received")
        })?;
        self.client.check_same_org(&url)?;
        Ok(url)
    }

    fn start(mut self) -> (DataverseClient, Start) {
        let mut options = std::mem::take(&mut self.options);
        let annotations = options.include_annotations.take();
        options.return_representation = false;
        let prefer = prefer(self.max_page_size, annotations.as_deref());
        let (url, fallback_delta) = match &self.link {
            Some(link) => {
                let url = self.resolve(link);
                let fallback = url
                    .as_ref()
                    .ok()
                    .filter(|u| u.query_pairs().any(|(k, _)| k == "$deltatoken"))
                    .map(Url::to_string);
                (url, fallback)
            }
            None => {
                let url = initial_url(&self.entity_set, &self.select).and_then(|relative| {
                    let relative = if self.count {
                        let separator = if relative.contains('?') { '&' } else { '?' };
                        format!("{relative}{separator}$count=true")
                    } else {
                        relative
                    };
                    self.client.url(&relative)
                });
                (url, None)
            }
        };
        let start = Start {
            url,
            prefer,
            options,
            fallback_delta,
        };
        (self.client, start)
    }
}

/// The state of a full resync with reconciliation.
enum Resync {
    /// Reading the full sync, collecting ids.
    Syncing {
        pages: BoxStream<'static, Result<ChangePage>>,
        seen: SeenIds,
        primary_id: String,
        known: Box<dyn Iterator<Item = Uuid> + Send>,
    },
    /// Reporting the known ids the sync did not return.
    Reconciling {
        seen: SeenSet,
        known: Box<dyn Iterator<Item = Uuid> + Send>,
        delta_link: Option<String>,
    },
    Done,
}

impl Resync {
    async fn step(self) -> Result<Option<(ChangePage, Resync)>> {
        match self {
            Resync::Syncing {
                mut pages,
                mut seen,
                primary_id,
                known,
            } => {
                let Some(mut page) = pages.try_next().await? else {
                    return Err(DataverseError::UnexpectedResponse(
                        "the full sync ended without a last page".into(),
                    ));
                };
                seen.extend_from_page(&page, &primary_id)?;
                if page.next_link.is_some() {
                    let next = Resync::Syncing {
                        pages,
                        seen,
                        primary_id,
                        known,
                    };
                    return Ok(Some((page, next)));
                }
                // Hold the delta link back until the reconciled deletions are out.
                let delta_link = page.delta_link.take();
                let next = Resync::Reconciling {
                    seen: seen.finish(),
                    known,
                    delta_link,
                };
                Ok(Some((page, next)))
            }
            Resync::Reconciling {
                seen,
                mut known,
                delta_link,
            } => {
                let changes: Vec<Change> = seen
                    .deletions(known.by_ref())
                    .take(RECONCILE_PAGE)
                    .collect();
                let full = changes.len() == RECONCILE_PAGE;
                let mut page = ChangePage {
                    changes,
                    ..ChangePage::default()
                };
                if full {
                    let next = Resync::Reconciling {
                        seen,
                        known,
                        delta_link,
                    };
                    return Ok(Some((page, next)));
                }
                page.delta_link = delta_link;
                Ok(Some((page, Resync::Done)))
            }
            Resync::Done => Ok(None),
        }
    }
}

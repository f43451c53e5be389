//! Paging streams: follow `@odata.nextLink` verbatim, page after page, with memory bounded by
//! one page; resume from a saved link; stop on a repeated link.

use std::collections::HashSet;
use std::fmt;

use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::{DataverseClient, page_prefer};
use crate::error::{DataverseError, Result};
use crate::options::RequestOptions;
use crate::query::Query;
use crate::query::fetchxml::FetchXml;
use crate::record::Record;
use dynamics_http::{Method, redacted_url};

/// One page of rows.
///
/// `Debug` shows the row count and the links without their query: the rows hold personal
/// data, and a next link or paging cookie carries the filter's values.
#[derive(Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Page {
    /// The rows.
    #[serde(default)]
    pub value: Vec<Record>,
    /// The next page, to follow verbatim (or to save and resume from).
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    /// `@odata.count`, when the query asked for it.
    #[serde(rename = "@odata.count")]
    pub count: Option<i64>,
    /// The change-tracking delta link, on the last page of a tracked query.
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
    /// FetchXML paging cookie.
    #[serde(rename = "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie")]
    pub fetchxml_paging_cookie: Option<String>,
    /// FetchXML: whether more rows exist.
    #[serde(rename = "@Microsoft.Dynamics.CRM.morerecords")]
    pub more_records: Option<bool>,
    /// `Microsoft.Dynamics.CRM.totalrecordcount`, when asked for.
    #[serde(rename = "@Microsoft.Dynamics.CRM.totalrecordcount")]
    pub total_record_count: Option<i64>,
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let link = |l: &Option<String>| {
            l.as_deref()
                .map(|l| l.split(['?', '#']).next().unwrap_or_default().to_string())
        };
        f.debug_struct("Page")
            .field("rows", &self.value.len())
            .field("next_link", &link(&self.next_link))
            .field("count", &self.count)
            .field("delta_link", &link(&self.delta_link))
            .field(
                "fetchxml_paging_cookie",
                &self.fetchxml_paging_cookie.as_ref().map(|_| ".."),
            )
            .field("more_records", &self.more_records)
            .field("total_record_count", &self.total_record_count)
            .finish()
    }
}

struct PagingState {
    client: DataverseClient,
    next: Option<Url>,
    prefer: Option<String>,
    /// Per-request headers for every page (their `Prefer` parts are in `prefer`).
    options: RequestOptions,
    seen: HashSet<String>,
    /// Set when the page just returned pointed at a link already followed: the next poll
    /// reports the loop instead of following it.
    looped: Option<DataverseError>,
}

impl DataverseClient {
    /// The pages of a query, one request each, following `@odata.nextLink` until there is none.
    pub fn pages(&self, query: &Query) -> impl Stream<Item = Result<Page>> + Send + 'static {
        self.pages_with_options(query, RequestOptions::default())
    }

    /// [`Self::pages`] with per-request options sent on every page request. Annotations
    /// asked for in `options` take the place of the query's own.
    pub(crate) fn pages_with_options(
        &self,
        query: &Query,
        mut options: RequestOptions,
    ) -> impl Stream<Item = Result<Page>> + Send + 'static {
        let start = query
            .to_relative_url()
            .and_then(|relative| self.url(&relative));
        let annotations = options
            .include_annotations
            .as_deref()
            .or(query.annotations_value());
        let prefer = page_prefer(query.max_page_size_value(), annotations);
        // One `Prefer` header: its parts are all in `prefer`; a GET has no representation
        // to ask for.
        options.include_annotations = None;
        options.return_representation = false;
        self.pages_from_start(start, prefer, options)
    }

    /// Resumes paging from a saved `@odata.nextLink`; pass the same page size and annotations
    /// as the original query (Dataverse asks for the same `Prefer` on every page). A relative
    /// link (`accounts?$skiptoken=...`, `/api/data/v9.2/accounts?...`) is resolved against the
    /// API root; a link to another origin is refused, so the token never leaves the org.
    pub fn pages_from_link(
        &self,
        next_link: &str,
        max_page_size: Option<u32>,
        annotations: Option<&str>,
    ) -> impl Stream<Item = Result<Page>> + Send + 'static {
        let start = self
            .api_root()
            .join(next_link.trim())
            .map_err(|_| {
                DataverseError::invalid("next link", "pass the @odata.nextLink exactly as received")
            })
            .and_then(|url| self.check_same_org(&url).map(|()| url));
        self.pages_from_start(
            start,
            page_prefer(max_page_size, annotations),
            RequestOptions::default(),
        )
    }

    fn pages_from_start(
        &self,
        start: Result<Url>,
        prefer: Option<String>,
        options: RequestOptions,
    ) -> impl Stream<Item = Result<Page>> + Send + 'static {
        match start {
            Ok(url) => page_stream(PagingState {
                client: self.clone(),
                next: Some(url),
                prefer,
                options,
                seen: HashSet::new(),
                looped: None,
            })
            .boxed(),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }

    /// The rows of a query, across all pages.
    pub fn records(&self, query: &Query) -> impl Stream<Item = Result<Record>> + Send + 'static {
        flatten(self.pages(query))
    }

    /// The rows of a query as a serde type.
    pub fn records_typed<T: DeserializeOwned + Send + 'static>(
        &self,
        query: &Query,
    ) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.records(query)
            .and_then(|r| async move { r.to_typed() })
    }

    /// The pages of a FetchXML query, following the paging cookie.
    pub fn fetch_xml_pages(
        &self,
        query: &FetchXml,
    ) -> impl Stream<Item = Result<Page>> + Send + 'static {
        let client = self.clone();
        let start = (Some(query.clone()), HashSet::<String>::new());
        stream::try_unfold(start, move |(next, mut cookies)| {
            let client = client.clone();
            async move {
                let Some(query) = next else { return Ok(None) };
                let url = client.url(&query.to_relative_url())?;
                let request = client
                    .request(Method::Get, url, &RequestOptions::default())
                    .header("Prefer", "odata.include-annotations=\"Microsoft.Dynamics.CRM.fetchxmlpagingcookie,Microsoft.Dynamics.CRM.morerecords\"");
                let page: Page = client.send(request).await?.json()?;
                let following = match (&page.more_records, &page.fetchxml_paging_cookie) {
                    (Some(true), Some(cookie)) => {
                        if !cookies.insert(cookie.clone()) {
                            return Err(DataverseError::FetchXmlPaging {
                                reason: "the service sent the same paging cookie twice".into(),
                            });
                        }
                        Some(query.next_page(cookie)?)
                    }
                    _ => None,
                };
                Ok(Some((page, (following, cookies))))
            }
        })
    }

    /// The rows of a FetchXML query, across all pages.
    pub fn fetch_xml_records(
        &self,
        query: &FetchXml,
    ) -> impl Stream<Item = Result<Record>> + Send + 'static {
        flatten(self.fetch_xml_pages(query))
    }
}

fn page_stream(state: PagingState) -> impl Stream<Item = Result<Page>> + Send + 'static {
    stream::try_unfold(state, |mut state| async move {
        if let Some(error) = state.looped.take() {
            return Err(error);
        }
        let Some(url) = state.next.take() else {
            return Ok(None);
        };
        let mut request = state
            .client
            .request(Method::Get, url.clone(), &state.options);
        if let Some(prefer) = &state.prefer {
            request = request.header("Prefer", prefer.clone());
        }
        let page: Page = state.client.send(request).await?.json()?;
        if let Some(link) = &page.next_link {
            // OData: a relative link is relative to the request URL (RFC 3986 section 5).
            let next = url.join(link.trim()).map_err(|_| {
                DataverseError::UnexpectedResponse("@odata.nextLink is not a URL reference".into())
            })?;
            // Never follow (and so never send the token) outside the org.
            state.client.check_same_org(&next)?;
            if state.seen.insert(next.as_str().to_string()) {
                state.next = Some(next);
            } else {
                state.looped = Some(DataverseError::PagingLoop {
                    link: redacted_url(&next),
                });
            }
        }
        Ok(Some((page, state)))
    })
}

/// The rows of the pages, one after another.
pub(crate) fn flatten(
    pages: impl Stream<Item = Result<Page>> + Send + 'static,
) -> impl Stream<Item = Result<Record>> + Send + 'static {
    pages
        .map_ok(|page| stream::iter(page.value.into_iter().map(Ok)))
        .try_flatten()
}

//! Change tracking: a full sync, then the changes since, as typed pages.
//!
//! ```no_run
//! # async fn run(client: dataverse_webapi::DataverseClient, saved: Option<String>) -> dataverse_webapi::Result<()> {
//! use dataverse_webapi::changes::Change;
//! use futures::TryStreamExt;
//!
//! let mut sync = client.table("accounts").changes().select(["name"]).max_page_size(1000);
//! if let Some(link) = saved {
//!     sync = sync.from_link(link);
//! }
//! let mut pages = std::pin::pin!(sync.pages());
//! while let Some(page) = pages.try_next().await? {
//!     for change in &page.changes {
//!         match change {
//!             Change::Changed(row) => { /* upsert row locally */ }
//!             Change::Deleted { id, .. } => { /* delete id locally */ }
//!             _ => {}
//!         }
//!     }
//!     // Commit the page's effects together with page.next_link, or on the last page with
//!     // page.delta_link: the next sync starts from there.
//! }
//! # Ok(()) }
//! ```
//!
//! Protocol (Learn, "Use change tracking to synchronize data with external systems"):
//! `Prefer: odata.track-changes` on the first request; pages linked by `@odata.nextLink`,
//! the `@odata.deltaLink` on the last page only; a delta lists changed rows, then
//! `$deletedEntity` entries. A token older than the org's `expirechangetrackingindays`
//! ([`DataverseClient::change_tracking_expiry`](crate::DataverseClient::change_tracking_expiry)),
//! or issued before the table's definition changed, is refused with `0x80044352`:
//! [`DataverseError::ChangeTokenExpired`](crate::DataverseError::ChangeTokenExpired). The
//! deletes since are then lost: [`Changes::full_resync_with_deletes`] runs a full sync and
//! reports the rows the caller knows but the service no longer has.

mod builder;
mod expired;
mod expiry;
mod follow;
mod model;
mod prefetch;
mod reconcile;
mod request;
mod wire;

pub use builder::Changes;
pub use expiry::warn_if_poll_interval_near_expiry;
pub use model::{Change, ChangePage, DeleteReason};
pub use reconcile::{SeenIds, SeenSet};

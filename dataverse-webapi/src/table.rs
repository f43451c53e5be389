//! A table handle and per-call builders: `client.table("leads").retrieve(id).select([..]).await`.
//!
//! Every builder is awaited directly (it implements [`IntoFuture`]) or through `.send()`, and
//! takes its optional settings as chained methods. The builders only collect settings; the
//! requests are built and sent by the [`DataverseClient`] methods they call.

use std::fmt;
use std::marker::PhantomData;

use futures::{Stream, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::client::{DataverseClient, UpsertMode, UpsertOutcome};
#[cfg(doc)]
use crate::error::DataverseError;
use crate::error::Result;
use crate::key::RecordKey;
use crate::options::RequestOptions;
use crate::paging::Page;
use crate::query::{Expand, Filter, Order, Query};
use crate::record::Record;
use crate::rows::UpsertedRecord;

impl DataverseClient {
    /// A handle on one table, by its entity set name (`"leads"`, `"accounts"`). Cheap: it
    /// holds a clone of the client. The name is checked when a request is built.
    pub fn table(&self, entity_set: impl Into<String>) -> Table {
        Table {
            client: self.clone(),
            entity_set: entity_set.into(),
        }
    }

    /// A handle on one table named by its entity set name (`"leads"`) or its logical name
    /// (`"lead"`): the name is resolved through `EntityDefinitions` once per client (see
    /// [`DataverseClient::resolve_table`]) and the handle uses the entity set name.
    ///
    /// A table the org does not have is [`DataverseError::NotFound`].
    pub async fn table_for(&self, name: &str) -> Result<Table> {
        let names = self.resolve_table(name).await?;
        Ok(self.table(names.entity_set))
    }
}

/// One table of the org: the starting point of per-row builders. From
/// [`DataverseClient::table`].
#[derive(Clone)]
pub struct Table {
    client: DataverseClient,
    entity_set: String,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("entity_set", &self.entity_set)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// The entity set name.
    pub fn entity_set(&self) -> &str {
        &self.entity_set
    }

    /// The client the table belongs to.
    pub fn client(&self) -> &DataverseClient {
        &self.client
    }

    /// Reads one row by id or alternate key, as a [`Record`] unless [`Retrieve::typed`] says
    /// otherwise.
    pub fn retrieve(&self, key: impl Into<RecordKey>) -> Retrieve<'_, Record> {
        Retrieve {
            table: self,
            key: key.into(),
            select: Vec::new(),
            expand: Vec::new(),
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }

    /// Creates a row from any serde type or a [`Record`]; answers the new row's id.
    pub fn create<'a, B: Serialize + Sync>(&'a self, record: &'a B) -> Create<'a, B> {
        Create {
            table: self,
            record,
            options: RequestOptions::default(),
        }
    }

    /// Updates a row (never creates it: a missing row is a 404).
    pub fn update<'a, B: Serialize + Sync>(
        &'a self,
        key: impl Into<RecordKey>,
        changes: &'a B,
    ) -> Update<'a, B> {
        Update {
            table: self,
            key: key.into(),
            changes,
            if_match: None,
            options: RequestOptions::default(),
        }
    }

    /// Creates or updates a row by id or alternate key.
    pub fn upsert<'a, B: Serialize + Sync>(
        &'a self,
        key: impl Into<RecordKey>,
        record: &'a B,
    ) -> Upsert<'a, B> {
        Upsert {
            table: self,
            key: key.into(),
            record,
            mode: UpsertMode::Upsert,
            options: RequestOptions::default(),
        }
    }

    /// Deletes a row.
    pub fn delete(&self, key: impl Into<RecordKey>) -> Delete<'_> {
        Delete {
            table: self,
            key: key.into(),
            if_match: None,
            options: RequestOptions::default(),
        }
    }

    /// A query on the table; awaited, it collects every row of every page.
    pub fn query(&self) -> TableQuery {
        TableQuery {
            client: self.client.clone(),
            query: Query::new(&self.entity_set),
            options: RequestOptions::default(),
        }
    }
}

fn owned_columns<I: IntoIterator<Item = S>, S: AsRef<str>>(columns: I) -> Vec<String> {
    columns
        .into_iter()
        .map(|c| c.as_ref().to_string())
        .collect()
}

fn column_refs(columns: &[String]) -> Vec<&str> {
    columns.iter().map(String::as_str).collect()
}

/// Reads one row. From [`Table::retrieve`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Retrieve<'a, T> {
    table: &'a Table,
    key: RecordKey,
    select: Vec<String>,
    expand: Vec<Expand>,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Retrieve<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retrieve")
            .field("table", &self.table.entity_set)
            .field("key", &self.key)
            .field("select", &self.select)
            .finish_non_exhaustive()
    }
}

impl<'a, T: DeserializeOwned + Send + 'a> Retrieve<'a, T> {
    /// Only these columns (`$select`); all when never called.
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.select.extend(owned_columns(columns));
        self
    }

    /// Also read a related row or rows (`$expand`).
    pub fn expand(mut self, expand: Expand) -> Self {
        self.expand.push(expand);
        self
    }

    /// Reads the row into a serde type instead of a [`Record`].
    pub fn typed<U: DeserializeOwned + Send + 'a>(self) -> Retrieve<'a, U> {
        Retrieve {
            table: self.table,
            key: self.key,
            select: self.select,
            expand: self.expand,
            options: self.options,
            output: PhantomData,
        }
    }

    request_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<T> {
        self.table
            .client
            .retrieve_row(
                &self.table.entity_set,
                &self.key,
                &column_refs(&self.select),
                &self.expand,
                &self.options,
            )
            .await
    }
}

send_on_await!(['a, T: DeserializeOwned + Send + 'a] Retrieve<'a, T> => T, 'a);

/// Creates a row and answers its id. From [`Table::create`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Create<'a, B> {
    table: &'a Table,
    record: &'a B,
    options: RequestOptions,
}

impl<B> fmt::Debug for Create<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The row is personal data: only say where it goes.
        f.debug_struct("Create")
            .field("table", &self.table.entity_set)
            .finish_non_exhaustive()
    }
}

impl<'a, B: Serialize + Sync> Create<'a, B> {
    /// Answer the row as stored instead of its id (`Prefer: return=representation`).
    pub fn return_representation(self) -> CreateAndReturn<'a, B> {
        CreateAndReturn {
            inner: self,
            select: Vec::new(),
        }
    }

    request_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<Uuid> {
        self.table
            .client
            .create_row(&self.table.entity_set, self.record, &self.options)
            .await
    }
}

send_on_await!(['a, B: Serialize + Sync] Create<'a, B> => Uuid, 'a);

/// Creates a row and answers it as stored. From [`Create::return_representation`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct CreateAndReturn<'a, B> {
    inner: Create<'a, B>,
    select: Vec<String>,
}

impl<B> fmt::Debug for CreateAndReturn<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateAndReturn")
            .field("table", &self.inner.table.entity_set)
            .field("select", &self.select)
            .finish_non_exhaustive()
    }
}

impl<'a, B: Serialize + Sync> CreateAndReturn<'a, B> {
    /// Only these columns in the answer (`$select`); all when never called.
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.select.extend(owned_columns(columns));
        self
    }

    /// Sends the request (the same as awaiting the builder). Use [`Record::to_typed`] for a
    /// serde type.
    pub async fn send(self) -> Result<Record> {
        let Create {
            table,
            record,
            options,
        } = self.inner;
        table
            .client
            .create_and_return_row(
                &table.entity_set,
                record,
                &column_refs(&self.select),
                &options,
            )
            .await
    }
}

send_on_await!(['a, B: Serialize + Sync] CreateAndReturn<'a, B> => Record, 'a);

/// Updates a row. From [`Table::update`].
///
/// The request is `PATCH` with `If-Match: *`, so a missing row is a 404, never a create; with
/// [`Update::if_match`] it fails with 412 if the row changed since.
///
/// Without an ETag the update is repeated after a timeout or a 408/5xx, like any request that
/// is safe to repeat. With one it is not: if the lost attempt was applied, a repeat would meet
/// the new ETag and report a 412 about the caller's own change. The timeout or 408/5xx is
/// returned as it is instead; the change may or may not have been applied, so re-read the row
/// (its ETag tells) before trying again.
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Update<'a, B> {
    table: &'a Table,
    key: RecordKey,
    changes: &'a B,
    if_match: Option<String>,
    options: RequestOptions,
}

impl<B> fmt::Debug for Update<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Update")
            .field("table", &self.table.entity_set)
            .field("key", &self.key)
            .field("if_match", &self.if_match)
            .finish_non_exhaustive()
    }
}

impl<'a, B: Serialize + Sync> Update<'a, B> {
    /// Only if the row still has this ETag (`If-Match`; 412 otherwise). See [`Update`] for
    /// how a lost answer is then handled.
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Sets or clears the ETag condition from an `Option`, such as [`Record::etag`]:
    /// `Some(etag)` is [`Update::if_match`]; `None` removes the condition, which leaves the
    /// update unconditional but still never a create (`If-Match: *`).
    pub fn set_if_match<S: Into<String>>(mut self, etag: Option<S>) -> Self {
        self.if_match = etag.map(Into::into);
        self
    }

    /// Answer the row as stored (`Prefer: return=representation`).
    pub fn return_representation(self) -> UpdateAndReturn<'a, B> {
        UpdateAndReturn {
            inner: self,
            select: Vec::new(),
        }
    }

    request_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<()> {
        self.table
            .client
            .update_row(
                &self.table.entity_set,
                &self.key,
                self.changes,
                self.if_match.as_deref(),
                &self.options,
            )
            .await
    }
}

send_on_await!(['a, B: Serialize + Sync] Update<'a, B> => (), 'a);

/// Updates a row and answers it as stored. From [`Update::return_representation`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct UpdateAndReturn<'a, B> {
    inner: Update<'a, B>,
    select: Vec<String>,
}

impl<B> fmt::Debug for UpdateAndReturn<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateAndReturn")
            .field("update", &self.inner)
            .field("select", &self.select)
            .finish()
    }
}

impl<'a, B: Serialize + Sync> UpdateAndReturn<'a, B> {
    /// Only these columns in the answer (`$select`); all when never called.
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.select.extend(owned_columns(columns));
        self
    }

    /// Sends the request (the same as awaiting the builder). Use [`Record::to_typed`] for a
    /// serde type.
    pub async fn send(self) -> Result<Record> {
        let Update {
            table,
            key,
            changes,
            if_match,
            options,
        } = self.inner;
        table
            .client
            .update_and_return_row(
                &table.entity_set,
                &key,
                changes,
                &column_refs(&self.select),
                if_match.as_deref(),
                &options,
            )
            .await
    }
}

send_on_await!(['a, B: Serialize + Sync] UpdateAndReturn<'a, B> => Record, 'a);

/// Creates or updates a row by key. From [`Table::upsert`].
///
/// A create-only upsert ([`Upsert::create_only`]) that timed out or got a 408/5xx may have
/// created the row before the answer was lost; it is tried again, and if that attempt then
/// finds the row existing (412), the create is taken to have succeeded: the outcome says
/// `created: Some(true)` with the key the upsert was addressed by. A 412 on the first attempt
/// is still an error ([`DataverseError::is_precondition_failed`]). The retry cannot tell our
/// own row from one another writer created in between; in both cases nothing was overwritten.
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Upsert<'a, B> {
    table: &'a Table,
    key: RecordKey,
    record: &'a B,
    mode: UpsertMode,
    options: RequestOptions,
}

impl<B> fmt::Debug for Upsert<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upsert")
            .field("table", &self.table.entity_set)
            .field("key", &self.key)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl<'a, B: Serialize + Sync> Upsert<'a, B> {
    /// Only create: 412 if the row exists (`If-None-Match: *`).
    pub fn create_only(mut self) -> Self {
        self.mode = UpsertMode::CreateOnly;
        self
    }

    /// Only update: 404 if the row does not exist (`If-Match: *`).
    pub fn update_only(mut self) -> Self {
        self.mode = UpsertMode::UpdateOnly;
        self
    }

    /// Answer the row as stored and whether it was created (201) or updated (200)
    /// (`Prefer: return=representation`), instead of an [`UpsertOutcome`].
    pub fn return_representation(self) -> UpsertAndReturn<'a, B> {
        UpsertAndReturn {
            inner: self,
            select: Vec::new(),
        }
    }

    request_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<UpsertOutcome> {
        self.table
            .client
            .upsert_row(
                &self.table.entity_set,
                self.key,
                self.record,
                self.mode,
                &self.options,
            )
            .await
    }
}

send_on_await!(['a, B: Serialize + Sync] Upsert<'a, B> => UpsertOutcome, 'a);

/// Creates or updates a row by key and answers it as stored. From
/// [`Upsert::return_representation`].
///
/// A create-only upsert whose lost first answer had created the row (see [`Upsert`]) reads
/// the row back with a `GET` and answers it with `created: true`.
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct UpsertAndReturn<'a, B> {
    inner: Upsert<'a, B>,
    select: Vec<String>,
}

impl<B> fmt::Debug for UpsertAndReturn<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertAndReturn")
            .field("upsert", &self.inner)
            .field("select", &self.select)
            .finish()
    }
}

impl<'a, B: Serialize + Sync> UpsertAndReturn<'a, B> {
    /// Only these columns in the answer (`$select`); all when never called.
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.select.extend(owned_columns(columns));
        self
    }

    /// Sends the request (the same as awaiting the builder). Use [`Record::to_typed`] on
    /// [`UpsertedRecord::record`] for a serde type.
    pub async fn send(self) -> Result<UpsertedRecord> {
        let Upsert {
            table,
            key,
            record,
            mode,
            options,
        } = self.inner;
        table
            .client
            .upsert_and_return_row(
                &table.entity_set,
                &key,
                record,
                (mode, &column_refs(&self.select)),
                &options,
            )
            .await
    }
}

send_on_await!(['a, B: Serialize + Sync] UpsertAndReturn<'a, B> => UpsertedRecord, 'a);

/// Deletes a row. From [`Table::delete`].
///
/// Without [`Delete::if_match`], a delete that timed out or got a 408/5xx is tried again, and
/// a 404 on that repeat is taken as the earlier attempt having deleted the row: the call
/// succeeds (the row is gone either way). A 404 on the first attempt is still an error
/// ([`DataverseError::is_not_found`]). With an ETag the delete is not repeated: a repeat could
/// not tell its own delete from a change by someone else, so the timeout or 408/5xx is
/// returned and the row may or may not be gone.
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Delete<'a> {
    table: &'a Table,
    key: RecordKey,
    if_match: Option<String>,
    options: RequestOptions,
}

impl fmt::Debug for Delete<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delete")
            .field("table", &self.table.entity_set)
            .field("key", &self.key)
            .field("if_match", &self.if_match)
            .finish_non_exhaustive()
    }
}

impl<'a> Delete<'a> {
    /// Only if the row still has this ETag (`If-Match`; 412 otherwise). See [`Delete`] for
    /// how a lost answer is then handled.
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Sets or clears the ETag condition from an `Option`, such as [`Record::etag`]:
    /// `Some(etag)` is [`Delete::if_match`]; `None` removes the condition (the row is deleted
    /// whatever its version).
    pub fn set_if_match<S: Into<String>>(mut self, etag: Option<S>) -> Self {
        self.if_match = etag.map(Into::into);
        self
    }

    request_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<()> {
        self.table
            .client
            .delete_row(
                &self.table.entity_set,
                &self.key,
                self.if_match.as_deref(),
                &self.options,
            )
            .await
    }
}

send_on_await!(['a] Delete<'a> => (), 'a);

/// A query on one table. From [`Table::query`]. Stream it with [`TableQuery::records`]
/// (memory stays flat), or await it to collect every row.
///
/// The per-request settings ([`TableQuery::impersonate`], [`TableQuery::strong_consistency`],
/// [`TableQuery::bypass_plugins`], [`TableQuery::annotations`], [`TableQuery::options`]) are
/// sent with every page request, the first and each `@odata.nextLink`. Annotations set there
/// take the place of [`TableQuery::formatted_values`] and of the query's own.
#[must_use = "a query does nothing until it is awaited or streamed"]
#[derive(Clone)]
pub struct TableQuery {
    client: DataverseClient,
    query: Query,
    options: RequestOptions,
}

impl fmt::Debug for TableQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableQuery")
            .field("query", &self.query)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl TableQuery {
    /// Only these columns (`$select`).
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, columns: I) -> Self {
        self.query = self.query.select(columns);
        self
    }

    /// Only rows that match (`$filter`; replaces an earlier filter, as [`Query::filter`]
    /// does).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.query = self.query.filter(filter);
        self
    }

    /// Sort by a column (`$orderby`).
    pub fn order_by(mut self, column: &str, order: Order) -> Self {
        self.query = self.query.order_by(column, order);
        self
    }

    /// At most `n` rows in all (`$top`; not with [`Self::max_page_size`], which makes
    /// Dataverse ignore it).
    pub fn top(mut self, n: u32) -> Self {
        self.query = self.query.top(n);
        self
    }

    /// Also read related rows (`$expand`).
    pub fn expand(mut self, expand: Expand) -> Self {
        self.query = self.query.expand(expand);
        self
    }

    /// Rows per page (`Prefer: odata.maxpagesize`).
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.query = self.query.max_page_size(n);
        self
    }

    /// Include formatted values and lookup annotations.
    pub fn formatted_values(mut self) -> Self {
        self.query = self.query.formatted_values();
        self
    }

    read_options!();

    /// Changes the underlying [`Query`] with any of its own methods.
    pub fn map_query(mut self, change: impl FnOnce(Query) -> Query) -> Self {
        self.query = change(self.query);
        self
    }

    /// The query built so far.
    pub fn as_query(&self) -> &Query {
        &self.query
    }

    /// The rows, page after page (follows `@odata.nextLink`).
    pub fn records(&self) -> impl Stream<Item = Result<Record>> + Send + 'static {
        crate::paging::flatten(self.pages())
    }

    /// The rows as a serde type.
    pub fn records_typed<T: DeserializeOwned + Send + 'static>(
        &self,
    ) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.records().and_then(|r| async move { r.to_typed() })
    }

    /// The pages.
    pub fn pages(&self) -> impl Stream<Item = Result<Page>> + Send + 'static {
        self.client
            .pages_with_options(&self.query, self.options.clone())
    }

    /// Collects every row of every page (the same as awaiting the query). Mind the memory
    /// on large tables; [`Self::records`] streams instead.
    pub async fn send(self) -> Result<Vec<Record>> {
        self.records().try_collect().await
    }
}

send_on_await!([] TableQuery => Vec<Record>, 'static);

//! Bulk writes from a table handle: `client.table("leads").create_many(&rows).rows_per_message(500).await`.
//!
//! The builders only collect the [`BulkOptions`]; the rows are written by the
//! [`DataverseClient`] bulk methods ([`DataverseClient::create_many`] and its siblings).

use std::fmt;

use serde::Serialize;

use crate::bulk::{BulkMessages, BulkOptions, BulkReport};
#[cfg(doc)]
use crate::client::DataverseClient;
use crate::error::Result;
use crate::key::RecordKey;
use crate::table::Table;

impl Table {
    /// Creates every row, by `CreateMultiple` where the table offers it, else in batches;
    /// awaits to one outcome per row, in input order. See [`DataverseClient::create_many`]
    /// and [`BulkMessages`].
    pub fn create_many<'a, T: Serialize + Sync>(&'a self, rows: &'a [T]) -> CreateMany<'a, T> {
        CreateMany {
            table: self,
            rows,
            options: BulkOptions::default(),
        }
    }

    /// Creates or updates every row by its key (by `UpsertMultiple` where the table offers
    /// it). See [`DataverseClient::upsert_many`].
    pub fn upsert_many<'a, T: Serialize + Sync>(
        &'a self,
        rows: &'a [(RecordKey, T)],
    ) -> UpsertMany<'a, T> {
        UpsertMany {
            table: self,
            rows,
            options: BulkOptions::default(),
        }
    }

    /// Updates every row by its key, never creating one (by `UpdateMultiple` where the table
    /// offers it). See [`DataverseClient::update_many`].
    pub fn update_many<'a, T: Serialize + Sync>(
        &'a self,
        rows: &'a [(RecordKey, T)],
    ) -> UpdateMany<'a, T> {
        UpdateMany {
            table: self,
            rows,
            options: BulkOptions::default(),
        }
    }

    /// Deletes every row (by `DeleteMultiple` on elastic tables, else in batches). See
    /// [`DataverseClient::delete_many`].
    pub fn delete_many<'a>(&'a self, keys: &'a [RecordKey]) -> DeleteMany<'a> {
        DeleteMany {
            table: self,
            keys,
            options: BulkOptions::default(),
        }
    }
}

/// The settings every bulk builder offers, applied to its `options` field.
macro_rules! bulk_settings {
    () => {
        /// Rows per `$batch` (see [`BulkOptions::batch_size`]; clamped to 1..=1000).
        pub fn batch_size(mut self, rows: usize) -> Self {
            self.options.batch_size = rows;
            self
        }

        /// Most requests queued at once (see [`BulkOptions::parallelism`]; at least 1).
        pub fn parallelism(mut self, requests: usize) -> Self {
            self.options.parallelism = requests;
            self
        }

        /// Whether to use bulk operation messages (see [`BulkOptions::messages`]).
        pub fn messages(mut self, messages: BulkMessages) -> Self {
            self.options.messages = messages;
            self
        }

        /// Rows per bulk operation message (see [`BulkOptions::rows_per_message`]; at
        /// least 1).
        pub fn rows_per_message(mut self, rows: usize) -> Self {
            self.options.rows_per_message = rows;
            self
        }

        /// Replaces every bulk setting with `options`.
        pub fn options(mut self, options: BulkOptions) -> Self {
            self.options = options;
            self
        }
    };
}

/// Debug shows the table, the row count and the settings, never the rows.
macro_rules! bulk_debug {
    ($name:literal, $rows:ident) => {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct($name)
                .field("table", &self.table.entity_set())
                .field("rows", &self.$rows.len())
                .field("options", &self.options)
                .finish()
        }
    };
}

/// Creates many rows. From [`Table::create_many`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct CreateMany<'a, T> {
    table: &'a Table,
    rows: &'a [T],
    options: BulkOptions,
}

impl<T> fmt::Debug for CreateMany<'_, T> {
    bulk_debug!("CreateMany", rows);
}

impl<T: Serialize + Sync> CreateMany<'_, T> {
    bulk_settings!();

    /// Sends the rows (the same as awaiting the builder).
    pub async fn send(self) -> Result<BulkReport> {
        self.table
            .client()
            .create_many(self.table.entity_set(), self.rows, &self.options)
            .await
    }
}

send_on_await!(['a, T: Serialize + Sync] CreateMany<'a, T> => BulkReport, 'a);

/// Creates or updates many rows by key. From [`Table::upsert_many`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct UpsertMany<'a, T> {
    table: &'a Table,
    rows: &'a [(RecordKey, T)],
    options: BulkOptions,
}

impl<T> fmt::Debug for UpsertMany<'_, T> {
    bulk_debug!("UpsertMany", rows);
}

impl<T: Serialize + Sync> UpsertMany<'_, T> {
    bulk_settings!();

    /// Sends the rows (the same as awaiting the builder).
    pub async fn send(self) -> Result<BulkReport> {
        self.table
            .client()
            .upsert_many(self.table.entity_set(), self.rows, &self.options)
            .await
    }
}

send_on_await!(['a, T: Serialize + Sync] UpsertMany<'a, T> => BulkReport, 'a);

/// Updates many rows by key. From [`Table::update_many`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct UpdateMany<'a, T> {
    table: &'a Table,
    rows: &'a [(RecordKey, T)],
    options: BulkOptions,
}

impl<T> fmt::Debug for UpdateMany<'_, T> {
    bulk_debug!("UpdateMany", rows);
}

impl<T: Serialize + Sync> UpdateMany<'_, T> {
    bulk_settings!();

    /// Sends the rows (the same as awaiting the builder).
    pub async fn send(self) -> Result<BulkReport> {
        self.table
            .client()
            .update_many(self.table.entity_set(), self.rows, &self.options)
            .await
    }
}

send_on_await!(['a, T: Serialize + Sync] UpdateMany<'a, T> => BulkReport, 'a);

/// Deletes many rows. From [`Table::delete_many`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct DeleteMany<'a> {
    table: &'a Table,
    keys: &'a [RecordKey],
    options: BulkOptions,
}

impl fmt::Debug for DeleteMany<'_> {
    bulk_debug!("DeleteMany", keys);
}

impl DeleteMany<'_> {
    bulk_settings!();

    /// Deletes the rows (the same as awaiting the builder).
    pub async fn send(self) -> Result<BulkReport> {
        self.table
            .client()
            .delete_many(self.table.entity_set(), self.keys, &self.options)
            .await
    }
}

send_on_await!(['a] DeleteMany<'a> => BulkReport, 'a);

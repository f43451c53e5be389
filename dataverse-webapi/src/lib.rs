#![doc = include_str!("../README.md")]

/// `impl IntoFuture` for a builder whose `send()` does the work, so `builder.await` sends it:
/// `send_on_await!([generics] Builder<..> => Output, 'lifetime);`
macro_rules! send_on_await {
    ([$($generics:tt)*] $builder:ty => $output:ty, $life:lifetime) => {
        impl<$($generics)*> ::std::future::IntoFuture for $builder {
            type Output = $crate::error::Result<$output>;
            type IntoFuture = ::futures::future::BoxFuture<$life, $crate::error::Result<$output>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

/// The per-request settings that apply to any request, reads included, set on the builder's
/// `options` field (`RequestOptions`).
macro_rules! read_options {
    () => {
        /// Act as another user ([`Impersonation`](crate::Impersonation); needs
        /// `prvActOnBehalfOfAnotherUser`).
        pub fn impersonate(mut self, who: crate::Impersonation) -> Self {
            self.options.impersonate = Some(who);
            self
        }

        /// Skip custom synchronous plug-ins (`MSCRM.BypassCustomPluginExecution: true`; needs
        /// `prvBypassCustomPlugins`).
        pub fn bypass_plugins(mut self) -> Self {
            self.options.bypass_custom_plugins = true;
            self
        }

        /// Read the latest metadata and permissions (`Consistency: Strong`).
        pub fn strong_consistency(mut self) -> Self {
            self.options.strong_consistency = true;
            self
        }

        /// Include annotations in the answer (`*`, or a comma list such as
        /// `OData.Community.Display.V1.FormattedValue`).
        pub fn annotations(mut self, which: &str) -> Self {
            self.options.include_annotations = Some(which.to_string());
            self
        }

        /// Replaces all per-request settings at once.
        pub fn options(mut self, options: crate::RequestOptions) -> Self {
            self.options = options;
            self
        }
    };
}

/// `read_options!` plus the settings only writes use.
macro_rules! request_options {
    () => {
        read_options!();

        /// Run duplicate detection (`MSCRM.SuppressDuplicateDetection: false`).
        pub fn duplicate_detection(mut self) -> Self {
            self.options.duplicate_detection = true;
            self
        }

        /// Add created solution components to this unmanaged solution.
        pub fn in_solution(mut self, unique_name: &str) -> Self {
            self.options.solution_unique_name = Some(unique_name.to_string());
            self
        }
    };
}

mod batch;
mod bulk;
mod client;
mod env;
mod error;
mod key;
mod limiter;
pub mod metadata;
mod names;
mod navigation;
mod operations;
mod options;
mod paging;
mod property;
pub mod provisioning;
pub mod query;
mod record;
mod rows;
pub mod solutions;
mod table;
mod table_bulk;

pub use batch::{
    Batch, BatchOptions, BatchRequest, BatchResponse, BatchResult, MAX_BATCH_REQUESTS,
};
pub use bulk::{
    BulkFailure, BulkMessages, BulkOptions, BulkOutcome, BulkReport, DEFAULT_ROWS_PER_MESSAGE,
};
pub use client::{ClientOptions, DataverseClient, UpsertMode, UpsertOutcome, WhoAmI};
pub use env::{
    ENV_AUTHORITY_HOST, ENV_CERTIFICATE_PEM, ENV_CERTIFICATE_PFX, ENV_CERTIFICATE_PFX_PASSWORD,
    ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_CLOUD, ENV_ORG_URL, ENV_PRIVATE_KEY_PEM, ENV_TENANT_ID,
    FromEnvError,
};
pub use error::{DataverseError, MESSAGE_LIMIT, Result, ServiceProtectionLimit};
pub use key::{RecordKey, parse_entity_id};
pub use limiter::{ConcurrencyLimiter, LimiterOptions, Permit};
pub use names::TableNames;
pub use navigation::{Navigation, RefChange};
pub use operations::{Action, Function};
pub use options::{Impersonation, RequestOptions};
pub use paging::Page;
pub use property::{Property, PropertyRead, PropertyWrite};
pub use query::fetchxml::FetchXml;
pub use query::{Expand, Filter, Literal, Order, Query};
pub use record::{FORMATTED_VALUE, LOOKUP_LOGICAL_NAME, Record};
pub use rows::UpsertedRecord;
pub use table::{
    Create, CreateAndReturn, Delete, Retrieve, Table, TableQuery, Update, UpdateAndReturn, Upsert,
    UpsertAndReturn,
};
pub use table_bulk::{CreateMany, DeleteMany, UpdateMany, UpsertMany};

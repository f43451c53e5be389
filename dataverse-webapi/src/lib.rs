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

mod batch;
mod bulk;
mod client;
mod env;
mod error;
mod key;
mod limiter;
mod options;
mod paging;
pub mod query;
mod record;
pub mod solutions;
mod table;
mod table_bulk;

pub use batch::{
    Batch, BatchOptions, BatchRequest, BatchResponse, BatchResult, MAX_BATCH_REQUESTS,
};
pub use bulk::{BulkFailure, BulkOptions, BulkOutcome, BulkReport};
pub use client::{ClientOptions, DataverseClient, UpsertMode, UpsertOutcome, WhoAmI};
pub use env::{
    ENV_AUTHORITY_HOST, ENV_CERTIFICATE_PEM, ENV_CERTIFICATE_PFX, ENV_CERTIFICATE_PFX_PASSWORD,
    ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_CLOUD, ENV_ORG_URL, ENV_PRIVATE_KEY_PEM, ENV_TENANT_ID,
    FromEnvError,
};
pub use error::{DataverseError, MESSAGE_LIMIT, Result, ServiceProtectionLimit};
pub use key::{RecordKey, parse_entity_id};
pub use limiter::{ConcurrencyLimiter, LimiterOptions, Permit};
pub use options::{Impersonation, RequestOptions};
pub use paging::Page;
pub use query::fetchxml::FetchXml;
pub use query::{Expand, Filter, Literal, Order, Query};
pub use record::{FORMATTED_VALUE, LOOKUP_LOGICAL_NAME, Record};
pub use table::{
    Create, CreateAndReturn, Delete, Retrieve, Table, TableQuery, Update, UpdateAndReturn, Upsert,
};
pub use table_bulk::{CreateMany, DeleteMany, UpdateMany, UpsertMany};

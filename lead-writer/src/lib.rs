#![doc = include_str!("../README.md")]

mod error;
mod fields;
pub mod import;
mod key;
mod lead;
pub mod mapping;
mod parse;
pub mod service;
pub mod setup;
mod source;
pub mod spool;
pub mod validate;

pub mod writer;

pub use error::{Error, Rejection, Result};
pub use key::{DEFAULT_BUCKET_SECONDS, IdempotencyKey, KeyOptions};
pub use lead::{Lead, TEST_LEAD_PREFIX};
pub use mapping::{Columns, Mapping, TooLong};
pub use parse::{DEFAULT_MAX_BODY_BYTES, ParseOptions};
pub use source::{LeadAction, LeadOrigin};
pub use spool::{Spool, SpoolError, SpoolOptions};
pub use writer::{Writer, WriterError, WriterOptions, WriterStats};

//! Table definitions (metadata): typed models of `EntityDefinitions`, columns, keys and
//! option sets; reading a table's definition; publishing customizations; `RetrieveVersion`.
//!
//! Sources: Microsoft Learn "Query table definitions using the Web API", "Retrieve table
//! definitions by name or MetadataId", "Create and update table definitions using the Web
//! API" (publish after changes).

mod attribute;
mod entity;
mod enums;
mod label;
mod read;

pub use attribute::{AttributeCast, AttributeMetadata, OptionMetadata, OptionSetMetadata};
pub use entity::{EntityKeyMetadata, EntityMetadata};
pub use enums::{
    AttributeType, DateTimeBehavior, DateTimeFormat, KeyIndexStatus, OptionSetType, OwnershipType,
    RequiredLevel, TableType,
};
pub use label::{DEFAULT_LANGUAGE, Label, LocalizedLabel, ManagedProperty};
pub use read::{GetTable, Metadata, TableRef, publish_parameter_xml};

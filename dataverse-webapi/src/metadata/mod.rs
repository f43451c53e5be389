//! Table definitions (metadata): typed models of `EntityDefinitions`, columns, keys,
//! relationships and option sets; reading them; creating and updating tables, columns and
//! alternate keys; enabling change tracking; publishing customizations; the CSDL document
//! (`$metadata`); `RetrieveVersion`.
//!
//! Sources: Microsoft Learn "Query table definitions using the Web API", "Retrieve table
//! definitions by name or MetadataId", "Create and update table definitions using the Web
//! API", "Create and update column definitions using the Web API", "Use the Web API with
//! Dataverse metadata".

mod attribute;
mod csdl;
mod define;
mod document;
mod entity;
mod enums;
mod error;
mod key_wait;
mod label;
mod list;
mod read;
mod relationship;
mod write;

pub use attribute::{AttributeCast, AttributeMetadata, OptionMetadata, OptionSetMetadata};
pub use csdl::{Csdl, CsdlEntitySet, CsdlEntityType, CsdlError, CsdlLimits, CsdlProperty};
pub use define::{
    ChoiceOption, ColumnDefinition, ColumnKind, GlobalChoiceDefinition, GlobalOptionSetRef,
    KeyDefinition, PrimaryNameColumn, TableDefinition,
};
pub use entity::{EntityKeyMetadata, EntityMetadata};
pub use enums::{
    AttributeType, DateTimeBehavior, DateTimeFormat, KeyIndexStatus, OptionSetType, OwnershipType,
    RelationshipType, RequiredLevel, TableType,
};
pub use error::MetadataError;
pub use key_wait::{KeyWait, MIN_KEY_POLL_INTERVAL};
pub use label::{DEFAULT_LANGUAGE, Label, LocalizedLabel, ManagedProperty};
pub use list::{
    GetAttribute, GetDefinition, GetGlobalOptionSet, ListAttributes, ListDefinitions,
    ListGlobalOptionSets, ListKeys, ListRelationships, ListTables,
};
pub use read::{GetTable, Metadata, TableRef, publish_parameter_xml};
pub use relationship::RelationshipMetadata;
pub use write::ChangeTrackingOutcome;

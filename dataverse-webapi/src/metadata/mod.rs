//! Table definitions (metadata): typed models of `EntityDefinitions`, columns, keys,
//! relationships and option sets; reading them; creating and updating tables, columns and
//! alternate keys; enabling change tracking; publishing customizations; the CSDL document
//! (`$metadata`); `RetrieveVersion`.
//!
//! Sources: Microsoft Learn "Query table definitions using the Web API", "Retrieve table
//! definitions by name or MetadataId", "Create and update table definitions using the Web
//! API", "Create and update column definitions using the Web API", "Use the Web API with
//! Dataverse metadata".
//!
//! ```no_run
//! # async fn run(client: dataverse_webapi::DataverseClient) -> dataverse_webapi::Result<()> {
//! use dataverse_webapi::metadata::{
//!     ChoiceOption, ColumnDefinition, KeyDefinition, KeyWait, TableDefinition,
//! };
//!
//! let metadata = client.metadata();
//! metadata
//!     .create_table(
//!         &TableDefinition::new("new_BankAccount", "Bank Account", "Bank Accounts")
//!             .primary_name("new_AccountName", "Account Name")
//!             .in_solution("ContosoCore"),
//!     )
//!     .await?;
//! metadata
//!     .add_column("new_bankaccount", &ColumnDefinition::string("new_AccountNumber", "Account Number", 34))
//!     .await?;
//! metadata
//!     .add_column(
//!         "new_bankaccount",
//!         &ColumnDefinition::choice("new_Kind", "Kind", [ChoiceOption::labelled("Savings")]),
//!     )
//!     .await?;
//! metadata
//!     .add_key(
//!         "new_bankaccount",
//!         &KeyDefinition::new("new_AccountNumberKey", "Account number", ["new_accountnumber"]),
//!     )
//!     .await?;
//! metadata.publish(&["new_bankaccount"]).await?;
//! metadata
//!     .wait_for_key_active("new_bankaccount", "new_accountnumberkey", KeyWait::default())
//!     .await?;
//! // Irreversible: change tracking stays on for good.
//! metadata.enable_change_tracking("new_bankaccount").await?;
//! let kind = metadata.attribute("new_bankaccount", "new_kind").picklist().await?;
//! for option in kind.options() {
//!     println!("{:?} {:?}", option.value, option.label.as_ref().and_then(|l| l.text()));
//! }
//! let csdl = metadata.csdl().await?;
//! assert!(csdl.entity_set("new_bankaccounts").is_some_and(|s| s.change_tracking));
//! # Ok(()) }
//! ```

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

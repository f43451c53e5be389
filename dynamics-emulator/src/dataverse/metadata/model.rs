//! Table definitions: tables, their columns (attributes), alternate keys and relationships.

use std::collections::HashMap;

use uuid::Uuid;

pub(crate) use super::definition::{ColumnDefinition, TableDefinition};

/// The type of a column, as Dataverse's `AttributeType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrKind {
    /// A GUID (the primary key, or a plain unique identifier such as `applicationid`).
    Uniqueidentifier,
    /// Single line of text.
    String,
    /// Multiple lines of text.
    Memo,
    /// Whole number (`Edm.Int32`).
    Integer,
    /// Big integer (`Edm.Int64`).
    BigInt,
    /// Decimal number.
    Decimal,
    /// Floating point number.
    Double,
    /// Currency.
    Money,
    /// Two options.
    Boolean,
    /// Date and time.
    DateTime,
    /// Date only.
    DateOnly,
    /// Choice.
    Picklist,
    /// Status (`statecode`).
    State,
    /// Status reason (`statuscode`).
    Status,
    /// Lookup to one table (or several, for polymorphic lookups such as `regardingobjectid`).
    Lookup,
    /// Customer lookup (account or contact).
    Customer,
    /// Owner lookup.
    Owner,
}

impl AttrKind {
    /// The documented value range of decimal, float and currency columns (`MinValue` and
    /// `MaxValue` of their metadata): ±100,000,000,000 for decimal and float columns,
    /// ±922,337,203,685,477 for currency columns.
    pub(crate) fn number_range(self) -> Option<(f64, f64)> {
        match self {
            Self::Decimal | Self::Double => Some((-100_000_000_000.0, 100_000_000_000.0)),
            Self::Money => Some((-922_337_203_685_477.0, 922_337_203_685_477.0)),
            _ => None,
        }
    }

    /// The `AttributeType` name in metadata.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Self::Uniqueidentifier => "Uniqueidentifier",
            Self::String => "String",
            Self::Memo => "Memo",
            Self::Integer => "Integer",
            Self::BigInt => "BigInt",
            Self::Decimal => "Decimal",
            Self::Double => "Double",
            Self::Money => "Money",
            Self::Boolean => "Boolean",
            Self::DateTime | Self::DateOnly => "DateTime",
            Self::Picklist => "Picklist",
            Self::State => "State",
            Self::Status => "Status",
            Self::Lookup => "Lookup",
            Self::Customer => "Customer",
            Self::Owner => "Owner",
        }
    }

    /// The metadata entity type describing the column (`StringAttributeMetadata`, …), without
    /// the `Microsoft.Dynamics.CRM.` namespace. Customer and owner columns are lookups.
    pub(crate) fn metadata_type(self) -> &'static str {
        match self {
            Self::Uniqueidentifier => "UniqueIdentifierAttributeMetadata",
            Self::String => "StringAttributeMetadata",
            Self::Memo => "MemoAttributeMetadata",
            Self::Integer => "IntegerAttributeMetadata",
            Self::BigInt => "BigIntAttributeMetadata",
            Self::Decimal => "DecimalAttributeMetadata",
            Self::Double => "DoubleAttributeMetadata",
            Self::Money => "MoneyAttributeMetadata",
            Self::Boolean => "BooleanAttributeMetadata",
            Self::DateTime | Self::DateOnly => "DateTimeAttributeMetadata",
            Self::Picklist => "PicklistAttributeMetadata",
            Self::State => "StateAttributeMetadata",
            Self::Status => "StatusAttributeMetadata",
            Self::Lookup | Self::Customer | Self::Owner => "LookupAttributeMetadata",
        }
    }

    /// Whether the column has an option set (`OptionSet` navigation property).
    pub(crate) fn has_options(self) -> bool {
        matches!(
            self,
            Self::Boolean | Self::Picklist | Self::State | Self::Status
        )
    }

    /// The OData (EDM) type of the column's value.
    pub(crate) fn edm_type(self) -> &'static str {
        match self {
            Self::Uniqueidentifier | Self::Lookup | Self::Customer | Self::Owner => "Edm.Guid",
            Self::String | Self::Memo => "Edm.String",
            Self::Integer | Self::Picklist | Self::State | Self::Status => "Edm.Int32",
            Self::BigInt => "Edm.Int64",
            Self::Decimal | Self::Money => "Edm.Decimal",
            Self::Double => "Edm.Double",
            Self::Boolean => "Edm.Boolean",
            Self::DateTime => "Edm.DateTimeOffset",
            Self::DateOnly => "Edm.Date",
        }
    }

    /// Whether the column is a lookup (exposed as `_{name}_value`).
    pub(crate) fn is_lookup(self) -> bool {
        matches!(self, Self::Lookup | Self::Customer | Self::Owner)
    }

    /// Whether the column holds text.
    pub(crate) fn is_text(self) -> bool {
        matches!(self, Self::String | Self::Memo)
    }

    /// Whether the column holds a number.
    pub(crate) fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::Integer
                | Self::BigInt
                | Self::Decimal
                | Self::Double
                | Self::Money
                | Self::Picklist
                | Self::State
                | Self::Status
        )
    }

    /// Whether the column holds a whole number.
    pub(crate) fn is_integral(self) -> bool {
        matches!(
            self,
            Self::Integer | Self::BigInt | Self::Picklist | Self::State | Self::Status
        )
    }
}

/// One option of a choice, status or two-options column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OptionDef {
    /// The stored value (0/1 for two options).
    pub(crate) value: i64,
    /// The English label (the formatted value).
    pub(crate) label: String,
    /// For status reasons: the state the reason belongs to.
    pub(crate) state: Option<i64>,
}

/// A column.
#[derive(Debug, Clone)]
pub(crate) struct Attribute {
    pub(crate) logical_name: String,
    pub(crate) kind: AttrKind,
    /// Maximum length in characters for text columns.
    pub(crate) max_length: Option<usize>,
    /// Decimal places kept for decimal, double and currency columns.
    pub(crate) precision: Option<u8>,
    /// Options of choice, state, status and two-options columns.
    pub(crate) options: Vec<OptionDef>,
    /// Logical names of the tables a lookup may point to.
    pub(crate) targets: Vec<String>,
    /// Set by the platform only: ignored when a client writes it.
    pub(crate) read_only: bool,
    /// The English display name (`DisplayName` in metadata).
    pub(crate) display_name: String,
    /// Whether the options come from a global option set (`IsGlobal`, and `GlobalOptionSet`
    /// is the column's `OptionSet`).
    pub(crate) global_options: bool,
    pub(crate) metadata_id: Uuid,
    /// What a column created or updated through the Web API said about itself (schema name,
    /// labels in every language, required level); `None` for the built-in columns.
    pub(crate) defined: Option<Box<ColumnDefinition>>,
}

impl Attribute {
    /// The name the column has in JSON: `_{name}_value` for lookups, else the logical name.
    pub(crate) fn json_name(&self) -> String {
        if self.kind.is_lookup() {
            format!("_{}_value", self.logical_name)
        } else {
            self.logical_name.clone()
        }
    }

    /// The label of an option value.
    pub(crate) fn option_label(&self, value: i64) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.value == value)
            .map(|o| o.label.as_str())
    }

    /// The schema name: as sent when the column was created through the Web API, else the
    /// logical name with its first letter upper-cased.
    pub(crate) fn schema_name(&self) -> String {
        match &self.defined {
            Some(defined) => defined.schema_name.clone(),
            None => schema_name(&self.logical_name),
        }
    }
}

/// `name` with its first letter upper-cased.
pub(crate) fn schema_name(logical_name: &str) -> String {
    let mut chars = logical_name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// An alternate key: columns whose values identify a row.
#[derive(Debug, Clone)]
pub(crate) struct AlternateKey {
    pub(crate) logical_name: String,
    /// `SchemaName`: as sent when created through the Web API, else the logical name with
    /// its first letter upper-cased.
    pub(crate) schema_name: String,
    /// Attribute indexes of the key columns, in order.
    pub(crate) attributes: Vec<u16>,
    pub(crate) metadata_id: Uuid,
}

/// A table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) logical_name: String,
    pub(crate) entity_set: String,
    pub(crate) display_name: String,
    /// The primary key column's logical name (also attribute 0).
    pub(crate) primary_id: String,
    /// The primary name column's attribute index.
    pub(crate) primary_name: Option<u16>,
    pub(crate) attributes: Vec<Attribute>,
    index: HashMap<String, u16>,
    pub(crate) alternate_keys: Vec<AlternateKey>,
    pub(crate) change_tracking: bool,
    /// An elastic table (`TableType` `Elastic`, stored in Azure Cosmos DB): bulk operation
    /// messages are not transactional on it and `DeleteMultiple` is available. Default false.
    pub(crate) elastic: bool,
    pub(crate) object_type_code: i32,
    pub(crate) is_custom: bool,
    pub(crate) is_activity: bool,
    /// `fullname` is computed from `firstname` and `lastname` (lead, contact).
    pub(crate) computed_fullname: bool,
    pub(crate) metadata_id: Uuid,
    /// `CanChangeTrackingBeEnabled`: whether `ChangeTrackingEnabled` may be turned on.
    pub(crate) can_enable_change_tracking: bool,
    /// Bumped by every change to the table's definition (columns, keys, properties); change
    /// tracking tokens issued before a change can be expired against it.
    pub(crate) metadata_version: u64,
    /// What a table created or updated through the Web API said about itself (schema name,
    /// labels in every language); `None` for tables defined in code.
    pub(crate) defined: Option<Box<TableDefinition>>,
}

impl Table {
    /// A table; attribute 0 must be the primary key.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        logical_name: String,
        entity_set: String,
        display_name: String,
        attributes: Vec<Attribute>,
        primary_name: Option<u16>,
        object_type_code: i32,
        metadata_id: Uuid,
    ) -> Self {
        let index = attributes
            .iter()
            .enumerate()
            .filter_map(|(i, a)| u16::try_from(i).ok().map(|i| (a.logical_name.clone(), i)))
            .collect();
        let primary_id = attributes
            .first()
            .map(|a| a.logical_name.clone())
            .unwrap_or_default();
        Self {
            logical_name,
            entity_set,
            display_name,
            primary_id,
            primary_name,
            attributes,
            index,
            alternate_keys: Vec::new(),
            change_tracking: false,
            elastic: false,
            object_type_code,
            is_custom: false,
            is_activity: false,
            computed_fullname: false,
            metadata_id,
            can_enable_change_tracking: true,
            metadata_version: 0,
            defined: None,
        }
    }

    /// Appends a column; returns its index (`None` when the name is taken or the table has
    /// the most columns an index can address).
    pub(crate) fn push_attribute(&mut self, attribute: Attribute) -> Option<u16> {
        if self.index.contains_key(&attribute.logical_name) {
            return None;
        }
        let index = u16::try_from(self.attributes.len()).ok()?;
        self.index.insert(attribute.logical_name.clone(), index);
        self.attributes.push(attribute);
        Some(index)
    }

    /// Removes column `column`; later columns move down one place, and the name index, the
    /// primary name column and the alternate keys follow. The caller renumbers rows and
    /// relationships; a column in an alternate key must not be removed.
    pub(crate) fn remove_attribute(&mut self, column: u16) -> Attribute {
        let removed = self.attributes.remove(usize::from(column));
        let shift = |i: &mut u16| {
            if *i > column {
                *i -= 1;
            }
        };
        self.index.remove(&removed.logical_name);
        self.index.values_mut().for_each(shift);
        if let Some(primary) = self.primary_name.as_mut() {
            shift(primary);
        }
        for key in &mut self.alternate_keys {
            key.attributes.iter_mut().for_each(shift);
        }
        removed
    }

    /// The schema name: as sent when the table was created through the Web API, else the
    /// logical name with its first letter upper-cased.
    pub(crate) fn schema_name(&self) -> String {
        match &self.defined {
            Some(defined) => defined.schema_name.clone(),
            None => schema_name(&self.logical_name),
        }
    }

    /// Records a change to the definition.
    pub(crate) fn bump_metadata_version(&mut self) {
        self.metadata_version += 1;
    }

    /// The attribute index of a column by logical name.
    pub(crate) fn attribute_index(&self, logical_name: &str) -> Option<u16> {
        self.index.get(logical_name).copied()
    }

    /// The attribute by index.
    pub(crate) fn attribute(&self, index: u16) -> Option<&Attribute> {
        self.attributes.get(usize::from(index))
    }

    /// The column named as in JSON: a logical name, or `_{lookup}_value`.
    pub(crate) fn json_attribute(&self, name: &str) -> Option<u16> {
        if let Some(inner) = name
            .strip_prefix('_')
            .and_then(|rest| rest.strip_suffix("_value"))
            && let Some(index) = self.attribute_index(inner)
            && self.attributes[usize::from(index)].kind.is_lookup()
        {
            return Some(index);
        }
        let index = self.attribute_index(name)?;
        (!self.attributes[usize::from(index)].kind.is_lookup()).then_some(index)
    }

    /// The primary name column's logical name.
    pub(crate) fn primary_name_attribute(&self) -> Option<&str> {
        self.primary_name
            .and_then(|i| self.attribute(i))
            .map(|a| a.logical_name.as_str())
    }

    /// `Microsoft.Dynamics.CRM.{logical_name}`, the OData type name.
    pub(crate) fn type_name(&self) -> String {
        format!("Microsoft.Dynamics.CRM.{}", self.logical_name)
    }
}

/// A one-to-many relationship: rows of `referencing` point at a row of `referenced` through the
/// lookup `lookup`.
#[derive(Debug, Clone)]
pub(crate) struct OneToMany {
    pub(crate) schema_name: String,
    /// The "one" side (catalog index).
    pub(crate) referenced: u16,
    /// The "many" side (catalog index).
    pub(crate) referencing: u16,
    /// The lookup column in `referencing`.
    pub(crate) lookup: u16,
    /// The collection-valued navigation property on `referenced`.
    pub(crate) collection_nav: String,
    /// The single-valued navigation property on `referencing`.
    pub(crate) single_nav: String,
    pub(crate) metadata_id: Uuid,
    /// Created through the Web API (`IsCustomRelationship`): only these may be deleted.
    pub(crate) custom: bool,
}

/// A many-to-many relationship, stored as pairs of IDs.
#[derive(Debug, Clone)]
pub(crate) struct ManyToMany {
    pub(crate) schema_name: String,
    pub(crate) intersect: String,
    pub(crate) entity1: u16,
    pub(crate) entity2: u16,
    /// The navigation property on `entity1` (to `entity2` rows).
    pub(crate) nav1: String,
    /// The navigation property on `entity2` (to `entity1` rows).
    pub(crate) nav2: String,
    pub(crate) metadata_id: Uuid,
    /// Created through the Web API (`IsCustomRelationship`): only these may be deleted.
    pub(crate) custom: bool,
}

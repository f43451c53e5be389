//! New tables, columns and alternate keys as the caller describes them, and the JSON bodies
//! the service expects for them. Building a body does no IO, so every shape is unit-tested.
//!
//! Shapes from Learn "Create and update table definitions using the Web API" (`POST
//! EntityDefinitions` with the primary name column in `Attributes`), "Create and update column
//! definitions using the Web API" (one `…AttributeMetadata` per type; a choice column bound to
//! a global choice with `GlobalOptionSet@odata.bind`) and the `EntityKeyMetadata` EntityType
//! reference (`SchemaName`, `DisplayName`, `KeyAttributes`). The ranges checked here are the column
//! types' documented limits.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::enums::{DateTimeBehavior, DateTimeFormat, OwnershipType, RequiredLevel, TableType};
use super::label::DEFAULT_LANGUAGE;
use crate::error::{DataverseError, Result};
use crate::query::checked_name;

const NS: &str = "Microsoft.Dynamics.CRM.";

/// A new table (`POST EntityDefinitions`). Build with [`TableDefinition::new`] and the
/// setters, or fill the fields with `..Default::default()`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDefinition {
    /// `new_BankAccount`: the publisher's customization prefix, `_`, then the name. The
    /// logical name is this in lower case.
    pub schema_name: String,
    /// `Bank Account`.
    pub display_name: String,
    /// `Bank Accounts`.
    pub display_collection_name: String,
    /// What the table holds (recommended).
    pub description: Option<String>,
    /// Who owns the rows: `UserOwned` (default) or `OrganizationOwned`.
    pub ownership: OwnershipType,
    /// `Standard` (default) or `Elastic`.
    pub table_type: TableType,
    /// The primary name column.
    pub primary_name: PrimaryNameColumn,
    /// Turn change tracking on at creation (it can never be turned off).
    pub change_tracking: bool,
    /// Activities can be related to its rows.
    pub has_activities: bool,
    /// Notes can be attached to its rows.
    pub has_notes: bool,
    /// The language of the labels (LCID, 1033 for English).
    pub language: i32,
    /// Add the table to this unmanaged solution (`MSCRM.SolutionUniqueName`).
    pub solution: Option<String>,
}

impl Default for TableDefinition {
    fn default() -> Self {
        TableDefinition {
            schema_name: String::new(),
            display_name: String::new(),
            display_collection_name: String::new(),
            description: None,
            ownership: OwnershipType::UserOwned,
            table_type: TableType::Standard,
            primary_name: PrimaryNameColumn::default(),
            change_tracking: false,
            has_activities: false,
            has_notes: false,
            language: DEFAULT_LANGUAGE,
            solution: None,
        }
    }
}

/// The primary name column of a new table: text, format `Text`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryNameColumn {
    /// `new_Name`; empty means the table's prefix followed by `Name`.
    pub schema_name: String,
    /// `Name` when empty.
    pub display_name: String,
    /// What it holds.
    pub description: Option<String>,
    /// At most 4000; 100 by default.
    pub max_length: u32,
    /// Whether it must be filled.
    pub required_level: RequiredLevel,
}

impl Default for PrimaryNameColumn {
    fn default() -> Self {
        PrimaryNameColumn {
            schema_name: String::new(),
            display_name: String::new(),
            description: None,
            max_length: 100,
            required_level: RequiredLevel::None,
        }
    }
}

impl TableDefinition {
    /// A user-owned standard table.
    pub fn new(schema_name: &str, display_name: &str, display_collection_name: &str) -> Self {
        TableDefinition {
            schema_name: schema_name.to_string(),
            display_name: display_name.to_string(),
            display_collection_name: display_collection_name.to_string(),
            ..Default::default()
        }
    }

    /// What the table holds.
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_string());
        self
    }

    /// Who owns the rows.
    pub fn ownership(mut self, ownership: OwnershipType) -> Self {
        self.ownership = ownership;
        self
    }

    /// Standard or elastic.
    pub fn table_type(mut self, table_type: TableType) -> Self {
        self.table_type = table_type;
        self
    }

    /// The primary name column's schema and display names.
    pub fn primary_name(mut self, schema_name: &str, display_name: &str) -> Self {
        self.primary_name.schema_name = schema_name.to_string();
        self.primary_name.display_name = display_name.to_string();
        self
    }

    /// Turns change tracking on at creation. Irreversible.
    pub fn change_tracking(mut self, on: bool) -> Self {
        self.change_tracking = on;
        self
    }

    /// Adds the table to this unmanaged solution.
    pub fn in_solution(mut self, unique_name: &str) -> Self {
        self.solution = Some(unique_name.to_string());
        self
    }

    /// The logical name the table will have (`new_bankaccount`).
    pub fn logical_name(&self) -> String {
        self.schema_name.to_ascii_lowercase()
    }

    /// The `POST EntityDefinitions` body.
    pub fn to_body(&self) -> Result<Value> {
        let prefix = check_schema_name("table schema name", &self.schema_name)?;
        required_text("table display name", &self.display_name)?;
        required_text(
            "table display collection name",
            &self.display_collection_name,
        )?;
        let ownership = match &self.ownership {
            OwnershipType::UserOwned | OwnershipType::OrganizationOwned => self.ownership.as_str(),
            other => {
                return Err(DataverseError::invalid(
                    "table ownership",
                    format!("a new table is UserOwned or OrganizationOwned, not {other}"),
                ));
            }
        };
        let primary = &self.primary_name;
        let primary_schema = if primary.schema_name.is_empty() {
            format!("{prefix}_Name")
        } else {
            primary.schema_name.clone()
        };
        check_schema_name("primary name column schema name", &primary_schema)?;
        if primary_schema.eq_ignore_ascii_case(&format!("{}id", self.schema_name)) {
            return Err(DataverseError::invalid(
                "primary name column schema name",
                format!("{primary_schema} is the table's primary key; choose another name"),
            ));
        }
        let primary_display = if primary.display_name.is_empty() {
            "Name"
        } else {
            primary.display_name.as_str()
        };
        check_range("primary name MaxLength", primary.max_length.into(), 1, 4000)?;
        let mut primary_body = column_common(
            "String",
            &primary_schema,
            primary_display,
            primary.description.as_deref(),
            &primary.required_level,
            self.language,
        );
        primary_body.insert("IsPrimaryName".into(), json!(true));
        primary_body.insert("FormatName".into(), json!({"Value": "Text"}));
        primary_body.insert("MaxLength".into(), json!(primary.max_length));
        let mut body = Map::new();
        body.insert("@odata.type".into(), json!(format!("{NS}EntityMetadata")));
        body.insert("SchemaName".into(), json!(self.schema_name));
        body.insert(
            "DisplayName".into(),
            label(&self.display_name, self.language),
        );
        body.insert(
            "DisplayCollectionName".into(),
            label(&self.display_collection_name, self.language),
        );
        if let Some(description) = &self.description {
            body.insert("Description".into(), label(description, self.language));
        }
        body.insert("OwnershipType".into(), json!(ownership));
        body.insert("TableType".into(), json!(self.table_type.as_str()));
        body.insert(
            "IsActivity".into(),
            json!(self.table_type == TableType::Activity),
        );
        body.insert("HasActivities".into(), json!(self.has_activities));
        body.insert("HasNotes".into(), json!(self.has_notes));
        body.insert("ChangeTrackingEnabled".into(), json!(self.change_tracking));
        body.insert(
            "Attributes".into(),
            Value::Array(vec![Value::Object(primary_body)]),
        );
        Ok(Value::Object(body))
    }
}

/// A new column (`POST EntityDefinitions(…)/Attributes`). Start from a constructor named
/// after the type ([`ColumnDefinition::string`], [`ColumnDefinition::choice`], ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDefinition {
    /// `new_AccountNumber`, with the publisher's customization prefix.
    pub schema_name: String,
    /// `Account Number`.
    pub display_name: String,
    /// What it holds.
    pub description: Option<String>,
    /// Whether it must be filled.
    pub required_level: RequiredLevel,
    /// Its type and the type's settings.
    pub kind: ColumnKind,
    /// The language of the labels (LCID).
    pub language: i32,
    /// Add the column to this unmanaged solution (`MSCRM.SolutionUniqueName`).
    pub solution: Option<String>,
}

/// A column type and its settings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// Single line of text (`StringAttributeMetadata`).
    String {
        /// 1 to 4000.
        max_length: u32,
        /// `Text`, `Email`, `Url`, `Phone`, `TextArea`, ...
        format: String,
    },
    /// Multiple lines of text (`MemoAttributeMetadata`).
    Memo {
        /// 1 to 1,048,576.
        max_length: u32,
    },
    /// Whole number (`IntegerAttributeMetadata`).
    Integer {
        /// The smallest value allowed.
        min_value: Option<i32>,
        /// The largest value allowed.
        max_value: Option<i32>,
    },
    /// Big integer (`BigIntAttributeMetadata`).
    BigInt,
    /// Decimal number (`DecimalAttributeMetadata`).
    Decimal {
        /// Digits after the point, 0 to 10.
        precision: u8,
        /// The smallest value allowed.
        min_value: Option<f64>,
        /// The largest value allowed.
        max_value: Option<f64>,
    },
    /// Floating point number (`DoubleAttributeMetadata`).
    Double {
        /// Digits after the point, 0 to 5.
        precision: u8,
        /// The smallest value allowed.
        min_value: Option<f64>,
        /// The largest value allowed.
        max_value: Option<f64>,
    },
    /// Currency (`MoneyAttributeMetadata`).
    Money {
        /// Digits after the point, 0 to 4; `None` uses the currency's precision
        /// (`PrecisionSource` 2).
        precision: Option<u8>,
        /// The smallest value allowed.
        min_value: Option<f64>,
        /// The largest value allowed.
        max_value: Option<f64>,
    },
    /// Yes/no (`BooleanAttributeMetadata`).
    Boolean {
        /// The label of `true`.
        true_label: String,
        /// The label of `false`.
        false_label: String,
        /// The value of a new row.
        default_value: bool,
    },
    /// Date and time (`DateTimeAttributeMetadata`).
    DateTime {
        /// `DateOnly` or `DateAndTime`.
        format: DateTimeFormat,
        /// `UserLocal`, `DateOnly` (needs format `DateOnly`) or `TimeZoneIndependent`.
        behavior: DateTimeBehavior,
    },
    /// Choice with its own options (`PicklistAttributeMetadata` with an `OptionSet`).
    Choice {
        /// The options, in order.
        options: Vec<ChoiceOption>,
    },
    /// Choice using a global choice (`GlobalOptionSet@odata.bind`).
    GlobalChoice {
        /// The global option set.
        option_set: GlobalOptionSetRef,
    },
}

/// One option of a new choice column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceOption {
    /// The stored value; `None` lets the service choose one from the publisher's option
    /// value prefix (the docs recommend it).
    pub value: Option<i32>,
    /// The label.
    pub label: String,
}

impl ChoiceOption {
    /// An option with a chosen value.
    pub fn new(value: i32, label: &str) -> Self {
        ChoiceOption {
            value: Some(value),
            label: label.to_string(),
        }
    }

    /// An option whose value the service chooses.
    pub fn labelled(label: &str) -> Self {
        ChoiceOption {
            value: None,
            label: label.to_string(),
        }
    }
}

/// A global option set to bind a choice column to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobalOptionSetRef {
    /// By `MetadataId` (`/GlobalOptionSetDefinitions(<id>)`, as the docs' example binds).
    Id(Uuid),
    /// By name (`/GlobalOptionSetDefinitions(Name='…')`). UNCONFIRMED: the docs read a
    /// global option set by name but bind only by id; prefer [`GlobalOptionSetRef::Id`]
    /// against a real org.
    Name(String),
}

impl ColumnDefinition {
    fn of(schema_name: &str, display_name: &str, kind: ColumnKind) -> Self {
        ColumnDefinition {
            schema_name: schema_name.to_string(),
            display_name: display_name.to_string(),
            description: None,
            required_level: RequiredLevel::None,
            kind,
            language: DEFAULT_LANGUAGE,
            solution: None,
        }
    }

    /// Single line of text, format `Text`.
    pub fn string(schema_name: &str, display_name: &str, max_length: u32) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::String {
                max_length,
                format: "Text".into(),
            },
        )
    }

    /// Multiple lines of text.
    pub fn memo(schema_name: &str, display_name: &str, max_length: u32) -> Self {
        Self::of(schema_name, display_name, ColumnKind::Memo { max_length })
    }

    /// Whole number over the full range.
    pub fn integer(schema_name: &str, display_name: &str) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::Integer {
                min_value: None,
                max_value: None,
            },
        )
    }

    /// Big integer.
    pub fn big_int(schema_name: &str, display_name: &str) -> Self {
        Self::of(schema_name, display_name, ColumnKind::BigInt)
    }

    /// Decimal number with `precision` digits after the point.
    pub fn decimal(schema_name: &str, display_name: &str, precision: u8) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::Decimal {
                precision,
                min_value: None,
                max_value: None,
            },
        )
    }

    /// Floating point number with `precision` digits after the point.
    pub fn double(schema_name: &str, display_name: &str, precision: u8) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::Double {
                precision,
                min_value: None,
                max_value: None,
            },
        )
    }

    /// Currency in the currency's precision.
    pub fn money(schema_name: &str, display_name: &str) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::Money {
                precision: None,
                min_value: None,
                max_value: None,
            },
        )
    }

    /// Yes/no with these labels, `false` for new rows.
    pub fn boolean(
        schema_name: &str,
        display_name: &str,
        true_label: &str,
        false_label: &str,
    ) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::Boolean {
                true_label: true_label.to_string(),
                false_label: false_label.to_string(),
                default_value: false,
            },
        )
    }

    /// Date and time, shown in the user's time zone.
    pub fn date_time(schema_name: &str, display_name: &str) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::DateTime {
                format: DateTimeFormat::DateAndTime,
                behavior: DateTimeBehavior::UserLocal,
            },
        )
    }

    /// A date without time or time zone.
    pub fn date_only(schema_name: &str, display_name: &str) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::DateTime {
                format: DateTimeFormat::DateOnly,
                behavior: DateTimeBehavior::DateOnly,
            },
        )
    }

    /// Choice with its own options.
    pub fn choice(
        schema_name: &str,
        display_name: &str,
        options: impl IntoIterator<Item = ChoiceOption>,
    ) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::Choice {
                options: options.into_iter().collect(),
            },
        )
    }

    /// Choice using a global choice.
    pub fn global_choice(
        schema_name: &str,
        display_name: &str,
        option_set: GlobalOptionSetRef,
    ) -> Self {
        Self::of(
            schema_name,
            display_name,
            ColumnKind::GlobalChoice { option_set },
        )
    }

    /// What the column holds.
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_string());
        self
    }

    /// Whether it must be filled.
    pub fn required(mut self, level: RequiredLevel) -> Self {
        self.required_level = level;
        self
    }

    /// Adds the column to this unmanaged solution.
    pub fn in_solution(mut self, unique_name: &str) -> Self {
        self.solution = Some(unique_name.to_string());
        self
    }

    /// The logical name the column will have (`new_accountnumber`).
    pub fn logical_name(&self) -> String {
        self.schema_name.to_ascii_lowercase()
    }

    /// The `POST EntityDefinitions(…)/Attributes` body.
    pub fn to_body(&self) -> Result<Value> {
        check_schema_name("column schema name", &self.schema_name)?;
        required_text("column display name", &self.display_name)?;
        let (type_code, extra) = self.kind_properties()?;
        let mut body = column_common(
            type_code,
            &self.schema_name,
            &self.display_name,
            self.description.as_deref(),
            &self.required_level,
            self.language,
        );
        body.extend(extra);
        Ok(Value::Object(body))
    }

    /// The `AttributeType` and the type's own properties.
    fn kind_properties(&self) -> Result<(&'static str, Map<String, Value>)> {
        let mut p = Map::new();
        let lang = self.language;
        let code = match &self.kind {
            ColumnKind::String { max_length, format } => {
                check_range("text MaxLength", (*max_length).into(), 1, 4000)?;
                checked_name("text format", format)?;
                p.insert("FormatName".into(), json!({ "Value": format }));
                p.insert("MaxLength".into(), json!(max_length));
                "String"
            }
            ColumnKind::Memo { max_length } => {
                check_range("memo MaxLength", (*max_length).into(), 1, 1_048_576)?;
                p.insert("Format".into(), json!("TextArea"));
                p.insert("MaxLength".into(), json!(max_length));
                "Memo"
            }
            ColumnKind::Integer {
                min_value,
                max_value,
            } => {
                check_order(min_value.map(f64::from), max_value.map(f64::from))?;
                p.insert("Format".into(), json!("None"));
                insert_some(&mut p, "MinValue", min_value.map(Value::from));
                insert_some(&mut p, "MaxValue", max_value.map(Value::from));
                "Integer"
            }
            ColumnKind::BigInt => "BigInt",
            ColumnKind::Decimal {
                precision,
                min_value,
                max_value,
            } => {
                check_range("decimal Precision", (*precision).into(), 0, 10)?;
                number_range(&mut p, *min_value, *max_value)?;
                p.insert("Precision".into(), json!(precision));
                "Decimal"
            }
            ColumnKind::Double {
                precision,
                min_value,
                max_value,
            } => {
                check_range("floating point Precision", (*precision).into(), 0, 5)?;
                number_range(&mut p, *min_value, *max_value)?;
                p.insert("Precision".into(), json!(precision));
                "Double"
            }
            ColumnKind::Money {
                precision,
                min_value,
                max_value,
            } => {
                number_range(&mut p, *min_value, *max_value)?;
                match precision {
                    Some(precision) => {
                        check_range("currency Precision", (*precision).into(), 0, 4)?;
                        p.insert("Precision".into(), json!(precision));
                        p.insert("PrecisionSource".into(), json!(0));
                    }
                    None => {
                        p.insert("PrecisionSource".into(), json!(2));
                    }
                }
                "Money"
            }
            ColumnKind::Boolean {
                true_label,
                false_label,
                default_value,
            } => {
                required_text("yes/no true label", true_label)?;
                required_text("yes/no false label", false_label)?;
                p.insert("DefaultValue".into(), json!(default_value));
                p.insert(
                    "OptionSet".into(),
                    json!({
                        "@odata.type": format!("{NS}BooleanOptionSetMetadata"),
                        "TrueOption": {"Value": 1, "Label": label(true_label, lang)},
                        "FalseOption": {"Value": 0, "Label": label(false_label, lang)},
                        "OptionSetType": "Boolean"
                    }),
                );
                "Boolean"
            }
            ColumnKind::DateTime { format, behavior } => {
                if *behavior == DateTimeBehavior::DateOnly && *format != DateTimeFormat::DateOnly {
                    return Err(DataverseError::invalid(
                        "date column",
                        "the DateOnly behaviour needs the DateOnly format",
                    ));
                }
                p.insert("Format".into(), json!(format.as_str()));
                p.insert(
                    "DateTimeBehavior".into(),
                    json!({ "Value": behavior.as_str() }),
                );
                "DateTime"
            }
            ColumnKind::Choice { options } => {
                p.insert("SourceTypeMask".into(), json!(0));
                p.insert(
                    "OptionSet".into(),
                    json!({
                        "@odata.type": format!("{NS}OptionSetMetadata"),
                        "Options": choice_options(options, lang)?,
                        "IsGlobal": false,
                        "OptionSetType": "Picklist"
                    }),
                );
                "Picklist"
            }
            ColumnKind::GlobalChoice { option_set } => {
                let bind = match option_set {
                    GlobalOptionSetRef::Id(id) => format!("/GlobalOptionSetDefinitions({id})"),
                    GlobalOptionSetRef::Name(name) => format!(
                        "/GlobalOptionSetDefinitions(Name='{}')",
                        checked_name("global option set name", name)?
                    ),
                };
                p.insert("SourceTypeMask".into(), json!(0));
                p.insert("GlobalOptionSet@odata.bind".into(), json!(bind));
                "Picklist"
            }
        };
        Ok((code, p))
    }
}

/// A new alternate key (`POST EntityDefinitions(…)/Keys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDefinition {
    /// `new_AccountNumberKey`, with the publisher's customization prefix.
    pub schema_name: String,
    /// `Account number`.
    pub display_name: String,
    /// The logical names of its columns (whole number, decimal, text, date, lookup or
    /// choice columns).
    pub columns: Vec<String>,
    /// The language of the label (LCID).
    pub language: i32,
    /// Add the key to this unmanaged solution (`MSCRM.SolutionUniqueName`).
    pub solution: Option<String>,
}

impl KeyDefinition {
    /// A key on these columns.
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(
        schema_name: &str,
        display_name: &str,
        columns: I,
    ) -> Self {
        KeyDefinition {
            schema_name: schema_name.to_string(),
            display_name: display_name.to_string(),
            columns: columns
                .into_iter()
                .map(|c| c.as_ref().to_string())
                .collect(),
            language: DEFAULT_LANGUAGE,
            solution: None,
        }
    }

    /// Adds the key to this unmanaged solution.
    pub fn in_solution(mut self, unique_name: &str) -> Self {
        self.solution = Some(unique_name.to_string());
        self
    }

    /// The logical name the key will have.
    pub fn logical_name(&self) -> String {
        self.schema_name.to_ascii_lowercase()
    }

    /// The `POST EntityDefinitions(…)/Keys` body.
    pub fn to_body(&self) -> Result<Value> {
        check_schema_name("key schema name", &self.schema_name)?;
        required_text("key display name", &self.display_name)?;
        if self.columns.is_empty() {
            return Err(DataverseError::invalid(
                "key columns",
                "name at least one column's logical name",
            ));
        }
        let columns = self
            .columns
            .iter()
            .map(|c| checked_name("key column", c))
            .collect::<Result<Vec<_>>>()?;
        Ok(json!({
            "@odata.type": format!("{NS}EntityKeyMetadata"),
            "SchemaName": self.schema_name,
            "DisplayName": label(&self.display_name, self.language),
            "KeyAttributes": columns,
        }))
    }
}

/// A new global choice (`POST GlobalOptionSetDefinitions` with an `OptionSetMetadata`;
/// Learn "Create and update choices (option sets) using the Web API"). Columns then bind to
/// it with [`ColumnDefinition::global_choice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalChoiceDefinition {
    /// `new_Colors`, with the publisher's customization prefix.
    pub name: String,
    /// `Colors`.
    pub display_name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The options; a `None` value lets the service choose it (the docs recommend it).
    pub options: Vec<ChoiceOption>,
    /// The language of the labels (LCID).
    pub language: i32,
    /// Add it to this unmanaged solution (`MSCRM.SolutionUniqueName`).
    pub solution: Option<String>,
}

impl GlobalChoiceDefinition {
    /// A global choice with these options.
    pub fn new(
        name: &str,
        display_name: &str,
        options: impl IntoIterator<Item = ChoiceOption>,
    ) -> Self {
        GlobalChoiceDefinition {
            name: name.to_string(),
            display_name: display_name.to_string(),
            description: None,
            options: options.into_iter().collect(),
            language: DEFAULT_LANGUAGE,
            solution: None,
        }
    }

    /// Adds it to this unmanaged solution.
    pub fn in_solution(mut self, unique_name: &str) -> Self {
        self.solution = Some(unique_name.to_string());
        self
    }

    /// The `POST GlobalOptionSetDefinitions` body.
    pub fn to_body(&self) -> Result<Value> {
        check_schema_name("global choice name", &self.name)?;
        required_text("global choice display name", &self.display_name)?;
        let mut body = Map::new();
        body.insert(
            "@odata.type".into(),
            json!(format!("{NS}OptionSetMetadata")),
        );
        body.insert("Name".into(), json!(self.name));
        body.insert(
            "DisplayName".into(),
            label(&self.display_name, self.language),
        );
        if let Some(description) = &self.description {
            body.insert("Description".into(), label(description, self.language));
        }
        body.insert("IsGlobal".into(), json!(true));
        body.insert("OptionSetType".into(), json!("Picklist"));
        body.insert(
            "Options".into(),
            Value::Array(choice_options(&self.options, self.language)?),
        );
        Ok(Value::Object(body))
    }
}

/// A `Label` with one localized text.
pub(crate) fn label(text: &str, language: i32) -> Value {
    json!({
        "@odata.type": format!("{NS}Label"),
        "LocalizedLabels": [{
            "@odata.type": format!("{NS}LocalizedLabel"),
            "Label": text,
            "LanguageCode": language
        }]
    })
}

/// What every column body has: type, names, labels, required level.
fn column_common(
    type_code: &str,
    schema_name: &str,
    display_name: &str,
    description: Option<&str>,
    required_level: &RequiredLevel,
    language: i32,
) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert(
        "@odata.type".into(),
        json!(format!("{NS}{type_code}AttributeMetadata")),
    );
    body.insert("AttributeType".into(), json!(type_code));
    body.insert(
        "AttributeTypeName".into(),
        json!({ "Value": format!("{type_code}Type") }),
    );
    body.insert("SchemaName".into(), json!(schema_name));
    body.insert("DisplayName".into(), label(display_name, language));
    if let Some(description) = description {
        body.insert("Description".into(), label(description, language));
    }
    body.insert(
        "RequiredLevel".into(),
        json!({
            "Value": required_level.as_str(),
            "CanBeChanged": true,
            "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"
        }),
    );
    body
}

fn choice_options(options: &[ChoiceOption], language: i32) -> Result<Vec<Value>> {
    if options.is_empty() {
        return Err(DataverseError::invalid(
            "choice options",
            "give at least one option",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    options
        .iter()
        .map(|o| {
            required_text("choice option label", &o.label)?;
            if let Some(value) = o.value
                && !seen.insert(value)
            {
                return Err(DataverseError::invalid(
                    "choice options",
                    format!("the value {value} is used twice; give each option its own value"),
                ));
            }
            Ok(json!({ "Value": o.value, "Label": label(&o.label, language) }))
        })
        .collect()
}

fn insert_some(body: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    if let Some(value) = value {
        body.insert(name.into(), value);
    }
}

fn number_range(body: &mut Map<String, Value>, min: Option<f64>, max: Option<f64>) -> Result<()> {
    for (name, value) in [("MinValue", min), ("MaxValue", max)] {
        if let Some(v) = value {
            if !v.is_finite() {
                return Err(DataverseError::invalid(
                    format!("column {name}"),
                    "give a finite number",
                ));
            }
            body.insert(name.into(), json!(v));
        }
    }
    check_order(min, max)
}

fn check_order(min: Option<f64>, max: Option<f64>) -> Result<()> {
    match (min, max) {
        (Some(min), Some(max)) if min > max => Err(DataverseError::invalid(
            "column range",
            format!("MinValue {min} is above MaxValue {max}"),
        )),
        _ => Ok(()),
    }
}

fn check_range(what: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(DataverseError::invalid(
            what,
            format!("{value} is outside {min} to {max}"),
        ))
    }
}

fn required_text(what: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        Err(DataverseError::invalid(what, "give a non-empty text"))
    } else {
        Ok(())
    }
}

/// Checks a custom component's schema name and returns its customization prefix. The rule is
/// the publisher's `CustomizationPrefix` (2 to 8 letters or digits, starting with a letter,
/// not `mscrm`; Learn "Create a solution publisher"), then `_` and a name of letters, digits
/// and `_`.
fn check_schema_name<'a>(what: &str, schema_name: &'a str) -> Result<&'a str> {
    let fix = || {
        DataverseError::invalid(
            what,
            format!(
                "`{}` needs the publisher's customization prefix (2 to 8 letters or digits, starting with a letter), `_`, then letters, digits or `_`, such as new_BankAccount",
                schema_name.chars().take(64).collect::<String>()
            ),
        )
    };
    let (prefix, rest) = schema_name.split_once('_').ok_or_else(fix)?;
    let prefix_ok = (2..=8).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && !prefix.to_ascii_lowercase().starts_with("mscrm");
    let rest_ok = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if prefix_ok && rest_ok {
        Ok(prefix)
    } else {
        Err(fix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_body_has_the_documented_shape() {
        let body = TableDefinition::new("new_BankAccount", "Bank Account", "Bank Accounts")
            .description("A table to store information about customer bank accounts")
            .primary_name("new_AccountName", "Account Name")
            .to_body()
            .expect("body");
        assert_eq!(body["@odata.type"], "Microsoft.Dynamics.CRM.EntityMetadata");
        assert_eq!(body["SchemaName"], "new_BankAccount");
        assert_eq!(
            body["DisplayName"]["LocalizedLabels"][0],
            json!({"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": "Bank Account", "LanguageCode": 1033})
        );
        assert_eq!(body["OwnershipType"], "UserOwned");
        assert_eq!(body["IsActivity"], false);
        assert_eq!(body["HasNotes"], false);
        assert_eq!(body["ChangeTrackingEnabled"], false);
        let primary = &body["Attributes"][0];
        assert_eq!(
            primary["@odata.type"],
            "Microsoft.Dynamics.CRM.StringAttributeMetadata"
        );
        assert_eq!(primary["IsPrimaryName"], true);
        assert_eq!(primary["SchemaName"], "new_AccountName");
        assert_eq!(primary["FormatName"], json!({"Value": "Text"}));
        assert_eq!(primary["MaxLength"], 100);
        assert_eq!(primary["RequiredLevel"]["Value"], "None");
        let default_primary = TableDefinition::new("cts_Thing", "Thing", "Things")
            .to_body()
            .expect("body");
        assert_eq!(default_primary["Attributes"][0]["SchemaName"], "cts_Name");
    }

    #[test]
    fn bad_table_definitions_say_what_to_fix() {
        for name in [
            "BankAccount",
            "x_Bank",
            "new_",
            "new_bank-account",
            "mscrm_x",
            "1a_b",
        ] {
            let error = TableDefinition::new(name, "A", "As")
                .to_body()
                .expect_err(name);
            assert!(error.to_string().contains("prefix"), "{name}: {error}");
        }
        assert!(TableDefinition::new("new_A", "", "As").to_body().is_err());
        assert!(
            TableDefinition::new("new_A", "A", "As")
                .ownership(OwnershipType::BusinessOwned)
                .to_body()
                .is_err()
        );
        let mut long = TableDefinition::new("new_A", "A", "As");
        long.primary_name.max_length = 5000;
        assert!(long.to_body().is_err());
    }

    #[test]
    fn each_column_type_has_its_documented_properties() {
        let string = ColumnDefinition::string("sample_String", "Sample String", 100)
            .required(RequiredLevel::ApplicationRequired)
            .to_body()
            .expect("string");
        assert_eq!(
            string["@odata.type"],
            "Microsoft.Dynamics.CRM.StringAttributeMetadata"
        );
        assert_eq!(string["AttributeType"], "String");
        assert_eq!(string["AttributeTypeName"], json!({"Value": "StringType"}));
        assert_eq!(string["RequiredLevel"]["Value"], "ApplicationRequired");
        assert_eq!(string["MaxLength"], 100);
        let memo = ColumnDefinition::memo("sample_Memo", "Memo", 500)
            .to_body()
            .expect("memo");
        assert_eq!(memo["Format"], "TextArea");
        let integer = ColumnDefinition {
            kind: ColumnKind::Integer {
                min_value: Some(0),
                max_value: Some(1000),
            },
            ..ColumnDefinition::integer("sample_Integer", "Integer")
        }
        .to_body()
        .expect("integer");
        assert_eq!(
            (integer["MinValue"].clone(), integer["MaxValue"].clone()),
            (json!(0), json!(1000))
        );
        let big = ColumnDefinition::big_int("sample_BigInt", "Big")
            .to_body()
            .expect("bigint");
        assert_eq!(big["AttributeTypeName"]["Value"], "BigIntType");
        let decimal = ColumnDefinition::decimal("sample_Decimal", "Decimal", 2)
            .to_body()
            .expect("decimal");
        assert_eq!(decimal["Precision"], 2);
        assert!(
            ColumnDefinition::decimal("sample_Decimal", "Decimal", 11)
                .to_body()
                .is_err()
        );
        assert!(
            ColumnDefinition::double("sample_D", "D", 6)
                .to_body()
                .is_err()
        );
        let money = ColumnDefinition::money("sample_Money", "Money")
            .to_body()
            .expect("money");
        assert_eq!(money["PrecisionSource"], 2);
        let boolean = ColumnDefinition::boolean("sample_Boolean", "Flag", "True", "False")
            .to_body()
            .expect("boolean");
        assert_eq!(boolean["OptionSet"]["TrueOption"]["Value"], 1);
        assert_eq!(
            boolean["OptionSet"]["FalseOption"]["Label"]["LocalizedLabels"][0]["Label"],
            "False"
        );
        let date = ColumnDefinition::date_only("sample_DateTime", "Date")
            .to_body()
            .expect("date");
        assert_eq!(date["Format"], "DateOnly");
        assert_eq!(date["DateTimeBehavior"], json!({"Value": "DateOnly"}));
        let choice = ColumnDefinition::choice(
            "sample_Choice",
            "Choice",
            [
                ChoiceOption::new(727000000, "Bravo"),
                ChoiceOption::labelled("Delta"),
            ],
        )
        .to_body()
        .expect("choice");
        assert_eq!(choice["AttributeType"], "Picklist");
        assert_eq!(choice["OptionSet"]["IsGlobal"], false);
        assert_eq!(choice["OptionSet"]["Options"][0]["Value"], 727000000);
        assert_eq!(choice["OptionSet"]["Options"][1]["Value"], Value::Null);
        let id = Uuid::nil();
        let global =
            ColumnDefinition::global_choice("sample_Colors", "Colors", GlobalOptionSetRef::Id(id))
                .to_body()
                .expect("global");
        assert_eq!(
            global["GlobalOptionSet@odata.bind"],
            format!("/GlobalOptionSetDefinitions({id})")
        );
        assert!(global.get("OptionSet").is_none());
    }

    #[test]
    fn the_global_choice_body_is_a_global_option_set() {
        let body = GlobalChoiceDefinition::new(
            "sample_Colors",
            "Colors",
            [
                ChoiceOption::labelled("Red"),
                ChoiceOption::labelled("Blue"),
            ],
        )
        .to_body()
        .expect("body");
        assert_eq!(
            body["@odata.type"],
            "Microsoft.Dynamics.CRM.OptionSetMetadata"
        );
        assert_eq!(body["IsGlobal"], true);
        assert_eq!(
            body["Options"][1]["Label"]["LocalizedLabels"][0]["Label"],
            "Blue"
        );
        assert!(
            GlobalChoiceDefinition::new("Colors", "Colors", [ChoiceOption::labelled("Red")])
                .to_body()
                .is_err()
        );
    }

    #[test]
    fn bad_columns_and_keys_are_refused() {
        assert!(
            ColumnDefinition::choice("new_C", "C", [])
                .to_body()
                .is_err()
        );
        assert!(
            ColumnDefinition::choice(
                "new_C",
                "C",
                [ChoiceOption::new(1, "A"), ChoiceOption::new(1, "B")]
            )
            .to_body()
            .is_err()
        );
        let mut odd_date = ColumnDefinition::date_time("new_D", "D");
        odd_date.kind = ColumnKind::DateTime {
            format: DateTimeFormat::DateAndTime,
            behavior: DateTimeBehavior::DateOnly,
        };
        assert!(odd_date.to_body().is_err());
        assert!(
            ColumnDefinition::global_choice("new_G", "G", GlobalOptionSetRef::Name("a')/x".into()))
                .to_body()
                .is_err()
        );
        let key = KeyDefinition::new("new_AccountNumberKey", "Account number", ["new_code"])
            .to_body()
            .expect("key");
        assert_eq!(key["KeyAttributes"], json!(["new_code"]));
        assert_eq!(
            key["@odata.type"],
            "Microsoft.Dynamics.CRM.EntityKeyMetadata"
        );
        assert!(
            KeyDefinition::new("new_K", "K", Vec::<String>::new())
                .to_body()
                .is_err()
        );
        assert!(KeyDefinition::new("new_K", "K", ["a b"]).to_body().is_err());
    }
}

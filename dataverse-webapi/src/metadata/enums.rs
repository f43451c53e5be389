//! The service's enumerations as the metadata JSON writes them (`"UserOwned"`,
//! `"Picklist"`, ...). Each parses infallibly: a value this crate does not know becomes
//! `Unknown(text)` and is written back unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Declares a server enum: known variants with their wire names, plus `Unknown(String)`.
macro_rules! server_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this crate does not know, as the service wrote it.
            Unknown(String),
        }

        impl $name {
            /// The name the service uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(other) => other.as_str(),
                }
            }

            /// From the service's name (case-insensitive); anything else is `Unknown`.
            pub fn from_wire(text: &str) -> Self {
                $(if text.eq_ignore_ascii_case($wire) {
                    return $name::$variant;
                })+
                $name::Unknown(text.to_string())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok($name::from_wire(&wire_text(Value::deserialize(deserializer)?)))
            }
        }
    };
}

/// The text of an enum value: a string as it is; a number (the SDK's integer form) or
/// anything else as its JSON text, so it lands in `Unknown` rather than failing.
fn wire_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

server_enum! {
    /// Who owns a table's rows (`OwnershipTypes`).
    OwnershipType {
        /// No owner.
        None => "None",
        /// Owned by a user or team.
        UserOwned => "UserOwned",
        /// Owned by a team (internal).
        TeamOwned => "TeamOwned",
        /// Owned by a business unit (internal).
        BusinessOwned => "BusinessOwned",
        /// Owned by the organization.
        OrganizationOwned => "OrganizationOwned",
        /// Parented by a business unit (internal).
        BusinessParented => "BusinessParented",
    }
}

server_enum! {
    /// The kind of table (`TableType`).
    TableType {
        /// A standard table.
        Standard => "Standard",
        /// An activity table.
        Activity => "Activity",
        /// A virtual table.
        Virtual => "Virtual",
        /// An elastic table (Azure Cosmos DB storage).
        Elastic => "Elastic",
    }
}

server_enum! {
    /// The state of an alternate key's index (`EntityKeyIndexStatus`).
    KeyIndexStatus {
        /// Waiting for the index job.
        Pending => "Pending",
        /// The index is being built.
        InProgress => "InProgress",
        /// The key can be used.
        Active => "Active",
        /// Building the index failed (duplicate values, too large a key); fix the data and
        /// reactivate the key (`ReactivateEntityKey`).
        Failed => "Failed",
    }
}

server_enum! {
    /// A column's type (`AttributeTypeCode`).
    AttributeType {
        /// Yes/no.
        Boolean => "Boolean",
        /// Customer lookup (account or contact).
        Customer => "Customer",
        /// Date and time.
        DateTime => "DateTime",
        /// Decimal number.
        Decimal => "Decimal",
        /// Floating point number.
        Double => "Double",
        /// Whole number.
        Integer => "Integer",
        /// Lookup.
        Lookup => "Lookup",
        /// Multiple lines of text.
        Memo => "Memo",
        /// Currency.
        Money => "Money",
        /// Owner lookup.
        Owner => "Owner",
        /// Activity party list.
        PartyList => "PartyList",
        /// Choice.
        Picklist => "Picklist",
        /// Status (statecode).
        State => "State",
        /// Status reason (statuscode).
        Status => "Status",
        /// Single line of text.
        String => "String",
        /// Unique identifier.
        Uniqueidentifier => "Uniqueidentifier",
        /// Calendar rules.
        CalendarRules => "CalendarRules",
        /// Virtual (multi-select choices, images, files).
        Virtual => "Virtual",
        /// Big integer.
        BigInt => "BigInt",
        /// Managed property.
        ManagedProperty => "ManagedProperty",
        /// Table name.
        EntityName => "EntityName",
    }
}

server_enum! {
    /// How a column must be filled (`AttributeRequiredLevel`).
    RequiredLevel {
        /// Optional.
        None => "None",
        /// Required by the system.
        SystemRequired => "SystemRequired",
        /// Business required.
        ApplicationRequired => "ApplicationRequired",
        /// Business recommended.
        Recommended => "Recommended",
    }
}

server_enum! {
    /// How a date and time column stores its value (`DateTimeBehavior`).
    DateTimeBehavior {
        /// Stored in UTC, shown in the user's time zone.
        UserLocal => "UserLocal",
        /// A date without time or time zone.
        DateOnly => "DateOnly",
        /// Stored and shown as entered, without time zone.
        TimeZoneIndependent => "TimeZoneIndependent",
    }
}

server_enum! {
    /// What a date and time column shows (`DateTimeFormat`).
    DateTimeFormat {
        /// The date only.
        DateOnly => "DateOnly",
        /// Date and time.
        DateAndTime => "DateAndTime",
    }
}

server_enum! {
    /// The kind of option set (`OptionSetType`).
    OptionSetType {
        /// Choice.
        Picklist => "Picklist",
        /// Status (statecode).
        State => "State",
        /// Status reason (statuscode).
        Status => "Status",
        /// Yes/no.
        Boolean => "Boolean",
    }
}

server_enum! {
    /// The kind of relationship (`RelationshipType`).
    RelationshipType {
        /// One-to-many (and its many-to-one view).
        OneToMany => "OneToManyRelationship",
        /// Many-to-many.
        ManyToMany => "ManyToManyRelationship",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_unknown_and_numeric_values_parse() {
        let known: OwnershipType = serde_json::from_value(Value::from("UserOwned")).expect("ok");
        assert_eq!(known, OwnershipType::UserOwned);
        let unknown: TableType = serde_json::from_value(Value::from("Quantum")).expect("ok");
        assert_eq!(unknown, TableType::Unknown("Quantum".into()));
        assert_eq!(serde_json::to_value(&unknown).expect("ok"), "Quantum");
        let number: KeyIndexStatus = serde_json::from_value(Value::from(2)).expect("ok");
        assert_eq!(number, KeyIndexStatus::Unknown("2".into()));
        assert_eq!(
            AttributeType::from_wire("picklist"),
            AttributeType::Picklist
        );
    }
}

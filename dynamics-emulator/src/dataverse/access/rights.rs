//! [`Right`] (the access rights a privilege grants) and [`Depth`] (how far it reaches), and
//! the standard privilege names: `prv{Create,Read,Write,Delete,Append,AppendTo,Assign}`
//! followed by the table's privilege entity name (`prvCreateLead`, `prvReadUser`).

use crate::dataverse::metadata::model::Table;
use crate::dataverse::security::catalogue::privilege_noun;

/// An access right on a table's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Right {
    Create,
    Read,
    Write,
    Delete,
    Append,
    AppendTo,
    Assign,
}

impl Right {
    /// The verb in privilege names (`prv{verb}{entity}`).
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Read => "Read",
            Self::Write => "Write",
            Self::Delete => "Delete",
            Self::Append => "Append",
            Self::AppendTo => "AppendTo",
            Self::Assign => "Assign",
        }
    }

    /// The `AccessRights` name the service uses in record-level errors (`ReadAccess`).
    pub(crate) fn access_name(self) -> &'static str {
        match self {
            Self::Create => "CreateAccess",
            Self::Read => "ReadAccess",
            Self::Write => "WriteAccess",
            Self::Delete => "DeleteAccess",
            Self::Append => "AppendAccess",
            Self::AppendTo => "AppendToAccess",
            Self::Assign => "AssignAccess",
        }
    }
}

pub(crate) use crate::dataverse::security::depth::Depth;

/// The entity part of a table's privilege names: the catalogue's noun
/// ([`privilege_noun`]), except that a role's privilege rows are guarded by the role's
/// privileges and activity parties by the activity's.
pub(crate) fn privilege_entity(table: &Table) -> String {
    match table.logical_name.as_str() {
        "roleprivileges" | "privilege" => "Role".to_owned(),
        "activityparty" | "activitypointer" => "Activity".to_owned(),
        _ => privilege_noun(table),
    }
}

/// The privilege granting `right` on a table: `prvCreateLead`.
pub(crate) fn privilege_name(right: Right, table: &Table) -> String {
    format!("prv{}{}", right.verb(), privilege_entity(table))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any mask reads without panicking; the depth found is a bit of the mask and no deeper
        /// depth bit is set.
        #[test]
        fn any_mask_gives_its_deepest_bit(mask in any::<i64>()) {
            let bits = [(1, Depth::Basic), (2, Depth::Local), (4, Depth::Deep), (8, Depth::Global)];
            match Depth::from_mask(mask) {
                None => prop_assert_eq!(mask & 15, 0),
                Some(depth) => {
                    for (bit, other) in bits {
                        if other == depth {
                            prop_assert!(mask & bit != 0);
                        }
                        if other > depth {
                            prop_assert_eq!(mask & bit, 0);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn standard_names() {
        let catalog = crate::dataverse::metadata::catalog::Catalog::from_specs(
            crate::dataverse::metadata::builtin::builtin_tables(),
        )
        .expect("built-in catalogue");
        let name = |right, table: &str| {
            let index = catalog.by_logical(table).expect("built-in table");
            privilege_name(right, catalog.table(index))
        };
        assert_eq!(name(Right::Create, "lead"), "prvCreateLead");
        assert_eq!(name(Right::Read, "systemuser"), "prvReadUser");
        assert_eq!(name(Right::AppendTo, "task"), "prvAppendToActivity");
        assert_eq!(name(Right::Write, "activityparty"), "prvWriteActivity");
        assert_eq!(name(Right::Read, "asyncoperation"), "prvReadAsyncOperation");
        assert_eq!(name(Right::Assign, "role"), "prvAssignRole");
        assert_eq!(name(Right::Create, "roleprivileges"), "prvCreateRole");
    }

    #[test]
    fn the_deepest_bit_of_a_mask_wins() {
        assert_eq!(Depth::from_mask(1), Some(Depth::Basic));
        assert_eq!(Depth::from_mask(2), Some(Depth::Local));
        assert_eq!(Depth::from_mask(4 | 1), Some(Depth::Deep));
        assert_eq!(Depth::from_mask(15), Some(Depth::Global));
        assert_eq!(Depth::from_mask(0), None);
        assert_eq!(Depth::from_mask(16), None);
        assert_eq!(Depth::from_mask(-1), Some(Depth::Global));
        assert!(Depth::Basic < Depth::Global);
    }
}

//! [`Depth`]: how far a privilege reaches (User, Business Unit, Parent: Child Business Units,
//! Organization), in every form the service and solution files write it.

use serde_json::Value;

/// A privilege depth. The Web API's `PrivilegeDepth` enum numbers them 0 to 3; the
/// `roleprivileges.privilegedepthmask` column stores them as bits 1, 2, 4 and 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Depth {
    /// User (own records).
    Basic,
    /// Business Unit.
    Local,
    /// Parent: Child Business Units.
    Deep,
    /// Organization.
    Global,
}

impl Depth {
    /// All depths, shallowest first.
    pub(crate) const ALL: [Self; 4] = [Self::Basic, Self::Local, Self::Deep, Self::Global];

    /// The name the role editor shows.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Basic => "Basic (User)",
            Self::Local => "Local (Business Unit)",
            Self::Deep => "Deep (Parent: Child Business Units)",
            Self::Global => "Global (Organization)",
        }
    }

    /// The `privilegedepthmask` bit.
    pub(crate) fn mask(self) -> i64 {
        match self {
            Self::Basic => 1,
            Self::Local => 2,
            Self::Deep => 4,
            Self::Global => 8,
        }
    }

    /// The depth of a `privilegedepthmask` value: its deepest bit (a mask is one bit in
    /// practice).
    pub(crate) fn from_mask(mask: i64) -> Option<Self> {
        Self::ALL.into_iter().rev().find(|d| mask & d.mask() != 0)
    }

    /// The `PrivilegeDepth` member name (`Basic`, `Local`, `Deep`, `Global`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::Local => "Local",
            Self::Deep => "Deep",
            Self::Global => "Global",
        }
    }

    /// The name in the privilege catalogue's `canbe*` columns.
    pub(crate) fn can_be_column(self) -> &'static str {
        match self {
            Self::Basic => "canbebasic",
            Self::Local => "canbelocal",
            Self::Deep => "canbedeep",
            Self::Global => "canbeglobal",
        }
    }

    /// Reads a depth name, case-insensitively. Solution files write `Basic`, `Local`, `Deep`,
    /// `Global`; the UI's names (`User`, `BusinessUnit`, `ParentChild`, `Organization`) are
    /// accepted too.
    pub(crate) fn parse_name(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        match lower.as_str() {
            "basic" | "user" | "0" => Some(Self::Basic),
            "local" | "businessunit" | "business unit" | "1" => Some(Self::Local),
            "deep" | "parentchild" | "parent: child business units" | "2" => Some(Self::Deep),
            "global" | "organization" | "3" => Some(Self::Global),
            _ => None,
        }
    }

    /// Reads the `Depth` of a `RolePrivilege` in a request: the enum member name or its
    /// number 0 to 3 (OData JSON sends enum members as strings; numbers are accepted too).
    pub(crate) fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(text) => Self::parse_name(text),
            Value::Number(n) => match n.as_i64()? {
                0 => Some(Self::Basic),
                1 => Some(Self::Local),
                2 => Some(Self::Deep),
                3 => Some(Self::Global),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::Depth;

    #[test]
    fn every_form_reads() {
        assert_eq!(Depth::from_json(&json!("Global")), Some(Depth::Global));
        assert_eq!(Depth::from_json(&json!(0)), Some(Depth::Basic));
        assert_eq!(Depth::from_json(&json!(4)), None);
        assert_eq!(Depth::from_json(&json!(true)), None);
        assert_eq!(Depth::parse_name("local"), Some(Depth::Local));
        assert_eq!(Depth::from_mask(8), Some(Depth::Global));
        assert_eq!(Depth::from_mask(0), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn masks_round_trip_and_unknown_text_is_refused(text in ".{0,12}", index in 0usize..4) {
            let depth = Depth::ALL[index];
            prop_assert_eq!(Depth::from_mask(depth.mask()), Some(depth));
            prop_assert_eq!(Depth::parse_name(depth.name()), Some(depth));
            if let Some(parsed) = Depth::parse_name(&text) {
                prop_assert!(Depth::ALL.contains(&parsed));
            }
        }
    }
}

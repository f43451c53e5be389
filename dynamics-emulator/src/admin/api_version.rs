//! The two versions of the Online Management API and how each writes enums.

use serde_json::Value;

use crate::wire_enum::WireEnum;

/// Which Online Management API version a request used (`/api/v1/` or `/api/v1.2/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiVersion {
    /// `/api/v1/`: enums are written as integers (their position in the spec's enum).
    V1,
    /// `/api/v1.2/`: enums are written as strings.
    V1_2,
}

impl ApiVersion {
    /// The path segment: `v1` or `v1.2`.
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V1_2 => "v1.2",
        }
    }

    /// An enum value as this version writes it: its position (v1) or its name (v1.2), as the
    /// specs' examples do.
    pub(crate) fn enum_value<E: WireEnum>(self, value: E) -> Value {
        match self {
            Self::V1 => Value::from(value.index()),
            Self::V1_2 => Value::from(value.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::seed::InstanceState;

    #[test]
    fn v1_writes_positions_and_v1_2_names() {
        assert_eq!(ApiVersion::V1.enum_value(InstanceState::Pending), json!(2));
        assert_eq!(
            ApiVersion::V1_2.enum_value(InstanceState::Pending),
            json!("Pending")
        );
        assert_eq!(ApiVersion::V1_2.segment(), "v1.2");
    }
}

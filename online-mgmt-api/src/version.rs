//! The two published versions of the Online Management API.

use std::fmt;
use std::str::FromStr;

use crate::AdminError;

/// A version of the Online Management API.
///
/// v1.2 is a superset of v1: it adds `ApplyUser`, instance reset and configuration, tenant
/// protection keys, notifications and the operation query. Calls that exist only in v1.2 fail
/// with [`AdminError::NotSupported`] on a v1 client, before any request is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    /// `/api/v1/`, the first published version.
    V1,
    /// `/api/v1.2/`, the last published version (the default).
    #[default]
    V1_2,
}

impl ApiVersion {
    /// Both versions, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V1_2];

    /// The version as written in paths and messages: `v1` or `v1.2`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V1_2 => "v1.2",
        }
    }

    /// The path every operation of this version lives under: `/api/v1/` or `/api/v1.2/`.
    pub fn base_path(self) -> &'static str {
        match self {
            ApiVersion::V1 => "/api/v1/",
            ApiVersion::V1_2 => "/api/v1.2/",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = AdminError;

    /// Accepts `v1`, `1`, `1.0`, `v1.2`, `1.2` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        match key.trim_start_matches('v') {
            "1" | "1.0" => Ok(ApiVersion::V1),
            "1.2" => Ok(ApiVersion::V1_2),
            _ => Err(AdminError::InvalidInput {
                what: format!("API version `{s}`"),
                fix: "use v1 or v1.2".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_print() {
        for v in ApiVersion::ALL {
            assert_eq!(v.as_str().parse::<ApiVersion>().expect("parses"), v);
        }
        assert_eq!("1.2".parse::<ApiVersion>().expect("ok"), ApiVersion::V1_2);
        assert_eq!(ApiVersion::default(), ApiVersion::V1_2);
        assert_eq!(ApiVersion::V1.base_path(), "/api/v1/");
        let err = "v2".parse::<ApiVersion>().expect_err("unknown");
        assert!(err.to_string().contains("v1.2"), "{err}");
    }
}

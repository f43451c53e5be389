//! [`AccountId`]: the connector platform's own id for one customer connection.

use std::fmt;

use crate::ConnectorError;

/// Longest account id accepted.
const MAX_LEN: usize = 200;

/// The platform's id for one customer connection (its key in the token store). Printable
/// ASCII without spaces, 1 to 200 characters: it appears in logs and errors, so it must not
/// be personal data (use the platform's own connection id, not an e-mail address).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Validates an id.
    pub fn new(id: impl Into<String>) -> Result<Self, ConnectorError> {
        let id = id.into();
        let printable = id.bytes().all(|b| b.is_ascii_graphic());
        if id.is_empty() || id.len() > MAX_LEN || !printable {
            let shown: String = id.chars().take(40).collect();
            return Err(ConnectorError::invalid(
                "account id",
                shown,
                "use 1 to 200 printable ASCII characters without spaces, such as the platform's connection id",
            ));
        }
        Ok(AccountId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AccountId {
    type Err = ConnectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountId::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_printable_and_bounded() {
        assert!(AccountId::new("conn-42").is_ok());
        assert!(AccountId::new("").is_err());
        assert!(AccountId::new("has space").is_err());
        assert!(AccountId::new("x".repeat(201)).is_err());
        assert!(AccountId::new("tab\there").is_err());
    }
}

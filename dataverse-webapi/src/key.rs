//! How a row is addressed: by id or by alternate key; and reading `OData-EntityId`.

use url::Url;
use uuid::Uuid;

use crate::error::{DataverseError, Result};
use crate::query::{Literal, check_column, encode};

/// A row's address within its entity set.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordKey {
    /// The primary key.
    Id(Uuid),
    /// An alternate key: column/value pairs.
    Alternate(Vec<(String, Literal)>),
}

impl RecordKey {
    /// An alternate key.
    pub fn alternate<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Literal>,
    {
        RecordKey::Alternate(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// `(guid)` or `(key1='value',key2=2)`, encoded for a URL path.
    pub fn segment(&self) -> Result<String> {
        match self {
            RecordKey::Id(id) => Ok(format!("({id})")),
            RecordKey::Alternate(pairs) if pairs.is_empty() => Err(DataverseError::invalid(
                "alternate key",
                "give at least one column/value pair",
            )),
            RecordKey::Alternate(pairs) => {
                let mut parts = Vec::with_capacity(pairs.len());
                for (column, value) in pairs {
                    let column = check_column(column)
                        .map_err(|fix| DataverseError::invalid("alternate key", fix))?;
                    parts.push(format!("{column}={}", encode::path_value(&value.render()?)));
                }
                Ok(format!("({})", parts.join(",")))
            }
        }
    }
}

impl From<Uuid> for RecordKey {
    fn from(id: Uuid) -> Self {
        RecordKey::Id(id)
    }
}

/// Reads `OData-EntityId: https://org/api/data/v9.2/accounts(7eb6...)` into the entity set and
/// id, refusing a URL outside the org.
pub fn parse_entity_id(api_root: &Url, header: &str) -> Result<(String, Uuid)> {
    let url = Url::parse(header.trim())
        .or_else(|_| api_root.join(header.trim()))
        .map_err(|_| DataverseError::UnexpectedResponse("OData-EntityId is not a URL".into()))?;
    if url.origin() != api_root.origin() {
        return Err(DataverseError::ForeignLink {
            link: dynamics_http::redacted_url(&url),
        });
    }
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default()
        .to_string();
    let (set, rest) = last.split_once('(').ok_or_else(|| {
        DataverseError::UnexpectedResponse(format!("OData-EntityId `{last}` has no key"))
    })?;
    let id = rest.trim_end_matches(')');
    let id = Uuid::parse_str(id).map_err(|_| {
        DataverseError::UnexpectedResponse(format!("OData-EntityId key `{id}` is not a GUID"))
    })?;
    Ok((set.to_string(), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_segments() {
        let id = Uuid::parse_str("7eb682f1-ca75-e511-80d4-00155d2a68d1").expect("guid");
        assert_eq!(
            RecordKey::Id(id).segment().expect("ok"),
            "(7eb682f1-ca75-e511-80d4-00155d2a68d1)"
        );
        let k = RecordKey::alternate([
            ("accountnumber", Literal::from("A/1 O'B")),
            ("region", Literal::from(3)),
        ]);
        assert_eq!(
            k.segment().expect("ok"),
            "(accountnumber='A%2F1%20O''B',region=3)"
        );
        assert!(RecordKey::Alternate(vec![]).segment().is_err());
        assert!(
            RecordKey::alternate([("bad)", Literal::from(1))])
                .segment()
                .is_err()
        );
    }

    #[test]
    fn entity_ids_are_read_and_foreign_ones_refused() {
        let root = Url::parse("https://contoso.crm.dynamics.com/api/data/v9.2/").expect("url");
        let (set, id) = parse_entity_id(
            &root,
            "https://contoso.crm.dynamics.com/api/data/v9.2/accounts(7eb682f1-ca75-e511-80d4-00155d2a68d1)",
        )
        .expect("parses");
        assert_eq!(set, "accounts");
        assert_eq!(id.to_string(), "7eb682f1-ca75-e511-80d4-00155d2a68d1");
        let foreign = parse_entity_id(
            &root,
            "https://evil.example.com/api/data/v9.2/accounts(7eb682f1-ca75-e511-80d4-00155d2a68d1)",
        );
        assert!(matches!(foreign, Err(DataverseError::ForeignLink { .. })));
        assert!(
            parse_entity_id(
                &root,
                "https://contoso.crm.dynamics.com/api/data/v9.2/accounts"
            )
            .is_err()
        );
    }
}

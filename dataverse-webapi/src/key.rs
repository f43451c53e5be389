//! How a row is addressed: by id or by alternate key; and reading `OData-EntityId`.

use std::fmt;

use url::Url;
use uuid::Uuid;

use crate::error::{DataverseError, Result};
use crate::query::{Literal, checked, encode};

/// A row's address within its entity set.
///
/// `Debug` shows the id, or only the column names of an alternate key: alternate keys are
/// often personal data (an email address, an account number).
#[derive(Clone, PartialEq)]
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
                    let column = checked("alternate key", column)?;
                    parts.push(format!("{column}={}", encode::path_value(&value.render()?)));
                }
                Ok(format!("({})", parts.join(",")))
            }
        }
    }
}

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordKey::Id(id) => f.debug_tuple("Id").field(id).finish(),
            RecordKey::Alternate(pairs) => f
                .debug_tuple("Alternate")
                .field(&pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
                .finish(),
        }
    }
}

impl From<Uuid> for RecordKey {
    fn from(id: Uuid) -> Self {
        RecordKey::Id(id)
    }
}

/// Reads `OData-EntityId` or `Location` (`https://org/api/data/v9.2/accounts(7eb6...)`, or
/// with an alternate key after an upsert by key: `accounts(accountnumber='A1')`; a relative
/// reference is resolved against `api_root`) into the entity set and key, refusing a URL
/// outside the org.
pub fn parse_entity_id(api_root: &Url, header: &str) -> Result<(String, RecordKey)> {
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
        .unwrap_or_default();
    let last = percent_encoding::percent_decode_str(last)
        .decode_utf8_lossy()
        .into_owned();
    // The messages leave the header out: a key can be personal data, and the header is the
    // service's to fill.
    let (set, rest) = last.split_once('(').ok_or_else(|| {
        DataverseError::UnexpectedResponse("the row's URL (OData-EntityId) has no key".into())
    })?;
    let inner = rest.strip_suffix(')').ok_or_else(|| {
        DataverseError::UnexpectedResponse(
            "the row's URL (OData-EntityId) has no closing parenthesis".into(),
        )
    })?;
    if let Ok(id) = Uuid::parse_str(inner) {
        return Ok((set.to_string(), RecordKey::Id(id)));
    }
    let pairs = split_key_pairs(inner).ok_or_else(|| {
        DataverseError::UnexpectedResponse(
            "the key in the row's URL (OData-EntityId) cannot be read".into(),
        )
    })?;
    Ok((set.to_string(), RecordKey::Alternate(pairs)))
}

/// `a='x,y',b=2` into pairs, respecting quotes.
fn split_key_pairs(inner: &str) -> Option<Vec<(String, Literal)>> {
    let mut pairs = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let (raw, remaining) = if let Some(quoted) = after.strip_prefix('\'') {
            let mut value = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().map(|(_, n)| *n) == Some('\'') {
                        value.push('\'');
                        chars.next();
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            let end = end?;
            (Literal::String(value), &quoted[end..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            let token = &after[..end];
            let literal = match (Uuid::parse_str(token), token.parse::<i64>()) {
                (Ok(g), _) => Literal::Guid(g),
                (_, Ok(n)) => Literal::Int(n),
                _ => match token {
                    "true" => Literal::Bool(true),
                    "false" => Literal::Bool(false),
                    "null" => Literal::Null,
                    _ => Literal::Decimal(token.to_string()),
                },
            };
            (literal, &after[end..])
        };
        pairs.push((name.trim().to_string(), raw));
        rest = remaining.strip_prefix(',').unwrap_or(remaining);
        if !remaining.is_empty() && !remaining.starts_with(',') {
            return None;
        }
    }
    (!pairs.is_empty()).then_some(pairs)
}

impl RecordKey {
    /// The id, when the key is the primary key.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            RecordKey::Id(id) => Some(*id),
            RecordKey::Alternate(_) => None,
        }
    }
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
        assert_eq!(
            id.id().map(|i| i.to_string()).as_deref(),
            Some("7eb682f1-ca75-e511-80d4-00155d2a68d1")
        );
        let (_, alternate) = parse_entity_id(
            &root,
            "https://contoso.crm.dynamics.com/api/data/v9.2/accounts(accountnumber='A%2C1%20O''B',region=3)",
        )
        .expect("alternate key");
        assert_eq!(
            alternate,
            RecordKey::alternate([
                ("accountnumber", Literal::from("A,1 O'B")),
                ("region", Literal::from(3))
            ])
        );
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

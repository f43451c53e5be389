//! The resource path after `/api/data/v9.x/`: segments such as `accounts(…)`,
//! `sample_things(key1=1,key2='a')`, `Account_Tasks`, `$ref`, `$count`, `WhoAmI()`.

use uuid::Uuid;

use super::filter_parser::parse_literal;
use super::literal::Literal;
use super::query_string::decode_path;
use crate::dataverse::errors::ApiError;

/// The key in parentheses after a segment name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    /// `()` (a function call).
    Empty,
    /// A primary key.
    Id(Uuid),
    /// Alternate key values `name=value,…` (or `LogicalName='x'` for metadata).
    Values(Vec<(String, Literal)>),
}

/// One path segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub(crate) name: String,
    pub(crate) key: Option<Key>,
}

/// Parses a path (percent-encoded, without leading `/`).
pub(crate) fn parse_path(raw: &str) -> Result<Vec<Segment>, ApiError> {
    let decoded = decode_path(raw);
    split_outside_quotes(&decoded, '/')
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| parse_segment(&s))
        .collect()
}

fn parse_segment(text: &str) -> Result<Segment, ApiError> {
    let Some(open) = text.find('(') else {
        return Ok(Segment {
            name: text.to_owned(),
            key: None,
        });
    };
    let Some(inner) = text[open + 1..].strip_suffix(')') else {
        return Err(ApiError::bad_request(format!(
            "Bad Request - Error in query syntax: the segment '{text}' is not well formed."
        )));
    };
    let name = text[..open].to_owned();
    let inner = inner.trim();
    if inner.is_empty() {
        return Ok(Segment {
            name,
            key: Some(Key::Empty),
        });
    }
    let bare = inner.trim_matches(['{', '}']);
    if let Ok(id) = Uuid::parse_str(bare)
        && bare.len() == 36
    {
        return Ok(Segment {
            name,
            key: Some(Key::Id(id)),
        });
    }
    let mut values = Vec::new();
    for part in split_outside_quotes(inner, ',') {
        let Some((key, value)) = part.split_once('=') else {
            return match parse_literal(part.trim())? {
                Literal::Guid(id) => Ok(Segment {
                    name,
                    key: Some(Key::Id(id)),
                }),
                _ => Err(ApiError::bad_request(format!(
                    "The key value '{part}' of segment '{text}' is not valid."
                ))),
            };
        };
        let value = value.trim();
        // A parameter alias (`RoleId=@p1`) stays as its name; the function reads the alias.
        if value.starts_with('@') && value.len() > 1 {
            values.push((key.trim().to_owned(), Literal::Text(value.to_owned())));
            continue;
        }
        values.push((key.trim().to_owned(), parse_literal(value)?));
    }
    Ok(Segment {
        name,
        key: Some(Key::Values(values)),
    })
}

fn split_outside_quotes(text: &str, separator: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == separator && !quoted && (separator == ',' || depth == 0) {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_keys() {
        let id = "00000000-0000-0000-0000-000000000001";
        let path = parse_path(&format!("accounts({id})/Account_Tasks/$ref")).expect("parses");
        assert_eq!(path.len(), 3);
        assert_eq!(path[0].key, Some(Key::Id(Uuid::parse_str(id).expect("id"))));
        assert_eq!(path[2].name, "$ref");
        let path = parse_path("sample_things(sample_key1=1,sample_key2='a/b,c')").expect("parses");
        assert_eq!(
            path[0].key,
            Some(Key::Values(vec![
                ("sample_key1".into(), Literal::Int(1)),
                ("sample_key2".into(), Literal::Text("a/b,c".into()))
            ]))
        );
        assert_eq!(
            parse_path("WhoAmI()").expect("parses")[0].key,
            Some(Key::Empty)
        );
        assert!(parse_path("accounts(").is_err());
    }
}

//! The query string: `&`-separated pairs, percent-decoded the way the service does it (`+` is a
//! space, which is why values with `+` must be sent as `%2B`). The raw pairs are kept so that
//! `@odata.nextLink` can repeat the client's options verbatim.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

/// One `key=value` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryPair {
    /// As received (still encoded).
    pub(crate) raw: String,
    /// Decoded key.
    pub(crate) key: String,
    /// Decoded value.
    pub(crate) value: String,
}

/// A parsed query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueryString {
    pub(crate) pairs: Vec<QueryPair>,
    /// Decoded key to the index of its first pair, so that looking up a key (a parameter alias
    /// used many times in one `$filter`) does not scan every pair.
    first: HashMap<String, usize>,
}

impl QueryString {
    /// Parses a raw query string (without `?`).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|piece| !piece.is_empty())
            .map(|piece| {
                let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
                QueryPair {
                    raw: piece.to_owned(),
                    key: decode(key),
                    value: decode(value),
                }
            })
            .collect::<Vec<_>>();
        let mut first = HashMap::with_capacity(pairs.len());
        for (index, pair) in pairs.iter().enumerate() {
            first.entry(pair.key.clone()).or_insert(index);
        }
        Self { pairs, first }
    }

    /// The decoded value of the first pair with this key.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.first
            .get(key)
            .and_then(|&index| self.pairs.get(index))
            .map(|p| p.value.as_str())
    }

    /// The raw pairs without those whose key is in `drop`, joined with `&`.
    pub(crate) fn raw_without(&self, drop: &[&str]) -> String {
        self.pairs
            .iter()
            .filter(|p| !drop.contains(&p.key.as_str()))
            .map(|p| p.raw.as_str())
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-decodes a query component, reading `+` as a space; invalid UTF-8 is replaced.
pub(crate) fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Percent-decodes a path segment (`+` stays `+`).
pub(crate) fn decode_path(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_keeps_raw() {
        let q = QueryString::parse(Some(
            "$select=name&$filter=contains(name,'a%20b')%20&fetchXml=%3Cfetch+page%3D%221%22",
        ));
        assert_eq!(q.get("$filter"), Some("contains(name,'a b') "));
        assert_eq!(q.get("fetchXml"), Some("<fetch page=\"1\""));
        assert_eq!(q.raw_without(&["$filter", "fetchXml"]), "$select=name");
    }

    #[test]
    fn get_answers_the_first_pair_of_a_repeated_key() {
        let q = QueryString::parse(Some("@p1=1&@p2=2&@p1=3"));
        assert_eq!(q.get("@p1"), Some("1"));
        assert_eq!(q.get("@p2"), Some("2"));
        assert_eq!(q.get("@p3"), None);
    }
}

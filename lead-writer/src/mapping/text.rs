//! Text helpers for the mapping: the subject template, fitting a value to a column, names.

use crate::error::{Error, Result};

use super::TooLong;

/// A placeholder of the subject template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placeholder {
    Offer,
    OfferId,
    Action,
    ActionCode,
    Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece<'a> {
    Text(&'a str),
    Value(Placeholder),
}

/// A parsed subject template: literal text and `{placeholder}`s.
#[derive(Debug)]
pub(super) struct Template<'a>(pub(super) Vec<Piece<'a>>);

impl<'a> Template<'a> {
    pub(super) fn parse(template: &'a str) -> Result<Self> {
        let mut pieces = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(unbalanced(template));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(unbalanced(template));
            };
            let name = &rest[open + 1..open + close];
            let placeholder = match name {
                "offer" => Placeholder::Offer,
                "offer_id" => Placeholder::OfferId,
                "action" => Placeholder::Action,
                "action_code" => Placeholder::ActionCode,
                "source" => Placeholder::Source,
                _ => {
                    return Err(Error::config(format!(
                        "subject_template has an unknown placeholder {{{name}}}; use {{offer}}, {{offer_id}}, {{action}}, {{action_code}} or {{source}}"
                    )));
                }
            };
            if open > 0 {
                pieces.push(Piece::Text(&rest[..open]));
            }
            pieces.push(Piece::Value(placeholder));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest));
        }
        Ok(Template(pieces))
    }
}

fn unbalanced(template: &str) -> Error {
    Error::config(format!(
        "subject_template \"{template}\" has a `{{` or `}}` that does not enclose a placeholder"
    ))
}

/// A value's length as Dataverse counts it (.NET strings: UTF-16 code units).
pub(super) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Fits `value` into `max` UTF-16 code units, or refuses, per `policy`.
pub(super) fn fit(
    column: &str,
    value: String,
    max: Option<usize>,
    policy: TooLong,
    marker: &str,
) -> Result<String> {
    let Some(max) = max else {
        return Ok(value);
    };
    let length = utf16_len(&value);
    if length <= max {
        return Ok(value);
    }
    match policy {
        TooLong::Refuse => Err(Error::ValueTooLong {
            column: column.to_owned(),
            length,
            max,
        }),
        TooLong::Truncate => {
            let marker_len = utf16_len(marker);
            if marker_len >= max {
                return Ok(prefix(&value, max).to_owned());
            }
            let mut cut = prefix(&value, max - marker_len).trim_end().to_owned();
            cut.push_str(marker);
            Ok(cut)
        }
    }
}

/// The longest prefix of whole characters within `units` UTF-16 code units.
fn prefix(text: &str, units: usize) -> &str {
    let mut used = 0;
    for (index, c) in text.char_indices() {
        used += c.len_utf16();
        if used > units {
            return &text[..index];
        }
    }
    text
}

/// Splits a full name: the last word is the last name, the words before it the first name.
/// One word is a last name only (`lastname` is the table's required name column).
/// UNCONFIRMED for names written family-name first; those come out reversed.
pub(super) fn split_full_name(full: &str) -> (Option<String>, Option<String>) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.split_last() {
        None => (None, None),
        Some((last, [])) => (None, Some((*last).to_owned())),
        Some((last, first)) => (Some(first.join(" ")), Some((*last).to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_pieces() {
        let template = Template::parse("Lead: {offer} ({action}) via {source}").unwrap();
        assert_eq!(
            template.0,
            vec![
                Piece::Text("Lead: "),
                Piece::Value(Placeholder::Offer),
                Piece::Text(" ("),
                Piece::Value(Placeholder::Action),
                Piece::Text(") via "),
                Piece::Value(Placeholder::Source),
            ]
        );
        for bad in ["{offer", "offer}", "{}", "{{offer}}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fit_truncates_with_marker_or_refuses() {
        let long = "abcdefghij".to_owned();
        assert_eq!(
            fit("c", long.clone(), Some(10), TooLong::Refuse, "…").unwrap(),
            long
        );
        assert_eq!(
            fit("c", long.clone(), Some(5), TooLong::Truncate, "…").unwrap(),
            "abcd…"
        );
        assert_eq!(
            fit("c", long.clone(), Some(5), TooLong::Refuse, "…").unwrap_err(),
            Error::ValueTooLong {
                column: "c".into(),
                length: 10,
                max: 5
            }
        );
        assert_eq!(
            fit("c", long.clone(), Some(2), TooLong::Truncate, "[cut]").unwrap(),
            "ab"
        );
        assert_eq!(
            fit("c", long.clone(), None, TooLong::Refuse, "…").unwrap(),
            long
        );
    }

    #[test]
    fn fit_counts_utf16_and_never_splits_a_character() {
        // Each emoji is two UTF-16 units: four units of budget after the marker hold two.
        let value = "😀😀😀😀".to_owned();
        let fitted = fit("c", value, Some(5), TooLong::Truncate, "…").unwrap();
        assert_eq!(fitted, "😀😀…");
        assert!(utf16_len(&fitted) <= 5);
    }

    #[test]
    fn full_names_split_on_the_last_word() {
        assert_eq!(
            split_full_name(" Ada  King Lovelace "),
            (Some("Ada King".into()), Some("Lovelace".into()))
        );
        assert_eq!(split_full_name("Cher"), (None, Some("Cher".into())));
        assert_eq!(split_full_name("  "), (None, None));
    }
}

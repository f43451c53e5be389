//! Reads a TOML config file with the same keys as the old utility's `<appSettings>`
//! (`AadApplicationId = "..."`, `ServiceURL = "EMEA"`, ...), at the top level.

use std::fmt;

/// What is wrong with the TOML, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TomlError {
    /// What is wrong and what to do about it.
    pub(crate) message: String,
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses the file's text into `(key, value)` pairs, in file order. Values must be strings;
/// integers and booleans are taken as their text, anything else is refused.
pub(crate) fn parse(text: &str) -> Result<Vec<(String, String)>, TomlError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let table: ::toml::Table = ::toml::from_str(text).map_err(|e| TomlError {
        message: format!("not valid TOML: {}", one_line(&e.to_string())),
    })?;
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table {
        let text = match value {
            ::toml::Value::String(s) => s,
            ::toml::Value::Integer(i) => i.to_string(),
            ::toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(TomlError {
                    message: format!(
                        "`{key}` is a {}, but every setting is a string: write {key} = \"...\" \
                         at the top of the file",
                        other.type_str()
                    ),
                });
            }
        };
        entries.push((key, text));
    }
    Ok(entries)
}

/// The toml crate's messages span several lines (a source excerpt with a caret); keep the
/// first line and the location so the error stays one line.
fn one_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("syntax error").to_owned();
    let detail = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.starts_with("-->"))
        .nth(1)
        .filter(|l| l.chars().any(char::is_alphabetic) && !l.contains('|'));
    let location = message
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .map(str::to_owned);
    let mut out = first;
    if let Some(detail) = detail {
        out = format!("{out}: {detail}");
    }
    if let Some(location) = location {
        out = format!("{out} (at {location})");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sample_shipped_with_the_crate() {
        let entries = parse(include_str!("../../examples/d365.toml")).expect("parses");
        assert!(entries.iter().any(|(k, _)| k == "AadApplicationId"));
        assert!(entries.iter().any(|(k, _)| k == "ServiceURL"));
    }

    #[test]
    fn strings_numbers_and_booleans_are_taken() {
        let entries =
            parse("\u{FEFF}# comment\nServiceURL = \"EMEA\"\nA = 1\nB = true\n").expect("parses");
        assert_eq!(
            entries,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "true".into()),
                ("ServiceURL".into(), "EMEA".into()),
            ]
        );
    }

    #[test]
    fn tables_and_syntax_errors_are_refused_on_one_line() {
        let err = parse("[appSettings]\nServiceURL = \"EMEA\"\n").expect_err("table");
        assert!(err.message.contains("`appSettings` is a table"), "{err}");
        let err = parse("ServiceURL = EMEA\n").expect_err("unquoted");
        assert!(err.message.starts_with("not valid TOML"), "{err}");
        assert!(!err.message.contains('\n'), "{err}");
    }
}

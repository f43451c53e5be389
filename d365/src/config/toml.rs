//! Reads a TOML config file with the same keys as the old utility's `<appSettings>`
//! (`AadApplicationId = "..."`, `ServiceURL = "EMEA"`, ...), at the top level.

/// Why a TOML config file was not read. Messages give the line and column and never quote
/// the file's values, which may be secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum TomlError {
    /// The text is not TOML.
    #[error("not valid TOML{}: {problem}", location(*.at))]
    Syntax {
        /// 1-based line and column, when the parser said where.
        at: Option<(usize, usize)>,
        /// The parser's description, first line only.
        problem: String,
    },
    /// A top-level value that is a table, array, float or date.
    #[error(
        "`{key}` is a {kind}, but every setting is a string: write {key} = \"...\" at the top \
         of the file"
    )]
    NotText {
        /// The key.
        key: String,
        /// The TOML type found.
        kind: &'static str,
    },
    /// Two keys that differ only in case (`ServiceURL` and `serviceurl`): settings are
    /// matched without regard to case, so which one applies would be arbitrary.
    #[error(
        "`{first}` and `{second}` name the same setting (keys are matched without regard to \
         case): keep one of them"
    )]
    DuplicateKey {
        /// The key that sorts first.
        first: String,
        /// The other spelling.
        second: String,
    },
}

/// ` at line L, column C`, or nothing.
fn location(at: Option<(usize, usize)>) -> String {
    at.map(|(line, column)| format!(" at line {line}, column {column}"))
        .unwrap_or_default()
}

/// Parses the file's text into `(key, value)` pairs, sorted by key. Values must be strings;
/// integers and booleans are taken as their text, anything else is refused.
pub(crate) fn parse(text: &str) -> Result<Vec<(String, String)>, TomlError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let table: ::toml::Table = ::toml::from_str(text).map_err(|e| syntax_error(text, &e))?;
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table {
        let text = match value {
            ::toml::Value::String(s) => s,
            ::toml::Value::Integer(i) => i.to_string(),
            ::toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(TomlError::NotText {
                    key,
                    kind: other.type_str(),
                });
            }
        };
        entries.push((key, text));
    }
    let mut seen = std::collections::HashMap::with_capacity(entries.len());
    for (key, _) in &entries {
        if let Some(first) = seen.insert(key.to_ascii_lowercase(), key) {
            return Err(TomlError::DuplicateKey {
                first: first.clone(),
                second: key.clone(),
            });
        }
    }
    Ok(entries)
}

/// The toml crate's description (its `Display` adds an excerpt of the file, which could
/// show a secret) and the line and column of its span.
fn syntax_error(text: &str, e: &::toml::de::Error) -> TomlError {
    let problem = e
        .message()
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("syntax error")
        .to_owned();
    let at = e.span().map(|span| {
        let start = span.start.min(text.len());
        let before = text.as_bytes().get(..start).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        (line, column)
    });
    TomlError::Syntax { at, problem }
}

#[cfg(test)]
mod tests {

    #[test]
    fn keys_differing_only_in_case_are_refused() {
        let error = parse("ServiceURL = \"EMEA\"\nserviceurl = \"NAM\"\n").expect_err("dup");
        assert!(
            matches!(&error, TomlError::DuplicateKey { first, second }
                if first == "ServiceURL" && second == "serviceurl"),
            "{error:?}"
        );
        assert!(!error.to_string().contains("EMEA"), "{error}");
    }

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
        assert!(
            err.to_string().contains("`appSettings` is a table"),
            "{err}"
        );
        let err = parse("ServiceURL = EMEA\n").expect_err("unquoted");
        let message = err.to_string();
        assert!(
            message.starts_with("not valid TOML at line 1, column 14"),
            "{err}"
        );
        assert!(!message.contains('\n'), "{err}");
    }

    #[test]
    fn syntax_errors_do_not_quote_the_file() {
        for text in [
            "ClientSecret = \"S3cr\"Et9x\"\n",
            "ClientSecret = S3crEt9x\n",
            "ClientSecret = \"S3cr\\qEt9x\"\n",
            "ClientSecret = \"S3crEt9x\n",
            "ClientSecret = 'S3crEt9x'\nClientSecret = 'S3crEt9x'\n",
            "ClientSecret = 1S3crEt9x\n",
        ] {
            let err = parse(text).expect_err("malformed");
            let message = err.to_string();
            assert!(
                matches!(err, TomlError::Syntax { at: Some(_), .. }),
                "{message}"
            );
            assert!(
                !message.contains("Et9x") && !message.contains("S3cr"),
                "{message}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_or_read_without_overflowing_the_stack() {
        let deep_array = format!("a = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep_array).is_err());
        let deep_table = format!("a = {}{}\n", "{b = ".repeat(100_000), "}".repeat(100_000));
        assert!(parse(&deep_table).is_err());
        let dotted = format!("{}a = 1\n", "a.".repeat(100_000));
        assert!(matches!(
            parse(&dotted),
            Err(TomlError::NotText { kind: "table", .. } | TomlError::Syntax { .. })
        ));
    }

    /// A TOML basic string holding `text`.
    fn quote(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_parsed_or_refused_without_panic(text in "\\PC{0,200}") {
            let _ = parse(&text);
        }

        #[test]
        fn toml_like_text_is_parsed_or_refused_without_panic(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "A", "ServiceURL", " = ", "=", "\"x\"", "'y'", "1", "true", "1.5", "[t]",
                    "[[t]]", "{", "}", "[", "]", ",", ".", "\n", "#", "\\", "\"\"\"", "1979-05-27",
                ]),
                0..24,
            )
        ) {
            let _ = parse(&parts.concat());
        }

        /// Generated files give back every key and value, whatever characters they hold.
        #[test]
        fn generated_settings_round_trip(
            settings in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..12)
        ) {
            // Keys differing only in case are refused (tested on its own below).
            let mut lowered = std::collections::HashSet::new();
            let settings: std::collections::BTreeMap<String, String> = settings
                .into_iter()
                .filter(|(k, _)| lowered.insert(k.to_ascii_lowercase()))
                .collect();
            let text: String = settings
                .iter()
                .map(|(k, v)| format!("{} = {}\n", quote(k), quote(v)))
                .collect();
            let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let expected: Vec<(String, String)> = settings.into_iter().collect();
            prop_assert_eq!(parsed, expected);
        }
    }
}

//! Reading a mapping from TOML, checking it on its own and against the table's columns.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer};

use super::text::Template;
use super::{Columns, Mapping, TooLong};
use crate::error::{Error, Result};

/// The TOML file: like [`Mapping`], with `max_lengths` merged over the defaults.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MappingFile {
    columns: Columns,
    subject_template: String,
    lead_source_code: i32,
    on_too_long: TooLong,
    truncation_marker: String,
    max_lengths: BTreeMap<String, usize>,
    /// The writer's own section ([`WriterSettings`](crate::writer::WriterSettings)), read
    /// there.
    #[allow(dead_code)]
    writer: toml::Table,
}

impl Default for MappingFile {
    fn default() -> Self {
        let defaults = Mapping::default();
        MappingFile {
            columns: defaults.columns,
            subject_template: defaults.subject_template,
            lead_source_code: defaults.lead_source_code,
            on_too_long: defaults.on_too_long,
            truncation_marker: defaults.truncation_marker,
            max_lengths: BTreeMap::new(),
            writer: toml::Table::new(),
        }
    }
}

/// `""` means "no column"; anything else is kept for [`Mapping::validate`] to check.
pub(super) fn column_name<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(deserializer)?;
    let name = name.trim();
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

impl Mapping {
    /// Reads a mapping from TOML (see the [module docs](crate::mapping) for the keys) and
    /// checks it with [`Mapping::validate`]. An empty text gives [`Mapping::default`].
    pub fn from_toml(text: &str) -> Result<Mapping> {
        let file: MappingFile =
            toml::from_str(text).map_err(|e| Error::config(format!("invalid TOML: {e}")))?;
        let mut mapping = Mapping {
            columns: file.columns,
            subject_template: file.subject_template,
            lead_source_code: file.lead_source_code,
            on_too_long: file.on_too_long,
            truncation_marker: file.truncation_marker,
            ..Mapping::default()
        };
        mapping.max_lengths.extend(file.max_lengths);
        mapping.validate()?;
        Ok(mapping)
    }

    /// Checks the mapping on its own: target names are logical names (lower-case letters,
    /// digits, `_`), no column is the target of two parts, the subject template's placeholders
    /// are known, every maximum length is at least 1, and the offer, action and source have
    /// somewhere to go (their own column or the description).
    pub fn validate(&self) -> Result<()> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (setting, column) in self.columns.targets() {
            if !is_logical_name(column) {
                return Err(Error::config(format!(
                    "columns.{setting} = \"{column}\" is not a column logical name (lower-case letters, digits and `_`, starting with a letter)"
                )));
            }
            if let Some(first) = seen.insert(column, setting) {
                return Err(Error::config(format!(
                    "column `{column}` is the target of both columns.{first} and columns.{setting}; give each its own column"
                )));
            }
        }
        Template::parse(&self.subject_template)?;
        if let Some((column, _)) = self.max_lengths.iter().find(|(_, max)| **max == 0) {
            return Err(Error::config(format!(
                "max_lengths.{column} is 0; a column holds at least one character"
            )));
        }
        let columns = &self.columns;
        let homeless = columns.description.is_none()
            && (columns.offer.is_none()
                || columns.offer_title.is_none()
                || columns.action.is_none()
                || columns.source.is_none());
        if homeless {
            return Err(Error::config(
                "the description column is off, so the offer, offer title, action and source each need a column, or they would be lost",
            ));
        }
        Ok(())
    }

    /// The columns this mapping writes, sorted.
    pub fn target_columns(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .columns
            .targets()
            .into_iter()
            .map(|(_, column)| column)
            .collect();
        set.into_iter().collect()
    }

    /// Checks the target columns against the table's column logical names (from its
    /// metadata, at start-up): unknown ones give [`Error::UnknownColumns`] listing them all.
    pub fn check_columns(&self, known: &[&str]) -> Result<()> {
        let known: BTreeSet<String> = known.iter().map(|c| c.to_ascii_lowercase()).collect();
        let unknown: Vec<String> = self
            .target_columns()
            .into_iter()
            .filter(|column| !known.contains(*column))
            .map(str::to_owned)
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(Error::UnknownColumns { columns: unknown })
        }
    }
}

fn is_logical_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_toml_is_the_default() {
        assert_eq!(Mapping::from_toml("").unwrap(), Mapping::default());
        Mapping::default().validate().unwrap();
    }

    #[test]
    fn toml_sets_columns_and_merges_lengths() {
        let mapping = Mapping::from_toml(
            r#"
            on_too_long = "refuse"
            lead_source_code = 10
            [columns]
            offer = "new_offerid"
            country = ""
            [max_lengths]
            new_offerid = 200
            subject = 200
            "#,
        )
        .unwrap();
        assert_eq!(mapping.columns.offer.as_deref(), Some("new_offerid"));
        assert_eq!(mapping.columns.country, None);
        assert_eq!(mapping.on_too_long, TooLong::Refuse);
        assert_eq!(mapping.lead_source_code, 10);
        assert_eq!(mapping.max_lengths["new_offerid"], 200);
        assert_eq!(mapping.max_lengths["subject"], 200);
        assert_eq!(mapping.max_lengths["firstname"], 50);
    }

    #[test]
    fn bad_settings_say_what_to_fix() {
        let cases = [
            ("[columns]\ntelephone = \"x\"", "unknown field"),
            ("[columns]\nemail = \"EmailAddress1\"", "columns.email"),
            (
                "[columns]\nphone = \"emailaddress1\"",
                "both columns.email and columns.phone",
            ),
            ("subject_template = \"{offr}\"", "{offr}"),
            ("on_too_long = \"drop\"", "on_too_long"),
            ("[max_lengths]\nsubject = 0", "max_lengths.subject"),
            ("[columns]\ndescription = \"\"", "would be lost"),
        ];
        for (text, expected) in cases {
            let err = Mapping::from_toml(text).unwrap_err();
            assert_eq!(err.code(), "config", "{text}");
            assert!(!err.is_bad_lead());
            assert!(err.to_string().contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn check_columns_lists_every_unknown_column() {
        let mapping =
            Mapping::from_toml("[columns]\noffer = \"new_offerid\"\nidempotency_key = \"new_key\"")
                .unwrap();
        let standard = [
            "subject",
            "firstname",
            "lastname",
            "emailaddress1",
            "telephone1",
            "companyname",
            "jobtitle",
            "address1_country",
            "description",
            "leadsourcecode",
        ];
        Mapping::default().check_columns(&standard).unwrap();
        assert_eq!(
            mapping.check_columns(&standard).unwrap_err(),
            Error::UnknownColumns {
                columns: vec!["new_key".to_owned(), "new_offerid".to_owned()]
            }
        );
        let mut with_custom = standard.to_vec();
        with_custom.extend(["NEW_OFFERID", "new_key"]);
        mapping.check_columns(&with_custom).unwrap();
    }
}

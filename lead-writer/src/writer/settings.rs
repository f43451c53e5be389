//! The writer's settings from TOML: the `[writer]` section of the lead writer's file (the
//! same file as the mapping, which ignores this section).
//!
//! ```toml
//! [writer]
//! # Apply the org's duplicate detection rules; a lead they match is parked, not written.
//! duplicate_detection = true
//! ```

use serde::Deserialize;

use crate::error::{Error, Result};

/// The `[writer]` section. Unset keys leave [`WriterOptions`](super::WriterOptions) as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct WriterSettings {
    /// See [`WriterOptions::duplicate_detection`](super::WriterOptions::duplicate_detection).
    pub duplicate_detection: Option<bool>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    writer: WriterSettings,
}

impl WriterSettings {
    /// Reads the `[writer]` section of a TOML text (other sections are left to their
    /// readers). No section gives the defaults; an unknown key in it is an error.
    pub fn from_toml(text: &str) -> Result<WriterSettings> {
        let file: File = toml::from_str(text)
            .map_err(|e| Error::config(format!("invalid [writer] settings: {e}")))?;
        Ok(file.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_section_is_read_and_other_sections_left_alone() {
        let text = "subject_template = \"x\"\n[columns]\nemail = \"emailaddress1\"\n\n[writer]\nduplicate_detection = true\n";
        assert_eq!(
            WriterSettings::from_toml(text).unwrap().duplicate_detection,
            Some(true)
        );
        assert_eq!(
            WriterSettings::from_toml("").unwrap(),
            WriterSettings::default()
        );
        let err = WriterSettings::from_toml("[writer]\nduplicate_detecton = true\n").unwrap_err();
        assert!(err.to_string().contains("duplicate_detecton"), "{err}");
        // And the mapping reads the same file.
        crate::Mapping::from_toml(text).unwrap();
    }
}

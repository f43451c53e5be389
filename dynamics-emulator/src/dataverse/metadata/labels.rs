//! [`Labels`]: a metadata `Label` (one text per language), read from and written as the Web
//! API's `Label` complex type, with the `MSCRM.MergeLabels` rule for updates.

use serde_json::{Value, json};

use crate::dataverse::ids::name_uuid;

/// The language of the emulator's organisation (English); `UserLocalizedLabel` is the label in
/// this language, or the first one.
pub(crate) const ENGLISH: i64 = 1033;

/// The localized texts of one label, in the order they were first given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Labels(Vec<(i64, String)>);

impl Labels {
    /// One English text (none when `text` is empty).
    pub(crate) fn english(text: &str) -> Self {
        if text.is_empty() {
            Self::default()
        } else {
            Self(vec![(ENGLISH, text.to_owned())])
        }
    }

    /// Reads a `Label` (`{"LocalizedLabels":[{"Label":"…","LanguageCode":1033}]}`); `null`
    /// or a missing `LocalizedLabels` is no text. `property` names the label in errors.
    pub(crate) fn parse(value: &Value, property: &str) -> Result<Self, String> {
        let localized = match value {
            Value::Null => return Ok(Self::default()),
            Value::Object(map) => match map.get("LocalizedLabels") {
                None | Some(Value::Null) => return Ok(Self::default()),
                Some(Value::Array(items)) => items,
                Some(_) => return Err(format!("'{property}.LocalizedLabels' must be an array.")),
            },
            _ => {
                return Err(format!(
                    "'{property}' must be a Label object with 'LocalizedLabels'."
                ));
            }
        };
        let mut labels = Self::default();
        for item in localized {
            let text = item.get("Label").and_then(Value::as_str).ok_or_else(|| {
                format!("Each of '{property}.LocalizedLabels' needs a 'Label' text.")
            })?;
            let language = item
                .get("LanguageCode")
                .and_then(Value::as_i64)
                .ok_or_else(|| {
                    format!("Each of '{property}.LocalizedLabels' needs a 'LanguageCode' number.")
                })?;
            labels.set(language, text);
        }
        Ok(labels)
    }

    fn set(&mut self, language: i64, text: &str) {
        match self.0.iter_mut().find(|(l, _)| *l == language) {
            Some(slot) => text.clone_into(&mut slot.1),
            None => self.0.push((language, text.to_owned())),
        }
    }

    /// The labels after an update that sent `sent`: with `MSCRM.MergeLabels: true` the
    /// languages not sent keep their text; without it they are dropped (the header's default
    /// is `false`: "labels not sent are lost", create-update-entity-definitions-using-web-api).
    pub(crate) fn updated(&self, sent: Self, merge: bool) -> Self {
        if !merge {
            return sent;
        }
        let mut merged = self.clone();
        for (language, text) in &sent.0 {
            merged.set(*language, text);
        }
        merged
    }

    /// The text in English, else the first text, else `""`.
    pub(crate) fn text(&self) -> &str {
        self.0
            .iter()
            .find(|(l, _)| *l == ENGLISH)
            .or_else(|| self.0.first())
            .map_or("", |(_, t)| t.as_str())
    }

    /// Whether there is no text at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `Label` JSON; `managed` is each localized label's `IsManaged`.
    pub(crate) fn to_json(&self, managed: bool) -> Value {
        let localized: Vec<Value> = self
            .0
            .iter()
            .map(|(language, text)| {
                json!({
                    "Label": text,
                    "LanguageCode": language,
                    "IsManaged": managed,
                    "MetadataId": name_uuid("label", &format!("{language}:{text}")),
                    "HasChanged": null,
                })
            })
            .collect();
        let user = self
            .0
            .iter()
            .position(|(l, _)| *l == ENGLISH)
            .or(if localized.is_empty() { None } else { Some(0) })
            .map_or(Value::Null, |i| localized[i].clone());
        json!({ "LocalizedLabels": localized, "UserLocalizedLabel": user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(items: &[(i64, &str)]) -> Value {
        json!({ "LocalizedLabels": items.iter().map(|(l, t)| json!({ "Label": t, "LanguageCode": l })).collect::<Vec<_>>() })
    }

    #[test]
    fn merging_keeps_languages_not_sent_and_replacing_drops_them() {
        let current = Labels::parse(&label(&[(1033, "Bank"), (1036, "Banque")]), "X").expect("ok");
        let sent = Labels::parse(&label(&[(1033, "Bank Account")]), "X").expect("ok");
        let merged = current.updated(sent.clone(), true);
        assert_eq!(merged.text(), "Bank Account");
        assert_eq!(merged.0.len(), 2);
        let replaced = current.updated(sent, false);
        assert_eq!(replaced.0, vec![(1033, "Bank Account".to_owned())]);
    }

    #[test]
    fn a_label_without_text_or_language_is_refused_with_the_property_named() {
        let error = Labels::parse(
            &json!({ "LocalizedLabels": [{ "Label": "x" }] }),
            "DisplayName",
        )
        .expect_err("no language");
        assert!(error.contains("DisplayName"), "{error}");
        assert!(Labels::parse(&json!("text"), "Description").is_err());
        assert!(
            Labels::parse(&Value::Null, "Description")
                .expect("ok")
                .is_empty()
        );
    }

    #[test]
    fn the_user_label_is_english_when_present() {
        let labels = Labels::parse(&label(&[(1036, "Banque"), (1033, "Bank")]), "X").expect("ok");
        assert_eq!(labels.to_json(false)["UserLocalizedLabel"]["Label"], "Bank");
        assert_eq!(
            Labels::default().to_json(false)["UserLocalizedLabel"],
            Value::Null
        );
    }
}

//! Labels (`Label`, `LocalizedLabel`) and managed properties (`{Value, CanBeChanged,
//! ManagedPropertyLogicalName}`), the two complex types every definition uses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// English, the language the service's own examples use.
pub const DEFAULT_LANGUAGE: i32 = 1033;

/// A text in one or more languages (`Label`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Label {
    /// The text in each language the org has it in.
    #[serde(default)]
    pub localized_labels: Vec<LocalizedLabel>,
    /// The text in the calling user's language (read-only; the service fills it).
    #[serde(default)]
    pub user_localized_label: Option<LocalizedLabel>,
    /// Anything else the service sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Label {
    /// The text to show: the user's language, else the first one.
    pub fn text(&self) -> Option<&str> {
        self.user_localized_label
            .as_ref()
            .or_else(|| self.localized_labels.first())
            .map(|l| l.label.as_str())
    }

    /// The text in one language (`1033` for English).
    pub fn in_language(&self, language_code: i32) -> Option<&str> {
        self.localized_labels
            .iter()
            .find(|l| l.language_code == Some(language_code))
            .map(|l| l.label.as_str())
    }
}

/// A text in one language (`LocalizedLabel`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct LocalizedLabel {
    /// The text.
    #[serde(default)]
    pub label: String,
    /// The language (LCID, `1033` for English).
    #[serde(default)]
    pub language_code: Option<i32>,
    /// Whether a managed solution brought it.
    #[serde(default)]
    pub is_managed: Option<bool>,
    /// Its id.
    #[serde(default)]
    pub metadata_id: Option<Uuid>,
    /// Anything else the service sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A setting that a managed solution may lock (`BooleanManagedProperty` and its kin).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ManagedProperty<T> {
    /// The setting.
    pub value: T,
    /// Whether it may still be changed.
    #[serde(default)]
    pub can_be_changed: Option<bool>,
    /// The name of the managed property that governs it.
    #[serde(default)]
    pub managed_property_logical_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_read_sparse_and_full_shapes() {
        let full: Label = serde_json::from_value(json!({
            "LocalizedLabels": [
                {"Label": "Account", "LanguageCode": 1033, "IsManaged": true, "MetadataId": "2a4901bf-2241-db11-898a-0007e9e17ebd", "HasChanged": null},
                {"Label": "Compte", "LanguageCode": 1036}
            ],
            "UserLocalizedLabel": {"Label": "Account", "LanguageCode": 1033}
        }))
        .expect("label");
        assert_eq!(full.text(), Some("Account"));
        assert_eq!(full.in_language(1036), Some("Compte"));
        assert!(full.localized_labels[0].extra.contains_key("HasChanged"));
        let empty: Label =
            serde_json::from_value(json!({"LocalizedLabels": [], "UserLocalizedLabel": null}))
                .expect("empty label");
        assert_eq!(empty.text(), None);
        let managed: ManagedProperty<bool> = serde_json::from_value(
            json!({"Value": true, "CanBeChanged": false, "ManagedPropertyLogicalName": "canchangetrackingbeenabled"}),
        )
        .expect("managed");
        assert!(managed.value);
        assert_eq!(managed.can_be_changed, Some(false));
    }
}

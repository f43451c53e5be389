//! What Graph answers: users (personal data, hidden in `Debug`), delta items with `@removed`,
//! and pages with their `@odata.nextLink` / `@odata.deltaLink`.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

/// The user properties the sync asks for (`$select`) and the rules may test.
pub const USER_SELECT: [&str; 11] = [
    "id",
    "userPrincipalName",
    "displayName",
    "mail",
    "department",
    "city",
    "country",
    "jobTitle",
    "usageLocation",
    "accountEnabled",
    "assignedLicenses",
];

/// A licence assigned to a user (`assignedLicense`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AssignedLicense {
    /// The licence's SKU id.
    #[serde(default)]
    pub sku_id: Option<String>,
    /// Service plans of the SKU that are turned off.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
}

/// An Entra user as Graph returns it with the sync's `$select`. Every property may be missing
/// or `null`.
///
/// `Debug` shows the object id, whether the account is enabled and the licence count; the
/// names, addresses and the rest are personal data and stay out of logs.
#[derive(Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GraphUser {
    /// The object id.
    pub id: String,
    /// `userPrincipalName`.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `mail`.
    #[serde(default)]
    pub mail: Option<String>,
    /// `department`.
    #[serde(default)]
    pub department: Option<String>,
    /// `city`.
    #[serde(default)]
    pub city: Option<String>,
    /// `country`.
    #[serde(default)]
    pub country: Option<String>,
    /// `jobTitle`.
    #[serde(default)]
    pub job_title: Option<String>,
    /// `usageLocation` (two-letter country code).
    #[serde(default)]
    pub usage_location: Option<String>,
    /// `accountEnabled`; `None` when Graph left it out.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `assignedLicenses`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub assigned_licenses: Vec<AssignedLicense>,
}

impl GraphUser {
    /// A user with this object id and nothing else (for tests and builders).
    pub fn new(id: impl Into<String>) -> Self {
        GraphUser {
            id: id.into(),
            ..GraphUser::default()
        }
    }

    /// Whether the user holds at least one licence.
    pub fn is_licensed(&self) -> bool {
        !self.assigned_licenses.is_empty()
    }

    /// Whether the account is disabled (`accountEnabled: false`). A missing value is not.
    pub fn is_disabled(&self) -> bool {
        self.account_enabled == Some(false)
    }

    /// The value of a rules attribute (one of [`USER_SELECT`], matched without regard to
    /// case) as text: booleans as `true`/`false`, `assignedLicenses` as the SKU ids joined
    /// with `,`. `None` for a missing value or an unknown name.
    pub fn attribute(&self, name: &str) -> Option<String> {
        let text = |v: &Option<String>| v.clone();
        match name.to_ascii_lowercase().as_str() {
            "id" => Some(self.id.clone()),
            "userprincipalname" => text(&self.user_principal_name),
            "displayname" => text(&self.display_name),
            "mail" => text(&self.mail),
            "department" => text(&self.department),
            "city" => text(&self.city),
            "country" => text(&self.country),
            "jobtitle" => text(&self.job_title),
            "usagelocation" => text(&self.usage_location),
            "accountenabled" => self.account_enabled.map(|b| b.to_string()),
            "assignedlicenses" => Some(
                self.assigned_licenses
                    .iter()
                    .filter_map(|l| l.sku_id.clone())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => None,
        }
    }

    /// A short label for progress lines and plans: the user principal name, else the id.
    pub fn label(&self) -> &str {
        self.user_principal_name.as_deref().unwrap_or(&self.id)
    }
}

impl fmt::Debug for GraphUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphUser")
            .field("id", &self.id)
            .field("account_enabled", &self.account_enabled)
            .field("licences", &self.assigned_licenses.len())
            .finish_non_exhaustive()
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Why a delta item was removed (`@removed.reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemovedReason {
    /// `changed`: soft-deleted, can be restored within 30 days.
    Changed,
    /// `deleted`: deleted for good.
    Deleted,
    /// A reason this version does not know.
    Unknown(String),
}

impl RemovedReason {
    fn parse(text: &str) -> Self {
        match text {
            "changed" => RemovedReason::Changed,
            "deleted" => RemovedReason::Deleted,
            other => RemovedReason::Unknown(other.to_owned()),
        }
    }
}

/// A decode error told without the data: the field path, the kind of problem and what was
/// expected (serde_json's own message quotes the value found, which may be personal data).
pub(crate) fn decode_failure(path: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let text = error.to_string();
    let what = match error.classify() {
        Category::Syntax => "not valid JSON",
        Category::Eof => "the body ends too early",
        Category::Data => "a value of the wrong type or shape",
        Category::Io => "the body cannot be read",
    };
    let mut out = format!("{what} at `{path}`");
    if let Some(rest) = text.split(", expected ").nth(1) {
        let expected = rest.split(" at line ").next().unwrap_or(rest);
        out.push_str(&format!(" (expected {expected})"));
    } else if let Some(field) = text.strip_prefix("missing field ") {
        // A field name comes from the schema, not from the data.
        let field = field.split(" at line ").next().unwrap_or(field);
        out.push_str(&format!(" (missing field {field})"));
    }
    if error.line() > 0 {
        out.push_str(&format!(
            " (line {}, column {})",
            error.line(),
            error.column()
        ));
    }
    out
}

/// One entry of a user list or delta page.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DeltaItem {
    /// A user as it is now. In an incremental delta round it may carry only the properties
    /// that changed (`complete` is then `false`).
    Changed {
        /// The user.
        user: Box<GraphUser>,
        /// Whether every property of [`USER_SELECT`] was in the answer.
        complete: bool,
    },
    /// A user removed from the directory (`@removed`).
    Removed {
        /// The object id.
        id: String,
        /// Why.
        reason: RemovedReason,
    },
}

impl DeltaItem {
    /// The object id.
    pub fn id(&self) -> &str {
        match self {
            DeltaItem::Changed { user, .. } => &user.id,
            DeltaItem::Removed { id, .. } => id,
        }
    }

    /// Reads one entry of a page's `value` array.
    pub(crate) fn from_json(value: Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("an entry of `value` is not an object".to_owned());
        };
        if let Some(removed) = map.get("@removed") {
            let id = map
                .get("id")
                .and_then(Value::as_str)
                .ok_or("a removed entry has no `id`")?
                .to_owned();
            let reason = removed
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("deleted");
            return Ok(DeltaItem::Removed {
                id,
                reason: RemovedReason::parse(reason),
            });
        }
        let complete = USER_SELECT.iter().all(|key| map.contains_key(*key));
        let user: GraphUser =
            serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
                format!(
                    "an entry of `value` is not a user: {}",
                    decode_failure(&e.path().to_string(), e.inner())
                )
            })?;
        Ok(DeltaItem::Changed {
            user: Box::new(user),
            complete,
        })
    }
}

/// One page of a user list or a delta round.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct DeltaPage {
    /// The entries, in the service's order (duplicates and replays are possible).
    pub items: Vec<DeltaItem>,
    /// `@odata.nextLink`: more pages follow.
    pub next_link: Option<String>,
    /// `@odata.deltaLink`: the round is complete; keep it for the next round.
    pub delta_link: Option<String>,
}

/// The raw page as Graph sends it.
#[derive(Deserialize)]
pub(crate) struct RawPage {
    #[serde(default)]
    pub(crate) value: Vec<Value>,
    #[serde(rename = "@odata.nextLink", default)]
    pub(crate) next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    pub(crate) delta_link: Option<String>,
}

impl RawPage {
    pub(crate) fn into_page(self) -> Result<DeltaPage, String> {
        Ok(DeltaPage {
            items: self
                .value
                .into_iter()
                .map(DeltaItem::from_json)
                .collect::<Result<_, _>>()?,
            next_link: self.next_link,
            delta_link: self.delta_link,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn removed_entries_and_partial_users_are_told_apart() {
        let removed = DeltaItem::from_json(json!({"id": "u1", "@removed": {"reason": "changed"}}))
            .expect("removed");
        assert_eq!(
            removed,
            DeltaItem::Removed {
                id: "u1".into(),
                reason: RemovedReason::Changed
            }
        );
        let partial =
            DeltaItem::from_json(json!({"id": "u2", "department": "Sales"})).expect("partial");
        let DeltaItem::Changed { user, complete } = partial else {
            panic!("changed expected")
        };
        assert!(!complete);
        assert_eq!(user.attribute("Department").as_deref(), Some("Sales"));
        assert!(DeltaItem::from_json(json!("x")).is_err());
    }

    #[test]
    fn debug_hides_personal_data() {
        let user = GraphUser {
            user_principal_name: Some("alice@contoso.com".into()),
            display_name: Some("Alice Example".into()),
            department: Some("Sales".into()),
            ..GraphUser::new("u1")
        };
        let shown = format!("{user:?}");
        assert!(shown.contains("u1"), "{shown}");
        for secret in ["alice", "Alice", "Sales"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn a_decode_failure_names_the_field_not_the_value() {
        let err = DeltaItem::from_json(json!({"id": "u1", "displayName": 42, "department": [
            "Alice Secret"
        ]}))
        .expect_err("wrong types");
        assert!(
            err.contains("displayName") || err.contains("department"),
            "{err}"
        );
        assert!(err.contains("expected"), "{err}");
        assert!(!err.contains("42") && !err.contains("Alice"), "{err}");
        let err = DeltaItem::from_json(json!({"id": "u1", "accountEnabled": "bob@contoso.com"}))
            .expect_err("not a bool");
        assert!(
            err.contains("accountEnabled") && !err.contains("bob"),
            "{err}"
        );
    }

    #[test]
    fn null_licences_read_as_none() {
        let user: GraphUser = serde_json::from_value(
            json!({"id": "u", "assignedLicenses": null, "accountEnabled": false}),
        )
        .expect("user");
        assert!(!user.is_licensed());
        assert!(user.is_disabled());
        assert_eq!(user.attribute("accountEnabled").as_deref(), Some("false"));
    }
}

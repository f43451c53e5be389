//! The lead: what the marketplace sent, read into named fields, with unknown fields kept.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::fields::{Field, normalise_key};
use crate::parse;
use crate::source::LeadOrigin;

/// The prefix of every value in Microsoft's test lead (`MSFT_TEST_<ticks>`, REFERENCE-WORKFLOWS 1.2).
pub const TEST_LEAD_PREFIX: &str = "MSFT_TEST_";

/// One marketplace lead, from the HTTPS-endpoint JSON or an Azure Table entity.
///
/// Every field is optional (the documented schema marks none as required). Values are trimmed;
/// empty values are `None`. Numbers and booleans sent where text is expected are kept as their
/// JSON text (see [`Lead::parse`]). Keys this crate does not know are kept in [`Lead::extra`]
/// and [`Lead::extra_user_details`], so nothing the marketplace sends is lost.
///
/// `Debug` hides personal data (names, email, phone, company, title, country, description and
/// unknown values); it shows which fields are present and the non-personal ones (source,
/// action, offer, time). [`Lead::unredacted`] shows everything, for local debugging only.
///
/// Serialises to the HTTPS-endpoint shape (`UserDetails` object and top-level fields), which
/// parses back to an equal `Lead`; a spool can store leads that way. (One caveat: a
/// floating-point number inside an unknown field may come back differing in its last digit,
/// as serde_json's default float parsing does not round-trip every value.)
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Lead {
    /// `UserDetails.FirstName`.
    pub first_name: Option<String>,
    /// `UserDetails.LastName`.
    pub last_name: Option<String>,
    /// A full name (`UserDetails.FullName` or `Name`); not documented, kept when sent.
    pub full_name: Option<String>,
    /// `UserDetails.Email`.
    pub email: Option<String>,
    /// `UserDetails.Phone`.
    pub phone: Option<String>,
    /// `UserDetails.Country`.
    pub country: Option<String>,
    /// `UserDetails.Company`.
    pub company: Option<String>,
    /// `UserDetails.Title` (job title).
    pub title: Option<String>,
    /// `LeadSource`, as sent; see [`Lead::origin`] for its parts.
    pub lead_source: Option<String>,
    /// `ActionCode`.
    pub action_code: Option<String>,
    /// `OfferTitle` (HTTPS shape) or `OfferDisplayName` (Azure Table shape).
    pub offer_title: Option<String>,
    /// `Description`: the customer's notes.
    pub description: Option<String>,
    /// `CreatedTime` (Azure Table shape; format UNCONFIRMED, kept as text).
    pub created_time: Option<String>,
    /// Top-level keys this crate does not know (for example the Azure Table system columns
    /// `PartitionKey`, `RowKey`, `Timestamp`), as sent.
    pub extra: Map<String, Value>,
    /// Keys inside `UserDetails` / `CustomerInfo` this crate does not know, as sent.
    pub extra_user_details: Map<String, Value>,
}

impl Lead {
    /// Where the lead came from: `LeadSource` and `ActionCode` read into their parts.
    pub fn origin(&self) -> LeadOrigin {
        LeadOrigin::parse(self.lead_source.as_deref(), self.action_code.as_deref())
    }

    /// True for Microsoft's test lead ("Validate" in Partner Center, or after publishing): a
    /// customer field, `Description` or `LeadSource` starts with `MSFT_TEST_` (any case).
    /// Detection rule from REFERENCE-WORKFLOWS 1.2.
    pub fn is_test(&self) -> bool {
        let starts_with_prefix = |value: &Option<String>| {
            value.as_deref().is_some_and(|v| {
                v.get(..TEST_LEAD_PREFIX.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(TEST_LEAD_PREFIX))
            })
        };
        self.customer_fields()
            .into_iter()
            .chain([&self.description, &self.lead_source])
            .any(starts_with_prefix)
    }

    /// The Azure Table row this lead was read from, as `PartitionKey|RowKey`, when both
    /// system columns are present (the migration's idempotency key, REFERENCE-WORKFLOWS 1.5).
    pub fn table_row_key(&self) -> Option<String> {
        let find = |name: &str| {
            self.extra.iter().find_map(|(key, value)| {
                (normalise_key(key) == name)
                    .then(|| value.as_str())
                    .flatten()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            })
        };
        Some(format!("{}|{}", find("partitionkey")?, find("rowkey")?))
    }

    /// Wraps the lead so `Debug` prints every value. For local debugging only: the output
    /// holds personal data.
    pub fn unredacted(&self) -> impl fmt::Debug + '_ {
        Unredacted(self)
    }

    /// The field's value.
    pub(crate) fn get(&self, field: Field) -> Option<&str> {
        self.slot(field).as_deref()
    }

    pub(crate) fn slot(&self, field: Field) -> &Option<String> {
        match field {
            Field::FirstName => &self.first_name,
            Field::LastName => &self.last_name,
            Field::FullName => &self.full_name,
            Field::Email => &self.email,
            Field::Phone => &self.phone,
            Field::Country => &self.country,
            Field::Company => &self.company,
            Field::Title => &self.title,
            Field::LeadSource => &self.lead_source,
            Field::ActionCode => &self.action_code,
            Field::OfferTitle => &self.offer_title,
            Field::Description => &self.description,
            Field::CreatedTime => &self.created_time,
        }
    }

    pub(crate) fn slot_mut(&mut self, field: Field) -> &mut Option<String> {
        match field {
            Field::FirstName => &mut self.first_name,
            Field::LastName => &mut self.last_name,
            Field::FullName => &mut self.full_name,
            Field::Email => &mut self.email,
            Field::Phone => &mut self.phone,
            Field::Country => &mut self.country,
            Field::Company => &mut self.company,
            Field::Title => &mut self.title,
            Field::LeadSource => &mut self.lead_source,
            Field::ActionCode => &mut self.action_code,
            Field::OfferTitle => &mut self.offer_title,
            Field::Description => &mut self.description,
            Field::CreatedTime => &mut self.created_time,
        }
    }

    fn customer_fields(&self) -> [&Option<String>; 8] {
        [
            &self.first_name,
            &self.last_name,
            &self.full_name,
            &self.email,
            &self.phone,
            &self.country,
            &self.company,
            &self.title,
        ]
    }

    /// The lead in the HTTPS-endpoint shape.
    pub fn to_json(&self) -> Value {
        let mut user = Map::new();
        let mut top = Map::new();
        for field in ALL_FIELDS {
            if let Some(value) = self.get(field) {
                let target = match field.level() {
                    crate::fields::Level::User => &mut user,
                    crate::fields::Level::Top => &mut top,
                };
                target.insert(
                    field.wire_name().to_owned(),
                    Value::String(value.to_owned()),
                );
            }
        }
        for (key, value) in &self.extra_user_details {
            user.insert(key.clone(), value.clone());
        }
        if !user.is_empty() {
            top.insert("UserDetails".to_owned(), Value::Object(user));
        }
        for (key, value) in &self.extra {
            top.insert(key.clone(), value.clone());
        }
        Value::Object(top)
    }
}

/// Every field, in the canonical order used for the idempotency key and for output.
pub(crate) const ALL_FIELDS: [Field; 13] = [
    Field::FirstName,
    Field::LastName,
    Field::FullName,
    Field::Email,
    Field::Phone,
    Field::Country,
    Field::Company,
    Field::Title,
    Field::LeadSource,
    Field::ActionCode,
    Field::OfferTitle,
    Field::Description,
    Field::CreatedTime,
];

impl fmt::Debug for Lead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("Lead")
            .field("first_name", &hidden(&self.first_name))
            .field("last_name", &hidden(&self.last_name))
            .field("full_name", &hidden(&self.full_name))
            .field("email", &hidden(&self.email))
            .field("phone", &hidden(&self.phone))
            .field("country", &hidden(&self.country))
            .field("company", &hidden(&self.company))
            .field("title", &hidden(&self.title))
            .field("lead_source", &self.lead_source)
            .field("action_code", &self.action_code)
            .field("offer_title", &self.offer_title)
            .field("description", &hidden(&self.description))
            .field("created_time", &self.created_time)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .field(
                "extra_user_details_keys",
                &self.extra_user_details.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

struct Unredacted<'a>(&'a Lead);

impl fmt::Debug for Unredacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lead {}", self.0.to_json())
    }
}

impl Serialize for Lead {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Lead {
    /// Reads either shape with the same rules as [`Lead::parse`] (no size limit: the caller
    /// already holds the document).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        parse::from_value(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lead {
        Lead {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            email: Some("ada@example.com".into()),
            phone: Some("123".into()),
            company: Some("Analytical Engines".into()),
            description: Some("call me".into()),
            lead_source: Some("AzureMarketplace".into()),
            action_code: Some("INS".into()),
            ..Lead::default()
        }
    }

    #[test]
    fn debug_hides_personal_data() {
        let text = format!("{:?}", sample());
        for secret in [
            "Ada",
            "Lovelace",
            "ada@example.com",
            "123",
            "Analytical",
            "call me",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("AzureMarketplace"));
        assert!(text.contains("<redacted>"));
        assert!(format!("{:?}", sample().unredacted()).contains("ada@example.com"));
    }

    #[test]
    fn test_lead_is_recognised_by_any_field() {
        assert!(!sample().is_test());
        let by_email = Lead {
            email: Some("msft_test_1@test.com".into()),
            ..Lead::default()
        };
        assert!(by_email.is_test());
        let by_source = Lead {
            lead_source: Some("MSFT_TEST_1-MSFT_TEST_1|Offer".into()),
            ..Lead::default()
        };
        assert!(by_source.is_test());
        let lookalike = Lead {
            company: Some("Not MSFT_TEST_".into()),
            ..Lead::default()
        };
        assert!(!lookalike.is_test());
    }

    #[test]
    fn table_row_key_needs_both_system_columns() {
        let mut lead = sample();
        assert_eq!(lead.table_row_key(), None);
        lead.extra
            .insert("PartitionKey".into(), "2024-01-02".into());
        assert_eq!(lead.table_row_key(), None);
        lead.extra.insert("rowkey".into(), "abc".into());
        assert_eq!(lead.table_row_key().as_deref(), Some("2024-01-02|abc"));
    }

    #[test]
    fn json_round_trip_keeps_everything() {
        let mut lead = sample();
        lead.extra
            .insert("Future".into(), serde_json::json!({"a": 1}));
        lead.extra_user_details
            .insert("Mobile".into(), serde_json::json!("555"));
        let text = serde_json::to_string(&lead).unwrap();
        let back: Lead = serde_json::from_str(&text).unwrap();
        assert_eq!(back, lead);
    }
}

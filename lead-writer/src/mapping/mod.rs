//! Which `lead` column each part of a marketplace lead goes to.
//!
//! The default ([`Mapping::default`], also what an empty TOML file gives):
//!
//! | Lead part | Column | Max length (REFERENCE 5.1, Microsoft's `lead` table reference) |
//! |---|---|---|
//! | subject from [`Mapping::subject_template`] (offer and action) | `subject` | 300 |
//! | `FirstName` (or the first words of a lone full name) | `firstname` | 50 |
//! | `LastName` (or the last word of a lone full name) | `lastname` | 50 |
//! | `Email` | `emailaddress1` | 100 |
//! | `Phone` | `telephone1` | 50 |
//! | `Company` | `companyname` | 100 |
//! | `Title` | `jobtitle` | 100 |
//! | `Country` | `address1_country` | 80 |
//! | `Description`, then offer, offer id, action and source lines | `description` | 2000 |
//! | [`Mapping::lead_source_code`] (8, "Web"; UNCONFIRMED what Microsoft's writer sets) | `leadsourcecode` | option set |
//!
//! The offer title, offer id, action, source, the idempotency key and the lead id have no
//! column by default: the standard table has none for them. Give them one in `[columns]`
//! (custom columns, for example `offer = "new_offerid"`); those without a column are written
//! as lines of the description. Too-long values are cut to fit with a marker
//! ([`TooLong::Truncate`]) or refused ([`TooLong::Refuse`]).
//!
//! TOML (every key optional; `""` turns a default column off; unknown keys are refused so a
//! typo cannot silently drop a field):
//!
//! ```toml
//! subject_template = "Marketplace lead: {offer} ({action})"
//! lead_source_code = 8
//! on_too_long = "truncate"      # or "refuse"
//! truncation_marker = "…"
//!
//! [columns]
//! offer = "new_offerid"
//! action = "new_marketplaceaction"
//! idempotency_key = "new_leadkey"
//! country = ""                  # do not write the country
//!
//! [max_lengths]                 # merged over the defaults
//! new_offerid = 200
//! ```

mod apply;
mod config;
mod text;

use std::collections::BTreeMap;

use serde::Deserialize;

/// The target column of each part of a lead; `None` writes nothing (or, for the offer,
/// action and source parts, a line of the description).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Columns {
    /// The subject built from [`Mapping::subject_template`]. Default `subject`.
    #[serde(deserialize_with = "config::column_name")]
    pub subject: Option<String>,
    /// First name. Default `firstname`.
    #[serde(deserialize_with = "config::column_name")]
    pub first_name: Option<String>,
    /// Last name. Default `lastname`.
    #[serde(deserialize_with = "config::column_name")]
    pub last_name: Option<String>,
    /// Email. Default `emailaddress1`.
    #[serde(deserialize_with = "config::column_name")]
    pub email: Option<String>,
    /// Phone. Default `telephone1`.
    #[serde(deserialize_with = "config::column_name")]
    pub phone: Option<String>,
    /// Company. Default `companyname`.
    #[serde(deserialize_with = "config::column_name")]
    pub company: Option<String>,
    /// Job title. Default `jobtitle`.
    #[serde(deserialize_with = "config::column_name")]
    pub job_title: Option<String>,
    /// Country. Default `address1_country`.
    #[serde(deserialize_with = "config::column_name")]
    pub country: Option<String>,
    /// The customer's description plus the lines for parts without a column. Default `description`.
    #[serde(deserialize_with = "config::column_name")]
    pub description: Option<String>,
    /// The fixed [`Mapping::lead_source_code`] option value. Default `leadsourcecode`.
    #[serde(deserialize_with = "config::column_name")]
    pub lead_source_code: Option<String>,
    /// The offer id (`publisher.offer`). Default none (a description line).
    #[serde(deserialize_with = "config::column_name")]
    pub offer: Option<String>,
    /// The offer's title. Default none (a description line).
    #[serde(deserialize_with = "config::column_name")]
    pub offer_title: Option<String>,
    /// The action code (`INS`, `PLT`, ...). Default none (a description line).
    #[serde(deserialize_with = "config::column_name")]
    pub action: Option<String>,
    /// The marketplace source (`AzureMarketplace`, ...). Default none (a description line).
    #[serde(deserialize_with = "config::column_name")]
    pub source: Option<String>,
    /// The idempotency key's 64 hex digits, for an alternate key. Default none.
    #[serde(deserialize_with = "config::column_name")]
    pub idempotency_key: Option<String>,
    /// The deterministic lead id ([`IdempotencyKey::lead_id`](crate::IdempotencyKey::lead_id))
    /// in the body, for writers that send it there (CreateMultiple). Default none: a create-only
    /// upsert puts it in the URL.
    #[serde(deserialize_with = "config::column_name")]
    pub lead_id: Option<String>,
}

impl Default for Columns {
    fn default() -> Self {
        let some = |name: &str| Some(name.to_owned());
        Columns {
            subject: some("subject"),
            first_name: some("firstname"),
            last_name: some("lastname"),
            email: some("emailaddress1"),
            phone: some("telephone1"),
            company: some("companyname"),
            job_title: some("jobtitle"),
            country: some("address1_country"),
            description: some("description"),
            lead_source_code: some("leadsourcecode"),
            offer: None,
            offer_title: None,
            action: None,
            source: None,
            idempotency_key: None,
            lead_id: None,
        }
    }
}

impl Columns {
    /// Each configured target with the name of its setting, in a fixed order.
    pub(crate) fn targets(&self) -> Vec<(&'static str, &str)> {
        [
            ("subject", &self.subject),
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("email", &self.email),
            ("phone", &self.phone),
            ("company", &self.company),
            ("job_title", &self.job_title),
            ("country", &self.country),
            ("description", &self.description),
            ("lead_source_code", &self.lead_source_code),
            ("offer", &self.offer),
            ("offer_title", &self.offer_title),
            ("action", &self.action),
            ("source", &self.source),
            ("idempotency_key", &self.idempotency_key),
            ("lead_id", &self.lead_id),
        ]
        .into_iter()
        .filter_map(|(setting, column)| column.as_deref().map(|c| (setting, c)))
        .collect()
    }
}

/// What to do with a value longer than its column allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TooLong {
    /// Cut it to fit and end it with [`Mapping::truncation_marker`] (the default: a lead with
    /// a shortened field in the CRM is worth more than a parked one; the spool keeps the
    /// original body).
    #[default]
    Truncate,
    /// Refuse the lead with [`Error::ValueTooLong`](crate::Error::ValueTooLong).
    Refuse,
}

/// How a lead becomes `lead` columns. See the module docs for the default and the TOML form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mapping {
    /// Target columns.
    pub columns: Columns,
    /// The subject, with placeholders `{offer}` (title, else id), `{offer_id}`, `{action}`
    /// (in words), `{action_code}`, `{source}`. Default `Marketplace lead: {offer} ({action})`.
    pub subject_template: String,
    /// The option value written to [`Columns::lead_source_code`]. Default 8 ("Web" in the
    /// standard option set); UNCONFIRMED what Microsoft's own lead writer sets.
    pub lead_source_code: i32,
    /// Too-long values: truncate (default) or refuse.
    pub on_too_long: TooLong,
    /// Ends a truncated value. Default `…` (one character).
    pub truncation_marker: String,
    /// Maximum lengths per column, in characters as Dataverse counts them (UTF-16 code units).
    /// Columns not listed are not checked. Defaults from REFERENCE 5.1.
    pub max_lengths: BTreeMap<String, usize>,
}

/// The default template for the subject.
pub const DEFAULT_SUBJECT_TEMPLATE: &str = "Marketplace lead: {offer} ({action})";

impl Default for Mapping {
    fn default() -> Self {
        let max_lengths = [
            ("subject", 300),
            ("firstname", 50),
            ("lastname", 50),
            ("emailaddress1", 100),
            ("telephone1", 50),
            ("companyname", 100),
            ("jobtitle", 100),
            ("address1_country", 80),
            ("description", 2000),
        ]
        .into_iter()
        .map(|(column, max)| (column.to_owned(), max))
        .collect();
        Mapping {
            columns: Columns::default(),
            subject_template: DEFAULT_SUBJECT_TEMPLATE.to_owned(),
            lead_source_code: 8,
            on_too_long: TooLong::default(),
            truncation_marker: "…".to_owned(),
            max_lengths,
        }
    }
}

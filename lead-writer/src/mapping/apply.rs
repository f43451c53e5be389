//! Turning one lead into the column values of a Web API create body.

use serde_json::{Map, Value};

use super::Mapping;
use super::TooLong;
use super::text::{Piece, Placeholder, Template, fit, split_full_name, utf16_len};
use crate::error::Result;
use crate::key::IdempotencyKey;
use crate::lead::Lead;
use crate::source::LeadOrigin;

impl Mapping {
    /// The lead's column values, ready as a Web API body for the `lead` table (`POST leads`,
    /// or a create-only upsert on `leads(<key.lead_id()>)`).
    ///
    /// Only parts with a value are written (no nulls). Names: when only one of first and last
    /// name is sent and it holds several words, or only a full name is sent, it is split
    /// (last word: last name). Parts without a column of their own become lines of the
    /// description, after the customer's text. Too-long values follow
    /// [`Mapping::on_too_long`]; a description is cut in the customer's text, so the lines
    /// naming the offer and action survive. Unknown fields of the lead are not written (they stay in the
    /// stored lead).
    ///
    /// The map holds personal data: do not log it.
    pub fn to_columns(&self, lead: &Lead, key: &IdempotencyKey) -> Result<Map<String, Value>> {
        let template = Template::parse(&self.subject_template)?;
        let origin = lead.origin();
        let columns = &self.columns;
        let mut out = Map::new();

        let (first_name, last_name, full_name_unused) = names(lead);
        let offer_id = origin.offer_id();
        let action_code = origin.action.as_ref().map(|a| a.code().to_owned());
        let text_parts = [
            (&columns.subject, Some(subject(&template, lead, &origin))),
            (&columns.first_name, first_name),
            (&columns.last_name, last_name),
            (&columns.email, lead.email.clone()),
            (&columns.phone, lead.phone.clone()),
            (&columns.company, lead.company.clone()),
            (&columns.job_title, lead.title.clone()),
            (&columns.country, lead.country.clone()),
            (&columns.offer, offer_id.clone()),
            (&columns.offer_title, lead.offer_title.clone()),
            (&columns.action, action_code),
            (&columns.source, origin.source.clone()),
            (&columns.idempotency_key, Some(key.hex())),
            (
                &columns.lead_id,
                Some(key.lead_id().hyphenated().to_string()),
            ),
        ];
        for (column, value) in text_parts {
            if let (Some(column), Some(value)) = (column, value) {
                self.put(&mut out, column, value)?;
            }
        }
        if let Some(column) = &columns.description {
            let details = self.marketplace_details(lead, &origin, offer_id, full_name_unused);
            let text = self.description(column, lead.description.as_deref(), &details)?;
            if !text.is_empty() {
                self.put(&mut out, column, text)?;
            }
        }
        if let Some(column) = &columns.lead_source_code {
            out.insert(column.clone(), Value::from(self.lead_source_code));
        }
        Ok(out)
    }

    fn put(&self, out: &mut Map<String, Value>, column: &str, value: String) -> Result<()> {
        let max = self.max_lengths.get(column).copied();
        let value = fit(
            column,
            value,
            max,
            self.on_too_long,
            &self.truncation_marker,
        )?;
        out.insert(column.to_owned(), Value::String(value));
        Ok(())
    }

    /// The customer's description, then the marketplace details. When the whole is too long
    /// and the policy is to truncate, the customer's text is cut, not the details: they say
    /// which offer and action the lead is about.
    fn description(&self, column: &str, customer: Option<&str>, details: &str) -> Result<String> {
        let customer = customer.unwrap_or_default();
        let separator = if customer.is_empty() || details.is_empty() {
            ""
        } else {
            "\n\n"
        };
        let whole = format!("{customer}{separator}{details}");
        let (Some(max), TooLong::Truncate) = (self.max_lengths.get(column), self.on_too_long)
        else {
            return Ok(whole);
        };
        let fixed = utf16_len(separator) + utf16_len(details);
        if utf16_len(&whole) <= *max || fixed >= *max {
            // Fits, or the details alone do not: `put` cuts the whole from the end.
            return Ok(whole);
        }
        let customer = fit(
            column,
            customer.to_owned(),
            Some(max - fixed),
            TooLong::Truncate,
            &self.truncation_marker,
        )?;
        Ok(format!("{customer}{separator}{details}"))
    }

    /// A line for each part that has no column of its own, under a heading; empty if none.
    fn marketplace_details(
        &self,
        lead: &Lead,
        origin: &LeadOrigin,
        offer_id: Option<String>,
        full_name_unused: Option<&str>,
    ) -> String {
        let columns = &self.columns;
        let mut lines = Vec::new();
        if lead.is_test() {
            lines.push("Test lead: sent by Microsoft Partner Center (MSFT_TEST_)".to_owned());
        }
        let mut line = |has_column: bool, label: &str, value: Option<&str>| {
            if let (false, Some(value)) = (has_column, value) {
                lines.push(format!("{label}: {value}"));
            }
        };
        line(
            columns.offer_title.is_some(),
            "Offer",
            lead.offer_title.as_deref(),
        );
        line(columns.offer.is_some(), "Offer ID", offer_id.as_deref());
        let action = origin
            .action
            .as_ref()
            .map(|a| match a.describe() == a.code() {
                true => a.code().to_owned(),
                false => format!("{} ({})", a.code(), a.describe()),
            });
        line(columns.action.is_some(), "Action", action.as_deref());
        line(columns.source.is_some(), "Source", origin.source.as_deref());
        line(false, "Name as sent", full_name_unused);
        if lines.is_empty() {
            String::new()
        } else {
            format!("Marketplace lead\n{}", lines.join("\n"))
        }
    }
}

/// First and last name, and a full name that was sent but not needed to fill them.
fn names(lead: &Lead) -> (Option<String>, Option<String>, Option<&str>) {
    let several_words = |v: &String| v.split_whitespace().nth(1).is_some();
    match (&lead.first_name, &lead.last_name, &lead.full_name) {
        (None, None, Some(full)) => {
            let (first, last) = split_full_name(full);
            (first, last, None)
        }
        (Some(one), None, full) | (None, Some(one), full) if several_words(one) => {
            let (first, last) = split_full_name(one);
            (first, last, full.as_deref())
        }
        (first, last, full) => (first.clone(), last.clone(), full.as_deref()),
    }
}

fn subject(template: &Template<'_>, lead: &Lead, origin: &LeadOrigin) -> String {
    let mut out = String::new();
    for piece in &template.0 {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Value(placeholder) => {
                let value = match placeholder {
                    Placeholder::Offer => lead
                        .offer_title
                        .clone()
                        .or_else(|| origin.offer_id())
                        .unwrap_or_else(|| "unknown offer".to_owned()),
                    Placeholder::OfferId => origin
                        .offer_id()
                        .unwrap_or_else(|| "unknown offer".to_owned()),
                    Placeholder::Action => origin
                        .action
                        .as_ref()
                        .map_or("no action given", |a| a.describe())
                        .to_owned(),
                    Placeholder::ActionCode => origin
                        .action
                        .as_ref()
                        .map_or("no action given", |a| a.code())
                        .to_owned(),
                    Placeholder::Source => origin
                        .source
                        .clone()
                        .unwrap_or_else(|| "unknown source".to_owned()),
                };
                out.push_str(&value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyOptions;

    fn lead(body: &str) -> Lead {
        Lead::parse(body.as_bytes()).unwrap()
    }

    fn map(mapping: &Mapping, lead: &Lead) -> Result<Map<String, Value>> {
        mapping.to_columns(lead, &lead.idempotency_key(0, &KeyOptions::default()))
    }

    const FULL: &str = r#"{"UserDetails":{"FirstName":"Ada","LastName":"Lovelace","Email":"ada@example.com",
        "Phone":"123","Country":"UK","Company":"Engines","Title":"Countess"},
        "LeadSource":"AzureMarketplace-PLT|contoso.engine","OfferTitle":"Engine","Description":"Call me"}"#;

    #[test]
    fn default_mapping_fills_the_standard_columns() {
        let out = map(&Mapping::default(), &lead(FULL)).unwrap();
        assert_eq!(out["subject"], "Marketplace lead: Engine (Contact me)");
        assert_eq!(out["firstname"], "Ada");
        assert_eq!(out["lastname"], "Lovelace");
        assert_eq!(out["emailaddress1"], "ada@example.com");
        assert_eq!(out["telephone1"], "123");
        assert_eq!(out["companyname"], "Engines");
        assert_eq!(out["jobtitle"], "Countess");
        assert_eq!(out["address1_country"], "UK");
        assert_eq!(out["leadsourcecode"], 8);
        assert_eq!(
            out["description"],
            "Call me\n\nMarketplace lead\nOffer: Engine\nOffer ID: contoso.engine\nAction: PLT (Contact me)\nSource: AzureMarketplace"
        );
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn parts_with_columns_leave_the_description() {
        let mapping = Mapping::from_toml(
            r#"
            subject_template = "{offer_id}/{action_code}/{source}"
            [columns]
            offer = "new_offer"
            offer_title = "new_offertitle"
            action = "new_action"
            source = "new_source"
            idempotency_key = "new_key"
            lead_id = "leadid"
            lead_source_code = ""
            "#,
        )
        .unwrap();
        let lead = lead(FULL);
        let key = lead.idempotency_key(0, &KeyOptions::default());
        let out = mapping.to_columns(&lead, &key).unwrap();
        assert_eq!(out["subject"], "contoso.engine/PLT/AzureMarketplace");
        assert_eq!(out["new_offer"], "contoso.engine");
        assert_eq!(out["new_offertitle"], "Engine");
        assert_eq!(out["new_action"], "PLT");
        assert_eq!(out["new_source"], "AzureMarketplace");
        assert_eq!(out["new_key"], key.hex().as_str());
        assert_eq!(out["leadid"], key.lead_id().to_string().as_str());
        assert_eq!(out["description"], "Call me");
        assert!(!out.contains_key("leadsourcecode"));
    }

    #[test]
    fn sparse_lead_writes_no_nulls() {
        let out = map(
            &Mapping::default(),
            &lead(r#"{"LeadSource":"AzurePortal"}"#),
        )
        .unwrap();
        assert_eq!(
            out["subject"],
            "Marketplace lead: unknown offer (no action given)"
        );
        assert_eq!(out["description"], "Marketplace lead\nSource: AzurePortal");
        assert!(out.values().all(|v| !v.is_null()));
        assert!(!out.contains_key("firstname"));
    }

    #[test]
    fn full_names_are_split_when_alone() {
        let out = map(
            &Mapping::default(),
            &lead(r#"{"UserDetails":{"Name":"Ada King Lovelace"}}"#),
        )
        .unwrap();
        assert_eq!(out["firstname"], "Ada King");
        assert_eq!(out["lastname"], "Lovelace");
        let out = map(
            &Mapping::default(),
            &lead(r#"{"UserDetails":{"FirstName":"Ada Lovelace"}}"#),
        )
        .unwrap();
        assert_eq!(
            (&out["firstname"], &out["lastname"]),
            (&"Ada".into(), &"Lovelace".into())
        );
        let out = map(
            &Mapping::default(),
            &lead(r#"{"UserDetails":{"FirstName":"Ada","FullName":"Ada L"}}"#),
        )
        .unwrap();
        assert_eq!(out["firstname"], "Ada");
        assert!(!out.contains_key("lastname"));
        assert!(
            out["description"]
                .as_str()
                .unwrap()
                .contains("Name as sent: Ada L")
        );
    }

    #[test]
    fn too_long_values_are_cut_or_refused() {
        let long_company = "x".repeat(150);
        let body = format!(r#"{{"UserDetails":{{"Company":"{long_company}"}}}}"#);
        let out = map(&Mapping::default(), &lead(&body)).unwrap();
        let company = out["companyname"].as_str().unwrap();
        assert_eq!(company.chars().count(), 100);
        assert!(company.ends_with('…'));
        let refuse = Mapping {
            on_too_long: TooLong::Refuse,
            ..Mapping::default()
        };
        let err = map(&refuse, &lead(&body)).unwrap_err();
        assert_eq!(err.code(), "value_too_long");
        assert!(err.is_bad_lead());
        assert!(!err.to_string().contains("xxx"));
    }

    #[test]
    fn a_long_description_is_cut_before_the_marketplace_details() {
        let notes = "n".repeat(3000);
        let body =
            format!(r#"{{"Description":"{notes}","OfferTitle":"Engine","ActionCode":"INS"}}"#);
        let out = map(&Mapping::default(), &lead(&body)).unwrap();
        let description = out["description"].as_str().unwrap();
        assert_eq!(utf16_len(description), 2000);
        assert!(description.ends_with("Marketplace lead\nOffer: Engine\nAction: INS (Get it now)"));
        assert!(description.contains("n…\n\nMarketplace lead"));
        let refuse = Mapping {
            on_too_long: TooLong::Refuse,
            ..Mapping::default()
        };
        assert_eq!(
            map(&refuse, &lead(&body)).unwrap_err().code(),
            "value_too_long"
        );
    }

    #[test]
    fn test_lead_is_marked_in_the_description() {
        let out = map(
            &Mapping::default(),
            &lead(r#"{"UserDetails":{"FirstName":"MSFT_TEST_1"}}"#),
        )
        .unwrap();
        assert!(out["description"].as_str().unwrap().contains("Test lead"));
    }
}

//! Reading `LeadSource` (and `ActionCode`) into source, action, publisher and offer.
//!
//! Two shapes are documented (REFERENCE-WORKFLOWS 1.1): the HTTPS samples send a bare source
//! (`"AzureMarketplace"`) plus a separate `ActionCode` (`"INS"`); "Understand lead data"
//! (`commercial-marketplace-get-customer-leads.md`) gives `Source-Action|Offer`, e.g.
//! `AzureMarketplace-INS|publisher.offer`, with the offer as `publisherid.offerid`.

use std::fmt;

/// What the customer did, from the action code ("Understand lead data").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeadAction {
    /// `INS`: installed ("Get it now" on Azure Marketplace or AppSource, or created in the Azure portal).
    Install,
    /// `PLT`: asked to be contacted (partner-led trial).
    ContactMe,
    /// `DNC`: "Contact me" on a CSP listing page; do not contact.
    DoNotContact,
    /// `Create`: created in the Azure portal.
    Create,
    /// `StartTestDrive`: started a test drive.
    TestDrive,
    /// An action this crate does not know, as sent.
    Unknown(String),
}

impl LeadAction {
    /// Reads an action code; never fails (unknown codes are kept in [`LeadAction::Unknown`]).
    /// Codes are matched case-insensitively.
    pub fn parse(code: &str) -> Self {
        let code = code.trim();
        match code.to_ascii_lowercase().as_str() {
            "ins" => LeadAction::Install,
            "plt" => LeadAction::ContactMe,
            "dnc" => LeadAction::DoNotContact,
            "create" => LeadAction::Create,
            "starttestdrive" => LeadAction::TestDrive,
            _ => LeadAction::Unknown(code.to_owned()),
        }
    }

    /// The code as the marketplace spells it.
    pub fn code(&self) -> &str {
        match self {
            LeadAction::Install => "INS",
            LeadAction::ContactMe => "PLT",
            LeadAction::DoNotContact => "DNC",
            LeadAction::Create => "Create",
            LeadAction::TestDrive => "StartTestDrive",
            LeadAction::Unknown(code) => code,
        }
    }

    /// Words for a person reading the lead (the subject line, the description).
    pub fn describe(&self) -> &str {
        match self {
            LeadAction::Install => "Get it now",
            LeadAction::ContactMe => "Contact me",
            LeadAction::DoNotContact => "Do not contact",
            LeadAction::Create => "Created in Azure portal",
            LeadAction::TestDrive => "Test drive",
            LeadAction::Unknown(code) => code,
        }
    }
}

impl fmt::Display for LeadAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a lead came from: the parts of `LeadSource` and `ActionCode`. Holds no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LeadOrigin {
    /// The marketplace surface: `AzureMarketplace`, `AzurePortal`, `AppSource (SPZA)`, ...
    pub source: Option<String>,
    /// What the customer did.
    pub action: Option<LeadAction>,
    /// The publisher id, from the offer part `publisherid.offerid`.
    pub publisher: Option<String>,
    /// The offer id (or, for the test lead, the offer's name).
    pub offer: Option<String>,
}

impl LeadOrigin {
    /// Reads `LeadSource` and `ActionCode`. Rules (REFERENCE 5.3):
    /// - with a `|`, the text after the first `|` is the offer; the text before it is
    ///   `Source-Action`, split on its last `-` (a part without `-` is the source alone);
    /// - without a `|` but with an `ActionCode`, `LeadSource` is the bare source;
    /// - without either, a `LeadSource` holding `-` is split on its last `-`;
    /// - the offer is `publisher.offer` split on its first `.` when it has no spaces (ids have
    ///   none; the test lead puts an offer *name* there, kept whole);
    /// - an explicit `ActionCode` wins over an action inside `LeadSource`.
    pub fn parse(lead_source: Option<&str>, action_code: Option<&str>) -> Self {
        let explicit_action = non_empty(action_code).map(LeadAction::parse);
        let Some(lead_source) = non_empty(lead_source) else {
            return LeadOrigin {
                action: explicit_action,
                ..LeadOrigin::default()
            };
        };
        let (source_action, offer_part) = match lead_source.split_once('|') {
            Some((left, right)) => (left, Some(right)),
            None => (lead_source, None),
        };
        let (source, embedded_action) = if offer_part.is_none() && explicit_action.is_some() {
            (Some(source_action), None)
        } else {
            match source_action.rsplit_once('-') {
                Some((source, action)) => (Some(source), Some(action)),
                None => (Some(source_action), None),
            }
        };
        let (publisher, offer) = match non_empty(offer_part) {
            Some(offer) if !offer.contains(char::is_whitespace) => match offer.split_once('.') {
                Some((publisher, offer)) => (non_empty(Some(publisher)), non_empty(Some(offer))),
                None => (None, Some(offer)),
            },
            other => (None, other),
        };
        LeadOrigin {
            source: non_empty(source).map(str::to_owned),
            action: explicit_action.or_else(|| non_empty(embedded_action).map(LeadAction::parse)),
            publisher: publisher.map(str::to_owned),
            offer: offer.map(str::to_owned),
        }
    }

    /// `publisher.offer` when both are known, else whichever is.
    pub fn offer_id(&self) -> Option<String> {
        match (&self.publisher, &self.offer) {
            (Some(publisher), Some(offer)) => Some(format!("{publisher}.{offer}")),
            (None, Some(offer)) => Some(offer.clone()),
            (Some(publisher), None) => Some(publisher.clone()),
            (None, None) => None,
        }
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_source_with_action_code() {
        let origin = LeadOrigin::parse(Some("AzureMarketplace"), Some("INS"));
        assert_eq!(origin.source.as_deref(), Some("AzureMarketplace"));
        assert_eq!(origin.action, Some(LeadAction::Install));
        assert_eq!(origin.offer_id(), None);
    }

    #[test]
    fn source_action_pipe_publisher_offer() {
        let origin = LeadOrigin::parse(Some("AzureMarketplace-PLT|contoso.contoso-crm-app"), None);
        assert_eq!(origin.source.as_deref(), Some("AzureMarketplace"));
        assert_eq!(origin.action, Some(LeadAction::ContactMe));
        assert_eq!(origin.publisher.as_deref(), Some("contoso"));
        assert_eq!(origin.offer.as_deref(), Some("contoso-crm-app"));
        assert_eq!(
            origin.offer_id().as_deref(),
            Some("contoso.contoso-crm-app")
        );
    }

    #[test]
    fn source_with_spaces_and_unknown_action() {
        let origin = LeadOrigin::parse(Some("AppSource (SPZA)-Subscribe|pub.offer.v2"), None);
        assert_eq!(origin.source.as_deref(), Some("AppSource (SPZA)"));
        assert_eq!(
            origin.action,
            Some(LeadAction::Unknown("Subscribe".to_owned()))
        );
        assert_eq!(origin.publisher.as_deref(), Some("pub"));
        assert_eq!(origin.offer.as_deref(), Some("offer.v2"));
    }

    #[test]
    fn old_test_lead_shape_keeps_the_offer_name_whole() {
        let origin = LeadOrigin::parse(
            Some("MSFT_TEST_636573304831318844-MSFT_TEST_636573304831318844|Contoso Test 2.0"),
            None,
        );
        assert_eq!(
            origin.source.as_deref(),
            Some("MSFT_TEST_636573304831318844")
        );
        assert_eq!(origin.publisher, None);
        assert_eq!(origin.offer.as_deref(), Some("Contoso Test 2.0"));
    }

    #[test]
    fn explicit_action_code_wins() {
        let origin = LeadOrigin::parse(Some("AzurePortal-Create|p.o"), Some("ins"));
        assert_eq!(origin.action, Some(LeadAction::Install));
        assert_eq!(origin.source.as_deref(), Some("AzurePortal"));
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert_eq!(LeadOrigin::parse(None, None), LeadOrigin::default());
        assert_eq!(
            LeadOrigin::parse(Some("  "), Some("")),
            LeadOrigin::default()
        );
        let only_action = LeadOrigin::parse(None, Some("DNC"));
        assert_eq!(only_action.action, Some(LeadAction::DoNotContact));
    }

    #[test]
    fn action_codes_round_trip() {
        for code in ["INS", "PLT", "DNC", "Create", "StartTestDrive", "Other"] {
            assert_eq!(LeadAction::parse(code).code(), code);
        }
    }
}

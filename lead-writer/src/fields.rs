//! The lead fields the marketplace sends, and how a received key is matched to one.
//!
//! Keys are matched after [`normalise_key`]: Microsoft's own test lead spells the container
//! `userDetails` while the schema says `UserDetails` (REFERENCE-WORKFLOWS 1.2), so case,
//! spaces, `_` and `-` do not count.

/// A lead field this crate understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Field {
    FirstName,
    LastName,
    FullName,
    Email,
    Phone,
    Country,
    Company,
    Title,
    LeadSource,
    ActionCode,
    OfferTitle,
    Description,
    CreatedTime,
}

/// Where a key lives: at the top of the body, or inside `UserDetails` / `CustomerInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Top,
    User,
}

impl Field {
    /// The marketplace's spelling, used in error messages and when a lead is written back as JSON.
    pub(crate) fn wire_name(self) -> &'static str {
        match self {
            Field::FirstName => "FirstName",
            Field::LastName => "LastName",
            Field::FullName => "FullName",
            Field::Email => "Email",
            Field::Phone => "Phone",
            Field::Country => "Country",
            Field::Company => "Company",
            Field::Title => "Title",
            Field::LeadSource => "LeadSource",
            Field::ActionCode => "ActionCode",
            Field::OfferTitle => "OfferTitle",
            Field::Description => "Description",
            Field::CreatedTime => "CreatedTime",
        }
    }

    /// Which level the field belongs to.
    pub(crate) fn level(self) -> Level {
        match self {
            Field::FirstName
            | Field::LastName
            | Field::FullName
            | Field::Email
            | Field::Phone
            | Field::Country
            | Field::Company
            | Field::Title => Level::User,
            _ => Level::Top,
        }
    }

    /// The field a normalised key names at a level, if any. Aliases: `OfferDisplayName` (the
    /// Azure Table shape, REFERENCE 5.4), `JobTitle`, `EmailAddress`, `PhoneNumber`, `CompanyName`,
    /// `Name` (a full name, UNCONFIRMED: not in the docs, accepted so it is not lost).
    pub(crate) fn from_key(normalised: &str, level: Level) -> Option<Field> {
        let field = match (level, normalised) {
            (Level::User, "firstname") => Field::FirstName,
            (Level::User, "lastname") => Field::LastName,
            (Level::User, "fullname" | "name") => Field::FullName,
            (Level::User, "email" | "emailaddress") => Field::Email,
            (Level::User, "phone" | "phonenumber") => Field::Phone,
            (Level::User, "country") => Field::Country,
            (Level::User, "company" | "companyname") => Field::Company,
            (Level::User, "title" | "jobtitle") => Field::Title,
            (Level::Top, "leadsource") => Field::LeadSource,
            (Level::Top, "actioncode") => Field::ActionCode,
            (Level::Top, "offertitle" | "offerdisplayname") => Field::OfferTitle,
            (Level::Top, "description") => Field::Description,
            (Level::Top, "createdtime") => Field::CreatedTime,
            _ => return None,
        };
        Some(field)
    }
}

/// True for the keys of the object holding the customer's details: `UserDetails` in the
/// HTTPS shape, `CustomerInfo` (a JSON string) in the Azure Table shape.
pub(crate) fn is_user_container(normalised: &str) -> bool {
    matches!(normalised, "userdetails" | "customerinfo")
}

/// A key folded for matching: lower case, without whitespace, `_` or `-`.
pub(crate) fn normalise_key(key: &str) -> String {
    key.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_whatever_the_case_and_spacing() {
        for key in [
            "UserDetails",
            "userDetails",
            " user_details ",
            "USER-DETAILS",
        ] {
            assert!(is_user_container(&normalise_key(key)), "{key}");
        }
        assert_eq!(
            Field::from_key(&normalise_key("First Name"), Level::User),
            Some(Field::FirstName)
        );
        assert_eq!(
            Field::from_key(&normalise_key("OfferDisplayName"), Level::Top),
            Some(Field::OfferTitle)
        );
    }

    #[test]
    fn a_field_is_only_known_at_its_own_level() {
        assert_eq!(Field::from_key("email", Level::Top), None);
        assert_eq!(Field::from_key("description", Level::User), None);
    }
}

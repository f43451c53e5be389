//! The user properties the emulator's Graph serves: names, the default set, values, and which
//! ones a change touched.

use serde_json::{Map, Value, json};

use crate::directory::User;

/// A Microsoft Graph `user` property served by the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserProp {
    Id,
    BusinessPhones,
    DisplayName,
    GivenName,
    JobTitle,
    Mail,
    MobilePhone,
    OfficeLocation,
    PreferredLanguage,
    Surname,
    UserPrincipalName,
    AccountEnabled,
    Department,
    City,
    Country,
    UsageLocation,
    AssignedLicenses,
}

/// Every property, in output order.
pub(crate) const ALL: [UserProp; 17] = [
    UserProp::BusinessPhones,
    UserProp::DisplayName,
    UserProp::GivenName,
    UserProp::JobTitle,
    UserProp::Mail,
    UserProp::MobilePhone,
    UserProp::OfficeLocation,
    UserProp::PreferredLanguage,
    UserProp::Surname,
    UserProp::UserPrincipalName,
    UserProp::Id,
    UserProp::AccountEnabled,
    UserProp::Department,
    UserProp::City,
    UserProp::Country,
    UserProp::UsageLocation,
    UserProp::AssignedLicenses,
];

/// The properties returned without `$select` ("List users": businessPhones, displayName,
/// givenName, id, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage, surname,
/// userPrincipalName).
pub(crate) const DEFAULT: [UserProp; 11] = [
    UserProp::BusinessPhones,
    UserProp::DisplayName,
    UserProp::GivenName,
    UserProp::JobTitle,
    UserProp::Mail,
    UserProp::MobilePhone,
    UserProp::OfficeLocation,
    UserProp::PreferredLanguage,
    UserProp::Surname,
    UserProp::UserPrincipalName,
    UserProp::Id,
];

/// The basic profile, all a `User.ReadBasic.All` caller may read (the permissions reference:
/// displayName, givenName, id, mail, photo, securityIdentifier, surname, userPrincipalName;
/// the emulator serves neither photo nor securityIdentifier).
pub(crate) const BASIC: [UserProp; 6] = [
    UserProp::DisplayName,
    UserProp::GivenName,
    UserProp::Id,
    UserProp::Mail,
    UserProp::Surname,
    UserProp::UserPrincipalName,
];

impl UserProp {
    /// The Graph name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::BusinessPhones => "businessPhones",
            Self::DisplayName => "displayName",
            Self::GivenName => "givenName",
            Self::JobTitle => "jobTitle",
            Self::Mail => "mail",
            Self::MobilePhone => "mobilePhone",
            Self::OfficeLocation => "officeLocation",
            Self::PreferredLanguage => "preferredLanguage",
            Self::Surname => "surname",
            Self::UserPrincipalName => "userPrincipalName",
            Self::AccountEnabled => "accountEnabled",
            Self::Department => "department",
            Self::City => "city",
            Self::Country => "country",
            Self::UsageLocation => "usageLocation",
            Self::AssignedLicenses => "assignedLicenses",
        }
    }

    /// The property with this name (any case, as Graph accepts in `$select`).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        ALL.into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// A bit for [`changed`] masks.
    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The property's value for a user.
    pub(crate) fn value(self, user: &User) -> Value {
        let text = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| json!(s));
        let p = &user.profile;
        match self {
            Self::Id => json!(user.object_id),
            Self::BusinessPhones => json!([]),
            Self::DisplayName => json!(user.display_name),
            Self::GivenName => text(&p.given_name),
            Self::JobTitle => text(&p.job_title),
            Self::Mail => text(&p.mail),
            Self::MobilePhone | Self::PreferredLanguage => Value::Null,
            Self::OfficeLocation => text(&p.office_location),
            Self::Surname => text(&p.surname),
            Self::UserPrincipalName => json!(user.upn),
            Self::AccountEnabled => json!(p.account_enabled),
            Self::Department => text(&p.department),
            Self::City => text(&p.city),
            Self::Country => text(&p.country),
            Self::UsageLocation => text(&p.usage_location),
            Self::AssignedLicenses => Value::Array(
                p.licences
                    .iter()
                    .map(|sku| json!({ "disabledPlans": [], "skuId": sku }))
                    .collect(),
            ),
        }
    }
}

/// The mask of properties whose values differ between two versions of a user.
pub(crate) fn changed(old: &User, new: &User) -> u32 {
    ALL.into_iter()
        .filter(|p| p.value(old) != p.value(new))
        .fold(0, |mask, p| mask | p.bit())
}

/// The mask of a property list.
pub(crate) fn mask(props: &[UserProp]) -> u32 {
    props.iter().fold(0, |mask, p| mask | p.bit())
}

/// A user as Graph renders it: `props` in catalogue order, `id` always included.
pub(crate) fn render(user: &User, props: &[UserProp]) -> Value {
    let mut object = Map::new();
    for prop in ALL {
        if prop == UserProp::Id || props.contains(&prop) {
            object.insert(prop.name().to_owned(), prop.value(user));
        }
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_case_and_unknown_names_do_not() {
        assert_eq!(UserProp::parse("JOBTITLE"), Some(UserProp::JobTitle));
        assert_eq!(
            UserProp::parse(" usageLocation"),
            Some(UserProp::UsageLocation)
        );
        assert_eq!(UserProp::parse("skills"), None);
    }

    #[test]
    fn bits_are_distinct() {
        assert_eq!(mask(&ALL).count_ones() as usize, ALL.len());
    }
}

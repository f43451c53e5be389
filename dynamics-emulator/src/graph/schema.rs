//! What `$filter` and `$select` accept on users and groups, after the support table of
//! "Advanced query capabilities on Microsoft Entra ID objects".

use super::auth::{self, Profile};
use super::filter::{Filter, Operator, Schema, Support};
use super::props::{self, UserProp};
use super::reply::GraphError;

/// User properties the emulator filters on.
const USER_FILTERABLE: [&str; 12] = [
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "department",
    "city",
    "country",
    "jobTitle",
    "usageLocation",
    "accountEnabled",
];

/// The user schema.
pub(crate) const USER: Schema = Schema {
    resource: "User",
    property: |name| {
        USER_FILTERABLE
            .into_iter()
            .find(|p| p.eq_ignore_ascii_case(name.trim()))
    },
    support: user_support,
};

fn user_support(prop: &'static str, operator: Operator) -> Support {
    match operator {
        // "The `in` operator is supported by default whenever `eq` operator is supported by
        // default"; `ne` and `not` only in advanced queries.
        Operator::Eq | Operator::In => Support::Default,
        Operator::Ne | Operator::Not => Support::Advanced,
        Operator::StartsWith => match prop {
            "id" | "accountEnabled" | "jobTitle" => Support::No,
            _ => Support::Default,
        },
        // "supported only with advanced query parameters by mail, otherMails,
        // userPrincipalName, and proxyAddresses".
        Operator::EndsWith => match prop {
            "mail" | "userPrincipalName" => Support::Advanced,
            _ => Support::No,
        },
        Operator::EqNull => match prop {
            "city" | "country" | "department" | "displayName" | "givenName" | "jobTitle"
            | "surname" => Support::Advanced,
            _ => Support::No,
        },
    }
}

/// Group properties the emulator filters on.
const GROUP_FILTERABLE: [&str; 3] = ["id", "displayName", "mailNickname"];

/// The group schema.
pub(crate) const GROUP: Schema = Schema {
    resource: "Group",
    property: |name| {
        GROUP_FILTERABLE
            .into_iter()
            .find(|p| p.eq_ignore_ascii_case(name.trim()))
    },
    support: group_support,
};

fn group_support(prop: &'static str, operator: Operator) -> Support {
    match operator {
        Operator::Eq | Operator::In => Support::Default,
        Operator::Ne | Operator::Not => Support::Advanced,
        Operator::StartsWith if prop != "id" => Support::Default,
        Operator::EqNull if prop == "displayName" => Support::Advanced,
        _ => Support::No,
    }
}

/// The properties a user `$select` names (the default set when absent).
pub(crate) fn user_select(select: Option<&str>) -> Result<Vec<UserProp>, GraphError> {
    match select {
        None => Ok(props::DEFAULT.to_vec()),
        Some(select) => select
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| UserProp::parse(name).ok_or_else(|| unknown_property(name, "user")))
            .collect(),
    }
}

/// The properties a user `$select` names, for a caller that may read `profile`: with the
/// basic profile, the default set is cut to the basic properties, and naming any other
/// property is refused (403).
pub(crate) fn user_select_for(
    select: Option<&str>,
    profile: Profile,
) -> Result<Vec<UserProp>, GraphError> {
    let chosen = user_select(select)?;
    match (profile, select) {
        (Profile::Full, _) => Ok(chosen),
        (Profile::Basic, None) => Ok(chosen
            .into_iter()
            .filter(|p| props::BASIC.contains(p))
            .collect()),
        (Profile::Basic, Some(_)) if chosen.iter().all(|p| props::BASIC.contains(p)) => Ok(chosen),
        (Profile::Basic, Some(_)) => Err(auth::denied()),
    }
}

/// Refuses a user `$filter` on a property outside what `profile` may read (403).
pub(crate) fn check_filter_profile(filter: &Filter, profile: Profile) -> Result<(), GraphError> {
    let basic = |name: &str| UserProp::parse(name).is_some_and(|p| props::BASIC.contains(&p));
    if profile == Profile::Basic && !filter.properties().into_iter().all(basic) {
        return Err(auth::denied());
    }
    Ok(())
}

/// The error for a `$select` of an unknown property.
pub(crate) fn unknown_property(name: &str, type_name: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."
    ))
}

//! Command-line errors that say what to fix: GUID arguments whose error names where the
//! value is found, and typo suggestions that never offer the opposite command
//! (`registerap` suggests `registerapp`, not `unregisterapp`).

use std::fmt;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use online_mgmt_api::EnvironmentName;
use uuid::Uuid;

/// Where an environment (instance) id is found.
pub(crate) const ENVIRONMENT_ID: &str = "use an instance id from `d365 instances list` (with \
     --backend bap, the Environment ID from the Power Platform admin center > Environments > \
     your environment, or Default-<tenant id> for the default environment)";
/// Where a user's object id is found.
pub(crate) const USER_OBJECT_ID: &str = "use the user's Object ID from the Microsoft Entra \
     admin center (entra.microsoft.com) > Users > the user (not the user name)";
/// Where an instance id is found.
pub(crate) const INSTANCE_ID: &str = "use an instance id from `d365 instances list`";
/// Where an application (client) id is found.
pub(crate) const APPLICATION_ID: &str = "use the Application (client) ID from the Microsoft \
     Entra admin center > App registrations > your app > Overview";
/// Where a Dataverse user's id is found.
pub(crate) const SYSTEM_USER_ID: &str = "use the user's systemuserid (Power Platform admin \
     center > the environment > Settings > Users, or `GET systemusers` in the Web API)";
/// Where a team's id is found.
pub(crate) const TEAM_ID: &str = "use the team's teamid (Power Platform admin center > the \
     environment > Settings > Teams, or `GET teams` in the Web API)";
/// Where an operation id is found.
pub(crate) const OPERATION_ID: &str = "use the operation id printed by the command that \
     started the operation (with --json, its operation_id field)";

/// A GUID argument that is not one; the error's source, so that the failure's fix can say
/// where the value is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotAGuid {
    value: String,
    /// What to do instead: where the value is found.
    pub(crate) where_to_find: &'static str,
}

impl fmt::Display for NotAGuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a GUID (it must look like 1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b)",
            self.value
        )
    }
}

impl std::error::Error for NotAGuid {}

/// Parses a GUID, accepting the hyphenated, braced (`{...}`) and 32-digit forms.
pub(crate) fn parse_guid(value: &str, where_to_find: &'static str) -> Result<Uuid, NotAGuid> {
    Uuid::parse_str(value.trim()).map_err(|_| NotAGuid {
        value: value.chars().take(100).collect(),
        where_to_find,
    })
}

/// A clap value parser for a GUID argument whose value is found as `where_to_find` says.
pub(crate) fn guid(
    where_to_find: &'static str,
) -> impl Fn(&str) -> Result<Uuid, NotAGuid> + Clone + Send + Sync + 'static {
    move |value| parse_guid(value, where_to_find)
}

/// A clap value parser for `--environment`: a GUID, or `Default-<tenant id>` (the default
/// environment's name on the Power Platform admin API).
pub(crate) fn environment_name(value: &str) -> Result<EnvironmentName, NotAGuid> {
    EnvironmentName::parse(value).map_err(|_| NotAGuid {
        value: value.chars().take(100).collect(),
        where_to_find: ENVIRONMENT_ID,
    })
}

/// Where the value of a GUID argument that failed to parse is found, if that was the error.
pub(crate) fn guid_fix(error: &clap::Error) -> Option<&'static str> {
    let source = std::error::Error::source(error)?;
    source
        .downcast_ref::<NotAGuid>()
        .map(|not_a_guid| not_a_guid.where_to_find)
}

/// Drops suggested subcommands that mean the opposite of what was typed: `unregisterapp`
/// for `registerap`. Other errors are left as they are.
pub(crate) fn without_opposite_suggestions(mut error: clap::Error) -> clap::Error {
    if error.kind() != ErrorKind::InvalidSubcommand {
        return error;
    }
    let Some(ContextValue::String(typed)) = error.get(ContextKind::InvalidSubcommand) else {
        return error;
    };
    let typed_negative = typed.to_ascii_lowercase().starts_with("un");
    let Some(ContextValue::Strings(suggested)) = error.get(ContextKind::SuggestedSubcommand) else {
        return error;
    };
    let kept: Vec<String> = suggested
        .iter()
        .filter(|s| typed_negative || !s.to_ascii_lowercase().starts_with("un"))
        .cloned()
        .collect();
    if kept.len() != suggested.len() {
        if kept.is_empty() {
            error.remove(ContextKind::SuggestedSubcommand);
        } else {
            error.insert(
                ContextKind::SuggestedSubcommand,
                ContextValue::Strings(kept),
            );
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(args: &[&str]) -> clap::Error {
        crate::cli::command()
            .try_get_matches_from(args)
            .map(drop)
            .map_err(without_opposite_suggestions)
            .expect_err("a usage error")
    }

    #[test]
    fn a_typo_of_registerapp_does_not_suggest_unregisterapp() {
        let e = parse(&["d365", "registerap"]);
        let text = e.render().to_string();
        assert!(text.contains("'registerapp'"), "{text}");
        assert!(!text.contains("unregisterapp"), "{text}");
        let e = parse(&["d365", "unregisterap"]);
        assert!(e.render().to_string().contains("'unregisterapp'"));
    }

    #[test]
    fn each_guid_argument_says_where_its_value_is_found() {
        for (args, fix) in [
            (
                &[
                    "d365",
                    "users",
                    "force-sync",
                    "--environment",
                    "nope",
                    "--user",
                    "x",
                ][..],
                ENVIRONMENT_ID,
            ),
            (
                &[
                    "d365",
                    "users",
                    "force-sync",
                    "--environment",
                    "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b",
                    "--user",
                    "bob@contoso.com",
                ][..],
                USER_OBJECT_ID,
            ),
            (&["d365", "instances", "get", "nope"][..], INSTANCE_ID),
            (&["d365", "operations", "wait", "nope"][..], OPERATION_ID),
        ] {
            let e = parse(args);
            assert_eq!(guid_fix(&e), Some(fix), "{args:?}");
        }
    }

    #[test]
    fn an_environment_is_a_guid_or_a_default_environment_name() {
        let id = "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b";
        assert_eq!(
            environment_name(id).expect("guid").as_uuid(),
            Some(id.parse().unwrap())
        );
        let default = environment_name(&format!("Default-{id}")).expect("default");
        assert_eq!(default.to_string(), format!("Default-{id}"));
        let err = environment_name("contoso").expect_err("a name");
        assert_eq!(err.where_to_find, ENVIRONMENT_ID);
    }

    #[test]
    fn guids_are_accepted_in_their_usual_forms() {
        let want: Uuid = "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b".parse().unwrap();
        for text in [
            "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b",
            " {1B2C3D4E-5F60-4718-9A0B-1C2D3E4F5A6B} ",
            "1b2c3d4e5f6047189a0b1c2d3e4f5a6b",
        ] {
            assert_eq!(parse_guid(text, INSTANCE_ID), Ok(want), "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_a_guid_or_a_short_error(text in "\\PC{0,300}") {
            if let Err(e) = parse_guid(&text, INSTANCE_ID) {
                prop_assert!(e.to_string().chars().count() < 200);
                prop_assert_eq!(e.where_to_find, INSTANCE_ID);
            }
        }
    }
}

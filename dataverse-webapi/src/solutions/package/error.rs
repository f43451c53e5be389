//! What can be wrong with a solution package's input.

/// Why [`SolutionBuilder::build`](super::SolutionBuilder::build) refused its input. Each
/// variant names the value and says what Dataverse accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SolutionPackageError {
    /// A unique name (of the solution or the publisher) Dataverse would refuse.
    #[error(
        "invalid {what} unique name {value:?}: use 1 to 65 ASCII letters, digits or underscores, starting with a letter or an underscore"
    )]
    UniqueName {
        /// `solution` or `publisher`.
        what: &'static str,
        /// The value given.
        value: String,
    },

    /// The version is not `major.minor.build.revision`.
    #[error(
        "invalid solution version {value:?}: write four numbers separated by dots, each at most 2147483647 (1.0.0.0)"
    )]
    Version {
        /// The value given.
        value: String,
    },

    /// The publisher's customization prefix.
    #[error(
        "invalid customization prefix {value:?}: use 2 to 8 lowercase ASCII letters or digits, starting with a letter and not with \"mscrm\""
    )]
    CustomizationPrefix {
        /// The value given.
        value: String,
    },

    /// The publisher's option value prefix.
    #[error("invalid option value prefix {value}: use a number from 10000 to 99999")]
    OptionValuePrefix {
        /// The value given.
        value: u32,
    },

    /// A display name (of the solution, publisher or a role) that is empty, too long, or
    /// holds characters XML 1.0 cannot carry.
    #[error(
        "invalid {what} name {value:?}: use 1 to {max} characters, without control characters other than tab, line feed and carriage return"
    )]
    Name {
        /// Which name.
        what: &'static str,
        /// The value given (cut to 100 characters).
        value: String,
        /// The longest name accepted.
        max: usize,
    },

    /// A privilege name that is not `prv` followed by letters, digits or underscores.
    #[error(
        "invalid privilege name {value:?} in role {role:?}: use the privilege's name, such as prvCreateLead (prv, then ASCII letters, digits or underscores, at most 100 characters)"
    )]
    PrivilegeName {
        /// The role.
        role: String,
        /// The value given (cut to 100 characters).
        value: String,
    },

    /// A privilege depth a package cannot carry ([`PrivilegeDepth::Unknown`](crate::provisioning::PrivilegeDepth::Unknown)).
    #[error(
        "invalid privilege depth {value:?}: a solution package holds Basic (User), Local (Business Unit), Deep (Parent: Child Business Units) or Global (Organization)"
    )]
    PrivilegeDepth {
        /// The value given (cut to 100 characters).
        value: String,
    },

    /// Two roles with the same id, or the same name.
    #[error("duplicate role {value:?}: give each role its own name and id")]
    DuplicateRole {
        /// The repeated name or id.
        value: String,
    },

    /// The zip writer failed (it writes to memory, so this is not expected).
    #[error("could not write the solution zip: {0}")]
    Zip(String),
}

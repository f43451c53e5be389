//! A builder for a minimal solution zip holding security roles and their privileges, so a
//! publisher can ship its own role (such as a lead-writer role) and import it with
//! [`Solutions::import`](crate::solutions::Solutions::import).
//!
//! The zip holds the three files Dataverse reads: `[Content_Types].xml`, `solution.xml` (the
//! manifest: name, version, publisher, one type 20 root component per role) and
//! `customizations.xml` (`Roles/Role/RolePrivileges/RolePrivilege` with `name` and `level`).
//! The same input always gives the same bytes.

mod error;
mod validate;
mod xml;
mod zip_writer;

use std::fmt;

use uuid::Uuid;

pub use error::SolutionPackageError;

use crate::provisioning::PrivilegeDepth;

/// The depth of a privilege as solution XML writes it (`RolePrivilege/@level`): the four
/// known depths only, since a package cannot carry one the service would not read.
///
/// [`PrivilegeDepth`] is the type callers use (builders take `impl Into<PrivilegeDepth>`);
/// this one converts from it with [`TryFrom`] (refusing [`PrivilegeDepth::Unknown`]) and into
/// it with [`From`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SolutionPrivilegeLevel {
    /// The user's own records (User depth).
    Basic,
    /// The user's business unit (Business Unit depth).
    Local,
    /// The business unit and its children (Parent: Child Business Units depth).
    Deep,
    /// The whole organization (Organization depth).
    Global,
}

impl SolutionPrivilegeLevel {
    /// The XML value: `Basic`, `Local`, `Deep` or `Global`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::Local => "Local",
            Self::Deep => "Deep",
            Self::Global => "Global",
        }
    }

    /// From the XML value (ASCII case ignored); `None` for anything else.
    pub fn from_xml(value: &str) -> Option<Self> {
        [Self::Basic, Self::Local, Self::Deep, Self::Global]
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(value))
    }
}

impl From<SolutionPrivilegeLevel> for PrivilegeDepth {
    fn from(level: SolutionPrivilegeLevel) -> Self {
        match level {
            SolutionPrivilegeLevel::Basic => PrivilegeDepth::User,
            SolutionPrivilegeLevel::Local => PrivilegeDepth::BusinessUnit,
            SolutionPrivilegeLevel::Deep => PrivilegeDepth::ParentChild,
            SolutionPrivilegeLevel::Global => PrivilegeDepth::Organization,
        }
    }
}

impl TryFrom<PrivilegeDepth> for SolutionPrivilegeLevel {
    type Error = SolutionPackageError;

    /// The level of a known depth; [`PrivilegeDepth::Unknown`] is
    /// [`SolutionPackageError::PrivilegeDepth`].
    fn try_from(depth: PrivilegeDepth) -> Result<Self, Self::Error> {
        match depth {
            PrivilegeDepth::User => Ok(Self::Basic),
            PrivilegeDepth::BusinessUnit => Ok(Self::Local),
            PrivilegeDepth::ParentChild => Ok(Self::Deep),
            PrivilegeDepth::Organization => Ok(Self::Global),
            PrivilegeDepth::Unknown(value) => Err(SolutionPackageError::PrivilegeDepth {
                value: validate::cut(&value),
            }),
        }
    }
}

impl fmt::Display for SolutionPrivilegeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The publisher a solution is written under. Construct with [`Publisher::new`] or with
/// `..Default::default()`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publisher {
    /// Unique name (letters, digits, underscores; at most 65).
    pub unique_name: String,
    /// Display name; the unique name when `None`.
    pub display_name: Option<String>,
    /// Customization prefix: 2 to 8 lowercase letters or digits, not starting with `mscrm`.
    pub customization_prefix: String,
    /// Option value prefix, 10000 to 99999.
    pub option_value_prefix: u32,
}

impl Publisher {
    /// A publisher with its unique name, display name and prefixes.
    pub fn new(
        unique_name: impl Into<String>,
        display_name: impl Into<String>,
        customization_prefix: impl Into<String>,
        option_value_prefix: u32,
    ) -> Self {
        Publisher {
            unique_name: unique_name.into(),
            display_name: Some(display_name.into()),
            customization_prefix: customization_prefix.into(),
            option_value_prefix,
        }
    }
}

/// A security role to ship in the solution, with its privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDefinition {
    id: Option<Uuid>,
    name: String,
    privileges: Vec<(String, SolutionPrivilegeLevel)>,
    /// The first depth given that a package cannot carry; [`SolutionBuilder::build`] refuses it.
    invalid_depth: Option<SolutionPackageError>,
}

impl RoleDefinition {
    /// A role named `name` with no privileges yet.
    pub fn new(name: impl Into<String>) -> Self {
        RoleDefinition {
            id: None,
            name: name.into(),
            privileges: Vec::new(),
            invalid_depth: None,
        }
    }

    /// The role's id. Without it the id is derived from the solution's unique name and the
    /// role's name, so a rebuild gives the same id; set it to keep the id when renaming the
    /// role in a later version.
    pub fn id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }

    /// Grants a privilege by name (`prvCreateLead`) at a depth: a [`PrivilegeDepth`] (as the
    /// provisioning API reads and writes it) or a [`SolutionPrivilegeLevel`]. Naming a
    /// privilege again replaces its depth. [`PrivilegeDepth::Unknown`] cannot be written to a
    /// package: [`SolutionBuilder::build`] then answers [`SolutionPackageError::PrivilegeDepth`].
    pub fn privilege(mut self, name: impl Into<String>, depth: impl Into<PrivilegeDepth>) -> Self {
        let name = name.into();
        let level = match SolutionPrivilegeLevel::try_from(depth.into()) {
            Ok(level) => level,
            Err(error) => {
                self.invalid_depth.get_or_insert(error);
                return self;
            }
        };
        match self
            .privileges
            .iter_mut()
            .find(|(existing, _)| existing.eq_ignore_ascii_case(&name))
        {
            Some(entry) => entry.1 = level,
            None => self.privileges.push((name, level)),
        }
        self
    }

    /// The role's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The privileges granted so far, in the order given.
    pub fn privileges(&self) -> &[(String, SolutionPrivilegeLevel)] {
        &self.privileges
    }

    /// The id written for the role in a solution named `solution_unique_name`: the one set
    /// with [`Self::id`], or one derived from the two names.
    pub fn effective_id(&self, solution_unique_name: &str) -> Uuid {
        self.id
            .unwrap_or_else(|| derived_id(solution_unique_name, &self.name))
    }
}

/// A stable id from two names (FNV-1a over both, as a version 8 UUID): no randomness, so the
/// same input builds the same zip.
fn derived_id(solution: &str, role: &str) -> Uuid {
    fn fnv1a(seed: u64, parts: &[&str]) -> u64 {
        let mut hash = seed;
        for part in parts {
            for byte in part.bytes().chain(std::iter::once(0)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        hash
    }
    let high = fnv1a(0xcbf2_9ce4_8422_2325, &["solution-role", solution, role]);
    let low = fnv1a(0x6c62_272e_07bb_0142, &["solution-role", role, solution]);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Writes a minimal solution zip holding security roles and their privileges, for
/// [`Solutions::import`](crate::solutions::Solutions::import).
///
/// The zip holds the three files Dataverse reads: `[Content_Types].xml`, `solution.xml` (the
/// manifest: name, version, publisher, one type 20 root component per role) and
/// `customizations.xml` (`Roles/Role/RolePrivileges/RolePrivilege` with `name` and `level`).
/// Every value is checked ([`SolutionPackageError`] says what to fix) and escaped; the same
/// input always gives the same bytes (entries carry a fixed timestamp).
///
/// ```
/// use dataverse_webapi::solutions::{Publisher, RoleDefinition, SolutionBuilder, SolutionPrivilegeLevel};
///
/// let zip = SolutionBuilder::new(
///     "MarketplaceLeadWriter",
///     "1.0.0.0",
///     Publisher::new("contoso", "Contoso", "cts", 10000),
/// )
/// .display_name("Marketplace Lead Writer")
/// .role(
///     RoleDefinition::new("Marketplace Lead Writer")
///         .privilege("prvCreateLead", SolutionPrivilegeLevel::Global)
///         .privilege("prvReadLead", SolutionPrivilegeLevel::Global),
/// )
/// .build()?;
/// assert!(zip.starts_with(b"PK"));
/// # Ok::<(), dataverse_webapi::solutions::SolutionPackageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolutionBuilder {
    unique_name: String,
    display_name: Option<String>,
    version: String,
    managed: bool,
    publisher: Publisher,
    roles: Vec<RoleDefinition>,
}

impl SolutionBuilder {
    /// A managed solution named `unique_name` at `version` (`1.0.0.0`) from `publisher`.
    /// Everything is checked by [`Self::build`].
    pub fn new(
        unique_name: impl Into<String>,
        version: impl Into<String>,
        publisher: Publisher,
    ) -> Self {
        SolutionBuilder {
            unique_name: unique_name.into(),
            display_name: None,
            version: version.into(),
            managed: true,
            publisher,
            roles: Vec::new(),
        }
    }

    /// The solution's display name; the unique name when never set.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Managed (the default; what a publisher ships) or unmanaged.
    pub fn managed(mut self, managed: bool) -> Self {
        self.managed = managed;
        self
    }

    /// Adds a security role.
    pub fn role(mut self, role: RoleDefinition) -> Self {
        self.roles.push(role);
        self
    }

    /// Checks the input, then writes the zip.
    pub fn build(&self) -> Result<Vec<u8>, SolutionPackageError> {
        self.validate()?;
        zip_writer::write(&[
            ("[Content_Types].xml", xml::content_types()),
            ("solution.xml", xml::solution(self)),
            ("customizations.xml", xml::customizations(self)),
        ])
    }

    /// `solution.xml` as [`Self::build`] writes it, after the same checks.
    pub fn solution_xml(&self) -> Result<String, SolutionPackageError> {
        self.validate()?;
        Ok(xml::solution(self))
    }

    /// `customizations.xml` as [`Self::build`] writes it, after the same checks.
    pub fn customizations_xml(&self) -> Result<String, SolutionPackageError> {
        self.validate()?;
        Ok(xml::customizations(self))
    }

    fn validate(&self) -> Result<(), SolutionPackageError> {
        validate::unique_name("solution", &self.unique_name)?;
        validate::version(&self.version)?;
        if let Some(name) = &self.display_name {
            validate::display_name("solution display", name, validate::MAX_DISPLAY_NAME)?;
        }
        let publisher = &self.publisher;
        validate::unique_name("publisher", &publisher.unique_name)?;
        if let Some(name) = &publisher.display_name {
            validate::display_name("publisher display", name, validate::MAX_DISPLAY_NAME)?;
        }
        validate::customization_prefix(&publisher.customization_prefix)?;
        validate::option_value_prefix(publisher.option_value_prefix)?;
        let mut names = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for role in &self.roles {
            validate::display_name("role", &role.name, validate::MAX_ROLE_NAME)?;
            if let Some(error) = &role.invalid_depth {
                return Err(error.clone());
            }
            for (privilege, _) in &role.privileges {
                validate::privilege_name(&role.name, privilege)?;
            }
            if !names.insert(role.name.as_str()) {
                return Err(SolutionPackageError::DuplicateRole {
                    value: role.name.chars().take(100).collect(),
                });
            }
            let id = role.effective_id(&self.unique_name);
            if !ids.insert(id) {
                return Err(SolutionPackageError::DuplicateRole {
                    value: id.to_string(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn levels_and_depths_convert_both_ways_with_the_xml_names_as_wire_form() {
        for level in [
            SolutionPrivilegeLevel::Basic,
            SolutionPrivilegeLevel::Local,
            SolutionPrivilegeLevel::Deep,
            SolutionPrivilegeLevel::Global,
        ] {
            let depth = PrivilegeDepth::from(level);
            assert_eq!(depth.as_str(), level.as_str());
            assert_eq!(SolutionPrivilegeLevel::try_from(depth), Ok(level));
        }
        assert_eq!(
            SolutionPrivilegeLevel::try_from(PrivilegeDepth::Unknown("RecordFilter".into())),
            Err(SolutionPackageError::PrivilegeDepth {
                value: "RecordFilter".into()
            })
        );
    }

    #[test]
    fn an_unknown_depth_is_refused_at_build_and_known_ones_are_written() {
        let publisher = Publisher::new("contoso", "Contoso", "cts", 10000);
        let role = RoleDefinition::new("R")
            .privilege("prvReadLead", PrivilegeDepth::ParentChild)
            .privilege("prvCreateLead", SolutionPrivilegeLevel::Global);
        assert_eq!(
            role.privileges(),
            [
                ("prvReadLead".to_owned(), SolutionPrivilegeLevel::Deep),
                ("prvCreateLead".to_owned(), SolutionPrivilegeLevel::Global)
            ]
        );
        let xml = SolutionBuilder::new("S", "1.0.0.0", publisher.clone())
            .role(role)
            .customizations_xml()
            .expect("valid");
        assert!(xml.contains(r#"name="prvReadLead" level="Deep""#), "{xml}");

        let bad = RoleDefinition::new("R")
            .privilege("prvReadLead", PrivilegeDepth::Unknown("Sideways".into()));
        assert!(bad.privileges().is_empty());
        assert!(matches!(
            SolutionBuilder::new("S", "1.0.0.0", publisher)
                .role(bad)
                .build(),
            Err(SolutionPackageError::PrivilegeDepth { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_depth_text_converts_without_panic_and_round_trips(text in ".{0,24}") {
            let depth = PrivilegeDepth::parse(&text);
            match SolutionPrivilegeLevel::try_from(depth.clone()) {
                Ok(level) => prop_assert_eq!(PrivilegeDepth::from(level), depth),
                Err(_) => prop_assert!(matches!(depth, PrivilegeDepth::Unknown(_))),
            }
        }
    }
}

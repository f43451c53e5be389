//! The solution zip builder: the three files read back with the `zip` crate, XML escaping,
//! determinism, input checks, and a property test over role names and privileges.

use std::io::{Cursor, Read};

use dataverse_webapi::solutions::{
    Publisher, RoleDefinition, SolutionBuilder, SolutionPackageError, SolutionPrivilegeLevel,
};
use proptest::prelude::*;
use uuid::Uuid;

const ROLE_ID: &str = "8f2a3b4c-1d2e-4f50-9a6b-7c8d9e0f1a2b";

fn publisher() -> Publisher {
    Publisher::new("contoso", "Contoso Ltd", "cts", 72700)
}

fn lead_writer() -> SolutionBuilder {
    SolutionBuilder::new("MarketplaceLeadWriter", "1.0.0.0", publisher())
        .display_name("Marketplace Lead Writer")
        .role(
            RoleDefinition::new("Marketplace Lead Writer")
                .id(Uuid::parse_str(ROLE_ID).expect("guid"))
                .privilege("prvCreateLead", SolutionPrivilegeLevel::Global)
                .privilege("prvReadLead", SolutionPrivilegeLevel::Global)
                .privilege("prvReadUserEntityUISettings", SolutionPrivilegeLevel::Basic),
        )
}

/// Every entry of the zip, by name, as text.
fn entries(zip: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let mut text = String::new();
            file.read_to_string(&mut text).expect("utf-8");
            (file.name().expect("entry name").to_string(), text)
        })
        .collect()
}

fn entry(zip: &[u8], name: &str) -> String {
    entries(zip)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in the zip"))
        .1
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    node.children()
        .find(|n| n.has_tag_name(name))
        .unwrap_or_else(|| panic!("no <{name}> in <{}>", node.tag_name().name()))
}

/// `(privilege, level)` pairs as written.
type Privileges = Vec<(String, String)>;
/// `(id, name, privileges)` of a role as written.
type WrittenRole = (String, String, Privileges);
/// Whether an error is the one a case expects.
type Expect = fn(&SolutionPackageError) -> bool;

/// `(id, name, [(privilege, level)])` for every role in customizations.xml.
fn roles_in(customizations: &str) -> Vec<WrittenRole> {
    let doc = roxmltree::Document::parse(customizations).expect("customizations.xml parses");
    let roles = child(doc.root_element(), "Roles");
    roles
        .children()
        .filter(|n| n.has_tag_name("Role"))
        .map(|role| {
            let privileges = child(role, "RolePrivileges")
                .children()
                .filter(|n| n.has_tag_name("RolePrivilege"))
                .map(|p| {
                    (
                        p.attribute("name").expect("name").to_string(),
                        p.attribute("level").expect("level").to_string(),
                    )
                })
                .collect();
            (
                role.attribute("id").expect("id").to_string(),
                role.attribute("name").expect("name").to_string(),
                privileges,
            )
        })
        .collect()
}

#[test]
fn the_zip_holds_the_three_files_at_its_root() {
    let zip = lead_writer().build().expect("built");
    let names: Vec<String> = entries(&zip).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["[Content_Types].xml", "solution.xml", "customizations.xml"]
    );
    let types = entry(&zip, "[Content_Types].xml");
    let doc = roxmltree::Document::parse(&types).expect("parses");
    let default = child(doc.root_element(), "Default");
    assert_eq!(
        doc.root_element().tag_name().namespace(),
        Some("http://schemas.openxmlformats.org/package/2006/content-types")
    );
    assert_eq!(default.attribute("Extension"), Some("xml"));
    assert_eq!(
        default.attribute("ContentType"),
        Some("application/octet-stream")
    );
}

#[test]
fn solution_xml_is_the_manifest_with_one_role_component() {
    let zip = lead_writer().build().expect("built");
    let text = entry(&zip, "solution.xml");
    let doc = roxmltree::Document::parse(&text).expect("parses");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "ImportExportXml");
    let manifest = child(root, "SolutionManifest");
    let text_of = |node: roxmltree::Node<'_, '_>, name: &str| {
        child(node, name).text().unwrap_or_default().to_string()
    };
    assert_eq!(text_of(manifest, "UniqueName"), "MarketplaceLeadWriter");
    assert_eq!(text_of(manifest, "Version"), "1.0.0.0");
    assert_eq!(text_of(manifest, "Managed"), "1");
    let names = child(manifest, "LocalizedNames");
    let name = child(names, "LocalizedName");
    assert_eq!(
        name.attribute("description"),
        Some("Marketplace Lead Writer")
    );
    assert_eq!(name.attribute("languagecode"), Some("1033"));
    let publisher = child(manifest, "Publisher");
    assert_eq!(text_of(publisher, "UniqueName"), "contoso");
    assert_eq!(text_of(publisher, "CustomizationPrefix"), "cts");
    assert_eq!(
        text_of(publisher, "CustomizationOptionValuePrefix"),
        "72700"
    );
    let publisher_name = child(child(publisher, "LocalizedNames"), "LocalizedName");
    assert_eq!(publisher_name.attribute("description"), Some("Contoso Ltd"));
    let components: Vec<_> = child(manifest, "RootComponents")
        .children()
        .filter(|n| n.has_tag_name("RootComponent"))
        .collect();
    assert_eq!(components.len(), 1);
    assert_eq!(components[0].attribute("type"), Some("20"));
    assert_eq!(
        components[0].attribute("id"),
        Some(format!("{{{ROLE_ID}}}").as_str())
    );
    child(manifest, "MissingDependencies");
}

#[test]
fn customizations_xml_lists_the_role_privileges_and_the_empty_sections() {
    let zip = lead_writer().build().expect("built");
    let text = entry(&zip, "customizations.xml");
    let roles = roles_in(&text);
    assert_eq!(roles.len(), 1);
    let (id, name, privileges) = &roles[0];
    assert_eq!(id, &format!("{{{ROLE_ID}}}"));
    assert_eq!(name, "Marketplace Lead Writer");
    assert_eq!(
        privileges,
        &[
            ("prvCreateLead".to_string(), "Global".to_string()),
            ("prvReadLead".to_string(), "Global".to_string()),
            (
                "prvReadUserEntityUISettings".to_string(),
                "Basic".to_string()
            ),
        ]
    );
    let doc = roxmltree::Document::parse(&text).expect("parses");
    for section in [
        "Entities",
        "Workflows",
        "FieldSecurityProfiles",
        "Templates",
        "EntityMaps",
        "EntityRelationships",
        "OrganizationSettings",
        "optionsets",
    ] {
        child(doc.root_element(), section);
    }
}

#[test]
fn names_with_markup_round_trip_through_the_xml() {
    let tricky = "R&D <\"x\"> 'quoted'\ttab\nline\r\nend";
    let zip = SolutionBuilder::new("Rnd", "1.0.0.0", publisher())
        .display_name("Research & <Development>")
        .role(RoleDefinition::new(tricky).privilege("prvReadLead", SolutionPrivilegeLevel::Local))
        .build()
        .expect("built");
    let roles = roles_in(&entry(&zip, "customizations.xml"));
    assert_eq!(roles[0].1, tricky);
    let solution = entry(&zip, "solution.xml");
    let doc = roxmltree::Document::parse(&solution).expect("parses");
    let name = child(
        child(
            child(doc.root_element(), "SolutionManifest"),
            "LocalizedNames",
        ),
        "LocalizedName",
    );
    assert_eq!(
        name.attribute("description"),
        Some("Research & <Development>")
    );
}

#[test]
fn the_same_input_builds_the_same_bytes() {
    let a = lead_writer().build().expect("built");
    let b = lead_writer().build().expect("built");
    assert_eq!(a, b);
    // Without an explicit id the role's id is derived, still the same every time.
    let derived = || {
        SolutionBuilder::new("S", "1.0.0.0", publisher())
            .role(RoleDefinition::new("Role"))
            .build()
            .expect("built")
    };
    assert_eq!(derived(), derived());
    let other = SolutionBuilder::new("S", "1.0.0.0", publisher())
        .role(RoleDefinition::new("Other role"))
        .build()
        .expect("built");
    let id_of = |zip: &[u8]| roles_in(&entry(zip, "customizations.xml"))[0].0.clone();
    assert_ne!(id_of(&derived()), id_of(&other));
}

#[test]
fn unmanaged_and_empty_solutions_are_written_too() {
    let zip = SolutionBuilder::new("Empty", "2.1.3.4", publisher())
        .managed(false)
        .build()
        .expect("built");
    let solution = entry(&zip, "solution.xml");
    assert!(solution.contains("<Managed>0</Managed>"), "{solution}");
    assert!(solution.contains("<RootComponents />"), "{solution}");
    assert!(roles_in(&entry(&zip, "customizations.xml")).is_empty());
}

#[test]
fn naming_a_privilege_again_replaces_its_level() {
    let role = RoleDefinition::new("R")
        .privilege("prvReadLead", SolutionPrivilegeLevel::Basic)
        .privilege("PRVREADLEAD", SolutionPrivilegeLevel::Deep);
    assert_eq!(role.privileges().len(), 1);
    assert_eq!(role.privileges()[0].1, SolutionPrivilegeLevel::Deep);
}

#[test]
fn invalid_input_is_a_typed_error_naming_the_fix() {
    let base = || SolutionBuilder::new("Good", "1.0.0.0", publisher());
    let cases: Vec<(SolutionBuilder, Expect)> = vec![
        (SolutionBuilder::new("1bad", "1.0.0.0", publisher()), |e| {
            matches!(
                e,
                SolutionPackageError::UniqueName {
                    what: "solution",
                    ..
                }
            )
        }),
        (
            SolutionBuilder::new("a".repeat(66), "1.0.0.0", publisher()),
            |e| matches!(e, SolutionPackageError::UniqueName { .. }),
        ),
        (SolutionBuilder::new("Good", "1.0", publisher()), |e| {
            matches!(e, SolutionPackageError::Version { .. })
        }),
        (
            SolutionBuilder::new(
                "Good",
                "1.0.0.0",
                Publisher::new("bad name", "x", "cts", 10000),
            ),
            |e| {
                matches!(
                    e,
                    SolutionPackageError::UniqueName {
                        what: "publisher",
                        ..
                    }
                )
            },
        ),
        (
            SolutionBuilder::new(
                "Good",
                "1.0.0.0",
                Publisher::new("p", "x", "mscrmab", 10000),
            ),
            |e| matches!(e, SolutionPackageError::CustomizationPrefix { .. }),
        ),
        (
            SolutionBuilder::new("Good", "1.0.0.0", Publisher::new("p", "x", "cts", 100_000)),
            |e| {
                matches!(
                    e,
                    SolutionPackageError::OptionValuePrefix { value: 100_000 }
                )
            },
        ),
        (
            base().role(
                RoleDefinition::new("R").privilege("CreateLead", SolutionPrivilegeLevel::Basic),
            ),
            |e| matches!(e, SolutionPackageError::PrivilegeName { .. }),
        ),
        (base().role(RoleDefinition::new("bad\u{1}name")), |e| {
            matches!(e, SolutionPackageError::Name { what: "role", .. })
        }),
        (base().role(RoleDefinition::new("")), |e| {
            matches!(e, SolutionPackageError::Name { .. })
        }),
        (
            base()
                .role(RoleDefinition::new("Twice"))
                .role(RoleDefinition::new("Twice")),
            |e| matches!(e, SolutionPackageError::DuplicateRole { .. }),
        ),
        (
            base()
                .role(RoleDefinition::new("A").id(Uuid::nil()))
                .role(RoleDefinition::new("B").id(Uuid::nil())),
            |e| matches!(e, SolutionPackageError::DuplicateRole { .. }),
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.build().expect_err("refused");
        assert!(expected(&err), "unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

fn level() -> impl Strategy<Value = SolutionPrivilegeLevel> {
    prop_oneof![
        Just(SolutionPrivilegeLevel::Basic),
        Just(SolutionPrivilegeLevel::Local),
        Just(SolutionPrivilegeLevel::Deep),
        Just(SolutionPrivilegeLevel::Global),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any role name the builder accepts comes back unchanged from customizations.xml, with
    /// its privileges and levels in order; any it refuses is a typed error, never a panic.
    #[test]
    fn role_names_and_privileges_round_trip(
        names in proptest::collection::btree_set(any::<String>(), 1..4),
        privileges in proptest::collection::vec(("prv[A-Za-z0-9_]{1,20}", level()), 0..6),
    ) {
        let mut builder = SolutionBuilder::new("Prop", "1.0.0.0", publisher());
        for name in &names {
            let mut role = RoleDefinition::new(name.clone());
            for (privilege, level) in &privileges {
                role = role.privilege(privilege.clone(), *level);
            }
            builder = builder.role(role);
        }
        match builder.build() {
            Ok(zip) => {
                let roles = roles_in(&entry(&zip, "customizations.xml"));
                let got: Vec<&String> = roles.iter().map(|(_, n, _)| n).collect();
                let want: Vec<&String> = names.iter().collect();
                prop_assert_eq!(got, want);
                let mut expected: Vec<(String, String)> = Vec::new();
                for (privilege, level) in &privileges {
                    match expected.iter_mut().find(|(p, _)| p.eq_ignore_ascii_case(privilege)) {
                        Some(entry) => entry.1 = level.as_str().to_string(),
                        None => expected.push((privilege.clone(), level.as_str().to_string())),
                    }
                }
                for (_, _, got) in &roles {
                    prop_assert_eq!(got, &expected);
                }
            }
            Err(e) => prop_assert!(matches!(e, SolutionPackageError::Name { .. }), "{e:?}"),
        }
    }
}

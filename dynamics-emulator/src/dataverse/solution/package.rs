//! Reading a solution package: the `.zip` with `[Content_Types].xml`, `solution.xml` (the
//! manifest: unique name, version, managed, publisher) and `customizations.xml` (here: the
//! security roles with their privileges). Sizes are capped so a hostile archive (a zip bomb, a
//! huge entry count) fails with a readable error instead of exhausting memory.

use std::io::{Cursor, Read};

use roxmltree::{Document, Node, ParsingOptions};
use uuid::Uuid;

use crate::dataverse::security::depth::Depth;

/// The most uncompressed bytes read from one package.
pub(crate) const MAX_UNCOMPRESSED: u64 = 50 * 1024 * 1024;
/// The most entries a package may have.
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// The most XML nodes parsed from one file.
const MAX_NODES: u32 = 1_000_000;

/// Why a package cannot be imported (the text the import job and the error show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageError(pub(crate) String);

fn fail<T>(message: impl Into<String>) -> Result<T, PackageError> {
    Err(PackageError(message.into()))
}

/// The publisher named in the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Publisher {
    pub(crate) unique_name: String,
    pub(crate) friendly_name: String,
    pub(crate) prefix: String,
    pub(crate) option_value_prefix: Option<i64>,
}

/// A security role of the package with its privileges by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleDef {
    pub(crate) id: Option<Uuid>,
    pub(crate) name: String,
    pub(crate) privileges: Vec<(String, Depth)>,
}

/// What the emulator reads from a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    pub(crate) unique_name: String,
    pub(crate) friendly_name: String,
    /// Four (or two to four) numeric parts.
    pub(crate) version: Vec<u32>,
    pub(crate) managed: bool,
    pub(crate) publisher: Publisher,
    pub(crate) roles: Vec<RoleDef>,
}

impl Package {
    /// The version as written (`1.0.0.0`).
    pub(crate) fn version_text(&self) -> String {
        self.version
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Reads a version `major.minor[.build[.revision]]`.
pub(crate) fn parse_version(text: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = text.trim().split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| (2..=4).contains(&p.len()))
}

/// Reads one entry (case-insensitive name), within what is left of the size budget.
fn entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    wanted: &str,
    budget: &mut u64,
) -> Result<Option<String>, PackageError> {
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.trim_start_matches('/').eq_ignore_ascii_case(wanted))
        .map(|n| n.into_owned());
    let Some(name) = name else {
        return Ok(None);
    };
    let file = archive.by_name(&name).map_err(|e| {
        PackageError(format!(
            "The solution file's entry {wanted} cannot be read: {e}."
        ))
    })?;
    if file.size() > *budget {
        return fail(format!(
            "The solution file is too large: {wanted} uncompressed exceeds {MAX_UNCOMPRESSED} bytes."
        ));
    }
    let mut bytes = Vec::new();
    file.take(*budget + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            PackageError(format!(
                "The solution file's entry {wanted} cannot be decompressed: {e}."
            ))
        })?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > *budget {
        return fail(format!(
            "The solution file is too large: its entries uncompressed exceed {MAX_UNCOMPRESSED} bytes."
        ));
    }
    *budget -= read;
    String::from_utf8(bytes)
        .map(|text| Some(text.trim_start_matches('\u{feff}').to_owned()))
        .map_err(|_| PackageError(format!("{wanted} is not UTF-8 text.")))
}

fn parse_xml<'a>(text: &'a str, file: &str) -> Result<Document<'a>, PackageError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options)
        .map_err(|e| PackageError(format!("{file} is not well-formed XML: {e}.")))
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(node: Option<Node<'_, '_>>) -> String {
    node.and_then(|n| n.text())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The first `description` of `LocalizedNames/LocalizedName` (English when present).
fn localized(node: Node<'_, '_>) -> Option<String> {
    let names = child(node, "LocalizedNames")?;
    let all: Vec<Node<'_, '_>> = names
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "LocalizedName")
        .collect();
    all.iter()
        .find(|n| n.attribute("languagecode") == Some("1033"))
        .or(all.first())
        .and_then(|n| n.attribute("description"))
        .map(str::to_owned)
}

/// Reads a package from the bytes of a `.zip`.
pub(crate) fn read(bytes: &[u8]) -> Result<Package, PackageError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        PackageError(format!(
            "The solution file is not a valid .zip archive: {e}."
        ))
    })?;
    if archive.len() > MAX_ENTRIES {
        return fail(format!(
            "The solution file has {} entries; at most {MAX_ENTRIES} are accepted.",
            archive.len()
        ));
    }
    let mut budget = MAX_UNCOMPRESSED;
    if entry(&mut archive, "[Content_Types].xml", &mut budget)?.is_none() {
        return fail("The solution file is missing [Content_Types].xml.");
    }
    let manifest_text = entry(&mut archive, "solution.xml", &mut budget)?.ok_or_else(|| {
        PackageError(
            "The solution file is missing solution.xml (the solution manifest).".to_owned(),
        )
    })?;
    let customizations =
        entry(&mut archive, "customizations.xml", &mut budget)?.ok_or_else(|| {
            PackageError("The solution file is missing customizations.xml.".to_owned())
        })?;
    let mut package = manifest(&parse_xml(&manifest_text, "solution.xml")?)?;
    package.roles = roles(&parse_xml(&customizations, "customizations.xml")?)?;
    Ok(package)
}

fn manifest(doc: &Document<'_>) -> Result<Package, PackageError> {
    let root = doc.root_element();
    let manifest = if root.tag_name().name() == "SolutionManifest" {
        root
    } else {
        child(root, "SolutionManifest").ok_or_else(|| {
            PackageError("solution.xml has no SolutionManifest element.".to_owned())
        })?
    };
    let unique_name = text_of(child(manifest, "UniqueName"));
    if unique_name.is_empty() {
        return fail("solution.xml has no UniqueName.");
    }
    if !unique_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || unique_name.len() > 65
    {
        return fail(format!(
            "The solution unique name '{unique_name}' is not valid: use letters, digits and underscores (at most 65)."
        ));
    }
    let version_text = text_of(child(manifest, "Version"));
    let version = parse_version(&version_text).ok_or_else(|| {
        PackageError(format!(
            "The solution version '{version_text}' is not valid: write major.minor.build.revision, for example 1.0.0.0."
        ))
    })?;
    let managed = match text_of(child(manifest, "Managed")).as_str() {
        "1" | "true" | "True" => true,
        "0" | "false" | "False" | "" => false,
        other => {
            return fail(format!(
                "solution.xml: Managed must be 0 or 1, not '{other}'."
            ));
        }
    };
    let publisher_node = child(manifest, "Publisher")
        .ok_or_else(|| PackageError("solution.xml has no Publisher.".to_owned()))?;
    let publisher_name = text_of(child(publisher_node, "UniqueName"));
    if publisher_name.is_empty() {
        return fail("solution.xml: the Publisher has no UniqueName.");
    }
    let option_text = text_of(child(publisher_node, "CustomizationOptionValuePrefix"));
    let option_value_prefix = if option_text.is_empty() {
        None
    } else {
        Some(option_text.parse().map_err(|_| {
            PackageError(format!(
                "solution.xml: CustomizationOptionValuePrefix '{option_text}' is not a number."
            ))
        })?)
    };
    Ok(Package {
        friendly_name: localized(manifest).unwrap_or_else(|| unique_name.clone()),
        unique_name,
        version,
        managed,
        publisher: Publisher {
            friendly_name: localized(publisher_node).unwrap_or_else(|| publisher_name.clone()),
            unique_name: publisher_name,
            prefix: text_of(child(publisher_node, "CustomizationPrefix")),
            option_value_prefix,
        },
        roles: Vec::new(),
    })
}

fn roles(doc: &Document<'_>) -> Result<Vec<RoleDef>, PackageError> {
    let Some(roles) = child(doc.root_element(), "Roles") else {
        return Ok(Vec::new());
    };
    let mut list = Vec::new();
    for role in roles
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "Role")
    {
        let name = role.attribute("name").unwrap_or_default().trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return fail("customizations.xml: every Role needs a name of 1 to 100 characters.");
        }
        let id = match role.attribute("id") {
            Some(text) => Some(
                Uuid::parse_str(text.trim().trim_matches(['{', '}'])).map_err(|_| {
                    PackageError(format!(
                        "customizations.xml: the id '{text}' of role '{name}' is not a GUID."
                    ))
                })?,
            ),
            None => None,
        };
        let mut privileges = Vec::new();
        if let Some(set) = child(role, "RolePrivileges") {
            for item in set
                .children()
                .filter(|c| c.is_element() && c.tag_name().name() == "RolePrivilege")
            {
                let privilege = item.attribute("name").unwrap_or_default().trim().to_owned();
                let level = item.attribute("level").unwrap_or_default();
                let depth = Depth::parse_name(level).ok_or_else(|| {
                    PackageError(format!(
                        "customizations.xml: role '{name}', privilege '{privilege}': the level '{level}' is not Basic, Local, Deep or Global."
                    ))
                })?;
                privileges.push((privilege, depth));
            }
        }
        list.push(RoleDef {
            id,
            name,
            privileges,
        });
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;
    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(text.as_bytes()).expect("written");
        }
        writer.finish().expect("zip").into_inner()
    }

    const MANIFEST: &str = r#"<ImportExportXml><SolutionManifest><UniqueName>Lead_Writer</UniqueName>
        <LocalizedNames><LocalizedName description="Leer" languagecode="1031"/><LocalizedName description="Lead Writer" languagecode="1033"/></LocalizedNames>
        <Version>2.1</Version><Managed>1</Managed>
        <Publisher><UniqueName>contoso</UniqueName><CustomizationPrefix>cts</CustomizationPrefix></Publisher>
        </SolutionManifest></ImportExportXml>"#;
    const CUSTOMIZATIONS: &str = r#"<ImportExportXml><Roles><Role id="{5eed0000-0000-4000-8000-000000000001}" name="Writer">
        <RolePrivileges><RolePrivilege name="prvCreateLead" level="Global"/><RolePrivilege name="prvReadLead" level="Basic"/></RolePrivileges>
        </Role></Roles></ImportExportXml>"#;

    #[test]
    fn a_package_reads() {
        let bytes = zip_of(&[
            ("[Content_Types].xml", "<Types/>"),
            ("solution.xml", MANIFEST),
            ("customizations.xml", CUSTOMIZATIONS),
        ]);
        let package = read(&bytes).expect("reads");
        assert_eq!(package.unique_name, "Lead_Writer");
        assert_eq!(package.friendly_name, "Lead Writer");
        assert_eq!(package.version_text(), "2.1");
        assert!(package.managed);
        assert_eq!(package.publisher.prefix, "cts");
        assert_eq!(package.publisher.option_value_prefix, None);
        assert_eq!(package.roles.len(), 1);
        assert_eq!(
            package.roles[0].privileges,
            vec![
                ("prvCreateLead".to_owned(), Depth::Global),
                ("prvReadLead".to_owned(), Depth::Basic)
            ]
        );
    }

    #[test]
    fn missing_and_hostile_parts_are_refused() {
        let no_types = zip_of(&[
            ("solution.xml", MANIFEST),
            ("customizations.xml", CUSTOMIZATIONS),
        ]);
        assert!(read(&no_types).is_err_and(|e| e.0.contains("[Content_Types].xml")));
        let dtd = zip_of(&[
            ("[Content_Types].xml", "<Types/>"),
            (
                "solution.xml",
                r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#,
            ),
            ("customizations.xml", CUSTOMIZATIONS),
        ]);
        assert!(read(&dtd).is_err_and(|e| e.0.contains("solution.xml")));
        assert_eq!(parse_version("1.0.0.0"), Some(vec![1, 0, 0, 0]));
        assert_eq!(parse_version("1"), None);
        assert_eq!(parse_version("1.0.0.0.0"), None);
        assert_eq!(parse_version("1.-1"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn random_bytes_and_random_manifests_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
            manifest in ".{0,200}",
            version in "[0-9.x]{0,12}",
        ) {
            prop_assert!(read(&bytes).is_err(), "random bytes are not a package");
            let text = MANIFEST.replace("2.1", &version);
            let package = zip_of(&[
                ("[Content_Types].xml", "<Types/>"),
                ("solution.xml", if manifest.len() % 2 == 0 { &text } else { &manifest }),
                ("customizations.xml", CUSTOMIZATIONS),
            ]);
            if let Ok(read) = read(&package) {
                prop_assert_eq!(parse_version(&read.version_text()), Some(read.version.clone()));
            }
        }
    }
}

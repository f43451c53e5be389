//! The three XML files of a solution package, written as text with every value escaped.

use std::fmt::Write as _;

use super::{RoleDefinition, SolutionBuilder};

/// The language the names are written in (English, 1033), as exports without translations do.
const LANGUAGE: &str = "1033";
/// Solution component type of a security role in `RootComponent/@type`.
const COMPONENT_TYPE_ROLE: u32 = 20;

/// Escapes text for an attribute value or element content. Tab, line feed and carriage
/// return become character references, so an XML reader gives back the same characters
/// (a literal one would be normalised to a space or a line feed).
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            other => out.push(other),
        }
    }
    out
}

/// `[Content_Types].xml`: every `.xml` part is an octet stream, as Dataverse exports say.
pub(crate) fn content_types() -> String {
    concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
        "<Default Extension=\"xml\" ContentType=\"application/octet-stream\" />",
        "</Types>"
    )
    .to_string()
}

/// A role id as solution files write it: `{guid}` in lowercase.
pub(crate) fn braced(role: &RoleDefinition, solution: &SolutionBuilder) -> String {
    format!("{{{}}}", role.effective_id(&solution.unique_name))
}

/// `solution.xml`: the manifest (name, version, managed, publisher, root components).
pub(crate) fn solution(builder: &SolutionBuilder) -> String {
    let publisher = &builder.publisher;
    let display = builder
        .display_name
        .as_deref()
        .unwrap_or(&builder.unique_name);
    let publisher_display = publisher
        .display_name
        .as_deref()
        .unwrap_or(&publisher.unique_name);
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str(
        "<ImportExportXml version=\"9.2.0.0\" SolutionPackageVersion=\"9.2\" languagecode=\"1033\" generatedBy=\"CrmLive\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
    );
    xml.push_str("  <SolutionManifest>\n");
    let _ = writeln!(
        xml,
        "    <UniqueName>{}</UniqueName>",
        escape(&builder.unique_name)
    );
    let _ = writeln!(
        xml,
        "    <LocalizedNames>\n      <LocalizedName description=\"{}\" languagecode=\"{LANGUAGE}\" />\n    </LocalizedNames>",
        escape(display)
    );
    xml.push_str("    <Descriptions />\n");
    let _ = writeln!(xml, "    <Version>{}</Version>", escape(&builder.version));
    let _ = writeln!(
        xml,
        "    <Managed>{}</Managed>",
        if builder.managed { 1 } else { 0 }
    );
    xml.push_str("    <Publisher>\n");
    let _ = writeln!(
        xml,
        "      <UniqueName>{}</UniqueName>",
        escape(&publisher.unique_name)
    );
    let _ = writeln!(
        xml,
        "      <LocalizedNames>\n        <LocalizedName description=\"{}\" languagecode=\"{LANGUAGE}\" />\n      </LocalizedNames>",
        escape(publisher_display)
    );
    xml.push_str("      <Descriptions />\n");
    let _ = writeln!(
        xml,
        "      <CustomizationPrefix>{}</CustomizationPrefix>",
        escape(&publisher.customization_prefix)
    );
    let _ = writeln!(
        xml,
        "      <CustomizationOptionValuePrefix>{}</CustomizationOptionValuePrefix>",
        publisher.option_value_prefix
    );
    xml.push_str("    </Publisher>\n");
    if builder.roles.is_empty() {
        xml.push_str("    <RootComponents />\n");
    } else {
        xml.push_str("    <RootComponents>\n");
        for role in &builder.roles {
            let _ = writeln!(
                xml,
                "      <RootComponent type=\"{COMPONENT_TYPE_ROLE}\" id=\"{}\" behavior=\"0\" />",
                braced(role, builder)
            );
        }
        xml.push_str("    </RootComponents>\n");
    }
    xml.push_str("    <MissingDependencies />\n");
    xml.push_str("  </SolutionManifest>\n");
    xml.push_str("</ImportExportXml>\n");
    xml
}

/// `customizations.xml`: the roles with their privileges, and the empty sections exports
/// carry.
pub(crate) fn customizations(builder: &SolutionBuilder) -> String {
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str(
        "<ImportExportXml xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" OrganizationVersion=\"9.2.0.0\" OrganizationSchemaType=\"Standard\">\n",
    );
    xml.push_str("  <Entities />\n");
    if builder.roles.is_empty() {
        xml.push_str("  <Roles />\n");
    } else {
        xml.push_str("  <Roles>\n");
        for role in &builder.roles {
            let _ = writeln!(
                xml,
                "    <Role id=\"{}\" name=\"{}\">",
                braced(role, builder),
                escape(&role.name)
            );
            if role.privileges.is_empty() {
                xml.push_str("      <RolePrivileges />\n");
            } else {
                xml.push_str("      <RolePrivileges>\n");
                for (name, level) in &role.privileges {
                    let _ = writeln!(
                        xml,
                        "        <RolePrivilege name=\"{}\" level=\"{}\" />",
                        escape(name),
                        level.as_str()
                    );
                }
                xml.push_str("      </RolePrivileges>\n");
            }
            xml.push_str("    </Role>\n");
        }
        xml.push_str("  </Roles>\n");
    }
    for empty in [
        "Workflows",
        "FieldSecurityProfiles",
        "Templates",
        "EntityMaps",
        "EntityRelationships",
        "OrganizationSettings",
        "optionsets",
    ] {
        let _ = writeln!(xml, "  <{empty} />");
    }
    let _ = writeln!(
        xml,
        "  <Languages>\n    <Language>{LANGUAGE}</Language>\n  </Languages>"
    );
    xml.push_str("</ImportExportXml>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_covers_markup_and_whitespace_that_xml_normalises() {
        assert_eq!(
            escape("R&D <\"x\"> 'y'\t\n\r"),
            "R&amp;D &lt;&quot;x&quot;&gt; &apos;y&apos;&#9;&#10;&#13;"
        );
    }
}

//! Reads the `<appSettings>` of a .NET application config file such as the original
//! `CDSTestdriveUtility.exe.config`, as the .NET runtime would: other sections, comments,
//! a byte-order mark (UTF-8 or UTF-16) and `<clear/>` / `<remove key=""/>` are all handled.

use std::fmt;

/// One problem with the XML, with the line and column where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError {
    /// What is wrong and what to do about it.
    pub(crate) message: String,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The settings found in `<configuration><appSettings>`, in file order, after `<clear/>` and
/// `<remove/>` were applied; plus warnings about things that were read but not used.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct AppSettings {
    /// `(key, value)` pairs.
    pub(crate) entries: Vec<(String, String)>,
    /// Non-fatal problems (for example an `appSettings file="..."` attribute).
    pub(crate) warnings: Vec<String>,
}

/// Decodes the raw bytes of a config file: UTF-8 (with or without BOM) or UTF-16 with a BOM,
/// as Notepad may save it.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, XmlError> {
    let utf16 = |units: Vec<u16>| {
        String::from_utf16(&units).map_err(|_| XmlError {
            message: "the file starts with a UTF-16 byte-order mark but is not valid UTF-16; \
                      save it as UTF-8"
                .into(),
        })
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(
            rest.chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
        [0xFE, 0xFF, rest @ ..] => utf16(
            rest.chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        _ => {
            let text = std::str::from_utf8(bytes).map_err(|e| XmlError {
                message: format!(
                    "the file is not valid UTF-8 (byte {}); save it as UTF-8",
                    e.valid_up_to()
                ),
            })?;
            Ok(text.strip_prefix('\u{FEFF}').unwrap_or(text).to_owned())
        }
    }
}

/// Parses the config file's text and returns its `appSettings`.
pub(crate) fn parse(text: &str) -> Result<AppSettings, XmlError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // .NET config files may carry a DOCTYPE; the settings never depend on it.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        XmlError {
            message: format!(
                "not well-formed XML at line {}, column {}: {e}",
                pos.row, pos.col
            ),
        }
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "configuration" {
        return Err(XmlError {
            message: format!(
                "the root element is <{}>, but a .NET config file has <configuration> with \
                 <appSettings> inside",
                root.tag_name().name()
            ),
        });
    }
    let mut settings = AppSettings::default();
    let sections: Vec<_> = root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "appSettings")
        .collect();
    if sections.is_empty() {
        settings
            .warnings
            .push("the file has no <appSettings> section, so no setting was read from it".into());
    }
    for section in sections {
        for attr in ["file", "configSource"] {
            if let Some(other) = section.attribute(attr) {
                settings.warnings.push(format!(
                    "<appSettings {attr}=\"{other}\"> is not followed; put the settings in \
                     this file"
                ));
            }
        }
        for node in section.children().filter(|n| n.is_element()) {
            let line = doc.text_pos_at(node.range().start).row;
            match node.tag_name().name() {
                "add" => {
                    let key = node.attribute("key").ok_or_else(|| XmlError {
                        message: format!("line {line}: <add> without a key=\"...\" attribute"),
                    })?;
                    let value = node.attribute("value").unwrap_or_default();
                    // Later entries replace earlier ones, as in .NET.
                    settings
                        .entries
                        .retain(|(k, _)| !k.eq_ignore_ascii_case(key));
                    settings.entries.push((key.to_owned(), value.to_owned()));
                }
                "remove" => {
                    if let Some(key) = node.attribute("key") {
                        settings
                            .entries
                            .retain(|(k, _)| !k.eq_ignore_ascii_case(key));
                    }
                }
                "clear" => settings.entries.clear(),
                other => settings.warnings.push(format!(
                    "line {line}: <{other}> inside <appSettings> is not a setting and was \
                     ignored (use <add key=\"...\" value=\"...\"/>)"
                )),
            }
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(s: &'a AppSettings, key: &str) -> Option<&'a str> {
        s.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn reads_the_sample_shipped_with_the_crate() {
        let text = include_str!("../../examples/CDSTestdriveUtility.exe.config");
        let s = parse(text).expect("parses");
        assert_eq!(
            value(&s, "ServiceURL"),
            Some("https://admin.services.crm.dynamics.com")
        );
        assert!(value(&s, "AadApplicationId").is_some());
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn tolerates_bom_declaration_comments_and_other_sections() {
        let text = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
            <!-- written by hand -->\r\n\
            <configuration>\r\n\
              <configSections><section name=\"x\" type=\"y\"/></configSections>\r\n\
              <startup><supportedRuntime version=\"v4.0\" sku=\".NETFramework,Version=v4.6.1\"/></startup>\r\n\
              <appSettings>\r\n\
                <!-- <add key=\"AadApplicationId\" value=\"commented out\"/> -->\r\n\
                <add key=\"AadApplicationId\" value=\"11111111-2222-3333-4444-555555555555\"/>\r\n\
                <add key=\"ServiceURL\" value=\"https://admin.services.crm4.dynamics.com\" />\r\n\
              </appSettings>\r\n\
              <runtime><assemblyBinding xmlns=\"urn:schemas-microsoft-com:asm.v1\"/></runtime>\r\n\
            </configuration>\r\n";
        let s = parse(text).expect("parses");
        assert_eq!(
            s.entries,
            vec![
                (
                    "AadApplicationId".into(),
                    "11111111-2222-3333-4444-555555555555".into()
                ),
                (
                    "ServiceURL".into(),
                    "https://admin.services.crm4.dynamics.com".into()
                ),
            ]
        );
    }

    #[test]
    fn clear_remove_and_repeated_keys_behave_as_in_dotnet() {
        let text = r#"<configuration><appSettings>
            <add key="A" value="1"/><clear/>
            <add key="B" value="2"/><add key="C" value="3"/><remove key="c"/>
            <add key="B" value="4"/>
        </appSettings></configuration>"#;
        let s = parse(text).expect("parses");
        assert_eq!(s.entries, vec![("B".into(), "4".into())]);
    }

    #[test]
    fn malformed_xml_says_where() {
        let err =
            parse("<configuration>\n<appSettings>\n<add key=\"A\" value=\"1\">\n</configuration>")
                .expect_err("malformed");
        assert!(err.message.contains("line"), "{err}");
        assert!(err.message.contains("not well-formed XML"), "{err}");
    }

    #[test]
    fn other_roots_and_keyless_adds_are_refused() {
        let err = parse("<settings/>").expect_err("wrong root");
        assert!(err.message.contains("<configuration>"), "{err}");
        let err =
            parse("<configuration><appSettings><add value=\"x\"/></appSettings></configuration>")
                .expect_err("no key");
        assert!(err.message.contains("key="), "{err}");
    }

    #[test]
    fn missing_app_settings_and_external_files_warn() {
        let s = parse("<configuration/>").expect("parses");
        assert_eq!(s.warnings.len(), 1);
        let s = parse("<configuration><appSettings file=\"more.config\"/></configuration>")
            .expect("parses");
        assert!(s.warnings[0].contains("more.config"), "{:?}", s.warnings);
    }

    #[test]
    fn decodes_utf8_bom_and_utf16() {
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>").expect("utf8"), "<a/>");
        let mut le = vec![0xFF, 0xFE];
        le.extend("<a/>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&le).expect("utf16le"), "<a/>");
        let mut be = vec![0xFE, 0xFF];
        be.extend("<a/>".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).expect("utf16be"), "<a/>");
        assert!(decode(b"\xC3\x28").is_err());
    }

    #[test]
    fn a_utf16_file_declaring_its_encoding_still_parses() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?><configuration><appSettings>\
                    <add key=\"ServiceURL\" value=\"EMEA\"/></appSettings></configuration>";
        let s = parse(text).expect("parses");
        assert_eq!(value(&s, "ServiceURL"), Some("EMEA"));
    }
}

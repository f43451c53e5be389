//! Reads the `<appSettings>` of a .NET application config file such as the original
//! `CDSTestdriveUtility.exe.config`, as the .NET runtime would: other sections, comments,
//! a byte-order mark (UTF-8 or UTF-16) and `<clear/>` / `<remove key=""/>` are all handled.

use std::collections::HashMap;

/// Most warnings kept from one file; the rest are counted in a last line, so that a file of
/// many thousand unknown elements does not print many thousand lines.
pub(crate) const MAX_WARNINGS: usize = 20;

/// Why the config file's bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum DecodeError {
    /// The bytes are not UTF-8 (and there is no UTF-16 byte-order mark).
    #[error("the file is not valid UTF-8 (byte {valid_up_to}); save it as UTF-8")]
    NotUtf8 {
        /// How many bytes were valid before the first bad one.
        valid_up_to: usize,
    },
    /// A UTF-16 byte-order mark, then bytes that are not UTF-16.
    #[error(
        "the file starts with a UTF-16 byte-order mark but is not valid UTF-16; save it as UTF-8"
    )]
    NotUtf16,
}

/// Why a .NET config file's XML was not read. Messages name the line and what to change and
/// never quote the file's values, which may be secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum XmlError {
    /// The file declares a document type (`<!DOCTYPE ...>`). No .NET config file needs one,
    /// and DTD entities let a small file expand to gigabytes.
    #[error(
        "the file declares a DTD (<!DOCTYPE ...>), which no .NET config file needs and which \
         is refused because its entities can expand a small file to gigabytes"
    )]
    Dtd,
    /// The text is not well-formed XML.
    #[error("not well-formed XML at line {line}, column {column}: {problem}")]
    Syntax {
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong, without quoting the file's text.
        problem: String,
    },
    /// The root element is not `<configuration>`.
    #[error(
        "the root element is <{root}>, but a .NET config file has <configuration> with \
         <appSettings> inside"
    )]
    WrongRoot {
        /// The root element's local name.
        root: String,
    },
    /// An `<add>` without `key`.
    #[error("line {line}: <add> without a key=\"...\" attribute")]
    AddWithoutKey {
        /// 1-based line of the `<add>`.
        line: u32,
    },
}

/// The settings found in `<configuration><appSettings>`, ordered by where each key was last
/// added, after `<clear/>` and `<remove/>` were applied; plus warnings about things that were
/// read but not used.
#[derive(Default, Clone, PartialEq, Eq)]
pub(crate) struct AppSettings {
    /// `(key, value)` pairs.
    pub(crate) entries: Vec<(String, String)>,
    /// Non-fatal problems (for example an `appSettings file="..."` attribute).
    pub(crate) warnings: Vec<String>,
}

/// Lists the keys only: values may be personal data (a user name) or, in a file that
/// wrongly holds one, a secret.
impl std::fmt::Debug for AppSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSettings")
            .field(
                "keys",
                &self.entries.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Decodes the raw bytes of a config file: UTF-8 (with or without BOM) or UTF-16 with a BOM,
/// as Notepad may save it.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    let utf16 = |units: Vec<u16>| String::from_utf16(&units).map_err(|_| DecodeError::NotUtf16);
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
            let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::NotUtf8 {
                valid_up_to: e.valid_up_to(),
            })?;
            Ok(text.strip_prefix('\u{FEFF}').unwrap_or(text).to_owned())
        }
    }
}

/// Parses the config file's text and returns its `appSettings`. Linear in the size of the
/// file: keys are found through a map, and line numbers are counted forward only.
pub(crate) fn parse(text: &str) -> Result<AppSettings, XmlError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // roxmltree refuses a DTD with an internal subset; an empty `<!DOCTYPE x>` is refused
    // below, after parsing, from the prolog.
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(syntax_error)?;
    let root = doc.root_element();
    if prolog_declares_dtd(&text[..root.range().start]) {
        return Err(XmlError::Dtd);
    }
    if root.tag_name().name() != "configuration" {
        return Err(XmlError::WrongRoot {
            root: root.tag_name().name().to_owned(),
        });
    }
    let mut lines = LineCounter::new(text);
    let mut entries = Entries::default();
    let mut warnings = Warnings::default();
    let sections: Vec<_> = root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "appSettings")
        .collect();
    if sections.is_empty() {
        warnings
            .push("the file has no <appSettings> section, so no setting was read from it".into());
    }
    for section in sections {
        for attr in ["file", "configSource"] {
            if let Some(other) = section.attribute(attr) {
                warnings.push(format!(
                    "<appSettings {attr}=\"{other}\"> is not followed; put the settings in \
                     this file"
                ));
            }
        }
        for node in section.children().filter(|n| n.is_element()) {
            match node.tag_name().name() {
                "add" => {
                    let key = node
                        .attribute("key")
                        .ok_or_else(|| XmlError::AddWithoutKey {
                            line: lines.line_at(node.range().start),
                        })?;
                    let value = node.attribute("value").unwrap_or_default();
                    entries.add(key, value);
                }
                "remove" => {
                    if let Some(key) = node.attribute("key") {
                        entries.remove(key);
                    }
                }
                "clear" => entries.clear(),
                other => {
                    if warnings.has_room() {
                        let line = lines.line_at(node.range().start);
                        warnings.push(format!(
                            "line {line}: <{other}> inside <appSettings> is not a setting and \
                             was ignored (use <add key=\"...\" value=\"...\"/>)"
                        ));
                    } else {
                        warnings.count_dropped();
                    }
                }
            }
        }
    }
    Ok(AppSettings {
        entries: entries.into_vec(),
        warnings: warnings.finish(),
    })
}

/// The `appSettings` collection as .NET keeps it: keys compared without regard to ASCII
/// case, a later `<add>` replacing an earlier one (and moving to the end), `<remove>` and
/// `<clear/>`. Each operation is O(1) on average, so 100,000 entries stay linear.
#[derive(Default)]
struct Entries {
    /// Entries in the order they were added; replaced and removed ones become `None`.
    slots: Vec<Option<(String, String)>>,
    /// ASCII-lowercased key to its live slot.
    index: HashMap<String, usize>,
}

impl Entries {
    fn add(&mut self, key: &str, value: &str) {
        let slot = self.slots.len();
        if let Some(old) = self.index.insert(key.to_ascii_lowercase(), slot) {
            self.slots[old] = None;
        }
        self.slots.push(Some((key.to_owned(), value.to_owned())));
    }

    fn remove(&mut self, key: &str) {
        if let Some(old) = self.index.remove(&key.to_ascii_lowercase()) {
            self.slots[old] = None;
        }
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.index.clear();
    }

    fn into_vec(self) -> Vec<(String, String)> {
        self.slots.into_iter().flatten().collect()
    }
}

/// Warnings, at most [`MAX_WARNINGS`] of them plus a count of the rest.
#[derive(Default)]
pub(crate) struct Warnings {
    kept: Vec<String>,
    dropped: usize,
}

impl Warnings {
    /// Whether another warning would be kept (build the text only then).
    pub(crate) fn has_room(&self) -> bool {
        self.kept.len() < MAX_WARNINGS
    }

    /// Keeps `warning`, or counts it when there is no room.
    pub(crate) fn push(&mut self, warning: String) {
        if self.has_room() {
            self.kept.push(warning);
        } else {
            self.dropped += 1;
        }
    }

    /// Counts a warning that was not built.
    pub(crate) fn count_dropped(&mut self) {
        self.dropped += 1;
    }

    /// The warnings kept, and a line counting the others.
    pub(crate) fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.kept
                .push(format!("... and {} more warnings like these", self.dropped));
        }
        self.kept
    }
}

/// Line numbers of byte offsets met in increasing order, counting each byte once.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte `pos` (counts from the start again if `pos` went back).
    fn line_at(&mut self, pos: usize) -> u32 {
        let pos = pos.min(self.text.len());
        if pos < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = self.text.as_bytes()[self.offset..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.offset = pos;
        self.line
    }
}

/// Whether the text before the root element (which parsed, so it holds only whitespace,
/// the XML declaration, processing instructions, comments and a document type) holds a
/// document type.
fn prolog_declares_dtd(prolog: &str) -> bool {
    let mut rest = prolog;
    loop {
        rest = rest.trim_start();
        let (open, close) = if rest.starts_with("<!--") {
            ("<!--", "-->")
        } else if rest.starts_with("<?") {
            ("<?", "?>")
        } else {
            return !rest.is_empty();
        };
        match rest[open.len()..].find(close) {
            Some(end) => rest = &rest[open.len() + end + close.len()..],
            None => return true,
        }
    }
}

/// roxmltree's error, said without quoting the file's text (an entity name or character
/// from a value could be part of a secret).
fn syntax_error(e: roxmltree::Error) -> XmlError {
    use roxmltree::Error as E;
    let pos = e.pos();
    let problem = match &e {
        E::DtdDetected => return XmlError::Dtd,
        E::UnknownEntityReference(..) | E::MalformedEntityReference(_) => {
            "an unknown or malformed entity reference; write a literal & as &amp;".to_owned()
        }
        E::InvalidAttributeValue(_) => {
            "a '<' inside an attribute value; write it as &lt;".to_owned()
        }
        E::NonXmlChar(..) => "a character that XML does not allow".to_owned(),
        E::InvalidChar(expected, _, _) => {
            format!("expected '{}' here", char::from(*expected))
        }
        E::InvalidChar2(expected, _, _) | E::InvalidString(expected, _) => {
            format!("expected {expected} here")
        }
        E::UnexpectedCloseTag(expected, actual, _) => {
            format!("</{actual}> closes <{expected}>")
        }
        other => {
            // The remaining messages name only XML structure; drop roxmltree's own position.
            let text = other.to_string();
            let at = format!(" at {pos}");
            text.strip_suffix(&at).unwrap_or(&text).to_owned()
        }
    };
    XmlError::Syntax {
        line: pos.row,
        column: pos.col,
        problem,
    }
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
        assert!(matches!(err, XmlError::Syntax { line: 4, .. }), "{err:?}");
        assert!(err.to_string().contains("not well-formed XML"), "{err}");
    }

    #[test]
    fn other_roots_and_keyless_adds_are_refused() {
        let err = parse("<settings/>").expect_err("wrong root");
        assert_eq!(
            err,
            XmlError::WrongRoot {
                root: "settings".into()
            }
        );
        assert!(err.to_string().contains("<configuration>"), "{err}");
        let err =
            parse("<configuration><appSettings><add value=\"x\"/></appSettings></configuration>")
                .expect_err("no key");
        assert_eq!(err, XmlError::AddWithoutKey { line: 1 });
        assert!(err.to_string().contains("key="), "{err}");
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

    /// `count` `<add>` elements with keys `K0`, `K1`, ... and values `v0`, `v1`, ...
    fn many_adds(count: usize, prefix: &str) -> String {
        let mut text = String::from("<configuration><appSettings>\n");
        for i in 0..count {
            text.push_str(&format!("<add key=\"{prefix}{i}\" value=\"v{i}\"/>\n"));
        }
        text.push_str("</appSettings></configuration>\n");
        text
    }

    #[test]
    fn a_dtd_is_refused_before_any_entity_is_expanded() {
        // Billion laughs: ten levels of ten references, 10^9 copies of "lol" once expanded.
        let mut dtd = String::from("<!ENTITY lol0 \"lol\">\n");
        for level in 1..10 {
            let refs = format!("&lol{};", level - 1).repeat(10);
            dtd.push_str(&format!("<!ENTITY lol{level} \"{refs}\">\n"));
        }
        let text = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n{dtd}]>\n<configuration>\
             <appSettings><add key=\"ServiceURL\" value=\"&lol9;\"/></appSettings>\
             </configuration>"
        );
        let err = parse(&text).expect_err("DTD");
        assert_eq!(err, XmlError::Dtd);
        assert!(
            err.to_string().contains("no .NET config file needs"),
            "{err}"
        );
    }

    #[test]
    fn even_an_empty_doctype_is_refused_but_not_one_in_a_comment() {
        for text in [
            "<!DOCTYPE configuration><configuration/>",
            "<?xml version=\"1.0\"?><!-- a --><!DOCTYPE configuration []>\n<configuration/>",
            "<!DOCTYPE configuration SYSTEM \"x.dtd\"><configuration/>",
        ] {
            assert_eq!(parse(text), Err(XmlError::Dtd), "{text}");
        }
        let s = parse("<!-- <!DOCTYPE configuration> --><?pi <!DOCTYPE?><configuration/>")
            .expect("a doctype inside a comment is text");
        assert_eq!(s.entries, vec![]);
    }

    #[test]
    fn twenty_thousand_entries_keep_every_key_and_value() {
        let s = parse(&many_adds(20_000, "K")).expect("parses");
        assert_eq!(s.entries.len(), 20_000);
        for (i, (k, v)) in s.entries.iter().enumerate() {
            assert_eq!(
                (k.as_str(), v.as_str()),
                (&*format!("K{i}"), &*format!("v{i}"))
            );
        }
    }

    /// With the old per-`<add>` scan of every earlier key, 200,000 distinct keys took
    /// 2 * 10^10 key comparisons (hours in a debug build); with a map it is a moment.
    /// Replacing and removing through the same map keeps .NET's semantics at that size.
    #[test]
    fn two_hundred_thousand_entries_are_handled_through_a_map() {
        let mut text = many_adds(200_000, "K");
        let tail = "<add key=\"k5\" value=\"again\"/><remove key=\"K7\"/></appSettings>";
        text = text.replacen("</appSettings>", tail, 1);
        let s = parse(&text).expect("parses");
        assert_eq!(s.entries.len(), 200_000 - 1);
        assert_eq!(s.entries[5], ("K6".into(), "v6".into()));
        assert!(!s.entries.iter().any(|(k, _)| k == "K7" || k == "K5"));
        assert_eq!(s.entries.last(), Some(&("k5".into(), "again".into())));
    }

    #[test]
    fn many_unknown_elements_give_a_bounded_number_of_warnings() {
        let text = format!(
            "<configuration><appSettings>{}</appSettings></configuration>",
            "<set/>\n".repeat(10_000)
        );
        let s = parse(&text).expect("parses");
        assert_eq!(s.warnings.len(), MAX_WARNINGS + 1);
        assert!(s.warnings[0].starts_with("line 1:"), "{:?}", s.warnings);
        assert!(
            s.warnings[MAX_WARNINGS - 1].starts_with("line 20:"),
            "{:?}",
            s.warnings
        );
        assert!(
            s.warnings[MAX_WARNINGS].contains("9980 more"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn syntax_errors_do_not_quote_values() {
        for text in [
            "<configuration><appSettings><add key=\"ClientSecret\" value=\"S3cr&Et9x;\"/>",
            "<configuration><appSettings><add key=\"ClientSecret\" value=\"S3cr&Et9x\"/>",
            "<configuration><appSettings><add key=\"ClientSecret\" value=\"S3cr<Et9x\"/>",
            "<configuration><appSettings><add key=\"ClientSecret\" value=\"S3cr\u{1}Et9x\"/>",
            "<configuration><appSettings><add key=\"ClientSecret\" value=\"S3cr\"Et9x\"/>",
        ] {
            let err = parse(text).expect_err("malformed");
            let message = err.to_string();
            assert!(matches!(err, XmlError::Syntax { .. }), "{message}");
            assert!(
                !message.contains("Et9x") && !message.contains("S3cr"),
                "{message}"
            );
        }
    }

    #[test]
    fn debug_lists_keys_not_values() {
        let s = parse(
            "<configuration><appSettings><add key=\"UserName\" value=\"ada@contoso.com\"/>\
             </appSettings></configuration>",
        )
        .expect("parses");
        let debug = format!("{s:?}");
        assert!(debug.contains("UserName"), "{debug}");
        assert!(!debug.contains("ada@"), "{debug}");
    }

    /// The semantics of the original implementation, one scan per element: the oracle for
    /// the map-based one.
    fn reference_entries(ops: &[Op]) -> Vec<(String, String)> {
        let mut entries: Vec<(String, String)> = Vec::new();
        for op in ops {
            match op {
                Op::Add(k, v) => {
                    entries.retain(|(e, _)| !e.eq_ignore_ascii_case(k));
                    entries.push((k.clone(), v.clone()));
                }
                Op::Remove(k) => entries.retain(|(e, _)| !e.eq_ignore_ascii_case(k)),
                Op::Clear => entries.clear(),
            }
        }
        entries
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(String, String),
        Remove(String),
        Clear,
    }

    /// Escapes text for a double-quoted XML attribute, including the whitespace that
    /// attribute-value normalisation would otherwise turn into spaces.
    fn escape(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                '\t' | '\n' | '\r' => out.push_str(&format!("&#x{:X};", u32::from(c))),
                c => out.push(c),
            }
        }
        out
    }

    /// Characters XML 1.0 can carry (escaped if need be).
    fn xml_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(vec!['&', '<', '>', '"', '\'', '\t', '\n', '\r', ';', 'a', 'A', ' ']),
                any::<char>(),
            ],
            0..12,
        )
        .prop_map(|chars| {
            chars
                .into_iter()
                .filter(|&c| {
                    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
                })
                .collect()
        })
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct short keys, so that replacing, removing and case folding happen.
        let key = prop_oneof![
            proptest::sample::select(vec!["a", "A", "b", "ServiceURL", "serviceurl", ""])
                .prop_map(str::to_owned),
            xml_text(),
        ];
        prop_oneof![
            6 => (key.clone(), xml_text()).prop_map(|(k, v)| Op::Add(k, v)),
            2 => key.prop_map(Op::Remove),
            1 => Just(Op::Clear),
        ]
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_parsed_or_refused_without_panic(text in "\\PC{0,200}") {
            let _ = parse(&text);
        }

        #[test]
        fn any_xml_like_text_is_parsed_or_refused_without_panic(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<configuration>", "</configuration>", "<appSettings>", "</appSettings>",
                    "<add key=\"a\" value=\"b\"/>", "<add value=\"b\"/>", "<remove key=\"A\"/>",
                    "<clear/>", "<x/>", "<!DOCTYPE c>", "<!-- c -->", "<?xml version=\"1.0\"?>",
                    "&amp;", "&bogus;", "<", ">", "\"", "\n", "\u{FEFF}", "<appSettings file=\"f\">",
                ]),
                0..16,
            )
        ) {
            let _ = parse(&parts.concat());
        }

        #[test]
        fn any_bytes_decode_or_are_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(text) = decode(&bytes) {
                let _ = parse(&text);
            }
        }

        /// Generated files, with XML-special characters escaped, give back every key and
        /// value, with `<remove>`, `<clear/>` and repeated keys as the original code had them.
        #[test]
        fn generated_app_settings_round_trip(ops in proptest::collection::vec(op(), 0..24)) {
            let mut text = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <appSettings>\n");
            for op in &ops {
                match op {
                    Op::Add(k, v) => text.push_str(&format!("    <add key=\"{}\" value=\"{}\" />\n", escape(k), escape(v))),
                    Op::Remove(k) => text.push_str(&format!("    <remove key=\"{}\"/>\n", escape(k))),
                    Op::Clear => text.push_str("    <clear/>\n"),
                }
            }
            text.push_str("  </appSettings>\n</configuration>\n");
            let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(parsed.entries, reference_entries(&ops));
            prop_assert!(parsed.warnings.is_empty());
        }
    }
}

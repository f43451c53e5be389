//! Reads the result XML an import job keeps in its `data` column.
//!
//! The format is not documented as a schema, so the reader is tolerant: the root's
//! `succeeded` (`success` / `failure`) and `status` (the error text) attributes when present,
//! else the solution manifest's `result` element; warnings are any element with
//! `result="warning"`, their text in `errortext`.

use roxmltree::{Document, Node, ParsingOptions};

use super::ImportWarning;

/// The largest `data` value read (import logs of big solutions run to a few megabytes).
pub(crate) const MAX_DATA_LEN: usize = 16 * 1024 * 1024;
/// At most this many XML nodes are parsed.
const MAX_NODES: u32 = 2_000_000;
/// At most this many warnings are kept.
pub(crate) const MAX_WARNINGS: usize = 1_000;
/// Characters kept of one warning or error text.
const MAX_TEXT: usize = 2_000;

/// What an import job's result says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JobResult {
    /// `Some(true)` success, `Some(false)` failure, `None` when the XML does not say.
    pub(crate) succeeded: Option<bool>,
    /// The error text, when it failed.
    pub(crate) message: Option<String>,
    pub(crate) unique_name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) warnings: Vec<ImportWarning>,
}

/// Parses the `data` XML; `Err` says why it cannot be read.
pub(crate) fn parse(data: &str) -> Result<JobResult, String> {
    if data.len() > MAX_DATA_LEN {
        return Err(format!(
            "the import job's result XML is {} bytes; at most {MAX_DATA_LEN} are read",
            data.len()
        ));
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(data, options)
        .map_err(|e| format!("the import job's result is not XML: {e}"))?;
    let root = doc.root_element();
    let manifest = root
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("solutionManifest"));
    let manifest_result = manifest.and_then(|m| child(m, "result"));

    let mut succeeded = attr(root, "succeeded").and_then(outcome_word);
    let mut message = attr(root, "status").filter(|s| !s.trim().is_empty());
    if succeeded.is_none() {
        succeeded = manifest_result
            .and_then(|r| attr(r, "result"))
            .and_then(outcome_word);
    }
    if message.is_none() && succeeded == Some(false) {
        message = manifest_result
            .and_then(|r| attr(r, "errortext"))
            .filter(|s| !s.trim().is_empty())
            .or_else(|| first_failure_text(root));
    }
    let unique_name = manifest
        .and_then(|m| child(m, "UniqueName"))
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    // The element form (`<Version>`) first, then the attribute in any case (`version`,
    // `Version`): the format is undocumented and services write either.
    let version = manifest
        .and_then(|m| {
            child(m, "Version")
                .and_then(|n| n.text())
                .map(str::to_string)
                .or_else(|| attr(m, "version"))
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let warnings = root
        .descendants()
        .filter(|n| {
            n.is_element() && attr(*n, "result").is_some_and(|r| r.eq_ignore_ascii_case("warning"))
        })
        .take(MAX_WARNINGS)
        .map(warning)
        .collect();
    Ok(JobResult {
        succeeded,
        message: message.map(|m| dynamics_http::capped(&m, MAX_TEXT)),
        unique_name: unique_name.map(|s| dynamics_http::capped(&s, MAX_TEXT)),
        version: version.map(|s| dynamics_http::capped(&s, 100)),
        warnings,
    })
}

fn warning(node: Node<'_, '_>) -> ImportWarning {
    let message = attr(node, "errortext").unwrap_or_default();
    // The result element sits inside the component it is about (an entity, a role, ...).
    let about = node
        .parent_element()
        .filter(|p| p != &node.document().root_element());
    let component = about.and_then(|p| {
        ["LocalizedName", "name", "id"]
            .iter()
            .find_map(|a| attr(p, a))
            .filter(|s| !s.trim().is_empty())
            .map(|s| format!("{} {s}", p.tag_name().name()))
    });
    ImportWarning {
        message: dynamics_http::capped(&message, MAX_TEXT),
        component: component.map(|c| dynamics_http::capped(&c, MAX_TEXT)),
    }
}

fn first_failure_text(root: Node<'_, '_>) -> Option<String> {
    root.descendants()
        .filter(|n| {
            n.is_element() && attr(*n, "result").is_some_and(|r| r.eq_ignore_ascii_case("failure"))
        })
        .find_map(|n| attr(n, "errortext").filter(|s| !s.trim().is_empty()))
}

/// `success` / `failure` (and `true` / `false`), case ignored.
fn outcome_word(value: String) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "true" => Some(true),
        "failure" | "failed" | "false" => Some(false),
        _ => None,
    }
}

/// An attribute by name, ASCII case ignored.
fn attr(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.attributes()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .map(|a| a.value().to_string())
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_attributes_decide() {
        let r =
            parse(r#"<importexportxml succeeded="failure" status="Missing dependency: prvFoo"/>"#)
                .expect("parsed");
        assert_eq!(r.succeeded, Some(false));
        assert_eq!(r.message.as_deref(), Some("Missing dependency: prvFoo"));
        let r = parse(r#"<importexportxml succeeded="success" status=""/>"#).expect("parsed");
        assert_eq!(r.succeeded, Some(true));
        assert_eq!(r.message, None);
    }

    #[test]
    fn manifest_result_is_the_fallback() {
        let xml = r#"<importexportxml><solutionManifests><solutionManifest version="2.0.0.0">
            <UniqueName>Lw</UniqueName>
            <result result="failure" errortext="The role is invalid" /></solutionManifest></solutionManifests>
            </importexportxml>"#;
        let r = parse(xml).expect("parsed");
        assert_eq!(r.succeeded, Some(false));
        assert_eq!(r.message.as_deref(), Some("The role is invalid"));
        assert_eq!(r.unique_name.as_deref(), Some("Lw"));
        assert_eq!(r.version.as_deref(), Some("2.0.0.0"));
    }

    #[test]
    fn the_version_attribute_is_read_in_any_case() {
        // The emulator writes `Version="…"` on the manifest; the undocumented format is read
        // without regard to case, and the element form wins when both are present.
        let xml = r#"<importexportxml succeeded="success"><solutionManifests>
            <solutionManifest id="Lw" Version="1.2.0.0"><result result="success"/></solutionManifest>
            </solutionManifests></importexportxml>"#;
        assert_eq!(
            parse(xml).expect("parsed").version.as_deref(),
            Some("1.2.0.0")
        );
        let xml = r#"<importexportxml><solutionManifests>
            <solutionManifest version="1.0.0.0"><Version> 3.0.0.0 </Version></solutionManifest>
            </solutionManifests></importexportxml>"#;
        assert_eq!(
            parse(xml).expect("parsed").version.as_deref(),
            Some("3.0.0.0")
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..proptest::prelude::ProptestConfig::default() })]

        /// Any input is read or refused, never a panic.
        #[test]
        fn any_text_is_read_or_refused(data in ".{0,400}") {
            let _ = parse(&data);
        }

        /// The error text in `status` comes back as written (XML-escaped on the way in),
        /// without control characters.
        #[test]
        fn the_status_text_comes_back(text in "[^\\x00-\\x1f\\x{FFFE}\\x{FFFF}]{1,200}") {
            let escaped = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('"', "&quot;");
            let xml = format!("<importexportxml succeeded=\"failure\" status=\"{escaped}\"/>");
            let result = parse(&xml).expect("parsed");
            proptest::prop_assert_eq!(result.succeeded, Some(false));
            let want = (!text.trim().is_empty()).then(|| dynamics_http::capped(&text, MAX_TEXT));
            proptest::prop_assert_eq!(result.message, want);
        }
    }

    #[test]
    fn unknown_shapes_say_nothing_rather_than_fail() {
        let r = parse("<x><y/></x>").expect("parsed");
        assert_eq!(r, JobResult::default());
        assert!(parse("not xml").is_err());
        assert!(parse("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").is_err());
    }
}

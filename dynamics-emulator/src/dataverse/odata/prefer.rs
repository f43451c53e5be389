//! The `Prefer` request header and the `Preference-Applied` answer header.

use axum::http::HeaderMap;

/// The largest page the service returns (also the default).
pub(crate) const MAX_PAGE_SIZE: usize = 5000;

/// Which annotations the client asked for with `odata.include-annotations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Annotations {
    /// As asked (without quotes), echoed in `Preference-Applied`.
    raw: String,
    /// Patterns such as `*`, `Microsoft.Dynamics.CRM.*`, or `-name` to exclude.
    patterns: Vec<String>,
}

impl Annotations {
    fn new(raw: &str) -> Self {
        Self {
            raw: raw.to_owned(),
            patterns: raw
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        }
    }

    /// Whether the annotation `term` (e.g. `OData.Community.Display.V1.FormattedValue`) is
    /// included.
    pub(crate) fn includes(&self, term: &str) -> bool {
        let matches = |pattern: &str| {
            pattern == "*"
                || pattern == term
                || pattern
                    .strip_suffix('*')
                    .is_some_and(|prefix| term.starts_with(prefix))
        };
        let excluded = self
            .patterns
            .iter()
            .filter_map(|p| p.strip_prefix('-'))
            .any(matches);
        !excluded
            && self
                .patterns
                .iter()
                .filter(|p| !p.starts_with('-'))
                .any(|p| matches(p))
    }
}

impl Annotations {
    /// Whether `term` is included by `*` or by its own name (not by a namespace wildcard such
    /// as `Microsoft.Dynamics.CRM.*`), and not excluded.
    pub(crate) fn includes_by_name_or_all(&self, term: &str) -> bool {
        self.includes(term) && self.patterns.iter().any(|p| p == "*" || p.as_str() == term)
    }
}

/// `@Microsoft.Dynamics.CRM.globalmetadataversion`, answered on collections.
pub(crate) const GLOBAL_METADATA_VERSION: &str = "Microsoft.Dynamics.CRM.globalmetadataversion";

/// Formatted values.
pub(crate) const FORMATTED_VALUE: &str = "OData.Community.Display.V1.FormattedValue";
/// The logical name of a lookup's table.
pub(crate) const LOOKUP_LOGICAL_NAME: &str = "Microsoft.Dynamics.CRM.lookuplogicalname";
/// The navigation property behind a lookup.
pub(crate) const ASSOCIATED_NAVIGATION_PROPERTY: &str =
    "Microsoft.Dynamics.CRM.associatednavigationproperty";

/// The preferences of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Prefer {
    pub(crate) return_representation: bool,
    pub(crate) max_page_size: Option<usize>,
    pub(crate) annotations: Option<Annotations>,
    pub(crate) track_changes: bool,
    pub(crate) continue_on_error: bool,
}

impl Prefer {
    /// Reads every `Prefer` header of a request.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut prefer = Self::default();
        for value in headers.get_all("prefer") {
            let Ok(value) = value.to_str() else {
                continue;
            };
            for item in split_items(value) {
                let (name, argument) = match item.split_once('=') {
                    Some((name, argument)) => {
                        (name.trim(), Some(argument.trim().trim_matches('"')))
                    }
                    None => (item.trim(), None),
                };
                match (name.to_ascii_lowercase().as_str(), argument) {
                    ("return", Some(a)) => {
                        prefer.return_representation = a.eq_ignore_ascii_case("representation")
                    }
                    ("odata.maxpagesize", Some(a)) => {
                        prefer.max_page_size = a.parse().ok().filter(|n| *n > 0)
                    }
                    ("odata.include-annotations", Some(a)) => {
                        prefer.annotations = Some(Annotations::new(a))
                    }
                    ("odata.track-changes", _) => prefer.track_changes = true,
                    ("odata.continue-on-error", _) => prefer.continue_on_error = true,
                    _ => {}
                }
            }
        }
        prefer
    }

    /// Whether an annotation is included.
    pub(crate) fn wants(&self, term: &str) -> bool {
        self.annotations.as_ref().is_some_and(|a| a.includes(term))
    }

    /// Whether `@Microsoft.Dynamics.CRM.globalmetadataversion` goes into a collection answer.
    ///
    /// UNCONFIRMED: Microsoft's documentation does not state when the service adds it. The
    /// documented answers show it for `odata.include-annotations="*"` (FetchXML paging sample)
    /// and leave it out for `"Microsoft.Dynamics.CRM.*"` ("Count rows" sample), so the rule
    /// that agrees with both is: `*` or the annotation's own name, not a namespace wildcard.
    pub(crate) fn wants_global_metadata_version(&self) -> bool {
        self.annotations
            .as_ref()
            .is_some_and(|a| a.includes_by_name_or_all(GLOBAL_METADATA_VERSION))
    }

    /// The page size to use: the preference (at most 5000) or 5000.
    pub(crate) fn page_size(&self) -> usize {
        self.max_page_size
            .unwrap_or(MAX_PAGE_SIZE)
            .min(MAX_PAGE_SIZE)
    }
}

/// What an answer applied, for `Preference-Applied`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Applied {
    pub(crate) annotations: bool,
    pub(crate) max_page_size: bool,
    pub(crate) representation: bool,
    pub(crate) track_changes: bool,
}

/// The `Preference-Applied` value, or `None` when nothing was applied.
pub(crate) fn preference_applied(prefer: &Prefer, applied: Applied) -> Option<String> {
    let mut items = Vec::new();
    if applied.annotations
        && let Some(annotations) = &prefer.annotations
    {
        items.push(format!("odata.include-annotations=\"{}\"", annotations.raw));
    }
    if applied.max_page_size
        && let Some(size) = prefer.max_page_size
    {
        items.push(format!("odata.maxpagesize={}", size.min(MAX_PAGE_SIZE)));
    }
    if applied.representation && prefer.return_representation {
        items.push("return=representation".to_owned());
    }
    if applied.track_changes && prefer.track_changes {
        items.push("odata.track-changes".to_owned());
    }
    (!items.is_empty()).then(|| items.join(", "))
}

/// Splits a header value on commas outside double quotes.
fn split_items(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => {
                items.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn parses_and_echoes() {
        let mut headers = HeaderMap::new();
        headers.append(
            "Prefer",
            HeaderValue::from_static(
                "odata.maxpagesize=10, odata.include-annotations=OData.Community.Display.V1.FormattedValue",
            ),
        );
        headers.append("Prefer", HeaderValue::from_static("return=representation"));
        let prefer = Prefer::from_headers(&headers);
        assert_eq!(prefer.max_page_size, Some(10));
        assert!(prefer.return_representation);
        assert!(prefer.wants(FORMATTED_VALUE));
        assert!(!prefer.wants(LOOKUP_LOGICAL_NAME));
        let applied = Applied {
            annotations: true,
            max_page_size: true,
            ..Applied::default()
        };
        assert_eq!(
            preference_applied(&prefer, applied).as_deref(),
            Some(
                "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\", odata.maxpagesize=10"
            )
        );
    }

    #[test]
    fn wildcards_and_exclusions() {
        let all = Annotations::new("*");
        assert!(all.includes(FORMATTED_VALUE));
        let crm =
            Annotations::new("Microsoft.Dynamics.CRM.*,-Microsoft.Dynamics.CRM.lookuplogicalname");
        assert!(crm.includes(ASSOCIATED_NAVIGATION_PROPERTY));
        assert!(!crm.includes(LOOKUP_LOGICAL_NAME));
        assert!(!crm.includes(FORMATTED_VALUE));
    }

    /// The global metadata version follows `*` or its own name, never the CRM namespace
    /// wildcard (the documented answers to both).
    #[test]
    fn global_metadata_version_needs_all_or_its_name() {
        let prefer = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.append("Prefer", HeaderValue::from_static(value));
            Prefer::from_headers(&headers)
        };
        assert!(prefer("odata.include-annotations=\"*\"").wants_global_metadata_version());
        assert!(
            prefer("odata.include-annotations=\"Microsoft.Dynamics.CRM.globalmetadataversion\"")
                .wants_global_metadata_version()
        );
        let crm = prefer("odata.include-annotations=\"Microsoft.Dynamics.CRM.*\"");
        assert!(crm.wants(GLOBAL_METADATA_VERSION));
        assert!(!crm.wants_global_metadata_version());
        assert!(
            !prefer(
                "odata.include-annotations=\"*,-Microsoft.Dynamics.CRM.globalmetadataversion\""
            )
            .wants_global_metadata_version()
        );
        assert!(!prefer("odata.maxpagesize=3").wants_global_metadata_version());
    }
}

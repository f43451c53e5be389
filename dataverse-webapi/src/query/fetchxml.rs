//! FetchXML queries and their paging cookie.
//!
//! Dataverse answers a FetchXML page with `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`, an XML
//! fragment whose `pagingcookie` attribute is URL-encoded twice, and
//! `@Microsoft.Dynamics.CRM.morerecords`. The next page is the same `<fetch>` with `page`
//! incremented and `paging-cookie` set to the decoded cookie.

use std::fmt;
use std::ops::Range;

use percent_encoding::percent_decode_str;

use crate::error::{DataverseError, Result};

/// A FetchXML query on one entity set (it must match the `<entity name>` inside).
///
/// `Debug` shows the entity set and the query's length, not its conditions' values.
#[derive(Clone)]
pub struct FetchXml {
    entity_set: String,
    fetch: String,
}

impl FetchXml {
    /// A FetchXML query. The text must be one well-formed XML document whose root element is
    /// `<fetch>` (an XML declaration and comments around it are fine).
    pub fn new(entity_set: &str, fetch: &str) -> Result<Self> {
        crate::query::checked("entity set", entity_set)?;
        let fetch = fetch.trim();
        root_tag(fetch)?;
        Ok(FetchXml {
            entity_set: entity_set.to_string(),
            fetch: fetch.to_string(),
        })
    }

    /// The entity set.
    pub fn entity_set(&self) -> &str {
        &self.entity_set
    }

    /// The FetchXML text.
    pub fn fetch(&self) -> &str {
        &self.fetch
    }

    /// `{entity_set}?fetchXml=...`, relative to the API root.
    pub fn to_relative_url(&self) -> String {
        format!(
            "{}?fetchXml={}",
            self.entity_set,
            super::encode::query_value(&self.fetch)
        )
    }

    /// The query for the page after the one that returned `cookie_annotation` (the value of
    /// `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`): the root `<fetch>` element gets
    /// `page` one higher (1 when absent) and the decoded `paging-cookie`; nothing else in the
    /// document changes. Fails with [`DataverseError::FetchXmlPaging`] when the page is
    /// already the largest FetchXML accepts (`i32::MAX`).
    pub fn next_page(&self, cookie_annotation: &str) -> Result<FetchXml> {
        let cookie = paging_cookie(cookie_annotation)?;
        let root = root_tag(&self.fetch)?;
        let page = match &root.page {
            None => 1,
            Some(p) => p
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=MAX_PAGE).contains(p))
                .ok_or_else(|| {
                    DataverseError::invalid(
                        "FetchXML",
                        "the page attribute of <fetch> must be a whole number from 1 to 2147483647",
                    )
                })?,
        };
        let next = page
            .checked_add(1)
            .filter(|p| *p <= MAX_PAGE)
            .ok_or_else(|| DataverseError::FetchXmlPaging {
                reason: format!("page {page} is the last page number FetchXML accepts"),
            })?;
        let mut out = String::with_capacity(self.fetch.len() + cookie.len() * 2 + 48);
        let mut at = 0;
        for range in &root.replaced {
            out.push_str(&self.fetch[at..range.start]);
            at = range.end;
        }
        out.push_str(&self.fetch[at..root.tag_end]);
        out.push_str(&format!(
            " page=\"{next}\" paging-cookie=\"{}\"",
            xml_escape(&cookie)
        ));
        out.push_str(&self.fetch[root.tag_end..]);
        Ok(FetchXml {
            entity_set: self.entity_set.clone(),
            fetch: out,
        })
    }
}

impl fmt::Debug for FetchXml {
    /// The query's conditions hold values (often personal data): show its size only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchXml")
            .field("entity_set", &self.entity_set)
            .field("fetch_len", &self.fetch.len())
            .finish_non_exhaustive()
    }
}

/// The largest page number: FetchXML's `page` is an `int`.
const MAX_PAGE: u32 = i32::MAX as u32;

/// Extracts the `pagingcookie` attribute of the annotation and decodes it twice.
fn paging_cookie(annotation: &str) -> Result<String> {
    let bad = || {
        DataverseError::UnexpectedResponse(
            "the FetchXML paging cookie has no pagingcookie attribute".into(),
        )
    };
    let document = roxmltree::Document::parse(annotation.trim()).map_err(|_| bad())?;
    let raw = document
        .root_element()
        .attribute("pagingcookie")
        .ok_or_else(bad)?;
    let once = percent_decode_str(raw).decode_utf8_lossy().into_owned();
    let cookie = percent_decode_str(&once).decode_utf8_lossy().into_owned();
    // XML 1.0 cannot carry these, not even as character references.
    if cookie.chars().any(|c| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
    }) {
        return Err(DataverseError::UnexpectedResponse(
            "the FetchXML paging cookie holds characters XML cannot carry".into(),
        ));
    }
    Ok(cookie)
}

/// Where the root element's start tag is, as far as paging needs it.
struct RootTag {
    /// Byte index of the `>` (or `/>`) that ends the start tag.
    tag_end: usize,
    /// The `page` attribute, unescaped.
    page: Option<String>,
    /// Byte ranges of the `page` and `paging-cookie` attributes, in order.
    replaced: Vec<Range<usize>>,
}

/// Parses the document (a real XML parser, so a `<fetch` in a comment, CDATA section or
/// attribute value is never taken for the root) and finds the root `<fetch>` start tag.
fn root_tag(fetch: &str) -> Result<RootTag> {
    let document = roxmltree::Document::parse(fetch).map_err(|e| {
        DataverseError::invalid(
            "FetchXML",
            format!("it is not well-formed XML ({})", e.pos()),
        )
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "fetch" {
        return Err(DataverseError::invalid(
            "FetchXML",
            "the root element must be <fetch>",
        ));
    }
    if !root.children().any(|c| c.is_element()) {
        return Err(DataverseError::invalid(
            "FetchXML",
            "<fetch> is empty: it needs an <entity>",
        ));
    }
    let mut after_attributes = root.range().start + 1 + root.tag_name().name().len();
    let mut page = None;
    let mut replaced = Vec::new();
    let bytes = fetch.as_bytes();
    for attribute in root.attributes() {
        let mut range = attribute.range();
        after_attributes = after_attributes.max(range.end);
        // Drop the space before a replaced attribute with it.
        while range.start > 0 && bytes[range.start - 1].is_ascii_whitespace() {
            range.start -= 1;
        }
        if attribute.namespace().is_none() {
            match attribute.name() {
                "page" => {
                    page = Some(attribute.value().to_string());
                    replaced.push(range);
                }
                "paging-cookie" => replaced.push(range),
                _ => {}
            }
        }
    }
    // Namespace declarations are not attributes to the parser: skip past them as well.
    let tail = &bytes[after_attributes..];
    let mut quote = None;
    let mut offset = None;
    for (i, b) in tail.iter().enumerate() {
        match (quote, *b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(*b),
            (None, b'>') => {
                offset = Some(i);
                break;
            }
            _ => {}
        }
    }
    let end = offset.map(|i| after_attributes + i).ok_or_else(|| {
        DataverseError::invalid("FetchXML", "the <fetch> start tag is not closed")
    })?;
    // A well-formed element with children has no `/>` start tag.
    replaced.sort_by_key(|r| r.start);
    Ok(RootTag {
        tag_end: end,
        page,
        replaced,
    })
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_page_sets_page_and_cookie() {
        let q = FetchXml::new(
            "accounts",
            r#"<fetch count="3" page="1"><entity name="account"><attribute name="name"/></entity></fetch>"#,
        )
        .expect("valid");
        // As the service sends it: the cookie attribute URL-encoded twice.
        let annotation = r#"<cookie pagenumber="2" pagingcookie="%253ccookie%2520page%253d%25221%2522%253e%253caccountid%2520last%253d%2522%257bAAA%257d%2522%2520first%253d%2522%257bBBB%257d%2522%2520%252f%253e%253c%252fcookie%253e" istracking="False" />"#;
        let next = q.next_page(annotation).expect("next");
        assert!(next.fetch().starts_with(r#"<fetch count="3" page="2" paging-cookie="&lt;cookie page=&quot;1&quot;&gt;&lt;accountid last=&quot;{AAA}&quot; first=&quot;{BBB}&quot; /&gt;&lt;/cookie&gt;">"#), "{}", next.fetch());
        assert!(next.fetch().ends_with("</fetch>"));
        let third = next.next_page(annotation).expect("third");
        assert!(third.fetch().contains(r#"page="3""#));
        assert_eq!(third.fetch().matches("paging-cookie").count(), 1);
    }

    #[test]
    fn malformed_fetch_is_refused() {
        for bad in [
            "",
            "<entity/>",
            "<fetch",
            "<fetch count=3>",
            "<fetch/>",
            "x<fetch>",
        ] {
            assert!(FetchXml::new("accounts", bad).is_err(), "{bad}");
        }
    }
}

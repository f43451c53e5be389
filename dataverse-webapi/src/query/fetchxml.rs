//! FetchXML queries and their paging cookie.
//!
//! Dataverse answers a FetchXML page with `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`, an XML
//! fragment whose `pagingcookie` attribute is URL-encoded twice, and
//! `@Microsoft.Dynamics.CRM.morerecords`. The next page is the same `<fetch>` with `page`
//! incremented and `paging-cookie` set to the decoded cookie.

use percent_encoding::percent_decode_str;

use crate::error::{DataverseError, Result};

/// A FetchXML query on one entity set (it must match the `<entity name>` inside).
#[derive(Debug, Clone)]
pub struct FetchXml {
    entity_set: String,
    fetch: String,
}

impl FetchXml {
    /// A FetchXML query. The text must start with a `<fetch` element.
    pub fn new(entity_set: &str, fetch: &str) -> Result<Self> {
        crate::query::checked("entity set", entity_set)?;
        fetch_tag(fetch)?;
        Ok(FetchXml {
            entity_set: entity_set.to_string(),
            fetch: fetch.trim().to_string(),
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
    /// `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`).
    pub fn next_page(&self, cookie_annotation: &str) -> Result<FetchXml> {
        let cookie = paging_cookie(cookie_annotation)?;
        let (start, end, attributes) = fetch_tag(&self.fetch)?;
        let page = attributes
            .iter()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse::<u32>().ok())
            .unwrap_or(1);
        let mut updated: Vec<(String, String)> = attributes
            .into_iter()
            .filter(|(k, _)| k != "page" && k != "paging-cookie")
            .collect();
        updated.push(("page".into(), (page + 1).to_string()));
        updated.push(("paging-cookie".into(), cookie));
        let mut tag = String::from("<fetch");
        for (k, v) in &updated {
            tag.push_str(&format!(" {k}=\"{}\"", xml_escape(v)));
        }
        tag.push('>');
        Ok(FetchXml {
            entity_set: self.entity_set.clone(),
            fetch: format!("{}{tag}{}", &self.fetch[..start], &self.fetch[end..]),
        })
    }
}

/// Extracts the `pagingcookie` attribute of the annotation and decodes it twice.
fn paging_cookie(annotation: &str) -> Result<String> {
    let bad = || {
        DataverseError::UnexpectedResponse(
            "the FetchXML paging cookie has no pagingcookie attribute".into(),
        )
    };
    let start = annotation.find("pagingcookie=\"").ok_or_else(bad)? + "pagingcookie=\"".len();
    let len = annotation[start..].find('"').ok_or_else(bad)?;
    let raw = xml_unescape(&annotation[start..start + len]);
    let once = percent_decode_str(&raw).decode_utf8_lossy().into_owned();
    Ok(percent_decode_str(&once).decode_utf8_lossy().into_owned())
}

/// Finds the `<fetch ...>` start tag: its byte range and its attributes (unescaped).
#[allow(clippy::type_complexity)]
fn fetch_tag(fetch: &str) -> Result<(usize, usize, Vec<(String, String)>)> {
    let not_fetch = || DataverseError::invalid("FetchXML", "the query must be a <fetch> element");
    let start = fetch.find("<fetch").ok_or_else(not_fetch)?;
    if !fetch[..start].trim().is_empty() && !fetch[..start].trim_start().starts_with("<?xml") {
        return Err(not_fetch());
    }
    let mut attributes = Vec::new();
    let bytes = fetch.as_bytes();
    let mut i = start + "<fetch".len();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'>') => return Ok((start, i + 1, attributes)),
            Some(b'/') => {
                return Err(DataverseError::invalid(
                    "FetchXML",
                    "<fetch/> is empty: it needs an <entity>",
                ));
            }
            None => {
                return Err(DataverseError::invalid(
                    "FetchXML",
                    "the <fetch> tag is not closed",
                ));
            }
            _ => {}
        }
        let name_start = i;
        while i < bytes.len()
            && bytes[i] != b'='
            && !bytes[i].is_ascii_whitespace()
            && bytes[i] != b'>'
        {
            i += 1;
        }
        let name = fetch[name_start..i].to_string();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(DataverseError::invalid(
                "FetchXML",
                format!("attribute `{name}` of <fetch> has no value"),
            ));
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let quote = match bytes.get(i) {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => {
                return Err(DataverseError::invalid(
                    "FetchXML",
                    "attribute values must be quoted",
                ));
            }
        };
        i += 1;
        let value_start = i;
        while i < bytes.len() && bytes[i] != quote {
            i += 1;
        }
        if i >= bytes.len() {
            return Err(DataverseError::invalid(
                "FetchXML",
                "an attribute value of <fetch> is not closed",
            ));
        }
        attributes.push((name, xml_unescape(&fetch[value_start..i])));
        i += 1;
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
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

//! Paging cookies, shaped like the service's:
//!
//! - the inner cookie `<cookie page="1"><fullname last="…" first="…" /><contactid
//!   last="{GUID}" first="{GUID}" /></cookie>` names the sort columns' values of the page's last
//!   and first rows (the primary key last);
//! - `$skiptoken` is `<cookie pagenumber="2" pagingcookie="{inner, URL-encoded once}"
//!   istracking="False" />`, URL-encoded again inside `@odata.nextLink`;
//! - FetchXML's `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie` is the same outer element with the
//!   inner cookie URL-encoded twice.
//!
//! The next page starts after the row the `last` values describe (keyset paging), so rows
//! inserted while a client pages do not shift pages.

use percent_encoding::percent_decode_str;
use uuid::Uuid;

use super::literal::{Literal, format_date, format_datetime, parse_date, parse_datetime};
use crate::dataverse::metadata::model::AttrKind;

/// The highest page number a query may ask for. FetchXML's `page` is an `xs:int` in the
/// service's schema, so no page beyond `i32::MAX` exists, and every page up to it can be
/// followed by a next one without overflowing.
pub(crate) const MAX_PAGE_NUMBER: u32 = i32::MAX as u32;

/// One column of an inner cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieColumn {
    pub(crate) attribute: String,
    /// `None` when the value was null.
    pub(crate) last: Option<String>,
    pub(crate) first: Option<String>,
}

/// The inner paging cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PagingCookie {
    /// The page the cookie describes.
    pub(crate) page: u32,
    pub(crate) columns: Vec<CookieColumn>,
}

impl PagingCookie {
    /// `<cookie page="1"><col last="…" first="…" />…</cookie>`
    pub(crate) fn to_xml(&self) -> String {
        let mut xml = format!("<cookie page=\"{}\">", self.page);
        for column in &self.columns {
            xml.push('<');
            xml.push_str(&column.attribute);
            if let Some(last) = &column.last {
                xml.push_str(&format!(" last=\"{}\"", xml_escape(last)));
            }
            if let Some(first) = &column.first {
                xml.push_str(&format!(" first=\"{}\"", xml_escape(first)));
            }
            xml.push_str(" />");
        }
        xml.push_str("</cookie>");
        xml
    }

    /// Parses an inner cookie.
    pub(crate) fn parse_xml(text: &str) -> Option<Self> {
        let document = roxmltree::Document::parse(text).ok()?;
        let root = document.root_element();
        if root.tag_name().name() != "cookie" {
            return None;
        }
        let page = root
            .attribute("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let columns = root
            .children()
            .filter(roxmltree::Node::is_element)
            .map(|node| CookieColumn {
                attribute: node.tag_name().name().to_owned(),
                last: node.attribute("last").map(str::to_owned),
                first: node.attribute("first").map(str::to_owned),
            })
            .collect();
        Some(Self { page, columns })
    }

    /// The `$skiptoken` value (decoded form) for the page after this one.
    pub(crate) fn skiptoken(&self) -> String {
        outer(
            self.page.saturating_add(1),
            &url_encode(&self.to_xml()),
            false,
        )
    }

    /// The FetchXML `fetchxmlpagingcookie` annotation for the page after this one.
    pub(crate) fn fetch_annotation(&self) -> String {
        outer(
            self.page.saturating_add(1),
            &url_encode(&url_encode(&self.to_xml())),
            false,
        )
    }

    /// Reads a `$skiptoken` (decoded form): the next page number and the inner cookie.
    pub(crate) fn from_skiptoken(text: &str) -> Option<(u32, Self)> {
        let document = roxmltree::Document::parse(text).ok()?;
        let root = document.root_element();
        let next = root
            .attribute("pagenumber")?
            .parse()
            .ok()
            .filter(|page| *page <= MAX_PAGE_NUMBER)?;
        let inner = url_decode(root.attribute("pagingcookie")?);
        let inner = if inner.starts_with('%') {
            url_decode(&inner)
        } else {
            inner
        };
        Some((next, Self::parse_xml(&inner)?))
    }
}

fn outer(page: u32, cookie: &str, tracking: bool) -> String {
    format!(
        "<cookie pagenumber=\"{page}\" pagingcookie=\"{cookie}\" istracking=\"{}\" />",
        if tracking { "True" } else { "False" }
    )
}

/// XML attribute escaping.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// URL-encoding as .NET's `HttpUtility.UrlEncode` does it for cookies, but with `%20` for
/// spaces: everything except letters, digits and `-_.!*()` becomes `%xx` (lower-case hex).
pub(crate) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!*()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}

/// Encodes a `$skiptoken` for a link: like the service, only characters that cannot stand in a
/// query value are encoded (`=` and `/` stay).
pub(crate) fn encode_link_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!*()=/:',;$@~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn url_decode(text: &str) -> String {
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// A value as a cookie writes it.
pub(crate) fn cookie_value(value: &Literal) -> Option<String> {
    match value {
        Literal::Null => None,
        Literal::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        Literal::Int(i) => Some(i.to_string()),
        Literal::Float(f) => Some(f.to_string()),
        Literal::Text(t) => Some(t.clone()),
        Literal::Guid(g) => Some(format!("{{{}}}", g.to_string().to_uppercase())),
        Literal::DateTime(s) => Some(format_datetime(*s)),
        Literal::Date(s) => Some(format_date(*s)),
    }
}

/// Reads a cookie value back as a column of `kind` (primary keys are `Uniqueidentifier`).
pub(crate) fn parse_cookie_value(kind: AttrKind, text: Option<&str>) -> Option<Literal> {
    let Some(text) = text else {
        return Some(Literal::Null);
    };
    Some(match kind {
        AttrKind::Boolean => Literal::Bool(text == "1" || text.eq_ignore_ascii_case("true")),
        k if k.is_integral() => Literal::Int(text.parse().ok()?),
        k if k.is_numeric() => Literal::Float(text.parse().ok()?),
        k if k.is_text() => Literal::Text(text.to_owned()),
        AttrKind::DateTime => Literal::DateTime(parse_datetime(text)?),
        AttrKind::DateOnly => Literal::Date(parse_date(text)?),
        _ => Literal::Guid(Uuid::parse_str(text.trim_matches(['{', '}'])).ok()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie() -> PagingCookie {
        PagingCookie {
            page: 1,
            columns: vec![CookieColumn {
                attribute: "accountid".into(),
                last: Some("{8151925C-CDE2-E411-80DB-00155D2A68CB}".into()),
                first: Some("{7D51925C-CDE2-E411-80DB-00155D2A68CB}".into()),
            }],
        }
    }

    #[test]
    fn skiptoken_matches_the_service() {
        let link = encode_link_value(&cookie().skiptoken());
        assert_eq!(
            link,
            "%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253caccountid%2520last%253d%2522%257b8151925C-CDE2-E411-80DB-00155D2A68CB%257d%2522%2520first%253d%2522%257b7D51925C-CDE2-E411-80DB-00155D2A68CB%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E"
        );
        let decoded = url_decode(&link);
        assert_eq!(PagingCookie::from_skiptoken(&decoded), Some((2, cookie())));
    }

    #[test]
    fn page_numbers_that_cannot_be_followed_are_refused() {
        let at = |page: u32| PagingCookie { page, ..cookie() };
        let last = at(MAX_PAGE_NUMBER).skiptoken();
        assert!(last.contains(&format!("pagenumber=\"{}\"", MAX_PAGE_NUMBER + 1)));
        assert_eq!(PagingCookie::from_skiptoken(&last), None);
        assert_eq!(
            PagingCookie::from_skiptoken(&at(MAX_PAGE_NUMBER - 1).skiptoken()),
            Some((MAX_PAGE_NUMBER, at(MAX_PAGE_NUMBER - 1)))
        );
        // Even a cookie for the largest `u32` page names a next page rather than overflowing.
        assert!(
            at(u32::MAX)
                .skiptoken()
                .contains("pagenumber=\"4294967295\"")
        );
        assert!(
            at(u32::MAX)
                .fetch_annotation()
                .contains("pagenumber=\"4294967295\"")
        );
    }

    #[test]
    fn fetch_annotation_is_double_encoded() {
        let annotation = cookie().fetch_annotation();
        assert!(
            annotation.starts_with("<cookie pagenumber=\"2\" pagingcookie=\"%253ccookie%2520page")
        );
        assert_eq!(
            PagingCookie::from_skiptoken(&annotation),
            Some((2, cookie()))
        );
    }
}

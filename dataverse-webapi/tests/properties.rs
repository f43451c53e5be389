//! Bounded property tests: filter composition keeps its precedence, filter literals round trip
//! through the URL, entity ids parse without panicking and round trip, and FetchXML paging
//! never panics and always moves to the next page.

use dataverse_webapi::{
    DataverseError, FetchXml, Filter, Literal, Query, RecordKey, parse_entity_id,
};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use proptest::prelude::*;
use url::Url;
use uuid::Uuid;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        ..ProptestConfig::default()
    }
}

// ---- Filter composition: a tiny OData boolean-expression parser checks precedence ----

/// A boolean expression, as built and as parsed back.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Cmp(String, i64),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

/// How a test builds a filter: raw text marks a hand-written operand.
#[derive(Debug, Clone)]
enum Tree {
    Cmp(u8, i64),
    And(Box<Tree>, Box<Tree>),
    Or(Box<Tree>, Box<Tree>),
    Not(Box<Tree>),
    Raw(Box<Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = (0u8..4, -5i64..5).prop_map(|(c, n)| Tree::Cmp(c, n));
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Or(Box::new(a), Box::new(b))),
            inner.clone().prop_map(|a| Tree::Not(Box::new(a))),
            inner.prop_map(|a| Tree::Raw(Box::new(a))),
        ]
    })
}

fn column(c: u8) -> String {
    format!("c{c}")
}

fn build(t: &Tree) -> Filter {
    match t {
        Tree::Cmp(c, n) => Filter::eq(&column(*c), *n),
        Tree::And(a, b) => build(a).and(build(b)),
        Tree::Or(a, b) => build(a).or(build(b)),
        Tree::Not(a) => build(a).not(),
        Tree::Raw(a) => Filter::raw(minimal(a, 0)),
    }
}

/// The text a person would write: parentheses only where precedence needs them.
fn minimal(t: &Tree, parent: u8) -> String {
    let (text, level) = match t {
        Tree::Cmp(c, n) => (format!("{} eq {n}", column(*c)), 4),
        Tree::And(a, b) => (format!("{} and {}", minimal(a, 2), minimal(b, 2)), 2),
        Tree::Or(a, b) => (format!("{} or {}", minimal(a, 1), minimal(b, 1)), 1),
        // `not` binds tighter than `eq`: its operand is always grouped.
        Tree::Not(a) => (format!("not ({})", minimal(a, 0)), 3),
        Tree::Raw(a) => return minimal(a, parent),
    };
    if level < parent {
        format!("({text})")
    } else {
        text
    }
}

fn expected(t: &Tree) -> Expr {
    match t {
        Tree::Cmp(c, n) => Expr::Cmp(column(*c), *n),
        Tree::And(a, b) => Expr::And(vec![expected(a), expected(b)]),
        Tree::Or(a, b) => Expr::Or(vec![expected(a), expected(b)]),
        Tree::Not(a) => Expr::Not(Box::new(expected(a))),
        Tree::Raw(a) => expected(a),
    }
}

/// `and`/`or` are associative: flatten chains so equal meanings compare equal.
fn normal(e: Expr) -> Expr {
    match e {
        Expr::And(xs) => Expr::And(
            xs.into_iter()
                .map(normal)
                .flat_map(|x| match x {
                    Expr::And(inner) => inner,
                    x => vec![x],
                })
                .collect(),
        ),
        Expr::Or(xs) => Expr::Or(
            xs.into_iter()
                .map(normal)
                .flat_map(|x| match x {
                    Expr::Or(inner) => inner,
                    x => vec![x],
                })
                .collect(),
        ),
        Expr::Not(x) => Expr::Not(Box::new(normal(*x))),
        x => x,
    }
}

/// OData precedence: `not` (unary) over `eq`, over `and`, over `or`.
struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn new(text: &str) -> Self {
        let spaced = text.replace('(', " ( ").replace(')', " ) ");
        Parser {
            tokens: spaced.split_whitespace().map(str::to_string).collect(),
            at: 0,
        }
    }
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }
    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn expect(&mut self, token: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == token => Ok(()),
            other => Err(format!("expected {token}, got {other:?}")),
        }
    }
    fn parse(mut self) -> Result<Expr, String> {
        let e = self.or()?;
        match self.peek() {
            None => Ok(e),
            Some(t) => Err(format!("trailing {t}")),
        }
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.and()?];
        while self.peek() == Some("or") {
            self.next();
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::Or(xs)
        })
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.unary()?];
        while self.peek() == Some("and") {
            self.next();
            xs.push(self.unary()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::And(xs)
        })
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek() == Some("not") {
            self.next();
            // `not c eq 1` would negate the column, not the comparison.
            if self.peek() != Some("(") {
                return Err("not without parentheses".into());
            }
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some("(") {
            self.next();
            let e = self.or()?;
            self.expect(")")?;
            return Ok(e);
        }
        let col = self.next().ok_or("missing column")?;
        self.expect("eq")?;
        let n = self
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or("missing number")?;
        Ok(Expr::Cmp(col, n))
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn composed_filters_keep_their_precedence(t in tree()) {
        let text = build(&t).to_odata().expect("valid");
        let parsed = Parser::new(&text).parse().map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(normal(parsed), normal(expected(&t)), "{}", text);
    }

    #[test]
    fn raw_filters_never_panic(text in ".{0,40}", t in tree()) {
        // Either refused, or one operand whatever it holds.
        if let Ok(s) = Filter::raw(text.clone()).and(build(&t)).to_odata() {
            prop_assert!(s.starts_with('('));
        }
    }
}

// ---- Filter literals: quotes doubled, then percent-encoded, decode back ----

/// Reads an OData string literal (`'...'`, `''` for a quote).
fn read_string_literal(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn filter_literals_round_trip_through_the_url(
        value in prop_oneof![
            any::<String>(),
            "['%#&+ ?=/\\\\;,\"\\r\\n\\t\\u{0}éß中😀]{0,24}",
        ]
    ) {
        let url = Query::new("accounts")
            .filter(Filter::eq("name", value.as_str()))
            .to_relative_url()
            .expect("query");
        let encoded = url.strip_prefix("accounts?$filter=").expect("one option");
        // Only unreserved characters, quotes, parentheses and escapes are left bare.
        prop_assert!(
            encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~'()%".contains(&b)),
            "{}", encoded
        );
        let decoded = percent_decode_str(encoded).decode_utf8().expect("utf8");
        let literal = decoded.strip_prefix("name eq ").expect("comparison");
        prop_assert_eq!(read_string_literal(literal), Some(value.clone()));
        // And through a real URL too.
        let full = Url::parse("https://org.example.com/api/data/v9.2/").expect("root").join(&url).expect("joins");
        let filter = full.query_pairs().find(|(k, _)| k == "$filter").map(|(_, v)| v.into_owned());
        prop_assert_eq!(filter.as_deref().and_then(|f| f.strip_prefix("name eq ")).and_then(read_string_literal), Some(value));
    }
}

// ---- OData-EntityId / Location ids ----

fn root() -> Url {
    Url::parse("https://org.example.com/api/data/v9.2/").expect("root")
}

fn key_value() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<String>().prop_map(Literal::String),
        "['(),=/%#?&\\\\ a-z]{0,12}".prop_map(Literal::String),
        any::<i64>().prop_map(Literal::Int),
        any::<u128>().prop_map(|n| Literal::Guid(Uuid::from_u128(n))),
        any::<bool>().prop_map(Literal::Bool),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn entity_ids_never_panic(header in ".{0,80}", tail in "[a-z(),'=%0-9-]{0,40}") {
        let _ = parse_entity_id(&root(), &header);
        let _ = parse_entity_id(&root(), &format!("https://org.example.com/api/data/v9.2/{tail}"));
        let _ = parse_entity_id(&root(), &tail);
    }

    #[test]
    fn generated_entity_ids_round_trip(
        id in any::<u128>(),
        pairs in proptest::collection::vec(("[a-z_][a-z0-9_]{0,10}", key_value()), 1..4),
        relative in any::<bool>(),
    ) {
        let id = Uuid::from_u128(id);
        let base = if relative { String::new() } else { root().to_string() };
        let (set, key) = parse_entity_id(&root(), &format!("{base}accounts({id})")).expect("id");
        prop_assert_eq!(set, "accounts");
        prop_assert_eq!(key, RecordKey::Id(id));
        let alternate = RecordKey::alternate(pairs);
        let segment = alternate.segment().expect("segment");
        let (set, parsed) = parse_entity_id(&root(), &format!("{base}contacts{segment}")).expect("alternate");
        prop_assert_eq!(set, "contacts");
        prop_assert_eq!(parsed, alternate);
    }
}

// ---- FetchXML paging ----

fn xml_text() -> impl Strategy<Value = String> {
    // Characters XML 1.0 can carry, markup included (it gets escaped).
    "[a-zA-Z0-9 <>&\"'=/!?\\-\\[\\]éß中]{0,16}"
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

prop_compose! {
    fn fetch_document()(
        attributes in proptest::collection::btree_map("[a-z][a-z-]{0,8}", xml_text(), 0..4),
        page in proptest::option::of(any::<u32>()),
        comment in xml_text(),
        value in xml_text(),
        single_quotes in any::<bool>(),
    ) -> (String, Option<u32>) {
        let mut tag = String::from("<fetch");
        for (name, v) in &attributes {
            if name == "page" || name == "paging-cookie" || name.ends_with('-') {
                continue;
            }
            tag.push_str(&format!(" {name}=\"{}\"", escape(v)));
        }
        if let Some(p) = page {
            if single_quotes {
                tag.push_str(&format!(" page='{p}'"));
            } else {
                tag.push_str(&format!(" page=\"{p}\""));
            }
        }
        tag.push('>');
        let comment = comment.replace("--", "- ").trim_end_matches('-').to_string();
        let doc = format!(
            "<!--{comment}<fetch page=\"3\">-->{tag}<entity name=\"account\"><filter><condition attribute=\"name\" operator=\"eq\" value=\"{}\"/></filter><![CDATA[<fetch page=\"5\">]]></entity></fetch>",
            escape(&value)
        );
        (doc, page)
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fetch_xml_paging_never_panics(doc in ".{0,120}", cookie in ".{0,60}") {
        if let Ok(q) = FetchXml::new("accounts", &doc) {
            let _ = q.next_page(&cookie);
            let _ = q.next_page(&format!("<cookie pagingcookie=\"{}\"/>", escape(&cookie)));
        }
    }

    #[test]
    fn fetch_xml_next_page_is_page_plus_one(
        (doc, page) in fetch_document(),
        cookie in "[a-zA-Z0-9 <>&\"'={}/éß中]{0,30}",
    ) {
        let q = FetchXml::new("accounts", &doc).expect("generated documents are valid");
        let once = utf8_percent_encode(&cookie, NON_ALPHANUMERIC).to_string();
        let twice = utf8_percent_encode(&once, NON_ALPHANUMERIC).to_string();
        let annotation = format!("<cookie pagenumber=\"2\" pagingcookie=\"{twice}\" istracking=\"False\" />");
        let current = page.unwrap_or(1);
        match q.next_page(&annotation) {
            Ok(next) => {
                prop_assert!((1..i32::MAX as u32).contains(&current), "page {}", current);
                let parsed = roxmltree::Document::parse(next.fetch()).expect("still XML");
                let root = parsed.root_element();
                let next_number = (current + 1).to_string();
                prop_assert_eq!(root.attribute("page"), Some(next_number.as_str()));
                prop_assert_eq!(root.attribute("paging-cookie"), Some(cookie.as_str()));
                // The comment and the CDATA section are untouched.
                prop_assert!(next.fetch().contains("<fetch page=\"3\">-->"));
                prop_assert!(next.fetch().contains("<![CDATA[<fetch page=\"5\">]]>"));
            }
            Err(e) => {
                prop_assert!(current == 0 || current >= i32::MAX as u32, "page {}: {}", current, e);
                let typed = matches!(e, DataverseError::FetchXmlPaging { .. } | DataverseError::InvalidInput { .. });
                prop_assert!(typed, "{:?}", e);
            }
        }
    }
}

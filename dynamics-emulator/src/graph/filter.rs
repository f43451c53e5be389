//! `$filter` for directory objects: parsing, checking against what each property supports
//! ("Advanced query capabilities on Microsoft Entra ID objects"), and evaluating.
//!
//! Supported: `eq`, `ne`, `in`, `not`, `and`, `or`, parentheses, `startsWith`, `endsWith`,
//! string, boolean and `null` literals. String comparisons ignore case, as the directory's do.

use serde_json::Value;

use super::reply::GraphError;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `prop eq v` (`negated`: `prop ne v`).
    Eq {
        prop: String,
        value: Literal,
        negated: bool,
    },
    In {
        prop: String,
        values: Vec<Literal>,
    },
    StartsWith {
        prop: String,
        prefix: String,
    },
    EndsWith {
        prop: String,
        suffix: String,
    },
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Bool(bool),
    Null,
}

/// An operator as the support tables name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    Eq,
    Ne,
    Not,
    In,
    StartsWith,
    EndsWith,
    /// `eq null`.
    EqNull,
}

impl Operator {
    fn name(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Not => "not",
            Self::In => "in",
            Self::StartsWith => "startsWith",
            Self::EndsWith => "endsWith",
            Self::EqNull => "eq null",
        }
    }
}

/// Whether a property supports an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Support {
    /// Works by default.
    Default,
    /// Needs `ConsistencyLevel: eventual` and `$count=true`.
    Advanced,
    /// Not supported.
    No,
}

/// What one resource type (user, group) supports: its name for messages and a support table.
pub(crate) struct Schema {
    pub(crate) resource: &'static str,
    /// The canonical name of a filterable property (any case in), or `None`.
    pub(crate) property: fn(&str) -> Option<&'static str>,
    pub(crate) support: fn(&'static str, Operator) -> Support,
}

impl Filter {
    /// Parses `$filter` text.
    pub(crate) fn parse(text: &str) -> Result<Self, GraphError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            depth: 0,
        };
        let filter = parser.or()?;
        if parser.at != parser.tokens.len() {
            return Err(invalid(text));
        }
        Ok(filter)
    }

    /// The property names the filter reads (walked without recursion).
    pub(crate) fn properties(&self) -> Vec<&str> {
        let mut names = Vec::new();
        let mut stack = vec![self];
        while let Some(filter) = stack.pop() {
            match filter {
                Filter::And(a, b) | Filter::Or(a, b) => stack.extend([a.as_ref(), b.as_ref()]),
                Filter::Not(inner) => stack.push(inner),
                Filter::Eq { prop, .. }
                | Filter::In { prop, .. }
                | Filter::StartsWith { prop, .. }
                | Filter::EndsWith { prop, .. } => names.push(prop.as_str()),
            }
        }
        names
    }

    /// Checks every clause against the schema; `advanced` says whether `ConsistencyLevel:
    /// eventual` and `$count=true` were both given. Property names become canonical.
    pub(crate) fn check(mut self, schema: &Schema, advanced: bool) -> Result<Self, GraphError> {
        self.check_in_place(schema, advanced)?;
        Ok(self)
    }

    fn check_in_place(&mut self, schema: &Schema, advanced: bool) -> Result<(), GraphError> {
        let (prop, operator) = match self {
            Self::And(a, b) | Self::Or(a, b) => {
                a.check_in_place(schema, advanced)?;
                return b.check_in_place(schema, advanced);
            }
            Self::Not(inner) => {
                require_advanced(Operator::Not, advanced)?;
                return inner.check_in_place(schema, advanced);
            }
            Self::Eq {
                prop,
                value,
                negated,
            } => {
                let operator = match (value, *negated) {
                    (_, true) => Operator::Ne,
                    (Literal::Null, false) => Operator::EqNull,
                    _ => Operator::Eq,
                };
                (prop, operator)
            }
            Self::In { prop, .. } => (prop, Operator::In),
            Self::StartsWith { prop, .. } => (prop, Operator::StartsWith),
            Self::EndsWith { prop, .. } => (prop, Operator::EndsWith),
        };
        let unsupported = || {
            GraphError::unsupported_query(format!(
                "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{}'.",
                schema.resource
            ))
        };
        let canonical = (schema.property)(prop).ok_or_else(unsupported)?;
        match (schema.support)(canonical, operator) {
            Support::Default => {}
            Support::Advanced => require_advanced(operator, advanced)?,
            Support::No => return Err(unsupported()),
        }
        *prop = canonical.to_owned();
        Ok(())
    }

    /// Whether an object matches; `value` gives a property's value by canonical name.
    pub(crate) fn matches(&self, value: &dyn Fn(&str) -> Value) -> bool {
        match self {
            Self::And(a, b) => a.matches(value) && b.matches(value),
            Self::Or(a, b) => a.matches(value) || b.matches(value),
            Self::Not(inner) => !inner.matches(value),
            Self::Eq {
                prop,
                value: literal,
                negated,
            } => equals(&value(prop), literal) != *negated,
            Self::In { prop, values } => {
                let actual = value(prop);
                values.iter().any(|literal| equals(&actual, literal))
            }
            Self::StartsWith { prop, prefix } => text_of(&value(prop))
                .is_some_and(|text| text.to_lowercase().starts_with(&prefix.to_lowercase())),
            Self::EndsWith { prop, suffix } => text_of(&value(prop))
                .is_some_and(|text| text.to_lowercase().ends_with(&suffix.to_lowercase())),
        }
    }
}

fn require_advanced(operator: Operator, advanced: bool) -> Result<(), GraphError> {
    if advanced {
        return Ok(());
    }
    Err(GraphError::unsupported_query(format!(
        "Operator '{}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
        operator.name()
    )))
}

fn text_of(value: &Value) -> Option<&str> {
    value.as_str()
}

fn equals(actual: &Value, literal: &Literal) -> bool {
    match (actual, literal) {
        (Value::Null, Literal::Null) => true,
        (Value::String(a), Literal::Text(b)) => a.to_lowercase() == b.to_lowercase(),
        (Value::Bool(a), Literal::Bool(b)) => a == b,
        _ => false,
    }
}

fn invalid(text: &str) -> GraphError {
    GraphError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Invalid filter clause: the expression '{text}' could not be parsed."),
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn lex(text: &str) -> Result<Vec<Token>, GraphError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => literal.push(c),
                        None => return Err(invalid(text)),
                    }
                }
                tokens.push(Token::Text(literal));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '@' | '$') {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if word.is_empty() {
                    return Err(invalid(text));
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

/// How deep a filter may nest (parentheses, `not`, and each `and`/`or` link, which deepens
/// the tree by one). Parsing, checking and evaluating recurse, so a bound keeps a hostile
/// `$filter` (thousands of `(`) from overflowing the stack. Graph documents no number
/// (UNCONFIRMED); 64 is far beyond any hand-written filter.
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// The nesting depth at the current token.
    depth: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, token: &Token) -> Result<(), GraphError> {
        if self.next().as_ref() == Some(token) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn error(&self) -> GraphError {
        GraphError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Invalid filter clause: syntax error at token {}.", self.at),
        )
    }

    /// One level deeper, or `400` past [`MAX_DEPTH`]. The caller steps back out.
    fn enter(&mut self) -> Result<(), GraphError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GraphError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "Invalid filter clause: the expression nests more than {MAX_DEPTH} levels deep."
                ),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.and()?;
        let mut links = 0;
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            self.enter()?;
            links += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= links;
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.unary()?;
        let mut links = 0;
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            self.enter()?;
            links += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        self.depth -= links;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, GraphError> {
        if self.peek_word().as_deref() == Some("not") {
            self.at += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            self.enter()?;
            let inner = self.or()?;
            self.depth -= 1;
            self.expect(&Token::Close)?;
            return Ok(inner);
        }
        self.clause()
    }

    fn clause(&mut self) -> Result<Filter, GraphError> {
        let Some(Token::Word(first)) = self.next() else {
            return Err(self.error());
        };
        let lower = first.to_ascii_lowercase();
        if lower == "startswith" || lower == "endswith" {
            self.expect(&Token::Open)?;
            let Some(Token::Word(prop)) = self.next() else {
                return Err(self.error());
            };
            self.expect(&Token::Comma)?;
            let Some(Token::Text(text)) = self.next() else {
                return Err(self.error());
            };
            self.expect(&Token::Close)?;
            return Ok(if lower == "startswith" {
                Filter::StartsWith { prop, prefix: text }
            } else {
                Filter::EndsWith { prop, suffix: text }
            });
        }
        let operator = self.peek_word().ok_or_else(|| self.error())?;
        self.at += 1;
        match operator.as_str() {
            "eq" | "ne" => Ok(Filter::Eq {
                prop: first,
                value: self.literal()?,
                negated: operator == "ne",
            }),
            "in" => {
                self.expect(&Token::Open)?;
                let mut values = vec![self.literal()?];
                while self.tokens.get(self.at) == Some(&Token::Comma) {
                    self.at += 1;
                    values.push(self.literal()?);
                }
                self.expect(&Token::Close)?;
                Ok(Filter::In {
                    prop: first,
                    values,
                })
            }
            _ => Err(GraphError::unsupported_query(format!(
                "Unsupported or invalid query filter clause specified for property '{first}': operator '{operator}' is not supported by the emulator."
            ))),
        }
    }

    fn literal(&mut self) -> Result<Literal, GraphError> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Literal::Text(text)),
            Some(Token::Word(word)) => match word.to_ascii_lowercase().as_str() {
                "true" => Ok(Literal::Bool(true)),
                "false" => Ok(Literal::Bool(false)),
                "null" => Ok(Literal::Null),
                _ => Err(self.error()),
            },
            _ => Err(self.error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Schema {
        Schema {
            resource: "User",
            property: |name| {
                ["department", "accountEnabled", "mail"]
                    .into_iter()
                    .find(|p| p.eq_ignore_ascii_case(name))
            },
            support: |prop, op| match (prop, op) {
                (_, Operator::Ne | Operator::Not | Operator::EqNull) => Support::Advanced,
                ("mail", Operator::EndsWith) => Support::Advanced,
                (_, Operator::EndsWith) => Support::No,
                _ => Support::Default,
            },
        }
    }

    fn object(name: &str) -> Value {
        match name {
            "department" => json!("Sales"),
            "accountEnabled" => json!(true),
            "mail" => json!("a@contoso.com"),
            _ => Value::Null,
        }
    }

    fn eval(text: &str, advanced: bool) -> Result<bool, GraphError> {
        let filter = Filter::parse(text)?.check(&schema(), advanced)?;
        Ok(filter.matches(&object))
    }

    #[test]
    fn basic_operators_match_ignoring_case() {
        assert!(eval("Department eq 'sales'", false).unwrap());
        assert!(eval("department in ('Finance', 'Sales')", false).unwrap());
        assert!(eval("startsWith(mail,'A@')", false).unwrap());
        assert!(
            eval(
                "accountEnabled eq true and (department eq 'x' or department eq 'Sales')",
                false
            )
            .unwrap()
        );
        assert!(!eval("accountEnabled eq false", false).unwrap());
        assert!(eval("department eq 'It''s'", false).is_ok());
    }

    #[test]
    fn advanced_operators_need_the_advanced_parameters() {
        let error = eval("department ne 'Sales'", false).unwrap_err();
        assert_eq!(error.code, "Request_UnsupportedQuery");
        assert!(!eval("department ne 'Sales'", true).unwrap());
        assert!(eval("not (department eq 'x')", true).unwrap());
        assert!(eval("endsWith(mail,'@contoso.com')", true).unwrap());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Arbitrary text never panics the parser; it parses or gets a Graph error.
        #[test]
        fn parsing_arbitrary_text_never_panics(text in "[ a-zA-Z()',=]{0,40}") {
            if let Err(error) = Filter::parse(&text) {
                proptest::prop_assert!(error.code == "BadRequest" || error.code == "Request_UnsupportedQuery");
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_with_a_400_not_a_stack_overflow() {
        // Enough to overflow the stack of a recursive parser.
        let deep = format!(
            "{}department eq 'a'{}",
            "(".repeat(60_000),
            ")".repeat(60_000)
        );
        let error = Filter::parse(&deep).unwrap_err();
        assert_eq!(error.code, "BadRequest");
        assert!(error.message.contains("64"), "{}", error.message);
        let nots = format!("{}department eq 'a'", "not ".repeat(60_000));
        assert_eq!(Filter::parse(&nots).unwrap_err().code, "BadRequest");
        let chain = vec!["department eq 'a'"; 5_000].join(" or ");
        assert_eq!(Filter::parse(&chain).unwrap_err().code, "BadRequest");
        // Up to the limit is fine.
        let ok = format!("{}department eq 'Sales'{}", "(".repeat(64), ")".repeat(64));
        assert!(eval(&ok, false).unwrap());
        let long_or = vec!["department eq 'x'"; 60].join(" or ") + " or department eq 'Sales'";
        assert!(eval(&long_or, false).unwrap());
        let filter = Filter::parse("a eq 'x' and (b eq 'y' or not c eq 'z')").unwrap();
        let mut names = filter.properties();
        names.sort_unstable();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn unknown_properties_unsupported_operators_and_syntax_errors_are_rejected() {
        assert_eq!(
            eval("skills eq 'x'", true).unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        assert_eq!(
            eval("endsWith(department,'s')", true).unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        assert_eq!(
            eval("department gt 'a'", true).unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        assert_eq!(eval("department eq", true).unwrap_err().code, "BadRequest");
        assert_eq!(
            eval("(department eq 'a'", true).unwrap_err().code,
            "BadRequest"
        );
        assert_eq!(
            eval("department eq 'a", true).unwrap_err().code,
            "BadRequest"
        );
    }
}

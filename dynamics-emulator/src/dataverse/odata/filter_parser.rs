//! `$filter` syntax: a recursive-descent parser from tokens to [`Expr`]. Names are not checked
//! here; [`filter_bind`](super::filter_bind) resolves them against a table.
//!
//! Grammar (precedence low to high): `or`, `and`, `not`, comparison / function / lambda,
//! parentheses. Parameter aliases (`@p1`) are replaced by the values of the query options
//! with the same name.

use super::lexer::{Tok, Token, syntax, tokenize};
use super::literal::Literal;
use super::query_string::QueryString;
use crate::dataverse::errors::ApiError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn from_keyword(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    /// ODataLib's name of the operator, for error messages.
    pub(crate) fn kind_name(self) -> &'static str {
        match self {
            Self::Eq => "Equal",
            Self::Ne => "NotEqual",
            Self::Gt => "GreaterThan",
            Self::Ge => "GreaterThanOrEqual",
            Self::Lt => "LessThan",
            Self::Le => "LessThanOrEqual",
        }
    }
}

/// `contains`, `startswith` or `endswith` (or a raw `LIKE` pattern, from FetchXML).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrFn {
    Contains,
    StartsWith,
    EndsWith,
    Like,
}

/// An operand: a property path (`name`, `_x_value`, `primarycontactid/fullname`) or a literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Path(Vec<String>),
    Lit(Literal),
}

/// An argument of a `Microsoft.Dynamics.CRM.*` function.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CrmArg {
    Lit(Literal),
    List(Vec<Literal>),
}

/// A `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(CmpOp, Operand, Operand),
    Str(StrFn, Operand, Operand),
    /// `Microsoft.Dynamics.CRM.{name}(Param=value, …)`; `name` without the namespace.
    Crm(String, Vec<(String, CrmArg)>),
    /// `nav/any(v: body)` or `nav/all(v: body)`; paths in `body` start after the variable.
    Lambda {
        nav: String,
        all: bool,
        body: Option<Box<Expr>>,
    },
    /// A Boolean property used alone (`creditonhold`).
    Truthy(Vec<String>),
}

const CRM_PREFIX: &str = "Microsoft.Dynamics.CRM.";

/// How deep the parser may recurse: ODataLib's default `$filter` recursion limit. Each
/// parenthesised group costs three levels, each `not` one, so 2,000 nested parentheses or
/// 10,000 `not`s are refused before they can exhaust the stack.
pub(crate) const MAX_RECURSION: usize = 800;

/// How deep a finished expression tree may be. Binding and evaluation walk the tree
/// recursively with large frames: an unoptimised build overflows a 2 MiB thread stack (tokio's
/// default) somewhere between 250 and 530 levels, so 200 leaves a margin. `and`/`or` chains are
/// built balanced, so only nesting makes a tree deep; no hand-written filter comes close.
pub(crate) const MAX_TREE_DEPTH: usize = 200;

/// How many levels of [`MAX_TREE_DEPTH`] (and of [`MAX_RECURSION`]) one `any`/`all` costs:
/// evaluating a lambda walks related rows through iterator and closure frames, and parsing one
/// goes through two large frames, about ten times the stack of an `and` (measured: 199 nested
/// lambdas over related rows overflow where 250 `or` levels do not). So 19 lambdas would fit in
/// the tree; [`MAX_LAMBDA_NESTING`] allows fewer.
pub(crate) const LAMBDA_COST: usize = 10;

/// How many `any`/`all` lambdas may nest inside each other. Each one visits the related rows
/// once per row of the level above, so the work grows as a power of the nesting; Dataverse
/// documents no limit, and this one (the emulator's own) is far above what queries over
/// related rows use. The evaluation budget bounds what four levels may still cost.
pub(crate) const MAX_LAMBDA_NESTING: usize = 4;

/// The answer to an expression nested deeper than the limits.
pub(crate) fn too_deep(what: &str) -> ApiError {
    ApiError::bad_request(format!(
        "The recursion limit has been exceeded: the {what} is nested too deeply (at most \
         {MAX_RECURSION} parser levels and {MAX_TREE_DEPTH} levels of conditions). Flatten \
         nested parentheses, 'not' operators or filters."
    ))
}

/// Parses a `$filter` value; `aliases` supplies `@p` parameter values.
pub(crate) fn parse_filter(input: &str, aliases: &QueryString) -> Result<Expr, ApiError> {
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        input,
        tokens,
        at: 0,
        aliases,
        lambda_var: None,
        depth: 0,
        lambdas: 0,
    };
    let expr = parser.or_expr()?;
    if parser.at < parser.tokens.len() {
        return Err(syntax(input, parser.pos()));
    }
    check_depth(&expr, "$filter expression")?;
    Ok(expr)
}

/// Refuses a tree deeper than [`MAX_TREE_DEPTH`]. The walk itself is bounded: it stops
/// descending at the limit.
pub(crate) fn check_depth(expr: &Expr, what: &str) -> Result<(), ApiError> {
    fn deeper_than(expr: &Expr, limit: usize) -> bool {
        let cost = if matches!(expr, Expr::Lambda { .. }) {
            LAMBDA_COST
        } else {
            1
        };
        let Some(limit) = limit.checked_sub(cost) else {
            return true;
        };
        match expr {
            Expr::Or(a, b) | Expr::And(a, b) => deeper_than(a, limit) || deeper_than(b, limit),
            Expr::Not(a) => deeper_than(a, limit),
            Expr::Lambda { body: Some(b), .. } => deeper_than(b, limit),
            _ => false,
        }
    }
    if deeper_than(expr, MAX_TREE_DEPTH) {
        return Err(too_deep(what));
    }
    Ok(())
}

/// Joins `items` with `or` (or `and`) as a balanced tree, in their order, so a long chain is
/// only logarithmically deep. Both operators are associative, and evaluation has no side
/// effects, so the shape does not change the result. `None` for no items.
pub(crate) fn join_balanced(mut items: Vec<Expr>, or: bool) -> Option<Expr> {
    while items.len() > 1 {
        let mut joined = Vec::with_capacity(items.len().div_ceil(2));
        let mut pairs = items.into_iter();
        while let Some(left) = pairs.next() {
            joined.push(match pairs.next() {
                Some(right) if or => Expr::Or(Box::new(left), Box::new(right)),
                Some(right) => Expr::And(Box::new(left), Box::new(right)),
                None => left,
            });
        }
        items = joined;
    }
    items.pop()
}

/// `not` of an expression; `not not x` is `x`, so a run of `not`s adds at most one level.
fn negate(expr: Expr) -> Expr {
    match expr {
        Expr::Not(inner) => *inner,
        other => Expr::Not(Box::new(other)),
    }
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    at: usize,
    aliases: &'a QueryString,
    lambda_var: Option<String>,
    /// Current recursion depth, limited to [`MAX_RECURSION`].
    depth: usize,
    /// How many lambdas enclose the current position, limited to [`MAX_LAMBDA_NESTING`].
    lambdas: usize,
}

impl Parser<'_> {
    /// Enters one level of recursion; refuses to go deeper than [`MAX_RECURSION`].
    fn enter(&mut self) -> Result<(), ApiError> {
        self.enter_by(1)
    }

    /// Enters `cost` levels at once (a construct whose frames are larger than usual).
    fn enter_by(&mut self, cost: usize) -> Result<(), ApiError> {
        self.depth += cost;
        if self.depth > MAX_RECURSION {
            return Err(too_deep("$filter expression"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.leave_by(1);
    }

    fn leave_by(&mut self, cost: usize) {
        self.depth = self.depth.saturating_sub(cost);
    }

    fn pos(&self) -> usize {
        self.tokens
            .get(self.at)
            .map_or(self.input.chars().count(), |t| t.pos)
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn peek_at(&self, offset: usize) -> Option<&Tok> {
        self.tokens.get(self.at + offset).map(|t| &t.tok)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.at).map(|t| t.tok.clone());
        if tok.is_some() {
            self.at += 1;
        }
        tok
    }

    fn error(&self) -> ApiError {
        syntax(self.input, self.pos())
    }

    fn expect(&mut self, tok: &Tok) -> Result<(), ApiError> {
        if self.peek() == Some(tok) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    fn or_expr(&mut self) -> Result<Expr, ApiError> {
        self.enter()?;
        let result = self.or_chain();
        self.leave();
        result
    }

    fn or_chain(&mut self) -> Result<Expr, ApiError> {
        let mut items = vec![self.and_expr()?];
        while self.keyword("or") {
            self.at += 1;
            items.push(self.and_expr()?);
        }
        join_balanced(items, true).ok_or_else(|| self.error())
    }

    fn and_expr(&mut self) -> Result<Expr, ApiError> {
        self.enter()?;
        let result = self.and_chain();
        self.leave();
        result
    }

    fn and_chain(&mut self) -> Result<Expr, ApiError> {
        let mut items = vec![self.unary()?];
        while self.keyword("and") {
            self.at += 1;
            items.push(self.unary()?);
        }
        join_balanced(items, false).ok_or_else(|| self.error())
    }

    fn unary(&mut self) -> Result<Expr, ApiError> {
        self.enter()?;
        let result = self.unary_inner();
        self.leave();
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, ApiError> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(negate(self.unary()?));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.at += 1;
            let inner = self.or_expr()?;
            self.expect(&Tok::RParen)?;
            return Ok(inner);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, ApiError> {
        if let Some(Tok::Ident(name)) = self.peek().cloned()
            && self.peek_at(1) == Some(&Tok::LParen)
        {
            let function = name.to_ascii_lowercase();
            let string_fn = match function.as_str() {
                "contains" => Some(StrFn::Contains),
                "startswith" => Some(StrFn::StartsWith),
                "endswith" => Some(StrFn::EndsWith),
                _ => None,
            };
            if let Some(string_fn) = string_fn {
                self.at += 2;
                let target = self.operand()?;
                self.expect(&Tok::Comma)?;
                let value = self.operand()?;
                self.expect(&Tok::RParen)?;
                return self.maybe_compared(Expr::Str(string_fn, target, value));
            }
            if let Some(crm) = name.strip_prefix(CRM_PREFIX) {
                self.at += 2;
                let args = self.crm_args()?;
                return Ok(Expr::Crm(crm.to_owned(), args));
            }
            return Err(ApiError::bad_request(format!(
                "An unknown function with name '{name}' was found. This may also be a function \
                 import or a key lookup on a navigation property, which is not allowed."
            )));
        }
        let left = self.operand()?;
        if let Operand::Path(path) = &left
            && self.peek() == Some(&Tok::Slash)
            && matches!(self.peek_at(1), Some(Tok::Ident(w)) if w == "any" || w == "all")
        {
            return self.lambda(path.clone());
        }
        let op = match self.peek() {
            Some(Tok::Ident(word)) => CmpOp::from_keyword(word),
            _ => None,
        };
        let Some(op) = op else {
            return match left {
                Operand::Path(path) => Ok(Expr::Truthy(path)),
                Operand::Lit(Literal::Bool(value)) => Ok(Expr::Compare(
                    CmpOp::Eq,
                    Operand::Lit(Literal::Bool(value)),
                    Operand::Lit(Literal::Bool(true)),
                )),
                Operand::Lit(_) => Err(self.error()),
            };
        };
        self.at += 1;
        let right = self.operand()?;
        Ok(Expr::Compare(op, left, right))
    }

    /// `contains(a,'b') eq true` is the same as `contains(a,'b')`.
    fn maybe_compared(&mut self, expr: Expr) -> Result<Expr, ApiError> {
        let op = match self.peek() {
            Some(Tok::Ident(word)) => CmpOp::from_keyword(word),
            _ => None,
        };
        let Some(op @ (CmpOp::Eq | CmpOp::Ne)) = op else {
            return Ok(expr);
        };
        self.at += 1;
        match self.next() {
            Some(Tok::Ident(word)) if word == "true" || word == "false" => {
                let wanted = (word == "true") == (op == CmpOp::Eq);
                Ok(if wanted { expr } else { negate(expr) })
            }
            _ => Err(self.error()),
        }
    }

    fn lambda(&mut self, path: Vec<String>) -> Result<Expr, ApiError> {
        self.at += 1;
        let all = matches!(self.next(), Some(Tok::Ident(w)) if w == "all");
        self.expect(&Tok::LParen)?;
        if path.len() != 1 {
            return Err(self.error());
        }
        if self.peek() == Some(&Tok::RParen) {
            self.at += 1;
            return Ok(Expr::Lambda {
                nav: path[0].clone(),
                all,
                body: None,
            });
        }
        let Some(Tok::Ident(var)) = self.next() else {
            return Err(self.error());
        };
        self.expect(&Tok::Colon)?;
        if self.lambdas >= MAX_LAMBDA_NESTING {
            return Err(ApiError::bad_request(format!(
                "The $filter expression nests more than {MAX_LAMBDA_NESTING} any/all lambdas \
                 inside each other. Nest fewer lambdas."
            )));
        }
        // A lambda body sits under the predicate's and the lambda's own (large) frames.
        self.enter_by(LAMBDA_COST)?;
        self.lambdas += 1;
        let outer = self.lambda_var.replace(var);
        let body = self.or_expr();
        self.lambda_var = outer;
        self.lambdas -= 1;
        self.leave_by(LAMBDA_COST);
        let body = body?;
        self.expect(&Tok::RParen)?;
        Ok(Expr::Lambda {
            nav: path[0].clone(),
            all,
            body: Some(Box::new(body)),
        })
    }

    fn crm_args(&mut self) -> Result<Vec<(String, CrmArg)>, ApiError> {
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.at += 1;
            return Ok(args);
        }
        loop {
            let Some(Tok::Ident(name)) = self.next() else {
                return Err(self.error());
            };
            self.expect(&Tok::Equals)?;
            let value = self.crm_value()?;
            args.push((name, value));
            match self.next() {
                Some(Tok::Comma) => continue,
                Some(Tok::RParen) => return Ok(args),
                _ => return Err(self.error()),
            }
        }
    }

    fn crm_value(&mut self) -> Result<CrmArg, ApiError> {
        match self.peek().cloned() {
            Some(Tok::LBracket) => {
                self.at += 1;
                let mut values = Vec::new();
                if self.peek() == Some(&Tok::RBracket) {
                    self.at += 1;
                    return Ok(CrmArg::List(values));
                }
                loop {
                    values.push(self.literal()?);
                    match self.next() {
                        Some(Tok::Comma) => continue,
                        Some(Tok::RBracket) => return Ok(CrmArg::List(values)),
                        _ => return Err(self.error()),
                    }
                }
            }
            Some(Tok::Alias(name)) => {
                self.at += 1;
                let value = self.alias_value(&name)?;
                parse_alias_arg(&value, self.aliases)
            }
            _ => Ok(CrmArg::Lit(self.literal()?)),
        }
    }

    fn alias_value(&self, name: &str) -> Result<String, ApiError> {
        self.aliases
            .get(&format!("@{name}"))
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "The parameter alias '@{name}' is used but no value was provided for it."
                ))
            })
    }

    fn literal(&mut self) -> Result<Literal, ApiError> {
        match self.next() {
            Some(Tok::Lit(literal)) => Ok(literal),
            Some(Tok::Ident(word)) => keyword_literal(&word).ok_or_else(|| self.error()),
            Some(Tok::Alias(name)) => {
                let value = self.alias_value(&name)?;
                parse_literal(&value)
            }
            _ => {
                self.at = self.at.saturating_sub(1);
                Err(self.error())
            }
        }
    }

    fn operand(&mut self) -> Result<Operand, ApiError> {
        match self.peek().cloned() {
            Some(Tok::Lit(literal)) => {
                self.at += 1;
                Ok(Operand::Lit(literal))
            }
            Some(Tok::Alias(name)) => {
                self.at += 1;
                let value = self.alias_value(&name)?;
                Ok(Operand::Lit(parse_literal(&value)?))
            }
            Some(Tok::Ident(word)) => {
                if let Some(literal) = keyword_literal(&word) {
                    self.at += 1;
                    return Ok(Operand::Lit(literal));
                }
                self.at += 1;
                let mut path = vec![word];
                while self.peek() == Some(&Tok::Slash)
                    && matches!(self.peek_at(1), Some(Tok::Ident(w)) if w != "any" && w != "all")
                {
                    self.at += 1;
                    if let Some(Tok::Ident(segment)) = self.next() {
                        path.push(segment);
                    }
                }
                if let Some(var) = &self.lambda_var
                    && path.first() == Some(var)
                {
                    path.remove(0);
                    if path.is_empty() {
                        return Err(self.error());
                    }
                }
                Ok(Operand::Path(path))
            }
            _ => Err(self.error()),
        }
    }
}

fn keyword_literal(word: &str) -> Option<Literal> {
    match word {
        "null" => Some(Literal::Null),
        "true" => Some(Literal::Bool(true)),
        "false" => Some(Literal::Bool(false)),
        _ => None,
    }
}

/// Parses one literal on its own (a parameter alias value or a key value).
pub(crate) fn parse_literal(text: &str) -> Result<Literal, ApiError> {
    let tokens = tokenize(text)?;
    match tokens.as_slice() {
        [
            Token {
                tok: Tok::Lit(l), ..
            },
        ] => Ok(l.clone()),
        [
            Token {
                tok: Tok::Ident(w), ..
            },
        ] => keyword_literal(w).ok_or_else(|| syntax(text, 0)),
        _ => Err(syntax(text, 0)),
    }
}

fn parse_alias_arg(text: &str, aliases: &QueryString) -> Result<CrmArg, ApiError> {
    let trimmed = text.trim();
    if trimmed.starts_with('[') {
        let tokens = tokenize(trimmed)?;
        let mut parser = Parser {
            input: trimmed,
            tokens,
            at: 0,
            aliases,
            lambda_var: None,
            depth: 0,
            lambdas: 0,
        };
        return parser.crm_value();
    }
    Ok(CrmArg::Lit(parse_literal(trimmed)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Expr {
        parse_filter(input, &QueryString::default()).expect("parses")
    }

    fn path(name: &str) -> Operand {
        Operand::Path(name.split('/').map(str::to_owned).collect())
    }

    #[test]
    fn precedence_and_parentheses() {
        let expr = parse("a eq 1 or b eq 2 and not c eq 3");
        let Expr::Or(left, right) = expr else {
            panic!("or at the top")
        };
        assert_eq!(
            *left,
            Expr::Compare(CmpOp::Eq, path("a"), Operand::Lit(Literal::Int(1)))
        );
        assert!(matches!(*right, Expr::And(_, _)));
        assert!(matches!(
            parse("(a eq 1 or b eq 2) and c eq 3"),
            Expr::And(_, _)
        ));
    }

    #[test]
    fn lambdas_nest_at_most_four_deep() {
        let none = QueryString::parse(None);
        let nested = |levels: usize| {
            let mut text = "x/name eq 'a'".to_owned();
            for _ in 0..levels {
                text = format!("x/nav/any(x:{text})");
            }
            text.replacen("x/nav", "nav", 1)
        };
        assert!(parse_filter(&nested(MAX_LAMBDA_NESTING), &none).is_ok());
        for levels in [MAX_LAMBDA_NESTING + 1, 19] {
            let error = parse_filter(&nested(levels), &none).expect_err("too many lambdas");
            assert_eq!(error.status, 400);
            assert!(error.message.contains("any/all"), "{}", error.message);
        }
        // Lambdas side by side do not nest.
        let side_by_side = vec![nested(MAX_LAMBDA_NESTING); 6].join(" and ");
        assert!(parse_filter(&side_by_side, &none).is_ok());
        // The count is per nesting: a lambda after a nested one starts again.
        let after = format!("{} or nav/all(y:y/name eq 'b')", nested(MAX_LAMBDA_NESTING));
        assert!(parse_filter(&after, &none).is_ok());
    }

    #[test]
    fn functions_paths_and_lambdas() {
        assert_eq!(
            parse("contains(fullname,'(sample)')"),
            Expr::Str(
                StrFn::Contains,
                path("fullname"),
                Operand::Lit(Literal::Text("(sample)".into()))
            )
        );
        assert_eq!(
            parse("primarycontactid/fullname eq 'x'"),
            Expr::Compare(
                CmpOp::Eq,
                path("primarycontactid/fullname"),
                Operand::Lit(Literal::Text("x".into()))
            )
        );
        let Expr::Lambda { nav, all, body } = parse("Account_Tasks/any(t:t/subject eq 'a')") else {
            panic!("lambda")
        };
        assert_eq!(nav, "Account_Tasks");
        assert!(!all);
        assert_eq!(
            body.as_deref(),
            Some(&Expr::Compare(
                CmpOp::Eq,
                path("subject"),
                Operand::Lit(Literal::Text("a".into()))
            ))
        );
        let Expr::Crm(name, args) =
            parse("Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=['a',\"O'B\"])")
        else {
            panic!("crm function")
        };
        assert_eq!(name, "In");
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn aliases_are_literals() {
        let aliases = QueryString::parse(Some("@p1='x%27%27y'"));
        let expr = parse_filter("name eq @p1", &aliases).expect("parses");
        assert_eq!(
            expr,
            Expr::Compare(
                CmpOp::Eq,
                path("name"),
                Operand::Lit(Literal::Text("x'y".into()))
            )
        );
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "name eq",
            "name eqq 1",
            "(name eq 1",
            "name eq 1 extra",
            "frob(name)",
        ] {
            assert!(parse_filter(bad, &QueryString::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn nesting_beyond_the_recursion_limit_is_a_400() {
        let none = QueryString::default();
        // Each parenthesised group costs three levels of the 800: 265 fit, 266 do not.
        let nested = |n: usize| format!("{}a eq 1{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_filter(&nested(265), &none).is_ok());
        for input in [
            nested(266),
            nested(2000),
            format!("{}a eq 1", "not ".repeat(10_000)),
        ] {
            let error = parse_filter(&input, &none).expect_err("too deep");
            assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(error.code, crate::dataverse::errors::ODATA_ERROR);
            assert!(
                error.message.contains("recursion limit"),
                "{}",
                error.message
            );
        }
    }

    #[test]
    fn chains_are_balanced_and_double_negation_cancels() {
        let chain = (0..4096)
            .map(|i| format!("a eq {i}"))
            .collect::<Vec<_>>()
            .join(" and ");
        let expr = parse(&chain);
        check_depth(&expr, "test").expect("a balanced chain is shallow");
        assert_eq!(parse("not not a eq 1"), parse("a eq 1"));
        assert!(matches!(parse("not not not a eq 1"), Expr::Not(_)));
    }

    /// A generated `$filter` with its expected truth value: leaf `a eq N` is true for even N.
    #[derive(Debug, Clone)]
    enum Gen {
        Leaf(u8),
        Not(Box<Gen>),
        And(Vec<Gen>),
        Or(Vec<Gen>),
    }

    impl Gen {
        fn text(&self) -> String {
            match self {
                Self::Leaf(n) => format!("a eq {n}"),
                Self::Not(inner) => format!("not ({})", inner.text()),
                Self::And(items) => format!(
                    "({})",
                    items
                        .iter()
                        .map(Self::text)
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                Self::Or(items) => format!(
                    "({})",
                    items
                        .iter()
                        .map(Self::text)
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            }
        }

        fn truth(&self) -> bool {
            match self {
                Self::Leaf(n) => n % 2 == 0,
                Self::Not(inner) => !inner.truth(),
                Self::And(items) => items.iter().all(Self::truth),
                Self::Or(items) => items.iter().any(Self::truth),
            }
        }
    }

    fn truth(expr: &Expr) -> bool {
        match expr {
            Expr::Or(a, b) => truth(a) || truth(b),
            Expr::And(a, b) => truth(a) && truth(b),
            Expr::Not(a) => !truth(a),
            Expr::Compare(CmpOp::Eq, Operand::Path(_), Operand::Lit(Literal::Int(n))) => n % 2 == 0,
            other => panic!("unexpected node {other:?}"),
        }
    }

    fn generated() -> impl proptest::strategy::Strategy<Value = Gen> {
        use proptest::prelude::*;
        any::<u8>()
            .prop_map(Gen::Leaf)
            .prop_recursive(8, 64, 6, |inner| {
                prop_oneof![
                    inner.clone().prop_map(|g| Gen::Not(Box::new(g))),
                    proptest::collection::vec(inner.clone(), 1..6).prop_map(Gen::And),
                    proptest::collection::vec(inner, 1..6).prop_map(Gen::Or),
                ]
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 128,
            ..proptest::test_runner::Config::default()
        })]

        /// Any text parses or is a 400 with the OData code; it never panics.
        #[test]
        fn arbitrary_text_is_ok_or_a_400(input in "[a-z0-9 ()'@/,:=\\[\\].-]{0,80}|\\PC{0,40}") {
            let aliases = QueryString::parse(Some("@p1='x'&@p2=[1,2]"));
            if let Err(error) = parse_filter(&input, &aliases) {
                proptest::prop_assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
                proptest::prop_assert_eq!(error.code.as_str(), crate::dataverse::errors::ODATA_ERROR);
            }
        }

        /// Generated nested expressions parse, and the (balanced) tree means the same as the text.
        #[test]
        fn generated_expressions_keep_their_meaning(generated in generated()) {
            let expr = parse_filter(&generated.text(), &QueryString::default())
                .expect("a generated expression parses");
            proptest::prop_assert_eq!(truth(&expr), generated.truth());
        }

        /// Parentheses nested any depth: fine up to the limit, a 400 beyond, never a crash.
        #[test]
        fn nesting_depth_is_ok_or_a_400(depth in 0usize..3000, nots in 0usize..1200) {
            let input = format!("{}{}a eq 1{}", "(".repeat(depth), "not ".repeat(nots), ")".repeat(depth));
            let within = 3 * depth + nots + 3 <= MAX_RECURSION;
            match parse_filter(&input, &QueryString::default()) {
                Ok(_) => proptest::prop_assert!(within),
                Err(error) => {
                    proptest::prop_assert!(!within);
                    proptest::prop_assert!(error.message.contains("recursion limit"));
                }
            }
        }
    }
}

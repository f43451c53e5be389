//! `$filter` over JSON objects (metadata answers): comparisons of simple properties with
//! literals, `and`/`or`/`not`, and the string functions.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::filter_parser::{CmpOp, Expr, Operand, StrFn};
use super::like::LikePattern;
use super::literal::Literal;
use crate::dataverse::errors::ApiError;

/// Evaluates a `$filter` over a metadata object (simple properties only).
pub(crate) fn matches(expr: &Expr, item: &Map<String, Value>) -> Result<bool, ApiError> {
    let property = |operand: &Operand| -> Result<Option<Value>, ApiError> {
        match operand {
            Operand::Path(path) if path.len() == 1 => {
                Ok(Some(item.get(&path[0]).cloned().unwrap_or(Value::Null)))
            }
            Operand::Path(path) => Err(ApiError::bad_request(format!(
                "Filtering metadata on '{}' is not supported by the emulator.",
                path.join("/")
            ))),
            Operand::Lit(_) => Ok(None),
        }
    };
    let literal = |operand: &Operand| -> Value {
        match operand {
            Operand::Lit(Literal::Text(t)) => Value::String(t.clone()),
            Operand::Lit(Literal::Bool(b)) => Value::Bool(*b),
            Operand::Lit(Literal::Int(i)) => Value::from(*i),
            Operand::Lit(Literal::Float(f)) => Value::from(*f),
            Operand::Lit(Literal::Guid(g)) => Value::String(g.to_string()),
            _ => Value::Null,
        }
    };
    Ok(match expr {
        Expr::Or(a, b) => matches(a, item)? || matches(b, item)?,
        Expr::And(a, b) => matches(a, item)? && matches(b, item)?,
        Expr::Not(a) => !matches(a, item)?,
        Expr::Truthy(path) => item.get(&path[0]) == Some(&Value::Bool(true)),
        Expr::Compare(op, left, right) => {
            let (actual, wanted) = match (property(left)?, property(right)?) {
                (Some(actual), None) => (actual, literal(right)),
                (None, Some(actual)) => (actual, literal(left)),
                _ => {
                    return Err(ApiError::bad_request(
                        "Compare a metadata property with a literal.",
                    ));
                }
            };
            let equal = match (&actual, &wanted) {
                (Value::String(a), Value::String(b)) => {
                    a.eq_ignore_ascii_case(b)
                        || Uuid::parse_str(a)
                            .ok()
                            .zip(Uuid::parse_str(b).ok())
                            .is_some_and(|(x, y)| x == y)
                }
                (a, b) => a == b,
            };
            match op {
                CmpOp::Eq => equal,
                CmpOp::Ne => !equal,
                _ => match (actual.as_f64(), wanted.as_f64()) {
                    (Some(a), Some(b)) => match op {
                        CmpOp::Gt => a > b,
                        CmpOp::Ge => a >= b,
                        CmpOp::Lt => a < b,
                        _ => a <= b,
                    },
                    _ => false,
                },
            }
        }
        Expr::Str(function, target, value) => {
            let text = property(target)?
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let Value::String(needle) = literal(value) else {
                return Ok(false);
            };
            let pattern = match function {
                StrFn::Contains => LikePattern::contains(&needle),
                StrFn::StartsWith => LikePattern::starts_with(&needle),
                StrFn::EndsWith => LikePattern::ends_with(&needle),
                StrFn::Like => LikePattern::new(&needle),
            };
            pattern.matches(&text)
        }
        Expr::Crm(..) | Expr::Lambda { .. } => {
            return Err(ApiError::bad_request(
                "This $filter is not supported on metadata by the emulator.",
            ));
        }
    })
}

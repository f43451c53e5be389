//! Binding a parsed `$filter` to a table: names become [`Prop`]s, types are checked as ODataLib
//! does ("A binary operator with incompatible types was detected…"), and the supported
//! `Microsoft.Dynamics.CRM.*` functions become ranges, sets or comparisons.

use uuid::Uuid;

use super::filter_parser::{CmpOp, CrmArg, Expr, Operand, StrFn};
use super::like::LikePattern;
use super::literal::{Literal, parse_date, parse_datetime};
use super::prop::{Prop, Resolved, TypeClass, resolve};
use crate::dataverse::errors::ApiError;
use crate::dataverse::metadata::catalog::{Catalog, Navigation};
use crate::dataverse::metadata::model::AttrKind;

/// An operand after binding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BoundOperand {
    Prop(Prop),
    Lit(Literal),
}

/// A bound filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    Or(Box<Bound>, Box<Bound>),
    And(Box<Bound>, Box<Bound>),
    Not(Box<Bound>),
    Cmp(CmpOp, BoundOperand, BoundOperand),
    Like(Prop, LikePattern),
    In(Prop, Vec<Literal>),
    /// `lo` and `hi` with whether each bound is inclusive.
    Range {
        prop: Prop,
        lo: Option<(Literal, bool)>,
        hi: Option<(Literal, bool)>,
    },
    /// `nav/any(…)` (or `all`) over the related rows.
    Lambda {
        nav: Navigation,
        target: u16,
        all: bool,
        body: Option<Box<Bound>>,
    },
}

/// What functions such as `EqualUserId` and `Today` refer to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BindContext {
    pub(crate) user_id: Uuid,
    pub(crate) business_unit_id: Uuid,
    /// Unix seconds.
    pub(crate) now: i64,
}

/// Binds `expr` to `table`.
pub(crate) fn bind(
    expr: &Expr,
    catalog: &Catalog,
    table: u16,
    ctx: &BindContext,
) -> Result<Bound, ApiError> {
    let binder = Binder { catalog, ctx };
    binder.bind(expr, table)
}

struct Binder<'a> {
    catalog: &'a Catalog,
    ctx: &'a BindContext,
}

impl Binder<'_> {
    fn bind(&self, expr: &Expr, table: u16) -> Result<Bound, ApiError> {
        Ok(match expr {
            Expr::Or(a, b) => Bound::Or(
                Box::new(self.bind(a, table)?),
                Box::new(self.bind(b, table)?),
            ),
            Expr::And(a, b) => Bound::And(
                Box::new(self.bind(a, table)?),
                Box::new(self.bind(b, table)?),
            ),
            Expr::Not(a) => Bound::Not(Box::new(self.bind(a, table)?)),
            Expr::Compare(op, left, right) => self.compare(*op, left, right, table)?,
            Expr::Truthy(path) => {
                let resolved = resolve(self.catalog, table, path)?;
                if resolved.kind != AttrKind::Boolean {
                    return Err(ApiError::bad_request(format!(
                        "The $filter expression must evaluate to a single boolean value; '{}' is \
                         of type '{}'.",
                        path.join("/"),
                        resolved.kind.edm_type()
                    )));
                }
                Bound::Cmp(
                    CmpOp::Eq,
                    BoundOperand::Prop(resolved.prop),
                    BoundOperand::Lit(Literal::Bool(true)),
                )
            }
            Expr::Str(function, target, value) => {
                self.string_function(*function, target, value, table)?
            }
            Expr::Crm(name, args) => self.crm(name, args, table)?,
            Expr::Lambda { nav, all, body } => {
                let definition = self.catalog.table(table);
                let navigation = self
                    .catalog
                    .navigation(table, nav)
                    .filter(|n| !matches!(n, Navigation::Single(_)))
                    .ok_or_else(|| ApiError::unknown_property(nav, &definition.logical_name))?;
                let target = self.catalog.nav_target(navigation);
                let body = body
                    .as_ref()
                    .map(|b| self.bind(b, target).map(Box::new))
                    .transpose()?;
                Bound::Lambda {
                    nav: navigation,
                    target,
                    all: *all,
                    body,
                }
            }
        })
    }

    fn operand(
        &self,
        operand: &Operand,
        table: u16,
    ) -> Result<(BoundOperand, TypeClass, &'static str), ApiError> {
        match operand {
            Operand::Lit(literal) => Ok((
                BoundOperand::Lit(literal.clone()),
                literal_class(literal),
                literal.edm_type(),
            )),
            Operand::Path(path) => {
                let Resolved { prop, kind } = resolve(self.catalog, table, path)?;
                Ok((
                    BoundOperand::Prop(prop),
                    TypeClass::of_kind(kind),
                    kind.edm_type(),
                ))
            }
        }
    }

    fn compare(
        &self,
        op: CmpOp,
        left: &Operand,
        right: &Operand,
        table: u16,
    ) -> Result<Bound, ApiError> {
        let (left, left_class, left_type) = self.operand(left, table)?;
        let (right, right_class, right_type) = self.operand(right, table)?;
        if !left_class.compatible(right_class) {
            return Err(ApiError::bad_request(format!(
                "A binary operator with incompatible types was detected. Found operand types \
                 '{left_type}' and '{right_type}' for operator kind '{}'.",
                op.kind_name()
            )));
        }
        Ok(Bound::Cmp(op, left, right))
    }

    fn string_function(
        &self,
        function: StrFn,
        target: &Operand,
        value: &Operand,
        table: u16,
    ) -> Result<Bound, ApiError> {
        let name = match function {
            StrFn::Contains => "contains",
            StrFn::StartsWith => "startswith",
            StrFn::EndsWith => "endswith",
            StrFn::Like => "like",
        };
        let (Operand::Path(path), Operand::Lit(Literal::Text(text))) = (target, value) else {
            return Err(ApiError::bad_request(format!(
                "The '{name}' function takes a text property and a text literal."
            )));
        };
        let resolved = resolve(self.catalog, table, path)?;
        if TypeClass::of_kind(resolved.kind) != TypeClass::Text {
            return Err(ApiError::bad_request(format!(
                "No function signature for the function with name '{name}' matches the \
                 specified arguments. The function signatures considered are: {name}(Edm.String \
                 Nullable=true, Edm.String Nullable=true)."
            )));
        }
        let pattern = match function {
            StrFn::Contains => LikePattern::contains(text),
            StrFn::StartsWith => LikePattern::starts_with(text),
            StrFn::EndsWith => LikePattern::ends_with(text),
            StrFn::Like => LikePattern::new(text),
        };
        Ok(Bound::Like(resolved.prop, pattern))
    }

    fn crm(&self, name: &str, args: &[(String, CrmArg)], table: u16) -> Result<Bound, ApiError> {
        let arg = |wanted: &str| args.iter().find(|(n, _)| n == wanted).map(|(_, a)| a);
        let property = match arg("PropertyName") {
            Some(CrmArg::Lit(Literal::Text(name))) => name.clone(),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "The function Microsoft.Dynamics.CRM.{name} needs a PropertyName parameter."
                )));
            }
        };
        let path: Vec<String> = property.split('/').map(str::to_owned).collect();
        let Resolved { prop, kind } = resolve(self.catalog, table, &path)?;
        let class = TypeClass::of_kind(kind);
        let list = || -> Result<Vec<Literal>, ApiError> {
            match arg("PropertyValues") {
                Some(CrmArg::List(values)) => values.iter().map(|v| convert(v, class)).collect(),
                Some(CrmArg::Lit(value)) => Ok(vec![convert(value, class)?]),
                None => Err(ApiError::bad_request(format!(
                    "The function Microsoft.Dynamics.CRM.{name} needs a PropertyValues parameter."
                ))),
            }
        };
        let single = || -> Result<Literal, ApiError> {
            match arg("PropertyValue") {
                Some(CrmArg::Lit(value)) => convert(value, class),
                _ => Err(ApiError::bad_request(format!(
                    "The function Microsoft.Dynamics.CRM.{name} needs a PropertyValue parameter."
                ))),
            }
        };
        let count = || -> Result<i64, ApiError> {
            match arg("PropertyValue") {
                Some(CrmArg::Lit(Literal::Int(n))) => Ok(*n),
                Some(CrmArg::Lit(Literal::Text(t))) => t
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("'{t}' is not a whole number."))),
                _ => Err(ApiError::bad_request(format!(
                    "The function Microsoft.Dynamics.CRM.{name} needs a whole-number PropertyValue."
                ))),
            }
        };
        let now = self.ctx.now;
        let today = now - now.rem_euclid(86_400);
        let range = |lo: Option<(i64, bool)>, hi: Option<(i64, bool)>| Bound::Range {
            prop: prop.clone(),
            lo: lo.map(|(s, inclusive)| (Literal::DateTime(s), inclusive)),
            hi: hi.map(|(s, inclusive)| (Literal::DateTime(s), inclusive)),
        };
        let eq = |literal: Literal| {
            Bound::Cmp(
                CmpOp::Eq,
                BoundOperand::Prop(prop.clone()),
                BoundOperand::Lit(literal),
            )
        };
        let not = |bound: Bound| Bound::Not(Box::new(bound));
        Ok(match name {
            "In" => Bound::In(prop.clone(), list()?),
            "NotIn" => not(Bound::In(prop.clone(), list()?)),
            "Between" | "NotBetween" => {
                let values = list()?;
                let [lo, hi] = <[Literal; 2]>::try_from(values).map_err(|_| {
                    ApiError::bad_request(format!(
                        "The function Microsoft.Dynamics.CRM.{name} needs exactly two values."
                    ))
                })?;
                let between = Bound::Range {
                    prop: prop.clone(),
                    lo: Some((lo, true)),
                    hi: Some((hi, true)),
                };
                if name == "Between" {
                    between
                } else {
                    not(between)
                }
            }
            "Null" => eq(Literal::Null),
            "NotNull" => not(eq(Literal::Null)),
            "EqualUserId" => eq(Literal::Guid(self.ctx.user_id)),
            "NotEqualUserId" => not(eq(Literal::Guid(self.ctx.user_id))),
            "EqualBusinessId" => eq(Literal::Guid(self.ctx.business_unit_id)),
            "NotEqualBusinessId" => not(eq(Literal::Guid(self.ctx.business_unit_id))),
            "Today" => range(Some((today, true)), Some((today + 86_400, false))),
            "Yesterday" => range(Some((today - 86_400, true)), Some((today, false))),
            "Tomorrow" => range(
                Some((today + 86_400, true)),
                Some((today + 2 * 86_400, false)),
            ),
            "LastXDays" => range(Some((today - count()? * 86_400, true)), Some((now, true))),
            "NextXDays" => range(
                Some((now, true)),
                Some((today + (count()? + 1) * 86_400, false)),
            ),
            "LastXHours" => range(Some((now - count()? * 3600, true)), Some((now, true))),
            "NextXHours" => range(Some((now, true)), Some((now + count()? * 3600, true))),
            "OlderThanXDays" => range(None, Some((now - count()? * 86_400, false))),
            "On" | "OnOrAfter" | "OnOrBefore" => {
                let (Literal::DateTime(day) | Literal::Date(day)) = single()? else {
                    return Err(ApiError::bad_request(format!(
                        "The function Microsoft.Dynamics.CRM.{name} needs a date."
                    )));
                };
                let day = day - day.rem_euclid(86_400);
                match name {
                    "On" => range(Some((day, true)), Some((day + 86_400, false))),
                    "OnOrAfter" => range(Some((day, true)), None),
                    _ => range(None, Some((day + 86_400, false))),
                }
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "An unknown function with name 'Microsoft.Dynamics.CRM.{name}' was found. \
                     (The emulator supports In, NotIn, Between, NotBetween, Null, NotNull, \
                     EqualUserId, NotEqualUserId, EqualBusinessId, NotEqualBusinessId, Today, \
                     Yesterday, Tomorrow, LastXDays, NextXDays, LastXHours, NextXHours, \
                     OlderThanXDays, On, OnOrAfter and OnOrBefore.)"
                )));
            }
        })
    }
}

fn literal_class(literal: &Literal) -> TypeClass {
    match literal {
        Literal::Null => TypeClass::Null,
        Literal::Bool(_) => TypeClass::Bool,
        Literal::Int(_) | Literal::Float(_) => TypeClass::Number,
        Literal::Text(_) => TypeClass::Text,
        Literal::Guid(_) => TypeClass::Guid,
        Literal::DateTime(_) | Literal::Date(_) => TypeClass::Time,
    }
}

/// Converts a function parameter value (often a string, as in `["5","2000"]`) to the property's
/// type.
fn convert(value: &Literal, class: TypeClass) -> Result<Literal, ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "The value {value:?} does not fit the property's type."
        ))
    };
    match (value, class) {
        (Literal::Text(text), TypeClass::Number) => {
            let text = text.trim();
            text.parse::<i64>()
                .map(Literal::Int)
                .or_else(|_| text.parse::<f64>().map(Literal::Float))
                .map_err(|_| invalid())
        }
        (Literal::Text(text), TypeClass::Guid) => {
            Uuid::parse_str(text.trim().trim_matches(['{', '}']))
                .map(Literal::Guid)
                .map_err(|_| invalid())
        }
        (Literal::Text(text), TypeClass::Time) => parse_datetime(text.trim())
            .map(Literal::DateTime)
            .or_else(|| parse_date(text.trim()).map(Literal::Date))
            .ok_or_else(invalid),
        (Literal::Text(text), TypeClass::Bool) => match text.trim() {
            "true" | "1" => Ok(Literal::Bool(true)),
            "false" | "0" => Ok(Literal::Bool(false)),
            _ => Err(invalid()),
        },
        (other, class) if literal_class(other).compatible(class) => Ok(other.clone()),
        _ => Err(invalid()),
    }
}

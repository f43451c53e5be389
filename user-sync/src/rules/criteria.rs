//! Filter criteria: an attribute test (equals, contains, starts_with, regex), group
//! membership, and NOT / AND (`all`) / OR (`any`) nesting. Checked while the TOML is read, so
//! an error carries the line and column of the table at fault.

use std::collections::{HashMap, HashSet};
use std::fmt;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::graph::{GraphUser, USER_SELECT};

/// The largest compiled regex accepted (bytes), so a rules file cannot make the sync use
/// unbounded memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How an attribute is compared with the rule's value.
#[derive(Clone)]
#[non_exhaustive]
pub enum Op {
    /// The whole value is equal.
    Equals(String),
    /// The value contains this text.
    Contains(String),
    /// The value starts with this text.
    StartsWith(String),
    /// The value matches this regular expression (the `regex` crate's syntax; unanchored, so
    /// use `^...$` for a whole-value match).
    Regex(Regex),
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Equals(v) => write!(f, "equals {v:?}"),
            Op::Contains(v) => write!(f, "contains {v:?}"),
            Op::StartsWith(v) => write!(f, "starts_with {v:?}"),
            Op::Regex(r) => write!(f, "regex {:?}", r.as_str()),
        }
    }
}

/// A test over one Graph user.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Criterion {
    /// An attribute of the user (one of [`USER_SELECT`]) compared with a value.
    Attribute {
        /// The attribute, spelt as Graph spells it.
        attribute: &'static str,
        /// The comparison.
        op: Op,
        /// Whether case matters (default: it does not).
        case_sensitive: bool,
    },
    /// The user is a direct member of this group (object id or display name).
    MemberOf(String),
    /// The inner test fails.
    Not(Box<Criterion>),
    /// Every inner test holds (AND).
    All(Vec<Criterion>),
    /// At least one inner test holds (OR).
    Any(Vec<Criterion>),
}

/// The direct members (object ids, lower case) of the groups the rules name, keyed by the
/// group as the rules name it.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    groups: HashMap<String, HashSet<String>>,
}

impl Membership {
    /// Records the members of a group.
    pub fn insert(&mut self, group: &str, members: HashSet<String>) {
        self.groups.insert(
            group.to_owned(),
            members
                .into_iter()
                .map(|m| m.to_ascii_lowercase())
                .collect(),
        );
    }

    /// Whether `user` is a member of `group` (false for a group not recorded).
    pub fn is_member(&self, group: &str, user: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|m| m.contains(&user.to_ascii_lowercase()))
    }
}

impl Criterion {
    /// Whether the user passes the test. A missing attribute fails every comparison.
    pub fn matches(&self, user: &GraphUser, membership: &Membership) -> bool {
        match self {
            Criterion::Attribute {
                attribute,
                op,
                case_sensitive,
            } => {
                let Some(value) = user.attribute(attribute) else {
                    return false;
                };
                let fold = |s: &str| {
                    if *case_sensitive {
                        s.to_owned()
                    } else {
                        s.to_lowercase()
                    }
                };
                match op {
                    Op::Equals(want) => fold(&value) == fold(want),
                    Op::Contains(want) => fold(&value).contains(&fold(want)),
                    Op::StartsWith(want) => fold(&value).starts_with(&fold(want)),
                    Op::Regex(re) => re.is_match(&value),
                }
            }
            Criterion::MemberOf(group) => membership.is_member(group, &user.id),
            Criterion::Not(inner) => !inner.matches(user, membership),
            Criterion::All(all) => all.iter().all(|c| c.matches(user, membership)),
            Criterion::Any(any) => any.iter().any(|c| c.matches(user, membership)),
        }
    }

    /// Adds the groups this test names to `out`.
    pub(crate) fn groups(&self, out: &mut Vec<String>) {
        match self {
            Criterion::MemberOf(g) => {
                if !out.contains(g) {
                    out.push(g.clone());
                }
            }
            Criterion::Not(inner) => inner.groups(out),
            Criterion::All(list) | Criterion::Any(list) => {
                list.iter().for_each(|c| c.groups(out));
            }
            Criterion::Attribute { .. } => {}
        }
    }
}

/// A value as written in TOML: text, a boolean or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Bool(bool),
    Int(i64),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
        }
    }
}

/// A criterion table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    attribute: Option<String>,
    op: Option<String>,
    value: Option<Scalar>,
    case_sensitive: Option<bool>,
    member_of: Option<String>,
    not: Option<Box<Criterion>>,
    all: Option<Vec<Criterion>>,
    any: Option<Vec<Criterion>>,
}

/// The operators, as written in the rules file.
pub const OPS: [&str; 4] = ["equals", "contains", "starts_with", "regex"];

impl<'de> Deserialize<'de> for Criterion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawCriterion::deserialize(d)?;
        Criterion::try_from(raw).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<RawCriterion> for Criterion {
    type Error = String;

    fn try_from(raw: RawCriterion) -> Result<Self, String> {
        let kinds = [
            raw.attribute.is_some(),
            raw.member_of.is_some(),
            raw.not.is_some(),
            raw.all.is_some(),
            raw.any.is_some(),
        ]
        .iter()
        .filter(|k| **k)
        .count();
        if kinds != 1 {
            return Err(
                "a criterion is exactly one of: `attribute` (with `op` and `value`), \
                        `member_of`, `not`, `all` or `any`; nest them with `all` / `any` to \
                        combine"
                    .to_owned(),
            );
        }
        let attribute_only =
            raw.op.is_some() || raw.value.is_some() || raw.case_sensitive.is_some();
        if raw.attribute.is_none() && attribute_only {
            return Err("`op`, `value` and `case_sensitive` belong with `attribute`".to_owned());
        }
        if let Some(name) = raw.attribute {
            let attribute = USER_SELECT
                .iter()
                .find(|a| a.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    format!(
                        "unknown attribute `{name}`; use one of {}",
                        USER_SELECT.join(", ")
                    )
                })?;
            let op = raw.op.ok_or_else(|| {
                format!("attribute `{attribute}` needs an `op` ({})", OPS.join(", "))
            })?;
            let value = raw
                .value
                .ok_or_else(|| format!("attribute `{attribute}` needs a `value`"))?
                .into_text();
            let case_sensitive = raw.case_sensitive.unwrap_or(false);
            let op = match op.trim() {
                "equals" => Op::Equals(value),
                "contains" => Op::Contains(value),
                "starts_with" => Op::StartsWith(value),
                "regex" => Op::Regex(
                    RegexBuilder::new(&value)
                        .case_insensitive(!case_sensitive)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|e| format!("bad regex `{value}`: {e}"))?,
                ),
                other => {
                    return Err(format!(
                        "unknown op `{other}`; use one of {}",
                        OPS.join(", ")
                    ));
                }
            };
            return Ok(Criterion::Attribute {
                attribute,
                op,
                case_sensitive,
            });
        }
        if let Some(group) = raw.member_of {
            if group.trim().is_empty() {
                return Err("`member_of` needs a group object id or display name".to_owned());
            }
            return Ok(Criterion::MemberOf(group.trim().to_owned()));
        }
        if let Some(inner) = raw.not {
            return Ok(Criterion::Not(inner));
        }
        if let Some(all) = raw.all {
            if all.is_empty() {
                return Err("`all` needs at least one criterion".to_owned());
            }
            return Ok(Criterion::All(all));
        }
        // Exactly one kind is set, so this is `any`.
        let any = raw.any.unwrap_or_default();
        if any.is_empty() {
            return Err("`any` needs at least one criterion".to_owned());
        }
        Ok(Criterion::Any(any))
    }
}

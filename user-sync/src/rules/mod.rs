//! The rules file: which users take part (`[filter]`), and an ordered list of placements
//! (`[[placement]]`), the first match deciding the user's business unit, teams and roles, with
//! a `default` placement or `"skip"` for users no placement matches.
//!
//! The format is documented in the crate's README, with an example file in
//! `reference/user-sync/rules.example.toml`.

mod criteria;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

pub use criteria::{Criterion, Membership, OPS, Op};

use crate::graph::GraphUser;

/// The share of users a run may move or strip before it stops and asks for `force`.
pub const DEFAULT_MAX_CHANGE_SHARE: f64 = 0.10;

/// A rules file that cannot be used. The message says where (line and column, from the TOML
/// reader) and what to fix.
#[derive(Debug, Clone, thiserror::Error)]
#[error("rules{}: {message}", origin.as_deref().map(|o| format!(" file {o}")).unwrap_or_default())]
pub struct RulesError {
    /// The file, when the rules came from one.
    pub origin: Option<String>,
    /// What is wrong, with its position.
    pub message: String,
}

/// Where a placed user goes. Names are matched in the org without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Target {
    /// The business unit's name; `None` leaves the user's unit alone.
    pub business_unit: Option<String>,
    /// Owner teams the user belongs to.
    pub teams: Vec<String>,
    /// Security roles the user holds (the copy of the user's business unit).
    pub roles: Vec<String>,
}

/// One placement rule.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Placement {
    /// The rule's name (its position, `placement 3`, when the file gives none).
    pub name: String,
    /// The test; `None` matches everyone.
    pub when: Option<Criterion>,
    /// Where matching users go; `None` means "skip them".
    pub target: Option<Target>,
}

/// What the rules decide for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Place the user.
    Place {
        /// The rule that matched (`default` for the default placement).
        rule: &'a str,
        /// Where to.
        target: &'a Target,
    },
    /// Leave the user out: the filter or a `skip` rule says so, or nothing matched.
    Skip,
}

/// A checked rules file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RuleSet {
    /// Who takes part at all; `None` is everyone.
    pub filter: Option<Criterion>,
    /// The placements, first match wins.
    pub placements: Vec<Placement>,
    /// For users no placement matches; `None` skips them.
    pub default: Option<Target>,
    /// The share (0 to 1) of considered users a run may move or strip without `force`.
    pub max_change_share: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    filter: Option<Criterion>,
    #[serde(default)]
    placement: Vec<RawPlacement>,
    default: Option<RawDefault>,
    safety: Option<RawSafety>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSafety {
    max_change_share: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlacement {
    name: Option<String>,
    when: Option<Criterion>,
    business_unit: Option<String>,
    #[serde(default)]
    teams: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    skip: bool,
}

/// `default = "skip"` or a `[default]` table. Read by hand rather than as an untagged enum,
/// so a mistake inside the table is reported as such (with its key) instead of "matched no
/// variant".
enum RawDefault {
    Word(String),
    Place(RawTarget),
}

impl<'de> Deserialize<'de> for RawDefault {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawDefault;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"skip\" or a table with business_unit, teams and roles")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawDefault, E> {
                Ok(RawDefault::Word(v.to_owned()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawDefault, A::Error> {
                RawTarget::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawDefault::Place)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    business_unit: Option<String>,
    #[serde(default)]
    teams: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
}

fn clean(list: Vec<String>, what: &str, rule: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in list {
        let item = item.trim().to_owned();
        if item.is_empty() {
            return Err(format!("{rule}: an empty {what} name"));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&item)) {
            out.push(item);
        }
    }
    Ok(out)
}

fn target(
    business_unit: Option<String>,
    teams: Vec<String>,
    roles: Vec<String>,
    rule: &str,
) -> Result<Target, String> {
    let business_unit = match business_unit.map(|b| b.trim().to_owned()) {
        Some(b) if b.is_empty() => return Err(format!("{rule}: `business_unit` is empty")),
        other => other,
    };
    let target = Target {
        business_unit,
        teams: clean(teams, "team", rule)?,
        roles: clean(roles, "role", rule)?,
    };
    if target == Target::default() {
        return Err(format!(
            "{rule} places users nowhere: give `business_unit`, `teams` or `roles`, or \
             `skip = true` to leave its users out"
        ));
    }
    Ok(target)
}

impl RuleSet {
    /// Reads rules from TOML text. `origin` (a file name) is only used in messages.
    pub fn from_toml(text: &str, origin: Option<&str>) -> Result<Self, RulesError> {
        let fail = |message: String| RulesError {
            origin: origin.map(str::to_owned),
            message,
        };
        let raw: RawRules = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        let mut placements = Vec::with_capacity(raw.placement.len());
        for (index, p) in raw.placement.into_iter().enumerate() {
            let name = p
                .name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("placement {}", index + 1));
            if placements.iter().any(|q: &Placement| q.name == name) {
                return Err(fail(format!(
                    "two placements are named `{name}`; give each its own name"
                )));
            }
            let rule = format!("placement `{name}`");
            let target = if p.skip {
                if p.business_unit.is_some() || !p.teams.is_empty() || !p.roles.is_empty() {
                    return Err(fail(format!(
                        "{rule} has `skip = true` and a target; keep one of the two"
                    )));
                }
                None
            } else {
                Some(target(p.business_unit, p.teams, p.roles, &rule).map_err(fail)?)
            };
            placements.push(Placement {
                name,
                when: p.when,
                target,
            });
        }
        let default = match raw.default {
            None => None,
            Some(RawDefault::Word(w)) if w.trim().eq_ignore_ascii_case("skip") => None,
            Some(RawDefault::Word(w)) => {
                return Err(fail(format!(
                    "`default = \"{w}\"`: the default is \"skip\" or a table with \
                     `business_unit`, `teams` and `roles`"
                )));
            }
            Some(RawDefault::Place(t)) => Some(
                target(t.business_unit, t.teams, t.roles, "the default placement").map_err(fail)?,
            ),
        };
        let max_change_share = match raw.safety {
            None => DEFAULT_MAX_CHANGE_SHARE,
            Some(s) if (0.0..=1.0).contains(&s.max_change_share) => s.max_change_share,
            Some(s) => {
                return Err(fail(format!(
                    "`safety.max_change_share = {}`: give a share between 0 and 1 (0.1 is 10%)",
                    s.max_change_share
                )));
            }
        };
        if placements.is_empty() && default.is_none() {
            return Err(fail(
                "the rules place nobody: add a `[[placement]]` or a `[default]`".to_owned(),
            ));
        }
        Ok(RuleSet {
            filter: raw.filter,
            placements,
            default,
            max_change_share,
        })
    }

    /// Reads a rules file.
    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            origin: Some(origin.clone()),
            message: format!("cannot read it: {e}"),
        })?;
        Self::from_toml(&text, Some(&origin))
    }

    /// What the rules decide for `user`: the filter first, then the first placement whose
    /// test holds, then the default.
    pub fn decide<'a>(&'a self, user: &GraphUser, membership: &Membership) -> Decision<'a> {
        if let Some(filter) = &self.filter
            && !filter.matches(user, membership)
        {
            return Decision::Skip;
        }
        for p in &self.placements {
            if p.when.as_ref().is_none_or(|c| c.matches(user, membership)) {
                return match &p.target {
                    Some(target) => Decision::Place {
                        rule: &p.name,
                        target,
                    },
                    None => Decision::Skip,
                };
            }
        }
        match &self.default {
            Some(target) => Decision::Place {
                rule: "default",
                target,
            },
            None => Decision::Skip,
        }
    }

    fn targets(&self) -> impl Iterator<Item = &Target> {
        self.placements
            .iter()
            .filter_map(|p| p.target.as_ref())
            .chain(self.default.as_ref())
    }

    /// A fingerprint of what the rules decide (filter, placements, default; not the
    /// safety share), stored with the sync's position: when it changes, unchanged users
    /// must be placed again, so the next run reads a full round.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        // Debug of the parsed rules: comments and layout of the file do not count.
        let shape = format!("{:?}|{:?}|{:?}", self.filter, self.placements, self.default);
        let digest = Sha256::digest(shape.as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// Every role the rules name (lower case): the only roles a sync ever removes.
    pub fn managed_roles(&self) -> BTreeSet<String> {
        self.targets()
            .flat_map(|t| t.roles.iter().map(|r| r.to_lowercase()))
            .collect()
    }

    /// Every team the rules name (lower case): the only teams a sync ever removes users from.
    pub fn managed_teams(&self) -> BTreeSet<String> {
        self.targets()
            .flat_map(|t| t.teams.iter().map(|r| r.to_lowercase()))
            .collect()
    }

    /// Every business unit the rules name, as written (first spelling kept).
    pub fn business_units(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for b in self.targets().filter_map(|t| t.business_unit.clone()) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&b)) {
                out.push(b);
            }
        }
        out
    }

    /// Every group the rules test membership of, as written.
    pub fn groups(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(f) = &self.filter {
            f.groups(&mut out);
        }
        for p in &self.placements {
            if let Some(c) = &p.when {
                c.groups(&mut out);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;

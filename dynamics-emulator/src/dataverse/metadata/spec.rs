//! [`TableSpec`]: a table definition before its lookups are resolved into relationships, with a
//! small builder used by the built-in tables and by [`TableSeed`](crate::TableSeed).

use super::model::{AttrKind, OptionDef};

/// One target of a lookup column: the related table and the relationship's names.
#[derive(Debug, Clone)]
pub(crate) struct LookupTarget {
    /// Logical name of the related ("one") table.
    pub(crate) table: String,
    /// Relationship schema name (also the collection-valued navigation property on `table`).
    pub(crate) relationship: String,
    /// The single-valued navigation property on this table.
    pub(crate) single_nav: String,
}

/// A column before resolution.
#[derive(Debug, Clone)]
pub(crate) struct ColumnSpec {
    pub(crate) name: String,
    pub(crate) kind: AttrKind,
    pub(crate) max_length: Option<usize>,
    pub(crate) precision: Option<u8>,
    pub(crate) options: Vec<OptionDef>,
    pub(crate) read_only: bool,
    pub(crate) lookups: Vec<LookupTarget>,
    /// The English display name; empty for one derived from the logical name.
    pub(crate) display_name: String,
    /// Whether the column's options come from a global option set (its `GlobalOptionSet` is
    /// the same option set as its `OptionSet`).
    pub(crate) global_options: bool,
    /// Tables a lookup may also reference without a navigation property of its own (a team
    /// owner: `ownerid` navigates to users; a team is reached through `owningteam`).
    pub(crate) also_targets: Vec<String>,
}

/// A many-to-many relationship declared by its first table.
#[derive(Debug, Clone)]
pub(crate) struct ManyToManySpec {
    pub(crate) schema_name: String,
    pub(crate) intersect: String,
    /// The other table's logical name.
    pub(crate) other: String,
    /// Navigation property on this table.
    pub(crate) nav: String,
    /// Navigation property on the other table.
    pub(crate) other_nav: String,
}

/// A table before resolution.
#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    pub(crate) logical_name: String,
    pub(crate) entity_set: String,
    pub(crate) display_name: String,
    pub(crate) primary_name: Option<String>,
    pub(crate) object_type_code: i32,
    pub(crate) columns: Vec<ColumnSpec>,
    pub(crate) keys: Vec<(String, Vec<String>)>,
    pub(crate) many_to_many: Vec<ManyToManySpec>,
    pub(crate) change_tracking: bool,
    /// An elastic table (see `Table::elastic`).
    pub(crate) elastic: bool,
    pub(crate) is_custom: bool,
    pub(crate) is_activity: bool,
    pub(crate) computed_fullname: bool,
}

impl TableSpec {
    /// A table with its primary key column (`primary_id`) and, when given, a primary name column
    /// of type text.
    pub(crate) fn new(
        logical_name: &str,
        entity_set: &str,
        display_name: &str,
        primary_id: &str,
        primary_name: Option<(&str, usize)>,
        object_type_code: i32,
    ) -> Self {
        let mut spec = Self {
            logical_name: logical_name.to_owned(),
            entity_set: entity_set.to_owned(),
            display_name: display_name.to_owned(),
            primary_name: primary_name.map(|(name, _)| name.to_owned()),
            object_type_code,
            columns: Vec::new(),
            keys: Vec::new(),
            many_to_many: Vec::new(),
            change_tracking: false,
            elastic: false,
            is_custom: false,
            is_activity: false,
            computed_fullname: false,
        };
        spec.push(primary_id, AttrKind::Uniqueidentifier);
        if let Some((name, max)) = primary_name {
            spec = spec.text(name, max);
        }
        spec
    }

    fn push(&mut self, name: &str, kind: AttrKind) -> &mut ColumnSpec {
        self.columns.push(ColumnSpec {
            name: name.to_owned(),
            kind,
            max_length: None,
            precision: None,
            options: Vec::new(),
            read_only: false,
            lookups: Vec::new(),
            display_name: String::new(),
            global_options: false,
            also_targets: Vec::new(),
        });
        let last = self.columns.len() - 1;
        &mut self.columns[last]
    }

    /// A single line of text with a maximum length.
    pub(crate) fn text(mut self, name: &str, max_length: usize) -> Self {
        self.push(name, AttrKind::String).max_length = Some(max_length);
        self
    }

    /// Multiple lines of text with a maximum length.
    pub(crate) fn memo(mut self, name: &str, max_length: usize) -> Self {
        self.push(name, AttrKind::Memo).max_length = Some(max_length);
        self
    }

    /// A column of a kind without further settings (numbers, dates, GUIDs).
    pub(crate) fn column(mut self, name: &str, kind: AttrKind) -> Self {
        let precision = match kind {
            AttrKind::Money => Some(4),
            AttrKind::Decimal => Some(2),
            AttrKind::Double => Some(5),
            _ => None,
        };
        self.push(name, kind).precision = precision;
        self
    }

    /// Two options with their labels (`false` first).
    pub(crate) fn boolean(mut self, name: &str, false_label: &str, true_label: &str) -> Self {
        self.push(name, AttrKind::Boolean).options =
            vec![option(0, false_label, None), option(1, true_label, None)];
        self
    }

    /// A choice column.
    pub(crate) fn choice(mut self, name: &str, options: &[(i64, &str)]) -> Self {
        self.push(name, AttrKind::Picklist).options = options
            .iter()
            .map(|(value, label)| option(*value, label, None))
            .collect();
        self
    }

    /// `statecode` and `statuscode`: states, then status reasons with their state.
    pub(crate) fn status(mut self, states: &[(i64, &str)], reasons: &[(i64, &str, i64)]) -> Self {
        self.push("statecode", AttrKind::State).options = states
            .iter()
            .map(|(value, label)| option(*value, label, None))
            .collect();
        self.push("statuscode", AttrKind::Status).options = reasons
            .iter()
            .map(|(value, label, state)| option(*value, label, Some(*state)))
            .collect();
        self
    }

    /// A lookup to one table; the single-valued navigation property has the column's name.
    pub(crate) fn lookup(mut self, name: &str, target: &str, relationship: &str) -> Self {
        self.push(name, AttrKind::Lookup).lookups = vec![LookupTarget {
            table: target.to_owned(),
            relationship: relationship.to_owned(),
            single_nav: name.to_owned(),
        }];
        self
    }

    /// A lookup to several tables, each `(table, relationship, single-valued navigation)`.
    pub(crate) fn polymorphic(
        mut self,
        name: &str,
        kind: AttrKind,
        targets: &[(&str, &str, &str)],
    ) -> Self {
        self.push(name, kind).lookups = targets
            .iter()
            .map(|(table, relationship, nav)| LookupTarget {
                table: (*table).to_owned(),
                relationship: (*relationship).to_owned(),
                single_nav: (*nav).to_owned(),
            })
            .collect();
        self
    }

    /// Display names of columns, `(logical name, display name)`; unknown names are ignored.
    pub(crate) fn labels(mut self, labels: &[(&str, &str)]) -> Self {
        for (name, label) in labels {
            if let Some(column) = self.columns.iter_mut().find(|c| c.name == *name) {
                (*label).clone_into(&mut column.display_name);
            }
        }
        self
    }

    /// Marks a choice column whose options come from a global option set.
    pub(crate) fn global_options(mut self, name: &str) -> Self {
        if let Some(column) = self.columns.iter_mut().find(|c| c.name == name) {
            column.global_options = true;
        }
        self
    }

    /// Marks a column as set by the platform only.
    pub(crate) fn read_only(mut self, name: &str) -> Self {
        if let Some(column) = self.columns.iter_mut().find(|c| c.name == name) {
            column.read_only = true;
        }
        self
    }

    /// Whether `column` is one the platform adds to every table ([`audited`](Self::audited),
    /// [`standard`](Self::standard)) rather than one its maker defined: such a column is not a
    /// custom attribute even on a custom table.
    pub(crate) fn is_platform_column(column: &str) -> bool {
        matches!(
            column,
            "createdon"
                | "modifiedon"
                | "createdby"
                | "modifiedby"
                | "ownerid"
                | "owninguser"
                | "owningteam"
        )
    }

    /// The audit columns: `createdon`, `modifiedon`, `createdby` and `modifiedby`, all set by
    /// the platform.
    pub(crate) fn audited(self) -> Self {
        let logical = self.logical_name.clone();
        self.column("createdon", AttrKind::DateTime)
            .column("modifiedon", AttrKind::DateTime)
            .lookup(
                "createdby",
                "systemuser",
                &format!("lk_{logical}_createdby"),
            )
            .lookup(
                "modifiedby",
                "systemuser",
                &format!("lk_{logical}_modifiedby"),
            )
            .read_only("createdon")
            .read_only("modifiedon")
            .read_only("createdby")
            .read_only("modifiedby")
    }

    /// The audit columns plus the owner (a user-owned table): `ownerid`, a user or a team, and
    /// the read-only `owninguser` and `owningteam` the platform derives from it (one of them
    /// set, the other null).
    pub(crate) fn standard(self) -> Self {
        let set = self.entity_set.clone();
        let mut spec = self
            .audited()
            .polymorphic(
                "ownerid",
                AttrKind::Owner,
                &[("systemuser", &format!("owner_{set}"), "ownerid")],
            )
            .lookup("owninguser", "systemuser", &format!("user_{set}"))
            .lookup("owningteam", "team", &format!("team_{set}"))
            .read_only("owninguser")
            .read_only("owningteam")
            .labels(&[("owninguser", "Owning User"), ("owningteam", "Owning Team")]);
        if let Some(owner) = spec.columns.iter_mut().find(|c| c.name == "ownerid") {
            owner.also_targets.push("team".to_owned());
        }
        spec
    }

    /// An alternate key.
    pub(crate) fn key(mut self, name: &str, columns: &[&str]) -> Self {
        self.keys.push((
            name.to_owned(),
            columns.iter().map(|c| (*c).to_owned()).collect(),
        ));
        self
    }

    /// A many-to-many relationship to `other`.
    pub(crate) fn many_to_many(
        mut self,
        schema_name: &str,
        intersect: &str,
        other: &str,
        nav: &str,
        other_nav: &str,
    ) -> Self {
        self.many_to_many.push(ManyToManySpec {
            schema_name: schema_name.to_owned(),
            intersect: intersect.to_owned(),
            other: other.to_owned(),
            nav: nav.to_owned(),
            other_nav: other_nav.to_owned(),
        });
        self
    }

    /// Enables change tracking.
    pub(crate) fn tracked(mut self) -> Self {
        self.change_tracking = true;
        self
    }

    /// Marks an activity table (primary key `activityid`).
    pub(crate) fn activity(mut self) -> Self {
        self.is_activity = true;
        self
    }

    /// `fullname` is computed from `firstname` and `lastname` and read-only.
    pub(crate) fn computed_fullname(mut self) -> Self {
        self.computed_fullname = true;
        self.read_only("fullname")
    }
}

fn option(value: i64, label: &str, state: Option<i64>) -> OptionDef {
    OptionDef {
        value,
        label: label.to_owned(),
        state,
    }
}

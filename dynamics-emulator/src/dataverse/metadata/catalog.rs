//! [`Catalog`]: every table and relationship, with lookups by logical name, entity set name and
//! navigation property.

use std::collections::HashMap;

use uuid::Uuid;

use super::model::{AlternateKey, Attribute, ManyToMany, OneToMany, Table};
use super::option_sets::GlobalOptionSet;
use super::spec::TableSpec;
use crate::dataverse::ids::name_uuid;

/// A navigation property, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Navigation {
    /// Single-valued: this table is the "many" side of a one-to-many relationship.
    Single(usize),
    /// Collection-valued: this table is the "one" side of a one-to-many relationship.
    Collection(usize),
    /// Collection-valued, many-to-many; `first` when this table is the relationship's entity 1.
    ManyToMany {
        /// Index into [`Catalog::many_to_many`].
        rel: usize,
        /// Whether the navigating table is entity 1.
        first: bool,
    },
}

/// All table definitions and relationships.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) tables: Vec<Table>,
    pub(crate) one_to_many: Vec<OneToMany>,
    pub(crate) many_to_many: Vec<ManyToMany>,
    by_logical: HashMap<String, u16>,
    by_set: HashMap<String, u16>,
    navs: HashMap<(u16, String), Navigation>,
    /// Global option sets created through the Web API.
    pub(crate) option_sets: Vec<GlobalOptionSet>,
    /// How many `PublishXml` and `PublishAllXml` requests were accepted.
    pub(crate) publishes: u64,
}

impl Catalog {
    /// A catalog from table specs; lookups may point at any table in the list.
    pub(crate) fn from_specs(specs: Vec<TableSpec>) -> Result<Self, String> {
        let mut catalog = Self::default();
        let mut added = Vec::with_capacity(specs.len());
        for spec in &specs {
            added.push(catalog.add_table(spec)?);
        }
        for (spec, table) in specs.iter().zip(added) {
            catalog.resolve(table, spec)?;
        }
        Ok(catalog)
    }

    /// Adds one table whose lookups point at existing tables (or itself).
    pub(crate) fn add(&mut self, spec: &TableSpec) -> Result<u16, String> {
        for column in &spec.columns {
            for target in &column.lookups {
                if target.table != spec.logical_name && self.by_logical(&target.table).is_none() {
                    return Err(format!(
                        "lookup {} points at unknown table {}",
                        column.name, target.table
                    ));
                }
            }
        }
        for m2m in &spec.many_to_many {
            if self.by_logical(&m2m.other).is_none() && m2m.other != spec.logical_name {
                return Err(format!(
                    "relationship {} points at unknown table {}",
                    m2m.schema_name, m2m.other
                ));
            }
        }
        let snapshot = (
            self.tables.len(),
            self.one_to_many.len(),
            self.many_to_many.len(),
        );
        let index = self.add_table(spec)?;
        if let Err(error) = self.resolve(index, spec) {
            self.undo_to(snapshot);
            return Err(error);
        }
        Ok(index)
    }

    fn undo_to(&mut self, (tables, one_to_many, many_to_many): (usize, usize, usize)) {
        self.tables.truncate(tables);
        self.one_to_many.truncate(one_to_many);
        self.many_to_many.truncate(many_to_many);
        let live = |i: &u16| usize::from(*i) < tables;
        self.by_logical.retain(|_, i| live(i));
        self.by_set.retain(|_, i| live(i));
        self.navs.retain(|(i, _), nav| {
            live(i)
                && match nav {
                    Navigation::Single(r) | Navigation::Collection(r) => *r < one_to_many,
                    Navigation::ManyToMany { rel, .. } => *rel < many_to_many,
                }
        });
    }

    fn add_table(&mut self, spec: &TableSpec) -> Result<u16, String> {
        let name = spec.logical_name.as_str();
        if name.is_empty() || spec.entity_set.is_empty() {
            return Err("a table needs a logical name and an entity set name".to_owned());
        }
        if self.by_logical.contains_key(name) {
            return Err(format!("table {name} already exists"));
        }
        if self.by_set.contains_key(&spec.entity_set) {
            return Err(format!("entity set {} already exists", spec.entity_set));
        }
        let index = u16::try_from(self.tables.len()).map_err(|_| "too many tables".to_owned())?;
        let mut seen = std::collections::HashSet::new();
        let mut attributes = Vec::with_capacity(spec.columns.len());
        for column in &spec.columns {
            if !seen.insert(column.name.as_str()) {
                return Err(format!(
                    "column {} is declared twice in {name}",
                    column.name
                ));
            }
            attributes.push(Attribute {
                logical_name: column.name.clone(),
                kind: column.kind,
                max_length: column.max_length,
                precision: column.precision,
                options: column.options.clone(),
                targets: column
                    .lookups
                    .iter()
                    .map(|t| t.table.clone())
                    .chain(column.also_targets.iter().cloned())
                    .collect(),
                read_only: column.read_only,
                display_name: if column.display_name.is_empty() {
                    default_display_name(&column.name)
                } else {
                    column.display_name.clone()
                },
                global_options: column.global_options && column.kind.has_options(),
                metadata_id: name_uuid("attribute", &format!("{name}.{}", column.name)),
                defined: None,
            });
        }
        if attributes.len() > usize::from(u16::MAX) {
            return Err(format!("table {name} has too many columns"));
        }
        let primary_name = match &spec.primary_name {
            Some(primary) => Some(
                spec.columns
                    .iter()
                    .position(|c| &c.name == primary)
                    .and_then(|i| u16::try_from(i).ok())
                    .ok_or_else(|| format!("primary name column {primary} is missing"))?,
            ),
            None => None,
        };
        let mut table = Table::new(
            name.to_owned(),
            spec.entity_set.clone(),
            spec.display_name.clone(),
            attributes,
            primary_name,
            spec.object_type_code,
            name_uuid("table", name),
        );
        table.change_tracking = spec.change_tracking;
        table.elastic = spec.elastic;
        table.is_custom = spec.is_custom;
        table.is_activity = spec.is_activity;
        table.computed_fullname = spec.computed_fullname;
        for (key_name, columns) in &spec.keys {
            let attributes = columns
                .iter()
                .map(|c| {
                    table
                        .attribute_index(c)
                        .ok_or_else(|| format!("key {key_name} names unknown column {c}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if attributes.is_empty() {
                return Err(format!("key {key_name} has no columns"));
            }
            table.alternate_keys.push(AlternateKey {
                logical_name: key_name.clone(),
                schema_name: super::model::schema_name(key_name),
                attributes,
                metadata_id: name_uuid("key", &format!("{name}.{key_name}")),
            });
        }
        self.by_logical.insert(name.to_owned(), index);
        self.by_set.insert(spec.entity_set.clone(), index);
        self.tables.push(table);
        Ok(index)
    }

    fn resolve(&mut self, table: u16, spec: &TableSpec) -> Result<(), String> {
        for (column_index, column) in spec.columns.iter().enumerate() {
            let lookup = u16::try_from(column_index).map_err(|_| "too many columns".to_owned())?;
            for target in &column.lookups {
                let referenced = self
                    .by_logical(&target.table)
                    .ok_or_else(|| format!("unknown table {}", target.table))?;
                let rel = self.one_to_many.len();
                self.claim_nav(table, &target.single_nav, Navigation::Single(rel))?;
                self.claim_nav(
                    referenced,
                    &target.relationship,
                    Navigation::Collection(rel),
                )?;
                self.one_to_many.push(OneToMany {
                    schema_name: target.relationship.clone(),
                    referenced,
                    referencing: table,
                    lookup,
                    collection_nav: target.relationship.clone(),
                    single_nav: target.single_nav.clone(),
                    metadata_id: name_uuid("relationship", &target.relationship),
                    custom: false,
                });
            }
        }
        for column in &spec.columns {
            if let Some(unknown) = column
                .also_targets
                .iter()
                .find(|t| self.by_logical(t).is_none())
            {
                return Err(format!("unknown table {unknown}"));
            }
        }
        for m2m in &spec.many_to_many {
            let other = self
                .by_logical(&m2m.other)
                .ok_or_else(|| format!("unknown table {}", m2m.other))?;
            let rel = self.many_to_many.len();
            self.claim_nav(table, &m2m.nav, Navigation::ManyToMany { rel, first: true })?;
            if other != table || m2m.other_nav != m2m.nav {
                self.claim_nav(
                    other,
                    &m2m.other_nav,
                    Navigation::ManyToMany { rel, first: false },
                )?;
            }
            self.many_to_many.push(ManyToMany {
                schema_name: m2m.schema_name.clone(),
                intersect: m2m.intersect.clone(),
                entity1: table,
                entity2: other,
                nav1: m2m.nav.clone(),
                nav2: m2m.other_nav.clone(),
                metadata_id: name_uuid("relationship", &m2m.schema_name),
                custom: false,
            });
        }
        Ok(())
    }

    fn claim_nav(&mut self, table: u16, name: &str, nav: Navigation) -> Result<(), String> {
        let key = (table, name.to_owned());
        if self.navs.contains_key(&key)
            || self.tables[usize::from(table)]
                .attribute_index(name)
                .is_some_and(|i| {
                    !self.tables[usize::from(table)].attributes[usize::from(i)]
                        .kind
                        .is_lookup()
                })
        {
            return Err(format!(
                "navigation property {name} is already used on {}",
                self.tables[usize::from(table)].logical_name
            ));
        }
        self.navs.insert(key, nav);
        Ok(())
    }

    /// Adds a one-to-many relationship whose lookup column already is attribute `lookup` of
    /// `referencing`; claims both navigation properties. Returns its index.
    pub(crate) fn add_one_to_many(&mut self, relationship: OneToMany) -> Result<usize, String> {
        let rel = self.one_to_many.len();
        let (referenced, referencing) = (relationship.referenced, relationship.referencing);
        self.claim_nav(
            referencing,
            &relationship.single_nav,
            Navigation::Single(rel),
        )?;
        if let Err(error) = self.claim_nav(
            referenced,
            &relationship.collection_nav,
            Navigation::Collection(rel),
        ) {
            self.navs
                .remove(&(referencing, relationship.single_nav.clone()));
            return Err(error);
        }
        self.one_to_many.push(relationship);
        Ok(rel)
    }

    /// Adds a many-to-many relationship; claims both navigation properties. Returns its index.
    pub(crate) fn add_many_to_many(&mut self, relationship: ManyToMany) -> Result<usize, String> {
        let rel = self.many_to_many.len();
        let (one, two) = (relationship.entity1, relationship.entity2);
        self.claim_nav(
            one,
            &relationship.nav1,
            Navigation::ManyToMany { rel, first: true },
        )?;
        if (one != two || relationship.nav1 != relationship.nav2)
            && let Err(error) = self.claim_nav(
                two,
                &relationship.nav2,
                Navigation::ManyToMany { rel, first: false },
            )
        {
            self.navs.remove(&(one, relationship.nav1.clone()));
            return Err(error);
        }
        self.many_to_many.push(relationship);
        Ok(rel)
    }

    /// Removes one-to-many relationship `rel` and its navigation properties (not its lookup
    /// column); later relationships move down one place.
    pub(crate) fn remove_one_to_many(&mut self, rel: usize) -> OneToMany {
        let removed = self.one_to_many.remove(rel);
        self.navs.retain(|_, nav| match nav {
            Navigation::Single(r) | Navigation::Collection(r) => *r != rel,
            Navigation::ManyToMany { .. } => true,
        });
        for nav in self.navs.values_mut() {
            if let Navigation::Single(r) | Navigation::Collection(r) = nav
                && *r > rel
            {
                *r -= 1;
            }
        }
        removed
    }

    /// Removes many-to-many relationship `rel` and its navigation properties; later
    /// relationships move down one place (the caller drops its links).
    pub(crate) fn remove_many_to_many(&mut self, rel: usize) -> ManyToMany {
        let removed = self.many_to_many.remove(rel);
        self.navs.retain(|_, nav| match nav {
            Navigation::ManyToMany { rel: r, .. } => *r != rel,
            _ => true,
        });
        for nav in self.navs.values_mut() {
            if let Navigation::ManyToMany { rel: r, .. } = nav
                && *r > rel
            {
                *r -= 1;
            }
        }
        removed
    }

    /// Makes table `index` unreachable: no name, entity set or navigation property leads to
    /// it and listings skip it. Its slot stays so the indexes of other tables (held by rows,
    /// relationships and storage) do not move; the caller removes its relationships first.
    pub(crate) fn forget_table(&mut self, index: u16) {
        self.by_logical.retain(|_, i| *i != index);
        self.by_set.retain(|_, i| *i != index);
        self.navs.retain(|(i, _), _| *i != index);
    }

    /// Whether table `index` is still defined (not deleted through the Web API).
    pub(crate) fn is_live(&self, index: u16) -> bool {
        self.by_logical(&self.table(index).logical_name) == Some(index)
    }

    /// The defined tables, with their catalog indexes.
    pub(crate) fn live_tables(&self) -> impl Iterator<Item = (u16, &Table)> {
        self.tables
            .iter()
            .enumerate()
            .filter_map(|(i, t)| u16::try_from(i).ok().map(|i| (i, t)))
            .filter(|(i, _)| self.is_live(*i))
    }

    /// The table at a catalog index.
    pub(crate) fn table(&self, index: u16) -> &Table {
        &self.tables[usize::from(index)]
    }

    /// The table at a catalog index, to change its definition.
    pub(crate) fn table_mut(&mut self, index: u16) -> &mut Table {
        &mut self.tables[usize::from(index)]
    }

    /// A table by `MetadataId`.
    pub(crate) fn by_metadata_id(&self, id: Uuid) -> Option<u16> {
        self.live_tables()
            .find(|(_, t)| t.metadata_id == id)
            .map(|(i, _)| i)
    }

    /// A table by logical name.
    pub(crate) fn by_logical(&self, logical_name: &str) -> Option<u16> {
        self.by_logical.get(logical_name).copied()
    }

    /// A table by entity set name.
    pub(crate) fn by_set(&self, entity_set: &str) -> Option<u16> {
        self.by_set.get(entity_set).copied()
    }

    /// A navigation property of a table.
    pub(crate) fn navigation(&self, table: u16, name: &str) -> Option<Navigation> {
        self.navs.get(&(table, name.to_owned())).copied()
    }

    /// The table a navigation property leads to.
    pub(crate) fn nav_target(&self, nav: Navigation) -> u16 {
        match nav {
            Navigation::Single(rel) => self.one_to_many[rel].referenced,
            Navigation::Collection(rel) => self.one_to_many[rel].referencing,
            Navigation::ManyToMany { rel, first } => {
                let m2m = &self.many_to_many[rel];
                if first { m2m.entity2 } else { m2m.entity1 }
            }
        }
    }

    /// The table a reference bound through the single-valued navigation property of
    /// relationship `rel` names: the navigation's target, or another table its lookup column
    /// may also reference (a team in `ownerid`).
    pub(crate) fn bind_target(&self, rel: usize, named: u16) -> u16 {
        let relationship = &self.one_to_many[rel];
        let referencing = self.table(relationship.referencing);
        let also = referencing
            .attribute(relationship.lookup)
            .is_some_and(|a| a.targets.contains(&self.table(named).logical_name));
        if also { named } else { relationship.referenced }
    }

    /// The relationship whose single-valued navigation property a lookup column answers to
    /// when it points at `target`: the one to `target`, else the column's first (`ownerid`
    /// pointing at a team is still `ownerid`).
    pub(crate) fn lookup_navigation(&self, table: u16, lookup: u16, target: u16) -> Option<usize> {
        self.lookup_relationship(table, lookup, target).or_else(|| {
            self.one_to_many
                .iter()
                .position(|r| r.referencing == table && r.lookup == lookup)
        })
    }

    /// The relationship behind a lookup column pointing at `target`.
    pub(crate) fn lookup_relationship(
        &self,
        table: u16,
        lookup: u16,
        target: u16,
    ) -> Option<usize> {
        self.one_to_many
            .iter()
            .position(|r| r.referencing == table && r.lookup == lookup && r.referenced == target)
    }
}

/// A display name for a column without one: the well-known platform columns by name, else the
/// logical name with its first letter upper-cased.
fn default_display_name(logical_name: &str) -> String {
    let known = match logical_name {
        "createdon" => "Created On",
        "modifiedon" => "Modified On",
        "createdby" => "Created By",
        "modifiedby" => "Modified By",
        "ownerid" => "Owner",
        "statecode" => "Status",
        "statuscode" => "Status Reason",
        "transactioncurrencyid" => "Currency",
        "exchangerate" => "Exchange Rate",
        "name" => "Name",
        "fullname" => "Full Name",
        "firstname" => "First Name",
        "lastname" => "Last Name",
        "middlename" => "Middle Name",
        "description" => "Description",
        "emailaddress1" => "Email",
        "telephone1" => "Business Phone",
        "jobtitle" => "Job Title",
        "subject" => "Subject",
        "businessunitid" => "Business Unit",
        _ => return super::model::schema_name(logical_name),
    };
    known.to_owned()
}

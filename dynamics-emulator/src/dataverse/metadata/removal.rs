//! Deleting definitions through the Web API: `DELETE EntityDefinitions(…)`,
//! `…/Attributes(…)`, `…/Keys(…)` and `RelationshipDefinitions(…)`. Only what was created
//! through the Web API (custom) may go; what depends on a deleted definition goes with it
//! (a table's rows and relationships, a relationship's lookup column). Learn "Create and update
//! table definitions using the Web API" and "… table relationships …" show the DELETE
//! requests; the refusals and cascades are the service's documented rules for custom
//! components, their exact messages UNCONFIRMED.

use uuid::Uuid;

use crate::dataverse::state::DataverseStore;
use crate::dataverse::store::table::TableData;

/// Why a definition was not deleted.
#[derive(Debug)]
pub(crate) enum RemoveError {
    /// Nothing has that key.
    NotFound(&'static str),
    /// It exists but may not be deleted; the message says why.
    Refused(String),
}

/// Deletes custom table `table` with its rows and every relationship it takes part in
/// (lookup columns other tables have to it go too).
pub(crate) fn delete_table(store: &mut DataverseStore, table: u16) -> Result<(), RemoveError> {
    let definition = store.catalog.table(table);
    if !definition.is_custom {
        return Err(RemoveError::Refused(format!(
            "The table {} is a system table and cannot be deleted; only custom tables can.",
            definition.logical_name
        )));
    }
    while let Some(rel) = store
        .catalog
        .many_to_many
        .iter()
        .position(|r| r.entity1 == table || r.entity2 == table)
    {
        drop_many_to_many(store, rel);
    }
    while let Some(rel) = store
        .catalog
        .one_to_many
        .iter()
        .position(|r| r.referenced == table || r.referencing == table)
    {
        // The table's own lookup columns leave with it; others' lookups to it are dropped.
        let keep_column = store.catalog.one_to_many[rel].referencing == table;
        drop_one_to_many(store, rel, !keep_column);
    }
    let catalog = &mut store.catalog;
    catalog.forget_table(table);
    catalog.table_mut(table).bump_metadata_version();
    store.data.tables[usize::from(table)] = TableData::new(catalog.table(table));
    Ok(())
}

/// Deletes custom column `column` of `table`; a lookup takes its relationships with it.
pub(crate) fn delete_column(
    store: &mut DataverseStore,
    table: u16,
    column: u16,
) -> Result<(), RemoveError> {
    let definition = store.catalog.table(table);
    let attribute = definition
        .attribute(column)
        .ok_or(RemoveError::NotFound("Attributes"))?;
    let name = &attribute.logical_name;
    if *name == definition.primary_id || definition.primary_name == Some(column) {
        return Err(RemoveError::Refused(format!(
            "{name} is the primary {} column of {} and cannot be deleted; delete the table instead.",
            if *name == definition.primary_id {
                "key"
            } else {
                "name"
            },
            definition.logical_name
        )));
    }
    if !attribute.defined.as_ref().is_some_and(|d| d.custom) {
        return Err(RemoveError::Refused(format!(
            "{name} is a system column of {} and cannot be deleted; only custom columns can.",
            definition.logical_name
        )));
    }
    if let Some(key) = definition
        .alternate_keys
        .iter()
        .find(|k| k.attributes.contains(&column))
    {
        return Err(RemoveError::Refused(format!(
            "{name} is part of the alternate key {}; delete the key first.",
            key.logical_name
        )));
    }
    while let Some(rel) = store
        .catalog
        .one_to_many
        .iter()
        .position(|r| r.referencing == table && r.lookup == column)
    {
        drop_one_to_many(store, rel, false);
    }
    drop_column(store, table, column);
    Ok(())
}

/// Deletes alternate key `key` of `table`.
pub(crate) fn delete_key(store: &mut DataverseStore, table: u16, key: usize) {
    let definition = store.catalog.table_mut(table);
    definition.alternate_keys.remove(key);
    definition.bump_metadata_version();
    store.data.tables[usize::from(table)].drop_key(key);
}

/// Deletes the custom relationship with `MetadataId` `id`; a one-to-many takes its lookup
/// column with it.
pub(crate) fn delete_relationship(store: &mut DataverseStore, id: Uuid) -> Result<(), RemoveError> {
    let catalog = &store.catalog;
    if let Some(rel) = catalog.one_to_many.iter().position(|r| r.metadata_id == id) {
        let relationship = &catalog.one_to_many[rel];
        if !relationship.custom {
            return Err(refused_relationship(&relationship.schema_name));
        }
        drop_one_to_many(store, rel, true);
        return Ok(());
    }
    if let Some(rel) = catalog
        .many_to_many
        .iter()
        .position(|r| r.metadata_id == id)
    {
        let relationship = &catalog.many_to_many[rel];
        if !relationship.custom {
            return Err(refused_relationship(&relationship.schema_name));
        }
        drop_many_to_many(store, rel);
        return Ok(());
    }
    Err(RemoveError::NotFound("RelationshipDefinitions"))
}

fn refused_relationship(schema_name: &str) -> RemoveError {
    RemoveError::Refused(format!(
        "The relationship {schema_name} is a system relationship and cannot be deleted; only custom relationships can."
    ))
}

/// Removes one-to-many `rel`, and its lookup column when `with_lookup`.
fn drop_one_to_many(store: &mut DataverseStore, rel: usize, with_lookup: bool) {
    let removed = store.catalog.remove_one_to_many(rel);
    store
        .catalog
        .table_mut(removed.referenced)
        .bump_metadata_version();
    let shared = store
        .catalog
        .one_to_many
        .iter()
        .any(|r| r.referencing == removed.referencing && r.lookup == removed.lookup);
    if with_lookup && !shared {
        drop_column(store, removed.referencing, removed.lookup);
    } else {
        store
            .catalog
            .table_mut(removed.referencing)
            .bump_metadata_version();
    }
}

/// Removes many-to-many `rel` and its links.
fn drop_many_to_many(store: &mut DataverseStore, rel: usize) {
    let removed = store.catalog.remove_many_to_many(rel);
    if rel < store.data.links.len() {
        store.data.links.remove(rel);
    }
    for table in [removed.entity1, removed.entity2] {
        store.catalog.table_mut(table).bump_metadata_version();
    }
}

/// Removes column `column` from the definition and the rows, renumbering later columns in
/// rows and relationships. No relationship may still use the column.
fn drop_column(store: &mut DataverseStore, table: u16, column: u16) {
    let catalog = &mut store.catalog;
    let definition = catalog.table_mut(table);
    definition.remove_attribute(column);
    definition.bump_metadata_version();
    for relationship in &mut catalog.one_to_many {
        if relationship.referencing == table && relationship.lookup > column {
            relationship.lookup -= 1;
        }
    }
    store.data.tables[usize::from(table)].drop_column(column);
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::dataverse::metadata::columns::read_column;
    use crate::dataverse::metadata::create::{add_table, read_table};
    use crate::dataverse::metadata::relationships::{add_relationship, read_relationship};
    use crate::dataverse::seeding::ORG_IDS;
    use crate::dataverse::store::cell::{Cell, CellRef};
    use crate::dataverse::store::row::Row;

    fn label(text: &str) -> Value {
        json!({ "LocalizedLabels": [{ "Label": text, "LanguageCode": 1033 }] })
    }

    fn object(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().expect("an object").clone()
    }

    /// A store with custom table `new_thing` holding columns `new_a`, `new_b` and a lookup
    /// `new_accountid` to account.
    fn store_with_table() -> (DataverseStore, u16) {
        let mut store = DataverseStore::empty(ORG_IDS).expect("built-in tables");
        let body = object(json!({
            "SchemaName": "new_Thing", "DisplayName": label("Thing"), "DisplayCollectionName": label("Things"),
            "Attributes": [{ "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
                             "SchemaName": "new_Name", "IsPrimaryName": true, "DisplayName": label("Name") }],
        }));
        let new = read_table(&store.catalog, &body, None).expect("a table");
        let table = add_table(&mut store.catalog, new).expect("added");
        for name in ["new_A", "new_B"] {
            let column = object(
                json!({ "@odata.type": "Microsoft.Dynamics.CRM.IntegerAttributeMetadata",
                                        "SchemaName": name, "DisplayName": label(name) }),
            );
            let attribute = read_column(&store.catalog, &column, None).expect("a column");
            store
                .catalog
                .table_mut(table)
                .push_attribute(attribute)
                .expect("new name");
        }
        let relationship = object(json!({
            "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
            "SchemaName": "new_account_thing", "ReferencedEntity": "account", "ReferencingEntity": "new_thing",
            "Lookup": { "SchemaName": "new_AccountId", "DisplayName": label("Account") },
        }));
        let new = read_relationship(&store.catalog, &relationship).expect("a relationship");
        add_relationship(&mut store.catalog, new).expect("added");
        let DataverseStore { catalog, data, .. } = &mut store;
        data.catch_up(catalog);
        (store, table)
    }

    fn index(store: &DataverseStore, table: u16, name: &str) -> u16 {
        store
            .catalog
            .table(table)
            .attribute_index(name)
            .expect(name)
    }

    #[test]
    fn deleting_a_column_renumbers_rows_keys_and_lookups_and_bumps_the_version() {
        let (mut store, table) = store_with_table();
        let (a, b) = (index(&store, table, "new_a"), index(&store, table, "new_b"));
        let lookup = index(&store, table, "new_accountid");
        let account = Uuid::new_v4();
        let account_table = store.builtin("account");
        let id = Uuid::new_v4();
        let row = Row::new(
            7,
            [
                (a, Cell::Int(1)),
                (b, Cell::Int(2)),
                (
                    lookup,
                    Cell::Lookup {
                        id: account,
                        table: account_table,
                    },
                ),
            ],
        );
        store
            .data
            .put(&store.catalog, table, id, row)
            .expect("no key conflict");
        let key = crate::dataverse::metadata::model::AlternateKey {
            logical_name: "new_bkey".to_owned(),
            schema_name: "new_BKey".to_owned(),
            attributes: vec![b],
            metadata_id: Uuid::new_v4(),
        };
        store.catalog.table_mut(table).alternate_keys.push(key);
        store.data.tables[usize::from(table)]
            .index_new_key(store.catalog.table(table))
            .expect("unique");
        let before = store.catalog.table(table).metadata_version;
        assert!(matches!(
            delete_column(&mut store, table, b),
            Err(RemoveError::Refused(message)) if message.contains("new_bkey")
        ));
        delete_column(&mut store, table, a).expect("a custom column");
        assert!(store.catalog.table(table).metadata_version > before);
        assert_eq!(store.catalog.table(table).attribute_index("new_a"), None);
        let (b, lookup) = (
            index(&store, table, "new_b"),
            index(&store, table, "new_accountid"),
        );
        let row = store.data.row(table, id).expect("the row stays");
        assert_eq!(row.version, 7);
        assert_eq!(row.get(b), Some(CellRef::Int(2)));
        assert_eq!(row.get(lookup).and_then(CellRef::guid), Some(account));
        assert_eq!(
            store.catalog.table(table).alternate_keys[0].attributes,
            vec![b]
        );
        assert_eq!(store.data.table(table).find_by_key(0, "2"), Some(id));
        let rel = store
            .catalog
            .one_to_many
            .iter()
            .find(|r| r.schema_name == "new_account_thing")
            .expect("the relationship stays");
        assert_eq!(rel.lookup, lookup);
    }

    #[test]
    fn deleting_a_table_takes_its_relationships_and_rows_and_hides_it() {
        let (mut store, table) = store_with_table();
        let account = store.builtin("account");
        let before = store.catalog.table(account).metadata_version;
        let navs = store.catalog.navigation(account, "new_account_thing");
        assert!(navs.is_some());
        delete_table(&mut store, table).expect("a custom table");
        assert_eq!(store.catalog.by_logical("new_thing"), None);
        assert!(!store.catalog.is_live(table));
        assert!(store.catalog.live_tables().all(|(i, _)| i != table));
        assert_eq!(store.catalog.navigation(account, "new_account_thing"), None);
        assert!(
            store
                .catalog
                .one_to_many
                .iter()
                .all(|r| r.referencing != table && r.referenced != table)
        );
        assert!(store.catalog.table(account).metadata_version > before);
        assert!(store.data.table(table).rows.is_empty());
    }

    #[test]
    fn platform_definitions_are_refused() {
        let (mut store, table) = store_with_table();
        let account = store.builtin("account");
        assert!(matches!(
            delete_table(&mut store, account),
            Err(RemoveError::Refused(_))
        ));
        let name = index(&store, account, "name");
        assert!(matches!(
            delete_column(&mut store, account, name),
            Err(RemoveError::Refused(_))
        ));
        let primary = index(&store, table, "new_name");
        assert!(matches!(
            delete_column(&mut store, table, primary),
            Err(RemoveError::Refused(_))
        ));
        let created_on = index(&store, table, "createdon");
        assert!(matches!(
            delete_column(&mut store, table, created_on),
            Err(RemoveError::Refused(_))
        ));
        let builtin = store.catalog.one_to_many[0].metadata_id;
        assert!(matches!(
            delete_relationship(&mut store, builtin),
            Err(RemoveError::Refused(_))
        ));
        assert!(matches!(
            delete_relationship(&mut store, Uuid::new_v4()),
            Err(RemoveError::NotFound(_))
        ));
    }
}

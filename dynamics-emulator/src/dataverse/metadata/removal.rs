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

//! Table definitions: create a custom table with a few columns and an alternate key, publish
//! it, wait for the key's index, enable change tracking (irreversible), and print the
//! definition as the service reads it back.
//!
//! ```sh
//! cargo run --example table_definitions
//! ```
//! Against an org: the variables of `crud_and_query`, and optionally `DYNAMICS_TABLE_PREFIX`
//! (your solution publisher's customization prefix, `new` by default). A table that already
//! exists is reused, so the example can run twice.

mod common;

use dynamics_rs::dataverse::Expand;
use dynamics_rs::dataverse::metadata::{
    ChangeTrackingOutcome, ChoiceOption, ColumnDefinition, KeyDefinition, KeyWait, TableDefinition,
};

/// One result line: the label in a fixed-width column, then the value.
fn line(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<28} {value}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::dataverse::connect().await?;
    let metadata = target.client.metadata();
    let prefix = std::env::var("DYNAMICS_TABLE_PREFIX").unwrap_or_else(|_| "new".into());
    let table = format!("{prefix}_bankaccount");
    let number = format!("{prefix}_accountnumber");

    match metadata.table(&table).select(["LogicalName"]).await {
        Ok(_) => println!("{table} exists; reusing it"),
        Err(e) if e.is_not_found() => {
            let id = metadata
                .create_table(
                    &TableDefinition::new(
                        &format!("{prefix}_BankAccount"),
                        "Bank Account",
                        "Bank Accounts",
                    )
                    .description("Customer bank accounts")
                    .primary_name(&format!("{prefix}_AccountName"), "Account Name"),
                )
                .await?;
            println!("created {table} ({id})");
            for column in [
                ColumnDefinition::string(&format!("{prefix}_AccountNumber"), "Account Number", 34),
                ColumnDefinition::money(&format!("{prefix}_Balance"), "Balance"),
                ColumnDefinition::date_only(&format!("{prefix}_Opened"), "Opened"),
                ColumnDefinition::choice(
                    &format!("{prefix}_Kind"),
                    "Kind",
                    [
                        ChoiceOption::labelled("Savings"),
                        ChoiceOption::labelled("Checking"),
                    ],
                ),
            ] {
                metadata.add_column(&table, &column).await?;
                println!("added column {}", column.logical_name());
            }
            metadata
                .add_key(
                    &table,
                    &KeyDefinition::new(
                        &format!("{prefix}_AccountNumberKey"),
                        "Account number",
                        [number.as_str()],
                    ),
                )
                .await?;
            println!("added an alternate key on {number}");
        }
        Err(e) => return Err(e.into()),
    }
    metadata.publish(&[table.as_str()]).await?;
    let key = metadata
        .wait_for_key_active(
            &table,
            &format!("{prefix}_accountnumberkey"),
            KeyWait::default(),
        )
        .await?;
    println!("the key on {:?} is active", key.key_attributes);

    // Irreversible: once on, the service never turns change tracking off.
    match metadata.enable_change_tracking(&table).await? {
        ChangeTrackingOutcome::Enabled => println!("change tracking enabled and published"),
        ChangeTrackingOutcome::AlreadyEnabled => println!("change tracking was already on"),
        other => println!("change tracking: {other:?}"),
    }

    let definition = metadata
        .table(&table)
        .select([
            "LogicalName",
            "EntitySetName",
            "PrimaryNameAttribute",
            "OwnershipType",
            "ChangeTrackingEnabled",
        ])
        .expand(Expand::new("Attributes").select([
            "LogicalName",
            "AttributeType",
            "IsCustomAttribute",
        ]))
        .expand(Expand::new("Keys").select([
            "LogicalName",
            "KeyAttributes",
            "EntityKeyIndexStatus",
        ]))
        .await?;
    println!("{table}:");
    line(
        "entity set",
        definition.entity_set_name.as_deref().unwrap_or("?"),
    );
    line(
        "primary name",
        definition.primary_name_attribute.as_deref().unwrap_or("?"),
    );
    line(
        "ownership",
        definition
            .ownership_type
            .as_ref()
            .map_or("?", |o| o.as_str()),
    );
    line(
        "change tracking",
        definition.change_tracking_enabled.unwrap_or(false),
    );
    for column in definition.attributes.iter().filter(|a| {
        a.logical_name
            .as_deref()
            .is_some_and(|n| n.starts_with(&format!("{prefix}_")))
    }) {
        line(
            &format!("column {}", column.logical_name.as_deref().unwrap_or("?")),
            column.attribute_type.as_ref().map_or("?", |t| t.as_str()),
        );
    }
    for key in &definition.keys {
        line(
            &format!("key {}", key.logical_name.as_deref().unwrap_or("?")),
            format!(
                "{:?} {}",
                key.key_attributes,
                key.entity_key_index_status
                    .as_ref()
                    .map_or("?", |s| s.as_str())
            ),
        );
    }

    let csdl = metadata.csdl().await?;
    if let Some(set) = definition
        .entity_set_name
        .as_deref()
        .and_then(|s| csdl.entity_set(s))
    {
        line("CSDL change tracking", set.change_tracking);
    }
    println!("org version {}", target.client.version().await?);
    Ok(())
}

//! Workflow: define a custom table against the emulator (table, columns of each type, an
//! alternate key), publish, read the definitions back (columns, casts, options, the key
//! active), enable change tracking (a second call is a no-op), and find the new entity set
//! with change tracking in the CSDL document (`metadata_definitions`).

mod common;

use dynamics_rs::dataverse::Expand;
use dynamics_rs::dataverse::metadata::{
    AttributeCast, AttributeType, ChangeTrackingOutcome, ChoiceOption, ColumnDefinition,
    GlobalChoiceDefinition, GlobalOptionSetRef, KeyDefinition, KeyIndexStatus, KeyWait,
    RequiredLevel, TableDefinition,
};
use dynamics_rs::dataverse::{Filter, Record};

#[tokio::test]
async fn a_custom_table_is_defined_read_back_and_tracked() {
    let emulator = common::start().await;
    let client = common::dataverse_client(&emulator);
    let metadata = client.metadata();

    let table_id = metadata
        .create_table(
            &TableDefinition::new("new_BankAccount", "Bank Account", "Bank Accounts")
                .description("Customer bank accounts")
                .primary_name("new_AccountName", "Account Name"),
        )
        .await
        .expect("the table is created");

    let colors = metadata
        .create_global_choice(&GlobalChoiceDefinition::new(
            "new_Category",
            "Category",
            [
                ChoiceOption::labelled("Retail"),
                ChoiceOption::labelled("Business"),
            ],
        ))
        .await
        .expect("the global choice is created");
    let global = metadata
        .global_option_set("new_category")
        .await
        .expect("the global choice reads back");
    assert_eq!(global.metadata_id, Some(colors));
    assert!(
        metadata
            .global_option_sets()
            .await
            .expect("global choices")
            .iter()
            .any(|s| s.metadata_id == Some(colors))
    );
    let columns = [
        ColumnDefinition::string("new_AccountNumber", "Account Number", 20),
        ColumnDefinition::memo("new_Notes", "Notes", 2000),
        ColumnDefinition::integer("new_Branch", "Branch"),
        ColumnDefinition::big_int("new_Sequence", "Sequence"),
        ColumnDefinition::decimal("new_Rate", "Rate", 4),
        ColumnDefinition::double("new_Score", "Score", 2),
        ColumnDefinition::money("new_Balance", "Balance"),
        ColumnDefinition::boolean("new_Active", "Active", "Open", "Closed"),
        ColumnDefinition::date_only("new_Opened", "Opened"),
        ColumnDefinition::choice(
            "new_Kind",
            "Kind",
            [
                ChoiceOption::new(100000000, "Savings"),
                ChoiceOption::new(100000001, "Checking"),
            ],
        ),
        ColumnDefinition::global_choice("new_Category", "Category", GlobalOptionSetRef::Id(colors)),
    ];
    for column in &columns {
        metadata
            .add_column("new_bankaccount", column)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", column.schema_name));
    }
    metadata
        .add_key(
            table_id,
            &KeyDefinition::new(
                "new_AccountNumberKey",
                "Account number",
                ["new_accountnumber"],
            ),
        )
        .await
        .expect("the key is added");
    metadata
        .publish(&["new_bankaccount"])
        .await
        .expect("published");

    // The definition, by name and by id.
    let table = metadata
        .table("new_bankaccount")
        .expand(Expand::new("Attributes").select(["LogicalName", "AttributeType"]))
        .await
        .expect("the definition");
    assert_eq!(table.metadata_id, Some(table_id));
    assert_eq!(table.entity_set_name.as_deref(), Some("new_bankaccounts"));
    assert_eq!(table.is_custom_entity, Some(true));
    assert_eq!(table.change_tracking_enabled, Some(false));
    let kind_of = |name: &str| {
        table
            .attributes
            .iter()
            .find(|a| a.logical_name.as_deref() == Some(name))
            .and_then(|a| a.attribute_type.clone())
    };
    assert_eq!(kind_of("new_accountname"), Some(AttributeType::String));
    assert_eq!(kind_of("new_sequence"), Some(AttributeType::BigInt));
    assert_eq!(kind_of("new_balance"), Some(AttributeType::Money));
    assert_eq!(kind_of("new_kind"), Some(AttributeType::Picklist));
    let custom = metadata
        .tables()
        .select(["LogicalName"])
        .filter(Filter::eq("IsCustomEntity", true))
        .await
        .expect("custom tables");
    assert!(
        custom
            .iter()
            .any(|t| t.logical_name.as_deref() == Some("new_bankaccount"))
    );

    // Casts: the type's own properties and options.
    let texts = metadata
        .attributes("new_bankaccount")
        .cast(AttributeCast::String)
        .await
        .expect("text columns");
    let number = texts
        .iter()
        .find(|a| a.logical_name.as_deref() == Some("new_accountnumber"))
        .expect("the text column");
    assert_eq!(number.max_length(), Some(20));
    let kind = metadata
        .attribute("new_bankaccount", "new_kind")
        .picklist()
        .await
        .expect("the choice column");
    let options: Vec<(Option<i64>, Option<String>)> = kind
        .options()
        .into_iter()
        .map(|o| (o.value, o.label.and_then(|l| l.text().map(str::to_string))))
        .collect();
    assert_eq!(
        options,
        [
            (Some(100000000), Some("Savings".to_string())),
            (Some(100000001), Some("Checking".to_string()))
        ]
    );
    let category = metadata
        .attribute(table_id, "new_category")
        .picklist()
        .await
        .expect("the global choice column");
    assert_eq!(category.options().len(), 2);
    assert_eq!(category.options()[0].value, global.options[0].value);
    let active = metadata
        .attribute("new_bankaccount", "new_active")
        .cast(AttributeCast::Boolean)
        .await
        .expect("the yes/no column");
    let labels: Vec<String> = active
        .options()
        .into_iter()
        .filter_map(|o| o.label.and_then(|l| l.text().map(str::to_string)))
        .collect();
    assert_eq!(labels, ["Closed", "Open"]);

    // A column update: new label and required level, merged with the labels it had.
    metadata
        .update_column("new_bankaccount", "new_accountnumber", |c| {
            if let Some(name) = c.display_name.as_mut() {
                name.localized_labels[0].label = "IBAN".into();
            }
            if let Some(level) = c.required_level.as_mut() {
                level.value = RequiredLevel::ApplicationRequired;
            }
        })
        .await
        .expect("the column is updated");
    let updated = metadata
        .attribute("new_bankaccount", "new_accountnumber")
        .cast(AttributeCast::String)
        .await
        .expect("the updated column");
    assert_eq!(
        updated.display_name.as_ref().and_then(|l| l.text()),
        Some("IBAN")
    );
    assert_eq!(
        updated.required_level.as_ref().map(|l| l.value.clone()),
        Some(RequiredLevel::ApplicationRequired)
    );
    assert_eq!(updated.max_length(), Some(20), "the rest is unchanged");

    // The key, active and usable.
    let key = metadata
        .wait_for_key_active(
            "new_bankaccount",
            "new_accountnumberkey",
            KeyWait::default(),
        )
        .await
        .expect("the key is active");
    assert_eq!(key.entity_key_index_status, Some(KeyIndexStatus::Active));
    assert_eq!(key.key_attributes, ["new_accountnumber"]);
    assert_eq!(
        metadata.keys("new_bankaccount").await.expect("keys").len(),
        1
    );
    client
        .table("new_bankaccounts")
        .create(
            &Record::new()
                .with("new_accountname", "Everyday")
                .with("new_accountnumber", "NL-001"),
        )
        .await
        .expect("a row in the new table");

    // Change tracking: on once, then a no-op; the CSDL shows it.
    assert_eq!(
        metadata
            .enable_change_tracking("new_bankaccount")
            .await
            .expect("enabled"),
        ChangeTrackingOutcome::Enabled
    );
    assert_eq!(
        metadata
            .enable_change_tracking("new_bankaccount")
            .await
            .expect("no-op"),
        ChangeTrackingOutcome::AlreadyEnabled
    );
    let csdl = metadata.csdl().await.expect("the CSDL document");
    let set = csdl.entity_set("new_bankaccounts").expect("the new set");
    assert_eq!(set.entity_type, "new_bankaccount");
    assert!(set.change_tracking);
    assert_eq!(csdl.key_of_set("new_bankaccounts"), ["new_bankaccountid"]);
    let entity_type = csdl
        .entity_type_of_set("new_bankaccounts")
        .expect("its type");
    assert!(entity_type.property("new_balance").is_some());
    assert!(csdl.change_tracking_sets().any(|s| s == "new_bankaccounts"));

    let version = client.version().await.expect("the version");
    assert!(version.starts_with("9."), "{version}");
}

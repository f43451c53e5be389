//! Names of tables and columns created through the Web API: the schema name and its
//! customization prefix, the logical name, and the default entity set name.

/// Checks a custom component's `SchemaName` (`what` names it in errors): letters, digits and
/// underscores, starting with a letter, with a customization prefix `xxx_`. The prefix rule is
/// the publisher's (`CustomizationPrefix`: 2 to 8 letters or digits, starting with a letter,
/// not starting with "mscrm"; Learn "Create a solution publisher"); the emulator accepts any
/// such prefix, not only its default publisher's.
pub(crate) fn check_schema_name(schema_name: &str, what: &str) -> Result<(), String> {
    if schema_name.is_empty() {
        return Err(format!("The {what} needs a 'SchemaName'."));
    }
    let mut chars = schema_name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter
        || !schema_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "The SchemaName '{schema_name}' of the {what} is not valid: use letters, digits and \
             underscores, starting with a letter."
        ));
    }
    let prefix_ok = schema_name.split_once('_').is_some_and(|(prefix, rest)| {
        (2..=8).contains(&prefix.len())
            && prefix.chars().all(|c| c.is_ascii_alphanumeric())
            && !prefix.to_ascii_lowercase().starts_with("mscrm")
            && !rest.is_empty()
    });
    if !prefix_ok {
        return Err(format!(
            "The SchemaName '{schema_name}' of the custom {what} needs a customization prefix: \
             2 to 8 letters or digits and an underscore, such as 'new_{schema_name}'."
        ));
    }
    Ok(())
}

/// The logical name of a schema name: the same in lower case.
pub(crate) fn logical_name(schema_name: &str) -> String {
    schema_name.to_ascii_lowercase()
}

/// The default entity set name (and `LogicalCollectionName`) of a custom table: the English
/// plural of its logical name: "es" after s, x, z, ch and sh, "ies" for a "y" after a
/// consonant, else "s" (`new_bankaccount` → `new_bankaccounts`, as in the Learn example).
/// UNCONFIRMED: the docs show examples only, not the rule the service applies.
pub(crate) fn entity_set_name(logical_name: &str) -> String {
    let ends = |suffix: &str| logical_name.ends_with(suffix);
    if ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh") {
        return format!("{logical_name}es");
    }
    if let Some(stem) = logical_name.strip_suffix('y')
        && stem
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphabetic() && !"aeiou".contains(c))
    {
        return format!("{stem}ies");
    }
    format!("{logical_name}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_set_names_follow_english_plurals() {
        assert_eq!(entity_set_name("new_bankaccount"), "new_bankaccounts");
        assert_eq!(entity_set_name("new_box"), "new_boxes");
        assert_eq!(entity_set_name("new_status"), "new_statuses");
        assert_eq!(entity_set_name("new_branch"), "new_branches");
        assert_eq!(entity_set_name("new_category"), "new_categories");
        assert_eq!(entity_set_name("new_key"), "new_keys");
    }

    #[test]
    fn schema_names_need_a_prefix_of_two_to_eight_characters() {
        assert!(check_schema_name("new_BankAccount", "table").is_ok());
        assert!(check_schema_name("contoso1_Thing", "table").is_ok());
        for bad in [
            "BankAccount",
            "n_Thing",
            "toolongpfx_Thing",
            "new_",
            "mscrm_Thing",
            "1new_x",
            "new_a-b",
            "",
        ] {
            let error = check_schema_name(bad, "column").expect_err(bad);
            assert!(error.contains("column"), "{error}");
        }
    }

    #[test]
    fn logical_names_are_lower_case() {
        assert_eq!(logical_name("new_BankAccount"), "new_bankaccount");
    }
}

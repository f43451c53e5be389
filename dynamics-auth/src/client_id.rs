//! Application (client) ids: Entra client ids are GUIDs, so credentials take a [`Uuid`];
//! [`parse_client_id`] turns text from a config file or the environment into one.

use uuid::Uuid;

use crate::AuthError;

/// Where an application (client) id is found, for error messages.
pub(crate) const WHERE_TO_FIND: &str = "use the Application (client) ID GUID from the app \
     registration's Overview page (Entra admin center > App registrations)";

/// Parses an application (client) id, such as `51f81489-12ee-4a9e-aaae-a2591f45987d`.
///
/// Surrounding white space and braces (`{...}`, as some config files write GUIDs) are
/// accepted. Anything else that is not a GUID, and the all-zero GUID, is refused with an
/// error that says where the value is found: the app registration's Overview page,
/// "Application (client) ID". Catching a typo here beats an `AADSTS700016` from the service.
///
/// ```
/// let id = dynamics_auth::parse_client_id(" 51f81489-12ee-4a9e-aaae-a2591f45987d ").unwrap();
/// assert_eq!(id.to_string(), "51f81489-12ee-4a9e-aaae-a2591f45987d");
/// assert!(dynamics_auth::parse_client_id("my-app").is_err());
/// ```
pub fn parse_client_id(text: &str) -> Result<Uuid, AuthError> {
    let trimmed = text.trim();
    let unbraced = trimmed
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(trimmed);
    match Uuid::try_parse(unbraced) {
        Ok(id) => check_client_id(id),
        Err(_) => Err(AuthError::invalid("client id", text, WHERE_TO_FIND)),
    }
}

/// Refuses the all-zero GUID, which no app registration has (it is what `Uuid::default()`
/// or an unfilled template gives).
pub(crate) fn check_client_id(id: Uuid) -> Result<Uuid, AuthError> {
    if id.is_nil() {
        return Err(AuthError::invalid(
            "client id",
            id.to_string(),
            format!("the all-zero GUID is a placeholder; {WHERE_TO_FIND}"),
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_name_is_refused_with_where_to_find_the_id() {
        let err = parse_client_id("my-app").expect_err("not a guid");
        let text = err.to_string();
        assert!(text.contains("Application (client) ID"), "{text}");
        assert!(text.contains("Overview"), "{text}");
        assert!(text.contains("my-app"), "{text}");
    }

    #[test]
    fn white_space_braces_and_upper_case_are_accepted() {
        let want: Uuid = "51f81489-12ee-4a9e-aaae-a2591f45987d".parse().unwrap();
        for text in [
            "51f81489-12ee-4a9e-aaae-a2591f45987d",
            "  51F81489-12EE-4A9E-AAAE-A2591F45987D\n",
            "{51f81489-12ee-4a9e-aaae-a2591f45987d}",
        ] {
            assert_eq!(parse_client_id(text).expect(text), want, "{text}");
        }
    }

    #[test]
    fn the_nil_guid_and_blank_text_are_refused() {
        assert!(parse_client_id("00000000-0000-0000-0000-000000000000").is_err());
        assert!(parse_client_id("").is_err());
        assert!(parse_client_id("{}").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_text_parses_or_is_refused_without_panic(text in "\\PC{0,60}") {
            if let Ok(id) = parse_client_id(&text) {
                prop_assert!(!id.is_nil());
            }
        }

        #[test]
        fn every_non_nil_guid_round_trips(bytes in any::<[u8; 16]>()) {
            let id = Uuid::from_bytes(bytes);
            prop_assume!(!id.is_nil());
            prop_assert_eq!(parse_client_id(&id.to_string()).unwrap(), id);
            prop_assert_eq!(parse_client_id(&format!("{{{}}}", id.as_hyphenated())).unwrap(), id);
        }
    }
}

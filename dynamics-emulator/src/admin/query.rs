//! Query-string parameters, looked up without regard to case (as ASP.NET binds them).

/// Every value of a parameter, in order (`?environments=a&environments=b`).
pub(crate) fn values(query: Option<&str>, name: &str) -> Vec<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// The first value of a parameter, if it is present and not blank.
pub(crate) fn value(query: Option<&str>, name: &str) -> Option<String> {
    values(query, name)
        .into_iter()
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

/// Whether `validate=true` was given.
pub(crate) fn validate_only(query: Option<&str>) -> bool {
    value(query, "validate").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_in_any_case() {
        let query = Some("Validate=TRUE&environments=a&ENVIRONMENTS=b&api-version=");
        assert!(validate_only(query));
        assert_eq!(values(query, "environments"), ["a", "b"]);
        assert_eq!(value(query, "api-version"), None);
        assert!(!validate_only(None));
    }
}

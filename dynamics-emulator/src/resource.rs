//! Resource URIs (token audiences): how they are normalised and compared.

/// The form of a resource URI used in the `aud` claim: trimmed, without trailing slashes.
pub(crate) fn display_form(uri: &str) -> String {
    uri.trim().trim_end_matches('/').to_owned()
}

/// The key two resource URIs are compared by: [`display_form`], lower-cased.
/// `https://X.crm.dynamics.com/` and `https://x.crm.dynamics.com` are the same resource.
pub(crate) fn key(uri: &str) -> String {
    display_form(uri).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slashes_and_case_are_ignored() {
        assert_eq!(
            key("https://Contoso.crm.dynamics.com/"),
            "https://contoso.crm.dynamics.com"
        );
        assert_eq!(
            key("https://contoso.crm.dynamics.com//"),
            "https://contoso.crm.dynamics.com"
        );
        assert_eq!(display_form(" https://x/ "), "https://x");
    }
}

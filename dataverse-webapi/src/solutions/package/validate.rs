//! Input checks for a solution package: the rules Dataverse applies to names, prefixes and
//! versions, checked before anything is written.

use super::error::SolutionPackageError;

/// The longest unique name Dataverse accepts for a solution or publisher.
pub(crate) const MAX_UNIQUE_NAME: usize = 65;
/// The longest display name written.
pub(crate) const MAX_DISPLAY_NAME: usize = 256;
/// The longest role name (`role.name` holds 100 characters).
pub(crate) const MAX_ROLE_NAME: usize = 100;
const MAX_PRIVILEGE_NAME: usize = 100;

pub(crate) fn unique_name(what: &'static str, value: &str) -> Result<(), SolutionPackageError> {
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if first_ok && rest_ok && value.len() <= MAX_UNIQUE_NAME {
        Ok(())
    } else {
        Err(SolutionPackageError::UniqueName {
            what,
            value: cut(value),
        })
    }
}

/// `major.minor.build.revision`, each part a number that fits an `i32`.
pub(crate) fn version(value: &str) -> Result<(), SolutionPackageError> {
    let parts: Vec<&str> = value.split('.').collect();
    let ok = parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 10
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<i32>().is_ok()
        });
    if ok {
        Ok(())
    } else {
        Err(SolutionPackageError::Version { value: cut(value) })
    }
}

pub(crate) fn customization_prefix(value: &str) -> Result<(), SolutionPackageError> {
    let ok = (2..=8).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && !value.starts_with("mscrm");
    if ok {
        Ok(())
    } else {
        Err(SolutionPackageError::CustomizationPrefix { value: cut(value) })
    }
}

pub(crate) fn option_value_prefix(value: u32) -> Result<(), SolutionPackageError> {
    if (10_000..=99_999).contains(&value) {
        Ok(())
    } else {
        Err(SolutionPackageError::OptionValuePrefix { value })
    }
}

/// A display name: not blank, not too long, only characters XML 1.0 can carry.
pub(crate) fn display_name(
    what: &'static str,
    value: &str,
    max: usize,
) -> Result<(), SolutionPackageError> {
    let ok =
        !value.trim().is_empty() && value.chars().count() <= max && value.chars().all(xml_char);
    if ok {
        Ok(())
    } else {
        Err(SolutionPackageError::Name {
            what,
            value: cut(value),
            max,
        })
    }
}

pub(crate) fn privilege_name(role: &str, value: &str) -> Result<(), SolutionPackageError> {
    let ok = value.len() > 3
        && value.len() <= MAX_PRIVILEGE_NAME
        && value.starts_with("prv")
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SolutionPackageError::PrivilegeName {
            role: cut(role),
            value: cut(value),
        })
    }
}

/// Characters XML 1.0 allows in content: no C0 controls but tab, LF and CR; no U+FFFE/U+FFFF.
/// Values are also refused when XML would normalise them away (a bare CR in an attribute is
/// escaped by the writer, so it round-trips).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

pub(crate) fn cut(value: &str) -> String {
    value.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_follow_dataverse_rules() {
        assert!(unique_name("solution", "MarketplaceLeadWriter").is_ok());
        assert!(unique_name("solution", "_x1").is_ok());
        assert!(unique_name("solution", &"a".repeat(65)).is_ok());
        for bad in ["", "1abc", "has space", "dash-name", "é", &"a".repeat(66)] {
            assert!(unique_name("solution", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn versions_need_four_numbers() {
        assert!(version("1.0.0.0").is_ok());
        assert!(version("2147483647.0.0.1").is_ok());
        for bad in [
            "1.0",
            "1.0.0",
            "1.0.0.0.0",
            "1.a.0.0",
            "1..0.0",
            "2147483648.0.0.0",
            "+1.0.0.0",
            "",
        ] {
            assert!(version(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prefixes_are_checked() {
        assert!(customization_prefix("mlw").is_ok());
        assert!(customization_prefix("ab12").is_ok());
        for bad in ["a", "abcdefghi", "Abc", "1ab", "mscrmx", "a_b"] {
            assert!(customization_prefix(bad).is_err(), "{bad:?}");
        }
        assert!(option_value_prefix(10_000).is_ok());
        assert!(option_value_prefix(99_999).is_ok());
        assert!(option_value_prefix(9_999).is_err());
        assert!(option_value_prefix(100_000).is_err());
    }

    #[test]
    fn names_refuse_what_xml_cannot_carry() {
        assert!(display_name("role", "R&D <\"x\">", 100).is_ok());
        assert!(display_name("role", "tab\there", 100).is_ok());
        assert!(display_name("role", "nul\u{0}", 100).is_err());
        assert!(display_name("role", "  ", 100).is_err());
        assert!(display_name("role", &"x".repeat(101), 100).is_err());
        assert!(privilege_name("r", "prvCreateLead").is_ok());
        assert!(privilege_name("r", "prv").is_err());
        assert!(privilege_name("r", "CreateLead").is_err());
        assert!(privilege_name("r", "prv Create").is_err());
    }
}

//! Turning Entra ID's answers into the connector's typed errors: AADSTS500011 names the org
//! URL used and where to find the right one, AADSTS65001 carries the admin-consent link, a
//! refused refresh token asks for a new sign-in.

use dynamics_auth::{AuthError, EntraErrorKind};

use crate::error::FIND_ORG_URL;
use crate::{AccountId, ConnectorError, OrgUrl};

/// Where an error happened, for the messages.
pub(crate) struct ErrorContext<'a> {
    pub(crate) org_url: &'a OrgUrl,
    /// The admin-consent link for the customer's tenant.
    pub(crate) admin_consent_url: String,
}

/// The AADSTS number at the start of a redirect's `error_description` ("AADSTS500011: ...").
pub(crate) fn aadsts_in(description: &str) -> Option<u32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// An error that came back on the redirect (`?error=...&error_description=...`).
pub(crate) fn from_redirect(
    error: &str,
    description: &str,
    ctx: &ErrorContext<'_>,
) -> ConnectorError {
    let code = aadsts_in(description);
    match code {
        Some(500011) => wrong_resource(ctx),
        Some(65001) => consent_required(ctx),
        _ if error == "consent_required" => consent_required(ctx),
        _ => ConnectorError::SignInDenied {
            error: error.chars().take(100).collect(),
            description: description
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(1000)
                .collect(),
        },
    }
}

/// An error of the code exchange.
pub(crate) fn from_exchange(error: AuthError, ctx: &ErrorContext<'_>) -> ConnectorError {
    match error.kind() {
        Some(EntraErrorKind::ResourceNotFound) => wrong_resource(ctx),
        Some(EntraErrorKind::ConsentRequired) => consent_required(ctx),
        _ => ConnectorError::Auth(error),
    }
}

/// What a refresh's failure means.
pub(crate) enum RefreshFailure {
    /// The refresh token was refused: try the previous one, else sign in again.
    Refused(String),
    /// Anything else, already typed.
    Other(ConnectorError),
}

pub(crate) fn from_refresh(error: AuthError, ctx: &ErrorContext<'_>) -> RefreshFailure {
    match error.kind() {
        Some(
            EntraErrorKind::InvalidGrant
            | EntraErrorKind::RefreshTokenExpired
            | EntraErrorKind::InteractionRequired
            | EntraErrorKind::MfaRequired,
        ) => RefreshFailure::Refused(reason(&error)),
        Some(EntraErrorKind::ResourceNotFound) => RefreshFailure::Other(wrong_resource(ctx)),
        Some(EntraErrorKind::ConsentRequired) => RefreshFailure::Other(consent_required(ctx)),
        _ => RefreshFailure::Other(ConnectorError::Auth(error)),
    }
}

pub(crate) fn reauthorize(account: &AccountId, reason: String) -> ConnectorError {
    ConnectorError::ReauthorizationRequired {
        account: account.clone(),
        reason,
    }
}

/// Entra's code and first description line: never a token (the auth crate scrubs echoes).
fn reason(error: &AuthError) -> String {
    match error.entra() {
        Some(e) => {
            let code = e
                .aadsts()
                .map(|c| format!(", AADSTS{c}"))
                .unwrap_or_default();
            let first = e.description.lines().next().unwrap_or_default();
            format!(
                "{}{code}: {}",
                e.error,
                first.chars().take(300).collect::<String>()
            )
        }
        None => error.to_string(),
    }
}

fn wrong_resource(ctx: &ErrorContext<'_>) -> ConnectorError {
    ConnectorError::WrongResource {
        used_url: ctx.org_url.as_str().to_owned(),
        fix: FIND_ORG_URL.to_owned(),
    }
}

fn consent_required(ctx: &ErrorContext<'_>) -> ConnectorError {
    ConnectorError::ConsentRequired {
        admin_consent_url: ctx.admin_consent_url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(org: &OrgUrl) -> ErrorContext<'_> {
        ErrorContext {
            org_url: org,
            admin_consent_url: "https://login.microsoftonline.com/t/adminconsent?client_id=x"
                .into(),
        }
    }

    #[test]
    fn redirect_errors_become_typed_errors() {
        let org = OrgUrl::parse("https://typo.crm.dynamics.com").unwrap();
        let wrong = from_redirect(
            "invalid_resource",
            "AADSTS500011: The resource principal named https://typo.crm.dynamics.com was not found",
            &ctx(&org),
        );
        let text = wrong.to_string();
        assert!(text.contains("https://typo.crm.dynamics.com"), "{text}");
        assert!(
            text.contains("Environment URL") && text.contains("globaldisco"),
            "{text}"
        );
        assert!(matches!(
            from_redirect("consent_required", "AADSTS65001: not consented", &ctx(&org)),
            ConnectorError::ConsentRequired { .. }
        ));
        assert!(matches!(
            from_redirect("access_denied", "AADSTS65004: declined\r\nTrace ID: x", &ctx(&org)),
            ConnectorError::SignInDenied { description, .. } if !description.contains("Trace")
        ));
    }

    #[test]
    fn aadsts_codes_are_read_from_descriptions() {
        assert_eq!(aadsts_in("AADSTS65001: x"), Some(65001));
        assert_eq!(aadsts_in("nothing"), None);
    }
}

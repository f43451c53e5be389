//! The crate's one error type. No variant holds a token, a verifier or a client secret.

use dynamics_auth::AuthError;
use dynamics_store::StoreError;

use crate::AccountId;

/// Where to find the right org URL, for [`ConnectorError::WrongResource`].
pub(crate) const FIND_ORG_URL: &str = "use the environment's URL exactly as the customer's \
     Power Platform admin center shows it (Environments → the environment → Environment URL, \
     e.g. https://contoso.crm4.dynamics.com), or list the customer's environments with \
     `GET https://globaldisco.crm.dynamics.com/api/discovery/v2.0/Instances` (field `Url`); \
     then start the sign-in again with that URL";

/// Everything that can go wrong while signing a customer in or using their tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// Entra ID does not know the resource asked for in the customer's tenant (AADSTS500011):
    /// almost always a mistyped or wrong org URL, or an org in another tenant.
    #[error(
        "Entra ID does not know the resource {used_url} in the customer's tenant (AADSTS500011). To fix: {fix}"
    )]
    WrongResource {
        /// The org URL the sign-in used (the scope's resource).
        used_url: String,
        /// How to find the right URL.
        fix: String,
    },

    /// Nobody consented to the platform's app in the customer's tenant (AADSTS65001 or
    /// `consent_required`): an administrator must open the admin-consent link once.
    #[error(
        "the platform's application has no consent in the customer's tenant (AADSTS65001). To fix: ask an administrator of that tenant to open {admin_consent_url}, then sign in again"
    )]
    ConsentRequired {
        /// The link to send to the customer's administrator.
        admin_consent_url: String,
    },

    /// The stored refresh tokens were refused (`invalid_grant`: expired, revoked, password
    /// changed, ...): the customer must sign in again.
    #[error("account {account}: the customer must sign in again ({reason})")]
    ReauthorizationRequired {
        /// The connector account.
        account: AccountId,
        /// What Entra ID said (its error code and description, no token).
        reason: String,
    },

    /// The callback's `state` belongs to no pending sign-in: already used, expired and
    /// purged, or forged.
    #[error(
        "the callback's `state` matches no pending sign-in (already completed, expired or forged); start the sign-in again"
    )]
    UnknownState,

    /// The callback came to a browser session other than the one that started the sign-in
    /// (its session binding is missing or different): refused, since completing it would
    /// store one person's tokens under an account another person started (RFC 6749 §10.12).
    #[error(
        "the callback does not belong to the browser session that started this sign-in; start the sign-in again from the same browser"
    )]
    SessionMismatch,

    /// The account was signed in again to another org since this credential was made: its
    /// tokens are for that org, not for the one this credential (and its client) was made for.
    #[error(
        "account {account} is now signed in to {stored}, not {pinned}; make a new credential and client with `client_for`"
    )]
    OrgChanged {
        /// The connector account.
        account: AccountId,
        /// The org this credential was made for.
        pinned: String,
        /// The org the stored tokens are for now.
        stored: String,
    },

    /// A stored sign-in host is not one the platform trusts: the platform's client secret and
    /// the customer's tokens are not sent there.
    #[error(
        "account {account}: the stored sign-in host {host} is not a Microsoft sign-in host, the configured authority host or a trusted one; if it is genuine add it to `trusted_authority_hosts`, else sign the customer in again"
    )]
    UntrustedAuthorityHost {
        /// The connector account.
        account: AccountId,
        /// The host found.
        host: String,
    },

    /// Redeeming the refresh token took longer than the refresh lease allows; it was
    /// abandoned before another worker could take the lease over.
    #[error("account {account}: refreshing its tokens took longer than {after:?}; try again")]
    RefreshTimedOut {
        /// The connector account.
        account: AccountId,
        /// The time allowed.
        after: std::time::Duration,
    },

    /// The pending sign-in expired before the callback came.
    #[error(
        "the sign-in for account {account} expired before the customer came back; start it again"
    )]
    SignInExpired {
        /// The connector account.
        account: AccountId,
    },

    /// The sign-in came back with an error other than the ones above.
    #[error("the sign-in was not completed: {error}: {description}")]
    SignInDenied {
        /// The OAuth `error` value (`access_denied`, ...).
        error: String,
        /// Entra's description (first line only).
        description: String,
    },

    /// The callback carries neither `code` nor `error`.
    #[error(
        "the callback carries neither `code` nor `error`; pass the callback's full query string"
    )]
    MalformedCallback,

    /// A value given by the caller is not usable; `fix` says what to change.
    #[error("invalid {what} `{value}`: {fix}")]
    Invalid {
        /// Which value.
        what: &'static str,
        /// The value given (never a secret).
        value: String,
        /// What to change.
        fix: String,
    },

    /// No account with this id in the store.
    #[error("no connector account {0} in the token store; sign the customer in first")]
    UnknownAccount(AccountId),

    /// A token was asked for a resource other than the account's org: refused, so that the
    /// customer's bearer token only ever goes to their own org.
    #[error("account {account} is signed in to {org_url}; a token for `{requested}` is refused")]
    ForeignResource {
        /// The connector account.
        account: AccountId,
        /// The account's org.
        org_url: String,
        /// The scope asked for.
        requested: String,
    },

    /// The stored tokens were encrypted with another key than the one given.
    #[error(
        "account {account}: the stored tokens were encrypted with another key (key id {found}, this key's id {expected}); open the store with the key used to write them"
    )]
    WrongKey {
        /// The connector account (or the pending sign-in's account).
        account: AccountId,
        /// The key id stored with the row.
        found: String,
        /// The id of the key given.
        expected: String,
    },

    /// Stored ciphertext did not authenticate under the right key: the row was altered or
    /// copied from another account.
    #[error(
        "account {account}: the stored token does not authenticate (altered, or moved from another account); delete the account and sign the customer in again"
    )]
    Tampered {
        /// The connector account.
        account: AccountId,
    },

    /// Another worker holds the refresh lease for longer than allowed.
    #[error("account {0}: another worker is refreshing its tokens and has not finished; try again")]
    RefreshBusy(AccountId),

    /// Sign-in failed in a way the variants above do not cover.
    #[error(transparent)]
    Auth(#[from] AuthError),

    /// The token store failed.
    #[error("token store: {0}")]
    Store(#[from] StoreError),
}

impl ConnectorError {
    pub(crate) fn invalid(
        what: &'static str,
        value: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        ConnectorError::Invalid {
            what,
            value: value.into(),
            fix: fix.into(),
        }
    }

    /// `true` when the customer must go through the sign-in again.
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            ConnectorError::ReauthorizationRequired { .. }
                | ConnectorError::SignInExpired { .. }
                | ConnectorError::UnknownState
                | ConnectorError::SessionMismatch
                | ConnectorError::Tampered { .. }
        )
    }

    /// `true` when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ConnectorError::Auth(e) => e.is_retryable(),
            ConnectorError::RefreshBusy(_)
            | ConnectorError::RefreshTimedOut { .. }
            | ConnectorError::Store(_) => true,
            _ => false,
        }
    }
}

impl From<ConnectorError> for azure_core::Error {
    fn from(error: ConnectorError) -> Self {
        azure_core::Error::new(azure_core::error::ErrorKind::Credential, error)
    }
}

impl ConnectorError {
    /// Finds the `ConnectorError` inside an `azure_core::Error` returned by an account's
    /// credential (for example inside a Dataverse client's error).
    pub fn from_azure(error: &azure_core::Error) -> Option<&ConnectorError> {
        error.downcast_ref::<ConnectorError>()
    }
}

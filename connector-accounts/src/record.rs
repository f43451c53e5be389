//! What the token store keeps: one [`StoredAccount`] per connector account, and one
//! [`PendingSignIn`] per sign-in between `begin` and the callback.

use std::fmt;

use dynamics_auth::Secret;
use time::OffsetDateTime;

use crate::{AccountId, OrgUrl};

/// Whether an account's tokens still work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    /// Tokens are usable.
    Active,
    /// Entra ID refused both stored refresh tokens: the customer must sign in again.
    ReauthorizationRequired,
}

impl AccountStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::ReauthorizationRequired => "reauthorization_required",
        }
    }

    /// Unknown values (from a newer build) read as `Active`, so the next refresh decides.
    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "reauthorization_required" => AccountStatus::ReauthorizationRequired,
            _ => AccountStatus::Active,
        }
    }
}

/// An access token kept with the account, so every worker can use it until it expires.
#[derive(Clone)]
pub struct CachedAccessToken {
    /// The bearer token.
    pub token: Secret,
    /// When it expires.
    pub expires_on: OffsetDateTime,
}

/// A worker's claim on refreshing an account, so that two workers never redeem the same
/// refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshLease {
    /// Who holds it (a random id per credential).
    pub owner: String,
    /// When it lapses if the holder dies.
    pub until: OffsetDateTime,
}

/// One signed-in customer connection.
///
/// Every change is a compare-and-swap on [`version`](Self::version) through
/// [`TokenStore::rotate`](crate::TokenStore::rotate).
#[derive(Clone)]
pub struct StoredAccount {
    /// The connector account.
    pub id: AccountId,
    /// The customer's org (the only resource its tokens are used for).
    pub org_url: OrgUrl,
    /// Where its tokens come from: the authority host (`https://login.microsoftonline.com/`)...
    pub authority_host: String,
    /// ... and the customer's tenant (GUID, domain, or `organizations` when unknown).
    pub tenant: String,
    /// The scopes of the sign-in (space-separated when stored).
    pub scopes: Vec<String>,
    /// The newest refresh token.
    pub refresh_token: Secret,
    /// The refresh token redeemed to obtain [`refresh_token`](Self::refresh_token), kept
    /// until the newest one has been redeemed successfully once; tried when the newest one
    /// is refused.
    pub previous_refresh_token: Option<Secret>,
    /// The newest access token.
    pub access_token: Option<CachedAccessToken>,
    /// Whether the tokens still work.
    pub status: AccountStatus,
    /// The refresh in progress, if any.
    pub lease: Option<RefreshLease>,
    /// Bumped by every write.
    pub version: i64,
    /// A random id given to each sign-in: every compare-and-swap also checks it, so a write
    /// meant for an account that was deleted and signed in again (whose version restarts)
    /// never lands on the new one.
    pub sign_in_id: String,
    /// When the row was last written.
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for StoredAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredAccount")
            .field("id", &self.id)
            .field("org_url", &self.org_url.as_str())
            .field("authority_host", &self.authority_host)
            .field("tenant", &self.tenant)
            .field("scopes", &self.scopes)
            .field("refresh_token", &"<redacted>")
            .field(
                "previous_refresh_token",
                &self.previous_refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "access_token",
                &self.access_token.as_ref().map(|t| t.expires_on),
            )
            .field("status", &self.status)
            .field("lease", &self.lease)
            .field("version", &self.version)
            .field("sign_in_id", &self.sign_in_id)
            .finish()
    }
}

/// What [`TokenStore::list`](crate::TokenStore::list) shows of an account: no tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// The connector account.
    pub id: AccountId,
    /// The customer's org.
    pub org_url: OrgUrl,
    /// The customer's tenant.
    pub tenant: String,
    /// Whether its tokens still work.
    pub status: AccountStatus,
    /// When it was last written.
    pub updated_at: OffsetDateTime,
}

impl From<&StoredAccount> for AccountSummary {
    fn from(account: &StoredAccount) -> Self {
        AccountSummary {
            id: account.id.clone(),
            org_url: account.org_url.clone(),
            tenant: account.tenant.clone(),
            status: account.status,
            updated_at: account.updated_at,
        }
    }
}

/// A sign-in between `begin` and its callback: found again by the SHA-256 of its `state`.
#[derive(Clone)]
pub struct PendingSignIn {
    /// SHA-256 of the `state` sent (the state itself is not stored).
    pub state_hash: [u8; 32],
    /// The connector account being signed in.
    pub account: AccountId,
    /// The customer's org.
    pub org_url: OrgUrl,
    /// The authority host the sign-in went to.
    pub authority_host: String,
    /// The tenant the sign-in went to.
    pub tenant: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The PKCE verifier.
    pub pkce_verifier: Secret,
    /// SHA-256 of the session binding handed to the browser that started the sign-in (see
    /// [`StartedSignIn::session_binding`](crate::StartedSignIn::session_binding)).
    pub session_binding_hash: [u8; 32],
    /// When the pending sign-in lapses.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("account", &self.account)
            .field("org_url", &self.org_url.as_str())
            .field("tenant", &self.tenant)
            .field("pkce_verifier", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

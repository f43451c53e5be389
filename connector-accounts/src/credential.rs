//! [`AccountCredential`]: one customer's tokens as a `TokenCredential`, refreshed through the
//! store so that any number of workers share one rotation.
//!
//! The protocol, per refresh:
//! 1. A stored access token that is still valid (less the margin) is used as is.
//! 2. Otherwise the worker claims a refresh lease by compare-and-swap on the account's
//!    version; a worker that loses waits for the winner's token instead of redeeming the same
//!    refresh token (which would spend it twice).
//! 3. The newest refresh token is redeemed; if Entra ID refuses it (`invalid_grant`), the
//!    previous one is tried: it is kept until the newest has been redeemed successfully once,
//!    so a crash between receiving a rotated token and storing it, or a stored token that
//!    never worked, does not lose the account. Entra ID does not revoke a refresh token when
//!    it is redeemed (learn.microsoft.com/entra/identity-platform/refresh-tokens: "doesn't
//!    revoke old refresh tokens when used to fetch new access tokens"), so the stored one
//!    still works after such a crash. A server that spends tokens on first use (the emulator)
//!    cannot be protected against that crash by any client.
//! 4. The new refresh token, the redeemed one (as previous) and the access token are stored
//!    in one compare-and-swap that also releases the lease.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dynamics_auth::{
    AccessToken, Authority, RefreshTokenCredential, Secret, TokenCredential, TokenRequestOptions,
    scopes,
};
use rand::RngCore as _;

use crate::app::AppCredential;
use crate::entra_errors::{self, ErrorContext, RefreshFailure};
use crate::sign_in::Shared;
use crate::{
    AccountId, AccountStatus, CachedAccessToken, ConnectorError, OrgUrl, RefreshLease,
    StoredAccount, tokens,
};

/// How often a worker waiting for another's refresh looks again.
const WAIT_STEP: Duration = Duration::from_millis(50);

/// A signed-in customer's credential: tokens for their org only, refreshed silently.
/// Cheap to clone; clones share one in-process lock.
#[derive(Clone)]
pub struct AccountCredential {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    account: AccountId,
    org_url: OrgUrl,
    /// This credential's lease owner id.
    owner: String,
    /// One refresh at a time in this process; other processes are kept out by the lease.
    local: tokio::sync::Mutex<()>,
}

impl AccountCredential {
    pub(crate) fn new(shared: Arc<Shared>, account: AccountId, org_url: OrgUrl) -> Self {
        let mut id = [0u8; 8];
        rand::rng().fill_bytes(&mut id);
        AccountCredential {
            inner: Arc::new(Inner {
                shared,
                account,
                org_url,
                owner: id.iter().map(|b| format!("{b:02x}")).collect(),
                local: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The connector account.
    pub fn account(&self) -> &AccountId {
        &self.inner.account
    }

    /// The customer's org: the only resource this credential gives tokens for.
    pub fn org_url(&self) -> &OrgUrl {
        &self.inner.org_url
    }

    /// An access token for the account's org, from the store or refreshed.
    pub async fn access_token(&self) -> Result<AccessToken, ConnectorError> {
        let inner = &self.inner;
        let shared = &inner.shared;
        let _local = inner.local.lock().await;
        let margin = shared.options.refresh_margin;
        let give_up = shared.now() + shared.options.refresh_lease * 2;
        loop {
            let stored = shared
                .store
                .load(&inner.account)
                .await?
                .ok_or_else(|| ConnectorError::UnknownAccount(inner.account.clone()))?;
            let now = shared.now();
            if stored.status == AccountStatus::ReauthorizationRequired {
                return Err(entra_errors::reauthorize(
                    &inner.account,
                    "an earlier refresh was refused".into(),
                ));
            }
            if let Some(access) = &stored.access_token
                && access.expires_on - margin > now
            {
                return Ok(AccessToken::new(access.token.clone(), access.expires_on));
            }
            // Bounds both waiting for another worker's lease and losing compare-and-swaps.
            if now > give_up {
                return Err(ConnectorError::RefreshBusy(inner.account.clone()));
            }
            if stored
                .lease
                .as_ref()
                .is_some_and(|l| l.until > now && l.owner != inner.owner)
            {
                shared
                    .options
                    .credential_options
                    .clock
                    .sleep(WAIT_STEP)
                    .await;
                continue;
            }
            let mut claimed = stored.clone();
            claimed.lease = Some(RefreshLease {
                owner: inner.owner.clone(),
                until: now + shared.options.refresh_lease,
            });
            claimed.updated_at = now;
            if !shared.store.rotate(stored.version, &claimed).await? {
                continue; // Another worker wrote first: look again.
            }
            claimed.version = stored.version + 1;
            return self.refresh(claimed).await;
        }
    }

    /// Redeems the newest refresh token (then the previous one) while holding the lease.
    async fn refresh(&self, claimed: StoredAccount) -> Result<AccessToken, ConnectorError> {
        let shared = &self.inner.shared;
        let ctx = ErrorContext {
            org_url: &claimed.org_url,
            admin_consent_url: shared.admin_consent_url(&claimed.authority_host, &claimed.tenant),
        };
        let first = self.redeem(&claimed, &claimed.refresh_token).await;
        let (used, outcome) = match first {
            Ok(outcome) => (claimed.refresh_token.clone(), outcome),
            Err(error) => match entra_errors::from_refresh(error, &ctx) {
                RefreshFailure::Refused(reason) => match &claimed.previous_refresh_token {
                    Some(previous) => match self.redeem(&claimed, previous).await {
                        Ok(outcome) => {
                            tracing::warn!(account = %claimed.id, %reason, "the newest refresh token was refused; the previous one worked");
                            (previous.clone(), outcome)
                        }
                        Err(error) => {
                            return Err(match entra_errors::from_refresh(error, &ctx) {
                                RefreshFailure::Refused(reason) => {
                                    self.give_up(claimed, reason).await
                                }
                                RefreshFailure::Other(error) => self.release(claimed, error).await,
                            });
                        }
                    },
                    None => return Err(self.give_up(claimed, reason).await),
                },
                RefreshFailure::Other(error) => return Err(self.release(claimed, error).await),
            },
        };
        let (access, rotated) = outcome;
        let mut next = claimed.clone();
        next.access_token = Some(CachedAccessToken {
            token: access.token.clone(),
            expires_on: access.expires_on,
        });
        if rotated.secret() != used.secret() {
            // `used` has just worked once: it becomes the fallback for the new one.
            next.previous_refresh_token = Some(used);
            next.refresh_token = rotated;
        }
        next.lease = None;
        next.updated_at = shared.now();
        if !shared.store.rotate(claimed.version, &next).await? {
            // Our lease lapsed and another worker took over; its tokens are stored, ours are
            // still good for this call.
            tracing::warn!(account = %claimed.id, "refresh lease lapsed before the rotated token was stored");
        }
        Ok(access)
    }

    /// One redemption of `refresh_token`: the access token and the (rotated) refresh token.
    async fn redeem(
        &self,
        account: &StoredAccount,
        refresh_token: &Secret,
    ) -> Result<(AccessToken, Secret), dynamics_auth::AuthError> {
        let shared = &self.inner.shared;
        let authority = Authority::with_host(&account.authority_host, &account.tenant)?;
        let credential = RefreshTokenCredential::new(
            authority,
            shared.app.client_id,
            refresh_token.clone(),
            shared.options.credential_options.clone(),
        )?;
        let credential = match &shared.app.credential {
            AppCredential::Secret(secret) => credential.with_client_secret(secret.clone()),
            AppCredential::Certificate(cert) => credential.with_client_certificate(cert.clone()),
        };
        let resource_scopes = tokens::resource_scopes(&account.scopes);
        let scopes: Vec<&str> = resource_scopes.iter().map(String::as_str).collect();
        let access = credential
            .get_token(&scopes, None)
            .await
            .map_err(|e| tokens::auth_error(&e))?;
        Ok((access, credential.refresh_token().await))
    }

    /// Marks the account as needing a new sign-in and says so.
    async fn give_up(&self, claimed: StoredAccount, reason: String) -> ConnectorError {
        let shared = &self.inner.shared;
        let mut next = claimed.clone();
        next.status = AccountStatus::ReauthorizationRequired;
        next.access_token = None;
        next.lease = None;
        next.updated_at = shared.now();
        if let Err(error) = shared.store.rotate(claimed.version, &next).await {
            tracing::warn!(account = %claimed.id, %error, "could not mark the account for re-authorization");
        }
        tracing::warn!(account = %claimed.id, %reason, "refresh tokens refused; the customer must sign in again");
        entra_errors::reauthorize(&claimed.id, reason)
    }

    /// Releases the lease after a failure that says nothing about the tokens.
    async fn release(&self, claimed: StoredAccount, error: ConnectorError) -> ConnectorError {
        let shared = &self.inner.shared;
        let mut next = claimed.clone();
        next.lease = None;
        next.updated_at = shared.now();
        if let Err(store_error) = shared.store.rotate(claimed.version, &next).await {
            tracing::warn!(account = %claimed.id, error = %store_error, "could not release the refresh lease");
        }
        error
    }

    /// Refuses scopes for any resource but the account's org.
    fn check_scopes(&self, requested: &[&str]) -> Result<(), ConnectorError> {
        for scope in requested {
            if let Some(resource) = scopes::resource_of(scope)
                && !self.inner.org_url.is_resource(resource)
            {
                return Err(ConnectorError::ForeignResource {
                    account: self.inner.account.clone(),
                    org_url: self.inner.org_url.to_string(),
                    requested: (*scope).chars().take(200).collect(),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for AccountCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountCredential")
            .field("account", &self.inner.account)
            .field("org_url", &self.inner.org_url.as_str())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for AccountCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.check_scopes(scopes)?;
        Ok(self.access_token().await?)
    }
}

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
//!    Both redemptions together are bounded by half the lease, so the lease never lapses
//!    while a token is in flight.
//! 4. The new refresh token, the redeemed one (as previous) and the access token are stored
//!    in one compare-and-swap that also releases the lease. If that swap loses (the row was
//!    written meanwhile) and the row still holds the tokens that were redeemed, the rotated
//!    ones are written on top rather than dropped.

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

/// The time one refresh may take: half the lease, leaving the other half for the store
/// writes before the lease lapses.
fn redemption_budget(lease: Duration) -> Duration {
    lease / 2
}

/// What redeeming the stored refresh tokens gave.
enum Redeemed {
    /// Tokens, and the refresh token that gave them.
    Tokens {
        used: Secret,
        outcome: (AccessToken, Secret),
    },
    /// The only stored refresh token was refused.
    Refused(String),
    /// Anything else (the previous token's refusal included: classified by the caller).
    Failed(ConnectorError),
}

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
            if stored.org_url != inner.org_url {
                // Signed in again to another org: its tokens must not go to this one's host.
                return Err(ConnectorError::OrgChanged {
                    account: inner.account.clone(),
                    pinned: inner.org_url.to_string(),
                    stored: stored.org_url.to_string(),
                });
            }
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
        // The row's sign-in host decides where the refresh token and the platform's secret
        // go: never a host the platform does not trust, whatever the store says.
        if let Err(error) = shared.check_authority_host(&claimed.id, &claimed.authority_host) {
            return Err(self.release(claimed, error).await);
        }
        // Both redemptions, retries included, end well before the lease lapses: past it,
        // another worker may redeem the same token (and a server that spends tokens on first
        // use would then refuse one of the two rotations).
        let budget = redemption_budget(shared.options.refresh_lease);
        let redeemed =
            tokio::time::timeout(budget, self.redeem_newest_then_previous(&claimed, budget))
                .await
                .unwrap_or_else(|_| {
                    Redeemed::Failed(ConnectorError::RefreshTimedOut {
                        account: claimed.id.clone(),
                        after: budget,
                    })
                });
        let (used, (access, rotated)) = match redeemed {
            Redeemed::Tokens { used, outcome } => (used, outcome),
            Redeemed::Refused(reason) => return Err(self.give_up(claimed, reason).await),
            Redeemed::Failed(error) => {
                let error = match error {
                    ConnectorError::Auth(error) => match entra_errors::from_refresh(error, &ctx) {
                        RefreshFailure::Refused(reason) => {
                            return Err(self.give_up(claimed, reason).await);
                        }
                        RefreshFailure::Other(error) => error,
                    },
                    other => other,
                };
                return Err(self.release(claimed, error).await);
            }
        };
        let mut next = claimed.clone();
        next.access_token = Some(CachedAccessToken {
            token: access.token.clone(),
            expires_on: access.expires_on,
        });
        let used_previous = used.secret() != claimed.refresh_token.secret();
        if used_previous {
            // The newest token was refused and the previous one worked: the refused one is
            // dead, so it is no longer kept, whether or not the server rotated.
            next.previous_refresh_token = (rotated.secret() != used.secret()).then(|| used.clone());
            next.refresh_token = rotated;
        } else if rotated.secret() != used.secret() {
            // `used` has just worked once: it becomes the fallback for the new one.
            next.previous_refresh_token = Some(used);
            next.refresh_token = rotated;
        }
        next.lease = None;
        next.updated_at = shared.now();
        if !shared.store.rotate(claimed.version, &next).await? {
            self.store_after_lost_swap(&claimed, next).await?;
        }
        Ok(access)
    }

    /// The final compare-and-swap failed: someone wrote the row after our claim (another
    /// worker took a lease, or an unrelated write). When the row still holds the tokens we
    /// redeemed, nobody else rotated them, so ours are stored on top of it (dropping them
    /// would lose the account on a server that spends refresh tokens on first use). When it
    /// does not, the other writer's tokens are kept and ours serve this call only.
    async fn store_after_lost_swap(
        &self,
        claimed: &StoredAccount,
        next: StoredAccount,
    ) -> Result<(), ConnectorError> {
        let shared = &self.inner.shared;
        let same_tokens = |row: &StoredAccount| {
            row.sign_in_id == claimed.sign_in_id
                && row.status == AccountStatus::Active
                && row.refresh_token.secret() == claimed.refresh_token.secret()
                && row.previous_refresh_token.as_ref().map(Secret::secret)
                    == claimed.previous_refresh_token.as_ref().map(Secret::secret)
        };
        // A second loss means writers keep racing us; the tokens of this call still work.
        for _ in 0..2 {
            let Some(current) = shared.store.load(&claimed.id).await? else {
                return Ok(());
            };
            if !same_tokens(&current) {
                tracing::warn!(account = %claimed.id, "another worker rotated the refresh token meanwhile; keeping its tokens");
                return Ok(());
            }
            let mut merged = next.clone();
            // Another worker's live lease stays: it is redeeming a token we have just
            // replaced, and its own swap will find that out.
            merged.lease = current.lease.filter(|l| l.owner != self.inner.owner);
            if shared.store.rotate(current.version, &merged).await? {
                tracing::warn!(account = %claimed.id, "the row changed during the refresh; the rotated token was stored on top");
                return Ok(());
            }
        }
        tracing::warn!(account = %claimed.id, "could not store the rotated refresh token; the row keeps changing");
        Ok(())
    }

    /// The newest refresh token, then (if refused) the previous one.
    async fn redeem_newest_then_previous(
        &self,
        claimed: &StoredAccount,
        budget: Duration,
    ) -> Redeemed {
        let ctx = ErrorContext {
            org_url: &claimed.org_url,
            admin_consent_url: String::new(),
        };
        let error = match self.redeem(claimed, &claimed.refresh_token, budget).await {
            Ok(outcome) => {
                return Redeemed::Tokens {
                    used: claimed.refresh_token.clone(),
                    outcome,
                };
            }
            Err(error) => error,
        };
        let reason = match entra_errors::from_refresh(error.clone(), &ctx) {
            RefreshFailure::Refused(reason) => reason,
            RefreshFailure::Other(_) => return Redeemed::Failed(ConnectorError::Auth(error)),
        };
        let Some(previous) = &claimed.previous_refresh_token else {
            return Redeemed::Refused(reason);
        };
        match self.redeem(claimed, previous, budget).await {
            Ok(outcome) => {
                tracing::warn!(account = %claimed.id, %reason, "the newest refresh token was refused; the previous one worked");
                Redeemed::Tokens {
                    used: previous.clone(),
                    outcome,
                }
            }
            Err(error) => Redeemed::Failed(ConnectorError::Auth(error)),
        }
    }

    /// One redemption of `refresh_token`: the access token and the (rotated) refresh token.
    async fn redeem(
        &self,
        account: &StoredAccount,
        refresh_token: &Secret,
        budget: Duration,
    ) -> Result<(AccessToken, Secret), dynamics_auth::AuthError> {
        let shared = &self.inner.shared;
        let authority = Authority::with_host(&account.authority_host, &account.tenant)?;
        let mut options = shared.options.credential_options.clone();
        // No single attempt may outlast the whole refresh's budget.
        options.timeout = options.timeout.min(budget);
        let credential = RefreshTokenCredential::new(
            authority,
            shared.app.client_id,
            refresh_token.clone(),
            options,
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

//! A token cache in front of any credential: one token per scope set, refreshed ahead of
//! expiry, one request in flight however many callers wait, and the still-valid token kept
//! when a refresh fails.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::AuthError;
use crate::clock::{self, Clock};

/// Options of a [`TokenCache`].
#[derive(Debug, Clone)]
pub struct TokenCacheOptions {
    /// Refresh a token this long before it expires (default 5 minutes).
    pub refresh_before: Duration,
    /// After a failed refresh, keep serving the cached token and wait this long before trying
    /// again (default 30 seconds), so an outage is not hammered.
    pub retry_failed_refresh_after: Duration,
    /// Where "now" comes from; replace it in tests.
    pub clock: Arc<dyn Clock>,
}

impl Default for TokenCacheOptions {
    fn default() -> Self {
        TokenCacheOptions {
            refresh_before: Duration::from_secs(300),
            retry_failed_refresh_after: Duration::from_secs(30),
            clock: clock::system(),
        }
    }
}

/// Caches the tokens of any [`TokenCredential`] per scope set.
///
/// - A token is handed out until `refresh_before` ahead of its expiry; then one caller starts
///   a refresh and the others keep getting the current token.
/// - With no usable token, every caller waits for one shared request.
/// - If a refresh fails while the cached token is still valid, that token is returned (and
///   the failure logged); only with no valid token does the caller see the error.
/// - [`TokenCache::invalidate`] drops a token the service rejected (after a 401).
///
/// Cheap to clone; clones share the cache. Needs a tokio runtime: refreshes run as tasks so
/// that a caller giving up does not cancel the refresh others wait for.
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    credential: Arc<dyn TokenCredential>,
    options: TokenCacheOptions,
    slots: Mutex<HashMap<ScopeKey, Slot>>,
}

/// The scopes, sorted and without duplicates, so the order of a request does not matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ScopeKey(Vec<String>);

impl ScopeKey {
    fn new(scopes: &[&str]) -> Self {
        let mut v: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        v.sort();
        v.dedup();
        ScopeKey(v)
    }
}

type Outcome = Option<Result<AccessToken, Failure>>;

#[derive(Default)]
struct Slot {
    token: Option<AccessToken>,
    flight: Option<watch::Receiver<Outcome>>,
    retry_not_before: Option<OffsetDateTime>,
    /// Bumped by invalidation, so a refresh started before it does not store its result.
    generation: u64,
}

/// A failure every waiter can get a copy of.
#[derive(Clone)]
enum Failure {
    Auth(AuthError),
    Other { kind: ErrorKind, message: String },
}

impl From<azure_core::Error> for Failure {
    fn from(e: azure_core::Error) -> Self {
        match AuthError::from_azure(&e) {
            Some(auth) => Failure::Auth(auth.clone()),
            None => Failure::Other {
                kind: e.kind().clone(),
                message: e.to_string(),
            },
        }
    }
}

impl From<Failure> for azure_core::Error {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Auth(e) => e.into(),
            Failure::Other { kind, message } => azure_core::Error::with_message(kind, message),
        }
    }
}

enum Plan {
    Ready(AccessToken),
    Wait {
        flight: watch::Receiver<Outcome>,
        fallback: Option<AccessToken>,
    },
}

impl TokenCache {
    /// A cache with default options in front of `credential`.
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        Self::with_options(credential, TokenCacheOptions::default())
    }

    /// A cache with the given options.
    pub fn with_options(credential: Arc<dyn TokenCredential>, options: TokenCacheOptions) -> Self {
        TokenCache {
            inner: Arc::new(Inner {
                credential,
                options,
                slots: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The credential behind the cache.
    pub fn credential(&self) -> &Arc<dyn TokenCredential> {
        &self.inner.credential
    }

    /// A token for `scopes`, from the cache when it is fresh.
    pub async fn token(&self, scopes: &[&str]) -> azure_core::Result<AccessToken> {
        let key = ScopeKey::new(scopes);
        match self.plan(&key) {
            Plan::Ready(token) => Ok(token),
            Plan::Wait {
                mut flight,
                fallback,
            } => {
                let outcome = flight
                    .wait_for(Option::is_some)
                    .await
                    .map(|o| o.clone())
                    .ok()
                    .flatten();
                match (outcome, fallback) {
                    (Some(Ok(token)), _) => Ok(token),
                    (Some(Err(_)), Some(still_valid)) | (None, Some(still_valid)) => {
                        tracing::warn!(
                            expires_on = %still_valid.expires_on,
                            "token refresh failed; serving the cached token while it is valid"
                        );
                        Ok(still_valid)
                    }
                    (Some(Err(failure)), None) => Err(failure.into()),
                    (None, None) => Err(azure_core::Error::with_message(
                        ErrorKind::Credential,
                        "the token request stopped before it finished (the runtime is shutting down?)",
                    )),
                }
            }
        }
    }

    /// Forgets the token for `scopes`, so the next call fetches a new one. Call it when a
    /// service answers 401 to a request that carried the token.
    pub fn invalidate(&self, scopes: &[&str]) {
        let key = ScopeKey::new(scopes);
        if let Some(slot) = self.slots().get_mut(&key) {
            slot.token = None;
            slot.flight = None;
            slot.retry_not_before = None;
            slot.generation += 1;
            tracing::debug!(scopes = ?key.0, "token invalidated");
        }
    }

    /// Forgets every cached token.
    pub fn invalidate_all(&self) {
        self.slots().clear();
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<ScopeKey, Slot>> {
        // No code panics while holding this lock; if one did, the map is still consistent.
        self.inner.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn plan(&self, key: &ScopeKey) -> Plan {
        let options = &self.inner.options;
        let now = options.clock.now();
        let mut slots = self.slots();
        let slot = slots.entry(key.clone()).or_default();
        match slot.token.clone() {
            Some(token) if token.expires_on - options.refresh_before > now => {
                tracing::trace!("token cache hit");
                Plan::Ready(token)
            }
            Some(token) if token.expires_on > now => {
                let refresh_running = slot.flight.is_some();
                let backing_off = slot.retry_not_before.is_some_and(|t| now < t);
                if refresh_running || backing_off {
                    return Plan::Ready(token);
                }
                tracing::debug!(expires_on = %token.expires_on, "token expires soon; refreshing");
                Plan::Wait {
                    flight: self.start_refresh(slot, key),
                    fallback: Some(token),
                }
            }
            _ => {
                let flight = match &slot.flight {
                    Some(flight) => flight.clone(),
                    None => {
                        tracing::debug!("no usable token cached; requesting one");
                        self.start_refresh(slot, key)
                    }
                };
                Plan::Wait {
                    flight,
                    fallback: None,
                }
            }
        }
    }

    fn start_refresh(&self, slot: &mut Slot, key: &ScopeKey) -> watch::Receiver<Outcome> {
        let (tx, rx) = watch::channel(None);
        slot.flight = Some(rx.clone());
        let generation = slot.generation;
        let inner = Arc::clone(&self.inner);
        let key = key.clone();
        tokio::spawn(async move {
            let scopes: Vec<&str> = key.0.iter().map(String::as_str).collect();
            let result = inner
                .credential
                .get_token(&scopes, None)
                .await
                .map_err(Failure::from);
            {
                let mut slots = inner.slots.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(slot) = slots.get_mut(&key).filter(|s| s.generation == generation) {
                    slot.flight = None;
                    match &result {
                        Ok(token) => {
                            slot.token = Some(token.clone());
                            slot.retry_not_before = None;
                        }
                        Err(_) => {
                            slot.retry_not_before = Some(
                                inner.options.clock.now()
                                    + inner.options.retry_failed_refresh_after,
                            );
                        }
                    }
                }
            }
            // Nobody waiting is fine: the result is already stored.
            let _ = tx.send(Some(result));
        });
        rx
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("credential", &self.inner.credential)
            .field("scope_sets", &self.slots().len())
            .finish()
    }
}

#[async_trait]
impl TokenCredential for TokenCache {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.token(scopes).await
    }
}

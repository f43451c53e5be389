//! A token cache in front of any credential: one token per scope set, refreshed ahead of
//! expiry, one request in flight however many callers wait, and the still-valid token kept
//! when a refresh fails.

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
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
    /// Hand a newly fetched token out for at least this long (default 30 seconds), even when
    /// it claims to expire sooner (`expires_in: 0`, a skewed clock). A server issuing
    /// already-expired or very short-lived tokens then costs one request per this period
    /// instead of one per call. A token the service rejects is dropped with
    /// [`TokenCache::invalidate`].
    pub min_reuse: Duration,
    /// Where "now" comes from; replace it in tests.
    pub clock: Arc<dyn Clock>,
}

impl Default for TokenCacheOptions {
    fn default() -> Self {
        TokenCacheOptions {
            refresh_before: Duration::from_secs(300),
            retry_failed_refresh_after: Duration::from_secs(30),
            min_reuse: Duration::from_secs(30),
            clock: clock::system(),
        }
    }
}

/// Caches the tokens of any [`TokenCredential`] per scope set.
///
/// - A token is handed out until `refresh_before` ahead of its expiry (or half-way through
///   its life when it is shorter than that, and in any case for `min_reuse` after it was
///   fetched); then one caller starts a refresh and the others keep getting the current token.
/// - With no usable token, every caller waits for one shared request.
/// - If a refresh fails while the cached token is still valid, that token is returned (and
///   the failure logged); only with no valid token does the caller see the error.
/// - [`TokenCache::invalidate`] drops a token the service rejected (after a 401).
/// - A credential that panics does not wedge the cache: the callers waiting for that refresh
///   get [`AuthError::RefreshAborted`] and the next call asks the credential again.
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
    /// When `token` arrived.
    fetched_at: Option<OffsetDateTime>,
    flight: Option<watch::Receiver<Outcome>>,
    retry_not_before: Option<OffsetDateTime>,
    /// Bumped by invalidation, so a refresh started before it does not store its result.
    generation: u64,
}

impl Slot {
    /// Drops the token and any refresh in flight; bumps the generation, so a refresh started
    /// before does not store its result.
    fn forget(&mut self) {
        self.token = None;
        self.fetched_at = None;
        self.flight = None;
        self.retry_not_before = None;
        self.generation = self.generation.wrapping_add(1);
    }
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
                    (None, None) => Err(AuthError::RefreshAborted { panicked: false }.into()),
                }
            }
        }
    }

    /// Forgets the token for `scopes`, so the next call fetches a new one. Call it when a
    /// service answers 401 to a request that carried the token.
    pub fn invalidate(&self, scopes: &[&str]) {
        let key = ScopeKey::new(scopes);
        if let Some(slot) = self.slots().get_mut(&key) {
            slot.forget();
            tracing::debug!(scopes = ?key.0, "token invalidated");
        }
    }

    /// Forgets every cached token.
    pub fn invalidate_all(&self) {
        // Slots are kept (not removed) so their generation still tells a refresh started
        // before this call not to store its result.
        self.slots().values_mut().for_each(Slot::forget);
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
        let flight = live_flight(slot);
        let timing = slot
            .token
            .clone()
            .map(|token| (Timing::of(&token, slot.fetched_at, options), token));
        match timing {
            Some((timing, token)) if now < timing.refresh_at => {
                tracing::trace!("token cache hit");
                Plan::Ready(token)
            }
            Some((timing, token)) if now < timing.usable_until => {
                let backing_off = slot.retry_not_before.is_some_and(|t| now < t);
                if flight.is_some() || backing_off {
                    return Plan::Ready(token);
                }
                tracing::debug!(expires_on = %token.expires_on, "token expires soon; refreshing");
                Plan::Wait {
                    flight: self.start_refresh(slot, key),
                    fallback: Some(token),
                }
            }
            _ => {
                let flight = match flight {
                    Some(flight) => flight,
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
        let guard = RefreshGuard {
            inner: Arc::clone(&self.inner),
            key: key.clone(),
            generation: slot.generation,
            tx,
            done: false,
        };
        let credential = Arc::clone(&self.inner.credential);
        let key = key.clone();
        // If the task is dropped before it finishes, `guard` answers the waiters on drop.
        tokio::spawn(async move {
            let result = match get_token_catching_panics(credential.as_ref(), &key).await {
                Ok(result) => result.map_err(Failure::from),
                Err(Panicked) => {
                    tracing::error!(scopes = ?key.0, "the credential panicked while getting a token");
                    Err(Failure::Auth(AuthError::RefreshAborted { panicked: true }))
                }
            };
            guard.finish(result);
        });
        rx
    }
}

struct Panicked;

/// Calls the credential, turning a panic inside it into `Err(Panicked)`.
async fn get_token_catching_panics(
    credential: &dyn TokenCredential,
    key: &ScopeKey,
) -> Result<azure_core::Result<AccessToken>, Panicked> {
    let scopes: Vec<&str> = key.0.iter().map(String::as_str).collect();
    // The cache's own state is not touched by the credential, so it stays consistent.
    let mut call = catch_unwind(AssertUnwindSafe(|| credential.get_token(&scopes, None)))
        .map_err(|_| Panicked)?;
    std::future::poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(_) => Poll::Ready(Err(Panicked)),
        },
    )
    .await
}

/// When a cached token is refreshed, and until when it may still be handed out.
struct Timing {
    refresh_at: OffsetDateTime,
    usable_until: OffsetDateTime,
}

impl Timing {
    fn of(
        token: &AccessToken,
        fetched_at: Option<OffsetDateTime>,
        options: &TokenCacheOptions,
    ) -> Self {
        let expires_on = token.expires_on;
        let ahead = earlier(expires_on, options.refresh_before);
        let Some(fetched_at) = fetched_at else {
            return Timing {
                refresh_at: ahead,
                usable_until: expires_on,
            };
        };
        let reuse_until = later(fetched_at, options.min_reuse);
        // A token shorter-lived than `refresh_before` is refreshed half-way through its life.
        let half_life = fetched_at.saturating_add((expires_on - fetched_at) / 2);
        Timing {
            refresh_at: ahead.max(half_life).max(reuse_until),
            usable_until: expires_on.max(reuse_until),
        }
    }
}

fn later(t: OffsetDateTime, by: Duration) -> OffsetDateTime {
    t.saturating_add(time::Duration::try_from(by).unwrap_or(time::Duration::MAX))
}

fn earlier(t: OffsetDateTime, by: Duration) -> OffsetDateTime {
    t.saturating_sub(time::Duration::try_from(by).unwrap_or(time::Duration::MAX))
}

/// The slot's refresh in flight, unless its task died without an answer (then it is cleared,
/// so the next caller starts a new one instead of waiting on a dead channel).
fn live_flight(slot: &mut Slot) -> Option<watch::Receiver<Outcome>> {
    let dead = slot
        .flight
        .as_ref()
        .is_some_and(|f| f.has_changed().is_err() && f.borrow().is_none());
    if dead {
        slot.flight = None;
    }
    slot.flight.clone()
}

/// Owns a refresh's result channel. Whatever happens to the refresh task (it finishes, the
/// credential panics, the runtime drops the task), the slot is updated and every waiter
/// gets an answer.
struct RefreshGuard {
    inner: Arc<Inner>,
    key: ScopeKey,
    generation: u64,
    tx: watch::Sender<Outcome>,
    done: bool,
}

impl RefreshGuard {
    fn finish(mut self, result: Result<AccessToken, Failure>) {
        self.store(result);
    }

    fn store(&mut self, result: Result<AccessToken, Failure>) {
        self.done = true;
        let options = &self.inner.options;
        {
            let mut slots = self.inner.slots.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(slot) = slots
                .get_mut(&self.key)
                .filter(|s| s.generation == self.generation)
            {
                slot.flight = None;
                let now = options.clock.now();
                match &result {
                    Ok(token) => {
                        slot.token = Some(token.clone());
                        slot.fetched_at = Some(now);
                        slot.retry_not_before = None;
                    }
                    Err(_) => {
                        slot.retry_not_before =
                            Some(later(now, options.retry_failed_refresh_after));
                    }
                }
            }
        }
        // Nobody waiting is fine: the result is already stored.
        let _ = self.tx.send(Some(result));
    }
}

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        if !self.done {
            tracing::warn!("token refresh task dropped before the credential answered");
            self.store(Err(Failure::Auth(AuthError::RefreshAborted {
                panicked: false,
            })));
        }
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

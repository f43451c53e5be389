//! Outstanding grants: authorization codes, device codes and refresh tokens.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{Rng, RngCore};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::DeviceCodeBehaviour;
use crate::scope::ScopeRequest;

/// A PKCE challenge recorded at the authorize endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PkceChallenge {
    /// `code_challenge_method=S256`: base64url(SHA-256(verifier)).
    S256(String),
    /// `code_challenge_method=plain`: the verifier itself.
    Plain(String),
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationCode {
    pub(crate) tenant_id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) redirect_uri: String,
    pub(crate) scope: ScopeRequest,
    pub(crate) pkce: Option<PkceChallenge>,
    pub(crate) nonce: Option<String>,
    pub(crate) expires_at: OffsetDateTime,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub(crate) tenant_id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) scope: ScopeRequest,
    /// Whether the original sign-in was interactive (MFA satisfied).
    pub(crate) mfa: bool,
    /// When the token was issued (each use issues a new one).
    pub(crate) issued_at: OffsetDateTime,
}

/// What the user decided about a device code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceDecision {
    Pending,
    Approved(Uuid),
    Declined,
}

/// An issued device code.
#[derive(Debug, Clone)]
pub(crate) struct DeviceGrant {
    pub(crate) tenant_id: Uuid,
    pub(crate) client_id: Uuid,
    pub(crate) user_code: String,
    pub(crate) scope: ScopeRequest,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) behaviour: DeviceCodeBehaviour,
    pub(crate) polls: u32,
    pub(crate) decision: DeviceDecision,
}

/// What a lookup of a one-time credential found.
pub(crate) enum Lookup<T> {
    Found(T),
    /// It was issued but already used, rotated or revoked.
    Spent,
    /// It was never issued by this emulator.
    Unknown,
}

/// All outstanding grants, plus the spent ones (so that reuse is told apart from garbage).
#[derive(Default)]
pub(crate) struct Grants {
    codes: HashMap<String, AuthorizationCode>,
    spent_codes: HashSet<String>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    spent_refresh_tokens: HashSet<String>,
    device_codes: HashMap<String, DeviceGrant>,
    redeemed_device_codes: HashSet<String>,
}

impl Grants {
    /// Stores an authorization code and returns it.
    pub(crate) fn issue_code(&mut self, code: AuthorizationCode) -> String {
        let value = random_token(32);
        self.codes.insert(value.clone(), code);
        value
    }

    /// Takes an authorization code out (it is single-use whatever happens next).
    pub(crate) fn take_code(&mut self, value: &str) -> Lookup<AuthorizationCode> {
        match self.codes.remove(value) {
            Some(code) => {
                self.spent_codes.insert(value.to_owned());
                Lookup::Found(code)
            }
            None if self.spent_codes.contains(value) => Lookup::Spent,
            None => Lookup::Unknown,
        }
    }

    /// Stores a refresh token and returns it.
    pub(crate) fn issue_refresh_token(&mut self, grant: RefreshGrant) -> String {
        let value = format!("rt.{}", random_token(48));
        self.refresh_tokens.insert(value.clone(), grant);
        value
    }

    /// The grant behind a refresh token, without using it up.
    pub(crate) fn refresh_token(&self, value: &str) -> Lookup<&RefreshGrant> {
        match self.refresh_tokens.get(value) {
            Some(grant) => Lookup::Found(grant),
            None if self.spent_refresh_tokens.contains(value) => Lookup::Spent,
            None => Lookup::Unknown,
        }
    }

    /// Takes a refresh token out (rotation: it never works again).
    pub(crate) fn take_refresh_token(&mut self, value: &str) -> Lookup<RefreshGrant> {
        match self.refresh_tokens.remove(value) {
            Some(grant) => {
                self.spent_refresh_tokens.insert(value.to_owned());
                Lookup::Found(grant)
            }
            None if self.spent_refresh_tokens.contains(value) => Lookup::Spent,
            None => Lookup::Unknown,
        }
    }

    /// Revokes every refresh token of a user; returns how many were revoked.
    pub(crate) fn revoke_refresh_tokens(&mut self, user_id: Uuid) -> usize {
        let revoked: Vec<String> = self
            .refresh_tokens
            .iter()
            .filter(|(_, grant)| grant.user_id == user_id)
            .map(|(value, _)| value.clone())
            .collect();
        for value in &revoked {
            self.refresh_tokens.remove(value);
            self.spent_refresh_tokens.insert(value.clone());
        }
        revoked.len()
    }

    /// Stores a device code; returns `(device_code, user_code)`.
    pub(crate) fn issue_device_code(
        &mut self,
        tenant_id: Uuid,
        client_id: Uuid,
        scope: ScopeRequest,
        expires_at: OffsetDateTime,
        behaviour: DeviceCodeBehaviour,
    ) -> (String, String) {
        let device_code = random_token(32);
        let user_code = loop {
            let candidate = random_user_code();
            if self.find_user_code(&candidate).is_none() {
                break candidate;
            }
        };
        self.device_codes.insert(
            device_code.clone(),
            DeviceGrant {
                tenant_id,
                client_id,
                user_code: user_code.clone(),
                scope,
                expires_at,
                behaviour,
                polls: 0,
                decision: DeviceDecision::Pending,
            },
        );
        (device_code, user_code)
    }

    /// The device grant for a device code, if it is outstanding.
    pub(crate) fn device_code_mut(&mut self, device_code: &str) -> Lookup<&mut DeviceGrant> {
        match self.device_codes.get_mut(device_code) {
            Some(grant) => Lookup::Found(grant),
            None if self.redeemed_device_codes.contains(device_code) => Lookup::Spent,
            None => Lookup::Unknown,
        }
    }

    /// Removes a device code once a token was issued for it.
    pub(crate) fn redeem_device_code(&mut self, device_code: &str) {
        if self.device_codes.remove(device_code).is_some() {
            self.redeemed_device_codes.insert(device_code.to_owned());
        }
    }

    /// The outstanding device grant with this user code (case and dashes ignored).
    pub(crate) fn find_user_code(&mut self, user_code: &str) -> Option<&mut DeviceGrant> {
        let wanted: String = user_code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        self.device_codes
            .values_mut()
            .find(|grant| grant.user_code == wanted)
    }
}

/// `bytes` random bytes, base64url-encoded.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// Eight upper-case letters, like Entra's user codes.
fn random_user_code() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect()
}

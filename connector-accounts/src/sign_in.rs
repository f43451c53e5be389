//! [`ConnectorSignIn`]: the connector flow. `begin` sends a customer to sign in for their org,
//! `complete` takes the callback and stores their tokens, `client_for` hands out a credential
//! that refreshes silently through the store.

use std::sync::Arc;

use base64::Engine as _;
use dynamics_auth::{
    Authority, AuthorizationCodeFlow, AuthorizationRequest, AuthorizeOptions, Secret,
    TokenCredential, secure_url,
};
use rand::RngCore as _;
use sha2::Digest as _;
use time::OffsetDateTime;
use url::Url;

use crate::app::{AppCredential, ConnectorApp, SignInOptions};
use crate::credential::AccountCredential;
use crate::entra_errors::{self, ErrorContext};
use crate::{
    AccountId, AccountStatus, CachedAccessToken, ConnectorError, OrgUrl, PendingSignIn,
    StoredAccount, TokenStore, discovery, tokens,
};

/// The shortest refresh lease accepted: half of it bounds each refresh.
const MIN_REFRESH_LEASE: std::time::Duration = std::time::Duration::from_secs(1);

/// What the flow and every account credential share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) app: ConnectorApp,
    pub(crate) options: SignInOptions,
    pub(crate) store: Arc<dyn TokenStore>,
    /// The configured authority (host + default tenant), already validated.
    pub(crate) fallback: Authority,
    pub(crate) trusted_hosts: Vec<Url>,
}

impl Shared {
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.options.credential_options.clock.now()
    }

    /// The authorization code flow at `authority` with the platform's app.
    pub(crate) fn flow(
        &self,
        authority: Authority,
    ) -> Result<AuthorizationCodeFlow, ConnectorError> {
        let flow = AuthorizationCodeFlow::new(
            authority,
            self.app.client_id,
            &self.app.redirect_uri,
            self.options.credential_options.clone(),
        )?;
        Ok(match &self.app.credential {
            AppCredential::Secret(secret) => flow.with_client_secret(secret.clone()),
            AppCredential::Certificate(cert) => flow.with_client_certificate(cert.clone()),
        })
    }

    /// Refuses a stored sign-in host that is neither a Microsoft one nor configured: the
    /// store's clear columns are not trusted to choose where secrets go.
    pub(crate) fn check_authority_host(
        &self,
        account: &AccountId,
        host: &str,
    ) -> Result<(), ConnectorError> {
        if discovery::is_trusted_authority_host(host, &self.trusted_hosts) {
            Ok(())
        } else {
            Err(ConnectorError::UntrustedAuthorityHost {
                account: account.clone(),
                host: host.chars().take(200).collect(),
            })
        }
    }

    /// The admin-consent link for a tenant at a host (the configured host if `host` fails or
    /// is not trusted).
    pub(crate) fn admin_consent_url(&self, host: &str, tenant: &str) -> String {
        // A host from the store is only used when trusted: the link is shown to customers.
        let stored = discovery::is_trusted_authority_host(host, &self.trusted_hosts)
            .then(|| Authority::with_host(host, tenant).ok())
            .flatten();
        let authority = match stored {
            Some(authority) => authority,
            None => self
                .fallback
                .for_tenant(tenant)
                .unwrap_or_else(|_| self.fallback.clone()),
        };
        match self.flow(authority) {
            Ok(flow) => flow.admin_consent_url(None).to_string(),
            Err(_) => String::new(),
        }
    }
}

/// A sign-in started by [`ConnectorSignIn::begin`].
#[derive(Debug, Clone)]
pub struct StartedSignIn {
    /// Where to send the customer's browser.
    pub authorize_url: Url,
    /// The connector account being signed in.
    pub account: AccountId,
    /// The org, normalised.
    pub org_url: OrgUrl,
    /// The tenant the sign-in goes to (`organizations` when the org did not reveal it).
    pub tenant: String,
    /// Ties the callback to the browser that started the sign-in: put it in an `HttpOnly`,
    /// `SameSite=Lax` cookie (`Secure` on https) when redirecting to
    /// [`authorize_url`](Self::authorize_url), and give the cookie's value to
    /// [`ConnectorSignIn::complete`]. Without it, a victim lured to an authorize URL someone
    /// else started would sign their own org in to that person's account (RFC 6749 §10.12).
    /// Only its hash is stored.
    pub session_binding: Secret,
}

/// A sign-in finished by [`ConnectorSignIn::complete`]: the account's tokens are stored.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The connector account.
    pub account: AccountId,
    /// The customer's org.
    pub org_url: OrgUrl,
    /// The customer's tenant.
    pub tenant: String,
}

/// The connector flow for one platform app and one token store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ConnectorSignIn {
    shared: Arc<Shared>,
}

impl ConnectorSignIn {
    /// Checks the settings: the redirect URI and sign-in hosts must be `https` (or `http` to
    /// loopback), the tenant a GUID, a domain or `organizations`.
    pub fn new(
        app: ConnectorApp,
        store: Arc<dyn TokenStore>,
        options: SignInOptions,
    ) -> Result<Self, ConnectorError> {
        secure_url::parse_secure_url("redirect URI", &app.redirect_uri)?;
        if options.refresh_lease < MIN_REFRESH_LEASE {
            return Err(ConnectorError::invalid(
                "refresh lease",
                format!("{:?}", options.refresh_lease),
                "give at least 1 second (default 2 minutes): a refresh may take half of it",
            ));
        }
        let fallback = Authority::with_host(&options.authority_host, &options.default_tenant)?;
        let mut trusted_hosts = vec![fallback.host().clone()];
        for host in &options.trusted_authority_hosts {
            trusted_hosts.push(secure_url::parse_secure_url(
                "trusted authority host",
                host,
            )?);
        }
        Ok(ConnectorSignIn {
            shared: Arc::new(Shared {
                app,
                options,
                store,
                fallback,
                trusted_hosts,
            }),
        })
    }

    /// The token store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.shared.store
    }

    /// Starts signing in `account` for the org the customer gave (the connector's
    /// "Resource"): keeps the `state` (hashed) and the PKCE verifier (sealed) as a pending
    /// sign-in and returns the URL to send the customer to.
    pub async fn begin(
        &self,
        account: &AccountId,
        org_url: &str,
    ) -> Result<StartedSignIn, ConnectorError> {
        self.begin_with(account, org_url, &AuthorizeOptions::default())
            .await
    }

    /// [`begin`](Self::begin) with `prompt`, `login_hint` or `domain_hint`.
    pub async fn begin_with(
        &self,
        account: &AccountId,
        org_url: &str,
        options: &AuthorizeOptions,
    ) -> Result<StartedSignIn, ConnectorError> {
        let shared = &self.shared;
        let org = OrgUrl::parse(org_url)?;
        check_org_host(&org, shared.options.allow_loopback_orgs)?;
        let authority = if shared.options.discover_tenant {
            discovery::authority_for(&org, &shared.fallback, &shared.trusted_hosts).await
        } else {
            shared.fallback.clone()
        };
        let host = authority.host().to_string();
        let tenant = authority.tenant().to_string();
        let scope = org.scope(shared.options.scope_style);
        let request = shared.flow(authority)?.authorize_url(&[&scope], options);
        let session_binding = random_secret();
        let now = shared.now();
        // Sign-ins never completed pile up otherwise; a failure here must not block a sign-in.
        if let Err(error) = shared.store.purge_expired(now).await {
            tracing::warn!(%error, "could not purge expired pending sign-ins");
        }
        shared
            .store
            .put_pending(&PendingSignIn {
                state_hash: state_hash(request.state()),
                account: account.clone(),
                org_url: org.clone(),
                authority_host: host,
                tenant: tenant.clone(),
                scopes: request.scopes().to_vec(),
                pkce_verifier: request.pkce_verifier().clone(),
                session_binding_hash: state_hash(session_binding.secret()),
                expires_at: now + shared.options.pending_lifetime,
            })
            .await?;
        tracing::info!(account = %account, org = %org, tenant = %tenant, "sign-in started");
        Ok(StartedSignIn {
            authorize_url: request.url().clone(),
            account: account.clone(),
            org_url: org,
            tenant,
            session_binding,
        })
    }

    /// Finishes a sign-in from the callback's query string (`code=...&state=...`, or
    /// `error=...`) and the [`session_binding`](StartedSignIn::session_binding) read back
    /// from the browser's cookie: checks the state and the binding, exchanges the code with
    /// the PKCE verifier and stores the tokens. A state is accepted once, also when the
    /// binding is wrong (a mismatch ends that sign-in).
    pub async fn complete(
        &self,
        callback_query: &str,
        session_binding: &str,
    ) -> Result<SignedIn, ConnectorError> {
        let shared = &self.shared;
        let query = callback_query.trim_start_matches('?');
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let state = param("state").ok_or(ConnectorError::UnknownState)?;
        let hash = state_hash(state);
        let pending = shared
            .store
            .take_pending(&hash)
            .await?
            .ok_or(ConnectorError::UnknownState)?;
        // The lookup went by hash; compare once more, in constant time, before trusting it.
        if !constant_time_eq(&pending.state_hash, &hash) {
            return Err(ConnectorError::UnknownState);
        }
        // Before anything else: the callback must come back to the browser that started it.
        if !constant_time_eq(&pending.session_binding_hash, &state_hash(session_binding)) {
            tracing::warn!(account = %pending.account, "sign-in callback from another browser session refused");
            return Err(ConnectorError::SessionMismatch);
        }
        if pending.expires_at < shared.now() {
            return Err(ConnectorError::SignInExpired {
                account: pending.account,
            });
        }
        let ctx = ErrorContext {
            org_url: &pending.org_url,
            admin_consent_url: shared.admin_consent_url(&pending.authority_host, &pending.tenant),
        };
        if let Some(error) = param("error") {
            let description = param("error_description").unwrap_or_default();
            let typed = entra_errors::from_redirect(error, description, &ctx);
            tracing::warn!(account = %pending.account, error = %typed, "sign-in refused");
            return Err(typed);
        }
        let code = param("code").ok_or(ConnectorError::MalformedCallback)?;
        shared.check_authority_host(&pending.account, &pending.authority_host)?;

        let authority = Authority::with_host(&pending.authority_host, &pending.tenant)?;
        let flow = shared.flow(authority.clone())?;
        let request = AuthorizationRequest::from_parts(
            authority.authorize_endpoint(),
            state.to_owned(),
            pending.pkce_verifier.clone(),
            pending.scopes.clone(),
        );
        let credential = flow
            .exchange_code(&request, code, state)
            .await
            .map_err(|e| entra_errors::from_exchange(e, &ctx))?;
        let resource_scopes = tokens::resource_scopes(&pending.scopes);
        let scopes: Vec<&str> = resource_scopes.iter().map(String::as_str).collect();
        // The first access token came with the code; this hands it out without a request.
        let access = credential
            .get_token(&scopes, None)
            .await
            .map_err(|e| tokens::auth_error(&e))
            .map_err(|e| entra_errors::from_exchange(e, &ctx))?;
        let refresh_token = credential.refresh_token().await;
        let tenant = if authority.tenant().is_multi_tenant_alias() {
            tokens::tenant_of(&access).unwrap_or_else(|| pending.tenant.clone())
        } else {
            pending.tenant.clone()
        };
        let now = shared.now();
        let account = StoredAccount {
            id: pending.account.clone(),
            org_url: pending.org_url.clone(),
            authority_host: pending.authority_host.clone(),
            tenant: tenant.clone(),
            scopes: pending.scopes.clone(),
            refresh_token,
            previous_refresh_token: None,
            access_token: Some(CachedAccessToken {
                token: access.token.clone(),
                expires_on: access.expires_on,
            }),
            status: AccountStatus::Active,
            lease: None,
            version: 0,
            sign_in_id: random_secret().secret().to_owned(),
            updated_at: now,
        };
        shared.store.save(&account).await?;
        tracing::info!(account = %pending.account, org = %pending.org_url, tenant = %tenant, "signed in");
        Ok(SignedIn {
            account: pending.account,
            org_url: pending.org_url,
            tenant,
        })
    }

    /// The link an administrator of `tenant` (GUID or domain; `organizations` lets Entra ID
    /// pick from the administrator's account) opens once to consent for the whole tenant.
    /// Entra ID then redirects to the app's redirect URI with `admin_consent=True`.
    pub fn admin_consent_url(&self, tenant: &str) -> Result<Url, ConnectorError> {
        let authority = self.shared.fallback.for_tenant(tenant)?;
        Ok(self.shared.flow(authority)?.admin_consent_url(None))
    }

    /// A credential for a signed-in account, for a Dataverse client on
    /// [`AccountCredential::org_url`]. It refreshes silently through the store and hands out
    /// tokens for that org only.
    pub async fn client_for(
        &self,
        account: &AccountId,
    ) -> Result<AccountCredential, ConnectorError> {
        let stored = self
            .shared
            .store
            .load(account)
            .await?
            .ok_or_else(|| ConnectorError::UnknownAccount(account.clone()))?;
        if stored.status == AccountStatus::ReauthorizationRequired {
            return Err(entra_errors::reauthorize(
                account,
                "an earlier refresh was refused".into(),
            ));
        }
        Ok(AccountCredential::new(
            Arc::clone(&self.shared),
            stored.id,
            stored.org_url,
        ))
    }

    /// Signs an account out: deletes its tokens. `false` when there was none.
    pub async fn remove(&self, account: &AccountId) -> Result<bool, ConnectorError> {
        self.shared.store.delete(account).await
    }
}

/// Refuses org hosts that are not Dataverse's (loopback only when allowed): `begin` sends a
/// request to the org, which must not reach arbitrary hosts or the platform's own network.
fn check_org_host(org: &OrgUrl, allow_loopback: bool) -> Result<(), ConnectorError> {
    if org.is_dataverse_host() || (allow_loopback && org.is_loopback()) {
        return Ok(());
    }
    let fix = if org.is_loopback() {
        "loopback orgs (an emulator) need `SignInOptions::allow_loopback_orgs`"
    } else {
        "give the environment URL of a Dataverse org, such as https://contoso.crm4.dynamics.com          (hosts *.crm.dynamics.com, *.crm{N}.dynamics.com, *.crm.microsoftdynamics.us,          *.crm.appsplatform.us or *.crm.dynamics.cn)"
    };
    Err(ConnectorError::invalid("org URL", org.as_str(), fix))
}

/// 32 random bytes, base64url: session bindings and sign-in ids.
fn random_secret() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of the `state` (or a session binding): what the store keeps and looks up by.
fn state_hash(state: &str) -> [u8; 32] {
    sha2::Sha256::digest(state.as_bytes()).into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

//! [`ConnectorApp`]: the platform's own app registration, and [`SignInOptions`].

use std::fmt;
use std::time::Duration;

use dynamics_auth::{ClientCertificate, Cloud, CredentialOptions, Secret, Uuid};

use crate::ScopeStyle;

/// How the platform's app proves who it is at the token endpoint.
#[derive(Clone)]
pub enum AppCredential {
    /// A client secret (its Value from the app registration).
    Secret(Secret),
    /// A certificate uploaded to the app registration.
    Certificate(ClientCertificate),
}

impl fmt::Debug for AppCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppCredential::Secret(_) => f.write_str("Secret(<redacted>)"),
            AppCredential::Certificate(c) => write!(f, "Certificate({c:?})"),
        }
    }
}

/// The connector platform's multi-tenant app registration ("Accounts in any organizational
/// directory"), a confidential web app.
#[derive(Debug, Clone)]
pub struct ConnectorApp {
    /// The application (client) id.
    pub client_id: Uuid,
    /// Its secret or certificate.
    pub credential: AppCredential,
    /// The callback URL registered on the app (`https://`, or `http://` to loopback).
    pub redirect_uri: String,
}

/// Settings of the sign-in flow. Construct with `..Default::default()`.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    /// The Entra ID sign-in host (default: the public cloud's).
    pub authority_host: String,
    /// The tenant to sign in at when the org does not reveal its own (default
    /// `organizations`: Entra ID picks the customer's tenant from the account they sign in with).
    pub default_tenant: String,
    /// Find the customer's tenant (and sign-in host) from the org's `WWW-Authenticate`
    /// challenge before sending them to sign in (default `true`). Only hosts that are a
    /// Microsoft sign-in host, [`authority_host`](Self::authority_host) or listed in
    /// [`trusted_authority_hosts`](Self::trusted_authority_hosts) are followed, since the
    /// platform's client secret goes there.
    pub discover_tenant: bool,
    /// Other sign-in hosts the platform trusts (an emulator, a test server).
    pub trusted_authority_hosts: Vec<String>,
    /// `{org}/user_impersonation` (default) or `{org}/.default`.
    pub scope_style: ScopeStyle,
    /// How long a started sign-in waits for its callback (default 15 minutes; Entra ID's
    /// authorization codes themselves live about 10 minutes).
    pub pending_lifetime: Duration,
    /// Access tokens are refreshed this long before they expire (default 5 minutes).
    pub refresh_margin: Duration,
    /// How long a worker may hold an account's refresh lease before another may take over
    /// (default 2 minutes, at least 1 second). A refresh (both refresh tokens tried, with their retries) is
    /// abandoned after half of it, so the lease never lapses while a token is being
    /// redeemed and the store still has time to take the rotated token.
    pub refresh_lease: Duration,
    /// Accept org URLs on loopback (`http://127.0.0.1:…`, `localhost`): an emulator or a
    /// test server (default `false`). Otherwise only Dataverse org hosts are accepted
    /// ([`OrgUrl::is_dataverse_host`](crate::OrgUrl::is_dataverse_host)), since `begin`
    /// sends a request to the org the customer typed.
    pub allow_loopback_orgs: bool,
    /// Timeouts, retries and clock of the token requests.
    pub credential_options: CredentialOptions,
}

impl Default for SignInOptions {
    fn default() -> Self {
        SignInOptions {
            authority_host: Cloud::Public.authority_host().to_owned(),
            default_tenant: "organizations".to_owned(),
            discover_tenant: true,
            trusted_authority_hosts: Vec::new(),
            scope_style: ScopeStyle::default(),
            pending_lifetime: Duration::from_secs(15 * 60),
            refresh_margin: Duration::from_secs(5 * 60),
            refresh_lease: Duration::from_secs(120),
            allow_loopback_orgs: false,
            credential_options: CredentialOptions::default(),
        }
    }
}

//! Sign-in with a user name and password (the resource owner password grant), as the old
//! `CDSTestdriveUtility.exe` did. It cannot satisfy multi-factor authentication: accounts with
//! MFA get AADSTS50076, whose hint points to the device code sign-in.

use std::fmt;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};

use uuid::Uuid;

use crate::token_client::{App, ClientAuth, Form, TokenClient};
use crate::{AuthError, Authority, CredentialOptions};

/// Signs a user in with their user name and password.
#[derive(Clone)]
pub struct UsernamePasswordCredential {
    app: App,
    username: String,
    password: Secret,
    client: TokenClient,
}

impl UsernamePasswordCredential {
    /// A public client app (with "Allow public client flows" on). The tenant may be a GUID,
    /// a domain or `organizations`, not `common` or `consumers`.
    pub fn new(
        authority: Authority,
        client_id: Uuid,
        username: &str,
        password: impl Into<Secret>,
        options: CredentialOptions,
    ) -> Result<Self, AuthError> {
        Self::build(
            authority,
            client_id,
            ClientAuth::Public,
            username,
            password.into(),
            options,
        )
    }

    /// Makes it a confidential app's credential that also authenticates with its client
    /// secret: `UsernamePasswordCredential::new(..)?.with_client_secret(secret)`.
    pub fn with_client_secret(mut self, client_secret: impl Into<Secret>) -> Self {
        self.app.auth = ClientAuth::Secret(client_secret.into());
        self
    }

    fn build(
        authority: Authority,
        client_id: Uuid,
        auth: ClientAuth,
        username: &str,
        password: Secret,
        options: CredentialOptions,
    ) -> Result<Self, AuthError> {
        let tenant = authority.tenant().as_str();
        if tenant == "common" || tenant == "consumers" {
            return Err(AuthError::invalid(
                "tenant id",
                tenant,
                "the password sign-in needs the tenant's GUID or domain, or `organizations`",
            ));
        }
        let username = username.trim();
        if username.is_empty() {
            return Err(AuthError::invalid(
                "user name",
                "",
                "give the user principal name, such as admin@contoso.onmicrosoft.com",
            ));
        }
        Ok(UsernamePasswordCredential {
            app: App::new(authority, client_id, auth)?,
            username: username.to_string(),
            password,
            client: TokenClient::new(&options)?,
        })
    }
}

/// Shows the domain of a user name only: user names are personal data.
pub(crate) fn mask_username(username: &str) -> String {
    match username.rsplit_once('@') {
        Some((_, domain)) => format!("***@{domain}"),
        None => "***".to_string(),
    }
}

impl fmt::Debug for UsernamePasswordCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsernamePasswordCredential")
            .field("authority", &self.app.authority.to_string())
            .field("client_id", &self.app.client_id)
            .field("username", &mask_username(&self.username))
            .field("password", &"<redacted>")
            .finish()
    }
}

#[async_trait]
impl TokenCredential for UsernamePasswordCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let mut grant = Form::new();
        grant
            .push("grant_type", "password")
            .push("username", self.username.clone())
            .push("password", self.password.secret());
        let response = self.client.redeem(&self.app, grant, scopes).await?;
        Ok(response.access_token(self.client.clock().now()))
    }
}

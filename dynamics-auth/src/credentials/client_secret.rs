//! App-only sign-in with a client secret (client credentials grant).

use std::fmt;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};

use uuid::Uuid;

use crate::token_client::{App, ClientAuth, Form, TokenClient};
use crate::{AuthError, Authority, CredentialOptions};

/// Signs in as the application itself with a client secret. Use `{resource}/.default` scopes,
/// for example [`scopes::dataverse_default`](crate::scopes::dataverse_default).
#[derive(Clone)]
pub struct ClientSecretCredential {
    app: App,
    client: TokenClient,
}

impl ClientSecretCredential {
    /// `authority` must name a specific tenant (GUID or domain).
    pub fn new(
        authority: Authority,
        client_id: Uuid,
        secret: impl Into<Secret>,
        options: CredentialOptions,
    ) -> Result<Self, AuthError> {
        let app = App::new(authority, client_id, ClientAuth::Secret(secret.into()))?;
        app.require_specific_tenant()?;
        Ok(ClientSecretCredential {
            app,
            client: TokenClient::new(&options)?,
        })
    }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("authority", &self.app.authority.to_string())
            .field("client_id", &self.app.client_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[async_trait]
impl TokenCredential for ClientSecretCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let mut grant = Form::new();
        grant.push("grant_type", "client_credentials");
        let response = self.client.redeem(&self.app, grant, scopes).await?;
        Ok(response.access_token(self.client.clock().now()))
    }
}

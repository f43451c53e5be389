//! App-only sign-in with a certificate (client credentials grant with a signed JWT assertion).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};

use uuid::Uuid;

use crate::certificate::ClientCertificate;
use crate::token_client::{App, ClientAuth, Form, TokenClient};
use crate::{AuthError, Authority, CredentialOptions};

/// Signs in as the application with a certificate registered on its app registration.
/// Each request carries a fresh assertion signed with the certificate's private key.
#[derive(Clone)]
pub struct ClientCertificateCredential {
    app: App,
    thumbprint: String,
    client: TokenClient,
}

impl ClientCertificateCredential {
    /// `authority` must name a specific tenant (GUID or domain).
    pub fn new(
        authority: Authority,
        client_id: Uuid,
        certificate: ClientCertificate,
        options: CredentialOptions,
    ) -> Result<Self, AuthError> {
        let thumbprint = certificate.thumbprint();
        let app = App::new(
            authority,
            client_id,
            ClientAuth::Certificate(Arc::new(certificate)),
        )?;
        app.require_specific_tenant()?;
        Ok(ClientCertificateCredential {
            app,
            thumbprint,
            client: TokenClient::new(&options)?,
        })
    }
}

impl fmt::Debug for ClientCertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificateCredential")
            .field("authority", &self.app.authority.to_string())
            .field("client_id", &self.app.client_id)
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

#[async_trait]
impl TokenCredential for ClientCertificateCredential {
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

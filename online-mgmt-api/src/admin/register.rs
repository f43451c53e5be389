//! [`AdminApi::register_application`]: the call and its optional settings.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use uuid::Uuid;

use super::{AdminApi, AdminBackend, RegisteredApplication, find_identity};
use crate::AdminError;

/// A registration about to be sent, from [`AdminApi::register_application`]. Await it, or
/// call [`send`](Self::send).
#[derive(Debug)]
#[must_use = "a registration does nothing until it is awaited or sent"]
pub struct RegisterApplication<'a> {
    api: &'a AdminApi,
    application_id: Uuid,
    tenant_id: Option<Uuid>,
}

impl<'a> RegisterApplication<'a> {
    pub(super) fn new(api: &'a AdminApi, application_id: Uuid) -> Self {
        RegisterApplication {
            api,
            application_id,
            tenant_id: None,
        }
    }

    /// The tenant (directory) id the application is registered in. The Online Management
    /// API needs it; the Power Platform admin API takes the tenant from the caller's token
    /// and ignores it.
    pub fn tenant_id(mut self, tenant_id: Uuid) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    /// Sends it: the registration, new or existing.
    pub async fn send(self) -> Result<RegisteredApplication, AdminError> {
        let application_id = self.application_id;
        match &self.api.backend {
            AdminBackend::OnlineManagement(client) => {
                let tenant_id = self.tenant_id.ok_or_else(|| {
                    AdminError::invalid(
                        "tenant id (not set)",
                        "the Online Management API needs the tenant: call .tenant_id(..) with \
                         the Directory (tenant) ID from the app registration's Overview page",
                    )
                })?;
                if let Some(existing) = find_identity(client, application_id).await? {
                    return Ok(existing.into());
                }
                match client
                    .create_application_identity(application_id, tenant_id)
                    .await
                {
                    Ok(created) => Ok(created.into()),
                    // Registered by someone else in the meantime?
                    Err(e)
                        if matches!(e.http_status(), Some(400 | 409))
                            || matches!(e, AdminError::OperationFailed { .. }) =>
                    {
                        match find_identity(client, application_id).await? {
                            Some(existing) => Ok(existing.into()),
                            None => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            AdminBackend::PowerPlatform(client) => Ok(client
                .register_admin_application(application_id)
                .await?
                .into()),
        }
    }
}

impl<'a> IntoFuture for RegisterApplication<'a> {
    type Output = Result<RegisteredApplication, AdminError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

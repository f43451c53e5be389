//! The token endpoint's grants. Each grant turns a request into an [`Issue`](super::issue::Issue) (or an error) while
//! the state lock is held; signing happens afterwards.

pub(super) mod authorization_code;
pub(super) mod client_credentials;
pub(super) mod device_code;
pub(super) mod password;
pub(super) mod refresh_token;

use super::authority::Authority;
use super::client_auth::{ClientAuth, ClientCredentials};
use super::error::AadError;
use super::issue::{Principal, Protocol};
use super::params::{BasicCredentials, Params};
use crate::directory::{App, Directory, Resource, Tenant, User};
use crate::scope::{ScopeError, ScopeRequest};
use crate::state::Shared;

/// One request to a token endpoint.
pub(super) struct TokenRequest<'a> {
    pub(super) shared: &'a Shared,
    pub(super) protocol: Protocol,
    /// The `{tenant}` path segment as sent.
    pub(super) segment: &'a str,
    pub(super) authority: Authority,
    pub(super) params: &'a Params,
    pub(super) basic: Option<&'a BasicCredentials>,
}

impl<'a> TokenRequest<'a> {
    fn credentials(&self) -> ClientCredentials<'a> {
        ClientCredentials {
            params: self.params,
            basic: self.basic,
        }
    }

    /// Finds and authenticates the client of a user flow (public clients need no credential).
    fn user_flow_client<'d>(
        &self,
        directory: &'d Directory,
    ) -> Result<(&'d Tenant, &'d App, ClientAuth), AadError> {
        let client_id = self
            .credentials()
            .client_id()
            .ok_or_else(|| AadError::missing_parameter("client_id"))?;
        let (tenant, app) = self
            .authority
            .client_app(directory, self.segment, &client_id)?;
        let auth = self
            .credentials()
            .authenticate(self.shared, tenant, self.segment, app, true)?;
        Ok((tenant, app, auth))
    }

    /// The requested scope: `scope` on v2, `resource` on v1 (both required).
    fn scope(&self) -> Result<ScopeRequest, AadError> {
        self.optional_scope()?.ok_or_else(|| {
            AadError::missing_parameter(match self.protocol {
                Protocol::V2 => "scope",
                Protocol::V1 => "resource",
            })
        })
    }

    /// The requested scope, if the parameter is present.
    fn optional_scope(&self) -> Result<Option<ScopeRequest>, AadError> {
        match self.protocol {
            Protocol::V2 => self.params.get("scope").map(parse_scope).transpose(),
            Protocol::V1 => Ok(self.params.get("resource").map(ScopeRequest::for_resource)),
        }
    }
}

/// Parses a v2 scope parameter into a request or the matching AADSTS error.
pub(super) fn parse_scope(scope: &str) -> Result<ScopeRequest, AadError> {
    ScopeRequest::parse(scope).map_err(|e| match e {
        ScopeError::Invalid(item) => AadError::invalid_scope(&item),
        ScopeError::MultipleResources(_) => AadError::multiple_resources(scope),
    })
}

/// The registered resource a scope names: AADSTS70011 if it names none, AADSTS500011 if the
/// tenant does not have it.
pub(super) fn resource<'t>(
    tenant: &'t Tenant,
    scope: &ScopeRequest,
) -> Result<&'t Resource, AadError> {
    let uri = scope
        .resource
        .as_deref()
        .ok_or_else(|| AadError::invalid_scope(&scope.oidc_scopes().join(" ")))?;
    tenant
        .resource(uri)
        .ok_or_else(|| AadError::unknown_resource(uri, &tenant.domain))
}

/// AADSTS65001 unless the app has delegated consent for the resource.
pub(super) fn require_consent(
    tenant: &Tenant,
    app: &App,
    resource: &Resource,
) -> Result<(), AadError> {
    if tenant.has_consent(app.client_id, resource) {
        Ok(())
    } else {
        Err(AadError::consent_missing(
            app.client_id,
            &app.display_name,
            &resource.uri,
        ))
    }
}

/// The token principal for a user.
pub(super) fn user_principal(user: &User, mfa: bool) -> Principal {
    Principal::User {
        object_id: user.object_id,
        upn: user.upn.clone(),
        name: user.display_name.clone(),
        mfa,
    }
}

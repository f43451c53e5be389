//! Who is calling the admin APIs, and may they: bearer-token validation (audience per API),
//! admin roles for user tokens, and registration for app-only tokens. Handlers take one of the
//! extractors ([`OmaCaller`], [`BapCaller`], [`BapAdminUser`]) as their first argument.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use uuid::Uuid;

use super::challenge::unauthorized;
use super::reply::{self, Rejection};
use crate::resource;
use crate::seed::AdminRole;
use crate::state::{Shared, Store};
use crate::validate::{TokenRejection, validate_access_token};

/// The Online Management API resource (token audience).
pub(crate) const ADMIN_RESOURCE: &str = "https://admin.services.crm.dynamics.com";
/// The Power Platform admin (BAP) resource (token audience).
pub(crate) const BAP_RESOURCE: &str = "https://service.powerapps.com";
/// Another audience BAP accepts.
const BAP_ALTERNATE_RESOURCE: &str = "https://api.bap.microsoft.com";

/// Roles that may call the Online Management API.
const OMA_ROLES: &[AdminRole] = &[
    AdminRole::GlobalAdministrator,
    AdminRole::ServiceAdministrator,
];
/// Roles that may call the Power Platform admin API.
const BAP_ROLES: &[AdminRole] = &[
    AdminRole::GlobalAdministrator,
    AdminRole::ServiceAdministrator,
    AdminRole::PowerPlatformAdministrator,
    AdminRole::DynamicsAdministrator,
];

/// Which admin API is being called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminApi {
    /// The Online Management API (`/api/v1/`, `/api/v1.2/`).
    OnlineManagement,
    /// The Power Platform admin API (`/providers/Microsoft.BusinessAppPlatform/…`).
    PowerPlatform,
}

impl AdminApi {
    /// The resource named in challenges (without trailing slash).
    pub(crate) fn resource(self) -> &'static str {
        match self {
            Self::OnlineManagement => ADMIN_RESOURCE,
            Self::PowerPlatform => BAP_RESOURCE,
        }
    }

    /// Whether a token audience is accepted: OMA takes `https://admin.services.crm.dynamics.com`
    /// and its regional forms (`…crm4…`); BAP takes `https://service.powerapps.com` and
    /// `https://api.bap.microsoft.com`.
    fn accepts_audience(self, audience: &str) -> bool {
        let key = resource::key(audience);
        match self {
            Self::OnlineManagement => key
                .strip_prefix("https://admin.services.crm")
                .and_then(|rest| rest.strip_suffix(".dynamics.com"))
                .is_some_and(|region| region.bytes().all(|b| b.is_ascii_digit())),
            Self::PowerPlatform => {
                key == resource::key(BAP_RESOURCE) || key == resource::key(BAP_ALTERNATE_RESOURCE)
            }
        }
    }

    fn roles(self) -> &'static [AdminRole] {
        match self {
            Self::OnlineManagement => OMA_ROLES,
            Self::PowerPlatform => BAP_ROLES,
        }
    }

    fn role_message(self) -> &'static str {
        match self {
            Self::OnlineManagement => {
                "The signed-in account needs the Global or Service administrator role to use the \
                 Online Management API."
            }
            Self::PowerPlatform => {
                "The signed-in account needs the Global, Service, Power Platform or Dynamics 365 \
                 administrator role to use the Power Platform admin API."
            }
        }
    }
}

/// The principal behind a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// A signed-in user (delegated token).
    User { object_id: Uuid, upn: String },
    /// An application (app-only token).
    App { client_id: Uuid },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) tenant_id: Uuid,
    pub(crate) principal: Principal,
}

impl Caller {
    /// The UPN of a user, or the client ID of an app (for `CreatedBy`).
    pub(crate) fn display_name(&self) -> String {
        match &self.principal {
            Principal::User { upn, .. } => upn.clone(),
            Principal::App { client_id } => client_id.to_string(),
        }
    }

    /// The user's object ID, for user tokens.
    pub(crate) fn user_id(&self) -> Option<Uuid> {
        match &self.principal {
            Principal::User { object_id, .. } => Some(*object_id),
            Principal::App { .. } => None,
        }
    }
}

/// Validates the bearer token for the API's audiences.
fn authenticate(shared: &Shared, headers: &HeaderMap, api: AdminApi) -> Result<Caller, Rejection> {
    let deny =
        |code: &str, message: &str| Rejection::from(unauthorized(shared, api, code, message));
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(deny(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    let value = value.to_str().unwrap_or_default().trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(deny(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header must be 'Bearer <token>'.",
            ));
        }
    };
    let claims = match validate_access_token(shared, token, api.resource()) {
        Err(TokenRejection::WrongAudience { actual, .. }) if api.accepts_audience(&actual) => {
            validate_access_token(shared, token, &actual)
        }
        other => other,
    }
    .map_err(|rejection| match rejection {
        TokenRejection::WrongAudience { actual, .. } => deny(
            "InvalidAuthenticationTokenAudience",
            &format!(
                "The access token was issued for the audience '{actual}', but this API accepts \
                 tokens for '{}/' only.",
                api.resource()
            ),
        ),
        TokenRejection::Expired { .. } => deny(
            "ExpiredAuthenticationToken",
            &format!("The access token is not valid: {rejection}."),
        ),
        other => deny(
            "InvalidAuthenticationToken",
            &format!("The access token is not valid: {other}."),
        ),
    })?;
    let principal = if claims.is_app_only() {
        Principal::App {
            client_id: claims.appid,
        }
    } else {
        Principal::User {
            object_id: claims.oid,
            upn: claims.upn.unwrap_or_default(),
        }
    };
    Ok(Caller {
        tenant_id: claims.tid,
        principal,
    })
}

/// 403 with code `AuthorizationFailed`.
fn forbidden(message: impl Into<String>) -> Rejection {
    reply::error(StatusCode::FORBIDDEN, "AuthorizationFailed", message).into()
}

/// Checks a delegated caller's admin roles.
fn require_role(
    store: &Store,
    api: AdminApi,
    caller: &Caller,
    user_id: Uuid,
) -> Result<(), Rejection> {
    let user = store
        .directory
        .tenant(caller.tenant_id)
        .and_then(|tenant| tenant.user(user_id));
    match user {
        Some(user) if user.has_any_role(api.roles()) => Ok(()),
        Some(_) => Err(forbidden(api.role_message())),
        None => Err(forbidden(format!(
            "The signed-in account {user_id} is not in the directory of tenant {}.",
            caller.tenant_id
        ))),
    }
}

/// Checks that the caller may use the API: a user with an admin role, or a registered app.
fn authorize(store: &Store, api: AdminApi, caller: &Caller) -> Result<(), Rejection> {
    match (&caller.principal, api) {
        (Principal::User { object_id, .. }, _) => require_role(store, api, caller, *object_id),
        (Principal::App { client_id }, AdminApi::OnlineManagement) => {
            match store.admin.identity_for_app(caller.tenant_id, *client_id) {
                Some(identity) if identity.enabled => Ok(()),
                Some(identity) => Err(forbidden(format!(
                    "The tenant application identity {} of application {client_id} is disabled. \
                     Enable it with POST /api/v1.2/TenantApplicationIdentities/{}/Enable.",
                    identity.id, identity.id
                ))),
                None => Err(forbidden(format!(
                    "The application {client_id} is not registered as a tenant application \
                     identity (management app) of tenant {}. A Global or Service administrator \
                     must register it first with POST /api/v1.2/TenantApplicationIdentities \
                     (New-CrmManagementApp).",
                    caller.tenant_id
                ))),
            }
        }
        (Principal::App { client_id }, AdminApi::PowerPlatform) => {
            if store
                .admin
                .admin_application(caller.tenant_id, *client_id)
                .is_some()
            {
                Ok(())
            } else {
                Err(forbidden(format!(
                    "Authorization has been denied for this request. Make sure that your service \
                     principal is registered as an admin management application: an \
                     administrator must call PUT /providers/Microsoft.BusinessAppPlatform/\
                     adminApplications/{client_id} with a user token \
                     (New-PowerAppManagementApp)."
                )))
            }
        }
    }
}

/// A caller allowed to use the Online Management API.
#[derive(Debug, Clone)]
pub(crate) struct OmaCaller(pub(crate) Caller);

impl FromRequestParts<Arc<Shared>> for OmaCaller {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let caller = authenticate(shared, &parts.headers, AdminApi::OnlineManagement)?;
        authorize(&shared.lock(), AdminApi::OnlineManagement, &caller)?;
        Ok(Self(caller))
    }
}

/// A caller allowed to use the Power Platform admin API.
#[derive(Debug, Clone)]
pub(crate) struct BapCaller(pub(crate) Caller);

impl FromRequestParts<Arc<Shared>> for BapCaller {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let caller = authenticate(shared, &parts.headers, AdminApi::PowerPlatform)?;
        authorize(&shared.lock(), AdminApi::PowerPlatform, &caller)?;
        Ok(Self(caller))
    }
}

/// An administrator *user* of the Power Platform admin API: registering admin management
/// applications needs a user; app-only tokens (a service principal registering itself or
/// another app) are refused with 403.
#[derive(Debug, Clone)]
pub(crate) struct BapAdminUser(pub(crate) Caller);

impl FromRequestParts<Arc<Shared>> for BapAdminUser {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let caller = authenticate(shared, &parts.headers, AdminApi::PowerPlatform)?;
        let Principal::User { object_id, .. } = caller.principal else {
            return Err(forbidden(
                "A service principal cannot register itself (or any application) as an admin \
                 management application. Registration needs a user token of a Global, Power \
                 Platform or Dynamics 365 administrator (New-PowerAppManagementApp).",
            ));
        };
        require_role(&shared.lock(), AdminApi::PowerPlatform, &caller, object_id)?;
        Ok(Self(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_per_api() {
        let oma = AdminApi::OnlineManagement;
        assert!(oma.accepts_audience("https://admin.services.crm.dynamics.com/"));
        assert!(oma.accepts_audience("https://admin.services.crm4.dynamics.com"));
        assert!(!oma.accepts_audience("https://admin.services.crmx.dynamics.com"));
        assert!(!oma.accepts_audience("https://service.powerapps.com"));
        let bap = AdminApi::PowerPlatform;
        assert!(bap.accepts_audience("https://service.powerapps.com/"));
        assert!(bap.accepts_audience("https://api.bap.microsoft.com"));
        assert!(!bap.accepts_audience("https://admin.services.crm.dynamics.com"));
    }
}

//! Bearer authentication and permission checks of the emulator's Graph: a token for the
//! resource `{origin}/graph` (case and trailing slash ignored), then an application permission
//! (`roles`) or delegated permission (`scp`) that allows the call, as the API pages list them.

use axum::http::{HeaderMap, StatusCode, header};
use uuid::Uuid;

use super::reply::GraphError;
use crate::claims::Claims;
use crate::state::Shared;
use crate::validate::{TokenRejection, validate_access_token};

/// What a call reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Users' full profiles ("List users" with every property, "user: delta": User.Read.All
    /// is the least privileged permission for delta).
    Users,
    /// Users' basic profiles (`User.ReadBasic.All`, see [`Profile::Basic`]).
    BasicUsers,
    /// Groups and their members ("List groups", "List group members", "List memberOf").
    Groups,
}

impl Need {
    /// Application permissions that allow the call (least to most privileged).
    fn app_roles(self) -> &'static [&'static str] {
        match self {
            Self::Users => &[
                "User.Read.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Self::BasicUsers => &["User.ReadBasic.All"],
            Self::Groups => &[
                "GroupMember.Read.All",
                "Group.Read.All",
                "GroupMember.ReadWrite.All",
                "Group.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
        }
    }

    /// Delegated permissions that allow the call. The emulator's sign-in service turns
    /// `{resource}/.default` into `user_impersonation` for user tokens, so that counts as
    /// "everything consented" here (an emulator convention, UNCONFIRMED against Entra).
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::Users => &[
                "User.Read.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
                "user_impersonation",
            ],
            Self::BasicUsers => &["User.ReadBasic.All"],
            Self::Groups => &[
                "GroupMember.Read.All",
                "Group.Read.All",
                "GroupMember.ReadWrite.All",
                "Group.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
                "user_impersonation",
            ],
        }
    }
}

/// The Graph resource (token audience): `{origin}/graph`.
pub(crate) fn resource(shared: &Shared) -> String {
    shared.url(crate::seed::GRAPH_RESOURCE_PATH)
}

/// How much of each user a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// Every property (User.Read.All or higher).
    Full,
    /// Only the basic profile (`User.ReadBasic.All`: displayName, givenName, id, mail,
    /// surname, userPrincipalName; photo and securityIdentifier are not served here), per the
    /// permissions reference. Asking for more is refused with 403 (UNCONFIRMED: Graph's exact
    /// answer to a `$select` beyond the basic profile).
    Basic,
}

/// Checks the bearer token and the permission; returns the caller's tenant.
pub(crate) fn authorize(
    shared: &Shared,
    headers: &HeaderMap,
    need: Need,
) -> Result<Uuid, GraphError> {
    let claims = authenticate(shared, headers)?;
    if !allows(&claims, need) {
        return Err(denied());
    }
    Ok(claims.tid)
}

/// Checks the bearer token for reading users ("List users", "Get user"); returns the
/// caller's tenant and how much of a user it may read.
pub(crate) fn authorize_user_read(
    shared: &Shared,
    headers: &HeaderMap,
) -> Result<(Uuid, Profile), GraphError> {
    let claims = authenticate(shared, headers)?;
    if allows(&claims, Need::Users) {
        Ok((claims.tid, Profile::Full))
    } else if allows(&claims, Need::BasicUsers) {
        Ok((claims.tid, Profile::Basic))
    } else {
        Err(denied())
    }
}

/// `403 Authorization_RequestDenied`.
pub(crate) fn denied() -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

/// The bearer token's claims, if it is valid for the Graph resource.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Claims, GraphError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(unauthenticated(shared, "Access token is empty.")),
    };
    validate_access_token(shared, token, &resource(shared)).map_err(|rejection| {
        let message = match rejection {
            TokenRejection::Expired { .. } => "Lifetime validation failed, the token is expired.",
            TokenRejection::WrongAudience { .. } => {
                "Access token validation failure. Invalid audience."
            }
            _ => "Access token validation failure.",
        };
        unauthenticated(shared, message)
    })
}

/// Whether the token's application permissions (`roles`) or delegated ones (`scp`) allow
/// `need`.
fn allows(claims: &Claims, need: Need) -> bool {
    if claims.is_app_only() {
        let roles = claims.roles.as_deref().unwrap_or_default();
        need.app_roles()
            .iter()
            .any(|needed| roles.iter().any(|r| r.eq_ignore_ascii_case(needed)))
    } else {
        let scopes = claims.scopes();
        need.scopes()
            .iter()
            .any(|needed| scopes.iter().any(|s| s.eq_ignore_ascii_case(needed)))
    }
}

/// `401 InvalidAuthenticationToken` with a challenge naming the emulator's authority.
fn unauthenticated(shared: &Shared, message: &str) -> GraphError {
    let tenant = shared
        .lock()
        .directory
        .first_tenant_id()
        .map_or_else(|| "common".to_owned(), |id| id.to_string());
    GraphError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
    .with_header(
        header::WWW_AUTHENTICATE,
        format!(
            "Bearer realm=\"\", authorization_uri=\"{}\", resource_id=\"{}\"",
            shared.url(&format!("{tenant}/oauth2/authorize")),
            resource(shared)
        ),
    )
}

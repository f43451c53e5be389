//! The catalogue of AADSTS errors the emulator produces, one constructor per situation.
//!
//! Messages follow the wording Entra uses; clients must classify on `error` and `error_codes`,
//! never on the text.

use uuid::Uuid;

use super::error::AadError;

impl AadError {
    /// 900144: a required parameter is missing.
    pub(crate) fn missing_parameter(name: &str) -> Self {
        Self::new(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    /// 9002313: the request (or a grant in it) is malformed.
    pub(crate) fn malformed(detail: &str) -> Self {
        Self::new(
            "invalid_request",
            9002313,
            format!("Invalid request. Request is malformed or invalid. {detail}"),
        )
    }

    /// 90002: the tenant in the path does not exist.
    pub(crate) fn unknown_tenant(segment: &str) -> Self {
        Self::new(
            "invalid_request",
            90002,
            format!(
                "Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and \
                 are signing into the correct cloud."
            ),
        )
    }

    /// 9001023: the grant is not available on `/common`, `/organizations` or `/consumers`.
    pub(crate) fn tenant_required(segment: &str) -> Self {
        Self::new(
            "invalid_request",
            9001023,
            format!(
                "The grant type isn't supported over the /{segment} endpoint. Please use the \
                 tenant-specific endpoint (or /organizations for user sign-ins)."
            ),
        )
    }

    /// 700016: the client ID is not registered in the tenant.
    pub(crate) fn unknown_app(client_id: &str, tenant: &str) -> Self {
        Self::new(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. \
                 This can happen if the application has not been installed by the administrator of the \
                 tenant or consented to by any user in the tenant. You may have sent your \
                 authentication request to the wrong tenant."
            ),
        )
    }

    /// 7000218: a confidential client sent no credential.
    pub(crate) fn missing_client_credential() -> Self {
        Self::new(
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    }

    /// 700025: a public client without credentials sent one.
    pub(crate) fn public_client_with_credential() -> Self {
        Self::new(
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        )
    }

    /// 7000215: wrong client secret.
    pub(crate) fn invalid_secret(client_id: Uuid) -> Self {
        Self::new(
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the \
                 client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )
    }

    /// 7000222: the client secret has expired.
    pub(crate) fn expired_secret(client_id: Uuid) -> Self {
        Self::new(
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{client_id}' are expired. Visit the Azure \
                 portal to create new keys for your app, or consider using certificate credentials \
                 for added security."
            ),
        )
    }

    /// 9002313 with `invalid_request`: a `client_assertion_type` other than JWT bearer.
    pub(crate) fn bad_assertion_type() -> Self {
        Self::malformed(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
        )
    }

    /// 700027: the assertion's certificate is not registered on the app.
    pub(crate) fn certificate_not_registered(thumbprint: &str, client_id: Uuid) -> Self {
        Self::new(
            "invalid_client",
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not registered \
                 on application. [Reason - The key was not found., Thumbprint of key used by client: \
                 '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph \
                 to see configured keys for app Id '{client_id}'.]"
            ),
        )
    }

    /// 700027: the assertion's signature does not verify.
    pub(crate) fn assertion_signature() -> Self {
        Self::new(
            "invalid_client",
            700027,
            "Client assertion failed signature validation.",
        )
    }

    /// 50027: the assertion is not a valid JWT for this endpoint.
    pub(crate) fn invalid_assertion(detail: &str) -> Self {
        Self::new(
            "invalid_client",
            50027,
            format!("JWT token is invalid or malformed. {detail}"),
        )
    }

    /// 700024: the assertion is outside its validity window.
    pub(crate) fn assertion_time(now: i64, nbf: Option<i64>, exp: i64) -> Self {
        let nbf = nbf.map_or_else(|| "(none)".to_owned(), |n| n.to_string());
        Self::new(
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {now}, assertion \
                 valid from {nbf}, expiry time of assertion {exp}."
            ),
        )
    }

    /// 50048: `sub` and `iss` of the assertion differ.
    pub(crate) fn assertion_subject_mismatch() -> Self {
        Self::new(
            "invalid_client",
            50048,
            "Subject mismatches Issuer claim in the client assertion.",
        )
    }

    /// 700021: the assertion is for another client ID.
    pub(crate) fn assertion_client_mismatch() -> Self {
        Self::new(
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        )
    }

    /// 70003: unsupported `grant_type`.
    pub(crate) fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        )
    }

    /// 70011: a scope that names no resource, or no resource at all.
    pub(crate) fn invalid_scope(scope: &str) -> Self {
        Self::new(
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope '{scope}' \
                 does not name a resource registered in the emulator."
            ),
        )
    }

    /// 28000: scopes for more than one resource.
    pub(crate) fn multiple_resources(scope: &str) -> Self {
        Self::new(
            "invalid_scope",
            28000,
            format!(
                "Provided value for the input parameter scope is not valid because it contains more \
                 than one resource. Scope {scope} is not valid."
            ),
        )
    }

    /// 1002012: client credentials without `/.default`.
    pub(crate) fn client_credentials_scope(scope: &str) -> Self {
        Self::new(
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have \
                 a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    }

    /// 500011: the resource is not registered in the tenant.
    pub(crate) fn unknown_resource(resource: &str, tenant: &str) -> Self {
        Self::new(
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. \
                 This can happen if the application has not been installed by the administrator of the \
                 tenant or consented to by any user in the tenant. You might have sent your \
                 authentication request to the wrong tenant."
            ),
        )
    }

    /// 65001: no delegated consent for the app and resource.
    pub(crate) fn consent_missing(client_id: Uuid, app_name: &str, resource: &str) -> Self {
        Self::new(
            "invalid_grant",
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID \
                 '{client_id}' named '{app_name}' for resource '{resource}'. Send an interactive \
                 authorization request for this user and resource."
            ),
        )
    }

    /// 50034: no such user in the tenant.
    pub(crate) fn unknown_user(tenant: &str) -> Self {
        Self::new(
            "invalid_grant",
            50034,
            format!(
                "The user account {{EUII Hidden}} does not exist in the {tenant} directory. To sign \
                 into this application, the account must be added to the directory."
            ),
        )
    }

    /// 50126: wrong password.
    pub(crate) fn bad_password() -> Self {
        Self::new(
            "invalid_grant",
            50126,
            "Error validating credentials due to invalid username or password.",
        )
    }

    /// 50076: MFA required; the password grant cannot satisfy it.
    pub(crate) fn mfa_required(resource: &str) -> Self {
        Self::new(
            "invalid_grant",
            50076,
            format!(
                "Due to a configuration change made by your administrator, or because you moved to a \
                 new location, you must use multi-factor authentication to access '{resource}'."
            ),
        )
    }

    /// 50079: the user must register for MFA.
    pub(crate) fn mfa_enrollment_required(resource: &str) -> Self {
        Self::new(
            "invalid_grant",
            50079,
            format!(
                "Due to a configuration change made by your administrator, or because you moved to a \
                 new location, you must enroll in multi-factor authentication to access '{resource}'."
            ),
        )
    }

    /// 70008: a used, rotated, revoked or expired code or refresh token.
    pub(crate) fn expired_or_revoked_grant() -> Self {
        Self::new(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity or has \
             been revoked. Send a new interactive authorization request for this user and resource.",
        )
    }

    /// 700082: a refresh token unused for longer than its inactivity lifetime.
    pub(crate) fn refresh_token_inactive(issued: &str, inactive_secs: i64) -> Self {
        Self::new(
            "invalid_grant",
            700082,
            format!(
                "The refresh token has expired due to inactivity. The token was issued on {issued} and \
                 was inactive for {inactive_secs} seconds."
            ),
        )
    }

    /// 9002313 with `invalid_grant`: a code or refresh token this emulator never issued.
    pub(crate) fn unknown_grant(kind: &str) -> Self {
        Self::new(
            "invalid_grant",
            9002313,
            format!("Invalid request. Request is malformed or invalid. The {kind} is not valid."),
        )
    }

    /// 70000: the grant was issued to another client.
    pub(crate) fn grant_client_mismatch() -> Self {
        Self::new(
            "invalid_grant",
            70000,
            "The provided grant was issued to a different client application.",
        )
    }

    /// 700005: the grant belongs to another tenant.
    pub(crate) fn grant_tenant_mismatch() -> Self {
        Self::new(
            "invalid_grant",
            700005,
            "Provided grant is intended to use against other tenant, thus rejected.",
        )
    }

    /// 501481: the PKCE verifier does not match the challenge.
    pub(crate) fn pkce_mismatch() -> Self {
        Self::new(
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        )
    }

    /// 500112: the redirect URI differs from the one used at the authorize endpoint.
    pub(crate) fn redirect_uri_mismatch(given: &str, expected: &str) -> Self {
        Self::new(
            "invalid_grant",
            500112,
            format!(
                "The reply address '{given}' does not match the reply address '{expected}' provided \
                 when requesting Authorization code."
            ),
        )
    }

    /// 50011: the redirect URI is not registered on the app.
    pub(crate) fn unregistered_redirect_uri(uri: &str, client_id: Uuid) -> Self {
        Self::new(
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{uri}' specified in the request does not match the redirect URIs \
                 configured for the application '{client_id}'."
            ),
        )
    }

    /// 70005: a `response_type` other than `code`.
    pub(crate) fn unsupported_response_type(response_type: &str) -> Self {
        Self::new(
            "unsupported_response_type",
            70005,
            format!(
                "The app requested an unsupported response type '{response_type}'; use 'code'."
            ),
        )
    }

    /// 70007: an unknown `response_mode`.
    pub(crate) fn unsupported_response_mode(mode: &str) -> Self {
        Self::new(
            "invalid_request",
            70007,
            format!("The app requested an unsupported response mode '{mode}'."),
        )
    }

    /// 501491: a PKCE challenge of the wrong size.
    pub(crate) fn bad_code_challenge() -> Self {
        Self::new(
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter.",
        )
    }

    /// 65001 as `consent_required`, for the authorize endpoint.
    pub(crate) fn consent_required(client_id: Uuid, app_name: &str, resource: &str) -> Self {
        Self {
            error: "consent_required",
            ..Self::consent_missing(client_id, app_name, resource)
        }
    }

    /// 70016: the device code is not approved yet.
    pub(crate) fn authorization_pending() -> Self {
        Self::new(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    }

    /// `slow_down` (RFC 8628). Entra documents no code for it; the emulator uses 50196
    /// (LoopDetected), Entra's code for clients that poll too often.
    pub(crate) fn slow_down() -> Self {
        Self::new(
            "slow_down",
            50196,
            "The client is polling too quickly. Add 5 seconds to the polling interval.",
        )
    }

    /// 65004: the user declined the device-code sign-in.
    pub(crate) fn authorization_declined() -> Self {
        Self::new(
            "authorization_declined",
            65004,
            "The user declined to authorize the device code request.",
        )
    }

    /// 70019: the device code expired.
    pub(crate) fn device_code_expired() -> Self {
        Self::new("expired_token", 70019, "Verification code expired.")
    }

    /// 70018: no such device code.
    pub(crate) fn bad_verification_code() -> Self {
        Self::new(
            "bad_verification_code",
            70018,
            "Invalid verification code due to User typing in wrong user code for device code flow.",
        )
    }

    /// 50000: the emulator failed to sign a token.
    pub(crate) fn token_issuance(detail: &str) -> Self {
        Self::new(
            "server_error",
            50000,
            format!("There was an error issuing a token. {detail}"),
        )
    }
}

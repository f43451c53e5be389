//! Verification of certificate client assertions (`client_assertion`, RFC 7523 JWT bearer).

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::error::AadError;
use crate::directory::{App, RegisteredCertificate, Tenant};
use crate::state::Shared;

/// Clock skew tolerated on `nbf` and `exp`, in seconds (Entra allows about five minutes).
const SKEW_SECS: i64 = 300;

/// The value `client_assertion_type` must have.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Checks a client assertion for `app`: the certificate named by `x5t` (or `x5t#S256`) is
/// registered, the RS256/PS256 signature verifies, `iss` = `sub` = client ID, `aud` is this
/// tenant's token endpoint, and `nbf`/`exp` hold on the emulator clock.
pub(crate) fn verify(
    assertion: &str,
    shared: &Shared,
    tenant: &Tenant,
    segment: &str,
    app: &App,
) -> Result<(), AadError> {
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| AadError::invalid_assertion("The client assertion is not a JWT."))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(AadError::invalid_assertion(
            "The client assertion must be signed with RS256 or PS256.",
        ));
    }
    let certificate = find_certificate(app, header.x5t.as_deref(), header.x5t_s256.as_deref())?;

    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(assertion, &certificate.key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::InvalidAlgorithm => AadError::assertion_signature(),
            _ => AadError::invalid_assertion("The client assertion claims cannot be read."),
        })?
        .claims;

    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let (issuer, subject) = match (text("iss"), text("sub")) {
        (Some(issuer), Some(subject)) => (issuer, subject),
        _ => {
            return Err(AadError::invalid_assertion(
                "The client assertion must have 'iss' and 'sub' claims.",
            ));
        }
    };
    if issuer != subject {
        return Err(AadError::assertion_subject_mismatch());
    }
    if !subject.eq_ignore_ascii_case(&app.client_id.to_string()) {
        return Err(AadError::assertion_client_mismatch());
    }

    let audiences = valid_audiences(shared, tenant, segment);
    let presented: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !presented
        .iter()
        .any(|aud| audiences.contains(&normalise(aud)))
    {
        return Err(AadError::invalid_assertion(&format!(
            "The client assertion audience {presented:?} is not the token endpoint {}.",
            audiences.first().map(String::as_str).unwrap_or_default()
        )));
    }

    let now = shared.clock.unix();
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| AadError::invalid_assertion("The client assertion has no 'exp' claim."))?;
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    if now > exp.saturating_add(SKEW_SECS)
        || nbf.is_some_and(|nbf| nbf > now.saturating_add(SKEW_SECS))
    {
        return Err(AadError::assertion_time(now, nbf, exp));
    }
    Ok(())
}

/// The registered certificate named by the `x5t` (SHA-1) or `x5t#S256` header.
fn find_certificate<'a>(
    app: &'a App,
    x5t: Option<&str>,
    x5t_s256: Option<&str>,
) -> Result<&'a RegisteredCertificate, AadError> {
    let decode = |value: &str| {
        URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .or_else(|_| URL_SAFE.decode(value))
            .unwrap_or_default()
    };
    let (thumbprint, found) = match (x5t, x5t_s256) {
        (Some(x5t), _) => {
            let thumbprint = decode(x5t);
            let found = app
                .certificates
                .iter()
                .find(|c| c.sha1[..] == thumbprint[..]);
            (thumbprint, found)
        }
        (None, Some(x5t_s256)) => {
            let thumbprint = decode(x5t_s256);
            let found = app
                .certificates
                .iter()
                .find(|c| c.sha256[..] == thumbprint[..]);
            (thumbprint, found)
        }
        (None, None) => {
            return Err(AadError::invalid_assertion(
                "The client assertion header must carry the certificate thumbprint in 'x5t'.",
            ));
        }
    };
    found.ok_or_else(|| {
        let hex: String = thumbprint.iter().map(|b| format!("{b:02X}")).collect();
        AadError::certificate_not_registered(&hex, app.client_id)
    })
}

/// The audiences accepted for an assertion sent to this tenant's token endpoint (v2 or v1 form,
/// or the v2 issuer), by tenant GUID, domain or the path segment used.
fn valid_audiences(shared: &Shared, tenant: &Tenant, segment: &str) -> Vec<String> {
    let names = [
        tenant.id.to_string(),
        tenant.domain.clone(),
        segment.to_owned(),
    ];
    names
        .iter()
        .flat_map(|name| {
            [
                format!("{name}/oauth2/v2.0/token"),
                format!("{name}/oauth2/token"),
                format!("{name}/v2.0"),
            ]
        })
        .map(|path| normalise(&shared.url(&path)))
        .collect()
}

/// Case- and trailing-slash-insensitive form of a URL.
fn normalise(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

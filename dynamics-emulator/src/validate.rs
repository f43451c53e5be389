//! Validation of emulator-issued access tokens, for the services that accept them.

use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};

use crate::claims::Claims;
use crate::resource;
use crate::state::Shared;

/// Why an access token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRejection {
    /// No token, or not a JWT of the expected shape.
    #[error("the access token is malformed: {0}")]
    Malformed(String),
    /// The token names a signing key this emulator does not have.
    #[error("the access token was signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the access token signature is invalid")]
    BadSignature,
    /// `exp` is not after the emulator's "now".
    #[error("the access token expired at {exp} (emulator time is {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The emulator's "now".
        now: i64,
    },
    /// `nbf` is after the emulator's "now".
    #[error("the access token is not valid before {nbf}")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
    },
    /// The token is for another resource.
    #[error("the access token audience {actual} is not {expected}")]
    WrongAudience {
        /// The audience the caller expected.
        expected: String,
        /// The token's `aud`.
        actual: String,
    },
    /// The issuer is not this emulator (for the token's tenant).
    #[error("the access token issuer {0} is not this emulator")]
    WrongIssuer(String),
}

/// Validates `bearer` (a JWT, optionally prefixed with `Bearer `): signature, key ID, issuer,
/// `nbf`/`exp` against the emulator clock, and `aud` against `expected_audience` (trailing slashes
/// and case ignored).
pub(crate) fn validate_access_token(
    shared: &Shared,
    bearer: &str,
    expected_audience: &str,
) -> Result<Claims, TokenRejection> {
    let token = strip_bearer(bearer);
    if token.is_empty() {
        return Err(TokenRejection::Malformed("no token".to_owned()));
    }
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| TokenRejection::Malformed(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(TokenRejection::Malformed(format!(
            "unexpected algorithm {:?}",
            header.alg
        )));
    }
    if header.kid.as_deref() != Some(shared.signing.kid()) {
        return Err(TokenRejection::UnknownKey);
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(token, shared.signing.decoding_key(), &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => TokenRejection::BadSignature,
            _ => TokenRejection::Malformed(e.to_string()),
        })?
        .claims;
    if claims.iss != shared.issuer_v2(claims.tid) && claims.iss != shared.issuer_v1(claims.tid) {
        return Err(TokenRejection::WrongIssuer(claims.iss));
    }
    let now = shared.clock.unix();
    if claims.exp <= now {
        return Err(TokenRejection::Expired {
            exp: claims.exp,
            now,
        });
    }
    if claims.nbf > now {
        return Err(TokenRejection::NotYetValid { nbf: claims.nbf });
    }
    if resource::key(&claims.aud) != resource::key(expected_audience) {
        return Err(TokenRejection::WrongAudience {
            expected: resource::display_form(expected_audience),
            actual: claims.aud,
        });
    }
    Ok(claims)
}

/// The token without a leading `Bearer ` (any case) and surrounding whitespace.
fn strip_bearer(value: &str) -> &str {
    let value = value.trim();
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::strip_bearer;

    #[test]
    fn bearer_prefix_is_optional() {
        assert_eq!(strip_bearer("Bearer abc"), "abc");
        assert_eq!(strip_bearer("bearer  abc "), "abc");
        assert_eq!(strip_bearer("abc"), "abc");
    }
}

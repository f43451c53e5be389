//! Recognises an expired change tracking token in an error answer.
//!
//! `ExpiredVersionStamp` is `0x80044352` (`-2147204270`), message "Version stamp associated
//! with the client has expired. Please perform a full sync." (powerapps-docs issue #3845; the
//! Web API body is the usual `{"error":{"code":…,"message":…}}`). The HTTP status is
//! UNCONFIRMED: any status with that code or message counts, and so does 410 Gone, which
//! OData services (Microsoft Graph) use for the same condition.
//!
//! The classification happens after the pipeline: were the service to answer with a 5xx, the
//! pipeline's ordinary retries of a GET would run first; the error that ends them is still
//! [`DataverseError::ChangeTokenExpired`], which reports itself as not retryable.

use dynamics_http::HttpError;

use crate::error::DataverseError;

const CODES: [&str; 2] = ["0x80044352", "-2147204270"];
const MESSAGE: &str = "version stamp associated with the client has expired";

/// `true` when the service says the token has expired.
pub(crate) fn is_expired(error: &HttpError) -> bool {
    let Some(status) = error.status_error() else {
        return false;
    };
    let code = status.code.as_deref().is_some_and(|c| {
        CODES
            .iter()
            .any(|known| c.trim().eq_ignore_ascii_case(known))
    });
    let message = status
        .message
        .as_deref()
        .unwrap_or(&status.body)
        .to_ascii_lowercase()
        .contains(MESSAGE);
    code || message || status.status == 410
}

/// Turns an expired-token answer into [`DataverseError::ChangeTokenExpired`].
pub(crate) fn classify(error: DataverseError) -> DataverseError {
    match error {
        DataverseError::Http(http) if is_expired(&http) => DataverseError::ChangeTokenExpired(http),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamics_http::{HttpResponse, Method, status_error};
    use url::Url;

    fn answer(status: u16, body: &str) -> HttpError {
        let url = Url::parse("https://org.example/api/data/v9.2/accounts").expect("url");
        status_error(&HttpResponse::new(
            Method::Get,
            url,
            status,
            vec![("Content-Type".into(), "application/json".into())],
            body.as_bytes().to_vec(),
        ))
    }

    #[test]
    fn the_code_the_message_or_410_mean_expired() {
        let by_code = answer(400, r#"{"error":{"code":"0x80044352","message":"x"}}"#);
        assert!(is_expired(&by_code));
        let by_decimal = answer(500, r#"{"error":{"code":"-2147204270","message":"x"}}"#);
        assert!(is_expired(&by_decimal));
        let by_text = answer(
            500,
            r#"{"error":{"code":"0x0","message":"Version stamp associated with the client has expired. Please perform a full sync."}}"#,
        );
        assert!(is_expired(&by_text));
        assert!(is_expired(&answer(410, "")));
        let other = answer(400, r#"{"error":{"code":"0x80060888","message":"bad"}}"#);
        assert!(!is_expired(&other));
        let classified = classify(DataverseError::Http(by_code));
        assert!(classified.is_change_token_expired());
        assert!(!classified.is_retryable());
        assert_eq!(classified.code(), Some("0x80044352"));
        assert!(!classify(DataverseError::Http(other)).is_change_token_expired());
    }
}

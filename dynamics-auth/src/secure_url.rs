//! The rule for where tokens and secrets may be sent: HTTPS, or plain HTTP to loopback only.

use url::{Host, Url};

use crate::AuthError;

/// `true` when the URL's host is a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses `value` and accepts it only as `https`, or as `http` to a loopback host
/// (the emulator and other local test servers). `what` names the setting in the error.
pub fn parse_secure_url(what: &'static str, value: &str) -> Result<Url, AuthError> {
    let url = Url::parse(value.trim()).map_err(|e| {
        AuthError::invalid(
            what,
            value,
            format!("not an absolute URL ({e}); write it as https://host/..."),
        )
    })?;
    ensure_secure(what, &url)?;
    Ok(url)
}

/// Checks an already parsed URL against the same rule as [`parse_secure_url`].
pub fn ensure_secure(what: &'static str, url: &Url) -> Result<(), AuthError> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(AuthError::invalid(
            what,
            url.as_str(),
            "plain http is only allowed to a loopback address (localhost, 127.0.0.1, [::1]); use https",
        )),
        _ => Err(AuthError::invalid(
            what,
            url.as_str(),
            "use an https:// URL",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_allowed() {
        assert!(parse_secure_url("x", "https://login.microsoftonline.com").is_ok());
        assert!(parse_secure_url("x", "http://127.0.0.1:7070").is_ok());
        assert!(parse_secure_url("x", "http://127.9.9.9").is_ok());
        assert!(parse_secure_url("x", "http://localhost:1").is_ok());
        assert!(parse_secure_url("x", "http://[::1]:8080/").is_ok());
    }

    #[test]
    fn plain_http_elsewhere_and_odd_schemes_are_refused() {
        for bad in [
            "http://login.microsoftonline.com",
            "http://10.0.0.1",
            "ftp://x",
            "not a url",
        ] {
            let err = parse_secure_url("authority host", bad).expect_err(bad);
            assert!(err.to_string().contains("authority host"), "{err}");
        }
    }
}

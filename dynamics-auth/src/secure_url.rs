//! The rule for where tokens and secrets may be sent: HTTPS, or plain HTTP to loopback only,
//! and never to a URL with user info (`https://user:password@host`), and the redaction used
//! whenever a URL is shown in an error or a log.

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
/// (the emulator and other local test servers), without user info. `what` names the setting
/// in the error, which shows the value redacted (see [`redact`]).
pub fn parse_secure_url(what: &'static str, value: &str) -> Result<Url, AuthError> {
    let url = Url::parse(value.trim()).map_err(|e| {
        AuthError::invalid(
            what,
            redact(value),
            format!("not an absolute URL ({e}); write it as https://host/..."),
        )
    })?;
    ensure_secure(what, &url)?;
    Ok(url)
}

/// Checks an already parsed URL against the same rule as [`parse_secure_url`].
pub fn ensure_secure(what: &'static str, url: &Url) -> Result<(), AuthError> {
    ensure_no_user_info(what, url)?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(AuthError::invalid(
            what,
            redact_url(url),
            "plain http is only allowed to a loopback address (localhost, 127.0.0.1, [::1]); use https",
        )),
        _ => Err(AuthError::invalid(
            what,
            redact_url(url),
            "use an https:// URL",
        )),
    }
}

/// `true` when the URL carries user info (a user name or a password before the host).
pub fn has_user_info(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Refuses a URL with user info (`https://user:password@host/`): credentials do not belong
/// in an endpoint URL, and HTTP clients would send them as `Authorization: Basic`. The error
/// names neither the user nor the password.
pub fn ensure_no_user_info(what: &'static str, url: &Url) -> Result<(), AuthError> {
    if has_user_info(url) {
        return Err(AuthError::invalid(
            what,
            redact_url(url),
            "remove the user name and password from the URL (user@ or user:password@ before \
             the host); sign-in credentials are configured separately",
        ));
    }
    Ok(())
}

/// A URL as errors and logs may show it: scheme, host, port and path; no user info, and the
/// query and fragment (which may carry personal data or codes) replaced by `?…` / `#…`.
pub fn redact_url(url: &Url) -> String {
    let mut shown = String::from(url.scheme());
    shown.push(':');
    if let Some(host) = url.host_str() {
        shown.push_str("//");
        shown.push_str(host);
        if let Some(port) = url.port() {
            shown.push(':');
            shown.push_str(&port.to_string());
        }
    }
    shown.push_str(url.path());
    if url.query().is_some() {
        shown.push_str("?…");
    }
    if url.fragment().is_some() {
        shown.push_str("#…");
    }
    shown
}

/// [`redact_url`] for text that may not even parse: user info (anything up to the last `@`
/// of the authority) becomes `…@`, the query and fragment are dropped, and the result is cut
/// to 200 characters.
pub fn redact(value: &str) -> String {
    let value = value.trim();
    if let Ok(url) = Url::parse(value) {
        return redact_url(&url);
    }
    let (mut shown, cut) = match value.find(['?', '#']) {
        Some(i) => (value[..i].to_string(), true),
        None => (value.to_string(), false),
    };
    let authority_start = shown.find("://").map_or(0, |i| i + 3);
    let authority_end = shown[authority_start..]
        .find(['/', '\\'])
        .map_or(shown.len(), |i| authority_start + i);
    if let Some(at) = shown[authority_start..authority_end].rfind('@') {
        shown.replace_range(authority_start..authority_start + at, "…");
    }
    let mut shown: String = shown
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cut {
        shown.push_str("?…");
    }
    shown
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

    #[test]
    fn user_info_is_refused_and_never_echoed() {
        for bad in [
            "http://alice:hunter2@127.0.0.1:7070",
            "https://alice:hunter2@contoso.crm.dynamics.com/",
            "https://alice@contoso.crm.dynamics.com",
            "https://:hunter2@contoso.crm.dynamics.com",
            "http://alice:hunter2@evil.example.com",
            "ftp://alice:hunter2@x",
            "https://alice:hunter2@[bad",
        ] {
            let err = parse_secure_url("service URL", bad).expect_err(bad);
            let text = format!("{err} {err:?}");
            assert!(!text.contains("hunter2"), "{text}");
            assert!(!text.contains("alice"), "{text}");
            assert!(text.contains("service URL"), "{text}");
        }
        let err = parse_secure_url("x", "https://user:pw@host.example").expect_err("refused");
        assert!(err.to_string().contains("remove the user name"), "{err}");
    }

    #[test]
    fn redaction_keeps_the_place_and_drops_the_secrets() {
        assert_eq!(
            redact("https://u:p@h.example:8443/a/b?q=1#f"),
            "https://h.example:8443/a/b?…#…"
        );
        assert_eq!(redact("https://u:p@[bad/x?y"), "https://…@[bad/x?…");
        assert_eq!(redact("no url at all"), "no url at all");
    }
}

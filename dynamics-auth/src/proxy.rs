//! The one proxy rule for every HTTP client of the workspace (the token client here, the
//! service pipeline in `dynamics-http`): HTTPS may go through a proxy, plain HTTP never, and
//! nothing bound for a loopback address ever does.
//!
//! reqwest's own system-proxy support sends plain-HTTP requests to `HTTP_PROXY`, loopback
//! included, which hands the bearer token of a request to the emulator (or any local test
//! server) to whatever listens there. So the system proxy is switched off and rebuilt here:
//! only `HTTPS_PROXY` / `https_proxy` (else `ALL_PROXY` / `all_proxy`) is read, for `https`
//! requests only, `NO_PROXY` / `no_proxy` is honoured, and `localhost`, `127.0.0.0/8` and
//! `::1` are always exempt. An HTTPS proxy sees only a `CONNECT host:443` tunnel, never the
//! request's headers.

use url::Url;

use crate::{AuthError, secure_url};

/// Hosts that never go through a proxy, whatever the environment says.
const LOOPBACK_EXEMPTIONS: &str = "localhost,127.0.0.0/8,::1";

/// Applies the proxy rule to a reqwest client builder: no system proxy; `explicit` (or, when
/// `None`, the `HTTPS_PROXY` / `ALL_PROXY` environment variables) for `https` requests to
/// non-loopback hosts only.
///
/// Workspace plumbing shared by `dynamics-auth` and `dynamics-http`, so that both clients
/// follow one rule; not meant for applications (it names a reqwest type).
#[doc(hidden)]
pub fn apply_proxy_rule(
    builder: reqwest::ClientBuilder,
    explicit: Option<&Url>,
) -> Result<reqwest::ClientBuilder, AuthError> {
    let builder = builder.no_proxy();
    let proxy = match explicit {
        Some(url) => {
            if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
                return Err(AuthError::invalid(
                    "proxy URL",
                    secure_url::redact_url(url),
                    "use an http://, https:// or socks5:// proxy URL",
                ));
            }
            Some(url.as_str().to_string())
        }
        None => env_https_proxy(),
    };
    let Some(proxy) = proxy else {
        return Ok(builder);
    };
    let no_proxy = match env_first(&["NO_PROXY", "no_proxy"]) {
        Some(list) if explicit.is_none() => format!("{list},{LOOPBACK_EXEMPTIONS}"),
        _ => LOOPBACK_EXEMPTIONS.to_string(),
    };
    match reqwest::Proxy::https(proxy.as_str()) {
        Ok(p) => Ok(builder.proxy(p.no_proxy(reqwest::NoProxy::from_string(&no_proxy)))),
        Err(e) if explicit.is_some() => Err(AuthError::invalid(
            "proxy URL",
            secure_url::redact(&proxy),
            format!("it cannot be used as a proxy ({e})"),
        )),
        Err(_) => {
            tracing::warn!(
                proxy = %secure_url::redact(&proxy),
                "ignoring the HTTPS proxy named in the environment: it is not a usable URL"
            );
            Ok(builder)
        }
    }
}

fn env_https_proxy() -> Option<String> {
    env_first(&["HTTPS_PROXY", "https_proxy"]).or_else(|| env_first(&["ALL_PROXY", "all_proxy"]))
}

fn env_first(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;

    /// A "proxy" that accepts connections and records the first bytes of each.
    fn fake_proxy() -> (TcpListener, Url) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = Url::parse(&format!(
            "http://{}",
            listener.local_addr().expect("address")
        ))
        .expect("url");
        (listener, url)
    }

    fn connections(listener: &TcpListener) -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok((mut stream, _)) = listener.accept() {
            stream.set_nonblocking(false).expect("blocking");
            stream
                .set_read_timeout(Some(Duration::from_millis(500)))
                .expect("timeout");
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).unwrap_or(0);
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        seen
    }

    #[tokio::test]
    async fn an_explicit_proxy_never_sees_loopback_http() {
        let (proxy, proxy_url) = fake_proxy();
        // The target: a loopback server that answers one request.
        let server = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = server.local_addr().expect("address");
        let serve = std::thread::spawn(move || {
            let (mut stream, _) = server.accept().expect("the request comes straight here");
            let mut buf = [0u8; 2048];
            let n = stream.read(&mut buf).unwrap_or(0);
            use std::io::Write as _;
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let client = apply_proxy_rule(
            reqwest::Client::builder().timeout(Duration::from_secs(5)),
            Some(&proxy_url),
        )
        .expect("builder")
        .build()
        .expect("client");
        let response = client
            .get(format!("http://{addr}/x"))
            .header("Authorization", "Bearer secret-token-123")
            .send()
            .await
            .expect("answered by the loopback server");
        assert_eq!(response.status().as_u16(), 204);
        let request = serve.join().expect("server thread");
        assert!(request.contains("secret-token-123"), "{request}");
        assert!(connections(&proxy).is_empty(), "the proxy was used");
    }

    #[tokio::test]
    async fn https_still_goes_through_an_explicit_proxy_as_a_tunnel() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy_url = Url::parse(&format!(
            "http://{}",
            listener.local_addr().expect("address")
        ))
        .expect("url");
        // The proxy reads the first request and hangs up: the call fails, but it went to the
        // proxy, as a CONNECT tunnel that never carries the request's headers.
        let proxy = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("the proxy is used");
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).unwrap_or(0);
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let client = apply_proxy_rule(
            reqwest::Client::builder().timeout(Duration::from_secs(10)),
            Some(&proxy_url),
        )
        .expect("builder")
        .build()
        .expect("client");
        let result = client
            .get("https://example.invalid/api")
            .header("Authorization", "Bearer secret-token-123")
            .send()
            .await;
        assert!(result.is_err());
        let seen = proxy.join().expect("proxy thread");
        assert!(seen.starts_with("CONNECT example.invalid:443"), "{seen}");
        assert!(!seen.contains("secret-token-123"), "{seen}");
    }

    #[test]
    fn an_unusable_explicit_proxy_is_a_typed_error_without_its_password() {
        let url = Url::parse("ftp://alice:hunter2@proxy.example").expect("url");
        let err = apply_proxy_rule(reqwest::Client::builder(), Some(&url)).expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("proxy URL"), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("alice"),
            "{text}"
        );
    }
}

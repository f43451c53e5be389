//! Finding a customer's tenant from their org: an unauthenticated request to the Web API
//! answers 401 with `WWW-Authenticate: Bearer authorization_uri=…/{tenant}/oauth2/authorize`
//! (REFERENCE 6.7; Microsoft's "Discover the authority at run time"). The exact header on
//! `/api/data/v9.2/` is UNCONFIRMED, so the parse is tolerant and any failure falls back to
//! the configured authority, where Entra ID resolves the tenant from the signed-in account.

use std::time::Duration;

use dynamics_auth::{Authority, BearerChallenge, Cloud};
use url::Url;

use crate::OrgUrl;

/// How long the probe may take before falling back.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The authority for `org`: the challenge's tenant at a trusted host, else `fallback`.
pub(crate) async fn authority_for(
    org: &OrgUrl,
    fallback: &Authority,
    trusted_hosts: &[Url],
) -> Authority {
    match probe(org).await {
        Ok(challenge) => match trusted_authority(&challenge, trusted_hosts) {
            Some(authority) => authority,
            None => {
                tracing::warn!(org = %org, "the org's sign-in host is not trusted; using the configured authority");
                fallback.clone()
            }
        },
        Err(reason) => {
            tracing::info!(org = %org, %reason, "no tenant found from the org; using the configured authority");
            fallback.clone()
        }
    }
}

async fn probe(org: &OrgUrl) -> Result<BearerChallenge, String> {
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("{}/api/data/v9.2/", org.as_str());
    let response = client.get(&url).send().await.map_err(|e| e.to_string())?;
    if response.status().as_u16() != 401 {
        return Err(format!(
            "HTTP {} instead of 401",
            response.status().as_u16()
        ));
    }
    let header = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .ok_or("no WWW-Authenticate header")?;
    BearerChallenge::parse(header).map_err(|e| e.to_string())
}

/// The challenge's authority when its host is a Microsoft sign-in host or one of `trusted`.
fn trusted_authority(challenge: &BearerChallenge, trusted: &[Url]) -> Option<Authority> {
    if let Ok(authority) = challenge.authority() {
        return Some(authority);
    }
    let host = configured_host(&challenge.authorization_uri, trusted)?;
    challenge.authority_at(host.as_str()).ok()
}

/// The entry of `trusted` with `uri`'s scheme, host and port.
fn configured_host<'a>(uri: &Url, trusted: &'a [Url]) -> Option<&'a Url> {
    trusted.iter().find(|t| {
        t.scheme() == uri.scheme()
            && t.host_str().map(str::to_ascii_lowercase)
                == uri.host_str().map(str::to_ascii_lowercase)
            && t.port_or_known_default() == uri.port_or_known_default()
    })
}

/// `true` when `host` (an authority host URL) is a Microsoft Entra ID sign-in host of some
/// cloud over `https`, or one of `trusted`: the only places the platform's client secret,
/// codes and refresh tokens are sent.
pub(crate) fn is_trusted_authority_host(host: &str, trusted: &[Url]) -> bool {
    let Ok(url) = Url::parse(host) else {
        return false;
    };
    let microsoft = url.scheme() == "https"
        && url.port().is_none()
        && url
            .host_str()
            .is_some_and(|h| Cloud::ALL.iter().any(|c| c.is_authority_host(h)));
    microsoft || configured_host(&url, trusted).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(uri: &str) -> BearerChallenge {
        BearerChallenge::parse(&format!(
            "Bearer authorization_uri={uri}, resource_id=https://contoso.crm.dynamics.com/"
        ))
        .expect("challenge")
    }

    #[test]
    fn only_trusted_sign_in_hosts_are_followed() {
        let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let microsoft = challenge(&format!(
            "https://login.microsoftonline.com/{tenant}/oauth2/authorize"
        ));
        let authority = trusted_authority(&microsoft, &[]).expect("a Microsoft host");
        assert_eq!(authority.tenant().as_str(), tenant);

        // A hostile org naming its own sign-in host would receive the platform's secret.
        let hostile = challenge(&format!(
            "https://login.evil.example/{tenant}/oauth2/authorize"
        ));
        assert!(trusted_authority(&hostile, &[]).is_none());

        let emulator = challenge(&format!("http://127.0.0.1:4000/{tenant}/oauth2/authorize"));
        assert!(trusted_authority(&emulator, &[]).is_none());
        let trusted = [Url::parse("http://127.0.0.1:4000/").unwrap()];
        let authority = trusted_authority(&emulator, &trusted).expect("a configured host");
        assert_eq!(authority.host().as_str(), "http://127.0.0.1:4000/");
        let other_port = [Url::parse("http://127.0.0.1:4001/").unwrap()];
        assert!(trusted_authority(&emulator, &other_port).is_none());
    }

    #[test]
    fn stored_hosts_are_checked_against_the_same_list() {
        assert!(is_trusted_authority_host(
            "https://login.microsoftonline.com/",
            &[]
        ));
        assert!(is_trusted_authority_host(
            "https://login.microsoftonline.us/",
            &[]
        ));
        assert!(!is_trusted_authority_host(
            "https://login.evil.example/",
            &[]
        ));
        assert!(!is_trusted_authority_host(
            "http://login.microsoftonline.com/",
            &[]
        ));
        assert!(!is_trusted_authority_host("not a url", &[]));
        let trusted = [Url::parse("http://127.0.0.1:4000/").unwrap()];
        assert!(is_trusted_authority_host(
            "http://127.0.0.1:4000/",
            &trusted
        ));
        assert!(!is_trusted_authority_host(
            "http://127.0.0.1:4001/",
            &trusted
        ));
    }
}

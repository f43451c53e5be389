//! Authority discovery from a `WWW-Authenticate: Bearer ...` challenge.
//!
//! Dataverse and the Online Management API answer an unauthenticated request with
//! `401` and `WWW-Authenticate: Bearer authorization_uri=https://login.microsoftonline.com/{tenant}/oauth2/authorize, resource_id=https://{org}/`.
//! The header's form varies between endpoints and over time (quoted or bare values, commas or
//! spaces between them, `resource_id` missing, `/oauth2/authorize` missing), so the parser
//! takes all of those.
//!
//! The challenge comes from whatever answered at the service URL, so it is not trusted:
//! [`BearerChallenge::authority`] accepts `authorization_uri` only on a Microsoft Entra ID
//! sign-in host ([`Cloud::authority_host_names`]); a caller who has configured its own
//! authority host (the emulator, a test server) uses [`BearerChallenge::authority_at`],
//! which takes only the tenant from the challenge.

use url::Url;

use crate::{AuthError, Authority, Cloud, secure_url};

/// A parsed Bearer challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerChallenge {
    /// Where to sign in, as the service gave it.
    pub authorization_uri: Url,
    /// The resource (token audience) the service expects, when it says.
    pub resource_id: Option<String>,
}

impl BearerChallenge {
    /// Parses the value of a `WWW-Authenticate` header.
    pub fn parse(header: &str) -> Result<Self, AuthError> {
        let params = bearer_params(header).ok_or_else(|| {
            AuthError::Challenge(format!("no Bearer challenge in `{}`", shorten(header)))
        })?;
        let find = |names: &[&str]| {
            params
                .iter()
                .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
                .map(|(_, v)| v.clone())
        };
        let uri = find(&["authorization_uri", "authorization", "authority"]).ok_or_else(|| {
            AuthError::Challenge(format!(
                "the Bearer challenge has no authorization_uri: `{}`",
                shorten(header)
            ))
        })?;
        let authorization_uri = secure_url::parse_secure_url("authorization_uri", &uri)
            .map_err(|e| AuthError::Challenge(e.to_string()))?;
        let resource_id = find(&["resource_id", "resource"]).filter(|r| !r.is_empty());
        Ok(BearerChallenge {
            authorization_uri,
            resource_id,
        })
    }

    /// The tenant named in `authorization_uri`; `common` becomes `organizations`, because a
    /// work account is what Dataverse needs.
    pub fn tenant(&self) -> Option<String> {
        let first = self
            .authorization_uri
            .path_segments()?
            .find(|s| !s.is_empty())?;
        if first.eq_ignore_ascii_case("common") {
            Some("organizations".to_string())
        } else {
            Some(first.to_string())
        }
    }

    /// The authority to sign in at: the host of `authorization_uri` and its tenant, provided
    /// that host is a Microsoft Entra ID sign-in host of some cloud. Any other host (a typo'd
    /// or hostile service can name one to collect passwords or codes) is an
    /// [`AuthError::Challenge`]; a caller that configures its own authority host uses
    /// [`authority_at`](Self::authority_at) instead.
    pub fn authority(&self) -> Result<Authority, AuthError> {
        self.checked_authority(&Cloud::ALL)
    }

    /// The same, accepting only `cloud`'s sign-in hosts.
    pub fn authority_for(&self, cloud: Cloud) -> Result<Authority, AuthError> {
        self.checked_authority(&[cloud])
    }

    /// The authority at a host the caller chose (its configured authority host, such as the
    /// emulator's), with the tenant the challenge names. The challenge's own host is ignored.
    pub fn authority_at(&self, host: &str) -> Result<Authority, AuthError> {
        Authority::with_host(host, &self.require_tenant()?)
    }

    fn checked_authority(&self, clouds: &[Cloud]) -> Result<Authority, AuthError> {
        let host = self.authorization_uri.host_str().unwrap_or_default();
        let trusted = self.authorization_uri.scheme() == "https"
            && self.authorization_uri.port().is_none()
            && clouds.iter().any(|c| c.is_authority_host(host));
        if !trusted {
            let known: Vec<&str> = clouds
                .iter()
                .flat_map(|c| c.authority_host_names().iter().copied())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            return Err(AuthError::Challenge(format!(
                "the challenge's authorization_uri `{}` is not on a Microsoft Entra ID sign-in \
                 host ({}); check the service URL, or configure the authority host explicitly \
                 if this service signs in elsewhere (an emulator or test server)",
                secure_url::redact_url(&self.authorization_uri),
                known.join(", ")
            )));
        }
        let origin = format!("https://{}", host.to_ascii_lowercase());
        Authority::with_host(&origin, &self.require_tenant()?)
    }

    fn require_tenant(&self) -> Result<String, AuthError> {
        self.tenant().ok_or_else(|| {
            AuthError::Challenge(format!(
                "authorization_uri `{}` names no tenant",
                secure_url::redact_url(&self.authorization_uri)
            ))
        })
    }

    /// The scope to ask for: `{resource_id}/.default`, when the challenge named a resource.
    pub fn default_scope(&self) -> Option<String> {
        self.resource_id
            .as_deref()
            .map(crate::scopes::default_scope_for)
    }
}

/// Splits the parameters of the first `Bearer` challenge into key/value pairs.
fn bearer_params(header: &str) -> Option<Vec<(String, String)>> {
    let mut tokens = Tokens { rest: header };
    // Skip to the Bearer scheme (the header may list other schemes first).
    loop {
        match tokens.next()? {
            Token::Word(w) if w.eq_ignore_ascii_case("bearer") => break,
            _ => continue,
        }
    }
    let mut params = Vec::new();
    while let Some(token) = tokens.next() {
        match token {
            Token::Param(k, v) => params.push((k, v)),
            // A bare word starts the next scheme's challenge.
            Token::Word(_) => break,
        }
    }
    Some(params)
}

enum Token {
    Word(String),
    Param(String, String),
}

struct Tokens<'a> {
    rest: &'a str,
}

impl Tokens<'_> {
    fn next(&mut self) -> Option<Token> {
        self.rest = self
            .rest
            .trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if self.rest.is_empty() {
            return None;
        }
        let key_end = self
            .rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(self.rest.len());
        let key = self.rest[..key_end].to_string();
        let after_key = self.rest[key_end..].trim_start_matches([' ', '\t']);
        let Some(value_part) = after_key.strip_prefix('=') else {
            self.rest = &self.rest[key_end..];
            return Some(Token::Word(key));
        };
        let value_part = value_part.trim_start_matches([' ', '\t']);
        let (value, rest) = if let Some(quoted) = value_part.strip_prefix('"') {
            read_quoted(quoted)
        } else {
            let end = value_part
                .find(|c: char| c == ',' || c.is_whitespace())
                .unwrap_or(value_part.len());
            (value_part[..end].to_string(), &value_part[end..])
        };
        self.rest = rest;
        Some(Token::Param(key, value))
    }
}

fn read_quoted(s: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => return (value, &s[i + 1..]),
            c => value.push(c),
        }
    }
    (value, "")
}

/// The start of a header for an error message, with the user info of any URL in it removed.
fn shorten(s: &str) -> String {
    let head: String = s
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = String::with_capacity(head.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if token.contains("://") {
            let (key, value) = match token.find('=') {
                Some(i) if i < token.find("://").unwrap_or(0) => token.split_at(i + 1),
                _ => ("", token.as_str()),
            };
            out.push_str(key);
            out.push_str(&secure_url::redact(value));
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in head.chars() {
        if c == ' ' || c == ',' || c == '"' {
            flush(&mut token, &mut out);
            out.push(c);
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(h: &str) -> BearerChallenge {
        BearerChallenge::parse(h).unwrap_or_else(|e| panic!("{h}: {e}"))
    }

    #[test]
    fn the_documented_form() {
        let c = parse(
            "Bearer authorization_uri=https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize, resource_id=https://contoso.crm.dynamics.com/",
        );
        assert_eq!(
            c.tenant().as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(
            c.resource_id.as_deref(),
            Some("https://contoso.crm.dynamics.com/")
        );
        assert_eq!(
            c.default_scope().as_deref(),
            Some("https://contoso.crm.dynamics.com/.default")
        );
        let a = c.authority().expect("authority");
        assert_eq!(
            a.token_endpoint().as_str(),
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
        );
    }

    #[test]
    fn the_variants_seen_in_the_wild() {
        // Microsoft's client's own test sample.
        let c = parse(
            "Bearer authorization_uri=https://login.somewhere.tst/abc/authorize, resource_id=https://hello.com",
        );
        assert_eq!(c.tenant().as_deref(), Some("abc"));
        // Mixed case, quoted, space separated, no resource_id, no /oauth2/authorize.
        let c = parse(
            r#"BEARER Authorization_Uri="https://login.microsoftonline.com/contoso.onmicrosoft.com"  Resource_Id="https://x.crm4.dynamics.com""#,
        );
        assert_eq!(c.tenant().as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(
            c.resource_id.as_deref(),
            Some("https://x.crm4.dynamics.com")
        );
        let c = parse(
            "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize",
        );
        assert_eq!(c.tenant().as_deref(), Some("organizations"));
        assert_eq!(c.resource_id, None);
        // Another scheme first.
        let c = parse(
            r#"Basic realm="x", Bearer authorization_uri="https://login.microsoftonline.us/t.onmicrosoft.us/oauth2/authorize""#,
        );
        assert_eq!(
            c.authority().expect("a").host().as_str(),
            "https://login.microsoftonline.us/"
        );
    }

    #[test]
    fn unusable_headers_are_errors_not_panics() {
        for bad in [
            "",
            "Bearer",
            "Basic realm=x",
            "Bearer resource_id=https://x",
            "Bearer authorization_uri=http://evil.example.com/t/oauth2/authorize",
            "Bearer authorization_uri=\"unterminated",
            "Bearer =,=,",
        ] {
            assert!(BearerChallenge::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn authority_only_on_entra_hosts_unless_configured() {
        let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        for host in [
            "https://login.evil.example",
            "https://login.microsoftonline.com.evil.example",
            "https://login.microsoftonline.com:8443",
            "http://127.0.0.1:7070",
        ] {
            let c = parse(&format!(
                "Bearer authorization_uri={host}/{tenant}/oauth2/authorize"
            ));
            let err = c.authority().expect_err(host);
            assert!(matches!(err, AuthError::Challenge(_)), "{err:?}");
            assert!(
                err.to_string().contains("configure the authority host"),
                "{err}"
            );
            // An explicitly configured host is used with the challenge's tenant.
            let a = c.authority_at("http://127.0.0.1:7070").expect("configured");
            assert_eq!(a.host().as_str(), "http://127.0.0.1:7070/");
            assert_eq!(a.tenant().as_str(), tenant);
        }
        let c = parse(&format!(
            "Bearer authorization_uri=https://login.microsoftonline.us/{tenant}/oauth2/authorize"
        ));
        assert!(c.authority().is_ok());
        assert!(c.authority_for(Cloud::UsGovernmentHigh).is_ok());
        assert!(c.authority_for(Cloud::Public).is_err());
    }

    #[test]
    fn errors_never_echo_user_info() {
        let err = BearerChallenge::parse(
            "Bearer authorization_uri=https://alice:hunter2@login.microsoftonline.com/t/oauth2/authorize",
        )
        .expect_err("user info");
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("alice"),
            "{text}"
        );
        let err = BearerChallenge::parse("Negotiate x=https://alice:hunter2@host/ y")
            .expect_err("no bearer");
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("alice"),
            "{text}"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn key_case(key: &'static str) -> impl Strategy<Value = String> {
            prop_oneof![
                Just(key.to_string()),
                Just(key.to_ascii_uppercase()),
                Just(
                    key.split('_')
                        .map(|w| {
                            let mut c = w.chars();
                            c.next()
                                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                                .unwrap_or_default()
                        })
                        .collect::<Vec<_>>()
                        .join("_")
                ),
            ]
        }

        fn value(v: String, quoted: bool) -> String {
            if quoted { format!("\"{v}\"") } else { v }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

            #[test]
            fn any_header_is_a_challenge_or_a_typed_error(header in "\\PC{0,200}") {
                match BearerChallenge::parse(&header) {
                    Ok(c) => {
                        prop_assert!(!secure_url::has_user_info(&c.authorization_uri));
                        let _ = c.authority();
                        let _ = c.tenant();
                        let _ = c.default_scope();
                    }
                    Err(e) => prop_assert!(matches!(e, AuthError::Challenge(_))),
                }
            }

            #[test]
            fn challenge_like_headers_never_panic(
                header in "(Basic realm=x, )?[Bb][Ee][Aa][Rr][Ee][Rr]( |,)*([a-zA-Z_]{1,20}( )*=( )*(\"[^\"]{0,40}\"?|[^ ,\"]{0,60})[ ,\t]{0,3}){0,5}"
            ) {
                if let Ok(c) = BearerChallenge::parse(&header)
                    && let Ok(a) = c.authority()
                {
                    let host = a.host().host_str().unwrap_or_default().to_string();
                    prop_assert!(!Cloud::of_authority_host(&host).is_empty(), "{}", host);
                }
            }

            #[test]
            fn generated_challenges_round_trip(
                host in prop::sample::select(vec![
                    "login.microsoftonline.com",
                    "login.microsoftonline.us",
                    "login.partner.microsoftonline.cn",
                    "login.chinacloudapi.cn",
                    "login.windows.net",
                ]),
                tenant in any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
                org in "[a-z][a-z0-9-]{0,20}[a-z0-9]",
                crm in prop::sample::select(vec!["crm", "crm4", "crm11", "crm21"]),
                slash in any::<bool>(),
                tail in prop::sample::select(vec!["/oauth2/authorize", "", "/"]),
                quoted in (any::<bool>(), any::<bool>()),
                separator in prop::sample::select(vec![", ", ",", " ", "  ,  "]),
                resource_first in any::<bool>(),
                scheme in prop::sample::select(vec!["Bearer", "bearer", "BEARER"]),
                other_scheme_first in any::<bool>(),
                uri_key in key_case("authorization_uri"),
                resource_key in key_case("resource_id"),
            ) {
                let uri = format!("https://{host}/{tenant}{tail}");
                let resource = format!(
                    "https://{org}.{crm}.dynamics.com{}",
                    if slash { "/" } else { "" }
                );
                let a = format!("{uri_key}={}", value(uri.clone(), quoted.0));
                let r = format!("{resource_key}={}", value(resource.clone(), quoted.1));
                let params = if resource_first {
                    format!("{r}{separator}{a}")
                } else {
                    format!("{a}{separator}{r}")
                };
                let prefix = if other_scheme_first { "Basic realm=\"x\", " } else { "" };
                let header = format!("{prefix}{scheme} {params}");
                let c = BearerChallenge::parse(&header)
                    .map_err(|e| TestCaseError::fail(format!("{header}: {e}")))?;
                let expected_uri = Url::parse(&uri).expect("uri");
                prop_assert_eq!(&c.authorization_uri, &expected_uri);
                prop_assert_eq!(c.resource_id.as_deref(), Some(resource.as_str()));
                prop_assert_eq!(c.tenant(), Some(tenant.clone()));
                let authority = c.authority()
                    .map_err(|e| TestCaseError::fail(format!("{header}: {e}")))?;
                prop_assert_eq!(authority.host().host_str(), Some(host));
                prop_assert_eq!(authority.tenant().as_str(), tenant.as_str());
                prop_assert_eq!(
                    c.default_scope(),
                    Some(format!("https://{org}.{crm}.dynamics.com/.default"))
                );
            }
        }
    }
}

//! Sending results back to an app's redirect URI: matching registered URIs, and building the
//! query, fragment or form_post response.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use url::{Url, form_urlencoded};

use super::error::{AadError, html_escape};

/// How the authorize endpoint returns its result (`response_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    /// Parses `response_mode` (absent means `query`).
    pub(crate) fn parse(value: Option<&str>) -> Result<Self, AadError> {
        match value {
            None | Some("query") => Ok(Self::Query),
            Some("fragment") => Ok(Self::Fragment),
            Some("form_post") => Ok(Self::FormPost),
            Some(other) => Err(AadError::unsupported_response_mode(other)),
        }
    }
}

/// Where and how to send the result, and the `state` to echo.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) redirect_uri: Url,
    pub(crate) mode: ResponseMode,
    pub(crate) state: Option<String>,
}

impl Reply {
    /// Sends `params` (plus `state`) to the redirect URI: a 302 for query and fragment, an
    /// auto-submitting HTML form for form_post.
    pub(crate) fn send(&self, mut params: Vec<(String, String)>) -> Response {
        if let Some(state) = &self.state {
            params.push(("state".to_owned(), state.clone()));
        }
        let mut target = self.redirect_uri.clone();
        match self.mode {
            ResponseMode::Query => {
                target.query_pairs_mut().extend_pairs(&params);
            }
            ResponseMode::Fragment => {
                let fragment = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&params)
                    .finish();
                target.set_fragment(Some(&fragment));
            }
            ResponseMode::FormPost => return form_post(&target, &params),
        }
        (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
    }
}

/// An HTML page that POSTs `params` to `target` as soon as it loads.
fn form_post(target: &Url, params: &[(String, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(name),
                html_escape(value)
            )
        })
        .collect();
    Html(format!(
        "<!DOCTYPE html><html><head><title>Working...</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"POST\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        html_escape(target.as_str())
    ))
    .into_response()
}

/// Whether `requested` matches a registered redirect URI. Exact match, except that for
/// `http://localhost`, `http://127.0.0.1` and `http://[::1]` the port is ignored (as Entra does
/// for native apps).
pub(crate) fn is_registered(registered: &[String], requested: &Url) -> bool {
    registered.iter().any(|candidate| {
        let Ok(candidate) = Url::parse(candidate) else {
            return false;
        };
        if candidate == *requested {
            return true;
        }
        let loopback = candidate.scheme() == "http"
            && matches!(
                candidate.host_str(),
                Some("localhost" | "127.0.0.1" | "[::1]")
            );
        loopback
            && requested.scheme() == candidate.scheme()
            && requested.host_str() == candidate.host_str()
            && requested.path() == candidate.path()
            && requested.query() == candidate.query()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("valid URL")
    }

    #[test]
    fn loopback_port_is_ignored() {
        let registered = vec!["http://localhost".to_owned()];
        assert!(is_registered(&registered, &url("http://localhost:8400")));
        assert!(is_registered(&registered, &url("http://localhost:8400/")));
        assert!(!is_registered(
            &registered,
            &url("http://localhost:8400/callback")
        ));
        assert!(!is_registered(&registered, &url("http://127.0.0.1:8400")));
        assert!(!is_registered(&registered, &url("https://localhost")));
    }

    #[test]
    fn other_hosts_match_exactly() {
        let registered = vec!["https://app.example/cb".to_owned()];
        assert!(is_registered(&registered, &url("https://app.example/cb")));
        assert!(!is_registered(
            &registered,
            &url("https://app.example:444/cb")
        ));
    }

    #[test]
    fn query_reply_keeps_existing_query_and_adds_state() {
        let reply = Reply {
            redirect_uri: url("http://localhost:1/cb?x=1"),
            mode: ResponseMode::Query,
            state: Some("s t".to_owned()),
        };
        let response = reply.send(vec![("code".to_owned(), "abc".to_owned())]);
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers()[header::LOCATION]
            .to_str()
            .expect("ascii");
        assert_eq!(location, "http://localhost:1/cb?x=1&code=abc&state=s+t");
    }
}

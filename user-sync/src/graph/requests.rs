//! The Graph requests, built without IO: the base URL and its token scope, users with
//! `$select`, the delta query, one user, a group by name, a group's members.

use dynamics_http::HttpRequest;
use url::Url;

use super::model::USER_SELECT;
use crate::error::{Result, SyncError};

/// The public cloud's Graph base URL.
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.microsoft.com/v1.0/";

/// The base URL checked and ending with `/`: https, or http to a loopback host only.
pub(crate) fn parse_base(base: &str) -> Result<Url> {
    let mut text = base.trim().to_owned();
    if !text.ends_with('/') {
        text.push('/');
    }
    let url = dynamics_auth::secure_url::parse_secure_url("Graph base URL", &text)
        .map_err(|e| SyncError::invalid("Graph base URL", e.to_string()))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(SyncError::invalid(
            "Graph base URL",
            "it must not carry a query or fragment; give e.g. https://graph.microsoft.com/v1.0/",
        ));
    }
    let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Err(SyncError::invalid(
            "Graph base URL",
            "it must end with the API version, e.g. https://graph.microsoft.com/v1.0/",
        ));
    }
    Ok(url)
}

/// The token scope for a Graph base URL: the base without its version segment, plus
/// `.default` (`https://graph.microsoft.com/v1.0/` gives `https://graph.microsoft.com/.default`,
/// `http://127.0.0.1:7070/graph/v1.0/` gives `http://127.0.0.1:7070/graph/.default`).
pub fn graph_scope(base: &Url) -> String {
    let path = base.path().trim_end_matches('/');
    let parent = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{}{parent}.default", base.origin().ascii_serialization())
}

fn join(base: &Url, relative: &str) -> Result<Url> {
    base.join(relative)
        .map_err(|e| SyncError::invalid("Graph URL", format!("`{relative}`: {e}")))
}

fn select() -> String {
    USER_SELECT.join(",")
}

/// `GET users?$select=...&$top=n` (`$top` 1 to 999, per "List users").
pub(crate) fn list_users(base: &Url, page_size: Option<u32>) -> Result<HttpRequest> {
    let mut url = join(base, "users")?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("$select", &select());
        if let Some(n) = page_size {
            q.append_pair("$top", &n.clamp(1, 999).to_string());
        }
    }
    Ok(get(url))
}

/// `GET users/delta?$select=...`: the first request of a full round. Delta takes no `$top`;
/// the page size is asked for with `Prefer: odata.maxpagesize` (UNCONFIRMED that users/delta
/// honours it; the service may choose its own size, which the sync accepts).
pub(crate) fn start_delta(base: &Url, page_size: Option<u32>) -> Result<HttpRequest> {
    let mut url = join(base, "users/delta")?;
    url.query_pairs_mut().append_pair("$select", &select());
    Ok(with_page_size(get(url), page_size))
}

/// A `@odata.nextLink` or `@odata.deltaLink`, followed verbatim (it encodes the `$select`).
pub(crate) fn follow(link: &str, page_size: Option<u32>) -> Result<HttpRequest> {
    let url = Url::parse(link).map_err(|e| {
        SyncError::invalid(
            "Graph paging link",
            format!("it is not an absolute URL ({e}); start a full resync"),
        )
    })?;
    Ok(with_page_size(get(url), page_size))
}

/// `GET users/{id}?$select=...`.
pub(crate) fn user(base: &Url, id: &str) -> Result<HttpRequest> {
    let mut url = join(base, "users/")?;
    url.path_segments_mut()
        .map_err(|_| SyncError::invalid("Graph base URL", "it cannot take a path"))?
        .pop_if_empty()
        .push(id);
    url.query_pairs_mut().append_pair("$select", &select());
    Ok(get(url))
}

/// `GET groups?$filter=displayName eq '...'&$select=id,displayName`.
pub(crate) fn groups_named(base: &Url, name: &str) -> Result<HttpRequest> {
    let mut url = join(base, "groups")?;
    url.query_pairs_mut()
        .append_pair(
            "$filter",
            &format!("displayName eq '{}'", name.replace('\'', "''")),
        )
        .append_pair("$select", "id,displayName");
    Ok(get(url))
}

/// `GET groups/{id}/members?$select=id&$top=999` (direct members; "List group members").
pub(crate) fn group_members(base: &Url, group_id: &str) -> Result<HttpRequest> {
    let mut url = join(base, "groups/")?;
    url.path_segments_mut()
        .map_err(|_| SyncError::invalid("Graph base URL", "it cannot take a path"))?
        .pop_if_empty()
        .push(group_id)
        .push("members");
    url.query_pairs_mut()
        .append_pair("$select", "id")
        .append_pair("$top", "999");
    Ok(get(url))
}

fn get(url: Url) -> HttpRequest {
    HttpRequest::get(url)
        .header("Accept", "application/json")
        .retry_safe(true)
}

fn with_page_size(request: HttpRequest, page_size: Option<u32>) -> HttpRequest {
    match page_size {
        Some(n) => request.header("Prefer", format!("odata.maxpagesize={}", n.max(1))),
        None => request,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_is_the_base_without_its_version() {
        let public = parse_base(DEFAULT_GRAPH_BASE).expect("public");
        assert_eq!(graph_scope(&public), "https://graph.microsoft.com/.default");
        let emulator = parse_base("http://127.0.0.1:7070/graph/v1.0").expect("loopback");
        assert_eq!(emulator.as_str(), "http://127.0.0.1:7070/graph/v1.0/");
        assert_eq!(
            graph_scope(&emulator),
            "http://127.0.0.1:7070/graph/.default"
        );
    }

    #[test]
    fn unsafe_or_versionless_bases_are_refused() {
        for bad in [
            "http://graph.microsoft.com/v1.0/",
            "https://graph.microsoft.com/",
            "https://graph.microsoft.com/v1.0/?x=1",
            "not a url",
        ] {
            assert!(parse_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_have_the_documented_shape() {
        let base = parse_base(DEFAULT_GRAPH_BASE).expect("base");
        let list = list_users(&base, Some(5000)).expect("list");
        let url = list.url().as_str();
        assert!(
            url.starts_with(
                "https://graph.microsoft.com/v1.0/users?%24select=id%2CuserPrincipalName"
            ),
            "{url}"
        );
        assert!(url.ends_with("%24top=999"), "{url}");
        let delta = start_delta(&base, Some(100)).expect("delta");
        assert_eq!(delta.url().path(), "/v1.0/users/delta");
        assert_eq!(delta.header_value("Prefer"), Some("odata.maxpagesize=100"));
        let one = user(&base, "a/b").expect("user");
        assert_eq!(one.url().path(), "/v1.0/users/a%2Fb");
        let named = groups_named(&base, "O'Brien's").expect("groups");
        let filter: String = named
            .url()
            .query_pairs()
            .find(|(k, _)| k == "$filter")
            .map(|(_, v)| v.into_owned())
            .expect("filter");
        assert_eq!(filter, "displayName eq 'O''Brien''s'");
        let members = group_members(&base, "g1").expect("members");
        assert_eq!(members.url().path(), "/v1.0/groups/g1/members");
        assert!(members.is_retry_safe());
    }
}

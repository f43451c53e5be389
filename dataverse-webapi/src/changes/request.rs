//! Builds change tracking requests without IO: the first URL, the `Prefer` header and the
//! `$count` URL of a delta link.

use url::Url;

use crate::error::{DataverseError, Result};
use crate::query::Query;

/// The first request of a full sync: `{set}?$select=…` (relative to the API root). Learn:
/// `$filter`, `$orderby`, `$expand` and `$top` are refused with change tracking, so the
/// builder offers only `$select`.
pub(crate) fn initial_url(entity_set: &str, select: &[String]) -> Result<String> {
    let mut query = Query::new(entity_set);
    if !select.is_empty() {
        query = query.select(select);
    }
    query.to_relative_url()
}

/// `Prefer: odata.track-changes[,odata.maxpagesize=N][,odata.include-annotations="…"]`, sent
/// on every page (the service asks for the same `Prefer` on each page of a paged answer).
pub(crate) fn prefer(max_page_size: Option<u32>, annotations: Option<&str>) -> String {
    let mut parts = vec!["odata.track-changes".to_string()];
    if let Some(n) = max_page_size {
        parts.push(format!("odata.maxpagesize={n}"));
    }
    if let Some(a) = annotations {
        parts.push(format!("odata.include-annotations=\"{a}\""));
    }
    parts.join(",")
}

/// `GET {set}/$count?$deltatoken=…` from a delta link (Learn: "add `$count` to the delta
/// link … to get the number of changes made"). Other query options of the link are dropped.
pub(crate) fn count_url(delta_link: &Url) -> Result<Url> {
    let token = delta_link
        .query_pairs()
        .find(|(k, _)| k == "$deltatoken")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| {
            DataverseError::invalid(
                "delta link",
                "pass the @odata.deltaLink of a change tracking answer (it has a $deltatoken)",
            )
        })?;
    let mut url = delta_link.clone();
    let path = format!("{}/$count", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url.query_pairs_mut().append_pair("$deltatoken", &token);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_url_selects_columns_only_when_asked() {
        assert_eq!(initial_url("accounts", &[]).expect("url"), "accounts");
        let url = initial_url("accounts", &["name".into(), "fax".into()]).expect("url");
        assert_eq!(url, "accounts?$select=name%2Cfax");
        assert!(initial_url("accounts", &["bad column".into()]).is_err());
    }

    #[test]
    fn prefer_always_asks_for_tracking() {
        assert_eq!(prefer(None, None), "odata.track-changes");
        assert_eq!(
            prefer(Some(500), Some("*")),
            "odata.track-changes,odata.maxpagesize=500,odata.include-annotations=\"*\""
        );
    }

    #[test]
    fn count_url_keeps_only_the_token() {
        let link = Url::parse(
            "https://org.crm.dynamics.com/api/data/v9.2/accounts?$select=name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44",
        )
        .expect("url");
        let count = count_url(&link).expect("count url");
        assert_eq!(count.path(), "/api/data/v9.2/accounts/$count");
        let pairs: Vec<_> = count.query_pairs().collect();
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].1, "919042!08/22/2017 08:10:44");
        let plain = Url::parse("https://org/api/data/v9.2/accounts?$select=name").expect("url");
        assert!(count_url(&plain).is_err());
    }
}

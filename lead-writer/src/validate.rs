//! `validate`: what Partner Center's "Validate" button does, from this side. It posts a test
//! lead shaped like Microsoft's (`MSFT_TEST_<ticks>` values, lower-case `userDetails` as in
//! the FAQ's copy; REFERENCE-WORKFLOWS 1.2) to the running intake endpoint, then polls
//! Dataverse until the writer has put it into the lead table, for a bounded time.
//!
//! The lead is found by its id: the writer gives each lead a deterministic id from its
//! idempotency key, which depends on the receive time's bucket, so both buckets around the
//! post are looked up (the intake stamps the lead between the two readings). The key options
//! must be the intake's (the defaults unless `leads serve` was told otherwise). Each run's
//! ticks make its test lead new, so a second validation is not taken for a replay.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dataverse_webapi::{DataverseClient, DataverseError};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::spool::{Clock, SystemClock};
use crate::{KeyOptions, Lead};

/// .NET `DateTime.Ticks` of the Unix epoch: Microsoft's test lead values carry ticks.
const TICKS_AT_UNIX_EPOCH: i128 = 621_355_968_000_000_000;
/// Longest endpoint answer kept in an error, in characters.
const MAX_ANSWER_CHARS: usize = 300;

/// How a validation runs. Construct with `ValidateOptions::default()` and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ValidateOptions {
    /// The wait between looks in Dataverse (default 2 s).
    pub poll_interval: Duration,
    /// How long to look before giving up (default 2 minutes).
    pub timeout: Duration,
    /// The wait for the endpoint's answer (default 30 s).
    pub post_timeout: Duration,
    /// The intake's key options (default: the intake's defaults).
    pub key: KeyOptions,
    /// The table's entity set (default `leads`).
    pub entity_set: String,
    /// Where "now" comes from (default the system clock): the deadline and the lead's ticks.
    pub clock: Arc<dyn Clock>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            poll_interval: Duration::from_secs(2),
            timeout: Duration::from_secs(120),
            post_timeout: Duration::from_secs(30),
            key: KeyOptions::default(),
            entity_set: "leads".to_owned(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl ValidateOptions {
    /// Sets the wait between looks.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets how long to look.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

/// What happened so far, for a visible wait.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// The endpoint took the test lead (its status code).
    Posted {
        /// The HTTP status.
        status: u16,
    },
    /// The lead is not in Dataverse yet; looked for this long so far.
    Waiting {
        /// Time since the post.
        elapsed: Duration,
    },
}

/// The test lead as found in Dataverse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidatedLead {
    /// Its `leadid`.
    pub id: Uuid,
    /// Its `subject` (Topic), when it has one.
    pub subject: Option<String>,
    /// How long it took to appear after the post.
    pub after: Duration,
}

impl ValidatedLead {
    /// A found lead (for callers that render one).
    pub fn new(id: Uuid, subject: Option<String>, after: Duration) -> Self {
        ValidatedLead { id, subject, after }
    }
}

/// Why a validation failed. The endpoint is shown without its path or query (they hold the
/// secret).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// The endpoint URL cannot be used.
    #[error("the endpoint URL cannot be used: {0}")]
    InvalidUrl(String),
    /// No answer from the endpoint.
    #[error(
        "the lead endpoint {endpoint} could not be reached ({detail}); is `d365 leads serve` running, and is the URL the one it printed?"
    )]
    Unreachable {
        /// The endpoint, without its secret.
        endpoint: String,
        /// What failed (connect, timeout, TLS).
        detail: String,
    },
    /// The endpoint answered 401, 403 or 404: the URL's secret (or path) is not the serving
    /// one (the intake answers a wrong secret as an unknown URL).
    #[error(
        "the lead endpoint {endpoint} answered {status}: the URL's secret is not the one `leads serve` uses; give the URL `leads serve --show-url` prints (same secret, same --secret-in)"
    )]
    WrongSecret {
        /// The endpoint, without its secret.
        endpoint: String,
        /// The HTTP status.
        status: u16,
    },
    /// Any other refusal (for example 503: the spool is unreachable).
    #[error("the lead endpoint {endpoint} refused the test lead with {status}: {answer}")]
    Refused {
        /// The endpoint, without its secret.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The start of its answer.
        answer: String,
    },
    /// The endpoint took the lead but it did not reach Dataverse in time.
    #[error(
        "the endpoint took the test lead, but it was not in Dataverse after {} s; check `d365 leads status` (queue, parked leads and their errors) and that a writer runs (`leads serve` without --intake-only)",
        waited.as_secs()
    )]
    TimedOut {
        /// How long it was looked for.
        waited: Duration,
        /// The ids looked for.
        lead_ids: Vec<Uuid>,
    },
    /// Looking in Dataverse failed.
    #[error("looking for the test lead in Dataverse failed: {0}")]
    Dataverse(#[from] DataverseError),
}

/// Microsoft's test lead with fresh ticks (`MSFT_TEST_<ticks>`), as JSON.
pub fn test_lead_body(now: OffsetDateTime) -> Vec<u8> {
    let ticks = now.unix_timestamp_nanos() / 100 + TICKS_AT_UNIX_EPOCH;
    let tag = format!("MSFT_TEST_{ticks}");
    serde_json::json!({
        "userDetails": {
            "FirstName": tag,
            "LastName": tag,
            "Email": format!("{tag}@test.com"),
            "Phone": "1234567890",
            "Country": "US",
            "Company": tag,
            "Title": tag,
        },
        "LeadSource": "AzureMarketplace",
        "ActionCode": "INS",
        "OfferTitle": "Contoso Test",
        "Description": tag,
    })
    .to_string()
    .into_bytes()
}

/// The endpoint without path or query, for messages.
pub fn redacted_endpoint(url: &url::Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or("?"));
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    if url.path() != "/" || url.query().is_some() {
        shown.push_str("/…");
    }
    shown
}

/// Checks the endpoint URL: https, or http only to a loopback address (the secret and the
/// lead travel in it).
pub fn check_endpoint(endpoint: &str) -> Result<url::Url, ValidateError> {
    let url = url::Url::parse(endpoint.trim()).map_err(|e| {
        ValidateError::InvalidUrl(format!(
            "not a URL ({e}); give the full intake URL `leads serve --show-url` prints"
        ))
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(ValidateError::InvalidUrl(format!(
            "{} is plain http to a host that is not loopback; use the https:// URL",
            redacted_endpoint(&url)
        ))),
        other => Err(ValidateError::InvalidUrl(format!(
            "the scheme `{other}` is not http or https"
        ))),
    }
}

/// Posts the test lead to `endpoint` (the full intake URL with its secret), then looks for it
/// in Dataverse through `client` until it appears or the timeout passes. `progress` hears
/// about the post and every look that found nothing.
pub async fn validate(
    endpoint: &str,
    client: &DataverseClient,
    options: &ValidateOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ValidatedLead, ValidateError> {
    let url = check_endpoint(endpoint)?;
    let shown = redacted_endpoint(&url);
    let http = reqwest::Client::builder()
        .timeout(options.post_timeout)
        .build()
        .map_err(|e| ValidateError::InvalidUrl(format!("no HTTP client: {e}")))?;

    let before = options.clock.now();
    let body = test_lead_body(before);
    let answer = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .map_err(|e| ValidateError::Unreachable {
            endpoint: shown.clone(),
            detail: transport_detail(&e),
        })?;
    let after = options.clock.now();
    let status = answer.status().as_u16();
    if !answer.status().is_success() {
        if matches!(status, 401 | 403 | 404) {
            return Err(ValidateError::WrongSecret {
                endpoint: shown,
                status,
            });
        }
        let text = answer.text().await.unwrap_or_default();
        return Err(ValidateError::Refused {
            endpoint: shown,
            status,
            answer: text.trim().chars().take(MAX_ANSWER_CHARS).collect(),
        });
    }
    progress(Progress::Posted { status });

    let ids = expected_ids(&body, before, after, &options.key)?;
    let table = client.table(options.entity_set.as_str());
    loop {
        for id in &ids {
            match table.retrieve(*id).select(["subject"]).send().await {
                Ok(row) => {
                    return Ok(ValidatedLead {
                        id: *id,
                        subject: row
                            .get("subject")
                            .and_then(|v| v.as_str())
                            .map(str::to_owned),
                        after: elapsed(options, before),
                    });
                }
                Err(error) if error.is_not_found() => {}
                Err(error) => return Err(error.into()),
            }
        }
        let waited = elapsed(options, before);
        progress(Progress::Waiting { elapsed: waited });
        if waited >= options.timeout {
            return Err(ValidateError::TimedOut {
                waited,
                lead_ids: ids,
            });
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}

/// The lead's ids for the key buckets of both readings around the post.
fn expected_ids(
    body: &[u8],
    before: OffsetDateTime,
    after: OffsetDateTime,
    key: &KeyOptions,
) -> Result<Vec<Uuid>, ValidateError> {
    let lead = Lead::parse(body)
        .map_err(|e| ValidateError::InvalidUrl(format!("the test lead does not parse: {e}")))?;
    let mut ids = vec![lead.idempotency_key(before.unix_timestamp(), key).lead_id()];
    let later = lead.idempotency_key(after.unix_timestamp(), key).lead_id();
    if !ids.contains(&later) {
        ids.push(later);
    }
    Ok(ids)
}

fn elapsed(options: &ValidateOptions, since: OffsetDateTime) -> Duration {
    let spent = options.clock.now() - since;
    Duration::try_from(spent).unwrap_or_default()
}

/// A transport error's kind in words, without the URL (it holds the secret).
fn transport_detail(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "connection refused or failed"
    } else {
        "the request failed"
    };
    let mut detail = kind.to_owned();
    let mut source = std::error::Error::source(error);
    // The innermost cause says most (refused, reset, certificate); reqwest's own text
    // would repeat the URL.
    while let Some(cause) = source {
        if cause.source().is_none() {
            detail.push_str(&format!(": {cause}"));
        }
        source = cause.source();
    }
    detail
}

impl fmt::Display for ValidatedLead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lead {} ({}) appeared in Dataverse {} s after the post",
            self.id,
            self.subject.as_deref().unwrap_or("no subject"),
            self.after.as_secs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_lead_is_recognised_as_one_and_new_each_time() {
        // The instant of Microsoft's sample, which gives its very value.
        let now = OffsetDateTime::from_unix_timestamp_nanos(1_521_733_683_131_884_400).unwrap();
        let body = test_lead_body(now);
        let lead = Lead::parse(&body).unwrap();
        assert!(lead.is_test());
        assert_eq!(
            lead.description.as_deref(),
            Some("MSFT_TEST_636573304831318844")
        );
        let later = test_lead_body(now + time::Duration::seconds(1));
        assert_ne!(body, later);
    }

    #[test]
    fn endpoints_must_be_https_or_loopback_and_errors_hide_the_secret() {
        check_endpoint("http://127.0.0.1:8080/leads/secret").unwrap();
        check_endpoint("http://localhost:1/leads?token=x").unwrap();
        check_endpoint("https://leads.contoso.com/leads/secret").unwrap();
        let err = check_endpoint("http://leads.contoso.com/leads/topsecret").unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
        assert!(check_endpoint("ftp://x/").is_err());
        assert!(check_endpoint("not a url").is_err());
        let url = url::Url::parse("https://x.example:8443/leads?token=topsecret").unwrap();
        assert_eq!(redacted_endpoint(&url), "https://x.example:8443/…");
    }

    #[test]
    fn both_buckets_around_the_post_are_looked_up() {
        let key = KeyOptions::with_bucket_seconds(60).unwrap();
        let before = OffsetDateTime::from_unix_timestamp(119).unwrap();
        let body = test_lead_body(before);
        let same = expected_ids(&body, before, before, &key).unwrap();
        assert_eq!(same.len(), 1);
        let across =
            expected_ids(&body, before, before + time::Duration::seconds(2), &key).unwrap();
        assert_eq!(across.len(), 2);
    }
}

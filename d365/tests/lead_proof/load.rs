//! The load generator: distinct marketplace leads posted concurrently, each POST repeated
//! (on the next endpoint, after a short back-off) until a 2xx, as the marketplace is expected
//! to redeliver. Microsoft documents no retry policy for lead destinations (REFERENCE-WORKFLOWS
//! 1.3, UNCONFIRMED either way); retrying until acknowledged is the demanding case, because
//! every retry of a lead that was stored before its answer was lost is a replay.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The domain of every generated e-mail address; the run's tag goes in front of it.
pub(crate) const EMAIL_DOMAIN: &str = "reliability.example";
/// Back-off between tries of one lead: doubled from the first, capped.
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_millis(250);

/// The e-mail address of lead `index` in run `tag`: the key the table check counts by.
pub(crate) fn email(tag: &str, index: usize) -> String {
    format!("lead{index}.{tag}@{EMAIL_DOMAIN}")
}

/// The index of a generated address of run `tag`, or `None` for any other address.
pub(crate) fn index_of(tag: &str, email: &str) -> Option<usize> {
    let local = email.strip_suffix(&format!(".{tag}@{EMAIL_DOMAIN}"))?;
    local.strip_prefix("lead")?.parse().ok()
}

/// Lead `index` in the HTTPS-endpoint shape (REFERENCE-WORKFLOWS 1.1). Only the e-mail
/// address and the last name differ between leads, so each is its own lead.
pub(crate) fn body(tag: &str, index: usize) -> Vec<u8> {
    serde_json::json!({
        "UserDetails": {
            "FirstName": "Proof",
            "LastName": format!("Lead {index}"),
            "Email": email(tag, index),
            "Phone": "16175555555",
            "Country": "US",
            "Company": "Contoso",
            "Title": "Buyer"
        },
        "LeadSource": "AzureMarketplace",
        "ActionCode": "INS",
        "OfferTitle": "Reliability proof",
        "Description": "Posted by the lead writer's reliability proof."
    })
    .to_string()
    .into_bytes()
}

/// What to post.
#[derive(Debug, Clone)]
pub(crate) struct LoadSpec {
    /// Leads to post (indices `0..leads`).
    pub(crate) leads: usize,
    /// Leads in flight at once.
    pub(crate) concurrency: usize,
    /// The run's tag (in every e-mail address).
    pub(crate) tag: String,
    /// The intake URLs; tries of one lead go round them.
    pub(crate) endpoints: Vec<String>,
}

/// Progress the chaos task reads while the load runs.
#[derive(Debug, Default)]
pub(crate) struct LoadProgress {
    /// Leads acknowledged so far.
    pub(crate) acknowledged: AtomicUsize,
}

/// What the load generator saw.
#[derive(Debug, Default)]
pub(crate) struct LoadResult {
    /// Leads acknowledged with 2xx (each counted once).
    pub(crate) acknowledged: usize,
    /// Of those, acknowledged as "already received": a retry of a lead stored before its
    /// answer was lost (a replay the intake caught).
    pub(crate) already_received: usize,
    /// POSTs sent, retries included.
    pub(crate) attempts: usize,
    /// POSTs with no answer (refused or dropped connection: the process was down or killed).
    pub(crate) no_answer: usize,
    /// POSTs answered 5xx.
    pub(crate) server_errors: usize,
    /// Latency of each acknowledged POST (the successful try).
    pub(crate) ack_latencies: Vec<Duration>,
    /// From the first POST to the last acknowledgement.
    pub(crate) elapsed: Duration,
}

/// One lead's outcome.
struct Posted {
    attempts: usize,
    no_answer: usize,
    server_errors: usize,
    already: bool,
    latency: Duration,
}

/// Posts every lead until acknowledged. A 4xx means the harness is wrong (bad secret, bad
/// body), so it fails the run at once instead of retrying.
pub(crate) async fn post_all(
    spec: LoadSpec,
    progress: Arc<LoadProgress>,
) -> Result<LoadResult, String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(spec.concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let spec = Arc::new(spec);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers: Vec<tokio::task::JoinHandle<Result<LoadResult, String>>> =
        Vec::with_capacity(spec.concurrency);
    for _ in 0..spec.concurrency.max(1) {
        let (spec, next, http, progress) = (
            Arc::clone(&spec),
            Arc::clone(&next),
            http.clone(),
            Arc::clone(&progress),
        );
        workers.push(tokio::spawn(async move {
            let mut result = LoadResult::default();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= spec.leads {
                    return Ok(result);
                }
                let posted = post_one(&http, &spec, index).await?;
                progress.acknowledged.fetch_add(1, Ordering::Relaxed);
                result.acknowledged += 1;
                result.already_received += usize::from(posted.already);
                result.attempts += posted.attempts;
                result.no_answer += posted.no_answer;
                result.server_errors += posted.server_errors;
                result.ack_latencies.push(posted.latency);
            }
        }));
    }
    let mut total = LoadResult::default();
    for worker in workers {
        let part: LoadResult = worker.await.map_err(|e| e.to_string())??;
        total.acknowledged += part.acknowledged;
        total.already_received += part.already_received;
        total.attempts += part.attempts;
        total.no_answer += part.no_answer;
        total.server_errors += part.server_errors;
        total.ack_latencies.extend(part.ack_latencies);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

async fn post_one(http: &reqwest::Client, spec: &LoadSpec, index: usize) -> Result<Posted, String> {
    let body = body(&spec.tag, index);
    let mut posted = Posted {
        attempts: 0,
        no_answer: 0,
        server_errors: 0,
        already: false,
        latency: Duration::ZERO,
    };
    let mut backoff = FIRST_BACKOFF;
    loop {
        let url = &spec.endpoints[(index + posted.attempts) % spec.endpoints.len()];
        posted.attempts += 1;
        let sent = Instant::now();
        let answer = http
            .post(url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        match answer {
            Ok(answer) if answer.status().is_success() => match answer.text().await {
                Ok(text) => {
                    posted.latency = sent.elapsed();
                    posted.already = text.contains("already");
                    return Ok(posted);
                }
                // The answer was cut off: not an acknowledgement the sender could trust.
                Err(_) => posted.no_answer += 1,
            },
            Ok(answer) if answer.status().is_server_error() => posted.server_errors += 1,
            Ok(answer) => {
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                return Err(format!(
                    "lead {index} was refused with {status}: {text} (the harness is wrong)"
                ));
            }
            Err(_) => posted.no_answer += 1,
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_round_trip_and_other_runs_do_not_match() {
        let address = email("t1", 42);
        assert_eq!(index_of("t1", &address), Some(42));
        assert_eq!(index_of("t2", &address), None);
        assert_eq!(index_of("t1", "someone@contoso.com"), None);
        assert_ne!(body("t1", 1), body("t1", 2));
    }
}

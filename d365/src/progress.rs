//! What the tool is waiting for, on stderr: every retry of the HTTP pipeline ("admin service
//! did not answer (attempt 2 of 5), retrying in 3.2 s") always, and with `--verbose` each
//! admin request with its status and how long it took. Both come from the `tracing` events
//! and spans of `dynamics-http`, whose URLs are already redacted; no token or secret is
//! ever part of them.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The span `dynamics-http` opens around each request (all its attempts).
const REQUEST_SPAN: &str = "http_request";

/// Prints retries always and, when `verbose`, one line per finished request.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    /// Retries allowed after the first attempt, to say "attempt 2 of 5".
    pub(crate) max_retries: u32,
    /// Retries the sign-in allows after the first token request.
    pub(crate) sign_in_max_retries: u32,
    /// Whether to print each request.
    pub(crate) verbose: bool,
}

/// The fields of one event or span, as text.
#[derive(Debug, Default)]
struct Fields {
    message: Option<String>,
    method: Option<String>,
    url: Option<String>,
    status: Option<u64>,
    retry: Option<u64>,
    attempt: Option<u64>,
    delay: Option<String>,
    error: Option<String>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = Some(value),
            "retry" => self.retry = Some(value),
            "attempt" => self.attempt = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "message" => self.message = Some(text),
            "method" => self.method = Some(text),
            "url" => self.url = Some(text),
            "delay" => self.delay = Some(text),
            "error" => self.error = Some(text),
            "status" => self.status = text.parse().ok(),
            "retry" => self.retry = text.parse().ok(),
            "attempt" => self.attempt = text.parse().ok(),
            _ => {}
        }
    }
}

/// What a request span remembers until it closes.
#[derive(Debug)]
struct RequestSpan {
    fields: Fields,
    started: Instant,
}

impl Progress {
    /// The retry line for a `retrying ...` event of the pipeline, if it is one.
    fn retry_line(&self, event: &Fields) -> Option<String> {
        let retry = event.retry?;
        let message = event.message.as_deref().unwrap_or_default();
        if !message.starts_with("retrying") {
            return None;
        }
        let what = match (event.status, &event.error) {
            (Some(429), _) => "admin service is throttling requests".to_owned(),
            (Some(status), _) => format!("admin service answered {status}"),
            (None, Some(error)) if is_sign_in(error) => "sign-in service did not answer".to_owned(),
            (None, _) => "admin service did not answer".to_owned(),
        };
        let total = u64::from(self.max_retries).saturating_add(1);
        let wait = event
            .delay
            .as_deref()
            .and_then(parse_debug_duration)
            .map(|d| format!(", retrying in {}", seconds(d)))
            .unwrap_or_else(|| ", retrying".to_owned());
        Some(format!("{what} (attempt {retry} of {total}){wait}"))
    }
}

impl Progress {
    /// The retry line for a `token request will be retried` event of the sign-in, if it is
    /// one (its `attempt` counts from 0).
    fn sign_in_retry_line(&self, event: &Fields) -> Option<String> {
        let message = event.message.as_deref().unwrap_or_default();
        if !message.starts_with("token request will be retried") {
            return None;
        }
        let attempt = event.attempt?.saturating_add(1);
        let total = u64::from(self.sign_in_max_retries).saturating_add(1);
        let wait = event
            .delay
            .as_deref()
            .and_then(parse_debug_duration)
            .map(|d| format!(", retrying in {}", seconds(d)))
            .unwrap_or_else(|| ", retrying".to_owned());
        Some(format!(
            "sign-in request failed (attempt {attempt} of {total}){wait}"
        ))
    }
}

/// Whether a failure happened while getting a token rather than at the admin service.
fn is_sign_in(error: &str) -> bool {
    let error = error.to_ascii_lowercase();
    error.contains("token endpoint") || error.contains("sign-in") || error.contains("sign in")
}

/// A wait as people read it: `0.8 s`, `3.2 s`, `12 s`.
fn seconds(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        format!("{secs:.0} s")
    }
}

/// Reads a `Duration` as its `Debug` prints it (`892.18ms`, `4s`, `1.5µs`, `0ns`).
fn parse_debug_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1.0,
        "ms" => 1e-3,
        "µs" | "us" => 1e-6,
        "ns" => 1e-9,
        _ => return None,
    };
    Duration::try_from_secs_f64(number * scale).ok()
}

/// One verbose request line: `GET https://host/api/... -> 200 in 0.1 s`.
fn request_line(fields: &Fields, elapsed: Duration) -> String {
    let mut line = format!(
        "request: {} {}",
        fields.method.as_deref().unwrap_or("?"),
        fields.url.as_deref().unwrap_or("?")
    );
    match fields.status {
        Some(status) => {
            let _ = write!(line, " -> {status}");
        }
        None => line.push_str(" -> no answer"),
    }
    let _ = write!(line, " in {}", seconds_precise(elapsed));
    line
}

/// Elapsed time of a request, in seconds with millisecond precision.
fn seconds_precise(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn print(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

impl<S> Layer<S> for Progress
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !self.verbose || attrs.metadata().name() != REQUEST_SPAN {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(RequestSpan {
                fields,
                started: Instant::now(),
            });
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(request) = span.extensions_mut().get_mut::<RequestSpan>()
        {
            values.record(&mut request.fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let target = event.metadata().target();
        let from_http = target.starts_with("dynamics_http");
        if !from_http && !target.starts_with("dynamics_auth") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = if from_http {
            self.retry_line(&fields)
        } else {
            self.sign_in_retry_line(&fields)
        };
        if let Some(line) = line {
            print(&line);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(request) = span.extensions().get::<RequestSpan>()
        {
            print(&request_line(&request.fields, request.started.elapsed()));
        }
    }
}

/// A log timestamp to the second, in UTC: `2026-12-06T04:05:04Z`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SecondsUtc;

impl tracing_subscriber::fmt::time::FormatTime for SecondsUtc {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> fmt::Result {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        w.write_str(&utc_seconds(secs))
    }
}

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian calendar).
pub(crate) fn utc_seconds(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    // Days to a civil date (H. Hinnant's algorithm, public domain).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// A service timestamp shortened to the second for people (`2026-12-06T04:05:04.050244555Z`
/// → `2026-12-06T04:05:04Z`); anything that is not such a timestamp is shown as it is.
pub(crate) fn to_the_second(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_stamp = bytes.len() > 19
        && bytes[..19].iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T' || *b == b' ',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        })
        && bytes[19] == b'.';
    if !is_stamp {
        return text.to_owned();
    }
    let fraction_end = bytes[20..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(bytes.len(), |p| p + 20);
    format!("{}{}", &text[..19], &text[fraction_end..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn retry_event(status: Option<u64>, error: Option<&str>, delay: &str) -> Fields {
        Fields {
            message: Some("retrying after a failure".into()),
            status,
            retry: Some(2),
            delay: Some(delay.into()),
            error: error.map(str::to_owned),
            ..Fields::default()
        }
    }

    #[test]
    fn retries_say_what_failed_which_attempt_and_how_long_the_wait_is() {
        let p = Progress {
            max_retries: 4,
            sign_in_max_retries: 2,
            verbose: false,
        };
        assert_eq!(
            p.retry_line(&retry_event(None, Some("connection refused"), "3.9871s"))
                .as_deref(),
            Some("admin service did not answer (attempt 2 of 5), retrying in 4.0 s")
        );
        assert_eq!(
            p.retry_line(&retry_event(Some(503), None, "892.18ms"))
                .as_deref(),
            Some("admin service answered 503 (attempt 2 of 5), retrying in 0.9 s")
        );
        assert_eq!(
            p.retry_line(&retry_event(Some(429), None, "30s"))
                .as_deref(),
            Some("admin service is throttling requests (attempt 2 of 5), retrying in 30 s")
        );
        let token = Fields {
            message: Some("token request will be retried".into()),
            attempt: Some(0),
            delay: Some("500ms".into()),
            ..Fields::default()
        };
        assert_eq!(
            p.sign_in_retry_line(&token).as_deref(),
            Some("sign-in request failed (attempt 1 of 3), retrying in 0.5 s")
        );
        assert_eq!(p.retry_line(&token), None);
        let mut other = retry_event(None, None, "1s");
        other.message = Some("401: invalidating the cached token".into());
        assert_eq!(p.retry_line(&other), None);
    }

    #[test]
    fn requests_print_method_url_status_and_time() {
        let fields = Fields {
            method: Some("GET".into()),
            url: Some("https://admin.services.crm.dynamics.com/api/v1.2/Instances".into()),
            status: Some(200),
            ..Fields::default()
        };
        assert_eq!(
            request_line(&fields, Duration::from_millis(1234)),
            "request: GET https://admin.services.crm.dynamics.com/api/v1.2/Instances -> 200 \
             in 1.234 s"
        );
    }

    #[test]
    fn timestamps_are_to_the_second() {
        assert_eq!(
            to_the_second("2026-12-06T04:05:04.050244555Z"),
            "2026-12-06T04:05:04Z"
        );
        assert_eq!(
            to_the_second("2026-12-06T04:05:04.05+01:00"),
            "2026-12-06T04:05:04+01:00"
        );
        assert_eq!(
            to_the_second("2026-12-06T04:05:04Z"),
            "2026-12-06T04:05:04Z"
        );
        assert_eq!(to_the_second("yesterday"), "yesterday");
        assert_eq!(utc_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_seconds(1_796_530_704), "2026-12-06T04:18:24Z");
        assert_eq!(utc_seconds(951_782_400), "2000-02-29T00:00:00Z");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_shortened_without_panic(text in ".{0,40}") {
            let short = to_the_second(&text);
            prop_assert!(short.len() <= text.len());
        }

        #[test]
        fn any_debug_duration_reads_back(ms in 0u64..10_000_000) {
            let d = Duration::from_millis(ms);
            let back = parse_debug_duration(&format!("{d:?}")).expect("parses");
            prop_assert!(back.abs_diff(d) < Duration::from_millis(1));
        }

        #[test]
        fn any_time_formats_as_a_second_stamp(secs in 0u64..253_402_300_800) {
            let text = utc_seconds(secs);
            prop_assert_eq!(text.len(), 20);
            prop_assert_eq!(to_the_second(&text), text.clone());
        }
    }
}

//! `leads status` as data and as text, without IO: what the spool says, with times made
//! relative for people and kept absolute (RFC 3339) for scripts. Only ids, counts, codes and
//! error texts: never a lead's body or fields.

use lead_writer::spool::{DeadLetter, ErrorEntry, SpoolStatus};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::output::{Table, fields};

/// Error texts in the tables are cut to this many characters (JSON keeps the stored text).
const SHORT_ERROR_CHARS: usize = 100;

/// The whole `leads status` answer (the `--json` shape).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusReport {
    /// Where the spool lives (never a password).
    pub(crate) spool: String,
    /// Leads still to write: pending plus leased.
    pub(crate) queue_depth: u64,
    /// Items by state.
    pub(crate) counts: Counts,
    /// The earliest due time among pending items (RFC 3339).
    pub(crate) oldest_due_at: Option<String>,
    /// The receive time of the oldest lead still to write (RFC 3339).
    pub(crate) oldest_received_at: Option<String>,
    /// Parked items, most recently parked first.
    pub(crate) parked: Vec<ErrorJson>,
    /// Refused bodies, newest first (their reasons, never the bodies).
    pub(crate) dead_letters: Vec<DeadLetterJson>,
    /// The latest errors of any item, newest first.
    pub(crate) last_errors: Vec<ErrorJson>,
    /// Times in the text form are relative to this.
    #[serde(skip)]
    now: OffsetDateTime,
    /// `oldest_due_at` and `oldest_received_at` as times, for the text form.
    #[serde(skip)]
    oldest: (Option<OffsetDateTime>, Option<OffsetDateTime>),
}

/// Items by state.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Counts {
    pub(crate) pending: u64,
    pub(crate) due_now: u64,
    pub(crate) leased: u64,
    pub(crate) done: u64,
    pub(crate) parked: u64,
    pub(crate) dead_letters: u64,
}

/// One item's latest error.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorJson {
    pub(crate) id: i64,
    pub(crate) state: String,
    pub(crate) attempts: u32,
    /// The Dataverse error code found in the error text (`0x...`), if any.
    pub(crate) code: Option<String>,
    pub(crate) error: String,
    pub(crate) at: String,
    #[serde(skip)]
    at_time: OffsetDateTime,
}

/// One dead letter's reason.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeadLetterJson {
    pub(crate) id: i64,
    pub(crate) code: String,
    pub(crate) reason: String,
    pub(crate) received_at: String,
    #[serde(skip)]
    received: OffsetDateTime,
}

impl StatusReport {
    /// Builds the report from what the spool returned.
    pub(crate) fn new(
        spool: String,
        status: &SpoolStatus,
        parked: &[ErrorEntry],
        dead_letters: &[DeadLetter],
        now: OffsetDateTime,
    ) -> Self {
        StatusReport {
            spool,
            queue_depth: status.queue_depth,
            counts: Counts {
                pending: status.pending,
                due_now: status.due_now,
                leased: status.leased,
                done: status.done,
                parked: status.parked,
                dead_letters: status.dead_letters,
            },
            oldest_due_at: status.oldest_due_at.map(rfc3339),
            oldest_received_at: status.oldest_received_at.map(rfc3339),
            parked: parked.iter().map(error_json).collect(),
            dead_letters: dead_letters
                .iter()
                .map(|d| DeadLetterJson {
                    id: d.id.0,
                    code: d.rejection.code.clone(),
                    reason: d.rejection.reason.clone(),
                    received_at: rfc3339(d.received_at),
                    received: d.received_at,
                })
                .collect(),
            last_errors: status.last_errors.iter().map(error_json).collect(),
            now,
            oldest: (status.oldest_due_at, status.oldest_received_at),
        }
    }

    /// The report for people: a summary, then tables of parked items, dead letters and the
    /// last errors (each left out when empty).
    pub(crate) fn text(&self) -> String {
        let now = self.now;
        let c = &self.counts;
        let when =
            |t: Option<OffsetDateTime>| t.map_or_else(|| "-".to_owned(), |t| relative(now, t));
        let mut out = fields(&[
            ("Spool", self.spool.clone()),
            (
                "Queue depth",
                format!(
                    "{} (pending {}, due now {}; leased {})",
                    self.queue_depth, c.pending, c.due_now, c.leased
                ),
            ),
            ("Written", c.done.to_string()),
            ("Parked", c.parked.to_string()),
            ("Dead letters", c.dead_letters.to_string()),
            ("Oldest due", when(self.oldest.0)),
            ("Oldest received", when(self.oldest.1)),
        ]);
        if !self.parked.is_empty() {
            out.push_str(&format!(
                "\nParked leads{} (put back with `d365 leads retry`):\n",
                shown(self.parked.len(), c.parked)
            ));
            let mut table = Table::new(["ID", "ATTEMPTS", "CODE", "PARKED", "ERROR"]);
            for e in &self.parked {
                table.row([
                    e.id.to_string(),
                    e.attempts.to_string(),
                    e.code.clone().unwrap_or_else(|| "-".to_owned()),
                    relative(now, e.at_time),
                    short(&e.error),
                ]);
            }
            out.push_str(&table.render());
        }
        if !self.dead_letters.is_empty() {
            out.push_str(&format!(
                "\nDead letters{} (bodies refused at intake):\n",
                shown(self.dead_letters.len(), c.dead_letters)
            ));
            let mut table = Table::new(["ID", "RECEIVED", "CODE", "REASON"]);
            for d in &self.dead_letters {
                table.row([
                    d.id.to_string(),
                    relative(now, d.received),
                    d.code.clone(),
                    short(&d.reason),
                ]);
            }
            out.push_str(&table.render());
        }
        if !self.last_errors.is_empty() {
            out.push_str("\nLast errors:\n");
            let mut table = Table::new(["ID", "STATE", "ATTEMPTS", "CODE", "WHEN", "ERROR"]);
            for e in &self.last_errors {
                table.row([
                    e.id.to_string(),
                    e.state.clone(),
                    e.attempts.to_string(),
                    e.code.clone().unwrap_or_else(|| "-".to_owned()),
                    relative(now, e.at_time),
                    short(&e.error),
                ]);
            }
            out.push_str(&table.render());
        }
        out
    }
}

fn error_json(e: &ErrorEntry) -> ErrorJson {
    ErrorJson {
        id: e.id.0,
        state: e.state.to_string(),
        attempts: e.attempts,
        code: dataverse_code(&e.error).map(str::to_owned),
        error: e.error.clone(),
        at: rfc3339(e.at),
        at_time: e.at,
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The first Dataverse error code (`0x` and eight hex digits) in an error text. The spool
/// keeps the code only inside the text the writer stored, so it is looked for there; an error
/// without one (an abandoned lease, an unreadable row) has none.
pub(crate) fn dataverse_code(error: &str) -> Option<&str> {
    let bytes = error.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = error.get(i..i + 10)?;
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let ends_word = bytes.get(i + 10).is_none_or(|b| !b.is_ascii_alphanumeric());
        let hex = candidate[2..].bytes().all(|b| b.is_ascii_hexdigit());
        (starts_word && ends_word && candidate[..2].eq_ignore_ascii_case("0x") && hex)
            .then_some(candidate)
    })
}

/// ", newest N of M" when a list is cut by `--limit`, else nothing.
fn shown(listed: usize, total: u64) -> String {
    if (listed as u64) < total {
        format!(", newest {listed} of {total} (--limit for more)")
    } else {
        String::new()
    }
}

/// A text cut to [`SHORT_ERROR_CHARS`] characters on one line.
fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= SHORT_ERROR_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(SHORT_ERROR_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// `t` relative to `now`: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", or "in
/// ..." for a time still to come (a backed-off item's due time).
pub(crate) fn relative(now: OffsetDateTime, t: OffsetDateTime) -> String {
    let seconds = (now - t).whole_seconds();
    let span = seconds.unsigned_abs();
    if span < 1 {
        return "just now".to_owned();
    }
    let amount = match span {
        0..60 => format!("{span} s"),
        60..3600 => format!("{} min", span / 60),
        3600..86_400 => format!("{} h", span / 3600),
        _ => format!("{} d", span / 86_400),
    };
    if seconds > 0 {
        format!("{amount} ago")
    } else {
        format!("in {amount}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lead_writer::Rejection;
    use lead_writer::spool::{DeadLetterId, ItemState, SpoolId};
    use time::Duration;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[test]
    fn times_read_as_people_say_them() {
        let n = now();
        assert_eq!(relative(n, n), "just now");
        assert_eq!(relative(n, n - Duration::seconds(42)), "42 s ago");
        assert_eq!(relative(n, n - Duration::minutes(5)), "5 min ago");
        assert_eq!(relative(n, n - Duration::hours(3)), "3 h ago");
        assert_eq!(relative(n, n - Duration::days(2)), "2 d ago");
        assert_eq!(relative(n, n + Duration::seconds(30)), "in 30 s");
    }

    #[test]
    fn the_dataverse_code_is_found_in_the_stored_error() {
        assert_eq!(
            dataverse_code("writing the lead failed: HTTP 403, code 0x80040220: no privilege"),
            Some("0x80040220")
        );
        assert_eq!(dataverse_code("0x8004F09A"), Some("0x8004F09A"));
        assert_eq!(dataverse_code("lease abandoned 10 times"), None);
        assert_eq!(dataverse_code("0x800402201 is too long"), None);
        assert_eq!(dataverse_code("é0x80040220"), Some("0x80040220"));
        assert_eq!(dataverse_code(""), None);
    }

    #[test]
    fn long_errors_are_cut_on_one_line() {
        let long = format!("a\nb {}", "x".repeat(300));
        let cut = short(&long);
        assert!(cut.starts_with("a b x"));
        assert_eq!(cut.chars().count(), SHORT_ERROR_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_text_lists_counts_parked_reasons_and_dead_letters_but_no_bodies() {
        let n = now();
        let parked = ErrorEntry {
            id: SpoolId(7),
            state: ItemState::Parked,
            attempts: 1,
            error: "writing the lead failed: HTTP 403, code 0x80040220: missing prvCreateLead"
                .to_owned(),
            at: n - Duration::minutes(3),
        };
        let mut status = SpoolStatus::default();
        status.pending = 2;
        status.due_now = 1;
        status.parked = 1;
        status.dead_letters = 1;
        status.queue_depth = 2;
        status.oldest_received_at = Some(n - Duration::minutes(10));
        status.last_errors = vec![parked.clone()];
        let dead = DeadLetter {
            id: DeadLetterId(3),
            received_at: n - Duration::hours(1),
            rejection: Rejection {
                code: "not_json".to_owned(),
                reason: "lead body is not JSON".to_owned(),
            },
            raw_body: b"SECRET-BODY".to_vec(),
        };
        let report = StatusReport::new("leads.db".into(), &status, &[parked], &[dead], n);
        let text = report.text();
        assert!(
            text.contains("Queue depth      2 (pending 2, due now 1; leased 0)"),
            "{text}"
        );
        assert!(text.contains("Oldest received  10 min ago"), "{text}");
        assert!(text.contains("Oldest due       -"), "{text}");
        assert!(
            text.contains("7   1         0x80040220  3 min ago"),
            "{text}"
        );
        assert!(text.contains("not_json"), "{text}");
        assert!(text.contains("Parked leads (put back"), "{text}");
        let mut more = status.clone();
        more.dead_letters = 5;
        let cut = StatusReport::new("x".into(), &more, &[], &[], n).text();
        assert!(!cut.contains("Dead letters,"), "no list, no note: {cut}");
        assert_eq!(shown(1, 5), ", newest 1 of 5 (--limit for more)");
        assert_eq!(shown(5, 5), "");
        let json = serde_json::to_string(&report).unwrap();
        assert!(!text.contains("SECRET-BODY") && !json.contains("SECRET-BODY"));
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["counts"]["parked"], 1);
        assert_eq!(json["parked"][0]["code"], "0x80040220");
        assert_eq!(json["oldest_received_at"], "2027-01-15T07:50:00Z");
    }
}

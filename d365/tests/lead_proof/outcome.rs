//! What a run found: the counts the issue asks for, the kills, the spool afterwards, and the
//! latencies; printed as a small report.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use super::chaos::Kill;
use super::load::{LoadResult, index_of};

/// The lead table read back after a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableCount {
    /// Rows of this run (by e-mail address).
    pub(crate) rows: usize,
    /// Distinct leads among them.
    pub(crate) distinct: usize,
    /// Rows beyond the first of a lead.
    pub(crate) duplicates: usize,
    /// Leads posted but with no row.
    pub(crate) lost: usize,
    /// A few lost lead indices, for the failure message.
    pub(crate) lost_sample: Vec<usize>,
}

/// Counts the rows of run `tag` among `rows` (the table as the emulator renders it), against
/// `posted` leads numbered `0..posted`.
pub(crate) fn count_table(rows: &[serde_json::Value], tag: &str, posted: usize) -> TableCount {
    let mut seen: HashMap<usize, usize> = HashMap::new();
    for row in rows {
        let email = row
            .get("emailaddress1")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if let Some(index) = index_of(tag, email) {
            *seen.entry(index).or_default() += 1;
        }
    }
    let rows: usize = seen.values().sum();
    let distinct = seen.keys().filter(|i| **i < posted).count();
    let lost_sample = (0..posted)
        .filter(|i| !seen.contains_key(i))
        .take(10)
        .collect();
    TableCount {
        rows,
        distinct,
        duplicates: rows - seen.len(),
        lost: posted - distinct,
        lost_sample,
    }
}

/// The spool after the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SpoolCount {
    /// Items pending or leased.
    pub(crate) queue_depth: u64,
    /// Items parked.
    pub(crate) parked: u64,
    /// Bodies refused at intake.
    pub(crate) dead_letters: u64,
    /// Items written.
    pub(crate) done: u64,
    /// The latest errors the spool recorded (texts only, never lead data).
    pub(crate) last_errors: Vec<String>,
}

/// The p50 and p99 of `samples` (nearest rank), `None` when empty.
pub(crate) fn percentiles(samples: &[Duration]) -> Option<(Duration, Duration)> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = |p: f64| {
        let index = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    };
    Some((rank(0.50), rank(0.99)))
}

/// Everything a run found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// What the run was (backend, processes, faults...), one line.
    pub(crate) conditions: String,
    /// Leads posted (distinct).
    pub(crate) posted: usize,
    /// The load generator's side.
    pub(crate) acknowledged: usize,
    pub(crate) already_received: usize,
    pub(crate) attempts: usize,
    pub(crate) no_answer: usize,
    pub(crate) server_errors: usize,
    /// The table.
    pub(crate) table: TableCount,
    /// The spool.
    pub(crate) spool: SpoolCount,
    /// The kills, in order.
    pub(crate) kills: Vec<Kill>,
    /// Starts and crashes (exits nobody asked for) per process: `(name, starts, crashes)`.
    pub(crate) processes: Vec<(String, u32, u32)>,
    /// First POST to last acknowledgement.
    pub(crate) intake_elapsed: Duration,
    /// First POST to the last lead in the table.
    pub(crate) end_to_end_elapsed: Duration,
    /// Latency of each acknowledged POST.
    pub(crate) ack_latencies: Vec<Duration>,
    /// Receive to written, per lead, from the spool's own times (millisecond resolution).
    pub(crate) write_latencies: Vec<Duration>,
    /// Whether the run crossed a UTC day, the idempotency key's default bucket (a replay on
    /// the far side of midnight is a new key by design: lead-writer `key.rs`).
    pub(crate) crossed_midnight: bool,
}

impl Outcome {
    /// Takes in the load generator's counts.
    pub(crate) fn add_load(&mut self, load: LoadResult) {
        self.acknowledged = load.acknowledged;
        self.already_received = load.already_received;
        self.attempts = load.attempts;
        self.no_answer = load.no_answer;
        self.server_errors = load.server_errors;
        self.intake_elapsed = load.elapsed;
        self.ack_latencies = load.ack_latencies;
    }

    /// The claim: every lead acknowledged, in the table exactly once, nothing left in
    /// the spool, nothing parked or refused. `Err` says what failed.
    pub(crate) fn check(&self) -> Result<(), String> {
        let mut wrong = Vec::new();
        if self.acknowledged != self.posted {
            wrong.push(format!(
                "{} of {} leads acknowledged",
                self.acknowledged, self.posted
            ));
        }
        if self.table.lost > 0 {
            wrong.push(format!(
                "{} leads lost (e.g. {:?})",
                self.table.lost, self.table.lost_sample
            ));
        }
        if self.table.duplicates > 0 {
            wrong.push(format!("{} duplicate rows", self.table.duplicates));
        }
        if self.table.rows != self.posted {
            wrong.push(format!(
                "{} rows for {} leads",
                self.table.rows, self.posted
            ));
        }
        if self.spool.queue_depth + self.spool.parked + self.spool.dead_letters > 0 {
            wrong.push(format!(
                "spool not empty: {} queued, {} parked, {} dead letters (last errors: {:?})",
                self.spool.queue_depth,
                self.spool.parked,
                self.spool.dead_letters,
                self.spool.last_errors
            ));
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(wrong.join("; "))
        }
    }

    fn rate(count: usize, elapsed: Duration) -> f64 {
        count as f64 / elapsed.as_secs_f64().max(1e-9)
    }
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.conditions)?;
        writeln!(
            f,
            "  posted {}  acknowledged {} ({} as already received)  written {}  duplicates {}  lost {}",
            self.posted,
            self.acknowledged,
            self.already_received,
            self.table.distinct,
            self.table.duplicates,
            self.table.lost
        )?;
        writeln!(
            f,
            "  POSTs {} (no answer {}, 5xx {})  spool: queued {} parked {} dead letters {} done {}",
            self.attempts,
            self.no_answer,
            self.server_errors,
            self.spool.queue_depth,
            self.spool.parked,
            self.spool.dead_letters,
            self.spool.done
        )?;
        for (name, starts, crashes) in &self.processes {
            let kills: Vec<String> = self
                .kills
                .iter()
                .filter(|k| &k.process == name)
                .map(|k| {
                    format!(
                        "{:.0}% (acked {}, written {})",
                        k.progress * 100.0,
                        k.acknowledged,
                        k.written
                    )
                })
                .collect();
            writeln!(
                f,
                "  process {name}: started {starts}x, crashed on its own {crashes}x, kill -9 at {}",
                if kills.is_empty() {
                    "-".to_owned()
                } else {
                    kills.join(", ")
                }
            )?;
        }
        writeln!(
            f,
            "  intake: {:.0} acks/s over {:.1} s; end to end: {:.0} leads/s over {:.1} s",
            Outcome::rate(self.acknowledged, self.intake_elapsed),
            self.intake_elapsed.as_secs_f64(),
            Outcome::rate(self.table.distinct, self.end_to_end_elapsed),
            self.end_to_end_elapsed.as_secs_f64()
        )?;
        if let Some((p50, p99)) = percentiles(&self.ack_latencies) {
            writeln!(
                f,
                "  POST -> durable 2xx latency: p50 {}  p99 {}",
                millis(p50),
                millis(p99)
            )?;
        }
        if let Some((p50, p99)) = percentiles(&self.write_latencies) {
            writeln!(
                f,
                "  received -> written latency: p50 {}  p99 {}",
                millis(p50),
                millis(p99)
            )?;
        }
        if self.crossed_midnight {
            writeln!(
                f,
                "  note: the run crossed midnight UTC; a replay across it is a new lead by design"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead_proof::load::email;

    #[test]
    fn the_table_count_finds_duplicates_losses_and_ignores_other_rows() {
        let row = |i: usize| serde_json::json!({ "emailaddress1": email("t", i) });
        let rows = vec![
            row(0),
            row(1),
            row(1),
            row(3),
            serde_json::json!({ "emailaddress1": "someone@contoso.com" }),
            serde_json::json!({ "emailaddress1": email("other", 2) }),
            serde_json::json!({ "subject": "no e-mail" }),
        ];
        let count = count_table(&rows, "t", 4);
        assert_eq!(
            count,
            TableCount {
                rows: 4,
                distinct: 3,
                duplicates: 1,
                lost: 1,
                lost_sample: vec![2],
            }
        );
    }

    #[test]
    fn the_check_fails_on_each_kind_of_damage() {
        let good = Outcome {
            posted: 2,
            acknowledged: 2,
            table: TableCount {
                rows: 2,
                distinct: 2,
                ..TableCount::default()
            },
            ..Outcome::default()
        };
        good.check().unwrap();
        let mut lost = good.clone();
        lost.table = TableCount {
            rows: 1,
            distinct: 1,
            lost: 1,
            lost_sample: vec![1],
            ..TableCount::default()
        };
        assert!(lost.check().unwrap_err().contains("lost"));
        let mut doubled = good.clone();
        doubled.table.rows = 3;
        doubled.table.duplicates = 1;
        assert!(doubled.check().unwrap_err().contains("duplicate"));
        let mut parked = good.clone();
        parked.spool.parked = 1;
        assert!(parked.check().unwrap_err().contains("parked"));
        let mut unacked = good;
        unacked.acknowledged = 1;
        assert!(unacked.check().unwrap_err().contains("acknowledged"));
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(
            percentiles(&samples),
            Some((Duration::from_millis(50), Duration::from_millis(99)))
        );
        assert_eq!(percentiles(&[]), None);
    }
}

//! The intake's counters and the `/metrics` text (Prometheus text format 0.0.4, written by
//! hand: a dozen lines do not need a crate).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::spool::SpoolStatus;
use crate::writer::StatsSnapshot;

/// What the intake did since start. Shared by the router's handlers.
#[derive(Debug, Default)]
pub struct IntakeStats {
    received: AtomicU64,
    stored: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    too_large: AtomicU64,
    spool_failures: AtomicU64,
}

/// The intake counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct IntakeSnapshot {
    /// Requests that carried the right secret.
    pub received: u64,
    /// Leads stored as new spool items.
    pub stored: u64,
    /// Leads whose key was already queued (acknowledged, not stored again).
    pub duplicates: u64,
    /// Bodies that did not parse (kept as dead letters, answered 400).
    pub rejected: u64,
    /// Bodies over the size limit (answered 413, not stored).
    pub too_large: u64,
    /// Requests answered 503 because the spool failed.
    pub spool_failures: u64,
}

impl IntakeStats {
    /// The current values.
    pub fn snapshot(&self) -> IntakeSnapshot {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        IntakeSnapshot {
            received: read(&self.received),
            stored: read(&self.stored),
            duplicates: read(&self.duplicates),
            rejected: read(&self.rejected),
            too_large: read(&self.too_large),
            spool_failures: read(&self.spool_failures),
        }
    }

    pub(crate) fn add_received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_stored(&self) {
        self.stored.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_too_large(&self) {
        self.too_large.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_spool_failure(&self) {
        self.spool_failures.fetch_add(1, Ordering::Relaxed);
    }
}

/// The metrics page. `spool` is `None` when the spool could not be read (then
/// `lead_spool_up` is 0 and the queue gauges are left out); `writer` is `None` when no writer
/// runs in this process (its counters are left out rather than shown as zeros).
pub(crate) fn render(
    intake: &IntakeSnapshot,
    spool: Option<&SpoolStatus>,
    writer: Option<&StatsSnapshot>,
) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: String| {
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        );
    };
    let counters = [
        (
            "lead_intake_received_total",
            "Requests with the right secret.",
            intake.received,
        ),
        (
            "lead_intake_stored_total",
            "Leads stored as new spool items.",
            intake.stored,
        ),
        (
            "lead_intake_duplicates_total",
            "Leads already queued (acknowledged, not stored again).",
            intake.duplicates,
        ),
        (
            "lead_intake_rejected_total",
            "Bodies that did not parse (dead-lettered, 400).",
            intake.rejected,
        ),
        (
            "lead_intake_too_large_total",
            "Bodies over the size limit (413).",
            intake.too_large,
        ),
        (
            "lead_intake_spool_failures_total",
            "Requests answered 503 because the spool failed.",
            intake.spool_failures,
        ),
    ];
    for (name, help, value) in counters {
        metric(name, "counter", help, value.to_string());
    }
    metric(
        "lead_spool_up",
        "gauge",
        "1 when the spool answered this scrape.",
        u8::from(spool.is_some()).to_string(),
    );
    if let Some(status) = spool {
        let gauges = [
            (
                "lead_spool_queue_depth",
                "Leads still to write (pending plus leased).",
                status.queue_depth,
            ),
            (
                "lead_spool_parked",
                "Leads parked until someone runs `leads retry`.",
                status.parked,
            ),
            (
                "lead_spool_dead_letters",
                "Bodies refused at intake and kept.",
                status.dead_letters,
            ),
        ];
        for (name, help, value) in gauges {
            metric(name, "gauge", help, value.to_string());
        }
    }
    if let Some(stats) = writer {
        let counters = [
            (
                "lead_writer_written_total",
                "Leads written as new rows.",
                stats.written,
            ),
            (
                "lead_writer_duplicates_total",
                "Leads whose row already existed.",
                stats.duplicates,
            ),
            (
                "lead_writer_parked_total",
                "Leads parked by this writer.",
                stats.parked,
            ),
            (
                "lead_writer_retried_total",
                "Failed attempts handed back to retry.",
                stats.retried,
            ),
        ];
        for (name, help, value) in counters {
            metric(name, "counter", help, value.to_string());
        }
        let _ = write!(
            out,
            "# HELP lead_writer_write_seconds Bulk write call latency.\n# TYPE lead_writer_write_seconds summary\nlead_writer_write_seconds_sum {}\nlead_writer_write_seconds_count {}\n",
            stats.write_time.as_secs_f64(),
            stats.write_calls
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_has_help_and_type_lines() {
        let intake = IntakeSnapshot {
            received: 3,
            ..Default::default()
        };
        let text = render(
            &intake,
            Some(&SpoolStatus::default()),
            Some(&StatsSnapshot::default()),
        );
        assert!(text.contains("lead_intake_received_total 3\n"));
        assert!(text.contains("lead_writer_write_seconds_count 0\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(' ').next().unwrap();
            let base = name.trim_end_matches("_sum").trim_end_matches("_count");
            assert!(text.contains(&format!("# TYPE {base} ")), "{line}");
        }
        let down = render(&intake, None, None);
        assert!(down.contains("lead_spool_up 0\n"));
        assert!(!down.contains("queue_depth"));
    }
}

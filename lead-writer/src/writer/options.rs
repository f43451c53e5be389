//! The writer's settings.

use std::sync::Arc;
use std::time::Duration;

use dataverse_webapi::BulkOptions;

use super::alert::{AlertHook, LogAlert};
use super::error::WriterError;
use super::settings::WriterSettings;
use crate::Mapping;
use crate::spool::MAX_CLAIM;

/// How a [`Writer`](super::Writer) claims and writes. Construct with `..Default::default()`
/// or [`WriterOptions::new`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WriterOptions {
    /// This worker's name in the spool's leases (unique per process, such as `host:pid`).
    /// [`Writer::run`](super::Writer::run)'s loops add `#0`, `#1`, ... so each loop's leases
    /// are its own.
    pub worker: String,
    /// Items claimed per round (default 100, at most [`MAX_CLAIM`]).
    pub claim_size: u32,
    /// How long a claim holds its items (default 2 minutes). Renewed every third of it while
    /// a write is running, so a slow write under service protection limits keeps its items.
    pub lease: Duration,
    /// Rounds [`Writer::run`](super::Writer::run) keeps going at once (default 2): while one
    /// round settles its items, another writes. Each claims its own items.
    pub rounds_in_flight: usize,
    /// The wait between rounds when the spool had nothing due (default 1 s).
    pub idle_poll: Duration,
    /// Lead parts to columns.
    pub mapping: Mapping,
    /// The table's entity set name, for writes (default `leads`).
    pub entity_set: String,
    /// The table's logical name, for the column check at start-up (default `lead`).
    pub logical_name: String,
    /// The primary id column that gets the lead's deterministic id (default `leadid`).
    pub id_column: String,
    /// How the bulk helpers send the rows (`CreateMultiple` where offered, else `$batch`).
    pub bulk: BulkOptions,
    /// Told about every parked lead (default: [`LogAlert`]).
    pub alert: Arc<dyn AlertHook>,
    /// Apply the org's duplicate detection rules to each lead (default off, as in the Web
    /// API). Each lead is then created on its own with `MSCRM.SuppressDuplicateDetection:
    /// false` (Learn, "Detect duplicate data using the Web API"; that page documents the
    /// header on a plain create, so the bulk messages are not used), and a lead the rules
    /// match is parked with the reason instead of written. See [`WriterSettings`].
    pub duplicate_detection: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            worker: format!("lead-writer:{}", std::process::id()),
            claim_size: 100,
            lease: Duration::from_secs(120),
            rounds_in_flight: 2,
            idle_poll: Duration::from_secs(1),
            mapping: Mapping::default(),
            entity_set: "leads".to_owned(),
            logical_name: "lead".to_owned(),
            id_column: "leadid".to_owned(),
            bulk: BulkOptions::default(),
            alert: Arc::new(LogAlert),
            duplicate_detection: false,
        }
    }
}

impl WriterOptions {
    /// The defaults with this worker name and mapping.
    pub fn new(worker: impl Into<String>, mapping: Mapping) -> Self {
        WriterOptions {
            worker: worker.into(),
            mapping,
            ..Default::default()
        }
    }

    /// Sets the items claimed per round.
    pub fn claim_size(mut self, items: u32) -> Self {
        self.claim_size = items;
        self
    }

    /// Sets the lease length.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets the rounds run at once by [`Writer::run`](super::Writer::run).
    pub fn rounds_in_flight(mut self, rounds: usize) -> Self {
        self.rounds_in_flight = rounds;
        self
    }

    /// Sets the idle wait between rounds.
    pub fn idle_poll(mut self, wait: Duration) -> Self {
        self.idle_poll = wait;
        self
    }

    /// Sets the alert hook.
    pub fn alert(mut self, hook: impl AlertHook + 'static) -> Self {
        self.alert = Arc::new(hook);
        self
    }

    /// Turns the org's duplicate detection on or off for lead creates.
    pub fn duplicate_detection(mut self, on: bool) -> Self {
        self.duplicate_detection = on;
        self
    }

    /// Applies the settings of a [`WriterSettings`] (a `[writer]` TOML section).
    pub fn settings(mut self, settings: &WriterSettings) -> Self {
        if let Some(on) = settings.duplicate_detection {
            self.duplicate_detection = on;
        }
        self
    }

    /// Sets the bulk options.
    pub fn bulk(mut self, bulk: BulkOptions) -> Self {
        self.bulk = bulk;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), WriterError> {
        let bad = |what: String| Err(WriterError::Config(what));
        if self.claim_size == 0 || self.claim_size > MAX_CLAIM {
            return bad(format!(
                "claim_size must be 1..={MAX_CLAIM} (it is {})",
                self.claim_size
            ));
        }
        if self.rounds_in_flight == 0 || self.rounds_in_flight > 64 {
            return bad(format!(
                "rounds_in_flight must be 1..=64 (it is {})",
                self.rounds_in_flight
            ));
        }
        if self.lease < Duration::from_secs(1) {
            return bad("lease must be at least 1 second".to_owned());
        }
        for (name, value) in [
            ("worker", &self.worker),
            ("entity_set", &self.entity_set),
            ("logical_name", &self.logical_name),
            ("id_column", &self.id_column),
        ] {
            if value.trim().is_empty() {
                return bad(format!("{name} must not be empty"));
            }
        }
        self.mapping.validate()?;
        if self
            .mapping
            .target_columns()
            .contains(&self.id_column.as_str())
        {
            return bad(format!(
                "the mapping writes to `{}`, which holds the lead's deterministic id; map the lead_id part nowhere or to another column",
                self.id_column
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        WriterOptions::default().validate().unwrap();
    }

    #[test]
    fn bad_settings_say_what_to_fix() {
        let cases = [
            (WriterOptions::default().claim_size(0), "claim_size"),
            (
                WriterOptions::default().claim_size(MAX_CLAIM + 1),
                "claim_size",
            ),
            (WriterOptions::default().lease(Duration::ZERO), "lease"),
            (
                WriterOptions::default().rounds_in_flight(0),
                "rounds_in_flight",
            ),
            (WriterOptions::new(" ", Mapping::default()), "worker"),
            (
                WriterOptions::new(
                    "w",
                    Mapping::from_toml("[columns]\nlead_id = \"leadid\"").unwrap(),
                ),
                "deterministic id",
            ),
        ];
        for (options, expected) in cases {
            let err = options.validate().unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}

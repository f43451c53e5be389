//! Waits for a new alternate key's index: the service builds it in a system job, and the key
//! can be used once its `EntityKeyIndexStatus` is `Active` (`Pending`, `InProgress`, then
//! `Active` or `Failed`; `EntityKeyIndexStatus` EnumType). Polls on the pipeline's clock, so
//! tests with a manual clock do not sleep.

use std::time::Duration;

use super::entity::EntityKeyMetadata;
use super::enums::KeyIndexStatus;
use super::error::MetadataError;
use super::read::{Metadata, TableRef};
use super::write::describe;
use crate::error::{DataverseError, Result};

/// The shortest wait between two reads of a key's status.
pub const MIN_KEY_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How [`Metadata::wait_for_key_active`] polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyWait {
    /// Between two reads (at least [`MIN_KEY_POLL_INTERVAL`]). Default 5 seconds.
    pub interval: Duration,
    /// How long to wait in all. Default 10 minutes: a key on a large table takes a while.
    pub timeout: Duration,
}

impl Default for KeyWait {
    fn default() -> Self {
        KeyWait {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(600),
        }
    }
}

impl Metadata {
    /// Waits until the alternate key `key` (logical or schema name) of `table` is active and
    /// answers its definition. A failed index is [`MetadataError::KeyFailed`]; running out of
    /// time is [`MetadataError::KeyNotActive`]; a key the table does not have is
    /// [`DataverseError::NotFound`].
    pub async fn wait_for_key_active(
        &self,
        table: impl Into<TableRef>,
        key: &str,
        wait: KeyWait,
    ) -> Result<EntityKeyMetadata> {
        let table = table.into();
        let clock = self.client().pipeline().options().clock.clone();
        let interval = wait.interval.max(MIN_KEY_POLL_INTERVAL);
        // Bounded by count as well as by time, so a clock that stands still still ends.
        let max_polls = wait.timeout.as_millis() / interval.as_millis() + 2;
        let start = clock.now();
        let mut polls: u128 = 0;
        loop {
            let keys = self
                .keys(table.clone())
                .select([
                    "LogicalName",
                    "SchemaName",
                    "KeyAttributes",
                    "EntityKeyIndexStatus",
                ])
                .send()
                .await?;
            polls += 1;
            let found = keys.into_iter().find(|k| {
                [&k.logical_name, &k.schema_name]
                    .into_iter()
                    .flatten()
                    .any(|n| n.eq_ignore_ascii_case(key))
            });
            let Some(found) = found else {
                return Err(DataverseError::NotFound {
                    what: format!("alternate key {key} on {}", describe(&table)),
                    fix: "create it with add_key, or check its logical name".into(),
                });
            };
            let status = found.entity_key_index_status.clone();
            match status {
                Some(KeyIndexStatus::Active) => return Ok(found),
                Some(KeyIndexStatus::Failed) => {
                    return Err(MetadataError::KeyFailed {
                        table: describe(&table),
                        key: key.to_string(),
                    }
                    .into());
                }
                _ => {}
            }
            let waited: Duration = (clock.now() - start).try_into().unwrap_or(Duration::ZERO);
            if waited >= wait.timeout || polls >= max_polls {
                return Err(MetadataError::KeyNotActive {
                    table: describe(&table),
                    key: key.to_string(),
                    status: status.map_or_else(|| "not reported".into(), |s| s.to_string()),
                    waited,
                }
                .into());
            }
            tracing::debug!(key, status = ?status, "alternate key not active yet");
            clock.sleep(interval.min(wait.timeout - waited)).await;
        }
    }
}

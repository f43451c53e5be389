//! Which tables offer which bulk message, learnt from the first message sent and kept for the
//! client's lifetime (its clones share it, as they share the table names).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::message::BulkMessage;

/// What the client knows about one (table, message) pair: `None` until a message reached the
/// service, then whether the table offers it.
pub(crate) type Known = Arc<tokio::sync::Mutex<Option<bool>>>;

/// Per table (logical name) and message kind. Concurrent calls for the same pair wait on one
/// lock, so only one of them probes.
#[derive(Default)]
pub(crate) struct MessageSupport {
    known: Mutex<HashMap<(String, BulkMessage), Known>>,
}

impl MessageSupport {
    /// The cell for `logical_name` and `message`.
    pub(crate) fn cell(&self, logical_name: &str, message: BulkMessage) -> Known {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            known
                .entry((logical_name.to_ascii_lowercase(), message))
                .or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_pair_shares_one_cell_whatever_the_case() {
        let support = MessageSupport::default();
        *support.cell("lead", BulkMessage::Create).lock().await = Some(false);
        assert_eq!(
            *support.cell("Lead", BulkMessage::Create).lock().await,
            Some(false)
        );
        assert_eq!(
            *support.cell("lead", BulkMessage::Update).lock().await,
            None
        );
    }
}

//! The alert hook: called when a lead is parked, so an operator hears of a failure that will
//! not heal by itself (a missing privilege, a bad mapping).

use std::fmt;

use crate::spool::SpoolId;

/// A parked lead, as the alert hook sees it. Holds no lead data: the error is the service's
/// or the mapping's message, which names columns and privileges, not values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParkedAlert {
    /// The spool item parked.
    pub id: SpoolId,
    /// The Dataverse error code (`0x80040220`, ...) or the mapping error's code.
    pub code: Option<String>,
    /// The HTTP status of the failed write, when there was one.
    pub status: Option<u16>,
    /// The error, as stored with the parked item.
    pub error: String,
}

impl fmt::Display for ParkedAlert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lead spool item {} parked: {}", self.id, self.error)
    }
}

/// Told about each parked lead. Called from the writer's task: keep it quick (queue the
/// notification elsewhere if it does IO).
pub trait AlertHook: Send + Sync + fmt::Debug {
    /// A lead was parked.
    fn parked(&self, alert: &ParkedAlert);
}

/// The default hook: a `tracing::error!` per parked lead.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAlert;

impl AlertHook for LogAlert {
    fn parked(&self, alert: &ParkedAlert) {
        tracing::error!(
            spool_id = alert.id.0,
            code = alert.code.as_deref().unwrap_or(""),
            status = alert.status.unwrap_or(0),
            "lead parked, it will not be retried until someone fixes the cause and runs `leads retry`: {}",
            alert.error
        );
    }
}

//! [`OperationOutcome`]: how the emulator's long-running admin operations end.

/// How a long-running Online Management API operation (Provision, Backup, Restore, Reset,
/// Delete, ApplyUser, SetTenantProtectionKey, PostUserNotification) ends.
///
/// Set it with [`Seeder::set_operation_outcome`](crate::Seeder::set_operation_outcome) (every
/// operation started from then on) or
/// [`Seeder::set_next_operation_outcome`](crate::Seeder::set_next_operation_outcome) (the next
/// one only). The outcome is fixed when the operation starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperationOutcome {
    /// The operation succeeds after
    /// [`EmulatorConfig::admin_operation_polls`](crate::EmulatorConfig::admin_operation_polls)
    /// polls and its effect happens then (unless the emulator's own checks fail it, e.g. ApplyUser
    /// for an unlicensed user). The default.
    #[default]
    Succeed,
    /// The operation ends `Failed` on the same poll, with one error item, and has no effect.
    Fail {
        /// `Errors[0].Subject`.
        subject: String,
        /// `Errors[0].Code` (written from v1.2 on).
        code: String,
        /// `Errors[0].Description`.
        description: String,
    },
    /// The operation stays `Running` however often it is polled, for testing poller timeouts.
    NeverFinish,
}

impl OperationOutcome {
    /// A failure with this code and description; the subject is `ScriptedFailure`.
    pub fn fail(code: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Fail {
            subject: "ScriptedFailure".to_owned(),
            code: code.into(),
            description: description.into(),
        }
    }
}

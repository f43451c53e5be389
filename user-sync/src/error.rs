//! The crate's one error type.

use dataverse_webapi::DataverseError;
use dynamics_http::HttpError;
use dynamics_store::StoreError;
use online_mgmt_api::AdminError;

use crate::rules::RulesError;

/// What went wrong during a user sync.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Microsoft Graph answered with an error or could not be reached.
    #[error("Microsoft Graph: {0}")]
    Graph(#[from] HttpError),

    /// Graph answered with a body this client cannot read.
    #[error("Microsoft Graph answered {url} with a body that cannot be read: {message}")]
    GraphDecode {
        /// The URL, without its query.
        url: String,
        /// Where the body stopped making sense.
        message: String,
    },

    /// The delta link is no longer valid (`410 Gone`, or `syncStateNotFound` for a token older
    /// than 7 days): the sync must start again with a full pull. The sync does this by itself.
    #[error("the Graph delta link has expired ({reason}); a full resync is needed")]
    DeltaExpired {
        /// What the service said.
        reason: String,
    },

    /// Graph handed out the same paging link twice; following it would loop forever.
    #[error("Microsoft Graph returned the same paging link twice ({url}); stopped to avoid a loop")]
    RepeatedLink {
        /// The link, without its query.
        url: String,
    },

    /// A group a rule names does not exist, or its name is ambiguous.
    #[error("group `{group}` named in the rules: {problem}")]
    Group {
        /// The group as the rules name it.
        group: String,
        /// What is wrong and how to fix it.
        problem: String,
    },

    /// The rules file is not valid.
    #[error(transparent)]
    Rules(#[from] RulesError),

    /// A business unit, team or role the rules name is missing in the org.
    #[error("not in the Dataverse org: {what}. To fix: {fix}")]
    MissingInOrg {
        /// What is missing.
        what: String,
        /// What to do about it.
        fix: String,
    },

    /// The Dataverse Web API failed.
    #[error("Dataverse: {0}")]
    Dataverse(#[from] DataverseError),

    /// The admin API (ApplyUser or BAP `addUser`) failed.
    #[error("force sync: {0}")]
    Admin(#[from] AdminError),

    /// The checkpoint store failed.
    #[error("checkpoint store: {0}")]
    Store(#[from] StoreError),

    /// Another process saved the same checkpoint key while this run applied (two syncs of
    /// one org at once): this run stops; the other one's position stands.
    #[error(
        "the checkpoint `{key}` was saved by another run meanwhile. To fix: run one sync per \
         org and rule set at a time (or give each its own checkpoint key), then run again"
    )]
    CheckpointConflict {
        /// The checkpoint key.
        key: String,
    },

    /// The plan moves or strips more users than the safety share allows.
    #[error(
        "the plan would move, strip roles or teams from, or disable {affected} of \
         {considered} users ({percent:.1}%), more than the allowed {limit_percent:.1}%. To fix: \
         check the rules \
         (a typo can send everyone to one business unit), then run again with --force \
         (SyncOptions::force) if the changes are meant"
    )]
    SafetyLimit {
        /// Users with a move, a removal or a disable.
        affected: usize,
        /// Users the run looked at.
        considered: usize,
        /// `affected` as a percentage.
        percent: f64,
        /// The limit as a percentage.
        limit_percent: f64,
    },

    /// A force-synced user did not appear in Dataverse within the wait.
    #[error(
        "user {user} was force-synced but did not appear as a systemuser within {waited:?}. \
         To fix: run the sync again later (it picks the user up), or raise the wait"
    )]
    UserDidNotAppear {
        /// The Entra object id.
        user: uuid::Uuid,
        /// How long the sync waited.
        waited: std::time::Duration,
    },

    /// An input to the sync is not usable (a base URL, a setting).
    #[error("invalid {what}: {problem}")]
    InvalidInput {
        /// Which input.
        what: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
}

impl SyncError {
    /// Whether the error means "start again with a full pull".
    pub fn is_delta_expired(&self) -> bool {
        matches!(self, SyncError::DeltaExpired { .. })
    }

    /// Whether the error concerns one user only, so the sync records it for that user and
    /// goes on with the others: the user never appeared, the admin API refused or failed
    /// that user's force sync (e.g. the environment's security group leaves the user out),
    /// or Dataverse refused one of its steps with a 4xx. Outages, throttling that outlasted
    /// the retries, sign-in (401/403), store failures and bad settings stop the page instead.
    pub fn is_per_user(&self) -> bool {
        let user_status = |status: Option<u16>| {
            status.is_some_and(|s| (400..500).contains(&s) && !matches!(s, 401 | 403 | 408 | 429))
        };
        match self {
            SyncError::UserDidNotAppear { .. } => true,
            SyncError::Dataverse(e) => user_status(e.status()),
            SyncError::Admin(
                AdminError::OperationFailed { .. } | AdminError::PollTimeout { .. },
            ) => true,
            // A 404 from the admin API is the environment, not the user.
            SyncError::Admin(AdminError::Http(e)) => {
                user_status(e.status()) && e.status() != Some(404)
            }
            _ => false,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, problem: impl Into<String>) -> Self {
        SyncError::InvalidInput {
            what: what.into(),
            problem: problem.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_of_one_user_let_the_page_go_on() {
        let gone = SyncError::UserDidNotAppear {
            user: uuid::Uuid::nil(),
            waited: std::time::Duration::from_secs(1),
        };
        assert!(gone.is_per_user());
        let store = SyncError::Store(StoreError::Config("down".into()));
        assert!(!store.is_per_user());
        // A missing setting fails every user alike: it stops the page.
        assert!(!SyncError::invalid("--sync-environment", "missing").is_per_user());
    }
}

//! [`AdminApi::force_sync_user`]: the call and its optional settings.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use uuid::Uuid;

use super::{AdminApi, AdminBackend};
use crate::{AdminError, EnvironmentName, WaitOptions};

/// The shortest wait between `addUser` attempts while a license propagates.
const MIN_LICENSE_RETRY: Duration = Duration::from_secs(10);

/// A force sync about to be sent, from [`AdminApi::force_sync_user`]. Await it, or call
/// [`send`](Self::send).
#[derive(Debug)]
#[must_use = "a force sync does nothing until it is awaited or sent"]
pub struct ForceSyncUser<'a> {
    api: &'a AdminApi,
    environment_id: EnvironmentName,
    user_object_id: Uuid,
    wait: WaitOptions,
}

impl<'a> ForceSyncUser<'a> {
    pub(super) fn new(
        api: &'a AdminApi,
        environment_id: EnvironmentName,
        user_object_id: Uuid,
    ) -> Self {
        ForceSyncUser {
            api,
            environment_id,
            user_object_id,
            wait: WaitOptions::default(),
        }
    }

    /// How long and how often to wait (default [`WaitOptions::default`]: 30 minutes).
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Sends it and waits until the user is in the environment.
    pub async fn send(self) -> Result<(), AdminError> {
        let ForceSyncUser {
            api,
            environment_id,
            user_object_id,
            wait,
        } = self;
        match &api.backend {
            AdminBackend::OnlineManagement(client) => {
                let instance_id = environment_id.as_uuid().ok_or_else(|| {
                    AdminError::invalid(
                        format!("environment `{environment_id}` for the Online Management API"),
                        "give the instance id (a GUID) from list_instances(); Default-<tenant \
                         id> names an environment on the Power Platform admin API only",
                    )
                })?;
                client
                    .apply_user(instance_id, user_object_id)
                    .await?
                    .wait_with(wait)
                    .await?;
                Ok(())
            }
            AdminBackend::PowerPlatform(client) => {
                let clock = client.pipeline().options().clock.clone();
                let start = clock.now();
                let interval = wait.default_interval.max(MIN_LICENSE_RETRY);
                loop {
                    match client
                        .add_user(environment_id.clone(), user_object_id)
                        .await
                    {
                        Err(e) if e.is_user_not_licensed() => {
                            let elapsed =
                                Duration::try_from(clock.now() - start).unwrap_or_default();
                            if elapsed + interval > wait.timeout {
                                return Err(e);
                            }
                            tracing::info!(
                                ?interval,
                                "the user's license has not reached the environment yet; trying again"
                            );
                            clock.sleep(interval).await;
                        }
                        other => return other,
                    }
                }
            }
        }
    }
}

impl<'a> IntoFuture for ForceSyncUser<'a> {
    type Output = Result<(), AdminError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

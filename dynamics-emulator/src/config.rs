//! Start-up options for the emulator.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dataverse::DataverseConfig;
use crate::seed::SeedFile;

/// How the emulator starts: port, extra seed data, token lifetimes, device-code behaviour and
/// the pace of admin operations.
///
/// Construct it with `..Default::default()`:
///
/// ```
/// use std::time::Duration;
/// use dynamics_emulator::EmulatorConfig;
///
/// let config = EmulatorConfig {
///     access_token_lifetime: Duration::from_secs(600),
///     ..Default::default()
/// };
/// assert_eq!(config.port, 0);
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// TCP port on 127.0.0.1; `0` picks a free port.
    pub port: u16,
    /// Extra tenants, apps, users, resources and consents, applied after the default seed.
    pub seed: Option<SeedFile>,
    /// Lifetime of issued access tokens (`expires_in`). Default 3600 s.
    pub access_token_lifetime: Duration,
    /// A refresh token unused for longer than this is rejected with AADSTS700082. Default 90 days.
    pub refresh_token_lifetime: Duration,
    /// Lifetime of authorization codes. Default 600 s.
    pub authorization_code_lifetime: Duration,
    /// How device-code polling behaves for codes issued from now on.
    pub device_code: DeviceCodeBehaviour,
    /// Whether to register the default seed (see [`DefaultSeed`](crate::DefaultSeed)). Default `true`.
    pub default_seed: bool,
    /// The poll (`GET Operation/{id}`) on which a long-running admin operation ends; earlier
    /// polls answer `Running`. Values below 1 count as 1. Default 2.
    pub admin_operation_polls: u32,
    /// The `Retry-After` (seconds) of the 202 answers that start admin operations. Default 1.
    pub admin_retry_after_secs: u64,
    /// Settings of the Dataverse Web API: service protection limits, latency, fault injection,
    /// `x-ms-dop-hint`. Default: no limits, no latency, no faults, hint 8.
    pub dataverse: DataverseConfig,
    /// Serve HTTPS with a generated certificate (trust
    /// [`Emulator::tls_ca_pem`](crate::Emulator::tls_ca_pem)); the base URL becomes
    /// `https://127.0.0.1:{port}/` for every service. Default `false`.
    pub tls: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            seed: None,
            access_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: Duration::from_secs(90 * 24 * 3600),
            authorization_code_lifetime: Duration::from_secs(600),
            device_code: DeviceCodeBehaviour::default(),
            default_seed: true,
            admin_operation_polls: 2,
            admin_retry_after_secs: 1,
            dataverse: DataverseConfig::default(),
            tls: false,
        }
    }
}

/// Scripted behaviour of the device-code flow, so tests need no human and no sleeps.
///
/// Polls are counted per device code, starting at 1. On each poll the emulator answers, in this
/// order: `expired_token` once the code's lifetime has passed on the emulator clock;
/// `authorization_declined` if the code was declined; `slow_down` if this is poll number
/// `slow_down_on_poll`; a token if the code was approved, or if this is poll number
/// `auto_approve_after_polls` or later (approved as the tenant's first user); otherwise
/// `authorization_pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceCodeBehaviour {
    /// The `interval` returned to the client, in seconds. Default 5.
    pub interval_secs: u64,
    /// The `expires_in` returned to the client, in seconds. Default 900.
    pub lifetime_secs: u64,
    /// The poll number that succeeds without an explicit approval. Default `Some(2)`;
    /// `None` waits for [`Seeder::approve_device_code`](crate::Seeder::approve_device_code).
    pub auto_approve_after_polls: Option<u32>,
    /// The poll number answered with `slow_down`. Default `None`.
    pub slow_down_on_poll: Option<u32>,
}

impl Default for DeviceCodeBehaviour {
    fn default() -> Self {
        Self {
            interval_secs: 5,
            lifetime_secs: 900,
            auto_approve_after_polls: Some(2),
            slow_down_on_poll: None,
        }
    }
}

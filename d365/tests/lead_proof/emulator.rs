//! The emulator the writers write to: started in this process, with the writer app
//! registered, and the fault mix.

use std::time::Duration;

use dynamics_emulator::{AppSeed, Emulator, FaultInjection, SecretSeed};
use uuid::Uuid;

/// The writer app's client id.
pub(crate) const WRITER_APP: Uuid = Uuid::from_u128(0x1ead_9700_0000_4000_8000_0000_0000_0012);
/// The writer app's client secret (a throw-away value of the emulator's directory).
pub(crate) const WRITER_SECRET: &str = "lead-proof-writer-secret-not-real";

/// Starts an emulator on a free loopback port and registers the writer app. The emulator
/// makes a Dataverse application user for the app on its first call; the lead writer's role
/// and privileges are proven by `tests/marketplace_leads.rs`, not here.
pub(crate) async fn start() -> Emulator {
    let emulator = Emulator::start()
        .await
        .expect("the emulator starts on loopback");
    let tenant = emulator.defaults().tenant_id;
    emulator
        .seed()
        .add_app(
            tenant,
            AppSeed {
                secrets: vec![SecretSeed::new(WRITER_SECRET)],
                ..AppSeed::new(WRITER_APP, "Marketplace Lead Writer (reliability proof)")
            },
        )
        .expect("the writer app registers");
    emulator
}

/// The fault mix: `share` of the Web API requests fail, split evenly between 503s,
/// dropped connections, slow answers (`slow` late) and service protection 429s
/// (`Retry-After: 1`).
pub(crate) fn fault_mix(share: f64, seed: u64, slow: Duration) -> FaultInjection {
    let each = share / 4.0;
    FaultInjection {
        seed,
        unavailable_rate: each,
        drop_rate: each,
        slow_rate: each,
        throttle_rate: each,
        slow_delay: slow,
        throttle_retry_after: Duration::from_secs(1),
        ..FaultInjection::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_splits_the_share_in_four() {
        let mix = fault_mix(0.2, 3, Duration::from_millis(500));
        let total = mix.unavailable_rate
            + mix.drop_rate
            + mix.slow_rate
            + mix.throttle_rate
            + mix.server_error_rate;
        assert!((total - 0.2).abs() < 1e-9, "{total}");
        assert!(mix.throttle_rate > 0.0 && mix.is_active());
    }
}

//! Fault injection: the same seed gives the same faults; 500/503 answers; dropped connections;
//! service protection 429s.

use std::time::Duration;

use dynamics_emulator::FaultInjection;

use crate::support::{Env, start};

/// The outcome of each of `n` sequential requests: a status, or 0 for a dropped connection.
async fn outcomes(env: &Env, n: usize) -> Vec<u16> {
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        let result = env
            .http
            .get(env.url("WhoAmI"))
            .bearer_auth(&env.token)
            .send()
            .await;
        seen.push(match result {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.text().await {
                    Ok(_) => status,
                    Err(_) => 0,
                }
            }
            Err(_) => 0,
        });
    }
    seen
}

fn faults(seed: u64) -> FaultInjection {
    FaultInjection {
        seed,
        server_error_rate: 0.2,
        unavailable_rate: 0.1,
        drop_rate: 0.1,
        ..FaultInjection::default()
    }
}

#[tokio::test]
async fn same_seed_same_faults() {
    let (a, b) = tokio::join!(start(), start());
    a.emu.seed().set_fault_injection(faults(42));
    b.emu.seed().set_fault_injection(faults(42));
    let (first, second) = tokio::join!(outcomes(&a, 40), outcomes(&b, 40));
    assert_eq!(first, second);
    assert!(first.contains(&500), "{first:?}");
    assert!(first.contains(&503), "{first:?}");
    assert!(first.contains(&0), "{first:?}");
    assert!(first.contains(&200), "{first:?}");
    a.emu.seed().set_fault_injection(faults(42));
    assert_eq!(
        outcomes(&a, 40).await,
        first,
        "re-seeding restarts the sequence"
    );
    a.emu.seed().set_fault_injection(faults(7));
    assert_ne!(outcomes(&a, 40).await, first, "another seed, other faults");
    a.emu.seed().set_fault_injection(FaultInjection::default());
    assert!(outcomes(&a, 10).await.iter().all(|s| *s == 200));
}

#[tokio::test]
async fn injected_errors_have_error_bodies() {
    let env = start().await;
    env.emu.seed().set_fault_injection(FaultInjection {
        server_error_rate: 1.0,
        ..FaultInjection::default()
    });
    let answer = env.get("WhoAmI").await;
    answer.expect(500);
    assert_eq!(answer.code(), "0x80040216");
    env.emu.seed().set_fault_injection(FaultInjection {
        unavailable_rate: 1.0,
        ..FaultInjection::default()
    });
    env.get("WhoAmI").await.expect(503);
}

#[tokio::test]
async fn an_injected_429_looks_like_service_protection() {
    let env = start().await;
    env.emu.seed().set_fault_injection(FaultInjection {
        throttle_rate: 1.0,
        throttle_retry_after: Duration::from_secs(3),
        ..FaultInjection::default()
    });
    let answer = env.get("WhoAmI").await;
    answer.expect(429);
    assert_eq!(answer.code(), "0x80072326");
    assert_eq!(
        answer.message(),
        "Number of concurrent requests exceeded the limit of 52."
    );
    assert_eq!(answer.header("Retry-After"), Some("3"));
    env.emu
        .seed()
        .set_fault_injection(FaultInjection::default());
    env.get("WhoAmI").await.expect(200);
}

//! Service protection limits (requests, execution time, concurrency), `$batch` counting,
//! `x-ms-dop-hint`, the latency model and the ceiling formula.

use std::time::{Duration, Instant};

use dynamics_emulator::{
    BatchCounting, CeilingBound, DataverseConfig, DataverseLimits, EmulatorConfig, LatencyModel,
};
use reqwest::Method;
use serde_json::json;

use crate::support::{Env, start, start_with};

fn tiny(limits: DataverseLimits) -> EmulatorConfig {
    EmulatorConfig {
        dataverse: DataverseConfig {
            limits: DataverseLimits {
                enabled: true,
                window: Duration::from_secs(60),
                ..limits
            },
            ..DataverseConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

async fn who(env: &Env) -> crate::support::Answer {
    env.get("WhoAmI").await
}

#[tokio::test]
async fn request_limit_answers_429_with_retry_after() {
    let env = start_with(tiny(DataverseLimits {
        max_requests: 3,
        ..DataverseLimits::default()
    }))
    .await;
    for _ in 0..3 {
        let ok = who(&env).await;
        ok.expect(200);
        assert!(
            ok.header("x-ms-ratelimit-burst-remaining-xrm-requests")
                .is_some()
        );
    }
    let refused = who(&env).await;
    refused.expect(429);
    assert_eq!(refused.code(), "0x80072322");
    assert_eq!(
        refused.message(),
        "Number of requests exceeded the limit of 3 over time window of 60 seconds."
    );
    let retry: u64 = refused
        .header("Retry-After")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    env.emu.advance_clock(Duration::from_secs(61));
    who(&env).await.expect(200);
}

#[tokio::test]
async fn execution_time_limit() {
    let env = start_with(tiny(DataverseLimits {
        max_execution_time: Duration::from_millis(20),
        ..DataverseLimits::default()
    }))
    .await;
    env.emu.seed().set_dataverse_latency(LatencyModel {
        per_request: Duration::from_millis(30),
        per_operation: Duration::ZERO,
    });
    who(&env).await.expect(200);
    let refused = who(&env).await;
    refused.expect(429);
    assert_eq!(refused.code(), "0x80072321");
    assert!(refused.message().starts_with(
        "Combined execution time of incoming requests exceeded limit of 20 milliseconds"
    ));
    assert!(refused.header("Retry-After").is_some());
}

#[tokio::test]
async fn concurrency_limit() {
    let env = start_with(tiny(DataverseLimits {
        max_concurrent_requests: 1,
        ..DataverseLimits::default()
    }))
    .await;
    env.emu.seed().set_dataverse_latency(LatencyModel {
        per_request: Duration::from_millis(300),
        per_operation: Duration::ZERO,
    });
    let (a, b) = tokio::join!(who(&env), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        who(&env).await
    });
    a.expect(200);
    b.expect(429);
    assert_eq!(b.code(), "0x80072326");
    assert_eq!(
        b.message(),
        "Number of concurrent requests exceeded the limit of 1."
    );
    assert_eq!(b.header("Retry-After"), Some("1"));
}

#[tokio::test]
async fn batches_count_per_operation_or_per_batch() {
    let env = start_with(tiny(DataverseLimits {
        max_requests: 4,
        ..DataverseLimits::default()
    }))
    .await;
    let body = (0..5)
        .map(|_| "--b\r\nContent-Type: application/http\r\n\r\nGET /api/data/v9.2/WhoAmI HTTP/1.1\r\n\r\n".to_owned())
        .collect::<String>()
        + "--b--\r\n";
    let send = || async {
        crate::support::answer(
            env.http
                .post(env.url("$batch"))
                .bearer_auth(&env.token)
                .header("Content-Type", "multipart/mixed; boundary=b")
                .body(body.clone())
                .send()
                .await
                .expect("sent"),
        )
        .await
    };
    assert_eq!(
        send().await.status,
        429,
        "five operations exceed four requests"
    );
    env.emu.seed().set_dataverse_limits(DataverseLimits {
        enabled: true,
        window: Duration::from_secs(60),
        max_requests: 4,
        batch_counting: BatchCounting::PerBatch,
        ..DataverseLimits::default()
    });
    assert_eq!(send().await.status, 200, "one batch is one request");
}

#[tokio::test]
async fn dop_hint_and_latency() {
    let env = start().await;
    assert_eq!(who(&env).await.header("x-ms-dop-hint"), Some("8"));
    env.emu.seed().set_dop_hint(3);
    let answer = env.get("accounts?$top=1").await;
    assert_eq!(answer.header("x-ms-dop-hint"), Some("3"));
    assert!(answer.header("REQ_ID").is_some());
    let unauthenticated = env
        .send_as("not-a-token", Method::GET, "WhoAmI", &[], None)
        .await;
    assert_eq!(unauthenticated.header("x-ms-dop-hint"), Some("3"));
    env.emu.seed().set_dataverse_latency(LatencyModel {
        per_request: Duration::from_millis(40),
        per_operation: Duration::from_millis(10),
    });
    let started = Instant::now();
    env.post("accounts", json!({"name": "slow"}))
        .await
        .expect(204);
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[test]
fn ceiling_formula() {
    let config = DataverseConfig {
        limits: DataverseLimits {
            enabled: true,
            ..DataverseLimits::default()
        },
        latency: LatencyModel {
            per_request: Duration::from_millis(100),
            per_operation: Duration::from_millis(5),
        },
        ..DataverseConfig::default()
    };
    let single = config.ceiling(1, 52);
    assert_eq!(single.bound, CeilingBound::Requests);
    assert!((single.records_per_sec - 20.0).abs() < 1e-9);
    let per_batch = DataverseConfig {
        limits: DataverseLimits {
            batch_counting: BatchCounting::PerBatch,
            ..config.limits
        },
        ..config.clone()
    };
    let batched = per_batch.ceiling(100, 2);
    // Concurrency: 2 × 100 / 0.6 s ≈ 333/s; execution time: 4 / 0.6 × 100 ≈ 667/s.
    assert_eq!(batched.bound, CeilingBound::Concurrency);
    assert!((batched.records_per_sec - 2.0 * 100.0 / 0.6).abs() < 1e-6);
    assert_eq!(
        config
            .limits
            .ceiling_records_per_sec(&config.latency, 1, 52),
        single.records_per_sec
    );
}

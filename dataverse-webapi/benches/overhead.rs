//! Overhead of the client over a bare HTTP call: the same GET (`WhoAmI`) sent 10,000 times in
//! sequence through `DataverseClient` and through bare `reqwest` + `serde_json` with the same
//! token and headers, against the emulator on loopback. Prints both and the ratio (goal: at
//! most 1.15). A benchmark, not a test: it measures and reports.
//!
//! ```sh
//! cargo bench -p dataverse-webapi --bench overhead
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{
    Authority, ClientSecretCredential, CredentialOptions, TokenCredential, scopes,
};
use dynamics_emulator::Emulator;

const REQUESTS: usize = 10_000;
const ROUNDS: usize = 5;

#[derive(serde::Deserialize)]
#[allow(dead_code)] // Parsed to cost the same as the client's typed answer.
#[serde(rename_all = "PascalCase")]
struct WhoAmI {
    user_id: uuid::Uuid,
    business_unit_id: uuid::Uuid,
    organization_id: uuid::Uuid,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start().await?;
    let seed = emulator.defaults();
    let authority =
        Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string())?;
    let credential: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        authority,
        seed.client_id,
        seed.client_secret.clone(),
        CredentialOptions::default(),
    )?);
    let org = seed.dataverse_url.as_str();
    let client = DataverseClient::new(org, credential.clone(), ClientOptions::default())?;
    let token = credential
        .get_token(&[&scopes::dataverse_default(org)?], None)
        .await?
        .token
        .secret()
        .to_string();
    let bare = reqwest::Client::new();
    let url = client.url("WhoAmI")?;

    let per_round = REQUESTS / ROUNDS;
    let mut client_times = Vec::new();
    let mut bare_times = Vec::new();
    // Warm both paths up, then alternate rounds so drift hits both alike.
    time_client(&client, 200).await?;
    time_bare(&bare, &url, &token, 200).await?;
    for _ in 0..ROUNDS {
        client_times.push(time_client(&client, per_round).await?);
        bare_times.push(time_bare(&bare, &url, &token, per_round).await?);
    }
    let client_total: Duration = client_times.iter().sum();
    let bare_total: Duration = bare_times.iter().sum();
    let ratio = client_total.as_secs_f64() / bare_total.as_secs_f64();

    println!("overhead benchmark: {REQUESTS} sequential GET WhoAmI, {ROUNDS} alternating rounds");
    println!(
        "conditions: emulator in-process on loopback, {} CPU cores, {} build, one connection reused",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "  DataverseClient        {:>8.1} ms total  {:>7.1} µs/request",
        client_total.as_secs_f64() * 1e3,
        client_total.as_secs_f64() * 1e6 / REQUESTS as f64
    );
    println!(
        "  reqwest + serde_json   {:>8.1} ms total  {:>7.1} µs/request",
        bare_total.as_secs_f64() * 1e3,
        bare_total.as_secs_f64() * 1e6 / REQUESTS as f64
    );
    println!("  ratio client / bare    {ratio:.3}   (goal: at most 1.15)");
    emulator.shutdown().await;
    Ok(())
}

async fn time_client(
    client: &DataverseClient,
    n: usize,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    for _ in 0..n {
        client.who_am_i().await?;
    }
    Ok(started.elapsed())
}

async fn time_bare(
    http: &reqwest::Client,
    url: &url::Url,
    token: &str,
    n: usize,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    for _ in 0..n {
        let response = http
            .get(url.clone())
            .bearer_auth(token)
            .header("Accept", "application/json")
            .header("OData-MaxVersion", "4.0")
            .header("OData-Version", "4.0")
            .send()
            .await?
            .error_for_status()?;
        let body = response.bytes().await?;
        let _: WhoAmI = serde_json::from_slice(&body)?;
    }
    Ok(started.elapsed())
}

//! Conformance: every request in the shared Dataverse fixtures (Microsoft's documented
//! request/response pairs) is replayed against a fresh emulator seeded with the rows it refers
//! to, and the answer is compared with the documented one: status, key headers
//! (`OData-EntityId`, `ETag`, `Preference-Applied`, `Content-Type` family) and body shape.
//! Normalisations of documentation artefacts are printed; nothing is skipped silently.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::fixture_seeds::setup;
use crate::fixtures::{Fixture, fixture_files, load};
use crate::shape::{batch_shape, json_shape};
use crate::support::{Answer, Env, answer, origin, start};

/// Fixtures that cannot be replayed, with the reason. (None at present.)
const NOT_REPLAYABLE: [(&str, &str); 0] = [];

struct Outcome {
    name: String,
    notes: Vec<String>,
    differences: Vec<String>,
}

fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn preference_names(value: &str) -> Vec<String> {
    let mut names: Vec<String> = value
        .split(',')
        .filter_map(|item| item.split('=').next())
        .map(|n| n.trim().trim_matches('"').to_owned())
        .filter(|n| n.starts_with("odata.") || n == "return")
        .collect();
    names.sort();
    names
}

/// Compares an answer with the fixture's expected answer.
pub(crate) fn compare(fixture: &Fixture, actual: &Answer) -> Vec<String> {
    let expected = &fixture.response;
    let mut out = Vec::new();
    if actual.status != expected.status {
        out.push(format!(
            "status {}, expected {} ({})",
            actual.status, expected.status, actual.text
        ));
        return out;
    }
    let has_body = expected
        .body
        .as_deref()
        .is_some_and(|b| !b.trim().is_empty());
    let entity_id = actual.header("OData-EntityId").is_some();
    if expected.header("OData-EntityId").is_some() && !entity_id {
        out.push("OData-EntityId missing".into());
    }
    if expected.header("OData-EntityId").is_none() && has_body && entity_id {
        out.push("OData-EntityId present on an answer with a body".into());
    }
    if expected.header("ETag").is_some() && actual.header("ETag").is_none() {
        out.push("ETag missing".into());
    }
    match (
        expected.header("Preference-Applied"),
        actual.header("Preference-Applied"),
    ) {
        (Some(e), Some(a)) if preference_names(e) != preference_names(a) => {
            out.push(format!("Preference-Applied '{a}', expected '{e}'"));
        }
        (Some(e), None) => out.push(format!("Preference-Applied missing (expected '{e}')")),
        (None, Some(a)) => out.push(format!("unexpected Preference-Applied '{a}'")),
        _ => {}
    }
    if has_body && let Some(content_type) = expected.header("Content-Type") {
        let actual_type = actual
            .header("Content-Type")
            .map(media_type)
            .unwrap_or_default();
        if actual_type != media_type(content_type) {
            out.push(format!(
                "Content-Type '{actual_type}', expected '{}'",
                media_type(content_type)
            ));
        }
    }
    if actual.header("OData-Version") != Some("4.0") {
        out.push("OData-Version: 4.0 missing".into());
    }
    match expected.body.as_deref().map(str::trim) {
        None | Some("") => {
            if !actual.text.trim().is_empty() {
                out.push(format!("a body where none is expected: {}", actual.text));
            }
        }
        Some(body) if body.starts_with("--") => batch_shape(body, &actual.text, &mut out),
        Some(body) => match serde_json::from_str::<Value>(body) {
            Ok(json) => match serde_json::from_str::<Value>(&actual.text) {
                Ok(got) => json_shape("body", &json, &got, fixture.truncated, &mut out),
                Err(_) => out.push(format!("the answer is not JSON: {}", actual.text)),
            },
            Err(_) if body.parse::<u64>().is_ok() => {
                if actual.text.trim().parse::<u64>().is_err() {
                    out.push(format!("expected a number, got '{}'", actual.text));
                }
            }
            Err(error) => out.push(format!(
                "the fixture body is not JSON after normalisation: {error}"
            )),
        },
    }
    out
}

/// Sends a transcript's request as written, with the test's bearer token, and reads the answer.
pub(crate) async fn send_as_written(env: &Env, fixture: &Fixture) -> Answer {
    let method = Method::from_bytes(fixture.request.method.as_bytes()).expect("method");
    let mut request = env
        .http
        .request(method, &fixture.request.url)
        .bearer_auth(&env.token);
    for (name, value) in &fixture.request.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(body) = &fixture.request.body {
        request = request.body(body.clone());
    }
    let response = request.send().await.expect("the emulator answers");
    answer(response).await
}

/// Replays one fixture on `env` after resetting its Dataverse organisation.
async fn replay(env: &Env, path: &Path) -> Outcome {
    env.emu.seed().reset_dataverse().expect("reset");
    let mut fixture = load(path, &origin(&env.emu));
    let mut outcome = Outcome {
        name: fixture.name.clone(),
        notes: fixture.notes.clone(),
        differences: Vec::new(),
    };
    if let Err(error) = setup(env, &mut fixture).await {
        outcome.differences.push(format!("setup failed: {error}"));
        return outcome;
    }
    let actual = send_as_written(env, &fixture).await;
    outcome.differences = compare(&fixture, &actual);
    outcome
}

/// Replays fixtures one after another on one emulator.
async fn replay_all(paths: Vec<PathBuf>) -> Vec<Outcome> {
    let env = start().await;
    let mut outcomes = Vec::with_capacity(paths.len());
    for path in paths {
        outcomes.push(replay(&env, &path).await);
    }
    outcomes
}

/// Emulators the fixtures are spread over.
const EMULATORS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_replays() {
    let files = fixture_files();
    assert!(
        files.len() >= 40,
        "expected the 40 documented fixtures, found {}",
        files.len()
    );
    let mut skipped = Vec::new();
    let mut groups: Vec<Vec<PathBuf>> = vec![Vec::new(); EMULATORS];
    for (n, path) in files.into_iter().enumerate() {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if let Some((_, reason)) = NOT_REPLAYABLE.iter().find(|(n, _)| *n == name) {
            skipped.push(format!("{name}: {reason}"));
            continue;
        }
        groups[n % EMULATORS].push(path);
    }
    let mut tasks = JoinSet::new();
    for group in groups {
        tasks.spawn(replay_all(group));
    }
    let mut outcomes = Vec::new();
    while let Some(group) = tasks.join_next().await {
        outcomes.extend(group.expect("replay task"));
    }
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut report = String::from("Dataverse fixture conformance:\n");
    for outcome in &outcomes {
        let verdict = if outcome.differences.is_empty() {
            "pass"
        } else {
            "FAIL"
        };
        report.push_str(&format!("  {verdict}  {}\n", outcome.name));
        for note in &outcome.notes {
            report.push_str(&format!("          normalised: {note}\n"));
        }
        for difference in &outcome.differences {
            report.push_str(&format!("          difference: {difference}\n"));
        }
    }
    for skip in &skipped {
        report.push_str(&format!("  skipped {skip}\n"));
    }
    println!("{report}");
    let failures = outcomes
        .iter()
        .filter(|o| !o.differences.is_empty())
        .count();
    assert_eq!(failures, 0, "{failures} fixture(s) differ:\n{report}");
}

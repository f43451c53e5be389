//! Conformance against the transcripts collected in this repository
//! (`tests/fixtures/dataverse-docs`, see its `INDEX.md`): each documented request is replayed
//! against a fresh emulator seeded with the rows the example assumes, and the answer is compared
//! with the documented one exactly as the shared fixtures are (status, key headers, body shape).
//! Documentation artefacts are normalised here, each with a printed note; transcripts the
//! emulator does not yet answer as documented are listed in [`KNOWN_GAPS`] with the reason, and
//! the test fails if one of them starts to pass (so the list stays true).

use std::path::{Path, PathBuf};

use tokio::task::JoinSet;

use crate::conformance::{compare, send_as_written};
use crate::docs_seeds::setup;
use crate::fixtures::{DOC_FIXTURES, Fixture, fixture_files_in, load};
use crate::support::{Env, origin, start};

/// Transcripts the emulator does not answer as documented yet, with the reason (also in
/// `INDEX.md`).
const KNOWN_GAPS: [(&str, &str); 0] = [];

/// The fewest transcripts that must replay green (every one of the 52 collected).
const MIN_GREEN: usize = 52;

struct Outcome {
    name: String,
    notes: Vec<String>,
    differences: Vec<String>,
}

/// Normalises the documentation artefacts of one transcript; every change is noted.
fn normalise(fixture: &mut Fixture) {
    let notes = &mut fixture.notes;
    match fixture.name.as_str() {
        "conditional-update-stale-etag-412" | "conditional-update-deleted-row-404" => {
            if let Some(body) = &mut fixture.response.body {
                *body = body.replace(", . . .", "");
            }
            notes.push("response: removed the ', . . .' elision after the error message (not JSON as printed)".into());
        }
        "join-expand-ref-single-valued" => {
            fixture.request.set_header("Prefer", "odata.maxpagesize=2");
            notes.push("request: added 'Prefer: odata.maxpagesize=2', which the documented answer shows applied (Preference-Applied and a two-row page with @odata.nextLink)".into());
        }
        "count-total-record-count-annotations" => {
            fixture.request.url = fixture
                .request
                .url
                .replace("$select=name?&", "$select=name&");
            notes.push(
                "request: removed the stray '?' after '$select=name' (the answer's context and nextLink show $select=name)"
                    .into(),
            );
        }
        "metadata-entity-select" => {
            if let Some(body) = &mut fixture.response.body
                && let Ok(serde_json::Value::Object(mut outer)) =
                    serde_json::from_str::<serde_json::Value>(body)
                && let Some(serde_json::Value::Array(mut items)) = outer.remove("value")
                && let Some(serde_json::Value::Object(mut entity)) = items.pop()
            {
                if let Some(context) = outer.remove("@odata.context") {
                    let context = context.as_str().unwrap_or_default().to_owned();
                    entity.insert("@odata.context".into(), format!("{context}/$entity").into());
                }
                *body = serde_json::Value::Object(entity).to_string();
            }
            notes.push("response: the entity is printed inside a 'value' array; a single-entity retrieve (key in the URL) answers the entity itself, as the page's other single-entity examples show".into());
        }
        _ => {}
    }
}

/// Replays one transcript on `env` after resetting its Dataverse organisation.
async fn replay(env: &Env, path: &Path) -> Outcome {
    env.emu.seed().reset_dataverse().expect("reset");
    let mut fixture = load(path, &origin(&env.emu));
    normalise(&mut fixture);
    let mut outcome = Outcome {
        name: fixture.name.clone(),
        notes: Vec::new(),
        differences: Vec::new(),
    };
    if let Err(error) = setup(env, &mut fixture).await {
        outcome.notes = fixture.notes;
        outcome.differences.push(format!("setup failed: {error}"));
        return outcome;
    }
    outcome.notes = fixture.notes.clone();
    let actual = send_as_written(env, &fixture).await;
    outcome.differences = compare(&fixture, &actual);
    outcome
}

async fn replay_all(paths: Vec<PathBuf>) -> Vec<Outcome> {
    let env = start().await;
    let mut outcomes = Vec::with_capacity(paths.len());
    for path in paths {
        outcomes.push(replay(&env, &path).await);
    }
    outcomes
}

/// Emulators the transcripts are spread over.
const EMULATORS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_transcript_replays() {
    let files = fixture_files_in(DOC_FIXTURES);
    assert!(
        files.len() >= MIN_GREEN + KNOWN_GAPS.len(),
        "expected at least {} transcripts, found {}",
        MIN_GREEN + KNOWN_GAPS.len(),
        files.len()
    );
    let mut groups: Vec<Vec<PathBuf>> = vec![Vec::new(); EMULATORS];
    for (n, path) in files.into_iter().enumerate() {
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
    let mut report = String::from("Documented Dataverse transcripts:\n");
    let mut failures = Vec::new();
    let mut stale_gaps = Vec::new();
    let mut green = 0;
    for outcome in &outcomes {
        let gap = KNOWN_GAPS.iter().find(|(n, _)| *n == outcome.name);
        let passed = outcome.differences.is_empty();
        let verdict = match (passed, gap) {
            (true, None) => "pass",
            (true, Some(_)) => "PASS (listed as a known gap)",
            (false, Some(_)) => "gap ",
            (false, None) => "FAIL",
        };
        report.push_str(&format!("  {verdict}  {}\n", outcome.name));
        if let Some((_, reason)) = gap {
            report.push_str(&format!("          known gap: {reason}\n"));
        }
        for note in &outcome.notes {
            report.push_str(&format!("          normalised: {note}\n"));
        }
        for difference in &outcome.differences {
            report.push_str(&format!("          difference: {difference}\n"));
        }
        match (passed, gap) {
            (true, None) => green += 1,
            (true, Some(_)) => stale_gaps.push(outcome.name.clone()),
            (false, None) => failures.push(outcome.name.clone()),
            (false, Some(_)) => {}
        }
    }
    println!("{report}");
    assert!(
        failures.is_empty(),
        "{} transcript(s) differ: {failures:?}\n{report}",
        failures.len()
    );
    assert!(
        stale_gaps.is_empty(),
        "known gaps now pass; remove them from KNOWN_GAPS and INDEX.md: {stale_gaps:?}"
    );
    assert!(
        green >= MIN_GREEN,
        "only {green} transcripts replay green, expected at least {MIN_GREEN}"
    );
}

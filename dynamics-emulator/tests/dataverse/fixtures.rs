//! Loading the Dataverse request/response fixtures (Microsoft documentation examples) and the
//! normalisations their documentation artefacts need. Every normalisation is listed in
//! [`Fixture::notes`] and printed by the conformance test.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The fixture folder, shared by the workspace.
pub(crate) const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../reference/fixtures/dataverse"
);

/// The transcripts collected in this repository from Microsoft's Dataverse Web API documentation
/// (replayed by `docs_conformance`).
pub(crate) const DOC_FIXTURES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dataverse-docs");

/// One side of a fixture.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<String>,
}

impl Message {
    /// A header (case-insensitive name).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces a header's value.
    pub(crate) fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }
}

/// A fixture after normalisation.
#[derive(Debug, Clone)]
pub(crate) struct Fixture {
    /// File name without `.json`.
    pub(crate) name: String,
    pub(crate) request: Message,
    pub(crate) response: Message,
    /// Normalisations applied (documentation artefacts).
    pub(crate) notes: Vec<String>,
    /// The expected `value` array was shortened in the documentation ("… <Truncated for
    /// brevity>"): compare element shapes, not the length.
    pub(crate) truncated: bool,
}

fn message(value: &Value, request: bool) -> Message {
    let headers = value["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Message {
        method: if request {
            value["method"].as_str().unwrap_or_default().to_owned()
        } else {
            String::new()
        },
        url: value["url"].as_str().unwrap_or_default().to_owned(),
        status: value["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0),
        headers,
        body: value["body"].as_str().map(str::to_owned),
    }
}

/// Every fixture file of the shared folder, sorted by name.
pub(crate) fn fixture_files() -> Vec<PathBuf> {
    fixture_files_in(FIXTURES)
}

/// Every fixture file of `folder`, sorted by name.
pub(crate) fn fixture_files_in(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("the fixture folder exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Loads one fixture and normalises it for an emulator at `origin` (no trailing slash).
pub(crate) fn load(path: &Path, origin: &str) -> Fixture {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let raw: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let mut fixture = Fixture {
        name,
        request: message(&raw["request"], true),
        response: message(&raw["response"], false),
        notes: Vec::new(),
        truncated: false,
    };
    normalise(&mut fixture, origin);
    fixture
}

/// Replaces the organisation placeholders (`[Organization URI]`, `[Organization Uri]`, and
/// `https://[Organization URI]`) by the emulator origin.
fn placeholders(text: &str, origin: &str) -> String {
    text.replace("https://[Organization URI]", origin)
        .replace("[Organization URI]", origin)
        .replace("[Organization Uri]", origin)
}

fn normalise(fixture: &mut Fixture, origin: &str) {
    let Fixture {
        request, response, ..
    } = fixture;
    request.url = placeholders(&request.url, origin);
    request.body = request.body.as_deref().map(|b| placeholders(b, origin));
    response.body = response.body.as_deref().map(|b| placeholders(b, origin));
    for (_, value) in request
        .headers
        .iter_mut()
        .chain(response.headers.iter_mut())
    {
        *value = placeholders(value, origin);
    }
    // reqwest computes the length of what it sends.
    request
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("Content-Length"));
    let notes = &mut fixture.notes;
    match fixture.name.as_str() {
        "count-true" => {
            if let Some(body) = &mut fixture.response.body {
                *body = body
                    .lines()
                    .filter(|l| !l.contains("<Truncated for brevity>"))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .replace("},\n    ]", "}\n    ]");
            }
            fixture.truncated = true;
            notes.push("response: removed the '... <Truncated for brevity>' line (array compared by element shape)".into());
        }
        "fetchxml-query" => {
            if let Some(body) = &mut fixture.response.body {
                *body = remove_trailing_commas(body);
            }
            notes.push(
                "response: removed a trailing comma before '}' (not valid JSON as printed)".into(),
            );
        }
        "import-solution" => {
            if let Some(body) = &mut fixture.request.body {
                *body = body.replace(
                    "UEsDBBQAAgAIA...<truncated for brevity>",
                    &crate::solution_import::minimal_package_base64(),
                );
            }
            notes.push(
                "request: replaced the '<truncated for brevity>' CustomizationFile by a minimal \
                 solution package"
                    .into(),
            );
        }
        "retrieve-collection-refs" => {
            fixture.request.url = fixture
                .request
                .url
                .replace("/AccountTasks/", "/Account_Tasks/");
            notes.push(
                "request: navigation property 'AccountTasks' (an old name) is 'Account_Tasks'"
                    .into(),
            );
        }
        "conditional-get-304" => {
            notes.push("request: If-None-Match carries the seeded row's current ETag (ETags are server-assigned)".into());
        }
        "change-tracking-delta" => {
            notes.push("request: $deltatoken is one the emulator issued after seeding (tokens are server-assigned); changes made after it".into());
        }
        _ => {}
    }
}

/// Removes commas that directly precede `}` or `]` (ignoring whitespace).
pub(crate) fn remove_trailing_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}' | ']')) {
                continue;
            }
        }
        out.push(*c);
    }
    out
}

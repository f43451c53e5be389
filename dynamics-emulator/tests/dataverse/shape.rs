//! Comparing an answer with a fixture: status, key headers, and the shape of the body (the same
//! keys and annotation keys, the same value types, the same array lengths), never exact values
//! such as IDs, ETags or dates. `$batch` answers are compared part by part.

use serde_json::Value;

/// Differences between the expected JSON shape and the actual one, as readable lines.
pub(crate) fn json_shape(
    path: &str,
    expected: &Value,
    actual: &Value,
    truncated: bool,
    out: &mut Vec<String>,
) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut missing: Vec<&String> = e.keys().filter(|k| !a.contains_key(*k)).collect();
            let mut extra: Vec<&String> = a.keys().filter(|k| !e.contains_key(*k)).collect();
            missing.sort();
            extra.sort();
            if !missing.is_empty() {
                out.push(format!("{path}: missing keys {missing:?}"));
            }
            if !extra.is_empty() {
                out.push(format!("{path}: unexpected keys {extra:?}"));
            }
            for (key, value) in e {
                if let Some(other) = a.get(key) {
                    json_shape(&format!("{path}.{key}"), value, other, truncated, out);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if truncated {
                if let Some(first) = e.first() {
                    if a.is_empty() {
                        out.push(format!("{path}: empty array, expected elements"));
                    }
                    for (i, item) in a.iter().enumerate() {
                        json_shape(&format!("{path}[{i}]"), first, item, false, out);
                    }
                }
            } else {
                if e.len() != a.len() {
                    out.push(format!(
                        "{path}: {} elements, expected {}",
                        a.len(),
                        e.len()
                    ));
                }
                for (i, (x, y)) in e.iter().zip(a).enumerate() {
                    json_shape(&format!("{path}[{i}]"), x, y, false, out);
                }
            }
        }
        (e, a) if kind(e) != kind(a) => {
            out.push(format!(
                "{path}: a {} where the fixture has a {}",
                kind(a),
                kind(e)
            ));
        }
        _ => {}
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One answer part of a `$batch` body.
#[derive(Debug, Clone)]
pub(crate) struct BatchPart {
    /// Whether the part sits inside a change set.
    pub(crate) in_change_set: bool,
    pub(crate) content_id: Option<String>,
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl BatchPart {
    fn has(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

fn boundary_of(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let at = lower.find("boundary=")?;
    Some(
        line[at + "boundary=".len()..]
            .trim()
            .trim_matches('"')
            .to_owned(),
    )
}

/// Parses a `$batch` answer body (CRLF or LF) into its parts.
pub(crate) fn batch_parts(body: &str) -> Vec<BatchPart> {
    let lines: Vec<&str> = body.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let Some(first) = lines.iter().find(|l| l.starts_with("--")) else {
        return Vec::new();
    };
    let boundary = first.trim_start_matches('-').to_owned();
    parse_level(&lines, &boundary, false)
}

fn parse_level(lines: &[&str], boundary: &str, in_change_set: bool) -> Vec<BatchPart> {
    let delimiter = format!("--{boundary}");
    let mut chunks: Vec<Vec<&str>> = Vec::new();
    for line in lines {
        if line.trim_end() == delimiter || line.trim_end() == format!("{delimiter}--") {
            chunks.push(Vec::new());
        } else if let Some(chunk) = chunks.last_mut() {
            chunk.push(line);
        }
    }
    let mut parts = Vec::new();
    for chunk in chunks
        .into_iter()
        .filter(|c| c.iter().any(|l| !l.trim().is_empty()))
    {
        let mut i = 0;
        let mut part_headers = Vec::new();
        while i < chunk.len() && !chunk[i].trim().is_empty() {
            if let Some((n, v)) = chunk[i].split_once(':') {
                part_headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            i += 1;
        }
        let content_type = part_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if content_type
            .to_ascii_lowercase()
            .starts_with("multipart/mixed")
        {
            if let Some(inner) = boundary_of(&content_type) {
                parts.extend(parse_level(&chunk[i..], &inner, true));
            }
            continue;
        }
        let content_id = part_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-ID"))
            .map(|(_, v)| v.clone());
        while i < chunk.len() && chunk[i].trim().is_empty() {
            i += 1;
        }
        let status = chunk
            .get(i)
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        i += 1;
        let mut headers = Vec::new();
        while i < chunk.len() && !chunk[i].trim().is_empty() {
            if let Some((n, v)) = chunk[i].split_once(':') {
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            i += 1;
        }
        let body = chunk[i.min(chunk.len())..].join("\n").trim().to_owned();
        parts.push(BatchPart {
            in_change_set,
            content_id,
            status,
            headers,
            body,
        });
    }
    parts
}

/// Differences between expected and actual `$batch` answer bodies.
pub(crate) fn batch_shape(expected: &str, actual: &str, out: &mut Vec<String>) {
    let expected = batch_parts(expected);
    let actual = batch_parts(actual);
    if expected.len() != actual.len() {
        out.push(format!(
            "batch: {} parts, expected {}",
            actual.len(),
            expected.len()
        ));
    }
    for (n, (e, a)) in expected.iter().zip(&actual).enumerate() {
        if e.status != a.status {
            out.push(format!(
                "part {n}: status {}, expected {}",
                a.status, e.status
            ));
        }
        if e.in_change_set != a.in_change_set {
            out.push(format!(
                "part {n}: in change set {}, expected {}",
                a.in_change_set, e.in_change_set
            ));
        }
        if e.content_id != a.content_id {
            out.push(format!(
                "part {n}: Content-ID {:?}, expected {:?}",
                a.content_id, e.content_id
            ));
        }
        for header in ["OData-EntityId", "Location"] {
            if e.has(header) != a.has(header) {
                out.push(format!(
                    "part {n}: {header} present {}, expected {}",
                    a.has(header),
                    e.has(header)
                ));
            }
        }
        match (
            serde_json::from_str::<Value>(&e.body),
            serde_json::from_str::<Value>(&a.body),
        ) {
            (Ok(x), Ok(y)) => json_shape(&format!("part {n}"), &x, &y, false, out),
            (Ok(_), Err(_)) => out.push(format!("part {n}: no JSON body")),
            (Err(_), _) if !e.body.is_empty() => {
                out.push(format!("part {n}: fixture body is not JSON"))
            }
            _ => {}
        }
    }
}

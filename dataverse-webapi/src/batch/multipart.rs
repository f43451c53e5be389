//! The `multipart/mixed` framing of `$batch`: writing a request body and reading a response
//! body. IO-free, so it is tested on Microsoft's documented examples.

use std::fmt::Write as _;

use crate::error::{DataverseError, Result};

/// One HTTP request inside a batch, already resolved to its request line.
#[derive(Clone)]
pub(crate) struct PartRequest {
    pub(crate) method: &'static str,
    /// Absolute path (`/api/data/v9.2/accounts`) or a Content-ID reference (`$1/...`).
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) content_id: Option<String>,
}

/// A top-level batch item: a request, or a change set (atomic group).
#[derive(Clone)]
pub(crate) enum PartItem {
    Single(PartRequest),
    ChangeSet(Vec<PartRequest>),
}

/// RFC 7230 `tchar`: the characters of a header name (and of our `Content-ID`s).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A header name is an RFC 7230 token: one or more `tchar`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// A header value holds visible ASCII, spaces and tabs only: no CR or LF that could end the
/// line and start another header, no other control character, and nothing the pipeline
/// would refuse, so a batch operation is accepted or refused alike whether it goes in a
/// `$batch` or (a batch of one) as a plain request.
pub(crate) fn is_header_value(s: &str) -> bool {
    dynamics_http::is_valid_header_value(s)
}

/// A request target: no whitespace and no control characters, so it stays one request line.
pub(crate) fn is_request_target(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| !(b.is_ascii_control() || b == b' '))
}

/// Checks everything a part writes into the multipart framing, so that no value can end a
/// line and add a header or a request of its own. The errors name the argument, never the
/// value (header values may be secrets).
pub(crate) fn check_part(request: &PartRequest) -> Result<()> {
    if !is_request_target(&request.target) {
        return Err(DataverseError::invalid(
            "batch operation path",
            "it must not contain spaces, line breaks or other control characters; percent-encode them",
        ));
    }
    if let Some(id) = &request.content_id
        && !is_token(id)
    {
        return Err(DataverseError::invalid(
            "batch Content-ID",
            "use letters, digits and !#$%&'*+-.^_`|~ only (no spaces or line breaks)",
        ));
    }
    for (name, value) in &request.headers {
        check_header(name, value)?;
    }
    Ok(())
}

/// One header of a batch operation.
pub(crate) fn check_header(name: &str, value: &str) -> Result<()> {
    if !is_token(name) {
        return Err(DataverseError::invalid(
            "batch header name",
            "use an RFC 7230 token: letters, digits and !#$%&'*+-.^_`|~, no spaces, colons or line breaks",
        ));
    }
    if !is_header_value(value) {
        return Err(DataverseError::invalid(
            format!("value of batch header `{name}`"),
            "header values may hold visible ASCII, spaces and tabs only (no line breaks, control or non-ASCII characters); percent-encode or remove the rest",
        ));
    }
    Ok(())
}

/// Writes the body; returns it with its `Content-Type` header value.
pub(crate) fn write_batch(items: &[PartItem], batch_id: &str) -> (Vec<u8>, String) {
    let boundary = format!("batch_{batch_id}");
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let _ = write!(out, "--{boundary}\r\n");
        match item {
            PartItem::Single(request) => write_part(&mut out, request),
            PartItem::ChangeSet(requests) => {
                let changeset = format!("changeset_{batch_id}_{i}");
                let _ = write!(
                    out,
                    "Content-Type: multipart/mixed; boundary={changeset}\r\n\r\n"
                );
                for request in requests {
                    let _ = write!(out, "--{changeset}\r\n");
                    write_part(&mut out, request);
                }
                let _ = write!(out, "--{changeset}--\r\n");
            }
        }
    }
    let _ = write!(out, "--{boundary}--\r\n");
    (
        out.into_bytes(),
        format!("multipart/mixed; boundary={boundary}"),
    )
}

fn write_part(out: &mut String, request: &PartRequest) {
    out.push_str("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = &request.content_id {
        let _ = write!(out, "Content-ID: {id}\r\n");
    }
    out.push_str("\r\n");
    let _ = write!(out, "{} {} HTTP/1.1\r\n", request.method, request.target);
    for (name, value) in &request.headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    match &request.body {
        Some(body) => {
            if !request
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                out.push_str("Content-Type: application/json; type=entry\r\n");
            }
            out.push_str("\r\n");
            out.push_str(&String::from_utf8_lossy(body));
            out.push_str("\r\n");
        }
        None => out.push_str("\r\n"),
    }
}

/// One response inside a batch answer.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PartResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) content_id: Option<String>,
    /// Index of the change set this answer belongs to, if any.
    pub(crate) change_set: Option<usize>,
}

/// Reads a `multipart/mixed` batch answer into its parts, change sets flattened in order.
pub(crate) fn read_batch(content_type: &str, body: &[u8]) -> Result<Vec<PartResponse>> {
    let boundary = boundary_of(content_type).ok_or_else(|| {
        DataverseError::UnexpectedResponse(format!(
            "batch answer without a boundary: {content_type}"
        ))
    })?;
    let text = String::from_utf8_lossy(body);
    let mut responses = Vec::new();
    let mut change_sets = 0;
    for part in split_parts(&text, &boundary)? {
        let (headers, content) = split_head(part);
        let part_type = header(&headers, "content-type").unwrap_or_default();
        if part_type
            .to_ascii_lowercase()
            .starts_with("multipart/mixed")
        {
            let inner = boundary_of(&part_type).ok_or_else(|| {
                DataverseError::UnexpectedResponse("change set answer without a boundary".into())
            })?;
            for inner_part in split_parts(content, &inner)? {
                let (inner_headers, http) = split_head(inner_part);
                let mut response = read_http(http)?;
                response.content_id = header(&inner_headers, "content-id");
                response.change_set = Some(change_sets);
                responses.push(response);
            }
            change_sets += 1;
        } else {
            let mut response = read_http(content)?;
            response.content_id = header(&headers, "content-id");
            responses.push(response);
        }
    }
    Ok(responses)
}

fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts between `--boundary` lines, up to `--boundary--`.
fn split_parts<'a>(text: &'a str, boundary: &str) -> Result<Vec<&'a str>> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = match text.find(&delimiter) {
        Some(i) => &text[i + delimiter.len()..],
        None => {
            return Err(DataverseError::UnexpectedResponse(
                "batch answer has no parts".into(),
            ));
        }
    };
    loop {
        if rest.starts_with("--") {
            return Ok(parts);
        }
        let Some(end) = rest.find(&delimiter) else {
            return Err(DataverseError::UnexpectedResponse(
                "batch answer is truncated".into(),
            ));
        };
        let part = rest[..end].trim_start_matches(['\r', '\n']);
        parts.push(trim_line_end(part));
        rest = &rest[end + delimiter.len()..];
    }
}

fn trim_line_end(s: &str) -> &str {
    s.strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .unwrap_or(s)
}

/// Headers up to the first blank line, and what follows.
fn split_head(part: &str) -> (Vec<(String, String)>, &str) {
    let (head, rest) = match (part.find("\r\n\r\n"), part.find("\n\n")) {
        (Some(a), Some(b)) if b < a => (&part[..b], &part[b + 2..]),
        (Some(a), _) => (&part[..a], &part[a + 4..]),
        (None, Some(b)) => (&part[..b], &part[b + 2..]),
        (None, None) => (part, ""),
    };
    let headers = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (headers, rest)
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// `HTTP/1.1 204 No Content`, headers, blank line, body.
fn read_http(http: &str) -> Result<PartResponse> {
    let http = http.trim_start_matches(['\r', '\n']);
    let (status_line, rest) = http.split_once('\n').unwrap_or((http, ""));
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| {
            DataverseError::UnexpectedResponse(format!(
                "batch part without an HTTP status line: `{}`",
                status_line.chars().take(40).collect::<String>()
            ))
        })?;
    let (headers, body) = if rest.starts_with("\r\n") || rest.starts_with('\n') {
        (Vec::new(), rest.trim_start_matches(['\r', '\n']))
    } else {
        split_head(rest)
    };
    Ok(PartResponse {
        status,
        headers,
        body: body.trim_end_matches(['\r', '\n']).as_bytes().to_vec(),
        content_id: None,
        change_set: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        method: &'static str,
        target: &str,
        body: Option<&str>,
        id: Option<&str>,
    ) -> PartRequest {
        PartRequest {
            method,
            target: target.into(),
            headers: vec![],
            body: body.map(|b| b.as_bytes().to_vec()),
            content_id: id.map(str::to_string),
        }
    }

    #[test]
    fn written_batches_read_back_with_a_generic_multipart_reading() {
        let items = vec![
            PartItem::ChangeSet(vec![
                request(
                    "POST",
                    "/api/data/v9.2/accounts",
                    Some(r#"{"name":"a"}"#),
                    Some("1"),
                ),
                request("PATCH", "$1", Some(r#"{"name":"b"}"#), Some("2")),
            ]),
            PartItem::Single(request(
                "GET",
                "/api/data/v9.2/accounts?$select=name",
                None,
                None,
            )),
        ];
        let (body, content_type) = write_batch(&items, "abc");
        let text = String::from_utf8(body).expect("utf8");
        assert_eq!(content_type, "multipart/mixed; boundary=batch_abc");
        assert!(text.starts_with("--batch_abc\r\nContent-Type: multipart/mixed; boundary=changeset_abc_0\r\n\r\n--changeset_abc_0\r\n"));
        assert!(text.contains("Content-ID: 1\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{\"name\":\"a\"}\r\n"));
        assert!(text.contains("PATCH $1 HTTP/1.1"));
        assert!(text.contains("--changeset_abc_0--\r\n--batch_abc\r\n"));
        assert!(text.ends_with(
            "GET /api/data/v9.2/accounts?$select=name HTTP/1.1\r\n\r\n--batch_abc--\r\n"
        ));
    }

    #[test]
    fn reads_crlf_and_lf_answers_with_change_sets() {
        let lf = "--batchresponse_1\nContent-Type: multipart/mixed; boundary=changesetresponse_2\n\n--changesetresponse_2\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: 1\n\nHTTP/1.1 204 No Content\nOData-Version: 4.0\nOData-EntityId: https://x/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)\n\n\n--changesetresponse_2--\n--batchresponse_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"value\":[]}\n--batchresponse_1--\n";
        for text in [lf.to_string(), lf.replace('\n', "\r\n")] {
            let parts = read_batch("multipart/mixed; boundary=batchresponse_1", text.as_bytes())
                .expect("parses");
            assert_eq!(parts.len(), 2);
            assert_eq!(parts[0].status, 204);
            assert_eq!(parts[0].content_id.as_deref(), Some("1"));
            assert_eq!(parts[0].change_set, Some(0));
            assert!(parts[0].headers.iter().any(|(k, _)| k == "odata-entityid"));
            assert_eq!(parts[1].status, 200);
            assert_eq!(parts[1].body, b"{\"value\":[]}");
            assert_eq!(parts[1].change_set, None);
        }
    }

    #[test]
    fn broken_answers_are_errors() {
        assert!(read_batch("multipart/mixed", b"--x\n").is_err());
        assert!(read_batch("multipart/mixed; boundary=x", b"nothing").is_err());
        assert!(read_batch("multipart/mixed; boundary=x", b"--x\n\nnot http\n--x--").is_err());
        assert!(read_batch("multipart/mixed; boundary=x", b"--x\n\nHTTP/1.1 200 OK\n\n").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..proptest::prelude::ProptestConfig::default() })]

        /// A header value a `$batch` part accepts is one the pipeline sends as a plain
        /// request, and the other way round.
        #[test]
        fn batch_and_plain_requests_accept_the_same_header_values(value in "\\PC{0,24}|[ -~\t]{0,24}|[\u{0}-\u{ff}]{0,8}") {
            let in_batch = check_header("X-Note", &value).is_ok();
            let url = url::Url::parse("https://org.example/api/data/v9.2/accounts").expect("url");
            let plain = dynamics_http::HttpRequest::get(url)
                .header("X-Note", value.as_str())
                .validate()
                .is_ok();
            proptest::prop_assert_eq!(in_batch, plain, "{:?}", value);
        }
    }

    #[test]
    fn parts_that_could_add_lines_are_refused() {
        let ok = request("GET", "/api/data/v9.2/accounts", None, Some("a-1.x"));
        assert!(check_part(&ok).is_ok());
        let mut tab = ok.clone();
        tab.headers.push(("X-Note".into(), "a\tb ~".into()));
        assert!(check_part(&tab).is_ok());
        let bad_values = [
            "caf\u{e9}",
            "a\u{85}b",
            "a\r\nMSCRMCallerID: x",
            "a\nb",
            "a\rb",
            "a\0b",
            "a\u{7f}b",
            "a\u{1b}b",
        ];
        for value in bad_values {
            let mut r = ok.clone();
            r.headers.push(("Prefer".into(), value.into()));
            let err = check_part(&r).expect_err(value).to_string();
            assert!(err.contains("Prefer"), "{err}");
            assert!(!err.contains(value), "{err}");
        }
        for name in ["", "A B", "A:B", "A\r\nB", "A\u{0}", "é", "(x)"] {
            let mut r = ok.clone();
            r.headers.push((name.into(), "v".into()));
            assert!(check_part(&r).is_err(), "{name:?}");
        }
        for id in ["", "1 2", "1\r\nX: y", "1/2", "\u{0}"] {
            let mut r = ok.clone();
            r.content_id = Some(id.into());
            assert!(check_part(&r).is_err(), "{id:?}");
        }
        for target in ["", "$1 HTTP/1.1", "a\tb", "a\nb", "/x\u{0}"] {
            let mut r = ok.clone();
            r.target = target.into();
            assert!(check_part(&r).is_err(), "{target:?}");
        }
    }

    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 128,
            ..ProptestConfig::default()
        }
    }

    /// A part answer as the service would write it.
    #[derive(Debug, Clone)]
    struct Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        content_id: Option<String>,
    }

    fn answer() -> impl Strategy<Value = Answer> {
        (
            100u16..600,
            proptest::collection::vec(("[a-z][a-z0-9-]{0,12}", "[!-~]([ -~]{0,20}[!-~])?"), 0..4),
            "([a-zA-Z0-9{}\":, ]{1,30}(\r\n[a-zA-Z0-9{}\":, ]{1,30})?)?",
            proptest::option::of("[A-Za-z0-9]{1,6}"),
        )
            .prop_map(|(status, headers, body, content_id)| Answer {
                status,
                headers: headers
                    .into_iter()
                    .filter(|(k, _)| k != "content-type" && k != "content-id")
                    .collect(),
                body: body.trim().to_string(),
                content_id,
            })
    }

    fn write_answer(out: &mut String, a: &Answer, nl: &str) {
        out.push_str(&format!(
            "Content-Type: application/http{nl}Content-Transfer-Encoding: binary{nl}"
        ));
        if let Some(id) = &a.content_id {
            out.push_str(&format!("Content-ID: {id}{nl}"));
        }
        out.push_str(&format!("{nl}HTTP/1.1 {} Whatever{nl}", a.status));
        for (k, v) in &a.headers {
            out.push_str(&format!("{k}: {v}{nl}"));
        }
        out.push_str(nl);
        out.push_str(&a.body.replace("\r\n", nl));
        out.push_str(nl);
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn arbitrary_batch_answers_never_panic(
            content_type in ".{0,40}",
            boundary in "[a-z_-]{0,8}",
            body in proptest::collection::vec(any::<u8>(), 0..400),
            text in "(--[a-z_]{0,4}|\r?\n|HTTP/1.1 [0-9]{1,4} x|Content-Type: multipart/mixed; boundary=[a-z_]{0,3}|[a-z: ]{0,6})*",
        ) {
            let _ = read_batch(&content_type, &body);
            let typed = format!("multipart/mixed; boundary={boundary}");
            let _ = read_batch(&typed, &body);
            let _ = read_batch(&typed, text.as_bytes());
            let _ = read_batch(&format!("multipart/mixed;boundary=\"{boundary}\""), text.as_bytes());
        }

        #[test]
        fn generated_batch_answers_round_trip(
            items in proptest::collection::vec(
                prop_oneof![
                    answer().prop_map(|a| vec![a]),
                    proptest::collection::vec(answer(), 1..4),
                ],
                1..5,
            ),
            crlf in any::<bool>(),
            boundary in "[A-Za-z0-9_]{1,20}",
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let batch = format!("batchresponse_{boundary}");
            let mut out = String::new();
            let mut expected = Vec::new();
            let mut change_sets = 0;
            for (i, item) in items.iter().enumerate() {
                out.push_str(&format!("--{batch}{nl}"));
                if item.len() == 1 {
                    write_answer(&mut out, &item[0], nl);
                    expected.push((item[0].clone(), None));
                } else {
                    let cs = format!("changesetresponse_{boundary}_{i}");
                    out.push_str(&format!("Content-Type: multipart/mixed; boundary={cs}{nl}{nl}"));
                    for a in item {
                        out.push_str(&format!("--{cs}{nl}"));
                        write_answer(&mut out, a, nl);
                        expected.push((a.clone(), Some(change_sets)));
                    }
                    out.push_str(&format!("--{cs}--{nl}"));
                    change_sets += 1;
                }
            }
            out.push_str(&format!("--{batch}--{nl}"));
            let parts = read_batch(&format!("multipart/mixed; boundary={batch}"), out.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{e}\n{out}")))?;
            prop_assert_eq!(parts.len(), expected.len());
            for (part, (a, change_set)) in parts.iter().zip(&expected) {
                prop_assert_eq!(part.status, a.status);
                prop_assert_eq!(&part.content_id, &a.content_id);
                prop_assert_eq!(part.change_set, *change_set);
                let headers: Vec<(String, String)> = a
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.trim().to_string()))
                    .collect();
                prop_assert_eq!(&part.headers, &headers);
                prop_assert_eq!(String::from_utf8_lossy(&part.body), a.body.replace("\r\n", nl));
            }
        }
    }
}

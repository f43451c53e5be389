//! The `multipart/mixed` format of `$batch`: reading requests (CRLF or bare LF line ends) and
//! writing answers (CRLF), with change sets as nested `multipart/mixed` parts.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use uuid::Uuid;

use super::errors::ApiError;
use super::wire::ApiResponse;

/// Most operations one `$batch` may hold (change-set operations included).
pub(crate) const MAX_OPERATIONS: usize = 1000;

/// One request inside a batch.
#[derive(Debug, Clone)]
pub(crate) struct BatchPart {
    pub(crate) content_id: Option<String>,
    pub(crate) method: Method,
    /// The request target as written (relative, absolute path, absolute URL or `$1/…`).
    pub(crate) target: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// A top-level item of a batch.
#[derive(Debug, Clone)]
pub(crate) enum BatchItem {
    /// A request outside any change set.
    Single(BatchPart),
    /// A change set: its requests succeed or fail together.
    ChangeSet(Vec<BatchPart>),
}

impl BatchItem {
    /// How many operations the item holds.
    pub(crate) fn operations(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::ChangeSet(parts) => parts.len(),
        }
    }
}

/// The boundary of a `multipart/mixed` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(format!(
        "The batch request is malformed: {}",
        message.into()
    ))
}

/// Splits a multipart body into its parts (text between delimiter lines).
fn split_parts(body: &str, boundary: &str) -> Result<Vec<String>, ApiError> {
    let delimiter = format!("--{boundary}");
    let closing = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    let mut closed = false;
    for line in body.split('\n') {
        let trimmed = line.trim_end_matches('\r');
        if trimmed.trim_end() == closing {
            if let Some(lines) = current.take() {
                parts.push(lines.join("\n"));
            }
            closed = true;
            break;
        }
        if trimmed.trim_end() == delimiter {
            if let Some(lines) = current.take() {
                parts.push(lines.join("\n"));
            }
            current = Some(Vec::new());
            continue;
        }
        if let Some(lines) = current.as_mut() {
            lines.push(trimmed);
        }
    }
    if !closed {
        return Err(malformed(format!(
            "the closing delimiter '{closing}' is missing"
        )));
    }
    Ok(parts)
}

/// Splits `text` into header lines and the rest at the first empty line.
fn split_head(text: &str) -> (Vec<(String, String)>, String) {
    let mut headers = Vec::new();
    let mut lines = text.split('\n');
    for line in lines.by_ref() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if headers.is_empty() {
                continue;
            }
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let rest: Vec<&str> = lines.collect();
    (headers, rest.join("\n"))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Parses a `$batch` body.
pub(crate) fn parse_batch(content_type: &str, body: &[u8]) -> Result<Vec<BatchItem>, ApiError> {
    let boundary = boundary(content_type).ok_or_else(|| {
        ApiError::bad_request("A $batch request needs 'Content-Type: multipart/mixed; boundary=…'.")
    })?;
    let text = String::from_utf8_lossy(body);
    let mut items = Vec::new();
    for part in split_parts(&text, &boundary)? {
        let (headers, content) = split_head(&part);
        let part_type = header(&headers, "Content-Type").unwrap_or_default();
        if let Some(inner) = boundary_of(part_type) {
            let mut parts = Vec::new();
            for (position, inner_part) in split_parts(&content, &inner)?.iter().enumerate() {
                let (inner_headers, inner_content) = split_head(inner_part);
                let request = parse_http(&inner_headers, &inner_content)?;
                if request.method == Method::GET {
                    return Err(ApiError::bad_request(format!(
                        "GET requests are not allowed in a change set (operation {} of the \
                         change set).",
                        position + 1
                    )));
                }
                parts.push(request);
            }
            items.push(BatchItem::ChangeSet(parts));
        } else {
            items.push(BatchItem::Single(parse_http(&headers, &content)?));
        }
    }
    let operations: usize = items.iter().map(BatchItem::operations).sum();
    if operations > MAX_OPERATIONS {
        return Err(ApiError::bad_request(format!(
            "The current batch message contains too many parts. Only batch messages with a \
             maximum number of '{MAX_OPERATIONS}' query operations, including changeset \
             operations, are allowed."
        )));
    }
    Ok(items)
}

fn boundary_of(content_type: &str) -> Option<String> {
    boundary(content_type)
}

/// The longest request line of a part, in bytes: hyper refuses a direct request target over
/// 64 KiB (414) before it reaches the service, and a part's URL gets no more room, so the
/// query parser never sees more from a `$batch` than from a direct request.
pub(crate) const MAX_REQUEST_LINE: usize = 64 * 1024;

/// Splits a request line `METHOD URL HTTP/1.1`. As ODataLib reads it, the URL is everything
/// between the first and the last space, so a URL with unencoded spaces
/// (`GET accounts?$filter=name eq 'a b' HTTP/1.1`) stays whole.
fn request_line_parts(request_line: &str) -> Result<(Method, String), ApiError> {
    if request_line.len() > MAX_REQUEST_LINE {
        // The line itself is not echoed: it is what is too big.
        return Err(malformed(format!(
            "a part's request line is {} bytes long; at most {MAX_REQUEST_LINE} bytes are \
             allowed, as for the URL of a direct request",
            request_line.len()
        )));
    }
    let line = request_line.trim();
    let not_a_request_line = || {
        malformed(format!(
            "'{line}' is not a request line ('METHOD URL HTTP/1.1')"
        ))
    };
    let (method, rest) = line.split_once(' ').ok_or_else(not_a_request_line)?;
    let (target, version) = rest.rsplit_once(' ').ok_or_else(not_a_request_line)?;
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| not_a_request_line())?;
    if version != "HTTP/1.1" {
        return Err(malformed(format!(
            "the request line '{line}' names the HTTP version '{version}'; only HTTP/1.1 is \
             allowed in a batch"
        )));
    }
    let target = target.trim();
    if target.is_empty() {
        return Err(malformed(format!("'{line}' has no URL")));
    }
    Ok((method, target.to_owned()))
}

/// Parses an `application/http` part: request line, headers, body.
fn parse_http(part_headers: &[(String, String)], content: &str) -> Result<BatchPart, ApiError> {
    let content_id = header(part_headers, "Content-ID").map(str::to_owned);
    let mut lines = content.split('\n').map(|l| l.trim_end_matches('\r'));
    let request_line = lines
        .by_ref()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| malformed("a part has no request line"))?;
    let (method, target) = request_line_parts(request_line)?;
    let mut headers = HeaderMap::new();
    let mut body_lines = Vec::new();
    let mut in_body = false;
    for line in lines {
        if in_body {
            body_lines.push(line);
        } else if line.trim().is_empty() {
            in_body = true;
        } else if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    let body = body_lines.join("\n").trim().as_bytes().to_vec();
    Ok(BatchPart {
        content_id,
        method,
        target,
        headers,
        body,
    })
}

/// One answer part: the Content-ID it echoes and the answer.
pub(crate) type AnswerPart = (Option<String>, ApiResponse);

/// An item of a batch answer.
pub(crate) enum AnswerItem {
    Single(AnswerPart),
    ChangeSet(Vec<AnswerPart>),
}

/// Writes a batch answer; returns the boundary and the bytes.
pub(crate) fn write_batch(items: &[AnswerItem]) -> (String, Vec<u8>) {
    let boundary = format!("batchresponse_{}", Uuid::new_v4());
    let mut out = String::new();
    for item in items {
        out.push_str(&format!("--{boundary}\r\n"));
        match item {
            AnswerItem::Single(part) => write_part(&mut out, part),
            AnswerItem::ChangeSet(parts) => {
                let inner = format!("changesetresponse_{}", Uuid::new_v4());
                out.push_str(&format!(
                    "Content-Type: multipart/mixed; boundary={inner}\r\n\r\n"
                ));
                for part in parts {
                    out.push_str(&format!("--{inner}\r\n"));
                    write_part(&mut out, part);
                }
                out.push_str(&format!("--{inner}--\r\n"));
            }
        }
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    (boundary, out.into_bytes())
}

fn write_part(out: &mut String, (content_id, response): &AnswerPart) {
    out.push_str("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = content_id {
        out.push_str(&format!("Content-ID: {id}\r\n"));
    }
    out.push_str("\r\n");
    let reason = response.status.canonical_reason().unwrap_or("");
    out.push_str(&format!(
        "HTTP/1.1 {} {reason}\r\n",
        response.status.as_u16()
    ));
    if let Some(content_type) = response.content_type() {
        out.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    out.push_str("OData-Version: 4.0\r\n");
    for (name, value) in &response.headers {
        out.push_str(&format!("{}: {value}\r\n", canonical(name.as_str())));
    }
    out.push_str("\r\n");
    let body = response.body_bytes();
    if !body.is_empty() {
        out.push_str(&String::from_utf8_lossy(&body));
    }
    out.push_str("\r\n");
}

/// `odata-entityid` → `OData-EntityId` (header names as the service prints them).
fn canonical(name: &str) -> String {
    match name {
        "odata-entityid" => "OData-EntityId".to_owned(),
        "etag" => "ETag".to_owned(),
        "location" => "Location".to_owned(),
        "preference-applied" => "Preference-Applied".to_owned(),
        "req_id" => "REQ_ID".to_owned(),
        other => other
            .split('-')
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert_eq!(
            boundary("multipart/mixed; boundary=\"batch_1\"").as_deref(),
            Some("batch_1")
        );
        assert_eq!(
            boundary("multipart/mixed;boundary=batch_AAA123").as_deref(),
            Some("batch_AAA123")
        );
        assert_eq!(boundary("application/json"), None);
    }

    #[test]
    fn parses_lf_and_change_sets() {
        let body = "--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: application/http\n\
                    Content-ID: 1\n\nPOST /api/data/v9.2/tasks HTTP/1.1\nContent-Type: application/json\n\n\
                    {\"subject\":\"a\"}\n--c--\n--b\nContent-Type: application/http\n\n\
                    GET /api/data/v9.2/tasks HTTP/1.1\n\n\n--b--\n";
        let items = parse_batch("multipart/mixed; boundary=b", body.as_bytes()).expect("parses");
        assert_eq!(items.len(), 2);
        let BatchItem::ChangeSet(parts) = &items[0] else {
            panic!("change set first")
        };
        assert_eq!(parts[0].content_id.as_deref(), Some("1"));
        assert_eq!(parts[0].body, b"{\"subject\":\"a\"}");
        assert!(matches!(&items[1], BatchItem::Single(p) if p.method == Method::GET));
    }

    #[test]
    fn refuses_get_in_change_sets_and_missing_end() {
        let body = "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n\r\n\
                    GET /api/data/v9.2/tasks HTTP/1.1\r\n\r\n--c--\r\n--b--\r\n";
        assert!(parse_batch("multipart/mixed; boundary=b", body.as_bytes()).is_err());
        assert!(parse_batch("multipart/mixed; boundary=b", b"--b\r\n").is_err());
    }

    #[test]
    fn request_lines_take_the_url_between_the_first_and_last_space() {
        let (method, target) =
            request_line_parts("GET accounts?$filter=name eq 'a b' HTTP/1.1").expect("parses");
        assert_eq!(method, Method::GET);
        assert_eq!(target, "accounts?$filter=name eq 'a b'");
        for bad in [
            "GET",
            "GET accounts",
            "GET accounts HTTP/2",
            "G@T accounts HTTP/1.1",
            "GET  HTTP/1.1",
        ] {
            assert!(request_line_parts(bad).is_err(), "{bad}");
        }
    }

    fn batch_of(boundary: &str, urls: &[String]) -> String {
        let mut body = String::new();
        for url in urls {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Type: application/http\r\n\r\nGET {url} HTTP/1.1\r\n\r\n\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        body
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 128,
            ..proptest::test_runner::Config::default()
        })]

        /// Any body and boundary: parts or a 400, never a panic.
        #[test]
        fn arbitrary_bodies_are_ok_or_a_400(
            boundary in "[ -~]{0,12}",
            body in "((--[a-z_]{0,6}(--)?|Content-Type: (application/http|multipart/mixed; boundary=[a-z_]{1,6})|(GET|POST|PATCH) [ -~]{0,20}( HTTP/1.1)?|[ -~]{0,20})(\r\n|\n)){0,24}|\\PC{0,80}",
        ) {
            let content_type = format!("multipart/mixed; boundary={boundary}");
            if let Err(error) = parse_batch(&content_type, body.as_bytes()) {
                proptest::prop_assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
            }
        }

        /// URLs with spaces survive the round trip through a request line.
        #[test]
        fn urls_with_spaces_round_trip(
            boundary in "[a-zA-Z0-9_]{1,20}",
            urls in proptest::collection::vec("[a-z]{1,8}\\?\\$filter=[ -~&&[^\r\n]]{0,30}[!-~]", 1..6),
        ) {
            let items = parse_batch(
                &format!("multipart/mixed; boundary={boundary}"),
                batch_of(&boundary, &urls).as_bytes(),
            ).expect("a well-formed batch parses");
            let targets: Vec<String> = items
                .into_iter()
                .map(|item| match item {
                    BatchItem::Single(part) => part.target,
                    BatchItem::ChangeSet(_) => String::new(),
                })
                .collect();
            proptest::prop_assert_eq!(targets, urls);
        }
    }
}

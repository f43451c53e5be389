//! Running a `$batch`: parts in order through [`dispatch`](super::dispatch); change sets in one
//! transaction (rolled back when a part fails); `Content-ID` references (`$1`) in URLs and in
//! `@odata.bind` / `@odata.id` values; stop at the first failure (overall 400) unless
//! `Prefer: odata.continue-on-error` (overall 200, each part with its own status).

use std::collections::HashMap;

use axum::http::{HeaderName, StatusCode};
use serde_json::Value;

use super::dispatch;
use crate::dataverse::batch_multipart::{
    AnswerItem, AnswerPart, BatchItem, BatchPart, write_batch,
};
use crate::dataverse::budget::run_within_budget;
use crate::dataverse::env::Env;
use crate::dataverse::errors::ApiError;
use crate::dataverse::odata::query_string::QueryString;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::{ApiBody, ApiRequest, ApiResponse};

/// Runs the parsed batch and writes the multipart answer.
pub(crate) fn run_batch(
    store: &mut DataverseStore,
    env: &Env,
    items: &[BatchItem],
    continue_on_error: bool,
) -> ApiResponse {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut answers = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        match item {
            BatchItem::Single(part) => {
                let answer = run_part(store, env, part, &mut ids);
                let ok = answer.1.is_success();
                answers.push(AnswerItem::Single(answer));
                if !ok && !continue_on_error {
                    failed = true;
                    break;
                }
            }
            BatchItem::ChangeSet(parts) => {
                let outermost = store.data.begin();
                let mut done: Vec<AnswerPart> = Vec::with_capacity(parts.len());
                let mut added: Vec<String> = Vec::new();
                let mut failure = None;
                for part in parts {
                    let before = ids.len();
                    let answer = run_part(store, env, part, &mut ids);
                    if ids.len() > before
                        && let Some(id) = &part.content_id
                    {
                        added.push(id.clone());
                    }
                    if answer.1.is_success() {
                        done.push(answer);
                    } else {
                        failure = Some(answer);
                        break;
                    }
                }
                match failure {
                    Some(answer) => {
                        if outermost {
                            store.data.rollback(&store.catalog);
                        }
                        for id in added {
                            ids.remove(&id);
                        }
                        answers.push(AnswerItem::Single(answer));
                        if !continue_on_error {
                            failed = true;
                            break;
                        }
                    }
                    None => {
                        if outermost {
                            store.data.commit();
                        }
                        answers.push(AnswerItem::ChangeSet(done));
                    }
                }
            }
        }
    }
    let (boundary, bytes) = write_batch(&answers);
    ApiResponse {
        status: if failed {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        headers: Vec::new(),
        body: ApiBody::Multipart { boundary, bytes },
    }
}

/// Runs one part; records its `Content-ID` → entity URL when it created or upserted a row.
/// The whole batch shares one evaluation budget (it holds the rows' lock throughout): the part
/// that spends the last of it, and every part after it, is answered with the budget's error.
fn run_part(
    store: &mut DataverseStore,
    env: &Env,
    part: &BatchPart,
    ids: &mut HashMap<String, String>,
) -> AnswerPart {
    let response = match request_of(env, part, ids) {
        Ok((request, version)) => {
            let env = Env {
                version,
                ..env.clone()
            };
            let mut response = run_within_budget(store, |store| dispatch(store, &env, &request));
            if let Some(entity) = response.header("odata-entityid").map(str::to_owned) {
                if let Some(id) = &part.content_id {
                    ids.insert(id.clone(), entity.clone());
                }
                if response.header("location").is_none() {
                    response = response.with_header(HeaderName::from_static("location"), entity);
                }
            }
            response
        }
        Err(error) => ApiResponse::from(error),
    };
    let response = if response.is_success() {
        response
    } else {
        response.with_header(
            HeaderName::from_static("req_id"),
            uuid::Uuid::new_v4().to_string(),
        )
    };
    (part.content_id.clone(), response)
}

/// The missing-reference error.
fn unknown_reference(reference: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Content-ID Reference: '{reference}' does not exist in the batch context."
    ))
}

/// Replaces a leading `$id` reference; `None` when `text` is not a reference.
fn substitute(text: &str, ids: &HashMap<String, String>) -> Option<Result<String, ApiError>> {
    let rest = text.strip_prefix('$')?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (name, tail) = rest.split_at(end);
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    if !ids.contains_key(name) && !name.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(
        ids.get(name)
            .map(|url| format!("{url}{tail}"))
            .ok_or_else(|| unknown_reference(&format!("${name}"))),
    )
}

fn substitute_body(value: &mut Value, ids: &HashMap<String, String>) -> Result<(), ApiError> {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if (key.ends_with("@odata.bind") || key == "@odata.id")
                    && let Value::String(text) = item
                    && let Some(result) = substitute(text, ids)
                {
                    *text = result?;
                } else if key.ends_with("@odata.bind")
                    && let Value::Array(list) = item
                {
                    for entry in list.iter_mut() {
                        if let Value::String(text) = entry
                            && let Some(result) = substitute(text, ids)
                        {
                            *text = result?;
                        }
                    }
                } else {
                    substitute_body(item, ids)?;
                }
            }
        }
        Value::Array(list) => {
            for entry in list {
                substitute_body(entry, ids)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The part as a request: references resolved, the path after `/api/data/{version}/`.
fn request_of(
    env: &Env,
    part: &BatchPart,
    ids: &HashMap<String, String>,
) -> Result<(ApiRequest, String), ApiError> {
    let target = match substitute(&part.target, ids) {
        Some(result) => result?,
        None => part.target.clone(),
    };
    let (version, relative) = match target.find("/api/data/") {
        Some(at) => {
            let rest = &target[at + "/api/data/".len()..];
            let (version, path) = rest.split_once('/').unwrap_or((rest, ""));
            (version.to_owned(), path.to_owned())
        }
        None => (
            env.version.clone(),
            target.trim_start_matches('/').to_owned(),
        ),
    };
    if !super::super::is_supported_version(&version) {
        return Err(ApiError::segment_not_found(&version));
    }
    let (path, query) = match relative.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (relative, None),
    };
    let mut body = part.body.clone();
    if !body.is_empty()
        && let Ok(mut json) = serde_json::from_slice::<Value>(&body)
    {
        substitute_body(&mut json, ids)?;
        body = serde_json::to_vec(&json).unwrap_or(body);
    }
    Ok((
        ApiRequest {
            method: part.method.clone(),
            path,
            query: QueryString::parse(query.as_deref()),
            headers: part.headers.clone(),
            body: body.into(),
        },
        version,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_or_fail() {
        let mut ids = HashMap::new();
        ids.insert(
            "1".to_owned(),
            "http://x/api/data/v9.2/accounts(1)".to_owned(),
        );
        assert_eq!(
            substitute("$1/primarycontactid/$ref", &ids).map(Result::ok),
            Some(Some(
                "http://x/api/data/v9.2/accounts(1)/primarycontactid/$ref".to_owned()
            ))
        );
        let error = substitute("$2", &ids)
            .and_then(Result::err)
            .expect("unknown");
        assert_eq!(
            error.message,
            "Content-ID Reference: '$2' does not exist in the batch context."
        );
        assert!(substitute("$batch", &ids).is_none());
        assert!(substitute("accounts", &ids).is_none());
    }
}

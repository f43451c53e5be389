//! The device-login page (`{base}devicelogin`, the `verification_uri`): a small form where a
//! person enters the user code and a seeded user's credentials to approve a device-code sign-in.
//! Tests approve with [`Seeder::approve_device_code`](crate::Seeder::approve_device_code) instead.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::error::html_escape;
use super::params::Params;
use crate::grants::DeviceDecision;
use crate::state::Shared;

/// `GET /devicelogin[?otc=CODE]`: the form.
pub(super) async fn page(RawQuery(query): RawQuery) -> Response {
    let params = Params::from_query(query.as_deref());
    let code = params.get("otc").unwrap_or_default();
    Html(layout(&format!(
        "<form method=\"POST\">\
         <p><label>Code <input name=\"user_code\" value=\"{}\" autofocus></label></p>\
         <p><label>User name <input name=\"username\"></label></p>\
         <p><label>Password <input name=\"password\" type=\"password\"></label></p>\
         <p><button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button> \
         <button type=\"submit\" name=\"decision\" value=\"decline\">Decline</button></p></form>",
        html_escape(code)
    )))
    .into_response()
}

/// `POST /devicelogin`: approves (after checking the password) or declines the code.
pub(super) async fn submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let params = Params::from_form(&body);
    match decide(&shared, &params) {
        Ok(message) => Html(layout(&format!("<p>{}</p>", html_escape(message)))).into_response(),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Html(layout(&format!(
                "<p>{}</p><p><a href=\"devicelogin\">Try again</a></p>",
                html_escape(message)
            ))),
        )
            .into_response(),
    }
}

fn decide(shared: &Shared, params: &Params) -> Result<&'static str, &'static str> {
    let user_code = params
        .get("user_code")
        .ok_or("Enter the code shown on your device.")?;
    let now = shared.clock.now();
    let mut store = shared.lock();
    let store = &mut *store;
    let grant = store
        .grants
        .find_user_code(user_code)
        .filter(|grant| grant.expires_at > now)
        .ok_or("That code is not valid or has expired.")?;
    if params.get("decision") == Some("decline") {
        grant.decision = DeviceDecision::Declined;
        return Ok("Sign-in declined. You can close this window.");
    }
    let tenant = store
        .directory
        .tenant(grant.tenant_id)
        .ok_or("That code is not valid or has expired.")?;
    let user = params
        .get("username")
        .and_then(|upn| tenant.user_by_upn(upn))
        .filter(|user| Some(user.password.as_str()) == params.get("password"))
        .ok_or("Your account or password is incorrect.")?;
    grant.decision = DeviceDecision::Approved(user.object_id);
    Ok("You have signed in. You can close this window and return to your device.")
}

fn layout(content: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>Enter code - dynamics-emulator</title></head>\
         <body><h1>Enter code</h1>{content}</body></html>"
    )
}

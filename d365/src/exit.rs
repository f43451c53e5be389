//! Exit codes scripts can rely on, and the mapping from every error to one line that says
//! what went wrong and what to fix.

use std::fmt;

use dynamics_auth::{AuthError, EntraErrorKind};
use dynamics_http::HttpError;
use online_mgmt_api::AdminError;
use serde::Serialize;

use crate::config::{ConfigError, ConfigErrorKind};
use crate::signin::SignInInfo;

/// The message shown for 401/403 answers of the admin APIs.
pub(crate) const NOT_ADMIN: &str =
    "the signed-in account needs the Global or Service administrator role";

/// What kind of failure ended the run; each has a fixed exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ExitKind {
    /// 2: a bad flag, a missing or malformed setting, an invalid GUID, an unreadable file.
    Usage,
    /// 3: signing in failed.
    SignIn,
    /// 4: the service answered 401 or 403.
    NotAuthorized,
    /// 5: the application, instance, environment or operation does not exist.
    NotFound,
    /// 6: the service failed, or the operation failed or timed out.
    Service,
    /// 7: throttled, after the retries.
    Throttled,
}

impl ExitKind {
    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            ExitKind::Usage => 2,
            ExitKind::SignIn => 3,
            ExitKind::NotAuthorized => 4,
            ExitKind::NotFound => 5,
            ExitKind::Service => 6,
            ExitKind::Throttled => 7,
        }
    }
}

/// A failed run: the kind (exit code), what happened, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    kind: ExitKind,
    message: String,
    fix: Option<String>,
}

impl Failure {
    /// A failure of this kind.
    pub(crate) fn new(kind: ExitKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: one_line(&message.into()),
            fix: None,
        }
    }

    /// A usage or configuration error (exit code 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure::new(ExitKind::Usage, message)
    }

    /// A configuration error (exit code 2), with what to do for its kind.
    pub(crate) fn config(error: ConfigError) -> Self {
        let fix = error.fix.unwrap_or_else(|| config_fix(&error.kind));
        Failure::usage(error.message).with_fix(fix)
    }

    /// A command-line parse error of clap (exit code 2): its first line is the message, its
    /// tip (a similar name, `--` before a value) the fix, else `--help`.
    pub(crate) fn command_line(error: &clap::Error) -> Self {
        use clap::error::ErrorKind;
        let rendered = error.render().to_string();
        let lines: Vec<&str> = rendered.lines().map(str::trim).collect();
        let message = match error.kind() {
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                "a command is missing".to_owned()
            }
            _ => lines
                .iter()
                .find(|l| !l.is_empty())
                .map(|l| l.strip_prefix("error:").unwrap_or(l).trim().to_owned())
                .unwrap_or_else(|| "the command line is not valid".to_owned()),
        };
        let tips: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("tip:"))
            .map(str::trim)
            .collect();
        let fix = if let Some(where_to_find) = crate::cli_errors::guid_fix(error) {
            where_to_find.to_owned()
        } else if tips.is_empty() {
            "run `d365 --help` (or `d365 <command> --help`) to see the commands and flags"
                .to_owned()
        } else {
            tips.join("; ")
        };
        Failure::usage(message).with_fix(fix)
    }

    /// Adds what to do about it.
    pub(crate) fn with_fix(mut self, fix: impl Into<String>) -> Self {
        let fix = one_line(&fix.into());
        self.fix = (!fix.is_empty()).then_some(fix);
        self
    }

    /// The process exit code.
    pub(crate) fn exit_code(&self) -> u8 {
        self.kind.code()
    }

    /// The failure as JSON for `--json` (`{"error": {...}}`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": self.kind,
                "exit_code": self.exit_code(),
                "message": self.message,
                "fix": self.fix,
            }
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, ". To fix: {fix}")?;
        }
        Ok(())
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        Failure::config(error)
    }
}

/// What to do about a configuration error of this kind. The message says what is wrong and
/// where; this says how to go on.
fn config_fix(kind: &ConfigErrorKind) -> String {
    match kind {
        ConfigErrorKind::Unreadable | ConfigErrorKind::TooLarge { .. } => {
            "give the path of the CDSTestdriveUtility.exe.config or d365.toml file with --config \
             or D365_CONFIG"
                .to_owned()
        }
        ConfigErrorKind::Encoding(_) => {
            "save the file as UTF-8 (or UTF-16 with a byte-order mark)".to_owned()
        }
        ConfigErrorKind::Xml(_) => "fix the file: settings go in <configuration><appSettings> as \
             <add key=\"...\" value=\"...\"/>, as in the sample CDSTestdriveUtility.exe.config"
            .to_owned(),
        ConfigErrorKind::Toml(_) => {
            "fix the file: it holds lines like ServiceURL = \"EMEA\"".to_owned()
        }
        ConfigErrorKind::SecretInFile { key } => format!(
            "remove {key} from the file and give it in the environment (`d365 --help` lists \
             the variables)"
        ),
        ConfigErrorKind::Missing => "set it in the config file, the environment or with its \
             flag (`d365 --help` lists them)"
            .to_owned(),
        ConfigErrorKind::InvalidValue => {
            "correct the value where the message says it comes from; `d365 config show` lists \
             every setting and its source"
                .to_owned()
        }
    }
}

/// Collapses line breaks so every failure prints as one line, and a sentence's full stop
/// doubled by joining texts (`failed.. To fix`, `failed.)`) into one; an ellipsis (`...`) and
/// paths (`../x`) stay as they are.
fn one_line(text: &str) -> String {
    let joined = text
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let chars: Vec<char> = joined.chars().collect();
    let mut out = String::with_capacity(joined.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|&&c| c == '.').count();
        if run == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let next = chars.get(i + run).copied();
        let ends_sentence = next.is_none_or(|c| c.is_whitespace() || c == ')');
        if run == 2 && ends_sentence {
            out.push('.');
        } else {
            out.extend(std::iter::repeat_n('.', run));
        }
        i += run;
    }
    out.trim_end_matches('.').to_owned()
}

/// What the command was doing, so that errors can name the right thing to check.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// How the tool signed in (for the admin-consent URL and client id).
    pub(crate) sign_in: Option<SignInInfo>,
    /// The admin service, as configured (`ServiceURL` value and source).
    pub(crate) service: Option<String>,
    /// What a 404 means here ("environment 1b2c... for user ...").
    pub(crate) not_found: Option<(String, String)>,
}

/// Maps an admin API error.
pub(crate) fn from_admin(error: &AdminError, ctx: &Context) -> Failure {
    let not_licensed = error.is_user_not_licensed()
        || error
            .service_code()
            .is_some_and(|c| c.eq_ignore_ascii_case("UserNotLicensed"));
    if not_licensed {
        return Failure::new(ExitKind::Service, error.to_string()).with_fix(
            "the user has no Dynamics 365 license in this environment yet: assign one, wait a \
             few minutes for it to reach the environment, and run the command again",
        );
    }
    match error {
        AdminError::Http(http) => from_http(http, ctx),
        AdminError::InvalidInput { .. } | AdminError::NoAdminHost { .. } => {
            with_hint(Failure::usage(error.to_string()), error.hint())
        }
        AdminError::NotSupported { .. } => {
            with_hint(Failure::usage(error.to_string()), error.hint())
        }
        AdminError::NotRegistered { application_id, .. } => Failure::new(
            ExitKind::NotFound,
            format!("application {application_id} is not registered"),
        )
        .with_fix(
            "check AadApplicationId (--app-id); `d365 apps list` shows the registered applications",
        ),
        AdminError::PollTimeout { .. } => with_hint(
            Failure::new(ExitKind::Service, error.to_string()),
            error.hint(),
        )
        .with_fix(
            "the operation may still finish: follow it with `d365 operations wait <operation id>`, \
             or give it longer with --timeout-secs",
        ),
        _ => {
            let kind = if error.is_not_found() {
                ExitKind::NotFound
            } else if error.is_forbidden() || error.is_unauthorized() {
                ExitKind::NotAuthorized
            } else if error.is_throttled() {
                ExitKind::Throttled
            } else {
                ExitKind::Service
            };
            with_hint(Failure::new(kind, error.to_string()), error.hint())
        }
    }
}

fn with_hint(failure: Failure, hint: Option<String>) -> Failure {
    match hint {
        Some(h) => failure.with_fix(h),
        None => failure,
    }
}

/// Maps an error of the HTTP pipeline.
pub(crate) fn from_http(error: &HttpError, ctx: &Context) -> Failure {
    match error {
        HttpError::Credential { auth, message, .. } => match auth {
            Some(auth) => from_auth(auth, ctx),
            None => Failure::new(ExitKind::SignIn, format!("sign-in failed: {message}")),
        },
        HttpError::Status(status) => {
            let said = match (&status.code, &status.message) {
                (Some(code), Some(m)) => format!(" ({code}: {m})"),
                (None, Some(m)) => format!(" ({m})"),
                (Some(code), None) => format!(" ({code})"),
                (None, None) => String::new(),
            };
            let what = format!(
                "{} {} answered {}{said}",
                status.method, status.url, status.status
            );
            match status.status {
                401 | 403 => {
                    let app_only = ctx.sign_in.as_ref().filter(|s| s.method.is_app_only());
                    let fix = match app_only {
                        Some(s) => format!(
                            "the application {} must be registered as a management application \
                             first: run `d365 apps register --app-id {}` signed in as a Global \
                             or Service administrator",
                            s.client_id, s.client_id
                        ),
                        None if status.status == 401 => "sign in with a Global or Service \
                                                         administrator; also check that \
                                                         ServiceURL is the right region and that \
                                                         you signed in to the right tenant"
                            .to_owned(),
                        None => "sign in with an account that holds the Global or Service \
                                 administrator role (Microsoft 365 admin center > Roles), or ask \
                                 an administrator to assign it"
                            .to_owned(),
                    };
                    // The message says what is missing (unless the service said it), the fix
                    // how to get it.
                    let what = if app_only.is_none()
                        && !what.to_ascii_lowercase().contains("administrator")
                    {
                        format!("{what}: {NOT_ADMIN}")
                    } else {
                        what
                    };
                    Failure::new(ExitKind::NotAuthorized, what).with_fix(fix)
                }
                404 => {
                    let (thing, fix) = ctx.not_found.clone().unwrap_or_else(|| {
                        (
                            "the item".to_owned(),
                            "check the id and ServiceURL (instances live in one region)".to_owned(),
                        )
                    });
                    Failure::new(
                        ExitKind::NotFound,
                        format!("{thing} was not found ({what})"),
                    )
                    .with_fix(fix)
                }
                429 => Failure::new(ExitKind::Throttled, what).with_fix(
                    "the service is throttling requests; wait a few minutes and run the \
                     command again",
                ),
                _ => with_hint(Failure::new(ExitKind::Service, what), status.hint.clone()),
            }
        }
        HttpError::Transport { .. } | HttpError::OperationTimeout { .. } => {
            let service = ctx
                .service
                .as_deref()
                .map(|s| format!("check ServiceURL ({s}) and the network connection"))
                .unwrap_or_else(|| "check ServiceURL and the network connection".to_owned());
            Failure::new(ExitKind::Service, error.to_string()).with_fix(service)
        }
        HttpError::ForeignHost { .. } | HttpError::InvalidRequest(_) => Failure::usage(
            error.to_string(),
        )
        .with_fix("use the https admin service URL (plain http is only allowed to 127.0.0.1)"),
        _ => with_hint(
            Failure::new(ExitKind::Service, error.to_string()),
            error.hint(),
        ),
    }
}

/// Maps a sign-in error (exit code 3), with the fixes this tool knows best.
pub(crate) fn from_auth(error: &AuthError, ctx: &Context) -> Failure {
    let Some(entra) = error.entra() else {
        let failure = match error {
            AuthError::InvalidConfig { .. } | AuthError::Certificate(_) => {
                return crate::signin::auth_config_failure(error);
            }
            // Unreachable is unreachable, whichever host it is: the exit code of a service
            // that could not be reached (6).
            AuthError::Transport { .. } => Failure::new(ExitKind::Service, error.to_string())
                .with_fix("check --authority-host / AadAuthority and the network connection"),
            _ => Failure::new(ExitKind::SignIn, format!("sign-in failed: {error}")),
        };
        return with_hint(failure, error.hint());
    };
    let mut message = format!("sign-in failed ({}", entra.error);
    if let Some(code) = entra.aadsts() {
        message.push_str(&format!(", AADSTS{code}"));
    }
    let description = entra
        .aadsts()
        .and_then(|code| entra.description.strip_prefix(&format!("AADSTS{code}: ")))
        .unwrap_or(&entra.description);
    message.push_str(&format!("): {description}"));
    let client = ctx
        .sign_in
        .as_ref()
        .map(|s| s.client_id.to_string())
        .unwrap_or_default();
    let fix = match entra.kind() {
        EntraErrorKind::MfaRequired | EntraErrorKind::MfaEnrollmentRequired => Some(
            "this account needs multi-factor authentication, which the password sign-in cannot \
             do: use --device-code"
                .to_owned(),
        ),
        EntraErrorKind::ConsentRequired => {
            let url = entra
                .admin_consent_url
                .clone()
                .or_else(|| ctx.sign_in.as_ref().map(SignInInfo::admin_consent_url));
            Some(match url {
                Some(url) => format!(
                    "the application {client} has no consent in this tenant: an administrator \
                     must grant it at {url}"
                ),
                None => "the application has no consent in this tenant: ask an administrator \
                         to grant it"
                    .to_owned(),
            })
        }
        EntraErrorKind::InvalidUsernameOrPassword => Some(
            "check the user name and password (typed at the prompt, piped on stdin, or \
             D365_PASSWORD)"
                .to_owned(),
        ),
        EntraErrorKind::UserNotFound => Some(
            "no such user in this tenant: check the user name (--username / D365_USERNAME) and \
             the tenant (AadAuthority / AadAppTenantId)"
                .to_owned(),
        ),
        EntraErrorKind::ApplicationNotFound => Some(format!(
            "the client id {client} is not known in this tenant: check --client-id / \
             D365_CLIENT_ID and the tenant"
        )),
        EntraErrorKind::ResourceNotFound => Some(
            "the admin API is not known in this tenant: check ServiceURL (region) and the \
             tenant, or pass --resource"
                .to_owned(),
        ),
        _ => entra.hint(),
    };
    with_hint(Failure::new(ExitKind::SignIn, message), fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamics_auth::EntraError;

    fn entra(code: u32) -> AuthError {
        let body = format!(
            r#"{{"error":"invalid_grant","error_description":"AADSTS{code}: something.\r\nTrace ID: x","error_codes":[{code}]}}"#
        );
        AuthError::Entra(Box::new(
            EntraError::parse(400, body.as_bytes()).expect("entra error"),
        ))
    }

    #[test]
    fn exit_codes_are_fixed() {
        let codes: Vec<u8> = [
            ExitKind::Usage,
            ExitKind::SignIn,
            ExitKind::NotAuthorized,
            ExitKind::NotFound,
            ExitKind::Service,
            ExitKind::Throttled,
        ]
        .map(ExitKind::code)
        .to_vec();
        assert_eq!(codes, vec![2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn failures_print_on_one_line() {
        let f = Failure::usage("first\r\nsecond.").with_fix("do\nthis");
        assert_eq!(f.to_string(), "first second. To fix: do this");
        assert_eq!(f.to_json()["error"]["exit_code"], 2);
        assert_eq!(f.to_json()["error"]["kind"], "usage");
    }

    #[test]
    fn mfa_points_to_the_device_code() {
        let f = from_auth(&entra(50076), &Context::default());
        assert_eq!(f.exit_code(), 3);
        assert!(f.to_string().contains("--device-code"), "{f}");
        assert!(f.to_string().contains("AADSTS50076"), "{f}");
    }

    #[test]
    fn wrong_password_and_missing_consent_say_what_to_do() {
        let f = from_auth(&entra(50126), &Context::default());
        assert_eq!(f.exit_code(), 3);
        assert!(
            f.to_string().contains("check the user name and password"),
            "{f}"
        );
        let sign_in = SignInInfo {
            authority: dynamics_auth::Authority::new(
                dynamics_auth::Cloud::Public,
                "contoso.onmicrosoft.com",
            )
            .expect("authority"),
            client_id: crate::config::DEFAULT_PUBLIC_CLIENT_ID,
            method: crate::signin::Method::Password,
        };
        let ctx = Context {
            sign_in: Some(sign_in),
            ..Context::default()
        };
        let f = from_auth(&entra(65001), &ctx);
        assert!(
            f.to_string().contains(
                "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=1950a258"
            ),
            "{f}"
        );
    }

    #[test]
    fn configuration_problems_in_sign_in_are_usage_errors() {
        let f = from_auth(
            &AuthError::Certificate("no key".into()),
            &Context::default(),
        );
        assert_eq!(f.exit_code(), 2);
    }

    fn status(code: u16, body: &str) -> HttpError {
        dynamics_http::status_error(&dynamics_http::HttpResponse::new(
            dynamics_http::Method::Get,
            url::Url::parse("https://admin.services.crm4.dynamics.com/api/v1.2/Instances")
                .expect("url"),
            code,
            vec![("content-type".into(), "application/json".into())],
            body.as_bytes().to_vec(),
        ))
    }

    #[test]
    fn statuses_map_to_exit_codes() {
        let ctx = Context {
            not_found: Some((
                "instance 1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b".into(),
                "check ServiceURL".into(),
            )),
            ..Context::default()
        };
        let cases = [(401, 4), (403, 4), (404, 5), (429, 7), (500, 6), (400, 6)];
        for (code, exit) in cases {
            let f = from_http(
                &status(code, r#"{"error":{"code":"X","message":"m"}}"#),
                &ctx,
            );
            assert_eq!(f.exit_code(), exit, "{code}: {f}");
        }
        let f = from_http(&status(403, "{}"), &ctx);
        assert!(f.to_string().contains(NOT_ADMIN), "{f}");
        // The fix says how to get the role; it does not repeat the message.
        let (message, fix) = f
            .to_string()
            .split_once(". To fix: ")
            .map(|(m, x)| (m.to_owned(), x.to_owned()))
            .expect("fix");
        assert!(
            message.contains(NOT_ADMIN) && !fix.contains(NOT_ADMIN),
            "{f}"
        );
        let f = from_http(&status(404, "<html>nope</html>"), &ctx);
        assert!(
            f.to_string()
                .starts_with("instance 1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b was not found"),
            "{f}"
        );
        let f = from_admin(&AdminError::Http(status(403, "{}")), &ctx);
        assert_eq!(f.exit_code(), 4);
    }

    #[test]
    fn credential_errors_inside_http_errors_are_sign_in_failures() {
        let http = HttpError::Credential {
            url: "https://admin.services.crm.dynamics.com/api/v1.2/Instances".into(),
            message: "refused".into(),
            auth: Some(Box::new(entra(50126))),
        };
        assert_eq!(from_http(&http, &Context::default()).exit_code(), 3);
        let transport = HttpError::Transport {
            method: dynamics_http::Method::Get,
            url: "https://admin.services.crm4.dynamics.com/api/aad/challenge".into(),
            message: "dns error".into(),
            connect: true,
            timed_out: false,
        };
        let f = from_http(
            &transport,
            &Context {
                service: Some("EMEA".into()),
                ..Context::default()
            },
        );
        assert_eq!(f.exit_code(), 6);
        assert!(f.to_string().contains("ServiceURL (EMEA)"), "{f}");
    }

    /// Every config-file failure says what to do once: its message holds no advice that the
    /// fix repeats.
    #[test]
    fn config_file_failures_carry_one_fix() {
        let dir = std::env::temp_dir().join(format!("d365-one-fix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cases = [
            ("missing.config", None),
            (
                "dtd.config",
                Some("<!DOCTYPE x [<!ENTITY a \"b\">]><configuration/>"),
            ),
            ("bad.config", Some("<configuration><appSettings>")),
            ("bad.toml", Some("ServiceURL = ")),
            ("secret.toml", Some("ClientSecret = \"s3cr3t\"\n")),
        ];
        for (name, content) in cases {
            let path = dir.join(name);
            if let Some(content) = content {
                std::fs::write(&path, content).expect("write");
            }
            let error = crate::config::read_file(&path).expect_err(name);
            let shown = Failure::from(error).to_string();
            assert_eq!(shown.matches("To fix").count(), 1, "{shown}");
            let (message, fix) = shown.split_once(". To fix: ").expect("a fix");
            for advice in ["fix the file", "check the path", "remove ", "check that"] {
                assert!(
                    !(message.contains(advice) && fix.contains(advice)),
                    "{advice:?} twice in {shown}"
                );
            }
            assert!(!shown.replace("...", "").contains(".."), "{shown}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_file_without_permission_says_so_instead_of_check_the_path() {
        let error = crate::config::unreadable(
            "/etc/app.config",
            &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        let shown = Failure::from(error).to_string();
        assert!(shown.contains("permission denied"), "{shown}");
        assert!(!shown.contains("check the path"), "{shown}");
    }

    #[test]
    fn doubled_full_stops_are_collapsed_but_ellipses_and_paths_stay() {
        let f = Failure::usage("it failed..").with_fix("use ../a.config, or wait...");
        assert_eq!(f.to_string(), "it failed. To fix: use ../a.config, or wait");
        let f = Failure::usage("the service said (Forbidden.. ) then.. more");
        assert_eq!(f.to_string(), "the service said (Forbidden. ) then. more");
        assert_eq!(
            Failure::usage("waiting... done").to_string(),
            "waiting... done"
        );
    }
}

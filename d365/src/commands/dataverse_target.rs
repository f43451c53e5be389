//! Which Dataverse org a command acts on (`--org-url`, or `--environment` looked up in the
//! Online Management API's instance list), signing in for it, and mapping the Web API's
//! errors to exit codes. Shared by every command that works inside an org.

use std::sync::Arc;

use clap::Args;
use dataverse_webapi::{ClientOptions, DataverseClient, DataverseError};
use dynamics_auth::{TokenCredential, secure_url};
use dynamics_http::PipelineOptions;
use online_mgmt_api::Instance;
use uuid::Uuid;

use crate::cli::GlobalArgs;
use crate::config::{Backend, Settings};
use crate::exit::{self, Context, ExitKind, Failure};
use crate::session;
use crate::signin::{self, EmulatorUser, SignInRequest, StdinPrompter};

/// `--org-url` or `--environment`: the org to act on.
#[derive(Debug, Clone, Args)]
pub(crate) struct DataverseTargetArgs {
    /// The Dataverse org (environment) URL, e.g. `https://contoso.crm4.dynamics.com` (with
    /// --emulator and neither this nor --environment: the emulator's org)
    #[arg(long, value_name = "URL", conflicts_with = "environment")]
    pub(crate) org_url: Option<String>,

    /// The environment instead of its URL: its instance id, unique name or friendly name,
    /// looked up with the Online Management API in the region of ServiceURL
    #[arg(long, value_name = "ID|NAME")]
    pub(crate) environment: Option<String>,
}

/// The org as the flags name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrgChoice {
    /// Its URL, checked.
    Url(String),
    /// An environment to look up.
    Environment(String),
}

impl DataverseTargetArgs {
    /// The choice, checked without any network: a URL must be https (http only to loopback).
    /// `default` is used when neither flag is given.
    pub(crate) fn choice(&self, default: Option<&str>) -> Result<OrgChoice, Failure> {
        let org_url = self.org_url.as_deref().or(match &self.environment {
            Some(_) => None,
            None => default,
        });
        match (org_url, &self.environment) {
            (Some(url), _) => {
                let parsed =
                    secure_url::parse_secure_url("--org-url", url.trim()).map_err(|e| {
                        Failure::usage(format!(
                            "--org-url `{}` cannot be used: {e}",
                            secure_url::redact(url)
                        ))
                        .with_fix(
                            "give the org's https URL, such as https://contoso.crm4.dynamics.com \
                         (plain http only to 127.0.0.1)",
                        )
                    })?;
                Ok(OrgChoice::Url(parsed.origin().ascii_serialization()))
            }
            (None, Some(env)) if !env.trim().is_empty() => {
                Ok(OrgChoice::Environment(env.trim().to_owned()))
            }
            _ => Err(Failure::usage("no Dataverse org given").with_fix(
                "add --org-url https://<org>.crm<N>.dynamics.com, or --environment <instance \
                 id, unique name or friendly name> (see `d365 instances list`)",
            )),
        }
    }
}

/// The org URL of the instance `wanted` names: its id, unique name, friendly name or domain
/// name (case-insensitive). A name that several instances share is refused.
pub(crate) fn resolve_instance(instances: &[Instance], wanted: &str) -> Result<String, Failure> {
    let by_id = Uuid::parse_str(wanted).ok();
    let same = |v: &Option<String>| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(wanted));
    let matches: Vec<&Instance> = instances
        .iter()
        .filter(|i| {
            Some(i.id) == by_id
                || same(&i.unique_name)
                || same(&i.friendly_name)
                || same(&i.domain_name)
        })
        .collect();
    let describe = |i: &Instance| {
        format!(
            "{} ({})",
            i.friendly_name
                .as_deref()
                .or(i.unique_name.as_deref())
                .unwrap_or("-"),
            i.id
        )
    };
    match matches.as_slice() {
        [one] => one.application_url.clone().ok_or_else(|| {
            Failure::new(
                ExitKind::Service,
                format!("environment {} has no ApplicationUrl yet", describe(one)),
            )
            .with_fix("wait until the instance is ready, or give its URL with --org-url")
        }),
        [] => {
            let known: Vec<String> = instances.iter().map(describe).collect();
            Err(Failure::new(
                ExitKind::NotFound,
                format!("no environment named or numbered `{wanted}` in this region"),
            )
            .with_fix(if known.is_empty() {
                "check ServiceURL (the region), or give the org's URL with --org-url".to_owned()
            } else {
                format!(
                    "use one of: {} (or check ServiceURL, the region)",
                    known.join(", ")
                )
            }))
        }
        several => Err(Failure::usage(format!(
            "`{wanted}` names {} environments: {}",
            several.len(),
            several
                .iter()
                .map(|i| describe(i))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_fix("give the instance id instead")),
    }
}

/// What connecting needs from `run`.
pub(crate) struct OrgInputs<'a> {
    /// The global flags.
    pub(crate) global: &'a GlobalArgs,
    /// The merged settings.
    pub(crate) settings: &'a Settings,
    /// Environment lookup.
    pub(crate) env: &'a dyn Fn(&str) -> Option<String>,
    /// Set with `--emulator`.
    pub(crate) emulator_user: Option<EmulatorUser>,
    /// The org to use when the flags name none (the in-process emulator's, with `--emulator`).
    pub(crate) default_org: Option<String>,
}

/// A signed-in client for the org, and what errors should mention.
pub(crate) struct OrgSession {
    /// The Web API client.
    pub(crate) client: DataverseClient,
    /// What errors should mention.
    pub(crate) ctx: Context,
    /// The sign-in, for a command that also calls another service (Graph, the admin API).
    pub(crate) credential: Arc<dyn TokenCredential>,
}

/// Signs in and connects to the org the flags name (after `choice` has been checked).
pub(crate) async fn connect(
    choice: OrgChoice,
    inputs: OrgInputs<'_>,
) -> Result<OrgSession, Failure> {
    let OrgInputs {
        global,
        settings,
        env,
        emulator_user,
        default_org: _,
    } = inputs;
    let (credential, info) = tokio::task::block_in_place(|| {
        signin::credential(SignInRequest {
            args: &global.sign_in,
            settings,
            env,
            prompter: &mut StdinPrompter,
            emulator_user,
        })
    })?;
    let mut ctx = Context {
        sign_in: Some(info),
        service: crate::settings::describe_service(settings),
        not_found: None,
    };
    let org_url = match choice {
        OrgChoice::Url(url) => url,
        OrgChoice::Environment(wanted) => {
            org_of_environment(&wanted, settings, global, credential.clone(), &ctx).await?
        }
    };
    ctx.service = Some(format!("the org {org_url}"));
    let mut pipeline = PipelineOptions::default();
    if let Some(n) = global.max_retries {
        pipeline.retry.max_retries = n;
    }
    let client = DataverseClient::new(
        &org_url,
        credential.clone(),
        ClientOptions {
            pipeline,
            ..ClientOptions::default()
        },
    )
    .map_err(|e| from_dataverse(&e, &ctx))?;
    Ok(OrgSession {
        client,
        ctx,
        credential,
    })
}

async fn org_of_environment(
    wanted: &str,
    settings: &Settings,
    global: &GlobalArgs,
    credential: Arc<dyn TokenCredential>,
    ctx: &Context,
) -> Result<String, Failure> {
    if settings.backend().map_err(Failure::config)? == Backend::Bap {
        return Err(
            Failure::usage("--environment is looked up with the Online Management API")
                .with_fix("drop --backend bap, or give the org's URL with --org-url"),
        );
    }
    let target = session::target(settings, global.max_retries)?;
    let admin = session::connect(target, credential, ctx.clone()).await?;
    let instances = admin
        .oma("--environment")?
        .list_instances()
        .await
        .map_err(|e| exit::from_admin(&e, ctx))?;
    resolve_instance(&instances, wanted)
}

/// Maps a Web API error to a failure with an exit code and a fix.
pub(crate) fn from_dataverse(error: &DataverseError, ctx: &Context) -> Failure {
    match error {
        DataverseError::NotFound { what, fix } => {
            Failure::new(ExitKind::NotFound, format!("not found: {what}")).with_fix(fix.clone())
        }
        DataverseError::InvalidInput { .. } => Failure::usage(error.to_string()),
        DataverseError::Http(http) => match error.status() {
            Some(401 | 403) => Failure::new(ExitKind::NotAuthorized, error.to_string()).with_fix(
                "the signed-in user or application needs a security role in this org that \
                 grants the privilege the message names (System Administrator can do all of \
                 this); an application must also be an application user of the org",
            ),
            Some(404) => Failure::new(ExitKind::NotFound, error.to_string()).with_fix(
                ctx.not_found
                    .as_ref()
                    .map(|(_, fix)| fix.clone())
                    .unwrap_or_else(|| "check the ids and the org URL".to_owned()),
            ),
            _ => exit::from_http(http, ctx),
        },
        _ => Failure::new(ExitKind::Service, error.to_string())
            .with_fix("check the org URL and try again; --verbose shows each request"),
    }
}

/// The output could not be written.
pub(crate) fn io_failure(e: std::io::Error) -> Failure {
    Failure::new(ExitKind::Service, format!("cannot write the output: {e}"))
        .with_fix("check that standard output can be written (disk space, permissions)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instances() -> Vec<Instance> {
        serde_json::from_value(serde_json::json!([
            {"Id": "00000000-0000-4000-8000-000000000001", "UniqueName": "org1", "FriendlyName": "Contoso",
             "DomainName": "contoso", "ApplicationUrl": "https://contoso.crm4.dynamics.com/"},
            {"Id": "00000000-0000-4000-8000-000000000002", "UniqueName": "org2", "FriendlyName": "Twin"},
            {"Id": "00000000-0000-4000-8000-000000000003", "UniqueName": "org3", "FriendlyName": "twin",
             "ApplicationUrl": "https://twin.crm4.dynamics.com/"}
        ]))
        .expect("instances")
    }

    #[test]
    fn environments_resolve_by_id_unique_friendly_or_domain_name() {
        let all = instances();
        for wanted in ["00000000-0000-4000-8000-000000000001", "ORG1", "contoso"] {
            assert_eq!(
                resolve_instance(&all, wanted).expect("found"),
                "https://contoso.crm4.dynamics.com/"
            );
        }
        let ambiguous = resolve_instance(&all, "Twin").expect_err("two");
        assert_eq!(ambiguous.exit_code(), 2);
        assert!(ambiguous.to_string().contains("instance id"), "{ambiguous}");
        let missing = resolve_instance(&all, "nope").expect_err("none");
        assert_eq!(missing.exit_code(), 5);
        assert!(missing.to_string().contains("Contoso"), "{missing}");
        let not_ready = resolve_instance(&all, "org2").expect_err("no url");
        assert!(
            not_ready.to_string().contains("ApplicationUrl"),
            "{not_ready}"
        );
    }

    #[test]
    fn the_org_must_be_given_and_a_url_must_be_safe() {
        let args = |org: Option<&str>, env: Option<&str>| DataverseTargetArgs {
            org_url: org.map(str::to_owned),
            environment: env.map(str::to_owned),
        };
        assert_eq!(
            args(None, None).choice(None).expect_err("none").exit_code(),
            2
        );
        assert_eq!(
            args(
                Some("https://contoso.crm4.dynamics.com/api/data/v9.2"),
                None
            )
            .choice(None)
            .expect("ok"),
            OrgChoice::Url("https://contoso.crm4.dynamics.com".into())
        );
        let plain = args(Some("http://contoso.crm4.dynamics.com"), None)
            .choice(None)
            .expect_err("plain http");
        assert_eq!(plain.exit_code(), 2);
        let secret = args(
            Some("https://alice:hunter2@contoso.crm4.dynamics.com"),
            None,
        )
        .choice(None)
        .map(|c| format!("{c:?}"))
        .unwrap_or_else(|f| format!("{f} {f:?}"));
        assert!(!secret.contains("hunter2"), "{secret}");
        assert_eq!(
            args(None, Some(" Contoso "))
                .choice(Some("http://127.0.0.1:1"))
                .expect("env"),
            OrgChoice::Environment("Contoso".into())
        );
        assert_eq!(
            args(None, None)
                .choice(Some("http://127.0.0.1:7070"))
                .expect("default"),
            OrgChoice::Url("http://127.0.0.1:7070".into())
        );
    }

    #[test]
    fn web_api_errors_map_to_exit_codes() {
        let ctx = Context::default();
        let missing = DataverseError::NotFound {
            what: "a security role named 'X'".into(),
            fix: "check the name".into(),
        };
        let failure = from_dataverse(&missing, &ctx);
        assert_eq!(failure.exit_code(), 5);
        assert!(failure.to_string().contains("check the name"), "{failure}");
    }
}

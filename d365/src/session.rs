//! Connecting to the admin API chosen with `--backend`: the service endpoint from
//! `ServiceURL`, the credential from `signin`, and the client.

use std::sync::Arc;

use dynamics_auth::{Cloud, TokenCredential, secure_url};
use dynamics_http::PipelineOptions;
use online_mgmt_api::{
    AdminApi, AdminBackend, BapEndpoint, BapOptions, ClientOptions, OnlineManagementClient,
    PowerPlatformAdminClient, Region, ServiceEndpoint,
};
use url::Url;

use crate::config::{Backend, Key, Settings};
use crate::exit::{self, Context, Failure};

/// A connected admin API.
pub(crate) struct Session {
    /// The backend in use.
    pub(crate) backend: Backend,
    /// Application registration and force sync, on either backend.
    pub(crate) admin: AdminApi,
    /// The Online Management API client (instances, operations), with `--backend oma`.
    pub(crate) oma: Option<OnlineManagementClient>,
    /// What errors should mention.
    pub(crate) ctx: Context,
}

impl Session {
    /// The Online Management API client, or a usage error naming the command that needs it.
    pub(crate) fn oma(&self, command: &str) -> Result<&OnlineManagementClient, Failure> {
        self.oma.as_ref().ok_or_else(|| {
            Failure::usage(format!(
                "`{command}` uses the Online Management API, not the Power Platform admin API"
            ))
            .with_fix("drop --backend bap (or D365_BACKEND / Backend in the config file)")
        })
    }
}

/// The Online Management API endpoint from `ServiceURL` (required).
pub(crate) fn oma_endpoint(settings: &Settings) -> Result<ServiceEndpoint, Failure> {
    let Some(raw) = settings.get(Key::ServiceUrl) else {
        return Err(Failure::usage(format!(
            "ServiceURL is not set: it names the region of your Dynamics 365 instance ({})",
            region_names()
        ))
        .with_fix(format!("set {}", Key::ServiceUrl.how_to_set())));
    };
    let described = raw.source.describe(Key::ServiceUrl);
    let value = raw.value.trim();
    if !value.contains("://")
        && value.contains('.')
        && let Ok(url) = Url::parse(&format!("https://{value}"))
    {
        // `contoso.crm4.dynamics.com`, without the scheme.
        org_url_check(&url, value, &described)?;
    }
    let endpoint = ServiceEndpoint::parse(&raw.value).map_err(|e| {
        let failure = Failure::usage(format!(
            "{} is `{}`, which is neither a region nor an admin service URL",
            raw.source.describe(Key::ServiceUrl),
            secure_url::redact(&raw.value)
        ));
        match e {
            // A name: list every region with the names it goes by.
            online_mgmt_api::AdminError::InvalidInput { .. } if !raw.value.contains("://") => {
                failure.with_fix(format!(
                    "use a region name ({}) or an admin service URL such as \
                     https://admin.services.crm4.dynamics.com",
                    region_names()
                ))
            }
            // A URL: say what a good one looks like (the SDK's own text would repeat the
            // message).
            _ => failure.with_fix(
                "use an https:// admin service URL such as \
                 https://admin.services.crm4.dynamics.com (plain http only to 127.0.0.1), or a \
                 region name such as EMEA",
            ),
        }
    })?;
    if let ServiceEndpoint::Custom(url) = &endpoint {
        org_url_check(url, &raw.value, &described)?;
    }
    Ok(endpoint)
}

/// Refuses a Dataverse org (environment) URL given where the admin service URL belongs
/// (`https://contoso.crm4.dynamics.com` instead of `https://admin.services.crm4.dynamics.com`),
/// naming the right one. Other custom endpoints (an emulator, a proxy) pass.
fn org_url_check(url: &Url, value: &str, described: &str) -> Result<(), Failure> {
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.starts_with("admin.services.") || !host.ends_with(".dynamics.com") {
        return Ok(());
    }
    let what = format!(
        "{described} is `{}`, a Dataverse environment (org) URL, not an admin service URL",
        secure_url::redact(value)
    );
    match Region::from_dataverse_url(url.as_str()) {
        Ok(region) => Err(Failure::usage(what).with_fix(format!(
            "set ServiceURL to {} (the admin service of its region, {}), or to the region \
             name {}",
            region.service_url().as_str().trim_end_matches('/'),
            region.name(),
            region.crm_host_label()
        ))),
        Err(online_mgmt_api::AdminError::NoAdminHost { region_label }) => Err(Failure::usage(what)
            .with_fix(format!(
                "its region ({region_label}) has no Online Management API admin service: use \
                 --backend bap (the Power Platform admin API)"
            ))),
        Err(_) => Ok(()),
    }
}

/// Every region with the names `ServiceURL` accepts for it (case-insensitive; spaces,
/// dashes and underscores are ignored).
const REGION_ALIASES: [(Region, &[&str]); 11] = [
    (Region::NorthAmerica, &["NorthAmerica", "NA", "NAM", "crm"]),
    (Region::NorthAmerica2, &["NorthAmerica2", "NA2", "crm9"]),
    (Region::Emea, &["EMEA", "Europe", "EUR", "crm4"]),
    (Region::Apac, &["APAC", "AsiaPacific", "Asia", "crm5"]),
    (Region::Oceania, &["Oceania", "OCE", "Australia", "crm6"]),
    (Region::Japan, &["Japan", "JPN", "crm7"]),
    (
        Region::SouthAmerica,
        &["SouthAmerica", "SAM", "LATAM", "crm2"],
    ),
    (Region::India, &["India", "IND", "crm8"]),
    (Region::Canada, &["Canada", "CAN", "crm3"]),
    (
        Region::UnitedKingdom,
        &["UnitedKingdom", "UK", "GBR", "crm11"],
    ),
    (Region::France, &["France", "FRA", "crm12"]),
];

fn region_names() -> String {
    REGION_ALIASES
        .iter()
        .map(|(r, names)| format!("{}: {}", r.name(), names.join("/")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Power Platform admin API endpoint: the cloud's, unless `ServiceURL` is a URL that is
/// not an Online Management API region host (an emulator or a proxy).
pub(crate) fn bap_endpoint(settings: &Settings, cloud: Cloud) -> Result<BapEndpoint, Failure> {
    let custom = match settings.get(Key::ServiceUrl) {
        Some(raw) => match ServiceEndpoint::parse(&raw.value) {
            Ok(ServiceEndpoint::Custom(url)) => Some(url),
            Ok(_) => None,
            Err(_) => Some(Url::parse(raw.value.trim()).map_err(|e| {
                Failure::usage(format!(
                    "{} is `{}`, which is not a URL ({e})",
                    raw.source.describe(Key::ServiceUrl),
                    secure_url::redact(&raw.value)
                ))
                .with_fix(
                    "give a region name (the Power Platform admin API of the cloud is used) or \
                     the base URL of another endpoint such as http://127.0.0.1:7070",
                )
            })?),
        },
        None => None,
    };
    Ok(match custom {
        Some(base_url) => {
            let scope = match settings.text(Key::Resource) {
                Some(resource) => dynamics_auth::scopes::default_scope_for(resource),
                None => cloud.bap_scope().to_owned(),
            };
            BapEndpoint::Custom { base_url, scope }
        }
        None => BapEndpoint::Cloud(cloud),
    })
}

/// Where to connect, decided (and checked) before signing in.
pub(crate) enum Target {
    /// The Online Management API.
    Oma {
        /// The regional service.
        endpoint: ServiceEndpoint,
        /// The client's options (resource override).
        options: ClientOptions,
    },
    /// The Power Platform admin API.
    Bap {
        /// The cloud's API, or another base URL.
        endpoint: BapEndpoint,
        /// The client's options.
        options: BapOptions,
    },
}

/// Checks the backend and service settings and decides where to connect. `max_retries`
/// replaces the pipeline's default retry count.
pub(crate) fn target(settings: &Settings, max_retries: Option<u32>) -> Result<Target, Failure> {
    let mut pipeline = PipelineOptions::default();
    if let Some(n) = max_retries {
        pipeline.retry.max_retries = n;
    }
    match settings.backend().map_err(Failure::config)? {
        Backend::Oma => Ok(Target::Oma {
            endpoint: oma_endpoint(settings)?,
            options: ClientOptions {
                resource: settings.text(Key::Resource).map(str::to_owned),
                authority_host: explicit_authority_host(settings)?,
                pipeline,
                ..ClientOptions::default()
            },
        }),
        Backend::Bap => {
            let cloud = settings.cloud().map_err(Failure::config)?;
            Ok(Target::Bap {
                endpoint: bap_endpoint(settings, cloud)?,
                options: BapOptions {
                    pipeline,
                    ..BapOptions::default()
                },
            })
        }
    }
}

/// The authority host the user configured (`AuthorityHost`, or `AadAuthority`'s host), if
/// any. The service's challenge may then name another sign-in host (the emulator, a test
/// server); without it, discovery accepts only Microsoft Entra ID hosts.
fn explicit_authority_host(settings: &Settings) -> Result<Option<String>, Failure> {
    if settings.get(Key::AuthorityHost).is_none() && settings.get(Key::AadAuthority).is_none() {
        return Ok(None);
    }
    settings.authority_host().map(Some).map_err(Failure::config)
}

/// A challenge the service should not have sent: the service URL (or the resource) is what
/// the user must check, so it is a usage error, not a service failure.
fn from_discovery(error: &online_mgmt_api::AdminError, ctx: &Context) -> Failure {
    match error {
        online_mgmt_api::AdminError::UntrustedChallenge { .. } => {
            let failure = Failure::usage(error.to_string());
            match error.hint() {
                Some(hint) => failure.with_fix(hint),
                None => failure,
            }
        }
        other => exit::from_admin(other, ctx),
    }
}

/// Connects to the target with this credential.
pub(crate) async fn connect(
    target: Target,
    credential: Arc<dyn TokenCredential>,
    ctx: Context,
) -> Result<Session, Failure> {
    match target {
        Target::Oma {
            endpoint,
            mut options,
        } => {
            if options.resource.is_none() {
                // Ask the service which resource to sign in for. Failing to reach it is
                // reported as such, not as the sign-in error a guessed resource would cause.
                // The discovered resource has been checked against the service's origin and
                // its cloud's admin resources (`UntrustedChallenge` otherwise).
                let discovery = OnlineManagementClient::discover(&endpoint, &options)
                    .await
                    .map_err(|e| from_discovery(&e, &ctx))?;
                options.resource = discovery.resource;
            }
            let client = OnlineManagementClient::connect(endpoint, credential, options)
                .await
                .map_err(|e| from_discovery(&e, &ctx))?;
            Ok(Session {
                backend: Backend::Oma,
                admin: AdminApi::new(AdminBackend::OnlineManagement(client.clone())),
                oma: Some(client),
                ctx,
            })
        }
        Target::Bap { endpoint, options } => {
            let client = PowerPlatformAdminClient::new(endpoint, credential, options)
                .map_err(|e| exit::from_admin(&e, &ctx))?;
            Ok(Session {
                backend: Backend::Bap,
                admin: AdminApi::new(AdminBackend::PowerPlatform(client)),
                oma: None,
                ctx,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(values: Vec<(Key, &str)>) -> Settings {
        crate::config::flag_settings(values)
    }

    #[test]
    fn a_bad_service_url_has_a_fix_that_does_not_repeat_the_message() {
        for url in [
            "ftp://x",
            "https://",
            "http://admin.services.crm4.dynamics.com",
        ] {
            let s = settings(vec![(Key::ServiceUrl, url)]);
            let Err(failure) = oma_endpoint(&s) else {
                continue;
            };
            let text = failure.to_string();
            assert_eq!(text.matches("To fix").count(), 1, "{text}");
            let (_, fix) = text.split_once(". To fix: ").expect("a fix");
            assert!(!fix.contains("invalid"), "{text}");
            assert!(!fix.contains(&format!("`{url}")), "{text}");
        }
    }

    #[test]
    fn a_service_url_with_user_info_is_refused_without_echoing_it() {
        for url in [
            "https://alice:hunter2@admin.services.crm4.dynamics.com",
            "http://alice:hunter2@127.0.0.1:7070",
        ] {
            let s = settings(vec![(Key::ServiceUrl, url)]);
            let failure = oma_endpoint(&s).expect_err("refused");
            let text = format!("{failure} {failure:?}");
            assert!(
                !text.contains("hunter2") && !text.contains("alice"),
                "{text}"
            );
            let text = match bap_endpoint(&s, Cloud::Public) {
                Ok(BapEndpoint::Custom { base_url, .. }) => {
                    // Refused where it is used, without the password either.
                    let err = BapEndpoint::Custom {
                        base_url,
                        scope: "s".into(),
                    }
                    .base_url()
                    .expect_err("user info");
                    format!("{err} {err:?}")
                }
                Ok(_) => String::new(),
                Err(failure) => format!("{failure} {failure:?}"),
            };
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn every_listed_region_alias_is_accepted_and_every_region_is_listed() {
        for (region, names) in REGION_ALIASES {
            for name in names {
                assert_eq!(name.parse::<Region>().ok(), Some(region), "{name}");
            }
        }
        for region in Region::ALL {
            assert!(REGION_ALIASES.iter().any(|(r, _)| *r == region), "{region}");
        }
    }

    #[test]
    fn an_unknown_region_name_lists_the_accepted_aliases() {
        let s = settings(vec![(Key::ServiceUrl, "Europe West")]);
        let text = oma_endpoint(&s).expect_err("unknown").to_string();
        for alias in ["EMEA: EMEA/Europe/EUR/crm4", "UK", "crm11", "North America"] {
            assert!(text.contains(alias), "{alias}: {text}");
        }
        let text = oma_endpoint(&Settings::default())
            .expect_err("unset")
            .to_string();
        assert!(text.contains("Europe/EUR/crm4"), "{text}");
    }

    #[test]
    fn an_org_url_suggests_its_regions_admin_url() {
        for (org, admin) in [
            (
                "https://contoso.crm4.dynamics.com",
                "https://admin.services.crm4.dynamics.com",
            ),
            (
                "https://contoso.crm.dynamics.com/",
                "https://admin.services.crm.dynamics.com",
            ),
            (
                "contoso.crm6.dynamics.com",
                "https://admin.services.crm6.dynamics.com",
            ),
            (
                "https://contoso.api.crm11.dynamics.com/api/data/v9.2",
                "https://admin.services.crm11.dynamics.com",
            ),
        ] {
            let s = settings(vec![(Key::ServiceUrl, org)]);
            let failure = oma_endpoint(&s).expect_err("an org URL");
            assert_eq!(failure.exit_code(), 2);
            let text = failure.to_string();
            assert!(
                text.contains("environment (org) URL") && text.contains(admin),
                "{text}"
            );
        }
        let s = settings(vec![(
            Key::ServiceUrl,
            "https://contoso.crm21.dynamics.com",
        )]);
        let text = oma_endpoint(&s).expect_err("no admin host").to_string();
        assert!(text.contains("--backend bap"), "{text}");
        // Admin URLs, the emulator and proxies still pass.
        for ok in [
            "https://admin.services.crm4.dynamics.com",
            "https://admin.services.crm4.dynamics.com/",
            "http://127.0.0.1:7070",
            "https://proxy.example.com/admin",
            "crm4",
        ] {
            let s = settings(vec![(Key::ServiceUrl, ok)]);
            assert!(oma_endpoint(&s).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_configured_authority_host_reaches_discovery() {
        let s = settings(vec![
            (Key::ServiceUrl, "http://127.0.0.1:7070"),
            (Key::AuthorityHost, "http://127.0.0.1:7070"),
        ]);
        let Target::Oma { options, .. } = target(&s, None).expect("target") else {
            panic!("oma is the default backend");
        };
        assert_eq!(
            options.authority_host.as_deref(),
            Some("http://127.0.0.1:7070")
        );
        // Nothing configured: the challenge must name an Entra ID host.
        let s = settings(vec![(Key::ServiceUrl, "EMEA")]);
        let Target::Oma { options, .. } = target(&s, None).expect("target") else {
            panic!("oma is the default backend");
        };
        assert_eq!(options.authority_host, None);
    }

    #[tokio::test]
    async fn a_challenge_for_a_foreign_resource_is_a_usage_error_before_any_sign_in() {
        use std::io::{Read as _, Write as _};
        // A one-shot "service" whose challenge asks for a Microsoft Graph token.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\
                      WWW-Authenticate: Bearer authorization_uri=https://login.microsoftonline.com/0b3a6a4f-0000-4000-8000-000000000001/oauth2/authorize, resource_id=https://graph.microsoft.com/\r\n\r\n",
                );
            }
        });
        let s = settings(vec![(Key::ServiceUrl, url.as_str())]);
        let target = target(&s, Some(0)).expect("target");
        // Never used: discovery refuses first. Were it used, it would fail fast on a closed
        // loopback port rather than reach the internet.
        let credential: Arc<dyn TokenCredential> = Arc::new(
            dynamics_auth::ClientSecretCredential::new(
                dynamics_auth::Authority::with_host(
                    "http://127.0.0.1:1",
                    "0b3a6a4f-0000-4000-8000-000000000001",
                )
                .expect("authority"),
                uuid::Uuid::from_u128(0x11111111_2222_4333_8444_555555555555),
                "secret",
                dynamics_auth::CredentialOptions::default(),
            )
            .expect("credential"),
        );
        let failure = match connect(target, credential, Context::default()).await {
            Ok(_) => panic!("a Graph audience was accepted"),
            Err(f) => f,
        };
        let text = failure.to_string();
        assert!(text.contains("graph.microsoft.com"), "{text}");
        assert!(
            text.contains("Resource"),
            "the fix names the setting: {text}"
        );
        server.join().expect("server");
    }
}

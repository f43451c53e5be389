//! Choosing the credential (user name and password by default, device code, client secret,
//! certificate) and asking for what is missing: user name and password from the terminal, or
//! line by line from stdin when it is not a terminal, so scripts can pipe them.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dynamics_auth::{
    AuthError, Authority, ClientCertificate, ClientCertificateCredential, ClientSecretCredential,
    CredentialOptions, DeviceCodeCredential, Secret, TokenCredential, UsernamePasswordCredential,
};
use uuid::Uuid;

use crate::cli::SignInArgs;
use crate::config::{DEFAULT_PUBLIC_CLIENT_ID, Key, Settings, Source, Sourced};
use crate::exit::Failure;

/// Environment variable with the client secret for app-only sign-in.
pub(crate) const CLIENT_SECRET_ENV: &str = "D365_CLIENT_SECRET";
/// Environment variable with the password for the password sign-in.
pub(crate) const PASSWORD_ENV: &str = "D365_PASSWORD";
/// Environment variable with the password of the `.pfx` file.
pub(crate) const PFX_PASSWORD_ENV: &str = "D365_PFX_PASSWORD";

/// How the tool signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Method {
    /// A user name and password (the resource owner password grant), as the old utility.
    Password,
    /// A device code shown on stderr.
    DeviceCode,
    /// As the application itself, without a user.
    AppOnly(AppOnly),
}

/// The app-only sign-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AppOnly {
    /// The client secret in this environment variable.
    ClientSecret {
        /// The variable's name.
        env: String,
    },
    /// A PEM certificate and key.
    CertificatePem {
        /// The certificate file.
        certificate: PathBuf,
        /// The key file, if separate.
        private_key: Option<PathBuf>,
    },
    /// A PKCS#12 file.
    Pfx {
        /// The file.
        path: PathBuf,
        /// The environment variable holding its password, if any.
        password_env: Option<String>,
    },
}

impl Method {
    /// `true` for the app-only methods.
    pub(crate) fn is_app_only(&self) -> bool {
        matches!(self, Method::AppOnly(_))
    }
}

/// Picks the sign-in method from the flags, then the environment: an explicit flag wins; then
/// a certificate or `D365_CLIENT_SECRET` in the settings or environment; else the password.
pub(crate) fn choose_method(
    args: &SignInArgs,
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Method, Failure> {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    if args.device_code {
        return Ok(Method::DeviceCode);
    }
    if let Some(var) = &args.client_secret_env {
        return Ok(Method::AppOnly(AppOnly::ClientSecret { env: var.clone() }));
    }
    let certificate = settings.get(Key::Certificate);
    let pfx = settings.get(Key::Pfx);
    match (certificate, pfx) {
        (Some(c), Some(p)) => Err(Failure::usage(format!(
            "both a PEM certificate ({}) and a .pfx file ({}) are set",
            c.source.describe(Key::Certificate),
            p.source.describe(Key::Pfx)
        ))
        .with_fix("keep one of them")),
        (Some(c), None) => Ok(Method::AppOnly(AppOnly::CertificatePem {
            certificate: PathBuf::from(&c.value),
            private_key: settings.text(Key::PrivateKeyPem).map(PathBuf::from),
        })),
        (None, Some(p)) => Ok(Method::AppOnly(AppOnly::Pfx {
            path: PathBuf::from(&p.value),
            password_env: args
                .pfx_password_env
                .clone()
                .or_else(|| set(PFX_PASSWORD_ENV).then(|| PFX_PASSWORD_ENV.to_owned())),
        })),
        (None, None) if set(CLIENT_SECRET_ENV) => Ok(Method::AppOnly(AppOnly::ClientSecret {
            env: CLIENT_SECRET_ENV.to_owned(),
        })),
        (None, None) => {
            if let Some(key) = settings.get(Key::PrivateKeyPem) {
                return Err(Failure::usage(format!(
                    "{} is set without a certificate",
                    key.source.describe(Key::PrivateKeyPem)
                ))
                .with_fix(format!(
                    "add --certificate <PEM> (or {})",
                    Key::Certificate.env_var()
                )));
            }
            Ok(Method::Password)
        }
    }
}

/// Where the user name and password come from when they are not configured.
pub(crate) trait Prompter {
    /// Asks for a line of text (the user name); `None` at end of input.
    fn line(&mut self, prompt: &str) -> io::Result<Option<String>>;
    /// Asks for a secret without echoing it; `None` at end of input.
    fn secret(&mut self, prompt: &str) -> io::Result<Option<String>>;
}

/// Prompts on the terminal (password hidden), or reads lines from stdin when it is not a
/// terminal. Prompts go to stderr so stdout stays clean for `--json`.
#[derive(Debug, Default)]
pub(crate) struct StdinPrompter;

impl StdinPrompter {
    fn read_stdin_line() -> io::Result<Option<String>> {
        let mut line = String::new();
        if io::stdin().lock().read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let trimmed = line.strip_suffix('\n').unwrap_or(&line);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        Ok(Some(trimmed.to_owned()))
    }
}

impl Prompter for StdinPrompter {
    fn line(&mut self, prompt: &str) -> io::Result<Option<String>> {
        if io::stdin().is_terminal() {
            let mut err = io::stderr().lock();
            write!(err, "{prompt}")?;
            err.flush()?;
        }
        Self::read_stdin_line()
    }

    fn secret(&mut self, prompt: &str) -> io::Result<Option<String>> {
        if io::stdin().is_terminal() {
            return rpassword::prompt_password(prompt).map(Some);
        }
        Self::read_stdin_line()
    }
}

/// The emulator's seeded administrator, used when `--emulator` chose the user.
#[derive(Clone)]
pub(crate) struct EmulatorUser {
    /// The user's password (the emulator's published test password).
    pub(crate) password: Secret,
}

impl std::fmt::Debug for EmulatorUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmulatorUser { password: <redacted> }")
    }
}

/// What was decided about the sign-in, for messages (never holds a secret).
#[derive(Debug, Clone)]
pub(crate) struct SignInInfo {
    /// The authority signed in to.
    pub(crate) authority: Authority,
    /// The client id used.
    pub(crate) client_id: Uuid,
    /// The method.
    pub(crate) method: Method,
}

impl SignInInfo {
    /// The URL an administrator opens to grant consent to the client.
    pub(crate) fn admin_consent_url(&self) -> String {
        self.authority
            .admin_consent_url(self.client_id, None, None)
            .to_string()
    }
}

/// Everything needed to build the credential.
pub(crate) struct SignInRequest<'a> {
    /// The flags.
    pub(crate) args: &'a SignInArgs,
    /// The merged settings.
    pub(crate) settings: &'a Settings,
    /// Environment lookup.
    pub(crate) env: &'a dyn Fn(&str) -> Option<String>,
    /// Asks for missing user name and password.
    pub(crate) prompter: &'a mut dyn Prompter,
    /// Set with `--emulator`.
    pub(crate) emulator_user: Option<EmulatorUser>,
}

/// Builds the credential, asking for the user name and password if needed.
pub(crate) fn credential(
    request: SignInRequest<'_>,
) -> Result<(Arc<dyn TokenCredential>, SignInInfo), Failure> {
    let SignInRequest {
        args,
        settings,
        env,
        prompter,
        emulator_user,
    } = request;
    let method = choose_method(args, settings, env)?;
    let host = settings.authority_host().map_err(Failure::config)?;
    let tenant = settings.sign_in_tenant().map_err(Failure::config)?;
    let options = CredentialOptions::default();
    let authority =
        |tenant: &str| Authority::with_host(&host, tenant).map_err(|e| auth_config_failure(&e));

    if let Method::AppOnly(app_only) = &method {
        let tenant = tenant.ok_or_else(|| {
            Failure::usage("app-only sign-in needs the tenant").with_fix(format!(
                "set AadAppTenantId ({}) or a tenant in AadAuthority ({})",
                Key::AadAppTenantId.how_to_set(),
                Key::AadAuthority.how_to_set()
            ))
        })?;
        let authority = authority(&tenant)?;
        let client_id = app_only_client_id(settings)?;
        let info = SignInInfo {
            authority: authority.clone(),
            client_id,
            method: method.clone(),
        };
        let credential: Arc<dyn TokenCredential> = match app_only {
            AppOnly::ClientSecret { env: var } => {
                let secret = env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                    Failure::usage(format!(
                        "the environment variable {var} (named by --client-secret-env) is not \
                         set or empty"
                    ))
                    .with_fix(format!("export the client secret's Value in {var}"))
                })?;
                Arc::new(
                    ClientSecretCredential::new(authority, client_id, secret, options)
                        .map_err(|e| auth_config_failure(&e))?,
                )
            }
            AppOnly::CertificatePem {
                certificate,
                private_key,
            } => {
                let cert_pem = read_text(certificate, Key::Certificate)?;
                let cert = match private_key {
                    Some(key) => {
                        let key_pem = read_text(key, Key::PrivateKeyPem)?;
                        ClientCertificate::from_pem(&cert_pem, &key_pem)
                    }
                    None => ClientCertificate::from_pem_bundle(&cert_pem),
                }
                .map_err(|e| {
                    Failure::usage(format!(
                        "{} ({})",
                        certificate.display(),
                        config_auth_message(&e)
                    ))
                    .with_fix(
                        "give the certificate PEM with --certificate and its key with --private-key",
                    )
                })?;
                Arc::new(
                    ClientCertificateCredential::new(authority, client_id, cert, options)
                        .map_err(|e| auth_config_failure(&e))?,
                )
            }
            AppOnly::Pfx { path, password_env } => {
                let bytes = std::fs::read(path).map_err(|e| unreadable_file(path, Key::Pfx, &e))?;
                let password = match password_env {
                    Some(var) => env(var).ok_or_else(|| {
                        Failure::usage(format!(
                            "the environment variable {var} (the .pfx password) is not set"
                        ))
                        .with_fix(format!(
                            "export the .pfx password in {var}, or drop --pfx-password-env if \
                             the file has none"
                        ))
                    })?,
                    None => String::new(),
                };
                let cert = ClientCertificate::from_pkcs12(&bytes, &password).map_err(|e| {
                    Failure::usage(format!("{}: {}", path.display(), config_auth_message(&e)))
                        .with_fix(auth_fix(&e))
                })?;
                Arc::new(
                    ClientCertificateCredential::new(authority, client_id, cert, options)
                        .map_err(|e| auth_config_failure(&e))?,
                )
            }
        };
        return Ok((credential, info));
    }

    // User sign-in: a specific tenant when known, else `organizations` (ROPC and device code
    // both accept it; `common` is refused by the password grant).
    let authority = authority(tenant.as_deref().unwrap_or("organizations"))?;
    let client_id = match settings.get(Key::ClientId) {
        Some(id) => checked_client_id(id)?,
        None => DEFAULT_PUBLIC_CLIENT_ID,
    };
    let info = SignInInfo {
        authority: authority.clone(),
        client_id,
        method: method.clone(),
    };
    if method == Method::DeviceCode {
        let credential = DeviceCodeCredential::new(
            authority,
            client_id,
            |code| eprintln!("{}", code.message),
            options,
        )
        .map_err(|e| auth_config_failure(&e))?;
        return Ok((Arc::new(credential), info));
    }

    let username_setting = settings.get(Key::UserName);
    let username = match username_setting {
        Some(u) => u.value.clone(),
        None => ask(prompter.line("User name: "), "user name", Key::UserName)?,
    };
    let password = match (username_setting, &emulator_user) {
        (
            Some(Sourced {
                source: Source::Emulator,
                ..
            }),
            Some(user),
        ) => user.password.clone(),
        _ => match env(PASSWORD_ENV).filter(|p| !p.is_empty()) {
            Some(p) => Secret::new(p),
            None => Secret::new(ask_password(prompter)?),
        },
    };
    let credential =
        UsernamePasswordCredential::new(authority, client_id, &username, password, options)
            .map_err(|e| auth_config_failure(&e))?;
    Ok((Arc::new(credential), info))
}

/// The app-only client id: `ClientId`, else the application being registered
/// (`AadApplicationId`), which is how Test Drive itself signs in.
fn app_only_client_id(settings: &Settings) -> Result<Uuid, Failure> {
    if let Some(id) = settings.get(Key::ClientId) {
        return checked_client_id(id);
    }
    if let Some(app) = settings
        .guid(Key::AadApplicationId)
        .map_err(Failure::config)?
    {
        return Ok(app.value);
    }
    Err(
        Failure::usage("app-only sign-in needs the application's client id")
            .with_fix(format!("set {}", Key::ClientId.how_to_set())),
    )
}

fn checked_client_id(id: &Sourced<String>) -> Result<Uuid, Failure> {
    dynamics_auth::parse_client_id(&id.value).map_err(|_| {
        Failure::usage(format!(
            "{} is `{}`, which is not a GUID",
            id.source.describe(Key::ClientId),
            id.value
        ))
        .with_fix(
            "copy the Application (client) ID from the Microsoft Entra admin center \
                 (entra.microsoft.com) > App registrations > your application",
        )
    })
}

fn ask(answer: io::Result<Option<String>>, what: &str, key: Key) -> Result<String, Failure> {
    match answer {
        Ok(Some(v)) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        Ok(_) => Err(Failure::usage(format!("no {what} given")).with_fix(format!(
            "type it at the prompt, pipe it on stdin, or set {}",
            key.how_to_set()
        ))),
        Err(e) => Err(Failure::usage(format!("cannot read the {what}: {e}"))
            .with_fix(format!("pipe it on stdin, or set {}", key.how_to_set()))),
    }
}

fn ask_password(prompter: &mut dyn Prompter) -> Result<String, Failure> {
    match prompter.secret("Password: ") {
        Ok(Some(p)) if !p.is_empty() => Ok(p),
        Ok(_) => Err(Failure::usage("no password given").with_fix(format!(
            "type it at the prompt, pipe it on stdin (one line after the user name if that is \
             read too), set {PASSWORD_ENV}, or sign in with --device-code"
        ))),
        Err(e) => Err(
            Failure::usage(format!("cannot read the password: {e}")).with_fix(format!(
                "pipe it on stdin, set {PASSWORD_ENV}, or sign in with --device-code"
            )),
        ),
    }
}

fn read_text(path: &Path, key: Key) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| unreadable_file(path, key, &e))
}

/// A certificate or key file that cannot be read: "permission denied" says so, with how to
/// fix that, rather than pointing at the path.
fn unreadable_file(path: &Path, key: Key, e: &io::Error) -> Failure {
    let set_by = key.flag().unwrap_or(key.env_var());
    let shown = path.display();
    match e.kind() {
        io::ErrorKind::PermissionDenied => Failure::usage(format!(
            "cannot read {shown} ({set_by}): permission denied"
        ))
        .with_fix(format!(
            "make the file readable by this user (chmod u+r {shown}), or give another \
                     file with {set_by}"
        )),
        _ => Failure::usage(format!("cannot read {shown} ({set_by}): {e}"))
            .with_fix(format!("check the path given with {set_by}")),
    }
}

/// A configuration-type sign-in error (bad tenant, host, certificate) as a usage failure.
pub(crate) fn auth_config_failure(e: &AuthError) -> Failure {
    Failure::usage(config_auth_message(e)).with_fix(auth_fix(e))
}

/// What to do about a configuration-type sign-in error: for a bad value, what the SDK says
/// to change (then not repeated in the message); for a certificate, how to check the file;
/// else where the values come from.
fn auth_fix(e: &AuthError) -> String {
    match e {
        AuthError::InvalidConfig { what, fix, .. } if *what == "tenant id" => format!(
            "{fix} (Microsoft Entra admin center > Overview > Tenant ID); it comes from \
             AadAuthority (--authority) or AadAppTenantId (--tenant-id)"
        ),
        AuthError::InvalidConfig { fix, .. } => format!(
            "{fix}; `d365 config show` lists AadAuthority, AuthorityHost and where they come \
             from"
        ),
        AuthError::Certificate(_) => "check the files given with --certificate and \
             --private-key (PEM), or --pfx (a .pfx/.p12 file) and its password \
             (--pfx-password-env, D365_PFX_PASSWORD)"
            .to_owned(),
        _ => e.hint().unwrap_or_else(|| {
            "check AadAuthority / --authority, --authority-host, AadAppTenantId and the client \
             id (`d365 config show` lists them and where they come from)"
                .to_owned()
        }),
    }
}

/// The message of a configuration-type sign-in error (bad tenant, host, certificate),
/// without the advice that [`auth_fix`] gives.
fn config_auth_message(e: &AuthError) -> String {
    match e {
        AuthError::InvalidConfig { what, value, .. } => format!("invalid {what} `{value}`"),
        AuthError::Certificate(_) => {
            let text = e.to_string();
            match text.rsplit_once("; check ") {
                Some((message, _advice)) => message.to_owned(),
                None => text,
            }
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scripted(Vec<Option<String>>);

    impl Prompter for Scripted {
        fn line(&mut self, _: &str) -> io::Result<Option<String>> {
            Ok(self.0.pop().flatten())
        }
        fn secret(&mut self, _: &str) -> io::Result<Option<String>> {
            Ok(self.0.pop().flatten())
        }
    }

    fn args() -> SignInArgs {
        SignInArgs {
            client_id: None,
            username: None,
            device_code: false,
            client_secret_env: None,
            certificate: None,
            private_key: None,
            pfx: None,
            pfx_password_env: None,
        }
    }

    fn settings(values: Vec<(Key, &str)>) -> Settings {
        crate::config::flag_settings(values)
    }

    #[test]
    fn the_password_is_the_default_and_flags_beat_the_environment() {
        let none = |_: &str| None;
        let s = Settings::default();
        assert_eq!(
            choose_method(&args(), &s, &none).expect("ok"),
            Method::Password
        );
        let with_secret = |n: &str| (n == CLIENT_SECRET_ENV).then(|| "s".to_owned());
        assert_eq!(
            choose_method(&args(), &s, &with_secret).expect("ok"),
            Method::AppOnly(AppOnly::ClientSecret {
                env: CLIENT_SECRET_ENV.into()
            })
        );
        let mut device = args();
        device.device_code = true;
        assert_eq!(
            choose_method(&device, &s, &with_secret).expect("ok"),
            Method::DeviceCode
        );
    }

    #[test]
    fn certificate_and_pfx_together_are_refused() {
        let s = settings(vec![(Key::Certificate, "a.pem"), (Key::Pfx, "b.pfx")]);
        let err = choose_method(&args(), &s, &|_| None).expect_err("both");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn user_name_and_password_are_asked_for_when_missing() {
        let s = settings(vec![(Key::AuthorityHost, "http://127.0.0.1:9")]);
        let mut prompter = Scripted(vec![
            Some("Secret-Pa55".into()),
            Some("alice@contoso.onmicrosoft.com".into()),
        ]);
        let (credential, info) = credential(SignInRequest {
            args: &args(),
            settings: &s,
            env: &|_| None,
            prompter: &mut prompter,
            emulator_user: None,
        })
        .expect("credential");
        assert!(prompter.0.is_empty(), "both lines were read");
        assert_eq!(info.client_id, DEFAULT_PUBLIC_CLIENT_ID);
        assert_eq!(info.authority.tenant().as_str(), "organizations");
        assert!(!format!("{credential:?}").contains("Secret-Pa55"));
    }

    #[test]
    fn an_empty_answer_is_a_usage_error() {
        let s = settings(vec![(Key::UserName, "alice@contoso.onmicrosoft.com")]);
        let err = credential(SignInRequest {
            args: &args(),
            settings: &s,
            env: &|_| None,
            prompter: &mut Scripted(vec![None]),
            emulator_user: None,
        })
        .expect_err("no password");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--device-code"), "{err}");
    }

    #[test]
    fn app_only_needs_a_tenant_and_uses_the_app_id_as_client() {
        let mut a = args();
        a.client_secret_env = Some("MY_SECRET".into());
        let env = |n: &str| (n == "MY_SECRET").then(|| "s3cr3t".to_owned());
        let err = credential(SignInRequest {
            args: &a,
            settings: &Settings::default(),
            env: &env,
            prompter: &mut Scripted(vec![]),
            emulator_user: None,
        })
        .expect_err("no tenant");
        assert!(err.to_string().contains("AadAppTenantId"), "{err}");
        let s = settings(vec![
            (Key::AadAppTenantId, "c0a7e5a0-0000-4000-8000-000000000001"),
            (
                Key::AadApplicationId,
                "11111111-2222-3333-4444-555555555555",
            ),
        ]);
        let (_, info) = credential(SignInRequest {
            args: &a,
            settings: &s,
            env: &env,
            prompter: &mut Scripted(vec![]),
            emulator_user: None,
        })
        .expect("credential");
        assert_eq!(
            info.client_id,
            Uuid::from_u128(0x11111111_2222_3333_4444_555555555555)
        );
        assert!(
            info.admin_consent_url()
                .contains("adminconsent?client_id=1111")
        );
        let err = credential(SignInRequest {
            args: &a,
            settings: &s,
            env: &|_| None,
            prompter: &mut Scripted(vec![]),
            emulator_user: None,
        })
        .expect_err("variable unset");
        assert!(err.to_string().contains("MY_SECRET"), "{err}");
    }

    #[test]
    fn sign_in_setting_errors_give_their_advice_once() {
        let tenant = dynamics_auth::TenantId::parse("bad_tenant").expect_err("bad");
        let f = auth_config_failure(&tenant);
        let text = f.to_string();
        let (message, fix) = text.split_once(". To fix: ").expect("a fix");
        assert_eq!(message, "invalid tenant id `bad_tenant`");
        assert!(fix.contains("Overview > Tenant ID"), "{text}");
        let cert = AuthError::Certificate(
            "/tmp/x.pfx: the PKCS#12 file cannot be opened (bad tag); check the password and \
             that it is a .pfx/.p12 file"
                .into(),
        );
        let text = auth_config_failure(&cert).to_string();
        assert_eq!(text.matches("check").count(), 1, "{text}");
        assert!(text.contains("--pfx"), "{text}");
        assert!(!text.contains("AadAuthority"), "{text}");
    }

    #[test]
    fn an_unreadable_certificate_says_permission_denied() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        for key in [Key::Pfx, Key::Certificate, Key::PrivateKeyPem] {
            let text = unreadable_file(Path::new("/secure/app.pfx"), key, &denied).to_string();
            assert!(text.contains("permission denied"), "{text}");
            assert!(!text.contains("check the path"), "{text}");
        }
        let missing = io::Error::from(io::ErrorKind::NotFound);
        let text = unreadable_file(Path::new("/x.pem"), Key::Certificate, &missing).to_string();
        assert!(
            text.contains("check the path given with --certificate"),
            "{text}"
        );
    }
}

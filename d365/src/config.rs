//! Settings and where each comes from: the config file (XML or TOML), then environment
//! variables, then flags, later layers winning; each value remembers its source so that an
//! error can say exactly which file, variable or flag to fix.

mod keys;
mod toml;
mod xml;

pub(crate) use keys::Key;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use dynamics_auth::Cloud;
use serde::Serialize;
use url::Url;
use uuid::Uuid;

/// Config files looked for in the current directory when neither `--config` nor
/// `D365_CONFIG` names one: the old utility's own file first.
pub(crate) const DEFAULT_FILES: [&str; 2] = ["CDSTestdriveUtility.exe.config", "d365.toml"];

/// Environment variable naming the config file.
pub(crate) const CONFIG_ENV: &str = "D365_CONFIG";

/// The well-known public client of the PowerShell / Power Apps admin modules, used for user
/// sign-in when no client id is configured.
pub(crate) const DEFAULT_PUBLIC_CLIENT_ID: uuid::Uuid =
    uuid::Uuid::from_u128(0x1950a258_227b_4e31_a9cf_717495945fc2);

/// The largest config file read, 1 MiB. The old utility's file holds a few hundred bytes;
/// the limit keeps a wrong `--config` (a log, a disk image, `/dev/zero`) from being read
/// into memory.
pub(crate) const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Config-file keys that would hold secrets: refused, so that secrets stay out of files.
const SECRET_FILE_KEYS: [(&str, &str); 4] = [
    (
        "ClientSecret",
        "set the D365_CLIENT_SECRET environment variable or pass --client-secret-env VAR",
    ),
    (
        "Password",
        "type it at the prompt, pipe it on stdin, or set D365_PASSWORD",
    ),
    (
        "PfxPassword",
        "set D365_PFX_PASSWORD or pass --pfx-password-env VAR",
    ),
    (
        "AadAppSecret",
        "set the D365_CLIENT_SECRET environment variable or pass --client-secret-env VAR",
    ),
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A config file.
    File(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// A flag.
    Flag(&'static str),
    /// `--emulator`.
    #[cfg_attr(not(feature = "emulator"), allow(dead_code))]
    Emulator,
}

impl Source {
    /// The source, naming `key` where the source holds many keys.
    pub(crate) fn describe(&self, key: Key) -> String {
        match self {
            Source::File(path) => format!("{} in {}", key.file_name(), path.display()),
            Source::Env(name) => format!("environment variable {name}"),
            Source::Flag(flag) => (*flag).to_owned(),
            Source::Emulator => format!("{} from --emulator", key.file_name()),
        }
    }

    /// A short label for `config show`.
    fn label(&self) -> String {
        match self {
            Source::File(path) => format!("file {}", path.display()),
            Source::Env(name) => format!("env {name}"),
            Source::Flag(flag) => format!("flag {flag}"),
            Source::Emulator => "--emulator".into(),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Sourced<T> {
    /// The value.
    pub(crate) value: T,
    /// Where it came from.
    pub(crate) source: Source,
}

/// Shows the source only: a value may be personal data (a user name).
impl<T> fmt::Debug for Sourced<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sourced")
            .field("value", &format_args!("<hidden>"))
            .field("source", &self.source)
            .finish()
    }
}

/// What kind of configuration mistake a [`ConfigError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum ConfigErrorKind {
    /// The config file could not be opened or read.
    Unreadable,
    /// The config file is larger than [`MAX_FILE_BYTES`].
    TooLarge {
        /// The file's size, when known (`None`: a special file that read past the limit).
        size: Option<u64>,
        /// The limit, [`MAX_FILE_BYTES`].
        limit: u64,
    },
    /// The file is neither UTF-8 nor UTF-16 with a byte-order mark.
    Encoding(xml::DecodeError),
    /// The XML file is malformed, declares a DTD, or is not a .NET config file.
    Xml(xml::XmlError),
    /// The TOML file is malformed or has a value that is not text.
    Toml(toml::TomlError),
    /// The config file holds a secret (`ClientSecret`, `Password`, ...), which is refused.
    SecretInFile {
        /// The secret key's name.
        key: &'static str,
    },
    /// A setting's value does not fit it (not a GUID, unknown cloud, ...).
    InvalidValue,
    /// A required setting is missing.
    Missing,
}

/// A configuration mistake: what is wrong, where, and how to fix it. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ConfigError {
    /// What kind of mistake, for callers and tests that branch on it.
    pub(crate) kind: ConfigErrorKind,
    /// One line: what is wrong. Never holds a secret from the file.
    pub(crate) message: String,
    /// What to do about it, when it is more precise than what the kind says.
    pub(crate) fix: Option<String>,
}

impl ConfigError {
    fn new(message: impl Into<String>) -> Self {
        ConfigError::of(ConfigErrorKind::InvalidValue, message)
    }

    fn of(kind: ConfigErrorKind, message: impl Into<String>) -> Self {
        ConfigError {
            kind,
            message: message.into(),
            fix: None,
        }
    }

    fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// A tenant as given: its GUID, or one of its verified domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tenant {
    /// The directory (tenant) id.
    Id(Uuid),
    /// A verified domain such as `contoso.onmicrosoft.com`.
    Domain(String),
}

/// Where an administrator finds the GUID that `key` holds.
fn where_to_find(key: Key) -> String {
    let place = match key {
        Key::AadAppTenantId => {
            "the Microsoft Entra admin center (entra.microsoft.com) > Overview > Tenant ID"
        }
        Key::AadApplicationId | Key::ClientId => {
            "the Microsoft Entra admin center (entra.microsoft.com) > App registrations > your \
             application > Application (client) ID"
        }
        _ => "the Power Platform admin center or the command that printed it",
    };
    format!("copy the value from {place}; `d365 config show` lists every setting and its source")
}

/// One source's values.
pub(crate) type Layer = Vec<(Key, Sourced<String>)>;

/// A config file's values and the warnings met while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileLayer {
    /// The values.
    pub(crate) layer: Layer,
    /// Unknown keys and ignored parts, to show on stderr.
    pub(crate) warnings: Vec<String>,
}

/// The file formats understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Xml,
    Toml,
}

/// Reads a config file (format from the extension, else from the content), refusing files
/// over [`MAX_FILE_BYTES`] before reading them into memory.
pub(crate) fn read_file(path: &Path) -> Result<FileLayer, ConfigError> {
    let bytes = read_bounded(path, MAX_FILE_BYTES)?;
    from_bytes(path, &bytes)
}

/// Reads at most `limit` bytes of `path`: the size on record is checked first, then the read
/// itself stops one byte past the limit, since special files (`/dev/zero`, pipes) report a
/// size of 0.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ConfigError> {
    let shown = path.display();
    let unreadable = |e: std::io::Error| unreadable(&shown.to_string(), &e);
    let too_large = |size: Option<u64>| {
        let size_text = match size {
            Some(size) => format!("is {size} bytes"),
            None => format!("has more than {limit} bytes"),
        };
        ConfigError::of(
            ConfigErrorKind::TooLarge { size, limit },
            format!(
                "config file {shown} {size_text}, over the limit of {limit} bytes for config \
                 files (a .NET appSettings or d365.toml file holds a few hundred bytes)"
            ),
        )
        .with_fix(format!(
            "check that --config or {CONFIG_ENV} names the right file"
        ))
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let recorded = file.metadata().map_err(unreadable)?.len();
    read_limited(file, recorded, limit).map_err(|e| match e {
        Limited::TooLarge(size) => too_large(size),
        Limited::Io(e) => unreadable(e),
    })
}

/// A config file that cannot be read: "permission denied" says so, with how to fix that,
/// rather than pointing at the path.
pub(crate) fn unreadable(shown: &str, e: &std::io::Error) -> ConfigError {
    let check_path = || format!("check the path given to --config or {CONFIG_ENV}");
    let (what, fix) = match e.kind() {
        std::io::ErrorKind::PermissionDenied => (
            "permission denied".to_owned(),
            format!(
                "make the file readable by this user (chmod u+r {shown}), or give another file \
                 with --config or {CONFIG_ENV}"
            ),
        ),
        std::io::ErrorKind::NotFound => ("no such file".to_owned(), check_path()),
        _ => (e.to_string(), check_path()),
    };
    ConfigError::of(
        ConfigErrorKind::Unreadable,
        format!("cannot read config file {shown}: {what}"),
    )
    .with_fix(fix)
}

/// Why [`read_limited`] stopped.
#[derive(Debug)]
enum Limited {
    /// Over the limit: the size on record, or `None` when only the read found out.
    TooLarge(Option<u64>),
    /// The read failed.
    Io(std::io::Error),
}

/// Reads `reader` whose size on record is `recorded`, refusing before reading when that is
/// over `limit`, and stopping the read one byte past `limit` whatever the record said.
fn read_limited(reader: impl Read, recorded: u64, limit: u64) -> Result<Vec<u8>, Limited> {
    if recorded > limit {
        return Err(Limited::TooLarge(Some(recorded)));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(recorded).unwrap_or(0));
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Limited::Io)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(Limited::TooLarge(None));
    }
    Ok(bytes)
}

/// Reads a config file's contents; `path` picks the format (with the content) and names the
/// file in messages and in each value's source.
fn from_bytes(path: &Path, bytes: &[u8]) -> Result<FileLayer, ConfigError> {
    let shown = path.display();
    let format = detect_format(path, bytes);
    let text = xml::decode(bytes).map_err(|e| {
        ConfigError::of(
            ConfigErrorKind::Encoding(e.clone()),
            format!("{shown}: {e}"),
        )
    })?;
    let (entries, mut warnings) = match format {
        FileFormat::Xml => {
            let settings = xml::parse(&text).map_err(|e| {
                let error =
                    ConfigError::of(ConfigErrorKind::Xml(e.clone()), format!("{shown}: {e}"));
                if e == xml::XmlError::Dtd {
                    error.with_fix("remove the <!DOCTYPE ...> declaration")
                } else {
                    error
                }
            })?;
            let warnings: Vec<String> = settings
                .warnings
                .into_iter()
                .map(|w| format!("{shown}: {w}"))
                .collect();
            (settings.entries, warnings)
        }
        FileFormat::Toml => {
            let entries = toml::parse(&text).map_err(|e| {
                ConfigError::of(ConfigErrorKind::Toml(e.clone()), format!("{shown}: {e}"))
            })?;
            (entries, Vec::new())
        }
    };
    let layer = to_layer(path, entries, &mut warnings)?;
    Ok(FileLayer { layer, warnings })
}

fn detect_format(path: &Path, bytes: &[u8]) -> FileFormat {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("toml") => FileFormat::Toml,
        Some("config" | "xml") => FileFormat::Xml,
        _ => {
            if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
                return FileFormat::Xml;
            }
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match body.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'<') => FileFormat::Xml,
                _ => FileFormat::Toml,
            }
        }
    }
}

fn to_layer(
    path: &Path,
    entries: Vec<(String, String)>,
    warnings: &mut Vec<String>,
) -> Result<Layer, ConfigError> {
    let shown = path.display();
    let mut layer = Layer::new();
    let mut unknown = xml::Warnings::default();
    for (name, value) in entries {
        if let Some((secret, fix)) = SECRET_FILE_KEYS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name.trim()))
        {
            return Err(ConfigError::of(
                ConfigErrorKind::SecretInFile { key: secret },
                format!(
                    "{shown}: `{secret}` is a secret, and secrets are not read from config \
                     files"
                ),
            )
            .with_fix(format!("remove it from the file and {fix}")));
        }
        let Some(key) = Key::from_file_name(&name) else {
            if unknown.has_room() {
                unknown.push(format!(
                    "{shown}: unknown setting `{name}` ignored (known: {})",
                    Key::ALL.map(Key::file_name).join(", ")
                ));
            } else {
                unknown.count_dropped();
            }
            continue;
        };
        let mut value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        if key.is_path() {
            let p = Path::new(&value);
            if p.is_relative()
                && let Some(dir) = path.parent()
            {
                value = dir.join(p).display().to_string();
            }
        }
        layer.push((
            key,
            Sourced {
                value,
                source: Source::File(path.to_path_buf()),
            },
        ));
    }
    warnings.extend(unknown.finish());
    Ok(layer)
}

/// The values set by environment variables (`env` looks one up; empty counts as unset).
pub(crate) fn env_layer(env: &dyn Fn(&str) -> Option<String>) -> Layer {
    Key::ALL
        .into_iter()
        .filter_map(|key| {
            let value = env(key.env_var())?.trim().to_owned();
            (!value.is_empty()).then(|| {
                (
                    key,
                    Sourced {
                        value,
                        source: Source::Env(key.env_var()),
                    },
                )
            })
        })
        .collect()
}

/// Settings made of flag values only, for tests.
#[cfg(test)]
pub(crate) fn flag_settings(values: Vec<(Key, &str)>) -> Settings {
    Settings::layered([flag_layer(
        values
            .into_iter()
            .map(|(k, v)| (k, Some(v.to_owned())))
            .collect(),
    )])
}

/// A layer of flag values: each `Some` value is recorded under its key's flag name.
pub(crate) fn flag_layer(values: Vec<(Key, Option<String>)>) -> Layer {
    values
        .into_iter()
        .filter_map(|(key, value)| {
            let value = value?.trim().to_owned();
            let flag = key.flag()?;
            (!value.is_empty()).then_some((
                key,
                Sourced {
                    value,
                    source: Source::Flag(flag),
                },
            ))
        })
        .collect()
}

/// The admin API chosen with `--backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Backend {
    /// The Online Management API.
    Oma,
    /// The Power Platform admin API.
    Bap,
}

/// An authority from `AadAuthority`: the host, and the tenant when the URL names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthorityUrl {
    /// `https://login.microsoftonline.com` (scheme, host, port, path prefix; no tenant).
    pub(crate) host: String,
    /// The first path segment, if any: GUID, domain, `common` or `organizations`.
    pub(crate) tenant: Option<String>,
}

/// Reads `https://login.microsoftonline.com/<tenant>[/oauth2/...]`.
pub(crate) fn parse_authority(value: &str) -> Result<AuthorityUrl, String> {
    // Errors show the value redacted: an authority pasted with `user:password@` must not
    // print the password.
    let shown = dynamics_auth::secure_url::redact(value);
    let url = Url::parse(value.trim()).map_err(|e| {
        format!("`{shown}` is not a URL ({e}): write it like https://login.microsoftonline.com/<tenant id>")
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(format!(
            "`{shown}` is not an https URL: write it like https://login.microsoftonline.com/<tenant id>"
        ));
    }
    if dynamics_auth::secure_url::has_user_info(&url) {
        return Err(format!(
            "`{shown}` carries a user name or password: remove the `user:password@` part; \
             credentials are configured separately"
        ));
    }
    let mut host = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        host.push_str(&format!(":{port}"));
    }
    // The retired alias of the public cloud's host.
    if host.eq_ignore_ascii_case("https://login.windows.net") {
        host = "https://login.microsoftonline.com".into();
    }
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    // Everything before the tenant is a path prefix (emulators mounted under a path); the
    // tenant is the segment before `oauth2`, or the last one.
    let tenant_index = match segments
        .iter()
        .position(|s| s.eq_ignore_ascii_case("oauth2"))
    {
        Some(0) => None,
        Some(i) => Some(i - 1),
        None => segments.len().checked_sub(1),
    };
    let tenant = tenant_index.map(|i| segments[i].to_owned());
    if let Some(i) = tenant_index {
        for prefix in &segments[..i] {
            host.push('/');
            host.push_str(prefix);
        }
    }
    Ok(AuthorityUrl { host, tenant })
}

/// All settings, merged.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    values: BTreeMap<Key, Sourced<String>>,
}

/// Shows which keys are set and from where; values may be personal data.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.values.iter().map(|(k, v)| (k, &v.source)))
            .finish()
    }
}

impl Settings {
    /// Merges layers; a later layer's value replaces an earlier one's.
    pub(crate) fn layered<I: IntoIterator<Item = Layer>>(layers: I) -> Self {
        let mut values = BTreeMap::new();
        for layer in layers {
            for (key, value) in layer {
                values.insert(key, value);
            }
        }
        Settings { values }
    }

    /// The raw value of `key` and its source.
    pub(crate) fn get(&self, key: Key) -> Option<&Sourced<String>> {
        self.values.get(&key)
    }

    /// The value of `key`, text only.
    pub(crate) fn text(&self, key: Key) -> Option<&str> {
        self.get(key).map(|s| s.value.as_str())
    }

    /// `key` as a GUID, if set; an error naming the source if it is not a GUID.
    pub(crate) fn guid(&self, key: Key) -> Result<Option<Sourced<Uuid>>, ConfigError> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        match Uuid::parse_str(raw.value.trim()) {
            Ok(value) => Ok(Some(Sourced {
                value,
                source: raw.source.clone(),
            })),
            Err(_) => Err(ConfigError::new(format!(
                "{} is `{}`, which is not a GUID (it must look like \
                 1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b)",
                raw.source.describe(key),
                raw.value
            ))
            .with_fix(where_to_find(key))),
        }
    }

    /// `key` as a GUID; an error saying how to set it when it is missing.
    pub(crate) fn require_guid(&self, key: Key, purpose: &str) -> Result<Uuid, ConfigError> {
        self.guid(key)?.map(|s| s.value).ok_or_else(|| {
            ConfigError::of(
                ConfigErrorKind::Missing,
                format!("{} is not set; {purpose}", key.file_name()),
            )
            .with_fix(format!("set it with {}", key.how_to_set()))
        })
    }

    /// The backend (default `oma`).
    pub(crate) fn backend(&self) -> Result<Backend, ConfigError> {
        let Some(raw) = self.get(Key::Backend) else {
            return Ok(Backend::Oma);
        };
        let key: String = raw
            .value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "oma" | "onlinemanagement" | "onlinemanagementapi" => Ok(Backend::Oma),
            "bap" | "powerplatform" | "powerplatformadmin" => Ok(Backend::Bap),
            _ => Err(ConfigError::new(format!(
                "{} is `{}`, which is not a backend",
                raw.source.describe(Key::Backend),
                raw.value
            ))
            .with_fix("use `oma` (Online Management API) or `bap` (Power Platform admin API)")),
        }
    }

    /// The cloud (default public).
    pub(crate) fn cloud(&self) -> Result<Cloud, ConfigError> {
        let Some(raw) = self.get(Key::Cloud) else {
            return Ok(Cloud::Public);
        };
        raw.value.parse::<Cloud>().map_err(|_| {
            ConfigError::new(format!(
                "{} is `{}`, which is not a cloud",
                raw.source.describe(Key::Cloud),
                raw.value
            ))
            .with_fix("use one of public, usgov, usgovhigh, dod, china")
        })
    }

    /// `AadAuthority`, parsed.
    pub(crate) fn authority_url(&self) -> Result<Option<AuthorityUrl>, ConfigError> {
        let Some(raw) = self.get(Key::AadAuthority) else {
            return Ok(None);
        };
        parse_authority(&raw.value).map(Some).map_err(|e| {
            ConfigError::new(format!("{}: {e}", raw.source.describe(Key::AadAuthority)))
        })
    }

    /// The sign-in host: `AuthorityHost`, else `AadAuthority`'s host, else the cloud's.
    pub(crate) fn authority_host(&self) -> Result<String, ConfigError> {
        if let Some(host) = self.text(Key::AuthorityHost) {
            return Ok(host.to_owned());
        }
        if let Some(authority) = self.authority_url()? {
            return Ok(authority.host);
        }
        Ok(self.cloud()?.authority_host().to_owned())
    }

    /// The tenant to sign in to: `AadAuthority`'s tenant unless it is `common`, else
    /// `AadAppTenantId`, else `fallback`.
    pub(crate) fn sign_in_tenant(&self) -> Result<Option<String>, ConfigError> {
        let from_authority = self
            .authority_url()?
            .and_then(|a| a.tenant)
            .filter(|t| !t.eq_ignore_ascii_case("common"));
        if let Some(tenant) = from_authority {
            return Ok(Some(tenant));
        }
        Ok(self.app_tenant()?.map(|t| match t.value {
            Tenant::Id(id) => id.to_string(),
            Tenant::Domain(domain) => domain,
        }))
    }

    /// `AadAppTenantId`, if set: its GUID or, as sign-in accepts it, a verified domain
    /// (`contoso.onmicrosoft.com`); anything else is an error saying where to find the GUID.
    pub(crate) fn app_tenant(&self) -> Result<Option<Sourced<Tenant>>, ConfigError> {
        let Some(raw) = self.get(Key::AadAppTenantId) else {
            return Ok(None);
        };
        let source = raw.source.clone();
        if let Some(id) = self.guid(Key::AadAppTenantId).ok().flatten() {
            return Ok(Some(Sourced {
                value: Tenant::Id(id.value),
                source,
            }));
        }
        match dynamics_auth::TenantId::parse(&raw.value) {
            Ok(t) if !t.is_multi_tenant_alias() => Ok(Some(Sourced {
                value: Tenant::Domain(t.as_str().to_owned()),
                source,
            })),
            _ => Err(ConfigError::new(format!(
                "{} is `{}`, which is neither a GUID (like 1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b) \
                 nor a verified domain (like contoso.onmicrosoft.com)",
                raw.source.describe(Key::AadAppTenantId),
                raw.value
            ))
            .with_fix(where_to_find(Key::AadAppTenantId))),
        }
    }

    /// Every value with its source, for `config show`.
    pub(crate) fn show(&self) -> Vec<ShownSetting> {
        Key::ALL
            .into_iter()
            .map(|key| {
                let value = self.get(key);
                ShownSetting {
                    key: key.file_name(),
                    env: key.env_var(),
                    flag: key.flag(),
                    value: value.map(|v| v.value.clone()),
                    source: value.map(|v| v.source.label()),
                }
            })
            .collect()
    }
}

/// One line of `config show`.
#[derive(Clone, Serialize)]
pub(crate) struct ShownSetting {
    /// The config-file key.
    pub(crate) key: &'static str,
    /// Its environment variable.
    pub(crate) env: &'static str,
    /// Its flag.
    pub(crate) flag: Option<&'static str>,
    /// The value in effect.
    pub(crate) value: Option<String>,
    /// Where it came from.
    pub(crate) source: Option<String>,
}

/// Hides the value, which may be personal data (a user name).
impl fmt::Debug for ShownSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShownSetting")
            .field("key", &self.key)
            .field(
                "value",
                &self.value.as_ref().map(|_| format_args!("<hidden>")),
            )
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
    }

    fn scratch(name: &str, contents: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("d365-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("write");
        path
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_xml_and_toml_samples_say_the_same_thing() {
        let xml = read_file(&examples().join("CDSTestdriveUtility.exe.config")).expect("xml");
        let toml = read_file(&examples().join("d365.toml")).expect("toml");
        assert!(xml.warnings.is_empty(), "{:?}", xml.warnings);
        assert!(toml.warnings.is_empty(), "{:?}", toml.warnings);
        let values = |l: &FileLayer| {
            let mut v: Vec<(Key, String)> =
                l.layer.iter().map(|(k, s)| (*k, s.value.clone())).collect();
            v.sort();
            v
        };
        assert_eq!(values(&xml), values(&toml));
        assert!(
            values(&xml)
                .iter()
                .any(|(k, _)| *k == Key::AadApplicationId)
        );
    }

    #[test]
    fn format_is_detected_by_extension_then_content() {
        let xml = scratch(
            "settings.txt",
            b"\xEF\xBB\xBF  <configuration><appSettings><add key=\"servicEurl\" value=\"EMEA\"/></appSettings></configuration>",
        );
        let layer = read_file(&xml).expect("xml by content");
        assert_eq!(layer.layer[0].0, Key::ServiceUrl);
        let toml = scratch("settings", b"ServiceURL = \"crm4\"\n");
        assert_eq!(read_file(&toml).expect("toml").layer[0].1.value, "crm4");
    }

    #[test]
    fn malformed_files_name_the_file_and_the_place() {
        let path = scratch(
            "broken.exe.config",
            b"<configuration>\n<appSettings>\n</configuration>",
        );
        let err = read_file(&path).expect_err("malformed");
        assert!(err.message.contains("broken.exe.config"), "{err}");
        assert!(err.message.contains("line"), "{err}");
        let path = scratch("broken.toml", b"ServiceURL = \n");
        let err = read_file(&path).expect_err("malformed");
        assert!(err.message.contains("broken.toml"), "{err}");
        let err = read_file(Path::new("/nonexistent/d365.toml")).expect_err("missing");
        assert!(err.message.contains("cannot read config file"), "{err}");
    }

    #[test]
    fn secrets_in_files_are_refused_and_unknown_keys_warned() {
        let path = scratch(
            "secret.toml",
            b"ClientSecret = \"abc\"\nServiceURL = \"EMEA\"\n",
        );
        let err = read_file(&path).expect_err("secret");
        let fix = err.fix.clone().unwrap_or_default();
        assert!(fix.contains("D365_CLIENT_SECRET"), "{err}");
        assert!(
            !err.message.contains("abc") && !fix.contains("abc"),
            "{err}"
        );
        let path = scratch("typo.toml", b"ServiceURI = \"EMEA\"\n");
        let layer = read_file(&path).expect("reads");
        assert!(layer.layer.is_empty());
        assert!(
            layer.warnings[0].contains("ServiceURI"),
            "{:?}",
            layer.warnings
        );
    }

    #[test]
    fn relative_certificate_paths_follow_the_config_file() {
        let path = scratch("certs.toml", b"Certificate = \"app.pem\"\n");
        let layer = read_file(&path).expect("reads");
        let expected = path.parent().expect("dir").join("app.pem");
        assert_eq!(layer.layer[0].1.value, expected.display().to_string());
    }

    #[test]
    fn flags_beat_environment_which_beats_the_file() {
        let file = read_file(&examples().join("d365.toml")).expect("toml");
        let env = |name: &str| match name {
            "D365_SERVICE_URL" => Some("EMEA".to_owned()),
            "D365_TENANT_ID" => Some("  ".to_owned()),
            "D365_AAD_APPLICATION_ID" => Some("22222222-2222-2222-2222-222222222222".to_owned()),
            _ => None,
        };
        let flags = flag_layer(vec![
            (
                Key::AadApplicationId,
                Some("33333333-3333-3333-3333-333333333333".into()),
            ),
            (Key::UserName, None),
        ]);
        let s = Settings::layered([file.layer, env_layer(&env), flags]);
        assert_eq!(s.text(Key::ServiceUrl), Some("EMEA"));
        assert_eq!(
            s.get(Key::ServiceUrl).expect("set").source,
            Source::Env("D365_SERVICE_URL")
        );
        let app = s.guid(Key::AadApplicationId).expect("guid").expect("set");
        assert_eq!(
            app.value.to_string(),
            "33333333-3333-3333-3333-333333333333"
        );
        assert_eq!(app.source, Source::Flag("--app-id"));
        // An empty variable does not hide the file's value.
        assert!(matches!(
            s.get(Key::AadAppTenantId).expect("from file").source,
            Source::File(_)
        ));
    }

    #[test]
    fn bad_guids_and_missing_keys_say_where_and_how() {
        let s = Settings::layered([env_layer(&|n: &str| {
            (n == "D365_TENANT_ID").then(|| "contoso".to_owned())
        })]);
        let err = s.guid(Key::AadAppTenantId).expect_err("bad");
        assert!(err.message.contains("D365_TENANT_ID"), "{err}");
        assert!(err.message.contains("not a GUID"), "{err}");
        let err = s
            .require_guid(Key::AadApplicationId, "it names the app to register")
            .expect_err("missing");
        let fix = err.fix.clone().unwrap_or_default();
        assert!(fix.contains("--app-id"), "{err}");
        assert!(fix.contains("D365_AAD_APPLICATION_ID"), "{err}");
        assert!(
            Settings::layered([env_layer(&no_env)])
                .get(Key::Cloud)
                .is_none()
        );
    }

    #[test]
    fn authority_urls_give_host_and_tenant() {
        let a = parse_authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
            .expect("parses");
        assert_eq!(a.host, "https://login.microsoftonline.com");
        assert_eq!(a.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        let a = parse_authority("https://login.windows.net/common/oauth2/authorize").expect("v1");
        assert_eq!(a.host, "https://login.microsoftonline.com");
        assert_eq!(a.tenant.as_deref(), Some("common"));
        let a = parse_authority("http://127.0.0.1:7070/emu/c0a7e5a0-0000-4000-8000-000000000001/")
            .expect("prefixed");
        assert_eq!(a.host, "http://127.0.0.1:7070/emu");
        let a = parse_authority("https://login.microsoftonline.us").expect("host only");
        assert_eq!(a.tenant, None);
        assert!(parse_authority("login.microsoftonline.com/x").is_err());
    }

    #[test]
    fn authority_urls_with_user_info_are_refused_without_the_password() {
        for value in [
            "https://alice:hunter2@login.microsoftonline.com/contoso.onmicrosoft.com",
            "https://alice:hunter2@login.microsoftonline.com:99999/x",
            "ftp://alice:hunter2@login.microsoftonline.com/x",
        ] {
            let error = parse_authority(value).expect_err(value);
            assert!(!error.contains("hunter2"), "{error}");
            assert!(!error.contains("alice"), "{error}");
        }
    }

    #[test]
    fn sign_in_tenant_skips_common_for_the_app_tenant() {
        let file = vec![
            (
                Key::AadAuthority,
                Sourced {
                    value: "https://login.microsoftonline.com/common".into(),
                    source: Source::Flag("--test"),
                },
            ),
            (
                Key::AadAppTenantId,
                Sourced {
                    value: "c0a7e5a0-0000-4000-8000-000000000001".into(),
                    source: Source::Flag("--test"),
                },
            ),
        ];
        let s = Settings::layered([file]);
        assert_eq!(
            s.sign_in_tenant().expect("ok").as_deref(),
            Some("c0a7e5a0-0000-4000-8000-000000000001")
        );
        assert_eq!(
            s.authority_host().expect("ok"),
            "https://login.microsoftonline.com"
        );
    }

    #[test]
    fn backend_and_cloud_are_checked() {
        let s = Settings::layered([flag_layer(vec![
            (Key::Backend, Some("PowerPlatform".into())),
            (Key::Cloud, Some("mars".into())),
        ])]);
        assert_eq!(s.backend().expect("bap"), Backend::Bap);
        let err = s.cloud().expect_err("mars");
        assert!(err.message.contains("--cloud"), "{err}");
        assert_eq!(
            Settings::default().backend().expect("default"),
            Backend::Oma
        );
    }

    #[test]
    fn files_over_the_limit_are_refused_from_their_size_for_both_formats() {
        let limit = usize::try_from(MAX_FILE_BYTES).expect("fits");
        for name in ["big.exe.config", "big.toml"] {
            let mut contents = b"# ".to_vec();
            contents.resize(limit + 1, b'x');
            let err = read_file(&scratch(name, &contents)).expect_err("too large");
            assert_eq!(
                err.kind,
                ConfigErrorKind::TooLarge {
                    size: Some(MAX_FILE_BYTES + 1),
                    limit: MAX_FILE_BYTES
                }
            );
            assert!(err.message.contains(name), "{err}");
            assert!(err.message.contains("1048577 bytes"), "{err}");
            assert!(err.message.contains("limit of 1048576 bytes"), "{err}");
        }
        // Exactly the limit is still read.
        let mut contents = b"ServiceURL = \"EMEA\"\n#".to_vec();
        contents.resize(limit, b'x');
        let layer = read_file(&scratch("limit.toml", &contents)).expect("at the limit");
        assert_eq!(layer.layer[0].1.value, "EMEA");
    }

    #[test]
    fn the_read_itself_stops_past_the_limit_whatever_the_recorded_size() {
        // A special file records a size of 0; the read must still stop past the limit.
        let endless = std::io::repeat(b'x');
        assert!(matches!(
            read_limited(endless, 0, 8),
            Err(Limited::TooLarge(None))
        ));
        assert!(matches!(
            read_limited(&b"0123456789"[..], 0, 8),
            Err(Limited::TooLarge(None))
        ));
        assert!(matches!(
            read_limited(&b"01"[..], 9, 8),
            Err(Limited::TooLarge(Some(9)))
        ));
        assert_eq!(
            read_limited(&b"01234567"[..], 0, 8).expect("fits"),
            b"01234567"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_endless_special_file_is_refused() {
        let err = read_file(Path::new("/dev/zero")).expect_err("endless");
        assert_eq!(
            err.kind,
            ConfigErrorKind::TooLarge {
                size: None,
                limit: MAX_FILE_BYTES
            }
        );
    }

    #[test]
    fn a_dtd_in_a_config_file_is_a_typed_error() {
        let path = scratch(
            "laughs.exe.config",
            b"<!DOCTYPE configuration [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\
              <configuration><appSettings><add key=\"ServiceURL\" value=\"&b;\"/>\
              </appSettings></configuration>",
        );
        let err = read_file(&path).expect_err("DTD");
        assert_eq!(err.kind, ConfigErrorKind::Xml(xml::XmlError::Dtd));
        assert!(err.message.contains("laughs.exe.config"), "{err}");
        assert!(err.message.contains("no .NET config file needs"), "{err}");
    }

    #[test]
    fn twenty_thousand_entries_are_read_with_bounded_warnings() {
        let mut text = String::from("<configuration><appSettings>\n");
        for i in 0..20_000 {
            text.push_str(&format!("<add key=\"K{i}\" value=\"v{i}\"/>\n"));
        }
        text.push_str("<add key=\"ServiceURL\" value=\"EMEA\"/></appSettings></configuration>");
        let layer = read_file(&scratch("many.exe.config", text.as_bytes())).expect("reads");
        assert_eq!(layer.layer.len(), 1);
        assert_eq!(layer.layer[0].0, Key::ServiceUrl);
        assert_eq!(layer.warnings.len(), xml::MAX_WARNINGS + 1);
        assert!(layer.warnings[0].contains("`K0`"), "{:?}", layer.warnings);
        assert!(
            layer.warnings[xml::MAX_WARNINGS].contains("19980 more"),
            "{:?}",
            layer.warnings
        );
    }

    #[test]
    fn debug_output_hides_values() {
        let path = scratch("who.toml", b"UserName = \"ada@contoso.com\"\n");
        let layer = read_file(&path).expect("reads");
        let settings = Settings::layered([layer.layer.clone()]);
        for debug in [
            format!("{layer:?}"),
            format!("{settings:?}"),
            format!("{:?}", settings.show()),
        ] {
            assert!(!debug.contains("ada@"), "{debug}");
            assert!(debug.contains("who.toml"), "{debug}");
        }
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Whatever the bytes and whatever the name says, a typed error or a layer.
        #[test]
        fn any_bytes_are_read_or_refused_without_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
            name in proptest::sample::select(vec!["a.exe.config", "a.toml", "a"]),
        ) {
            let _ = from_bytes(Path::new(name), &bytes);
        }

        /// A secret in a file, damaged by one inserted character or cut short, never shows
        /// up in the error or in a warning.
        #[test]
        fn a_secret_in_a_damaged_file_is_never_echoed(
            secret in "[A-Za-z0-9]{16}",
            xml_format in any::<bool>(),
            at in any::<prop::sample::Index>(),
            insert in proptest::option::of(proptest::sample::select(vec![
                '"', '\'', '<', '>', '&', ';', '=', '\n', '[', ']', '{', '}', '\\', '/', '#', '\u{1}',
            ])),
        ) {
            let (name, text) = if xml_format {
                ("s.exe.config", format!(
                    "<configuration><appSettings><add key=\"ServiceURL\" value=\"EMEA\"/>\
                     <add key=\"ClientSecret\" value=\"{secret}\"/></appSettings></configuration>"
                ))
            } else {
                ("s.toml", format!("ServiceURL = \"EMEA\"\nClientSecret = \"{secret}\"\n"))
            };
            let cut = at.index(text.len() + 1);
            let damaged = match insert {
                Some(c) => format!("{}{c}{}", &text[..cut], &text[cut..]),
                None => text[..cut].to_owned(),
            };
            let said = match from_bytes(Path::new(name), damaged.as_bytes()) {
                Ok(layer) => layer.warnings.join("\n"),
                Err(e) => e.message,
            };
            prop_assert!(!said.contains(&secret), "{}", said);
        }
    }

    #[test]
    fn a_tenant_may_be_a_verified_domain_and_a_bad_one_says_where_to_find_the_id() {
        let with_tenant = |value: &str| {
            let value = value.to_owned();
            Settings::layered([env_layer(&move |n: &str| {
                (n == "D365_TENANT_ID").then(|| value.clone())
            })])
        };
        let s = with_tenant("Contoso.onmicrosoft.com");
        assert_eq!(
            s.sign_in_tenant().expect("a domain").as_deref(),
            Some("contoso.onmicrosoft.com")
        );
        let s = with_tenant("{C0A7E5A0-0000-4000-8000-000000000001}");
        assert_eq!(
            s.sign_in_tenant().expect("a GUID").as_deref(),
            Some("c0a7e5a0-0000-4000-8000-000000000001")
        );
        for bad in ["contoso", "common", "c0a7e5a0-0000-4000-8000", "a b.com"] {
            let err = with_tenant(bad).sign_in_tenant().expect_err(bad);
            assert!(err.message.contains("D365_TENANT_ID"), "{err}");
            let fix = err.fix.clone().unwrap_or_default();
            assert!(fix.contains("Overview > Tenant ID"), "{bad}: {fix}");
        }
        let err = with_tenant("x")
            .require_guid(Key::AadApplicationId, "it names the app")
            .expect_err("missing");
        assert!(err.fix.is_some(), "{err}");
        let err = Settings::layered([env_layer(&|n: &str| {
            (n == "D365_AAD_APPLICATION_ID").then(|| "my-app".to_owned())
        })])
        .guid(Key::AadApplicationId)
        .expect_err("bad");
        let fix = err.fix.unwrap_or_default();
        assert!(fix.contains("App registrations") && fix.contains("Application (client) ID"));
    }
}

//! The settings' names: config-file key, environment variable and flag of each.

/// A setting. The first six are the old utility's `<appSettings>` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    /// `AadApplicationId`: the application to register.
    AadApplicationId,
    /// `AadAppTenantId`: the application's tenant.
    AadAppTenantId,
    /// `AadAppCreatedOn`: informational, kept as given.
    AadAppCreatedOn,
    /// `ServiceURL`: region name or admin service URL.
    ServiceUrl,
    /// `AadAuthority`: `https://login.microsoftonline.com/<tenant>`.
    AadAuthority,
    /// `AadAppRedirectURL`: accepted for compatibility; no sign-in here uses a redirect.
    AadAppRedirectUrl,
    /// The sign-in host, overriding `AadAuthority`'s.
    AuthorityHost,
    /// The Microsoft cloud.
    Cloud,
    /// `oma` or `bap`.
    Backend,
    /// The admin API's token audience.
    Resource,
    /// The client id to sign in with.
    ClientId,
    /// The user name for the password sign-in.
    UserName,
    /// Certificate PEM file for app-only sign-in.
    Certificate,
    /// Private key PEM file for the certificate.
    PrivateKeyPem,
    /// PKCS#12 file for app-only sign-in.
    Pfx,
}

impl Key {
    /// Every key, in documentation order.
    pub(crate) const ALL: [Key; 15] = [
        Key::AadApplicationId,
        Key::AadAppTenantId,
        Key::AadAppCreatedOn,
        Key::ServiceUrl,
        Key::AadAuthority,
        Key::AadAppRedirectUrl,
        Key::AuthorityHost,
        Key::Cloud,
        Key::Backend,
        Key::Resource,
        Key::ClientId,
        Key::UserName,
        Key::Certificate,
        Key::PrivateKeyPem,
        Key::Pfx,
    ];

    /// The key's name in a config file (matched case-insensitively, as .NET does).
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            Key::AadApplicationId => "AadApplicationId",
            Key::AadAppTenantId => "AadAppTenantId",
            Key::AadAppCreatedOn => "AadAppCreatedOn",
            Key::ServiceUrl => "ServiceURL",
            Key::AadAuthority => "AadAuthority",
            Key::AadAppRedirectUrl => "AadAppRedirectURL",
            Key::AuthorityHost => "AuthorityHost",
            Key::Cloud => "Cloud",
            Key::Backend => "Backend",
            Key::Resource => "Resource",
            Key::ClientId => "ClientId",
            Key::UserName => "UserName",
            Key::Certificate => "Certificate",
            Key::PrivateKeyPem => "PrivateKey",
            Key::Pfx => "Pfx",
        }
    }

    /// The environment variable that sets it.
    pub(crate) fn env_var(self) -> &'static str {
        match self {
            Key::AadApplicationId => "D365_AAD_APPLICATION_ID",
            Key::AadAppTenantId => "D365_TENANT_ID",
            Key::AadAppCreatedOn => "D365_APP_CREATED_ON",
            Key::ServiceUrl => "D365_SERVICE_URL",
            Key::AadAuthority => "D365_AUTHORITY",
            Key::AadAppRedirectUrl => "D365_REDIRECT_URL",
            Key::AuthorityHost => "D365_AUTHORITY_HOST",
            Key::Cloud => "D365_CLOUD",
            Key::Backend => "D365_BACKEND",
            Key::Resource => "D365_RESOURCE",
            Key::ClientId => "D365_CLIENT_ID",
            Key::UserName => "D365_USERNAME",
            Key::Certificate => "D365_CERTIFICATE",
            Key::PrivateKeyPem => "D365_PRIVATE_KEY",
            Key::Pfx => "D365_PFX",
        }
    }

    /// The flag that sets it, if any.
    pub(crate) fn flag(self) -> Option<&'static str> {
        Some(match self {
            Key::AadApplicationId => "--app-id",
            Key::AadAppTenantId => "--tenant-id",
            Key::ServiceUrl => "--service-url",
            Key::AadAuthority => "--authority",
            Key::AuthorityHost => "--authority-host",
            Key::Cloud => "--cloud",
            Key::Backend => "--backend",
            Key::Resource => "--resource",
            Key::ClientId => "--client-id",
            Key::UserName => "--username",
            Key::Certificate => "--certificate",
            Key::PrivateKeyPem => "--private-key",
            Key::Pfx => "--pfx",
            Key::AadAppCreatedOn | Key::AadAppRedirectUrl => return None,
        })
    }

    /// The key named `name` in a config file, case-insensitively.
    pub(crate) fn from_file_name(name: &str) -> Option<Key> {
        Key::ALL
            .into_iter()
            .find(|k| k.file_name().eq_ignore_ascii_case(name.trim()))
    }

    /// Keys holding file paths, which are relative to the config file that sets them.
    pub(crate) fn is_path(self) -> bool {
        matches!(self, Key::Certificate | Key::PrivateKeyPem | Key::Pfx)
    }

    /// How to set the key, for "missing" messages.
    pub(crate) fn how_to_set(self) -> String {
        let mut ways = vec![format!("{} in the config file", self.file_name())];
        ways.push(format!("the {} environment variable", self.env_var()));
        if let Some(flag) = self.flag() {
            ways.push(flag.to_owned());
        }
        let last = ways.pop().unwrap_or_default();
        format!("{}, or {last}", ways.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_round_trip() {
        let files: HashSet<_> = Key::ALL.map(Key::file_name).into_iter().collect();
        let envs: HashSet<_> = Key::ALL.map(Key::env_var).into_iter().collect();
        assert_eq!(files.len(), Key::ALL.len());
        assert_eq!(envs.len(), Key::ALL.len());
        for key in Key::ALL {
            assert_eq!(
                Key::from_file_name(&key.file_name().to_uppercase()),
                Some(key)
            );
        }
    }

    #[test]
    fn help_documents_every_variable_and_flag() {
        for key in Key::ALL {
            assert!(
                crate::cli::AFTER_HELP.contains(key.env_var()),
                "{} missing from --help",
                key.env_var()
            );
        }
        let flags: Vec<String> = {
            use clap::CommandFactory;
            let mut cmd = crate::cli::Cli::command();
            cmd.build();
            let register = cmd
                .find_subcommand("whitelistapp")
                .expect("whitelistapp")
                .clone();
            register
                .get_arguments()
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect()
        };
        for flag in Key::ALL.into_iter().filter_map(Key::flag) {
            assert!(flags.iter().any(|f| f == flag), "{flag} is not a flag");
        }
    }
}

//! The default seed: one tenant with a confidential app, a public client app, five users and one
//! environment.

use std::fmt;

use url::Url;
use uuid::{Uuid, uuid};

use super::{
    AdminRole, AppSeed, ConsentSeed, InstanceSeed, InstanceType, MfaState, SecretSeed, SeedFile,
    TenantFile, UserSeed,
};
use crate::certificate::TestCertificate;

const TENANT_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000001");
const CLIENT_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000002");
const PUBLIC_CLIENT_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000003");
const USER_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000004");
const MFA_USER_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000005");
const MFA_ENROLLMENT_USER_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000006");
const NON_ADMIN_USER_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000007");
const UNLICENSED_USER_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000008");
const INSTANCE_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000020");
/// A tenant application identity registered in the default seed for an app that has no
/// registration in the directory, so the identity list is never empty.
const PLACEHOLDER_MANAGEMENT_APP_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000030");
const CLIENT_SP_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000012");
const PUBLIC_CLIENT_SP_ID: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000013");
const DOMAIN: &str = "contoso.onmicrosoft.com";
/// The emulator's Microsoft Graph resource (token audience) is `{origin}/graph`.
pub(crate) const GRAPH_RESOURCE_PATH: &str = "graph";
/// The Graph application permissions the default confidential app holds: enough to read users
/// (and their delta) and group members.
const GRAPH_APP_ROLES: [&str; 2] = ["User.Read.All", "GroupMember.Read.All"];

/// The well-known resources registered in the default tenant besides the emulator's own origin.
const WELL_KNOWN_RESOURCES: [&str; 4] = [
    "https://contoso.crm.dynamics.com",
    "https://admin.services.crm.dynamics.com",
    "https://service.powerapps.com",
    "https://api.powerplatform.com",
];

/// A user of the default seed and the password that signs it in.
#[derive(Clone, PartialEq, Eq)]
pub struct SeededUser {
    /// User principal name.
    pub upn: String,
    /// Password.
    pub password: String,
    /// Object ID (`oid`).
    pub object_id: Uuid,
}

impl fmt::Debug for SeededUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeededUser")
            .field("upn", &self.upn)
            .field("password", &"<redacted>")
            .field("object_id", &self.object_id)
            .finish()
    }
}

/// IDs and credentials of the default seed.
///
/// The IDs are fixed; the certificate is generated when the emulator starts, and
/// `dataverse_url` is the emulator's own base URL. When the emulator was started with
/// `default_seed: false`, these values describe nothing that is registered.
#[derive(Clone)]
pub struct DefaultSeed {
    /// The tenant ID (`c0a7e5a0-0000-4000-8000-000000000001`).
    pub tenant_id: Uuid,
    /// The tenant's domain (`contoso.onmicrosoft.com`).
    pub tenant_domain: String,
    /// The confidential app's client ID; it has [`client_secret`](Self::client_secret) and
    /// [`certificate`](Self::certificate) as credentials and accepts `http://localhost`.
    pub client_id: Uuid,
    /// The confidential app's client secret.
    pub client_secret: String,
    /// The public client app's client ID (public client flows allowed, no credentials).
    pub public_client_id: Uuid,
    /// The redirect URI registered on both apps (`http://localhost`, any port).
    pub redirect_uri: String,
    /// A user without MFA; the default signed-in user of interactive flows.
    pub user: SeededUser,
    /// A user for whom MFA is required (the password grant fails with AADSTS50076).
    pub mfa_user: SeededUser,
    /// A user who must register for MFA (the password grant fails with AADSTS50079).
    pub mfa_enrollment_user: SeededUser,
    /// A licensed user without admin roles (`dave@…`): the admin APIs answer 403 to its tokens,
    /// and it is not in the default environment until ApplyUser or `addUser` adds it.
    pub non_admin_user: SeededUser,
    /// A user without a licence (`erin.unlicensed@…`): ApplyUser fails with `UserNotLicensed`
    /// and BAP `addUser` with `userNotLicensed`.
    pub unlicensed_user: SeededUser,
    /// The stand-in Dataverse organisation URL: the emulator's own base URL.
    pub dataverse_url: Url,
    /// The default environment: a ready production instance whose `ApplicationUrl` is
    /// [`dataverse_url`](Self::dataverse_url) and `ApiUrl` is `{origin}/api/data/v9.2`. The same
    /// GUID is its Power Platform (BAP) environment name. [`user`](Self::user) (a Global
    /// administrator) is present in it.
    pub instance_id: Uuid,
    /// Every resource URI registered in the tenant (the emulator origin first, the emulator's
    /// Microsoft Graph `{origin}/graph` last); both apps have delegated consent for all of them.
    /// The confidential app also holds the Graph application permissions `User.Read.All` and
    /// `GroupMember.Read.All`.
    pub resources: Vec<String>,
    /// The certificate registered on the confidential app.
    pub certificate: TestCertificate,
}

impl fmt::Debug for DefaultSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultSeed")
            .field("tenant_id", &self.tenant_id)
            .field("tenant_domain", &self.tenant_domain)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("public_client_id", &self.public_client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("user", &self.user)
            .field("mfa_user", &self.mfa_user)
            .field("mfa_enrollment_user", &self.mfa_enrollment_user)
            .field("non_admin_user", &self.non_admin_user)
            .field("unlicensed_user", &self.unlicensed_user)
            .field("dataverse_url", &self.dataverse_url.as_str())
            .field("instance_id", &self.instance_id)
            .field("resources", &self.resources)
            .field("certificate", &self.certificate)
            .finish()
    }
}

/// The default seed's values for an emulator listening at `base_url`.
pub(crate) fn build_default_seed(base_url: &Url, certificate: TestCertificate) -> DefaultSeed {
    let origin = base_url.as_str().trim_end_matches('/').to_owned();
    let user = |local: &str, password: &str, object_id| SeededUser {
        upn: format!("{local}@{DOMAIN}"),
        password: password.to_owned(),
        object_id,
    };
    DefaultSeed {
        tenant_id: TENANT_ID,
        tenant_domain: DOMAIN.to_owned(),
        client_id: CLIENT_ID,
        client_secret: "Emu8Q~default-client-secret-0123456789".to_owned(),
        public_client_id: PUBLIC_CLIENT_ID,
        redirect_uri: "http://localhost".to_owned(),
        user: user("alice", "Alice-Passw0rd!", USER_ID),
        mfa_user: user("bob.mfa", "Bob-Passw0rd!", MFA_USER_ID),
        mfa_enrollment_user: user("carol.enroll", "Carol-Passw0rd!", MFA_ENROLLMENT_USER_ID),
        non_admin_user: user("dave", "Dave-Passw0rd!", NON_ADMIN_USER_ID),
        unlicensed_user: user("erin.unlicensed", "Erin-Passw0rd!", UNLICENSED_USER_ID),
        dataverse_url: base_url.clone(),
        instance_id: INSTANCE_ID,
        resources: std::iter::once(origin.clone())
            .chain(WELL_KNOWN_RESOURCES.iter().map(|r| (*r).to_owned()))
            .chain(std::iter::once(format!("{origin}/{GRAPH_RESOURCE_PATH}")))
            .collect(),
        certificate,
    }
}

/// The default seed as seed data.
pub(crate) fn default_seed_file(defaults: &DefaultSeed) -> SeedFile {
    let user = |seeded: &SeededUser, display_name: &str, mfa| UserSeed {
        object_id: seeded.object_id,
        user_principal_name: seeded.upn.clone(),
        password: seeded.password.clone(),
        mfa,
        display_name: display_name.to_owned(),
        ..UserSeed::default()
    };
    let confidential = AppSeed {
        secrets: vec![SecretSeed::new(defaults.client_secret.clone())],
        certificates: vec![defaults.certificate.certificate_pem.clone()],
        redirect_uris: vec![defaults.redirect_uri.clone()],
        service_principal_id: Some(CLIENT_SP_ID),
        app_roles: [(
            format!("{}{GRAPH_RESOURCE_PATH}", defaults.dataverse_url.as_str()),
            GRAPH_APP_ROLES.iter().map(|r| (*r).to_owned()).collect(),
        )]
        .into(),
        ..AppSeed::new(defaults.client_id, "Emulator confidential app")
    };
    let public = AppSeed {
        redirect_uris: vec![defaults.redirect_uri.clone()],
        public_client: true,
        service_principal_id: Some(PUBLIC_CLIENT_SP_ID),
        ..AppSeed::new(defaults.public_client_id, "Emulator public client")
    };
    let consents = [defaults.client_id, defaults.public_client_id]
        .into_iter()
        .flat_map(|client_id| {
            defaults.resources.iter().map(move |resource| ConsentSeed {
                client_id,
                resource: resource.clone(),
            })
        })
        .collect();
    let origin = defaults.dataverse_url.as_str().trim_end_matches('/');
    let instance = InstanceSeed {
        unique_name: "orgc0a7e5a0".to_owned(),
        friendly_name: "Contoso".to_owned(),
        application_url: Some(defaults.dataverse_url.to_string()),
        api_url: Some(format!("{origin}/api/data/v9.2")),
        instance_type: InstanceType::Production,
        purpose: Some("Default environment of the emulator".to_owned()),
        initial_user_email: Some(defaults.user.upn.clone()),
        users: vec![defaults.user.object_id],
        ..InstanceSeed::new(defaults.instance_id, "contoso")
    };
    SeedFile {
        tenants: vec![TenantFile {
            id: defaults.tenant_id,
            domain: defaults.tenant_domain.clone(),
            resources: defaults.resources.clone(),
            apps: vec![confidential, public],
            users: vec![
                UserSeed {
                    admin_roles: vec![AdminRole::GlobalAdministrator],
                    ..user(&defaults.user, "Alice Example", MfaState::None)
                },
                user(&defaults.mfa_user, "Bob Mfa", MfaState::Required),
                user(
                    &defaults.mfa_enrollment_user,
                    "Carol Enrollment",
                    MfaState::EnrollmentRequired,
                ),
                user(&defaults.non_admin_user, "Dave NonAdmin", MfaState::None),
                UserSeed {
                    licensed: false,
                    ..user(&defaults.unlicensed_user, "Erin Unlicensed", MfaState::None)
                },
            ],
            generated_users: None,
            groups: Vec::new(),
            consents,
            instances: vec![instance],
            application_identities: vec![PLACEHOLDER_MANAGEMENT_APP_ID],
            admin_applications: Vec::new(),
        }],
    }
}

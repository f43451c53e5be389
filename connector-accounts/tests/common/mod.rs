//! Shared helpers of the connector-accounts tests: accounts built directly in a store.

#![allow(dead_code)] // Each test file uses its own part.

use connector_accounts::{AccountId, AccountStatus, OrgUrl, StoredAccount};
use dynamics_auth::Secret;
use time::OffsetDateTime;

pub(crate) const TENANT: &str = "11111111-2222-3333-4444-555555555555";

pub(crate) fn account_id(id: &str) -> AccountId {
    AccountId::new(id).expect("valid account id")
}

/// An account whose tokens come from `authority_host`, without an access token (so the first
/// use refreshes).
pub(crate) fn account(
    id: &str,
    authority_host: &str,
    refresh: &str,
    previous: Option<&str>,
) -> StoredAccount {
    StoredAccount {
        id: account_id(id),
        org_url: OrgUrl::parse("https://contoso.crm4.dynamics.com").expect("org"),
        authority_host: authority_host.to_owned(),
        tenant: TENANT.to_owned(),
        scopes: vec![
            "https://contoso.crm4.dynamics.com/user_impersonation".to_owned(),
            "offline_access".to_owned(),
        ],
        refresh_token: Secret::new(refresh.to_owned()),
        previous_refresh_token: previous.map(|p| Secret::new(p.to_owned())),
        access_token: None,
        status: AccountStatus::Active,
        lease: None,
        version: 0,
        sign_in_id: format!("sign-in-of-{id}"),
        updated_at: OffsetDateTime::now_utc(),
    }
}

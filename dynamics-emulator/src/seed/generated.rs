//! [`GeneratedUsers`]: many deterministic users from a short description, for examples and
//! benchmarks (a seed file with 50,000 users written out would be megabytes).

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::UserSeed;

/// The SKU generated users are licensed with, shown in Graph's `assignedLicenses`: "Dynamics
/// 365 Customer Engagement Plan" (`DYN365_ENTERPRISE_PLAN1`), from Microsoft's "Product names
/// and service plan identifiers for licensing".
pub const DYNAMICS_365_SKU_ID: Uuid = Uuid::from_u128(0xea126fc5_a19e_42e2_a731_da9d437bffcf);

/// Where a generated user works: city, country and usage location go together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceSeed {
    /// Microsoft Graph `city`.
    pub city: String,
    /// Microsoft Graph `country`.
    pub country: String,
    /// Microsoft Graph `usageLocation` (two-letter code).
    pub usage_location: String,
}

impl PlaceSeed {
    /// A place from its three parts.
    pub fn new(
        city: impl Into<String>,
        country: impl Into<String>,
        usage_location: impl Into<String>,
    ) -> Self {
        Self {
            city: city.into(),
            country: country.into(),
            usage_location: usage_location.into(),
        }
    }
}

/// `count` users named `{prefix}{n:05}@{tenant domain}` (n from 1), with object IDs derived
/// from the tenant ID and `n` (the same on every run), spread round-robin over the departments,
/// places and job titles given (user `n` gets entry `(n - 1) % len` of each list).
///
/// Every generated user is enabled and licensed (with [`DYNAMICS_365_SKU_ID`], so Graph shows
/// it in `assignedLicenses`), signs in with [`password`](Self::password),
/// has display name `{Prefix} {n:05}` and mail equal to the UPN.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedUsers {
    /// How many users.
    pub count: usize,
    /// The UPN's local-part prefix. Default `user`.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Departments, assigned round-robin (none: no department).
    #[serde(default)]
    pub departments: Vec<String>,
    /// Places, assigned round-robin (none: no city, country or usage location).
    #[serde(default)]
    pub places: Vec<PlaceSeed>,
    /// Job titles, assigned round-robin (none: no job title).
    #[serde(default)]
    pub job_titles: Vec<String>,
    /// The password of every generated user. Default `Generated-Passw0rd!`.
    #[serde(default = "default_password")]
    pub password: String,
}

fn default_prefix() -> String {
    "user".to_owned()
}

fn default_password() -> String {
    "Generated-Passw0rd!".to_owned()
}

impl GeneratedUsers {
    /// `count` users with the default prefix and password and no attributes.
    pub fn new(count: usize) -> Self {
        Self {
            count,
            prefix: default_prefix(),
            departments: Vec::new(),
            places: Vec::new(),
            job_titles: Vec::new(),
            password: default_password(),
        }
    }

    /// The object ID generated user `n` (from 1) gets in tenant `tenant_id`.
    pub fn object_id(tenant_id: Uuid, prefix: &str, n: usize) -> Uuid {
        let digest = Sha256::new()
            .chain_update(tenant_id.as_bytes())
            .chain_update(prefix.as_bytes())
            .chain_update(n.to_le_bytes())
            .finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// The users, generated one at a time (nothing is held in memory beyond the current one).
    pub fn users<'a>(
        &'a self,
        tenant_id: Uuid,
        domain: &'a str,
    ) -> impl Iterator<Item = UserSeed> + 'a {
        (1..=self.count).map(move |n| self.user(tenant_id, domain, n))
    }

    fn user(&self, tenant_id: Uuid, domain: &str, n: usize) -> UserSeed {
        let pick = |list: &[String]| (!list.is_empty()).then(|| list[(n - 1) % list.len()].clone());
        let place = (!self.places.is_empty()).then(|| &self.places[(n - 1) % self.places.len()]);
        let upn = format!("{}{n:05}@{domain}", self.prefix);
        let given_name = capitalised(&self.prefix);
        UserSeed {
            object_id: Self::object_id(tenant_id, &self.prefix, n),
            display_name: format!("{given_name} {n:05}"),
            given_name: Some(given_name),
            surname: Some(format!("{n:05}")),
            mail: Some(upn.clone()),
            user_principal_name: upn,
            password: self.password.clone(),
            department: pick(&self.departments),
            job_title: pick(&self.job_titles),
            city: place.map(|p| p.city.clone()),
            country: place.map(|p| p.country.clone()),
            usage_location: place.map(|p| p.usage_location.clone()),
            licensed: true,
            licences: vec![DYNAMICS_365_SKU_ID],
            ..UserSeed::default()
        }
    }
}

impl fmt::Debug for GeneratedUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedUsers")
            .field("count", &self.count)
            .field("prefix", &self.prefix)
            .field("departments", &self.departments)
            .field("places", &self.places)
            .field("job_titles", &self.job_titles)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `user` → `User`.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_deterministic_and_spread_round_robin() {
        let tenant = Uuid::from_u128(7);
        let spec = GeneratedUsers {
            departments: vec!["Sales".into(), "Support".into(), "Finance".into()],
            places: vec![
                PlaceSeed::new("Berlin", "Germany", "DE"),
                PlaceSeed::new("Paris", "France", "FR"),
            ],
            ..GeneratedUsers::new(4)
        };
        let users: Vec<UserSeed> = spec.users(tenant, "contoso.example").collect();
        assert_eq!(users.len(), 4);
        assert_eq!(users[0].user_principal_name, "user00001@contoso.example");
        assert_eq!(users[3].department.as_deref(), Some("Sales"));
        assert_eq!(users[1].usage_location.as_deref(), Some("FR"));
        assert_eq!(users[2].city.as_deref(), Some("Berlin"));
        let again: Vec<UserSeed> = spec.users(tenant, "contoso.example").collect();
        assert_eq!(users, again);
        assert_ne!(users[0].object_id, users[1].object_id);
        // Licensed, and the licence is a SKU Graph can show.
        assert!(
            users
                .iter()
                .all(|u| u.licensed && u.licences == [DYNAMICS_365_SKU_ID])
        );
        assert_eq!(
            DYNAMICS_365_SKU_ID.to_string(),
            "ea126fc5-a19e-42e2-a731-da9d437bffcf"
        );
    }
}

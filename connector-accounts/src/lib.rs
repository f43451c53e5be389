#![doc = include_str!("../README.md")]

mod account;
mod app;
mod credential;
mod discovery;
mod entra_errors;
mod error;
mod key;
mod org_url;
mod record;
mod sign_in;
mod store;
mod tokens;

pub use account::AccountId;
pub use app::{AppCredential, ConnectorApp, SignInOptions};
pub use credential::AccountCredential;
pub use error::ConnectorError;
pub use key::TokenKey;
pub use org_url::{OrgUrl, ScopeStyle};
pub use record::{
    AccountStatus, AccountSummary, CachedAccessToken, PendingSignIn, RefreshLease, StoredAccount,
};
pub use sign_in::{ConnectorSignIn, SignedIn, StartedSignIn};
pub use store::{MemoryTokenStore, SqlTokenStore, TokenStore};

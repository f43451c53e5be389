#![doc = include_str!("../README.md")]

/// Sign-in to Microsoft Entra ID: the [`dynamics_auth`] crate.
pub use dynamics_auth as auth;

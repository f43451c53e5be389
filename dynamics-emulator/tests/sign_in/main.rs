//! Integration tests of the emulator's sign-in service, driven over HTTP with plain form posts.

mod admin_consent;
mod authorization_code;
mod certificate;
mod client_credentials;
mod device_code;
mod discovery;
mod password;
mod refresh_token;
mod seeding;
mod support;
mod v1;
mod validation;

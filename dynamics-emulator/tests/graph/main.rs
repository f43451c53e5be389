//! Integration tests of the emulator's Microsoft Graph (users, delta, groups), over HTTP.

mod auth;
mod delta;
mod groups;
mod seeding;
mod support;
mod users;

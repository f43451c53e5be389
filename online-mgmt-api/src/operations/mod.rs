//! The client's calls, one file per resource. Each builds its request with
//! [`Requests`](crate::Requests) and sends it through the client.

mod backups;
mod catalog;
mod identities;
mod instances;
mod keys;
mod notifications;
mod status;
mod users;

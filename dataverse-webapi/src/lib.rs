//! Client for the Dataverse Web API (OData v4): records, queries, paging streams and `$batch`.
//!
//! This crate is filled by the Dataverse-slice work. It has no public items yet; sign-in comes
//! from `dynamics-auth`.

//! Client for the Dynamics 365 Online Management API (`admin.services.crm*.dynamics.com`) and
//! its Power Platform successor.
//!
//! This crate is filled by the admin-slice work: application registration
//! (`TenantApplicationIdentities`), `ApplyUser` force sync, instances and long-running
//! operations. It has no public items yet; sign-in comes from `dynamics-auth`.

//! The access check: Dataverse's security model applied to the caller of each Web API
//! operation.
//!
//! A caller's effective privileges are the union of the privileges of its security roles,
//! held directly (`systemuserroles_association`) or through the teams it belongs to
//! (`teammembership_association`, `teamroles_association`), with the highest depth per
//! privilege ([`principal`]). Each check compares a privilege's depth with the ownership of
//! the record ([`ownership`]): Basic reaches records the user (or one of its teams) owns, Local
//! the records of its business unit, Deep that unit and the units below it, Global every record.
//! Organisation-owned tables need Global. A caller holding System Administrator is never
//! restricted; which callers are checked at all is [`SecurityEnforcement`](super::SecurityEnforcement)
//! ([`check::Access::resolve`]).
//!
//! Layout: [`rights`] (access rights, depths and privilege names), [`principal`] (effective
//! privileges), [`ownership`] (who owns a row), [`scope`] (the rows one privilege reaches),
//! [`check`] (the checks the handlers call), [`escalation`] (role assignment), [`denied`] (the
//! service's error answers), [`marker`] (application users created through the API).

pub(crate) mod check;
pub(crate) mod denied;
pub(crate) mod escalation;
pub(crate) mod marker;
pub(crate) mod ownership;
pub(crate) mod principal;
pub(crate) mod rights;
pub(crate) mod scope;

pub(crate) use check::Access;
pub(crate) use marker::mark_if_application_user;
pub(crate) use rights::Right;
pub(crate) use scope::RowFilter;

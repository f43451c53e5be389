//! Applying a read package to the organisation: the publisher and solution rows, and each
//! role in the root business unit (with its copies) holding exactly the package's privileges.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::package::{Package, PackageError, parse_version};
use crate::dataverse::errors::ApiError;
use crate::dataverse::ids::name_uuid;
use crate::dataverse::security::catalogue::privilege_id;
use crate::dataverse::security::depth::Depth;
use crate::dataverse::security::privileges::replace;
use crate::dataverse::security::roles::{after_role_created, by_name};
use crate::dataverse::security::rows::Rows;
use crate::dataverse::write::ops::Writer;

/// Checks the package against what is installed: a managed solution cannot be downgraded or
/// replace an unmanaged one of the same name, and every privilege must exist.
pub(crate) fn check(rows: Rows<'_>, package: &Package) -> Result<Option<Uuid>, PackageError> {
    let existing = rows.ids("solution").into_iter().find(|id| {
        rows.text("solution", *id, "uniquename")
            .is_some_and(|n| n.eq_ignore_ascii_case(&package.unique_name))
    });
    if let Some(id) = existing {
        let managed = rows.flag("solution", id, "ismanaged");
        let installed = rows.text("solution", id, "version").unwrap_or_default();
        if managed != package.managed {
            return Err(PackageError(format!(
                "The solution {} is installed as {} and cannot be imported as {}. Remove it first.",
                package.unique_name,
                if managed { "managed" } else { "unmanaged" },
                if package.managed {
                    "managed"
                } else {
                    "unmanaged"
                },
            )));
        }
        if managed
            && let Some(old) = parse_version(installed)
            && padded(&package.version) < padded(&old)
        {
            return Err(PackageError(format!(
                "The solution {} version {} is older than the installed version {installed}. A managed solution cannot be downgraded.",
                package.unique_name,
                package.version_text()
            )));
        }
    }
    for role in &package.roles {
        for (name, depth) in &role.privileges {
            let id = privilege_id(name);
            if !rows.exists("privilege", id) {
                return Err(PackageError(format!(
                    "customizations.xml: role '{}' names the privilege '{name}', which does not exist in this organization.",
                    role.name
                )));
            }
            if !rows.flag("privilege", id, depth.can_be_column()) {
                return Err(PackageError(format!(
                    "customizations.xml: role '{}': the privilege '{name}' cannot be given at level {}.",
                    role.name,
                    depth.name()
                )));
            }
        }
    }
    Ok(existing)
}

fn padded(version: &[u32]) -> [u32; 4] {
    let mut out = [0; 4];
    for (slot, part) in out.iter_mut().zip(version) {
        *slot = *part;
    }
    out
}

/// Writes the package (as the platform, inside the caller's transaction); returns the
/// solution's ID.
pub(crate) fn apply(
    writer: &mut Writer<'_>,
    package: &Package,
    existing: Option<Uuid>,
    now: &str,
) -> Result<Uuid, ApiError> {
    let publishers = writer.catalog.by_logical("publisher").unwrap_or_default();
    let solutions = writer.catalog.by_logical("solution").unwrap_or_default();
    let roles = writer.catalog.by_logical("role").unwrap_or_default();
    let publisher_id = name_uuid(
        "publisher",
        &package.publisher.unique_name.to_ascii_lowercase(),
    );
    let mut publisher = Map::new();
    publisher.insert(
        "uniquename".to_owned(),
        json!(package.publisher.unique_name),
    );
    publisher.insert(
        "friendlyname".to_owned(),
        json!(package.publisher.friendly_name),
    );
    publisher.insert(
        "customizationprefix".to_owned(),
        json!(package.publisher.prefix),
    );
    if let Some(prefix) = package.publisher.option_value_prefix {
        publisher.insert("customizationoptionvalueprefix".to_owned(), json!(prefix));
    }
    let found = Rows::new(writer.catalog, writer.data)
        .ids("publisher")
        .into_iter()
        .find(|id| {
            Rows::new(writer.catalog, writer.data)
                .text("publisher", *id, "uniquename")
                .is_some_and(|n| n.eq_ignore_ascii_case(&package.publisher.unique_name))
        });
    let publisher_id = match found {
        Some(id) => {
            writer.update(publishers, id, &publisher)?;
            id
        }
        None => writer.create(publishers, &publisher, Some(publisher_id), &[])?,
    };
    let mut solution = Map::new();
    solution.insert("uniquename".to_owned(), json!(package.unique_name));
    solution.insert("friendlyname".to_owned(), json!(package.friendly_name));
    solution.insert("version".to_owned(), json!(package.version_text()));
    solution.insert("ismanaged".to_owned(), json!(package.managed));
    solution.insert("isvisible".to_owned(), json!(true));
    solution.insert("installedon".to_owned(), Value::String(now.to_owned()));
    solution.insert(
        "publisherid@odata.bind".to_owned(),
        json!(format!("/publishers({publisher_id})")),
    );
    let solution_id = match existing {
        Some(id) => {
            writer.update(solutions, id, &solution)?;
            id
        }
        None => writer.create(
            solutions,
            &solution,
            Some(name_uuid("solution", &package.unique_name)),
            &[],
        )?,
    };
    let root = writer.rules.org.root_business_unit;
    for role in &package.roles {
        let rows = Rows::new(writer.catalog, writer.data);
        let current = role
            .id
            .filter(|id| rows.exists("role", *id))
            .or_else(|| by_name(rows, root, &role.name));
        let id = match current {
            Some(id) => {
                let mut body = Map::new();
                body.insert("name".to_owned(), json!(role.name));
                body.insert("ismanaged".to_owned(), json!(package.managed));
                writer.update(roles, id, &body)?;
                for copy in crate::dataverse::security::privileges::family(
                    Rows::new(writer.catalog, writer.data),
                    id,
                )
                .into_iter()
                .skip(1)
                {
                    writer.update(roles, copy, &body)?;
                }
                id
            }
            None => {
                let mut body = Map::new();
                body.insert("name".to_owned(), json!(role.name));
                body.insert("ismanaged".to_owned(), json!(package.managed));
                body.insert(
                    "businessunitid@odata.bind".to_owned(),
                    json!(format!("/businessunits({root})")),
                );
                let id = writer.create(roles, &body, role.id, &[])?;
                after_role_created(writer, id)?;
                id
            }
        };
        let privileges: Vec<(Uuid, Depth)> = role
            .privileges
            .iter()
            .map(|(name, depth)| (privilege_id(name), *depth))
            .collect();
        replace(writer, id, &privileges)?;
    }
    Ok(solution_id)
}

//! Writing rows as the platform: the organisation's starting rows (organization, business
//! units, currency, roles, teams, solutions, the `SYSTEM` user) and rows from the seeding API.

use serde_json::{Map, Value, json};
use uuid::{Uuid, uuid};

use super::env::Caller;
use super::errors::ApiError;
use super::ids::name_uuid;
use super::metadata::catalog::Navigation;
use super::state::{DataverseStore, OrgIds};
use super::store::cell::Cell;
use super::write::body::WriteMode;
use super::write::ops::{Writer, atomic};
use super::write::rules::RuleContext;

/// The organisation's fixed IDs.
pub(crate) const ORG_IDS: OrgIds = OrgIds {
    organization: uuid!("c0a7e5a0-0000-4000-8000-000000000040"),
    root_business_unit: uuid!("c0a7e5a0-0000-4000-8000-000000000041"),
    base_currency: uuid!("c0a7e5a0-0000-4000-8000-000000000042"),
    system_user: uuid!("c0a7e5a0-0000-4000-8000-000000000043"),
    system_administrator_role: uuid!("c0a7e5a0-0000-4000-8000-000000000045"),
};
/// The child business unit ("Sales").
pub(crate) const SALES_BUSINESS_UNIT: Uuid = uuid!("c0a7e5a0-0000-4000-8000-000000000044");
/// The organisation's unique name (also the root business unit's name).
pub(crate) const ORG_NAME: &str = "orgc0a7e5a0";

/// The security roles every business unit has a copy of.
pub(crate) const ROLES: [&str; 5] = [
    "System Administrator",
    "System Customizer",
    "Basic User",
    "Environment Maker",
    "Delegate",
];

/// Runs `work` with a writer acting as the `SYSTEM` user in seeding mode, in one transaction.
pub(crate) fn with_seed_writer<T>(
    store: &mut DataverseStore,
    now: i64,
    work: impl FnOnce(&mut Writer<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let rules = RuleContext {
        org: store.org,
        caller: Caller {
            user_id: store.org.system_user,
            business_unit_id: store.org.root_business_unit,
        },
        now,
    };
    let DataverseStore { catalog, data, .. } = store;
    atomic(catalog, data, |data| {
        let mut writer = Writer {
            catalog,
            data,
            rules,
            mode: WriteMode::Seed,
            access: None,
        };
        work(&mut writer)
    })
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The organisation's starting rows.
pub(crate) fn seed_organization(store: &mut DataverseStore, now: i64) -> Result<(), ApiError> {
    let org = store.org;
    with_seed_writer(store, now, |w| {
        let table = |name: &str| w.catalog.by_logical(name).unwrap_or_default();
        let (user, bu, currency, role, team, organization, solution) = (
            table("systemuser"),
            table("businessunit"),
            table("transactioncurrency"),
            table("role"),
            table("team"),
            table("organization"),
            table("solution"),
        );
        // The SYSTEM user first: every seeded row names it as creator. Its business unit is
        // filled once the root unit exists.
        w.create(
            user,
            &object(json!({"fullname": "SYSTEM", "domainname": "", "accessmode": 1, "islicensed": false})),
            Some(org.system_user),
            &[],
        )?;
        w.create(
            currency,
            &object(json!({"currencyname": "US Dollar", "isocurrencycode": "USD", "currencysymbol": "$", "exchangerate": 1.0, "currencyprecision": 2})),
            Some(org.base_currency),
            &[],
        )?;
        w.create(
            bu,
            &object(json!({"name": ORG_NAME})),
            Some(org.root_business_unit),
            &[],
        )?;
        w.create(
            bu,
            &object(json!({
                "name": "Sales",
                "parentbusinessunitid@odata.bind": format!("/businessunits({})", org.root_business_unit),
            })),
            Some(SALES_BUSINESS_UNIT),
            &[],
        )?;
        let bu_index = w
            .catalog
            .table(user)
            .attribute_index("businessunitid")
            .unwrap_or_default();
        w.change(
            user,
            org.system_user,
            vec![(
                bu_index,
                Some(Cell::Lookup {
                    id: org.root_business_unit,
                    table: bu,
                }),
            )],
        )?;
        for name in ROLES {
            let root_id = if name == "System Administrator" {
                org.system_administrator_role
            } else {
                name_uuid("role", &format!("{}:{name}", org.root_business_unit))
            };
            w.create(
                role,
                &object(json!({
                    "name": name,
                    "ismanaged": true,
                    "roletemplateid": name_uuid("roletemplate", name),
                    "businessunitid@odata.bind": format!("/businessunits({})", org.root_business_unit),
                })),
                Some(root_id),
                &[],
            )?;
            let root_ref = format!("/roles({root_id})");
            w.change(
                role,
                root_id,
                vec![(
                    w.catalog
                        .table(role)
                        .attribute_index("parentrootroleid")
                        .unwrap_or_default(),
                    Some(Cell::Lookup {
                        id: root_id,
                        table: role,
                    }),
                )],
            )?;
            w.create(
                role,
                &object(json!({
                    "name": name,
                    "ismanaged": true,
                    "roletemplateid": name_uuid("roletemplate", name),
                    "businessunitid@odata.bind": format!("/businessunits({SALES_BUSINESS_UNIT})"),
                    "parentrootroleid@odata.bind": root_ref,
                    "parentroleid@odata.bind": root_ref,
                })),
                Some(name_uuid("role", &format!("{SALES_BUSINESS_UNIT}:{name}"))),
                &[],
            )?;
        }
        for (unit, name) in [
            (org.root_business_unit, ORG_NAME),
            (SALES_BUSINESS_UNIT, "Sales"),
        ] {
            w.create(
                team,
                &object(json!({
                    "name": name,
                    "teamtype": 0,
                    "isdefault": true,
                    "businessunitid@odata.bind": format!("/businessunits({unit})"),
                })),
                Some(name_uuid("team", &unit.to_string())),
                &[],
            )?;
        }
        w.create(
            organization,
            &object(json!({
                "name": ORG_NAME,
                "expirechangetrackingindays": super::handlers::changes::DEFAULT_EXPIRY_DAYS,
                "basecurrencyid@odata.bind": format!("/transactioncurrencies({})", org.base_currency),
                "languagecode": 1033,
                "localeid": 1033,
                "version": "9.2.24101.00201",
            })),
            Some(org.organization),
            &[],
        )?;
        for (unique, friendly, managed) in [
            ("Default", "Default Solution", false),
            ("Active", "Active Solution", false),
            ("Basic", "Common Data Services Default Solution", false),
            ("System", "System Solution", true),
        ] {
            w.create(
                solution,
                &object(json!({
                    "uniquename": unique,
                    "friendlyname": friendly,
                    "version": "1.0",
                    "ismanaged": managed,
                    "isvisible": unique != "System",
                })),
                Some(name_uuid("solution", unique)),
                &[],
            )?;
        }
        let admin_role = org.system_administrator_role;
        if let Some(nav @ Navigation::ManyToMany { .. }) =
            w.catalog.navigation(user, "systemuserroles_association")
        {
            w.relate(user, org.system_user, nav, admin_role)?;
        }
        Ok(())
    })
}

/// Inserts rows given as Web API JSON (plus seeding extras: read-only columns, `_x_value`
/// lookups) into a table, all or nothing; returns their IDs.
pub(crate) fn insert_rows(
    store: &mut DataverseStore,
    table: u16,
    rows: &[Value],
    now: i64,
) -> Result<Vec<Uuid>, ApiError> {
    with_seed_writer(store, now, |writer| {
        rows.iter()
            .map(|row| {
                let body = row
                    .as_object()
                    .ok_or_else(|| ApiError::bad_request("Each row must be a JSON object."))?;
                writer.create(table, body, None, &[])
            })
            .collect()
    })
}

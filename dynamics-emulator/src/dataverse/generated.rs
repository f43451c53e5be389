//! Bulk-generated leads for benchmarks: deterministic names and addresses, written straight
//! into the store (no JSON, no journal), a million in well under two seconds in release builds.

use super::rng::XorShift;
use super::state::DataverseStore;
use super::store::cell::Cell;
use super::store::row::Row;

const FIRST_NAMES: [&str; 16] = [
    "Alex", "Blake", "Casey", "Dana", "Eli", "Frankie", "Gray", "Harper", "Indy", "Jordan", "Kai",
    "Logan", "Morgan", "Noa", "Oakley", "Parker",
];
const LAST_NAMES: [&str; 16] = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Khan", "Lopez", "Meyer", "Nakamura", "Okafor", "Patel",
];
const COMPANIES: [&str; 8] = [
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Adatum",
    "Proseware",
];

/// Appends `count` generated leads quickly (no JSON, no journal); returns how many leads the
/// table holds afterwards.
pub(crate) fn insert_generated_leads(store: &mut DataverseStore, count: usize, now: i64) -> usize {
    let table = store.builtin("lead");
    let user_table = store.builtin("systemuser");
    let definition = store.catalog.table(table);
    let index = |name: &str| definition.attribute_index(name).unwrap_or_default();
    let columns = [
        index("subject"),
        index("firstname"),
        index("lastname"),
        index("fullname"),
        index("companyname"),
        index("emailaddress1"),
        index("telephone1"),
        index("jobtitle"),
        index("address1_country"),
        index("leadsourcecode"),
        index("statecode"),
        index("statuscode"),
        index("createdon"),
        index("modifiedon"),
        index("createdby"),
        index("modifiedby"),
        index("ownerid"),
        index("owninguser"),
    ];
    let start = store.data.table(table).rows.len();
    let mut rng = XorShift::new(0x5EED_0000 ^ start as u64);
    let system = Cell::Lookup {
        id: store.org.system_user,
        table: user_table,
    };
    let catalog = &store.catalog;
    for n in start..start + count {
        let first = FIRST_NAMES[n % FIRST_NAMES.len()];
        let last = LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let company = COMPANIES[n % COMPANIES.len()];
        let version = store.data.next_version();
        let row = Row::new(
            version,
            [
                (columns[0], Cell::Text(format!("Generated lead {n}").into())),
                (columns[1], Cell::Text(first.into())),
                (columns[2], Cell::Text(last.into())),
                (columns[3], Cell::Text(format!("{first} {last}").into())),
                (columns[4], Cell::Text(company.into())),
                (
                    columns[5],
                    Cell::Text(format!("lead{n}@example.com").into()),
                ),
                (
                    columns[6],
                    Cell::Text(format!("+1 555 {:07}", n % 10_000_000).into()),
                ),
                (columns[7], Cell::Text("Buyer".into())),
                (columns[8], Cell::Text("United States".into())),
                (columns[9], Cell::Int(8)),
                (columns[10], Cell::Int(0)),
                (columns[11], Cell::Int(1)),
                (columns[12], Cell::DateTime(now)),
                (columns[13], Cell::DateTime(now)),
                (columns[14], system.clone()),
                (columns[15], system.clone()),
                (columns[16], system.clone()),
                (columns[17], system.clone()),
            ],
        );
        // Leads have no alternate keys, so there is nothing to conflict with.
        let _ = store.data.put(catalog, table, rng.next_uuid(), row);
    }
    store.data.table(table).rows.len()
}

//! `@odata.context` fragments: `accounts(name,primarycontactid,primarycontactid(fullname))`.

use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::odata::expand::ExpandSpec;
use crate::dataverse::odata::select::Selection;

/// The fragment after `$metadata#` for a set with a selection and expansions (without
/// `/$entity`).
pub(crate) fn fragment(
    catalog: &Catalog,
    table: u16,
    selection: &Selection,
    expand: &[ExpandSpec],
) -> String {
    let definition = catalog.table(table);
    let mut items = selection.names(definition).unwrap_or_default();
    for spec in expand {
        items.push(spec.name.clone());
    }
    for spec in expand {
        if let Some(nested) = nested(catalog, spec) {
            items.push(format!("{}({nested})", spec.name));
        }
    }
    if items.is_empty() {
        definition.entity_set.clone()
    } else {
        format!("{}({})", definition.entity_set, items.join(","))
    }
}

fn nested(catalog: &Catalog, spec: &ExpandSpec) -> Option<String> {
    let definition = catalog.table(spec.target);
    let mut items = spec.select.names(definition).unwrap_or_default();
    for inner in &spec.expand {
        items.push(inner.name.clone());
    }
    (!items.is_empty()).then(|| items.join(","))
}

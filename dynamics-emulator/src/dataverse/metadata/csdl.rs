//! `$metadata`: the organisation's CSDL (OData 4.0 XML) with an `EntityType` per table (key,
//! properties typed by column kind, navigation properties) and an `EntitySet` per table in the
//! `System` container. With annotations asked for, tables with change tracking enabled carry
//! `Org.OData.Capabilities.V1.ChangeTracking` `Supported=true` (Learn "Use change tracking to
//! synchronize data with external systems"). Namespace `Microsoft.Dynamics.CRM`, alias `mscrm`.

use std::fmt::Write;

use super::catalog::{Catalog, Navigation};
use crate::dataverse::odata::paging::xml_escape;

/// The CSDL document; `annotations` adds the change-tracking capability annotations.
pub(crate) fn document(catalog: &Catalog, annotations: bool) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">",
    );
    if annotations {
        xml.push_str(
            "<edmx:Reference Uri=\"https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml\">\
             <edmx:Include Namespace=\"Org.OData.Capabilities.V1\" Alias=\"Capabilities\"/></edmx:Reference>",
        );
    }
    xml.push_str(
        "<edmx:DataServices><Schema Namespace=\"Microsoft.Dynamics.CRM\" Alias=\"mscrm\" \
         xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\
         <EntityType Name=\"crmbaseentity\" Abstract=\"true\"/>",
    );
    for (index, table) in catalog.live_tables() {
        let _ = write!(
            xml,
            "<EntityType Name=\"{}\" BaseType=\"mscrm.crmbaseentity\"><Key><PropertyRef Name=\"{}\"/></Key>",
            xml_escape(&table.logical_name),
            xml_escape(&table.primary_id)
        );
        for attribute in &table.attributes {
            let _ = write!(
                xml,
                "<Property Name=\"{}\" Type=\"{}\"/>",
                xml_escape(&attribute.json_name()),
                attribute.kind.edm_type()
            );
        }
        for (rel, r) in catalog.one_to_many.iter().enumerate() {
            if r.referencing == index
                && catalog.navigation(index, &r.single_nav) == Some(Navigation::Single(rel))
            {
                let target = &catalog.table(r.referenced).logical_name;
                let _ = write!(
                    xml,
                    "<NavigationProperty Name=\"{}\" Type=\"mscrm.{}\" Partner=\"{}\"/>",
                    xml_escape(&r.single_nav),
                    xml_escape(target),
                    xml_escape(&r.collection_nav)
                );
            }
            if r.referenced == index {
                let target = &catalog.table(r.referencing).logical_name;
                let _ = write!(
                    xml,
                    "<NavigationProperty Name=\"{}\" Type=\"Collection(mscrm.{})\" Partner=\"{}\"/>",
                    xml_escape(&r.collection_nav),
                    xml_escape(target),
                    xml_escape(&r.single_nav)
                );
            }
        }
        for m in &catalog.many_to_many {
            for (this, other, nav) in [
                (m.entity1, m.entity2, &m.nav1),
                (m.entity2, m.entity1, &m.nav2),
            ] {
                if this == index && (m.entity1 != m.entity2 || nav == &m.nav1) {
                    let _ = write!(
                        xml,
                        "<NavigationProperty Name=\"{}\" Type=\"Collection(mscrm.{})\"/>",
                        xml_escape(nav),
                        xml_escape(&catalog.table(other).logical_name)
                    );
                }
            }
        }
        xml.push_str("</EntityType>");
    }
    xml.push_str("<EntityContainer Name=\"System\">");
    for (_, table) in catalog.live_tables() {
        let _ = write!(
            xml,
            "<EntitySet Name=\"{}\" EntityType=\"Microsoft.Dynamics.CRM.{}\">",
            xml_escape(&table.entity_set),
            xml_escape(&table.logical_name)
        );
        if annotations && table.change_tracking {
            xml.push_str(
                "<Annotation Term=\"Org.OData.Capabilities.V1.ChangeTracking\"><Record>\
                 <PropertyValue Property=\"Supported\" Bool=\"true\"/></Record></Annotation>",
            );
        }
        xml.push_str("</EntitySet>");
    }
    xml.push_str("</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::metadata::builtin::builtin_tables;

    #[test]
    fn the_document_parses_and_names_every_table_once() {
        let catalog = Catalog::from_specs(builtin_tables()).expect("built-in tables");
        let xml = document(&catalog, true);
        let parsed = roxmltree::Document::parse(&xml).expect("well-formed CSDL");
        let sets = parsed
            .descendants()
            .filter(|n| n.has_tag_name("EntitySet"))
            .count();
        assert_eq!(sets, catalog.tables.len());
        let tracked = parsed
            .descendants()
            .filter(|n| n.attribute("Term") == Some("Org.OData.Capabilities.V1.ChangeTracking"))
            .count();
        assert_eq!(
            tracked,
            catalog.tables.iter().filter(|t| t.change_tracking).count()
        );
        assert!(!document(&catalog, false).contains("ChangeTracking"));
    }
}

//! The service document (`$metadata`, OData CSDL XML) read into a small typed summary: each
//! entity set with its entity type, key, typed properties and whether it supports change
//! tracking. The raw XML stays available.
//!
//! Sources: Learn "Use the Web API with Dataverse metadata" (the CSDL document, namespace
//! `Microsoft.Dynamics.CRM`, alias `mscrm`) and "Use change tracking to synchronize data with
//! external systems" (`$metadata?annotations=true`: an entity set that supports change
//! tracking carries `Org.OData.Capabilities.V1.ChangeTracking` with `Supported` true).
//!
//! The document comes from the network, so reading it is bounded: size, node count and
//! nesting depth each have a limit ([`CsdlLimits`]), DTDs are refused, and every failure is a
//! typed [`CsdlError`].

use std::collections::{HashMap, HashSet};
use std::fmt;

use roxmltree::{Document, Node, ParsingOptions};

/// The vocabulary namespace of the change-tracking annotation.
const CAPABILITIES: &str = "Org.OData.Capabilities.V1";

/// How much of a `$metadata` document this crate reads. The defaults hold a large org's
/// document (tens of megabytes, a few million nodes) with room to spare; CSDL nests about
/// eight levels deep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsdlLimits {
    /// Most bytes.
    pub max_bytes: usize,
    /// Most XML nodes (elements, attributes' text, text nodes).
    pub max_nodes: u32,
    /// Deepest element nesting.
    pub max_depth: usize,
}

impl Default for CsdlLimits {
    fn default() -> Self {
        CsdlLimits {
            max_bytes: 128 * 1024 * 1024,
            max_nodes: 8_000_000,
            max_depth: 64,
        }
    }
}

/// Why a CSDL document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsdlError {
    /// Larger than [`CsdlLimits::max_bytes`].
    #[error("it is {bytes} bytes, more than the {limit} allowed (raise CsdlLimits::max_bytes)")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// More nodes than [`CsdlLimits::max_nodes`].
    #[error("it has more than {limit} XML nodes (raise CsdlLimits::max_nodes)")]
    TooManyNodes {
        /// The limit.
        limit: u32,
    },
    /// Nested deeper than [`CsdlLimits::max_depth`].
    #[error("its elements nest deeper than {limit} levels; CSDL nests about 8")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8 text.
    #[error("it is not UTF-8 text")]
    NotUtf8,
    /// Not well-formed XML (or it has a DTD, which is refused); the parser's message.
    #[error("it is not well-formed XML: {0}")]
    NotXml(String),
    /// Well-formed XML, but not an OData CSDL document (`edmx:Edmx` with `Schema`).
    #[error("it is not an OData CSDL document: {0}")]
    NotCsdl(String),
}

/// A property of an entity type (`<Property Name="name" Type="Edm.String"/>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsdlProperty {
    /// Its name (`name`, `_parentaccountid_value`).
    pub name: String,
    /// Its type as written (`Edm.String`, `Edm.Decimal`, `Collection(Edm.Int32)`).
    pub edm_type: String,
    /// `Nullable`, when the document says.
    pub nullable: Option<bool>,
}

/// An entity type (`<EntityType Name="account" BaseType="mscrm.crmbaseentity">`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsdlEntityType {
    /// Its name without namespace (`account`).
    pub name: String,
    /// Its base type without namespace (`crmbaseentity`).
    pub base_type: Option<String>,
    /// `Abstract="true"`.
    pub is_abstract: bool,
    /// The properties of its own key (see [`Csdl::key_of_set`] for the inherited one).
    pub key: Vec<String>,
    /// Its structural properties (navigation properties are left out).
    pub properties: Vec<CsdlProperty>,
}

impl CsdlEntityType {
    /// The property with this name.
    pub fn property(&self, name: &str) -> Option<&CsdlProperty> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// An entity set of the container (`<EntitySet Name="accounts" EntityType="…account">`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsdlEntitySet {
    /// Its name (`accounts`).
    pub name: String,
    /// Its entity type without namespace (`account`).
    pub entity_type: String,
    /// The document says it supports change tracking. Only a document read with
    /// annotations (`$metadata?annotations=true`) carries this; without them it is `false`.
    pub change_tracking: bool,
}

/// A `$metadata` document: the typed summary and the raw XML.
#[derive(Clone)]
pub struct Csdl {
    xml: String,
    entity_types: Vec<CsdlEntityType>,
    entity_sets: Vec<CsdlEntitySet>,
    types_by_name: HashMap<String, usize>,
    sets_by_name: HashMap<String, usize>,
}

impl fmt::Debug for Csdl {
    // The document can be megabytes long: show its shape, not its text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Csdl")
            .field("xml_bytes", &self.xml.len())
            .field("entity_types", &self.entity_types.len())
            .field("entity_sets", &self.entity_sets.len())
            .finish()
    }
}

impl Csdl {
    /// Reads a CSDL document within the default [`CsdlLimits`].
    pub fn parse(xml: impl Into<String>) -> Result<Csdl, CsdlError> {
        Csdl::parse_with(xml.into(), CsdlLimits::default())
    }

    /// Reads a CSDL document within `limits`.
    pub fn parse_with(xml: String, limits: CsdlLimits) -> Result<Csdl, CsdlError> {
        if xml.len() > limits.max_bytes {
            return Err(CsdlError::TooLarge {
                bytes: xml.len(),
                limit: limits.max_bytes,
            });
        }
        let (entity_types, entity_sets) = {
            let document = parse_xml(&xml, limits)?;
            summarise(&document)?
        };
        let types_by_name = entity_types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        let sets_by_name = entity_sets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        Ok(Csdl {
            xml,
            entity_types,
            entity_sets,
            types_by_name,
            sets_by_name,
        })
    }

    /// Reads a document given as bytes (an HTTP body) within `limits`.
    pub fn from_bytes(bytes: Vec<u8>, limits: CsdlLimits) -> Result<Csdl, CsdlError> {
        if bytes.len() > limits.max_bytes {
            return Err(CsdlError::TooLarge {
                bytes: bytes.len(),
                limit: limits.max_bytes,
            });
        }
        let xml = String::from_utf8(bytes).map_err(|_| CsdlError::NotUtf8)?;
        Csdl::parse_with(xml, limits)
    }

    /// The raw XML.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// The raw XML, owned.
    pub fn into_xml(self) -> String {
        self.xml
    }

    /// Every entity type, in document order.
    pub fn entity_types(&self) -> &[CsdlEntityType] {
        &self.entity_types
    }

    /// Every entity set, in document order.
    pub fn entity_sets(&self) -> &[CsdlEntitySet] {
        &self.entity_sets
    }

    /// The entity type with this name (`account`, or qualified `Microsoft.Dynamics.CRM.account`).
    pub fn entity_type(&self, name: &str) -> Option<&CsdlEntityType> {
        let short = name.rsplit('.').next().unwrap_or(name);
        self.types_by_name
            .get(short)
            .map(|&i| &self.entity_types[i])
    }

    /// The entity set with this name (`accounts`).
    pub fn entity_set(&self, name: &str) -> Option<&CsdlEntitySet> {
        self.sets_by_name.get(name).map(|&i| &self.entity_sets[i])
    }

    /// The entity type of an entity set.
    pub fn entity_type_of_set(&self, set: &str) -> Option<&CsdlEntityType> {
        self.entity_type(&self.entity_set(set)?.entity_type)
    }

    /// The key of an entity set's type, inherited from a base type when the type declares
    /// none. Empty when neither the set nor a key is found.
    pub fn key_of_set(&self, set: &str) -> Vec<String> {
        let mut current = self.entity_type_of_set(set);
        // Bounded by the number of types, so a base-type cycle cannot loop forever.
        for _ in 0..=self.entity_types.len() {
            let Some(entity_type) = current else { break };
            if !entity_type.key.is_empty() {
                return entity_type.key.clone();
            }
            current = entity_type
                .base_type
                .as_deref()
                .and_then(|b| self.entity_type(b));
        }
        Vec::new()
    }

    /// The names of the entity sets that support change tracking.
    pub fn change_tracking_sets(&self) -> impl Iterator<Item = &str> {
        self.entity_sets
            .iter()
            .filter(|s| s.change_tracking)
            .map(|s| s.name.as_str())
    }
}

/// Parses within the node limit, refusing DTDs, then checks the depth without recursion.
fn parse_xml(xml: &str, limits: CsdlLimits) -> Result<Document<'_>, CsdlError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(xml, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => CsdlError::TooManyNodes {
            limit: limits.max_nodes,
        },
        other => CsdlError::NotXml(other.to_string().chars().take(200).collect()),
    })?;
    // Document order visits a parent before its children, so one pass fills each node's
    // depth from its parent's, without recursion.
    let mut depths: Vec<u16> = Vec::new();
    for node in document.descendants() {
        let id = node.id().get_usize();
        let parent = node.parent().map_or(0, |p| {
            depths.get(p.id().get_usize()).copied().unwrap_or_default()
        });
        let depth = parent.saturating_add(u16::from(node.is_element()));
        if usize::from(depth) > limits.max_depth {
            return Err(CsdlError::TooDeep {
                limit: limits.max_depth,
            });
        }
        if depths.len() <= id {
            depths.resize(id + 1, 0);
        }
        depths[id] = depth;
    }
    Ok(document)
}

/// Elements are matched by local name: the EDMX and EDM namespaces are the only ones a CSDL
/// document uses for them.
fn children<'a, 'input>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// The names by which a qualified name's namespace may be written: each schema's namespace
/// and alias.
struct Qualifiers(Vec<String>);

impl Qualifiers {
    /// `mscrm.account` or `Microsoft.Dynamics.CRM.account` → `account`; other names as written.
    fn short(&self, qualified: &str) -> String {
        for q in &self.0 {
            if let Some(rest) = qualified
                .strip_prefix(q.as_str())
                .and_then(|r| r.strip_prefix('.'))
            {
                return rest.to_string();
            }
        }
        qualified.to_string()
    }
}

type Summary = (Vec<CsdlEntityType>, Vec<CsdlEntitySet>);

fn summarise(document: &Document<'_>) -> Result<Summary, CsdlError> {
    let root = document.root_element();
    if root.tag_name().name() != "Edmx" {
        return Err(CsdlError::NotCsdl(format!(
            "the root element is <{}>, not <edmx:Edmx>",
            root.tag_name().name().chars().take(64).collect::<String>()
        )));
    }
    let schemas: Vec<Node<'_, '_>> = children(root, "DataServices")
        .flat_map(|d| children(d, "Schema"))
        .collect();
    if schemas.is_empty() {
        return Err(CsdlError::NotCsdl(
            "it has no <edmx:DataServices><Schema>".to_string(),
        ));
    }
    let qualifiers = Qualifiers(
        schemas
            .iter()
            .flat_map(|s| [s.attribute("Namespace"), s.attribute("Alias")])
            .flatten()
            .map(str::to_string)
            .collect(),
    );
    let capabilities = capability_qualifiers(root);
    let mut entity_types = Vec::new();
    let mut entity_sets = Vec::new();
    let mut tracked_by_target = HashSet::new();
    for schema in &schemas {
        for node in children(*schema, "EntityType") {
            entity_types.push(entity_type(node, &qualifiers));
        }
        for container in children(*schema, "EntityContainer") {
            for set in children(container, "EntitySet") {
                let Some(name) = set.attribute("Name") else {
                    continue;
                };
                entity_sets.push(CsdlEntitySet {
                    name: name.to_string(),
                    entity_type: qualifiers.short(set.attribute("EntityType").unwrap_or_default()),
                    change_tracking: children(set, "Annotation")
                        .any(|a| tracks_changes(a, &capabilities)),
                });
            }
        }
        // Annotations may also stand apart, aimed at `Namespace.Container/set`.
        for group in children(*schema, "Annotations") {
            let Some(target) = group.attribute("Target") else {
                continue;
            };
            if children(group, "Annotation").any(|a| tracks_changes(a, &capabilities))
                && let Some((_, set)) = target.rsplit_once('/')
            {
                tracked_by_target.insert(set.to_string());
            }
        }
    }
    for set in &mut entity_sets {
        set.change_tracking |= tracked_by_target.contains(&set.name);
    }
    Ok((entity_types, entity_sets))
}

fn entity_type(node: Node<'_, '_>, qualifiers: &Qualifiers) -> CsdlEntityType {
    CsdlEntityType {
        name: node.attribute("Name").unwrap_or_default().to_string(),
        base_type: node.attribute("BaseType").map(|b| qualifiers.short(b)),
        is_abstract: node.attribute("Abstract") == Some("true"),
        key: children(node, "Key")
            .flat_map(|k| children(k, "PropertyRef"))
            .filter_map(|r| r.attribute("Name"))
            .map(str::to_string)
            .collect(),
        properties: children(node, "Property")
            .filter_map(|p| {
                Some(CsdlProperty {
                    name: p.attribute("Name")?.to_string(),
                    edm_type: p.attribute("Type").unwrap_or_default().to_string(),
                    nullable: p.attribute("Nullable").map(|n| n == "true"),
                })
            })
            .collect(),
    }
}

/// How the capabilities vocabulary may be written in terms: its namespace, and any alias an
/// `edmx:Include` gives it.
fn capability_qualifiers(root: Node<'_, '_>) -> Vec<String> {
    let mut names = vec![CAPABILITIES.to_string()];
    for include in children(root, "Reference").flat_map(|r| children(r, "Include")) {
        if include.attribute("Namespace") == Some(CAPABILITIES)
            && let Some(alias) = include.attribute("Alias")
        {
            names.push(alias.to_string());
        }
    }
    names
}

/// An `Annotation` that says change tracking is supported: the `ChangeTracking` term with
/// `Supported` true, written as an attribute or an element; a record without `Supported`
/// means true (the vocabulary's default).
fn tracks_changes(annotation: Node<'_, '_>, capabilities: &[String]) -> bool {
    let Some(term) = annotation.attribute("Term") else {
        return false;
    };
    let is_change_tracking = capabilities
        .iter()
        .any(|q| term.strip_prefix(q.as_str()) == Some(".ChangeTracking"));
    if !is_change_tracking {
        return false;
    }
    if let Some(direct) = annotation.attribute("Bool") {
        return direct == "true";
    }
    let supported = children(annotation, "Record")
        .flat_map(|r| children(r, "PropertyValue"))
        .find(|p| p.attribute("Property") == Some("Supported"));
    match supported {
        None => true,
        Some(value) => match value.attribute("Bool") {
            Some(b) => b == "true",
            None => children(value, "Bool")
                .next()
                .and_then(|b| b.text())
                .is_some_and(|t| t.trim() == "true"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fragment shaped like Dataverse's document: two schemas' worth of types, aliases,
    /// the capabilities reference, and both ways of annotating a set.
    const SAMPLE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">
    <edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>
  </edmx:Reference>
  <edmx:DataServices>
    <Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="crmbaseentity" Abstract="true"/>
      <EntityType Name="account" BaseType="mscrm.crmbaseentity">
        <Key><PropertyRef Name="accountid"/></Key>
        <Property Name="accountid" Type="Edm.Guid"/>
        <Property Name="name" Type="Edm.String" Unicode="false"/>
        <Property Name="revenue" Type="Edm.Decimal" Scale="Variable"/>
        <Property Name="_parentaccountid_value" Type="Edm.Guid"/>
        <NavigationProperty Name="parentaccountid" Type="mscrm.account" Nullable="false"/>
      </EntityType>
      <EntityType Name="activitypointer" BaseType="mscrm.crmbaseentity">
        <Key><PropertyRef Name="activityid"/></Key>
        <Property Name="activityid" Type="Edm.Guid"/>
      </EntityType>
      <EntityType Name="task" BaseType="mscrm.activitypointer">
        <Property Name="subject" Type="Edm.String" Nullable="true"/>
      </EntityType>
      <EntityContainer Name="System">
        <EntitySet Name="accounts" EntityType="Microsoft.Dynamics.CRM.account">
          <NavigationPropertyBinding Path="parentaccountid" Target="accounts"/>
          <Annotation Term="Org.OData.Capabilities.V1.ChangeTracking">
            <Record><PropertyValue Property="Supported" Bool="true"/></Record>
          </Annotation>
        </EntitySet>
        <EntitySet Name="tasks" EntityType="mscrm.task">
          <Annotation Term="Capabilities.ChangeTracking">
            <Record><PropertyValue Property="Supported" Bool="false"/></Record>
          </Annotation>
        </EntitySet>
        <EntitySet Name="activitypointers" EntityType="Microsoft.Dynamics.CRM.activitypointer"/>
      </EntityContainer>
      <Annotations Target="Microsoft.Dynamics.CRM.System/activitypointers">
        <Annotation Term="Capabilities.ChangeTracking"><Record/></Annotation>
      </Annotations>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

    #[test]
    fn a_realistic_fragment_reads_into_sets_types_keys_and_change_tracking() {
        let csdl = Csdl::parse(SAMPLE).expect("parses");
        assert_eq!(csdl.entity_sets().len(), 3);
        let accounts = csdl.entity_set("accounts").expect("accounts");
        assert_eq!(accounts.entity_type, "account");
        assert!(accounts.change_tracking);
        assert!(!csdl.entity_set("tasks").expect("tasks").change_tracking);
        assert!(
            csdl.entity_set("activitypointers")
                .expect("set")
                .change_tracking,
            "a record without Supported means supported"
        );
        let account = csdl.entity_type_of_set("accounts").expect("type");
        assert_eq!(account.key, ["accountid"]);
        assert_eq!(account.base_type.as_deref(), Some("crmbaseentity"));
        assert_eq!(
            account.property("revenue").map(|p| p.edm_type.as_str()),
            Some("Edm.Decimal")
        );
        assert!(account.property("parentaccountid").is_none());
        assert_eq!(csdl.key_of_set("tasks"), ["activityid"], "inherited key");
        assert_eq!(
            csdl.entity_type("Microsoft.Dynamics.CRM.task")
                .and_then(|t| t.property("subject"))
                .and_then(|p| p.nullable),
            Some(true)
        );
        assert!(csdl.entity_type("crmbaseentity").expect("base").is_abstract);
        assert_eq!(
            csdl.change_tracking_sets().collect::<Vec<_>>(),
            ["accounts", "activitypointers"]
        );
        assert!(csdl.xml().starts_with("<?xml"));
        assert!(!format!("{csdl:?}").contains("edmx"), "Debug hides the XML");
    }

    #[test]
    fn hostile_documents_are_typed_errors() {
        let small = CsdlLimits {
            max_bytes: 4096,
            max_nodes: 500,
            max_depth: 16,
        };
        let huge = "x".repeat(5000);
        assert_eq!(
            Csdl::parse_with(huge, small).expect_err("too large"),
            CsdlError::TooLarge {
                bytes: 5000,
                limit: 4096
            }
        );
        let deep = format!(
            "<edmx:Edmx xmlns:edmx=\"e\">{}{}</edmx:Edmx>",
            "<a>".repeat(40),
            "</a>".repeat(40)
        );
        assert_eq!(
            Csdl::parse_with(deep, small).expect_err("too deep"),
            CsdlError::TooDeep { limit: 16 }
        );
        // Very deep input within the default limits: refused without exhausting the stack.
        let abyss = format!("{}{}", "<a>".repeat(200_000), "</a>".repeat(200_000));
        assert_eq!(
            Csdl::parse(abyss).expect_err("too deep"),
            CsdlError::TooDeep { limit: 64 }
        );
        let wide = format!(
            "<edmx:Edmx xmlns:edmx=\"e\">{}</edmx:Edmx>",
            "<a/>".repeat(800)
        );
        assert_eq!(
            Csdl::parse_with(wide, small).expect_err("too many nodes"),
            CsdlError::TooManyNodes { limit: 500 }
        );
        assert!(matches!(
            Csdl::parse("{\"error\": \"not xml\"}").expect_err("not xml"),
            CsdlError::NotXml(_)
        ));
        assert!(matches!(
            Csdl::parse("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>").expect_err("DTD"),
            CsdlError::NotXml(_)
        ));
        assert!(matches!(
            Csdl::parse("<html><body/></html>").expect_err("not CSDL"),
            CsdlError::NotCsdl(_)
        ));
        assert!(matches!(
            Csdl::parse("<edmx:Edmx xmlns:edmx=\"e\"/>").expect_err("no schema"),
            CsdlError::NotCsdl(_)
        ));
        assert_eq!(
            Csdl::from_bytes(vec![0xff, 0xfe, 0x3c], CsdlLimits::default()).expect_err("bytes"),
            CsdlError::NotUtf8
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Whatever the service sends, reading it answers a summary or a typed error; cutting
        /// a real document anywhere never panics.
        #[test]
        fn arbitrary_or_truncated_input_never_panics(
            noise in "(<[a-zA-Z:]{0,6}( [a-z]{1,3}=\"[^\"<]{0,4}\")?/?>|</[a-z]{0,3}>|[^<]{0,8}){0,40}",
            cut in 0usize..SAMPLE.len(),
        ) {
            let _ = Csdl::parse(noise);
            let end = (0..=cut).rev().find(|i| SAMPLE.is_char_boundary(*i)).unwrap_or(0);
            let _ = Csdl::parse(&SAMPLE[..end]);
        }
    }

    #[test]
    fn a_base_type_cycle_does_not_loop() {
        let xml = r#"<edmx:Edmx xmlns:edmx="e"><edmx:DataServices><Schema Namespace="N" xmlns="x">
            <EntityType Name="a" BaseType="N.b"/><EntityType Name="b" BaseType="N.a"/>
            <EntityContainer Name="C"><EntitySet Name="as" EntityType="N.a"/></EntityContainer>
            </Schema></edmx:DataServices></edmx:Edmx>"#;
        let csdl = Csdl::parse(xml).expect("parses");
        assert!(csdl.key_of_set("as").is_empty());
        assert!(csdl.key_of_set("missing").is_empty());
    }
}

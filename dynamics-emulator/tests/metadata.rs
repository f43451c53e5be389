//! Table definitions over HTTP: attribute type casts with their option sets, labels, `$filter`
//! and `$select` checked against the metadata type, and the standard columns of the built-in
//! tables.

#[allow(dead_code)]
#[path = "dataverse/support.rs"]
mod support;

use serde_json::{Value, json};
use support::start;

const ACCOUNT: &str = "EntityDefinitions(LogicalName='account')";

/// The English label of a `Label` object (checking its documented shape).
#[track_caller]
fn english(label: &Value) -> &str {
    let localized = &label["LocalizedLabels"][0];
    assert_eq!(localized["LanguageCode"], 1033, "{label:#}");
    assert_eq!(
        label["UserLocalizedLabel"]["Label"], localized["Label"],
        "{label:#}"
    );
    localized["Label"].as_str().expect("label text")
}

fn find<'a>(values: &'a [Value], logical_name: &str) -> &'a Value {
    values
        .iter()
        .find(|v| v["LogicalName"] == logical_name)
        .unwrap_or_else(|| panic!("{logical_name} is missing"))
}

/// The labels of an `OptionSet`'s options, by value.
fn options(option_set: &Value) -> Vec<(i64, String)> {
    option_set["Options"]
        .as_array()
        .expect("Options")
        .iter()
        .map(|o| {
            (
                o["Value"].as_i64().expect("Value"),
                english(&o["Label"]).to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn picklist_cast_lists_choice_columns_with_their_options() {
    let env = start().await;
    // The request Microsoft's Python client sends before every write.
    let answer = env
        .get(&format!("{ACCOUNT}/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)"))
        .await;
    answer.expect(200);
    let values = answer.values();
    assert!(
        values
            .iter()
            .all(|v| v["LogicalName"].is_string() && v["OptionSet"]["Options"].is_array()),
        "{:#}",
        answer.body
    );
    // Only choice columns: not the state, status, two-options or text columns.
    for other in ["statecode", "statuscode", "donotpostalmail", "name"] {
        assert!(values.iter().all(|v| v["LogicalName"] != other), "{other}");
    }
    // `$select` leaves out the other properties.
    assert!(find(values, "industrycode").get("AttributeType").is_none());
    assert_eq!(
        options(&find(values, "accountratingcode")["OptionSet"]),
        vec![(1, "Default Value".to_owned())]
    );
    let industries = options(&find(values, "industrycode")["OptionSet"]);
    assert_eq!(industries.len(), 33);
    assert_eq!(industries[0], (1, "Accounting".to_owned()));
    assert_eq!(
        options(&find(values, "customertypecode")["OptionSet"])[2],
        (3, "Customer".to_owned())
    );
}

#[tokio::test]
async fn casts_on_one_attribute_expand_option_sets_and_refuse_the_wrong_type() {
    let env = start().await;
    let boolean = env
        .get(&format!("{ACCOUNT}/Attributes(LogicalName='donotpostalmail')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata?$expand=OptionSet,GlobalOptionSet"))
        .await;
    let body = boolean.expect(200);
    assert_eq!(body["LogicalName"], "donotpostalmail");
    assert_eq!(body["DefaultValue"], false);
    assert_eq!(english(&body["OptionSet"]["FalseOption"]["Label"]), "Allow");
    assert_eq!(
        english(&body["OptionSet"]["TrueOption"]["Label"]),
        "Do Not Allow"
    );
    assert_eq!(body["OptionSet"]["TrueOption"]["Value"], 1);
    assert_eq!(body["GlobalOptionSet"], Value::Null);

    let picklist = env
        .get(&format!("{ACCOUNT}/Attributes(LogicalName='accountratingcode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName,DefaultFormValue&$expand=OptionSet"))
        .await;
    let body = picklist.expect(200);
    assert_eq!(body["OptionSet"]["IsGlobal"], false);
    assert_eq!(body["OptionSet"]["OptionSetType"], "Picklist");
    assert_eq!(
        options(&body["OptionSet"]),
        vec![(1, "Default Value".to_owned())]
    );

    // A text column is not a choice: 404, as Dataverse answers a cast that does not apply.
    env.get(&format!(
        "{ACCOUNT}/Attributes(LogicalName='name')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
    ))
    .await
    .expect(404);
    // Not a metadata type at all.
    env.get(&format!(
        "{ACCOUNT}/Attributes/Microsoft.Dynamics.CRM.NoSuchAttributeMetadata"
    ))
    .await
    .expect(404);
    // OptionSet is a property of the derived types only.
    let uncast = env
        .get(&format!(
            "{ACCOUNT}/Attributes(LogicalName='industrycode')?$expand=OptionSet"
        ))
        .await;
    uncast.expect(400);
    assert!(uncast.message().contains("OptionSet"), "{}", uncast.text);
}

/// A column using a global option set (as the documented `accountcategorycode` does) expands the
/// same option set as `OptionSet` and `GlobalOptionSet`; a local one has `GlobalOptionSet`
/// `null`. Neither carries an `@odata.type` (each is its declared type), and options have a
/// `null` `ExternalValue`.
#[tokio::test]
async fn global_option_sets_are_expanded_as_documented() {
    let env = start().await;
    let category = env
        .get(&format!("{ACCOUNT}/Attributes(LogicalName='accountcategorycode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet,GlobalOptionSet"))
        .await;
    let body = category.expect(200);
    assert_eq!(body["OptionSet"], body["GlobalOptionSet"], "{body:#}");
    assert_eq!(body["OptionSet"]["IsGlobal"], true);
    assert!(body["OptionSet"].get("@odata.type").is_none(), "{body:#}");
    assert_eq!(
        options(&body["GlobalOptionSet"]),
        vec![
            (1, "Preferred Customer".to_owned()),
            (2, "Standard".to_owned())
        ]
    );
    assert_eq!(
        body["OptionSet"]["Options"][0]["ExternalValue"],
        Value::Null
    );

    let local = env
        .get(&format!("{ACCOUNT}/Attributes(LogicalName='customertypecode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet($select=IsGlobal),GlobalOptionSet"))
        .await;
    let body = local.expect(200);
    assert_eq!(body["GlobalOptionSet"], Value::Null);
    assert_eq!(body["OptionSet"]["IsGlobal"], false);
    assert!(body["OptionSet"].get("@odata.type").is_none(), "{body:#}");

    let boolean = env
        .get(&format!("{ACCOUNT}/Attributes(LogicalName='donotpostalmail')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata?$expand=OptionSet"))
        .await;
    let body = boolean.expect(200);
    assert!(body["OptionSet"].get("@odata.type").is_none(), "{body:#}");
}

/// `EntityMetadata` answers the documented flags a client selects
/// (`IsKnowledgeManagementEnabled`, …), and they can be filtered on.
#[tokio::test]
async fn entity_metadata_flags_are_selectable_and_filterable() {
    let env = start().await;
    let account = env
        .get(&format!(
            "{ACCOUNT}?$select=DisplayName,IsKnowledgeManagementEnabled,EntitySetName,IsStateModelAware,IsCustomizable"
        ))
        .await;
    let body = account.expect(200);
    assert_eq!(body["IsKnowledgeManagementEnabled"], false);
    assert_eq!(body["IsStateModelAware"], true);
    assert_eq!(body["IsCustomizable"]["Value"], true);
    assert_eq!(body["EntitySetName"], "accounts");
    let label = &body["DisplayName"]["LocalizedLabels"][0];
    assert_eq!(english(&body["DisplayName"]), "Account");
    assert_eq!(label["IsManaged"], true);
    assert!(label["MetadataId"].is_string(), "{label:#}");
    assert_eq!(label["HasChanged"], Value::Null);

    let filtered = env
        .get("EntityDefinitions?$select=LogicalName&$filter=IsKnowledgeManagementEnabled eq false and IsStateModelAware eq true")
        .await;
    filtered.expect(200);
    assert!(
        filtered
            .values()
            .iter()
            .any(|v| v["LogicalName"] == "account")
    );
}

#[tokio::test]
async fn state_status_lookup_and_string_casts() {
    let env = start().await;
    let state = env
        .get(&format!(
            "{ACCOUNT}/Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata?$expand=OptionSet"
        ))
        .await;
    state.expect(200);
    let statecode = find(state.values(), "statecode");
    assert_eq!(state.values().len(), 1);
    let inactive = &statecode["OptionSet"]["Options"][1];
    assert_eq!(english(&inactive["Label"]), "Inactive");
    assert_eq!(inactive["DefaultStatus"], 2);

    let status = env
        .get(&format!("{ACCOUNT}/Attributes(LogicalName='statuscode')/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$expand=OptionSet($select=Options)"))
        .await;
    let body = status.expect(200);
    assert_eq!(body["OptionSet"]["Options"][1]["State"], 1);
    assert!(body["OptionSet"].get("Name").is_none());

    let lookups = env
        .get(&format!("{ACCOUNT}/Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata?$select=LogicalName,Targets,AttributeType"))
        .await;
    lookups.expect(200);
    let owner = find(lookups.values(), "ownerid");
    assert_eq!(owner["AttributeType"], "Owner");
    assert_eq!(owner["Targets"], json!(["systemuser", "team"]));
    assert_eq!(
        find(lookups.values(), "owningteam")["Targets"],
        json!(["team"])
    );
    assert_eq!(
        find(lookups.values(), "primarycontactid")["Targets"],
        json!(["contact"])
    );

    // Derived properties are accepted once the cast names their type.
    let long_text = env
        .get(&format!("{ACCOUNT}/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName,MaxLength&$filter=MaxLength ge 200"))
        .await;
    long_text.expect(200);
    assert!(
        long_text
            .values()
            .iter()
            .all(|v| v["MaxLength"].as_i64() >= Some(200))
    );
    assert!(
        long_text
            .values()
            .iter()
            .any(|v| v["LogicalName"] == "websiteurl")
    );
    // Every documented attribute metadata type is a valid cast, even with no members here.
    let multi = env
        .get(&format!("{ACCOUNT}/Attributes/Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet"))
        .await;
    multi.expect(200);
    assert!(multi.values().is_empty());
}

#[tokio::test]
async fn attributes_carry_display_names_and_their_type_under_select() {
    let env = start().await;
    let job_title = env
        .get("EntityDefinitions(LogicalName='systemuser')/Attributes(LogicalName='jobtitle')?$select=LogicalName,DisplayName,MetadataId,SchemaName")
        .await;
    let body = job_title.expect(200);
    assert_eq!(english(&body["DisplayName"]), "Job Title");
    // The derived type stays visible under `$select`: clients read it to cast later.
    assert_eq!(
        body["@odata.type"],
        "#Microsoft.Dynamics.CRM.StringAttributeMetadata"
    );
    let key = env
        .get(&format!(
            "{ACCOUNT}/Attributes(LogicalName='accountid')?$select=LogicalName"
        ))
        .await;
    assert_eq!(
        key.expect(200)["@odata.type"],
        "#Microsoft.Dynamics.CRM.UniqueIdentifierAttributeMetadata"
    );
    let rating = env
        .get(&format!(
            "{ACCOUNT}/Attributes(LogicalName='accountratingcode')"
        ))
        .await;
    assert_eq!(
        english(&rating.expect(200)["DisplayName"]),
        "Account Rating"
    );
}

#[tokio::test]
async fn filters_on_properties_the_type_lacks_are_refused() {
    let env = start().await;
    // Microsoft's Python client lists tables with this filter.
    let public = env
        .get("EntityDefinitions?$select=LogicalName&$filter=IsPrivate eq false")
        .await;
    public.expect(200);
    assert!(
        public
            .values()
            .iter()
            .any(|v| v["LogicalName"] == "account")
    );
    for path in [
        "EntityDefinitions?$filter=NoSuchProperty eq 'x'",
        "EntityDefinitions?$filter=LogicalName eq 'account' and IsNoSuchFlag eq true",
        "EntityDefinitions?$select=LogicalName,NoSuchProperty",
        "EntityDefinitions(LogicalName='account')/Attributes?$filter=NoSuchProperty eq 1",
        // A property of a derived type needs the cast.
        "EntityDefinitions(LogicalName='account')/Attributes?$filter=MaxLength gt 100",
        "EntityDefinitions(LogicalName='account')/Attributes?$select=LogicalName,Targets",
        "EntityDefinitions(LogicalName='account')/Keys?$filter=Nope eq 'x'",
        "EntityDefinitions(LogicalName='account')/OneToManyRelationships?$filter=Entity1LogicalName eq 'x'",
        "EntityDefinitions(LogicalName='account')?$expand=Attributes($filter=NoSuchProperty eq 1)",
    ] {
        let answer = env.get(path).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.text);
        assert!(
            answer.message().contains("Could not find a property named"),
            "{path}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn standard_columns_are_writable_and_formatted() {
    let env = start().await;
    let id = env
        .create(
            "accounts",
            json!({
                "name": "Fabrikam",
                "accountratingcode": 1,
                "donotpostalmail": true,
                "industrycode": 7,
                "address2_city": "Lisbon",
            }),
        )
        .await;
    let answer = env
        .send(
            reqwest::Method::GET,
            &format!("accounts({id})?$select=accountratingcode,donotpostalmail,industrycode,address2_city"),
            &[("Prefer", "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\"")],
            None,
        )
        .await;
    let body = answer.expect(200);
    let formatted = |name: &str| {
        body[format!("{name}@OData.Community.Display.V1.FormattedValue")]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(formatted("accountratingcode"), "Default Value");
    assert_eq!(formatted("donotpostalmail"), "Do Not Allow");
    assert_eq!(formatted("industrycode"), "Consulting");
    assert_eq!(body["address2_city"], "Lisbon");
    // A value outside the documented options is refused.
    let bad = env
        .post("accounts", json!({"name": "x", "accountratingcode": 2}))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    let users = env
        .get("systemusers?$select=fullname,jobtitle,caltype&$top=1")
        .await;
    users.expect(200);
    for (table, column) in [
        ("systemuser", "jobtitle"),
        ("systemuser", "caltype"),
        ("contact", "gendercode"),
        ("contact", "donotbulkemail"),
        ("lead", "purchasetimeframe"),
        ("lead", "address2_line1"),
        ("businessunit", "costcenter"),
        ("team", "membershiptype"),
        ("role", "isinherited"),
        ("account", "preferredcontactmethodcode"),
        ("opportunity", "opportunityratingcode"),
        ("task", "actualstart"),
        ("email", "readreceiptrequested"),
        ("organization", "plugintracelogsetting"),
        ("solution", "solutiontype"),
    ] {
        env.get(&format!(
            "EntityDefinitions(LogicalName='{table}')/Attributes(LogicalName='{column}')"
        ))
        .await
        .expect(200);
    }
}

#[tokio::test]
async fn relationship_definitions_list_every_relationship_with_its_type() {
    let env = start().await;
    // Microsoft's Python client looks a relationship up this way.
    let by_filter = env
        .get("RelationshipDefinitions?$filter=SchemaName eq 'Account_Tasks'")
        .await;
    by_filter.expect(200);
    let tasks = &by_filter.values()[0];
    assert_eq!(
        tasks["@odata.type"],
        "#Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata"
    );
    assert_eq!(tasks["ReferencingEntity"], "task");
    let by_name = env
        .get("RelationshipDefinitions(SchemaName='systemuserroles_association')")
        .await;
    let body = by_name.expect(200);
    assert_eq!(body["RelationshipType"], "ManyToManyRelationship");
    assert_eq!(body["IntersectEntityName"], "systemuserroles");
    let many = env
        .get("RelationshipDefinitions/Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata?$select=SchemaName,Entity1LogicalName")
        .await;
    many.expect(200);
    assert!(
        many.values()
            .iter()
            .all(|r| r["Entity1LogicalName"].is_string() && r.get("@odata.type").is_none())
    );
    // Derived properties need the cast; unknown ones are refused.
    env.get("RelationshipDefinitions?$filter=ReferencedEntity eq 'account'")
        .await
        .expect(400);
    env.get("RelationshipDefinitions/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata?$filter=ReferencedEntity eq 'account'")
        .await
        .expect(200);
    env.get("RelationshipDefinitions(SchemaName='nope')")
        .await
        .expect(404);
    env.get("RelationshipDefinitions/Microsoft.Dynamics.CRM.NoSuchMetadata")
        .await
        .expect(404);
}

/// Microsoft's Python client filters relationships by type with an OData enum literal
/// (`Namespace.EnumType'Member'`); the emulator compares it with the member name.
#[tokio::test]
async fn relationship_filters_accept_enum_literals() {
    let env = start().await;
    let one_to_many = env
        .get("RelationshipDefinitions?$select=SchemaName,RelationshipType&$filter=RelationshipType eq Microsoft.Dynamics.CRM.RelationshipType'OneToManyRelationship'")
        .await;
    one_to_many.expect(200);
    assert!(!one_to_many.values().is_empty());
    assert!(
        one_to_many
            .values()
            .iter()
            .all(|r| r["RelationshipType"] == "OneToManyRelationship")
    );
    assert!(
        one_to_many
            .values()
            .iter()
            .any(|r| r["SchemaName"] == "Account_Tasks")
    );
    let many_to_many = env
        .get("RelationshipDefinitions?$filter=RelationshipType eq Microsoft.Dynamics.CRM.RelationshipType'ManyToManyRelationship' and SchemaName eq 'systemuserroles_association'")
        .await;
    many_to_many.expect(200);
    assert_eq!(many_to_many.values().len(), 1);
    // An unterminated enum literal is a 400, not a panic.
    env.get("RelationshipDefinitions?$filter=RelationshipType eq Microsoft.Dynamics.CRM.RelationshipType'OneTo")
        .await
        .expect(400);
}

/// `$select` inside `$expand=OptionSet(…)`/`GlobalOptionSet(…)` is checked against the option
/// set's declared type: an unknown name is a 400 naming the property and type, never a 200
/// that dropped it.
#[tokio::test]
async fn select_inside_an_expanded_option_set_is_checked() {
    let env = start().await;
    let state = format!(
        "{ACCOUNT}/Attributes(LogicalName='statecode')/Microsoft.Dynamics.CRM.StateAttributeMetadata"
    );
    let cases = [
        ("OptionSet($select=Bogus)", "Bogus", "OptionSetMetadata"),
        (
            "OptionSet($select=Name,Bogus)",
            "Bogus",
            "OptionSetMetadata",
        ),
        (
            "OptionSet($select=TrueOption)",
            "TrueOption",
            "OptionSetMetadata",
        ),
        (
            "GlobalOptionSet($select=Bogus)",
            "Bogus",
            "OptionSetMetadataBase",
        ),
    ];
    for (expand, property, type_name) in cases {
        let answer = env.get(&format!("{state}?$expand={expand}")).await;
        assert_eq!(answer.status, 400, "{expand}: {}", answer.text);
        assert_eq!(
            answer.message(),
            format!(
                "Could not find a property named '{property}' on type \
                 'Microsoft.Dynamics.CRM.{type_name}'."
            ),
            "{expand}"
        );
    }
    let answer = env
        .get(&format!("{state}?$expand=OptionSet($select=Name,Options)"))
        .await;
    let body = answer.expect(200);
    assert!(body["OptionSet"]["Options"].is_array(), "{body:#}");
    assert!(body["OptionSet"]["Name"].is_string(), "{body:#}");

    // A two-options column's option set has `TrueOption` and `FalseOption`, not `Options`.
    let boolean = format!(
        "{ACCOUNT}/Attributes(LogicalName='donotemail')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata"
    );
    let answer = env
        .get(&format!("{boolean}?$expand=OptionSet($select=TrueOption)"))
        .await;
    assert!(
        answer.expect(200)["OptionSet"]["TrueOption"].is_object(),
        "{}",
        answer.text
    );
    let answer = env
        .get(&format!("{boolean}?$expand=OptionSet($select=Options)"))
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(
        answer.message().contains("BooleanOptionSetMetadata"),
        "{}",
        answer.text
    );
}

//! The tables every emulated organisation starts with.

use super::model::AttrKind::{self, *};
use super::spec::TableSpec;
use super::standard_columns::{self, INDUSTRIES};

const ADDRESS_COLUMNS: [(&str, usize); 8] = [
    ("address1_line1", 250),
    ("address1_line2", 250),
    ("address1_line3", 250),
    ("address1_city", 80),
    ("address1_stateorprovince", 50),
    ("address1_postalcode", 20),
    ("address1_country", 80),
    ("address1_telephone1", 50),
];

fn address(mut spec: TableSpec) -> TableSpec {
    for (name, max) in ADDRESS_COLUMNS {
        spec = spec.text(name, max);
    }
    spec.column("address1_latitude", Double)
        .column("address1_longitude", Double)
}

fn currency(spec: TableSpec, schema: &str) -> TableSpec {
    spec.lookup(
        "transactioncurrencyid",
        "transactioncurrency",
        &format!("TransactionCurrency_{schema}"),
    )
}

const ACTIVE_INACTIVE: [(i64, &str); 2] = [(0, "Active"), (1, "Inactive")];
const ACTIVE_INACTIVE_REASONS: [(i64, &str, i64); 2] = [(1, "Active", 0), (2, "Inactive", 1)];

/// The built-in tables, in an order where every lookup target is in the list.
pub(crate) fn builtin_tables() -> Vec<TableSpec> {
    vec![
        transactioncurrency(),
        businessunit(),
        systemuser(),
        team(),
        role(),
        privilege(),
        roleprivileges(),
        organization(),
        publisher(),
        solution(),
        importjob(),
        asyncoperation(),
        account(),
        contact(),
        lead(),
        opportunity(),
        task(),
        email(),
        activityparty(),
    ]
}

fn audited(spec: TableSpec) -> TableSpec {
    spec.audited()
}

fn transactioncurrency() -> TableSpec {
    let spec = TableSpec::new(
        "transactioncurrency",
        "transactioncurrencies",
        "Currency",
        "transactioncurrencyid",
        Some(("currencyname", 100)),
        9105,
    )
    .text("isocurrencycode", 5)
    .text("currencysymbol", 10)
    .column("exchangerate", Decimal)
    .column("currencyprecision", Integer)
    .status(&ACTIVE_INACTIVE, &ACTIVE_INACTIVE_REASONS)
    .key("isocurrencycode", &["isocurrencycode"]);
    audited(spec)
}

fn businessunit() -> TableSpec {
    let spec = TableSpec::new(
        "businessunit",
        "businessunits",
        "Business Unit",
        "businessunitid",
        Some(("name", 160)),
        10,
    )
    .lookup(
        "parentbusinessunitid",
        "businessunit",
        "business_unit_parent_business_unit",
    )
    .text("divisionname", 100)
    .text("emailaddress", 100)
    .boolean("isdisabled", "Enabled", "Disabled")
    .memo("description", 2000);
    audited(standard_columns::businessunit(spec))
}

fn systemuser() -> TableSpec {
    let spec = TableSpec::new(
        "systemuser",
        "systemusers",
        "User",
        "systemuserid",
        Some(("fullname", 200)),
        8,
    )
    .text("firstname", 64)
    .text("lastname", 64)
    .text("domainname", 1024)
    .text("internalemailaddress", 100)
    .text("title", 128)
    .column("azureactivedirectoryobjectid", Uniqueidentifier)
    .column("applicationid", Uniqueidentifier)
    .lookup(
        "businessunitid",
        "businessunit",
        "business_unit_system_users",
    )
    .boolean("isdisabled", "Enabled", "Disabled")
    .boolean("islicensed", "No", "Yes")
    .choice(
        "accessmode",
        &[
            (0, "Read-Write"),
            (1, "Administrative"),
            (2, "Read"),
            (3, "Support User"),
            (4, "Non-interactive"),
            (5, "Delegated Admin"),
        ],
    )
    .choice("deletedstate", &[(0, "Not deleted"), (1, "Soft deleted")])
    .key(
        "azureactivedirectoryobjectid",
        &["azureactivedirectoryobjectid"],
    )
    .many_to_many(
        "systemuserroles_association",
        "systemuserroles",
        "role",
        "systemuserroles_association",
        "systemuserroles_association",
    )
    .tracked();
    audited(standard_columns::systemuser(spec))
}

fn team() -> TableSpec {
    let spec = TableSpec::new("team", "teams", "Team", "teamid", Some(("name", 160)), 9)
        .lookup("businessunitid", "businessunit", "business_unit_teams")
        .choice(
            "teamtype",
            &[
                (0, "Owner"),
                (1, "Access"),
                (2, "Security Group"),
                (3, "Office Group"),
            ],
        )
        .boolean("isdefault", "No", "Yes")
        .column("azureactivedirectoryobjectid", Uniqueidentifier)
        .memo("description", 2000)
        .many_to_many(
            "teammembership_association",
            "teammembership",
            "systemuser",
            "teammembership_association",
            "teammembership_association",
        )
        .many_to_many(
            "teamroles_association",
            "teamroles",
            "role",
            "teamroles_association",
            "teamroles_association",
        );
    audited(standard_columns::team(spec))
}

fn role() -> TableSpec {
    let spec = TableSpec::new(
        "role",
        "roles",
        "Security Role",
        "roleid",
        Some(("name", 100)),
        1036,
    )
    .lookup("businessunitid", "businessunit", "business_unit_roles")
    .lookup("parentrootroleid", "role", "role_parent_root_role")
    .lookup("parentroleid", "role", "role_parent_role")
    .column("roletemplateid", Uniqueidentifier)
    .boolean("ismanaged", "Unmanaged", "Managed");
    audited(standard_columns::role(spec))
}

/// Depth bits of `roleprivileges.privilegedepthmask`: Basic (User), Local (Business Unit),
/// Deep (Parent: Child Business Units), Global (Organization).
const DEPTH_MASKS: [(i64, &str); 4] = [(1, "Basic"), (2, "Local"), (4, "Deep"), (8, "Global")];

/// The privilege catalogue (`prvCreateLead`, `prvReadAsyncOperation`, ...). `accessright` uses
/// Dataverse's AccessRights values (Read 1, Write 2, Append 4, AppendTo 16, Create 32,
/// Delete 65536, Share 262144, Assign 524288).
fn privilege() -> TableSpec {
    let spec = TableSpec::new(
        "privilege",
        "privileges",
        "Privilege",
        "privilegeid",
        Some(("name", 100)),
        1023,
    )
    .column("accessright", Integer)
    .boolean("canbebasic", "No", "Yes")
    .boolean("canbelocal", "No", "Yes")
    .boolean("canbedeep", "No", "Yes")
    .boolean("canbeglobal", "No", "Yes")
    .boolean("canbeentityreference", "No", "Yes")
    .boolean("canbeparententityreference", "No", "Yes")
    .boolean("isdisabledwhenintegrated", "No", "Yes")
    .key("name", &["name"])
    .many_to_many(
        "roleprivileges_association",
        "roleprivileges",
        "role",
        "roleprivileges_association",
        "roleprivileges_association",
    );
    audited(spec)
}

/// One privilege of one role at one depth (the intersect rows of
/// `roleprivileges_association`, with the depth the association alone cannot carry).
fn roleprivileges() -> TableSpec {
    let spec = TableSpec::new(
        "roleprivileges",
        "roleprivilegescollection",
        "Role Privilege",
        "roleprivilegeid",
        None,
        1037,
    )
    .lookup("roleid", "role", "role_roleprivileges")
    .lookup("privilegeid", "privilege", "privilege_roleprivileges")
    .choice("privilegedepthmask", &DEPTH_MASKS)
    .key("role_privilege", &["roleid", "privilegeid"]);
    audited(spec)
}

/// The publisher of a solution (its customization prefix).
fn publisher() -> TableSpec {
    let spec = TableSpec::new(
        "publisher",
        "publishers",
        "Publisher",
        "publisherid",
        Some(("friendlyname", 256)),
        7101,
    )
    .text("uniquename", 256)
    .text("customizationprefix", 8)
    .column("customizationoptionvalueprefix", Integer)
    .memo("description", 2000)
    .key("uniquename", &["uniquename"]);
    audited(spec)
}

/// One solution import: `data` holds the result XML (`succeeded="success|failure"`).
fn importjob() -> TableSpec {
    let spec = TableSpec::new(
        "importjob",
        "importjobs",
        "Import Job",
        "importjobid",
        Some(("name", 256)),
        4413,
    )
    .text("solutionname", 256)
    .column("solutionid", Uniqueidentifier)
    .memo("data", 1_073_741_823)
    .column("progress", Double)
    .column("startedon", DateTime)
    .column("completedon", DateTime)
    .text("operationcontext", 256);
    audited(spec)
}

const ASYNC_STATES: [(i64, &str); 4] = [
    (0, "Ready"),
    (1, "Suspended"),
    (2, "Locked"),
    (3, "Completed"),
];
const ASYNC_REASONS: [(i64, &str, i64); 8] = [
    (0, "Waiting For Resources", 0),
    (10, "Waiting", 1),
    (20, "In Progress", 2),
    (21, "Pausing", 2),
    (22, "Canceling", 2),
    (30, "Succeeded", 3),
    (31, "Failed", 3),
    (32, "Canceled", 3),
];

/// A system job (`ImportSolutionAsync` and other background work).
fn asyncoperation() -> TableSpec {
    let spec = TableSpec::new(
        "asyncoperation",
        "asyncoperations",
        "System Job",
        "asyncoperationid",
        Some(("name", 256)),
        4700,
    )
    .column("operationtype", Integer)
    .memo("message", 1_073_741_823)
    .memo("friendlymessage", 1_073_741_823)
    .memo("data", 1_073_741_823)
    .column("startedon", DateTime)
    .column("completedon", DateTime)
    .column("correlationid", Uniqueidentifier)
    .status(&ASYNC_STATES, &ASYNC_REASONS);
    audited(spec)
}

fn organization() -> TableSpec {
    let spec = TableSpec::new(
        "organization",
        "organizations",
        "Organization",
        "organizationid",
        Some(("name", 160)),
        1019,
    )
    .column("expirechangetrackingindays", Integer)
    .lookup(
        "basecurrencyid",
        "transactioncurrency",
        "basecurrency_organization",
    )
    .column("languagecode", Integer)
    .column("localeid", Integer)
    .text("version", 48);
    audited(standard_columns::organization(spec))
}

fn solution() -> TableSpec {
    let spec = TableSpec::new(
        "solution",
        "solutions",
        "Solution",
        "solutionid",
        Some(("friendlyname", 256)),
        7100,
    )
    .text("uniquename", 65)
    .text("version", 256)
    .boolean("ismanaged", "Unmanaged", "Managed")
    .boolean("isvisible", "No", "Yes")
    .memo("description", 2000)
    .column("installedon", DateTime)
    .lookup("publisherid", "publisher", "publisher_solution")
    .key("uniquename", &["uniquename"]);
    audited(standard_columns::solution(spec))
}

fn account() -> TableSpec {
    let spec = TableSpec::new(
        "account",
        "accounts",
        "Account",
        "accountid",
        Some(("name", 160)),
        1,
    )
    .text("accountnumber", 20)
    .text("telephone1", 50)
    .text("telephone2", 50)
    .text("fax", 50)
    .text("emailaddress1", 100)
    .text("websiteurl", 200)
    .text("tickersymbol", 10)
    .column("revenue", Money)
    .column("creditlimit", Money)
    .column("numberofemployees", Integer)
    .boolean("creditonhold", "No", "Yes")
    .memo("description", 2000)
    .choice(
        "accountcategorycode",
        &[(1, "Preferred Customer"), (2, "Standard")],
    )
    .choice(
        "customertypecode",
        &[
            (1, "Competitor"),
            (2, "Consultant"),
            (3, "Customer"),
            (4, "Investor"),
            (5, "Partner"),
            (6, "Influencer"),
            (7, "Press"),
            (8, "Prospect"),
            (9, "Reseller"),
            (10, "Supplier"),
            (11, "Vendor"),
            (12, "Other"),
        ],
    )
    .lookup("primarycontactid", "contact", "account_primary_contact")
    .lookup("parentaccountid", "account", "account_parent_account")
    .lookup("originatingleadid", "lead", "account_originating_lead")
    .status(&ACTIVE_INACTIVE, &ACTIVE_INACTIVE_REASONS)
    // The documented answer for this column shows the same option set (one MetadataId) as its
    // `OptionSet` and its `GlobalOptionSet` ("Query table definitions": PicklistAttributeMetadata).
    .global_options("accountcategorycode")
    .tracked();
    standard_columns::account(address(currency(spec, "Account"))).standard()
}

fn contact() -> TableSpec {
    let spec = TableSpec::new(
        "contact",
        "contacts",
        "Contact",
        "contactid",
        Some(("fullname", 160)),
        2,
    )
    .text("firstname", 50)
    .text("middlename", 50)
    .text("lastname", 50)
    .text("emailaddress1", 100)
    .text("telephone1", 50)
    .text("mobilephone", 50)
    .text("jobtitle", 100)
    .column("annualincome", Money)
    .column("birthdate", DateOnly)
    .memo("description", 2000)
    .polymorphic(
        "parentcustomerid",
        AttrKind::Customer,
        &[
            (
                "account",
                "contact_customer_accounts",
                "parentcustomerid_account",
            ),
            (
                "contact",
                "contact_customer_contacts",
                "parentcustomerid_contact",
            ),
        ],
    )
    .lookup("originatingleadid", "lead", "contact_originating_lead")
    .status(&ACTIVE_INACTIVE, &ACTIVE_INACTIVE_REASONS)
    .computed_fullname()
    .tracked();
    standard_columns::contact(address(currency(spec, "Contact"))).standard()
}

fn lead() -> TableSpec {
    let spec = TableSpec::new(
        "lead",
        "leads",
        "Lead",
        "leadid",
        Some(("fullname", 160)),
        4,
    )
    .text("subject", 300)
    .text("firstname", 50)
    .text("middlename", 50)
    .text("lastname", 50)
    .text("companyname", 100)
    .text("emailaddress1", 100)
    .text("emailaddress2", 100)
    .text("telephone1", 50)
    .text("telephone2", 50)
    .text("mobilephone", 20)
    .text("jobtitle", 100)
    .text("websiteurl", 200)
    .memo("description", 2000)
    .column("revenue", Money)
    .column("budgetamount", Money)
    .column("numberofemployees", Integer)
    .choice(
        "leadsourcecode",
        &[
            (1, "Advertisement"),
            (2, "Employee Referral"),
            (3, "External Referral"),
            (4, "Partner"),
            (5, "Public Relations"),
            (6, "Seminar"),
            (7, "Trade Show"),
            (8, "Web"),
            (9, "Word of Mouth"),
            (10, "Other"),
        ],
    )
    .choice("leadqualitycode", &[(1, "Hot"), (2, "Warm"), (3, "Cold")])
    .choice("industrycode", &INDUSTRIES)
    .lookup("parentaccountid", "account", "lead_parent_account")
    .lookup("parentcontactid", "contact", "lead_parent_contact")
    .status(
        &[(0, "Open"), (1, "Qualified"), (2, "Disqualified")],
        &[
            (1, "New", 0),
            (2, "Contacted", 0),
            (3, "Qualified", 1),
            (4, "Lost", 2),
            (5, "Cannot Contact", 2),
            (6, "No Longer Interested", 2),
            (7, "Canceled", 2),
        ],
    )
    .computed_fullname()
    .tracked();
    standard_columns::lead(address(currency(spec, "Lead"))).standard()
}

fn opportunity() -> TableSpec {
    let spec = TableSpec::new(
        "opportunity",
        "opportunities",
        "Opportunity",
        "opportunityid",
        Some(("name", 300)),
        3,
    )
    .polymorphic(
        "customerid",
        AttrKind::Customer,
        &[
            (
                "account",
                "opportunity_customer_accounts",
                "customerid_account",
            ),
            (
                "contact",
                "opportunity_customer_contacts",
                "customerid_contact",
            ),
        ],
    )
    .lookup("parentaccountid", "account", "opportunity_parent_account")
    .lookup("parentcontactid", "contact", "opportunity_parent_contact")
    .lookup("originatingleadid", "lead", "opportunity_originating_lead")
    .column("estimatedvalue", Money)
    .column("estimatedclosedate", DateOnly)
    .column("closeprobability", Integer)
    .memo("description", 2000)
    .status(
        &[(0, "Open"), (1, "Won"), (2, "Lost")],
        &[
            (1, "In Progress", 0),
            (2, "On Hold", 0),
            (3, "Won", 1),
            (4, "Canceled", 2),
            (5, "Out-Sold", 2),
        ],
    )
    .tracked();
    standard_columns::opportunity(currency(spec, "Opportunity")).standard()
}

fn regarding(spec: TableSpec, kind: &str, plural: &str) -> TableSpec {
    spec.polymorphic(
        "regardingobjectid",
        AttrKind::Lookup,
        &[
            (
                "account",
                &format!("Account_{plural}"),
                &format!("regardingobjectid_account_{kind}"),
            ),
            (
                "contact",
                &format!("Contact_{plural}"),
                &format!("regardingobjectid_contact_{kind}"),
            ),
            (
                "lead",
                &format!("Lead_{plural}"),
                &format!("regardingobjectid_lead_{kind}"),
            ),
            (
                "opportunity",
                &format!("Opportunity_{plural}"),
                &format!("regardingobjectid_opportunity_{kind}"),
            ),
        ],
    )
}

fn task() -> TableSpec {
    let spec = TableSpec::new(
        "task",
        "tasks",
        "Task",
        "activityid",
        Some(("subject", 200)),
        4212,
    )
    .memo("description", 2000)
    .column("scheduledstart", DateTime)
    .column("scheduledend", DateTime)
    .column("actualdurationminutes", Integer)
    .column("percentcomplete", Integer)
    .choice("prioritycode", &[(0, "Low"), (1, "Normal"), (2, "High")])
    .status(
        &[(0, "Open"), (1, "Completed"), (2, "Canceled")],
        &[
            (2, "Not Started", 0),
            (3, "In Progress", 0),
            (4, "Waiting on someone else", 0),
            (7, "Deferred", 0),
            (5, "Completed", 1),
            (6, "Canceled", 2),
        ],
    )
    .activity()
    .tracked();
    standard_columns::task(regarding(spec, "task", "Tasks")).standard()
}

fn email() -> TableSpec {
    let spec = TableSpec::new(
        "email",
        "emails",
        "Email",
        "activityid",
        Some(("subject", 400)),
        4202,
    )
    .memo("description", 100_000)
    .text("sender", 250)
    .text("torecipients", 500)
    .boolean("directioncode", "Incoming", "Outgoing")
    .choice("prioritycode", &[(0, "Low"), (1, "Normal"), (2, "High")])
    .status(
        &[(0, "Open"), (1, "Completed"), (2, "Canceled")],
        &[
            (1, "Draft", 0),
            (8, "Failed", 0),
            (2, "Completed", 1),
            (3, "Sent", 1),
            (4, "Received", 1),
            (6, "Pending Send", 1),
            (7, "Sending", 1),
            (5, "Canceled", 2),
        ],
    )
    .activity()
    .tracked();
    standard_columns::email(regarding(spec, "email", "Emails")).standard()
}

fn activityparty() -> TableSpec {
    TableSpec::new(
        "activityparty",
        "activityparties",
        "Activity Party",
        "activitypartyid",
        None,
        135,
    )
    .polymorphic(
        "activityid",
        AttrKind::Lookup,
        &[
            ("email", "email_activity_parties", "activityid_email"),
            ("task", "task_activity_parties", "activityid_task"),
        ],
    )
    .polymorphic(
        "partyid",
        AttrKind::Lookup,
        &[
            ("contact", "contact_activity_parties", "partyid_contact"),
            ("account", "account_activity_parties", "partyid_account"),
            ("lead", "lead_activity_parties", "partyid_lead"),
            (
                "systemuser",
                "system_user_activity_parties",
                "partyid_systemuser",
            ),
        ],
    )
    .choice(
        "participationtypemask",
        &[
            (1, "Sender"),
            (2, "To Recipient"),
            (3, "CC Recipient"),
            (4, "BCC Recipient"),
            (5, "Required attendee"),
            (6, "Optional attendee"),
            (7, "Organizer"),
            (8, "Regarding"),
            (9, "Owner"),
            (10, "Resource"),
            (11, "Customer"),
        ],
    )
    .text("addressused", 320)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::metadata::catalog::{Catalog, Navigation};

    #[test]
    fn builtin_tables_resolve() {
        let catalog = Catalog::from_specs(builtin_tables()).expect("built-in tables resolve");
        let account = catalog.by_set("accounts").expect("accounts");
        let tasks = catalog.navigation(account, "Account_Tasks");
        assert!(matches!(tasks, Some(Navigation::Collection(_))));
        let contact = catalog.by_logical("contact").expect("contact");
        assert_eq!(
            catalog.nav_target(
                catalog
                    .navigation(account, "primarycontactid")
                    .expect("nav")
            ),
            contact
        );
        let user = catalog.by_logical("systemuser").expect("systemuser");
        assert!(matches!(
            catalog.navigation(user, "systemuserroles_association"),
            Some(Navigation::ManyToMany { first: true, .. })
        ));
    }
}

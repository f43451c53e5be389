//! The standard columns of the built-in tables beyond the ones the emulator gives behaviour to:
//! addresses, contact preferences, choices with their documented options, and the platform's
//! bookkeeping columns, as the Dataverse table reference lists them.

use super::model::AttrKind::{DateOnly, DateTime, Double, Integer, Money, Uniqueidentifier};
use super::spec::TableSpec;

/// A choice whose only option is the platform's placeholder.
const DEFAULT_VALUE: [(i64, &str); 1] = [(1, "Default Value")];

const ALLOW: (&str, &str) = ("Allow", "Do Not Allow");
const NO_YES: (&str, &str) = ("No", "Yes");

const ACCOUNT_ADDRESS_TYPES: [(i64, &str); 4] =
    [(1, "Bill To"), (2, "Ship To"), (3, "Primary"), (4, "Other")];
const FREIGHT_TERMS: [(i64, &str); 2] = [(1, "FOB"), (2, "No Charge")];
const SHIPPING_METHODS: [(i64, &str); 7] = [
    (1, "Airborne"),
    (2, "DHL"),
    (3, "FedEx"),
    (4, "UPS"),
    (5, "Postal Mail"),
    (6, "Full Load"),
    (7, "Will Call"),
];
const PAYMENT_TERMS: [(i64, &str); 4] = [
    (1, "Net 30"),
    (2, "2% 10, Net 30"),
    (3, "Net 45"),
    (4, "Net 60"),
];
const CONTACT_METHODS: [(i64, &str); 5] = [
    (1, "Any"),
    (2, "Email"),
    (3, "Phone"),
    (4, "Fax"),
    (5, "Mail"),
];
const APPOINTMENT_DAYS: [(i64, &str); 7] = [
    (0, "Sunday"),
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
];
const APPOINTMENT_TIMES: [(i64, &str); 3] = [(1, "Morning"), (2, "Afternoon"), (3, "Evening")];

/// The industries of `account.industrycode` and `lead.industrycode`.
pub(crate) const INDUSTRIES: [(i64, &str); 33] = [
    (1, "Accounting"),
    (2, "Agriculture and Non-petrol Natural Resource Extraction"),
    (3, "Broadcasting Printing and Publishing"),
    (4, "Brokers"),
    (5, "Building Supply Retail"),
    (6, "Business Services"),
    (7, "Consulting"),
    (8, "Consumer Services"),
    (9, "Design, Direction and Creative Management"),
    (10, "Distributors, Dispatchers and Processors"),
    (11, "Doctor's Offices and Clinics"),
    (12, "Durable Manufacturing"),
    (13, "Eating and Drinking Places"),
    (14, "Entertainment Retail"),
    (15, "Equipment Rental and Leasing"),
    (16, "Financial"),
    (17, "Food and Tobacco Processing"),
    (18, "Inbound Capital Intensive Processing"),
    (19, "Inbound Repair and Services"),
    (20, "Insurance"),
    (21, "Legal Services"),
    (22, "Non-Durable Merchandise Retail"),
    (23, "Outbound Consumer Service"),
    (24, "Petrochemical Extraction and Distribution"),
    (25, "Service Retail"),
    (26, "SIG Affiliations"),
    (27, "Social Services"),
    (28, "Special Outbound Trade Contractors"),
    (29, "Specialty Realty"),
    (30, "Transportation"),
    (31, "Utility Creation and Distribution"),
    (32, "Vehicle Retail"),
    (33, "Wholesale"),
];

/// The text columns of an address block after `line1`…`telephone1`, which every addressed
/// table has for `address1`.
const ADDRESS_TEXT: [(&str, usize); 8] = [
    ("county", 50),
    ("fax", 50),
    ("name", 200),
    ("postofficebox", 20),
    ("primarycontactname", 100),
    ("telephone2", 50),
    ("telephone3", 50),
    ("upszone", 4),
];

/// The address block `prefix` (`address1`, `address2`) with its choices; `base` adds the
/// columns the emulator already had for `address1`.
fn address_block(
    mut spec: TableSpec,
    prefix: &str,
    base: bool,
    types: &[(i64, &str)],
    freight: &[(i64, &str)],
    shipping: &[(i64, &str)],
) -> TableSpec {
    if base {
        for (name, max) in [
            ("line1", 250),
            ("line2", 250),
            ("line3", 250),
            ("city", 80),
            ("stateorprovince", 50),
            ("postalcode", 20),
            ("country", 80),
            ("telephone1", 50),
        ] {
            spec = spec.text(&format!("{prefix}_{name}"), max);
        }
        spec = spec
            .column(&format!("{prefix}_latitude"), Double)
            .column(&format!("{prefix}_longitude"), Double);
    }
    for (name, max) in ADDRESS_TEXT {
        spec = spec.text(&format!("{prefix}_{name}"), max);
    }
    spec.column(&format!("{prefix}_utcoffset"), Integer)
        .choice(&format!("{prefix}_addresstypecode"), types)
        .choice(&format!("{prefix}_freighttermscode"), freight)
        .choice(&format!("{prefix}_shippingmethodcode"), shipping)
        .column(&format!("{prefix}_addressid"), Uniqueidentifier)
        .read_only(&format!("{prefix}_addressid"))
}

/// The columns every built-in business table has for imports, time zones and processes.
fn bookkeeping(spec: TableSpec) -> TableSpec {
    spec.column("importsequencenumber", Integer)
        .column("overriddencreatedon", DateTime)
        .column("timezoneruleversionnumber", Integer)
        .column("utcconversiontimezonecode", Integer)
        .labels(&[
            ("importsequencenumber", "Import Sequence Number"),
            ("overriddencreatedon", "Record Created On"),
            ("timezoneruleversionnumber", "Time Zone Rule Version Number"),
            ("utcconversiontimezonecode", "UTC Conversion Time Zone Code"),
        ])
}

/// The process columns of tables with business process flows.
fn process(spec: TableSpec) -> TableSpec {
    spec.column("processid", Uniqueidentifier)
        .column("stageid", Uniqueidentifier)
        .text("traversedpath", 1250)
        .labels(&[
            ("processid", "Process Id"),
            ("stageid", "(Deprecated) Process Stage"),
            ("traversedpath", "(Deprecated) Traversed Path"),
        ])
}

/// The contact preferences of account, contact and lead.
fn preferences(spec: TableSpec, bulk_email: bool) -> TableSpec {
    let mut spec = spec
        .boolean("donotemail", ALLOW.0, ALLOW.1)
        .boolean("donotfax", ALLOW.0, ALLOW.1)
        .boolean("donotphone", ALLOW.0, ALLOW.1)
        .boolean("donotpostalmail", ALLOW.0, ALLOW.1)
        .boolean("donotsendmm", "Send", "Do Not Send")
        .choice("preferredcontactmethodcode", &CONTACT_METHODS)
        .column("lastusedincampaign", DateTime)
        .read_only("lastusedincampaign");
    if bulk_email {
        spec = spec.boolean("donotbulkemail", ALLOW.0, ALLOW.1);
    }
    spec.labels(&[
        ("donotemail", "Do not allow Emails"),
        ("donotfax", "Do not allow Faxes"),
        ("donotphone", "Do not allow Phone Calls"),
        ("donotpostalmail", "Do not allow Mails"),
        ("donotsendmm", "Send Marketing Materials"),
        ("donotbulkemail", "Do not allow Bulk Emails"),
        ("preferredcontactmethodcode", "Preferred Method of Contact"),
        ("lastusedincampaign", "Last Date Included in Campaign"),
    ])
}

/// Account columns beyond the emulator's core set.
pub(crate) fn account(spec: TableSpec) -> TableSpec {
    let spec = spec
        .choice("accountclassificationcode", &DEFAULT_VALUE)
        .choice("accountratingcode", &DEFAULT_VALUE)
        .choice("businesstypecode", &DEFAULT_VALUE)
        .choice("customersizecode", &DEFAULT_VALUE)
        .choice("industrycode", &INDUSTRIES)
        .choice(
            "ownershipcode",
            &[
                (1, "Public"),
                (2, "Private"),
                (3, "Subsidiary"),
                (4, "Other"),
            ],
        )
        .choice("paymenttermscode", &PAYMENT_TERMS)
        .choice("preferredappointmentdaycode", &APPOINTMENT_DAYS)
        .choice("preferredappointmenttimecode", &APPOINTMENT_TIMES)
        .choice("shippingmethodcode", &DEFAULT_VALUE)
        .choice("territorycode", &DEFAULT_VALUE)
        .boolean("donotbulkpostalmail", NO_YES.0, NO_YES.1)
        .boolean("followemail", "Do Not Allow", "Allow")
        .boolean("marketingonly", NO_YES.0, NO_YES.1)
        .boolean("participatesinworkflow", NO_YES.0, NO_YES.1)
        .text("emailaddress2", 100)
        .text("emailaddress3", 100)
        .text("telephone3", 50)
        .text("ftpsiteurl", 200)
        .text("sic", 20)
        .text("stockexchange", 20)
        .text("yominame", 160)
        .column("marketcap", Money)
        .column("sharesoutstanding", Integer)
        .column("onholdtime", Integer)
        .read_only("onholdtime");
    let spec = preferences(spec, true);
    let spec = address_block(
        spec,
        "address1",
        false,
        &ACCOUNT_ADDRESS_TYPES,
        &FREIGHT_TERMS,
        &SHIPPING_METHODS,
    );
    let spec = address_block(
        spec,
        "address2",
        true,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
    );
    process(bookkeeping(spec)).labels(&[
        ("name", "Account Name"),
        ("accountnumber", "Account Number"),
        ("accountclassificationcode", "Classification"),
        ("accountratingcode", "Account Rating"),
        ("accountcategorycode", "Category"),
        ("businesstypecode", "Business Type"),
        ("customersizecode", "Customer Size"),
        ("customertypecode", "Relationship Type"),
        ("industrycode", "Industry"),
        ("ownershipcode", "Ownership"),
        ("paymenttermscode", "Payment Terms"),
        ("shippingmethodcode", "Shipping Method"),
        ("territorycode", "Territory Code"),
        ("donotbulkpostalmail", "Do not allow Bulk Mails"),
        ("creditonhold", "Credit Hold"),
        ("creditlimit", "Credit Limit"),
        ("revenue", "Annual Revenue"),
        ("numberofemployees", "Number of Employees"),
        ("primarycontactid", "Primary Contact"),
        ("parentaccountid", "Parent Account"),
        ("telephone1", "Main Phone"),
        ("telephone2", "Other Phone"),
        ("websiteurl", "Website"),
        ("tickersymbol", "Ticker Symbol"),
        ("marketcap", "Market Capitalization"),
        ("sharesoutstanding", "Shares Outstanding"),
        ("sic", "SIC Code"),
        ("stockexchange", "Stock Exchange"),
    ])
}

/// Contact columns beyond the emulator's core set.
pub(crate) fn contact(spec: TableSpec) -> TableSpec {
    let spec = spec
        .choice(
            "accountrolecode",
            &[(1, "Decision Maker"), (2, "Employee"), (3, "Influencer")],
        )
        .choice("customersizecode", &DEFAULT_VALUE)
        .choice("customertypecode", &DEFAULT_VALUE)
        .choice("educationcode", &DEFAULT_VALUE)
        .choice(
            "familystatuscode",
            &[
                (1, "Single"),
                (2, "Married"),
                (3, "Divorced"),
                (4, "Widowed"),
            ],
        )
        .choice("gendercode", &[(1, "Male"), (2, "Female")])
        .choice("haschildrencode", &DEFAULT_VALUE)
        .choice("leadsourcecode", &DEFAULT_VALUE)
        .choice("paymenttermscode", &PAYMENT_TERMS)
        .choice("preferredappointmentdaycode", &APPOINTMENT_DAYS)
        .choice("preferredappointmenttimecode", &APPOINTMENT_TIMES)
        .choice("shippingmethodcode", &DEFAULT_VALUE)
        .choice("territorycode", &DEFAULT_VALUE)
        .boolean("donotbulkpostalmail", NO_YES.0, NO_YES.1)
        .boolean("creditonhold", NO_YES.0, NO_YES.1)
        .boolean("followemail", "Do Not Allow", "Allow")
        .boolean("isbackofficecustomer", NO_YES.0, NO_YES.1)
        .boolean("marketingonly", NO_YES.0, NO_YES.1)
        .boolean("participatesinworkflow", NO_YES.0, NO_YES.1)
        .column("anniversary", DateOnly)
        .column("creditlimit", Money)
        .column("numberofchildren", Integer)
        .text("assistantname", 100)
        .text("assistantphone", 50)
        .text("business2", 50)
        .text("callback", 50)
        .text("childrensnames", 255)
        .text("company", 50)
        .text("department", 100)
        .text("emailaddress2", 100)
        .text("emailaddress3", 100)
        .text("employeeid", 50)
        .text("externaluseridentifier", 50)
        .text("fax", 50)
        .text("ftpsiteurl", 200)
        .text("governmentid", 50)
        .text("home2", 50)
        .text("managername", 100)
        .text("managerphone", 50)
        .text("nickname", 100)
        .text("pager", 50)
        .text("salutation", 100)
        .text("spousesname", 100)
        .text("suffix", 10)
        .text("telephone2", 50)
        .text("telephone3", 50)
        .text("websiteurl", 200)
        .text("yomifirstname", 150)
        .text("yomilastname", 150)
        .text("yomimiddlename", 150);
    let spec = preferences(spec, true);
    let spec = address_block(
        spec,
        "address1",
        false,
        &ACCOUNT_ADDRESS_TYPES,
        &FREIGHT_TERMS,
        &SHIPPING_METHODS,
    );
    let spec = address_block(
        spec,
        "address2",
        true,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
    );
    process(bookkeeping(spec)).labels(&[
        ("accountrolecode", "Role"),
        ("educationcode", "Education"),
        ("familystatuscode", "Marital Status"),
        ("gendercode", "Gender"),
        ("haschildrencode", "Has Children"),
        ("anniversary", "Anniversary"),
        ("birthdate", "Birthday"),
        ("parentcustomerid", "Company Name"),
        ("telephone1", "Business Phone"),
        ("telephone2", "Home Phone"),
        ("mobilephone", "Mobile Phone"),
        ("salutation", "Salutation"),
        ("department", "Department"),
    ])
}

/// Lead columns beyond the emulator's core set.
pub(crate) fn lead(spec: TableSpec) -> TableSpec {
    let spec = spec
        .choice(
            "budgetstatus",
            &[
                (0, "No Committed Budget"),
                (1, "May Buy"),
                (2, "Can Buy"),
                (3, "Will Buy"),
            ],
        )
        .choice(
            "initialcommunication",
            &[(0, "Contacted"), (1, "Not Contacted")],
        )
        .choice(
            "need",
            &[
                (0, "Must have"),
                (1, "Should have"),
                (2, "Good to have"),
                (3, "No need"),
            ],
        )
        .choice("prioritycode", &DEFAULT_VALUE)
        .choice(
            "purchaseprocess",
            &[(0, "Individual"), (1, "Committee"), (2, "Unknown")],
        )
        .choice(
            "purchasetimeframe",
            &[
                (0, "Immediate"),
                (1, "This Quarter"),
                (2, "Next Quarter"),
                (3, "This Year"),
                (4, "Unknown"),
            ],
        )
        .choice("salesstagecode", &DEFAULT_VALUE)
        .choice(
            "salesstage",
            &[(0, "Qualify"), (1, "Develop"), (2, "Propose"), (3, "Close")],
        )
        .boolean("confirminterest", NO_YES.0, NO_YES.1)
        .boolean("decisionmaker", "no", "yes")
        .boolean("evaluatefit", NO_YES.0, NO_YES.1)
        .boolean("followemail", "Do Not Allow", "Allow")
        .boolean("participatesinworkflow", NO_YES.0, NO_YES.1)
        .column("estimatedamount", Money)
        .column("estimatedclosedate", DateOnly)
        .column("estimatedvalue", Double)
        .text("emailaddress3", 100)
        .text("fax", 50)
        .text("pager", 50)
        .text("salutation", 100)
        .text("sic", 20)
        .text("telephone3", 50)
        .text("yomicompanyname", 100)
        .text("yomifirstname", 150)
        .text("yomilastname", 150)
        .text("yomimiddlename", 150)
        .memo("qualificationcomments", 2000);
    let spec = preferences(spec, true);
    let spec = address_block(
        spec,
        "address1",
        false,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
    );
    let spec = address_block(
        spec,
        "address2",
        true,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
        &DEFAULT_VALUE,
    );
    process(bookkeeping(spec)).labels(&[
        ("subject", "Topic"),
        ("companyname", "Company Name"),
        ("leadsourcecode", "Lead Source"),
        ("leadqualitycode", "Rating"),
        ("industrycode", "Industry"),
        ("budgetamount", "Budget Amount"),
        ("budgetstatus", "Budget"),
        ("purchasetimeframe", "Purchase Timeframe"),
        ("purchaseprocess", "Purchase Process"),
        ("estimatedamount", "Est. Value"),
        ("estimatedclosedate", "Est. Close Date"),
        ("qualificationcomments", "Qualification Comments"),
    ])
}

/// System user columns beyond the emulator's core set.
pub(crate) fn systemuser(spec: TableSpec) -> TableSpec {
    let spec = spec
        .text("jobtitle", 100)
        .text("middlename", 50)
        .text("nickname", 50)
        .text("salutation", 20)
        .text("personalemailaddress", 100)
        .text("mobilealertemail", 100)
        .text("mobilephone", 64)
        .text("homephone", 50)
        .text("employeeid", 100)
        .text("governmentid", 100)
        .text("skills", 100)
        .text("windowsliveid", 1024)
        .text("yomifirstname", 64)
        .text("yomilastname", 64)
        .text("yomimiddlename", 50)
        .text("address1_line1", 1024)
        .text("address1_line2", 1024)
        .text("address1_line3", 1024)
        .text("address1_city", 128)
        .text("address1_stateorprovince", 128)
        .text("address1_postalcode", 40)
        .text("address1_country", 128)
        .text("address1_telephone1", 64)
        .text("address1_telephone2", 50)
        .text("address1_telephone3", 50)
        .text("address1_fax", 64)
        .text("disabledreason", 500)
        .read_only("disabledreason")
        .choice(
            "caltype",
            &[
                (0, "Professional"),
                (1, "Administrative"),
                (2, "Basic"),
                (3, "Device Professional"),
                (4, "Device Basic"),
                (5, "Essential"),
                (6, "Device Essential"),
                (7, "Enterprise"),
                (8, "Device Enterprise"),
                (9, "Sales"),
                (10, "Service"),
                (11, "Field Service"),
                (12, "Project Service"),
            ],
        )
        .choice(
            "emailrouteraccessapproval",
            &[
                (0, "Empty"),
                (1, "Approved"),
                (2, "Pending Approval"),
                (3, "Rejected"),
            ],
        )
        .choice(
            "incomingemaildeliverymethod",
            &[
                (0, "None"),
                (1, "Microsoft Dynamics 365 for Outlook"),
                (2, "Server-Side Synchronization or Email Router"),
                (3, "Forward Mailbox"),
            ],
        )
        .choice(
            "outgoingemaildeliverymethod",
            &[
                (0, "None"),
                (1, "Microsoft Dynamics 365 for Outlook"),
                (2, "Server-Side Synchronization or Email Router"),
            ],
        )
        .choice(
            "invitestatuscode",
            &[
                (0, "Invitation Not Sent"),
                (1, "Invited"),
                (2, "Invitation Near Expired"),
                (3, "Invitation Expired"),
                (4, "Invitation Accepted"),
                (5, "Invitation Rejected"),
                (6, "Invitation Revoked"),
            ],
        )
        .choice(
            "preferredaddresscode",
            &[(1, "Mailing Address"), (2, "Other Address")],
        )
        .choice("preferredemailcode", &DEFAULT_VALUE)
        .choice(
            "preferredphonecode",
            &[
                (1, "Main Phone"),
                (2, "Other Phone"),
                (3, "Home Phone"),
                (4, "Mobile Phone"),
            ],
        )
        .boolean("isintegrationuser", NO_YES.0, NO_YES.1)
        .boolean("issyncwithdirectory", NO_YES.0, NO_YES.1)
        .boolean("setupuser", NO_YES.0, NO_YES.1)
        .boolean("isemailaddressapprovedbyo365admin", NO_YES.0, NO_YES.1)
        .read_only("isemailaddressapprovedbyo365admin")
        .column("userlicensetype", Integer)
        .lookup("parentsystemuserid", "systemuser", "user_parent_user");
    process(bookkeeping(spec)).labels(&[
        ("jobtitle", "Job Title"),
        ("title", "Title"),
        ("domainname", "User Name"),
        ("internalemailaddress", "Primary Email"),
        ("personalemailaddress", "Email 2"),
        ("mobilephone", "Mobile Phone"),
        ("homephone", "Home Phone"),
        ("caltype", "License Type"),
        ("accessmode", "Access Mode"),
        ("isdisabled", "Status"),
        ("islicensed", "User Licensed"),
        ("parentsystemuserid", "Manager"),
        ("azureactivedirectoryobjectid", "Azure AD Object ID"),
        ("applicationid", "Application ID"),
    ])
}

/// Business unit columns beyond the emulator's core set.
pub(crate) fn businessunit(spec: TableSpec) -> TableSpec {
    let spec = spec
        .text("costcenter", 100)
        .column("creditlimit", Double)
        .text("fileasname", 100)
        .text("ftpsiteurl", 200)
        .text("stockexchange", 10)
        .text("tickersymbol", 10)
        .text("websiteurl", 200)
        .text("disabledreason", 500)
        .read_only("disabledreason")
        .column("inheritancemask", Integer)
        .boolean("workflowsuspended", NO_YES.0, NO_YES.1)
        .text("address1_line1", 250)
        .text("address1_line2", 250)
        .text("address1_line3", 250)
        .text("address1_city", 80)
        .text("address1_stateorprovince", 50)
        .text("address1_postalcode", 20)
        .text("address1_country", 80)
        .text("address1_telephone1", 50)
        .choice("address1_addresstypecode", &DEFAULT_VALUE)
        .choice("address1_shippingmethodcode", &DEFAULT_VALUE);
    bookkeeping(spec).labels(&[
        ("parentbusinessunitid", "Parent Business"),
        ("divisionname", "Division"),
        ("emailaddress", "Email"),
        ("isdisabled", "Is Disabled"),
        ("costcenter", "Cost Center"),
        ("websiteurl", "Website"),
    ])
}

/// Team columns beyond the emulator's core set.
pub(crate) fn team(spec: TableSpec) -> TableSpec {
    let spec = spec
        .text("emailaddress", 100)
        .text("yominame", 160)
        .choice(
            "membershiptype",
            &[
                (0, "Members and guests"),
                (1, "Members"),
                (2, "Owners"),
                (3, "Guests"),
            ],
        )
        .boolean("systemmanaged", NO_YES.0, NO_YES.1)
        .read_only("systemmanaged")
        .lookup(
            "administratorid",
            "systemuser",
            "lk_teambase_administratorid",
        );
    process(bookkeeping(spec)).labels(&[
        ("name", "Team Name"),
        ("teamtype", "Team Type"),
        ("isdefault", "Is Default"),
        ("administratorid", "Administrator"),
        ("membershiptype", "Membership Type"),
        ("emailaddress", "Email"),
    ])
}

/// Security role columns beyond the emulator's core set.
pub(crate) fn role(spec: TableSpec) -> TableSpec {
    let spec = spec
        .choice(
            "isinherited",
            &[
                (0, "Team privileges only"),
                (1, "Direct User (Basic) access level and Team privileges"),
            ],
        )
        .choice(
            "componentstate",
            &[
                (0, "Published"),
                (1, "Unpublished"),
                (2, "Deleted"),
                (3, "Deleted Unpublished"),
            ],
        )
        .read_only("componentstate")
        .memo("description", 2000)
        .memo("appliesto", 2000)
        .column("solutionid", Uniqueidentifier)
        .read_only("solutionid")
        .column("overwritetime", DateTime)
        .read_only("overwritetime")
        .column("roleidunique", Uniqueidentifier)
        .read_only("roleidunique");
    bookkeeping(spec).labels(&[
        ("name", "Name"),
        ("isinherited", "Member's privilege inheritance"),
        ("ismanaged", "State"),
        ("parentroleid", "Parent Role"),
        ("parentrootroleid", "Parent Root Role"),
        ("roletemplateid", "Role Template ID"),
        ("componentstate", "Component State"),
        ("appliesto", "Applies To"),
    ])
}

const TIMELINES: [(i64, &str); 5] = [
    (0, "Immediate"),
    (1, "This Quarter"),
    (2, "Next Quarter"),
    (3, "This Year"),
    (4, "Not known"),
];

/// Opportunity columns beyond the emulator's core set.
pub(crate) fn opportunity(spec: TableSpec) -> TableSpec {
    let spec = spec
        .choice(
            "opportunityratingcode",
            &[(1, "Hot"), (2, "Warm"), (3, "Cold")],
        )
        .choice("prioritycode", &DEFAULT_VALUE)
        .choice("salesstagecode", &DEFAULT_VALUE)
        .choice(
            "salesstage",
            &[(0, "Qualify"), (1, "Develop"), (2, "Propose"), (3, "Close")],
        )
        .choice(
            "purchaseprocess",
            &[(0, "Individual"), (1, "Committee"), (2, "Unknown")],
        )
        .choice(
            "purchasetimeframe",
            &[
                (0, "Immediate"),
                (1, "This Quarter"),
                (2, "Next Quarter"),
                (3, "This Year"),
                (4, "Unknown"),
            ],
        )
        .choice("timeline", &TIMELINES)
        .choice(
            "budgetstatus",
            &[
                (0, "No Committed Budget"),
                (1, "May Buy"),
                (2, "Can Buy"),
                (3, "Will Buy"),
            ],
        )
        .choice(
            "need",
            &[
                (0, "Must have"),
                (1, "Should have"),
                (2, "Good to have"),
                (3, "No need"),
            ],
        )
        .column("actualvalue", Money)
        .column("actualclosedate", DateOnly)
        .column("budgetamount", Money)
        .column("discountamount", Money)
        .column("freightamount", Money)
        .column("totalamount", Money)
        .text("stepname", 200)
        .memo("currentsituation", 2000)
        .memo("customerneed", 2000)
        .memo("customerpainpoints", 2000)
        .memo("proposedsolution", 2000)
        .memo("qualificationcomments", 2000)
        .boolean(
            "isrevenuesystemcalculated",
            "User Provided",
            "System Calculated",
        )
        .boolean("decisionmaker", "no", "yes")
        .boolean("evaluatefit", NO_YES.0, NO_YES.1)
        .boolean("participatesinworkflow", NO_YES.0, NO_YES.1);
    process(bookkeeping(spec)).labels(&[
        ("name", "Topic"),
        ("customerid", "Potential Customer"),
        ("estimatedvalue", "Est. Revenue"),
        ("estimatedclosedate", "Est. Close Date"),
        ("closeprobability", "Probability"),
        ("opportunityratingcode", "Rating"),
        ("actualvalue", "Actual Revenue"),
        ("actualclosedate", "Actual Close Date"),
        ("isrevenuesystemcalculated", "Revenue"),
    ])
}

/// The columns every activity has beyond the emulator's core set.
fn activity(spec: TableSpec) -> TableSpec {
    let spec = spec
        .column("actualstart", DateTime)
        .column("actualend", DateTime)
        .column("scheduleddurationminutes", Integer)
        .text("category", 250)
        .text("subcategory", 250)
        .boolean("isbilled", NO_YES.0, NO_YES.1)
        .boolean("isworkflowcreated", NO_YES.0, NO_YES.1);
    bookkeeping(spec).labels(&[
        ("subject", "Subject"),
        ("regardingobjectid", "Regarding"),
        ("prioritycode", "Priority"),
        ("scheduledstart", "Start Date"),
        ("scheduledend", "Due Date"),
        ("actualstart", "Actual Start"),
        ("actualend", "Actual End"),
        ("actualdurationminutes", "Duration"),
        ("scheduleddurationminutes", "Scheduled Duration"),
        ("isbilled", "Is Billed"),
    ])
}

/// Task columns beyond the emulator's core set.
pub(crate) fn task(spec: TableSpec) -> TableSpec {
    process(activity(spec)).labels(&[("percentcomplete", "Percent Complete")])
}

/// Email columns beyond the emulator's core set.
pub(crate) fn email(spec: TableSpec) -> TableSpec {
    let spec = spec
        .text("messageid", 320)
        .text("trackingtoken", 50)
        .boolean("readreceiptrequested", NO_YES.0, NO_YES.1)
        .boolean("deliveryreceiptrequested", NO_YES.0, NO_YES.1)
        .boolean("compressed", NO_YES.0, NO_YES.1)
        .read_only("compressed")
        .column("deliveryattempts", Integer)
        .read_only("deliveryattempts");
    activity(spec).labels(&[
        ("sender", "From"),
        ("torecipients", "To Recipients"),
        ("directioncode", "Direction"),
        ("messageid", "Message ID"),
        ("readreceiptrequested", "Read Receipt Requested"),
        ("deliveryreceiptrequested", "Delivery Receipt Requested"),
    ])
}

/// Organization settings beyond the emulator's core set.
pub(crate) fn organization(spec: TableSpec) -> TableSpec {
    spec.text("currencysymbol", 13)
        .text("dateformatstring", 255)
        .text("timeformatstring", 255)
        .text("dateseparator", 5)
        .text("timeseparator", 5)
        .column("maxuploadfilesize", Integer)
        .column("pricingdecimalprecision", Integer)
        .column("maxrecordsforexporttoexcel", Integer)
        .column("fiscalcalendarstart", DateTime)
        .memo("blockedattachments", 1_073_741_823)
        .boolean("isauditenabled", NO_YES.0, NO_YES.1)
        .boolean("isduplicatedetectionenabled", NO_YES.0, NO_YES.1)
        .choice(
            "plugintracelogsetting",
            &[(0, "Off"), (1, "Exception"), (2, "All")],
        )
        .labels(&[
            ("name", "Organization Name"),
            ("basecurrencyid", "Currency"),
            ("languagecode", "Language"),
            ("maxuploadfilesize", "Max Upload File Size"),
            ("isauditenabled", "Is Auditing Enabled"),
            ("plugintracelogsetting", "Plug-in Trace Log Setting"),
        ])
}

/// Solution columns beyond the emulator's core set.
pub(crate) fn solution(spec: TableSpec) -> TableSpec {
    spec.choice(
        "solutiontype",
        &[(0, "None"), (1, "Snapshot"), (2, "Internal")],
    )
    .boolean("isapimanaged", NO_YES.0, NO_YES.1)
    .column("updatedon", DateTime)
    .read_only("updatedon")
    .text("solutionpackageversion", 256)
    .text("templatesuffix", 65)
    .memo("upgradeinfo", 1_073_741_823)
    .lookup("parentsolutionid", "solution", "solution_parent_solution")
    .labels(&[
        ("friendlyname", "Display Name"),
        ("uniquename", "Name"),
        ("installedon", "Installed On"),
        ("ismanaged", "Package Type"),
        ("isvisible", "Is Visible Outside Platform"),
        ("parentsolutionid", "Parent Solution"),
    ])
}

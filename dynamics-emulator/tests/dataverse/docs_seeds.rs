//! The rows each documented transcript (`tests/fixtures/dataverse-docs`) assumes, seeded with
//! the documentation's own IDs and values, and the server-assigned values (ETags, paging
//! cookies, MetadataIds) put into the transcript's request after seeding.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixture_seeds::{insert, seed_answer};
use crate::fixtures::Fixture;
use crate::support::Env;

const LITWARE: &str = "78914942-34cb-ed11-b596-0022481d68cd";
const ADVENTURE_WORKS: &str = "7a914942-34cb-ed11-b596-0022481d68cd";
const FABRIKAM: &str = "7c914942-34cb-ed11-b596-0022481d68cd";
const SUSANNA: &str = "70bf4d48-34cb-ed11-b596-0022481d68cd";
const NANCY: &str = "72bf4d48-34cb-ed11-b596-0022481d68cd";
/// The documentation's "System Administrator" user.
const ADMIN_USER: &str = "4026be43-6b69-e111-8f65-78e7d1620f5e";
const RAFEL: &str = "0928bcb4-bb27-ed11-9db1-002248274ada";
const CONTOSO: &str = "2728bcb4-bb27-ed11-9db1-002248274ada";
const FOURTH_COFFEE: &str = "2e28bcb4-bb27-ed11-9db1-002248274ada";
const SUSIE: &str = "2f28bcb4-bb27-ed11-9db1-002248274ada";
const ROLE: &str = "e359feba-bb27-ed11-9db1-002248274ada";
const CONTOSO_SAMPLE: &str = "7a4814f9-b0b8-ea11-a812-000d3a122b89";
const CONDITIONAL_ACCOUNT: &str = "14e151db-9b4f-e611-80e0-00155da84c08";
const ID_1: &str = "00000000-0000-0000-0000-000000000001";
const ID_2: &str = "00000000-0000-0000-0000-000000000002";
/// The root business unit of the emulated organisation.
const ROOT_BUSINESS_UNIT: &str = "c0a7e5a0-0000-4000-8000-000000000041";

/// Contacts Susanna and Nancy; accounts Litware (primary contact Susanna), Adventure Works
/// (Nancy) and Fabrikam, in primary-key order. With `parent`, Susanna's parent customer is
/// Litware.
async fn sample_accounts(env: &Env, parent: bool) -> Result<(), String> {
    let s = &env.emu.seed();
    insert(
        s,
        "contacts",
        vec![
            json!({"contactid": SUSANNA, "firstname": "Susanna", "lastname": "Stubberod (sample)"}),
            json!({"contactid": NANCY, "firstname": "Nancy", "lastname": "Anderson (sample)"}),
        ],
    )?;
    insert(
        s,
        "accounts",
        vec![
            json!({"accountid": LITWARE, "name": "Litware, Inc. (sample)", "revenue": 20000, "primarycontactid@odata.bind": format!("/contacts({SUSANNA})")}),
            json!({"accountid": ADVENTURE_WORKS, "name": "Adventure Works (sample)", "primarycontactid@odata.bind": format!("/contacts({NANCY})")}),
            json!({"accountid": FABRIKAM, "name": "Fabrikam, Inc. (sample)"}),
        ],
    )?;
    if parent {
        let answer = env
            .patch(
                &format!("contacts({SUSANNA})"),
                json!({"parentcustomerid_account@odata.bind": format!("/accounts({LITWARE})")}),
            )
            .await;
        if answer.status != 204 {
            return Err(format!("linking Susanna to Litware: {}", answer.text));
        }
    }
    Ok(())
}

/// Tasks with the given IDs regarding `regarding` (a `regardingobjectid_*_task` binding).
fn tasks(env: &Env, nav: &str, target: &str, ids: &[(&str, &str)]) -> Result<(), String> {
    let rows = ids
        .iter()
        .map(|(id, subject)| {
            json!({
                "activityid": id,
                "subject": subject,
                format!("{nav}@odata.bind"): target,
            })
        })
        .collect();
    insert(&env.emu.seed(), "tasks", rows)
}

fn rafel(jobtitle: &str, income: i64) -> Value {
    json!({"contactid": RAFEL, "firstname": "Rafel", "lastname": "Shillo", "jobtitle": jobtitle, "annualincome": income, "telephone1": "555-0105"})
}

/// The documentation's "System Administrator" user.
fn admin_user(env: &Env) -> Result<(), String> {
    insert(
        &env.emu.seed(),
        "systemusers",
        vec![json!({
            "systemuserid": ADMIN_USER,
            "fullname": "System Administrator",
            "firstname": "System",
            "lastname": "Administrator",
            "businessunitid@odata.bind": format!("/businessunits({ROOT_BUSINESS_UNIT})"),
        })],
    )
}

/// The ETag of a row, read through the Web API.
async fn etag(env: &Env, path: &str) -> Result<String, String> {
    env.get(path).await.body["@odata.etag"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no ETag for {path}"))
}

/// The conditional-operations sample's account; returns its first ETag and, after a change to
/// `telephone1`, its current one.
async fn conditional_account(env: &Env) -> Result<(String, String), String> {
    insert(
        &env.emu.seed(),
        "accounts",
        vec![json!({
            "accountid": CONDITIONAL_ACCOUNT,
            "name": "Contoso Ltd",
            "revenue": 5000000,
            "telephone1": "555-0000",
            "description": "Parent company of Contoso Pharmaceuticals, etc.",
        })],
    )?;
    let path = format!("accounts({CONDITIONAL_ACCOUNT})");
    let first = etag(env, &path).await?;
    let answer = env
        .send(
            Method::PUT,
            &format!("{path}/telephone1"),
            &[],
            Some(json!({"value": "555-0001"})),
        )
        .await;
    if answer.status != 204 {
        return Err(format!("changing telephone1: {}", answer.text));
    }
    let current = etag(env, &path).await?;
    Ok((first, current))
}

/// Seeds what the transcript needs and puts server-assigned values into its request.
pub(crate) async fn setup(env: &Env, fixture: &mut Fixture) -> Result<(), String> {
    let seeder = env.emu.seed();
    let s = &seeder;
    match fixture.name.as_str() {
        "basic-create-contact-204"
        | "basic-deep-insert-204"
        | "conditional-update-deleted-row-404"
        | "metadata-entity-filter-select-metadataid"
        | "metadata-picklist-attribute-by-name"
        | "metadata-entity-select" => Ok(()),
        "select-name-revenue-top1" | "select-formatted-values" => {
            seed_answer(s, "accounts", fixture)?;
            insert(
                s,
                "accounts",
                // After the documented row in primary-key order, so `$top=1` returns the latter.
                vec![
                    json!({"accountid": "ffffffff-0000-0000-0000-000000000001", "name": "Second account (sample)", "revenue": 1}),
                ],
            )
        }
        "select-lookup-owner-annotations" => {
            admin_user(env)?;
            insert(
                s,
                "teams",
                vec![json!({
                    "teamid": "39e0dbe4-131b-e111-ba7e-78e7d1620f5e",
                    "name": "Sample team",
                    "businessunitid@odata.bind": format!("/businessunits({ROOT_BUSINESS_UNIT})"),
                })],
            )?;
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": "1adef0b8-54d3-ed11-a7c7-000d3a993550", "name": "Adventure Works (sample)", "ownerid@odata.bind": "/teams(39e0dbe4-131b-e111-ba7e-78e7d1620f5e)"}),
                    json!({"accountid": LITWARE, "name": "Litware, Inc. (sample)", "ownerid@odata.bind": format!("/systemusers({ADMIN_USER})")}),
                ],
            )
        }
        "join-expand-limit-columns" => {
            sample_accounts(env, false).await?;
            tasks(
                env,
                "regardingobjectid_account_task",
                &format!("/accounts({LITWARE})"),
                &[("f68393c1-34cb-ed11-b597-000d3a993550", "Task 1 for Litware")],
            )
        }
        "join-expand-single-valued-createdby" | "join-expand-ref-single-valued" => {
            sample_accounts(env, false).await
        }
        "join-nested-expand-single-valued" => {
            sample_accounts(env, true).await?;
            tasks(
                env,
                "regardingobjectid_contact_task",
                &format!("/contacts({SUSANNA})"),
                &[
                    (
                        "e9a8c72c-dbcc-ed11-b597-000d3a993550",
                        "Task 1 for Susanna Stubberod",
                    ),
                    (
                        "c206f534-dbcc-ed11-b597-000d3a993550",
                        "Task 2 for Susanna Stubberod",
                    ),
                    (
                        "f206f534-dbcc-ed11-b597-000d3a993550",
                        "Task 3 for Susanna Stubberod",
                    ),
                ],
            )
        }
        "join-single-expand-collections" | "join-nested-expand-collections" => {
            sample_accounts(env, true).await?;
            tasks(
                env,
                "regardingobjectid_account_task",
                &format!("/accounts({LITWARE})"),
                &[
                    ("be9f6557-e2cc-ed11-b597-000d3a993550", "Task 1 for Litware"),
                    ("605dbd65-e2cc-ed11-b597-000d3a993550", "Task 2 for Litware"),
                    ("a718856c-e2cc-ed11-b597-000d3a993550", "Task 3 for Litware"),
                ],
            )
        }
        "filter-lookup-hierarchy-expand" => {
            admin_user(env)?;
            insert(
                s,
                "contacts",
                vec![
                    json!({"contactid": SUSANNA, "firstname": "Susanna", "lastname": "Stubberod (sample)", "_createdby_value": ADMIN_USER}),
                    json!({"contactid": NANCY, "firstname": "Nancy", "lastname": "Anderson (sample)"}),
                ],
            )?;
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": ADVENTURE_WORKS, "name": "Adventure Works (sample)", "primarycontactid@odata.bind": format!("/contacts({NANCY})")}),
                    json!({"accountid": LITWARE, "name": "Litware, Inc. (sample)", "primarycontactid@odata.bind": format!("/contacts({SUSANNA})")}),
                ],
            )
        }
        "paging-next-page" => paging_next_page(env, fixture).await,
        "count-total-record-count-annotations" => {
            let mut rows = vec![
                json!({"accountid": "655eaf89-f083-e511-80d3-00155d2a68d3", "name": "Fourth Coffee (sample)"}),
                json!({"accountid": "675eaf89-f083-e511-80d3-00155d2a68d3", "name": "Litware, Inc. (sample)"}),
                json!({"accountid": "695eaf89-f083-e511-80d3-00155d2a68d3", "name": "Adventure Works (sample)"}),
                json!({"name": "Not a sample account"}),
            ];
            rows.extend((0..7).map(|n| json!({ "name": format!("Account {n} (sample)") })));
            insert(s, "accounts", rows)
        }
        "aggregate-distinct-groupby" => insert(
            s,
            "accounts",
            vec![
                json!({"name": "A", "accountcategorycode": 1}),
                json!({"name": "B", "accountcategorycode": 2}),
                json!({"name": "C"}),
                json!({"name": "D", "statecode": 1, "statuscode": 2}),
            ],
        ),
        "basic-update-contact-204"
        | "basic-update-contact-three-columns-204"
        | "basic-put-single-property-204"
        | "basic-create-account-bind-204"
        | "basic-delete-contact-204" => {
            insert(s, "contacts", vec![rafel("Junior Developer", 80000)])
        }
        "basic-retrieve-contact-all-annotations" | "basic-get-single-property" => {
            let mut row = rafel("Junior Developer", 80000);
            row["description"] = Value::Null;
            insert(s, "contacts", vec![row])
        }
        "basic-retrieve-account-expand-contact" => {
            insert(s, "contacts", vec![rafel("Senior Developer", 95000)])?;
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": CONTOSO, "name": "Contoso Ltd", "telephone1": "555-5555", "primarycontactid@odata.bind": format!("/contacts({RAFEL})")}),
                ],
            )
        }
        "basic-retrieve-deep-inserted-account" | "basic-retrieve-contact-expand-tasks" => {
            insert(
                s,
                "contacts",
                vec![
                    json!({"contactid": SUSIE, "firstname": "Susie", "lastname": "Curtis", "jobtitle": "Coffee Master", "annualincome": 48000}),
                ],
            )?;
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": FOURTH_COFFEE, "name": "Fourth Coffee", "primarycontactid@odata.bind": format!("/contacts({SUSIE})")}),
                ],
            )?;
            let contact = format!("/contacts({SUSIE})");
            let rows = [
                (
                    "3028bcb4-bb27-ed11-9db1-002248274ada",
                    "Sign invoice",
                    "Invoice #12321",
                    "18",
                ),
                (
                    "3128bcb4-bb27-ed11-9db1-002248274ada",
                    "Setup new display",
                    "Theme is - Spring is in the air",
                    "19",
                ),
                (
                    "3228bcb4-bb27-ed11-9db1-002248274ada",
                    "Conduct training",
                    "Train team on making our new blended coffee",
                    "20",
                ),
            ]
            .iter()
            .map(|(id, subject, description, day)| {
                json!({
                    "activityid": id,
                    "subject": subject,
                    "description": description,
                    "scheduledstart": format!("2023-04-{day}T20:00:00Z"),
                    "scheduledend": format!("2023-04-{day}T21:00:00Z"),
                    "regardingobjectid_contact_task@odata.bind": contact,
                })
            })
            .collect();
            insert(s, "tasks", rows)
        }
        "basic-associate-contact-ref-post"
        | "basic-get-related-collection"
        | "basic-disassociate-contact-ref-delete" => {
            insert(
                s,
                "accounts",
                vec![json!({"accountid": FOURTH_COFFEE, "name": "Fourth Coffee"})],
            )?;
            let mut contact = rafel("Senior Developer", 95000);
            if fixture.name != "basic-associate-contact-ref-post" {
                contact["parentcustomerid_account@odata.bind"] =
                    json!(format!("/accounts({FOURTH_COFFEE})"));
            }
            insert(s, "contacts", vec![contact])
        }
        "basic-create-role-204" => insert(
            s,
            "businessunits",
            vec![json!({
                "businessunitid": "38e0dbe4-131b-e111-ba7e-78e7d1620f5e",
                "name": "Sample business unit",
                "parentbusinessunitid@odata.bind": format!("/businessunits({ROOT_BUSINESS_UNIT})"),
            })],
        ),
        "basic-associate-role-ref-post"
        | "basic-get-user-roles-filtered"
        | "basic-disassociate-role-ref-delete" => {
            admin_user(env)?;
            insert(
                s,
                "roles",
                vec![json!({
                    "roleid": ROLE,
                    "name": "Example Security Role",
                    "businessunitid@odata.bind": format!("/businessunits({ROOT_BUSINESS_UNIT})"),
                })],
            )?;
            if fixture.name != "basic-associate-role-ref-post" {
                let origin = env.emu.web_api_url();
                let answer = env
                    .post(
                        &format!("systemusers({ADMIN_USER})/systemuserroles_association/$ref"),
                        json!({"@odata.id": format!("{origin}roles({ROLE})")}),
                    )
                    .await;
                if answer.status != 204 {
                    return Err(format!("associating the role: {}", answer.text));
                }
            }
            Ok(())
        }
        "conditional-get-changed-200" => {
            let (first, _) = conditional_account(env).await?;
            fixture.request.set_header("If-None-Match", &first);
            fixture.notes.push(
                "request: If-None-Match carries the row's first ETag (the row changed since)"
                    .into(),
            );
            Ok(())
        }
        "conditional-update-stale-etag-412" => {
            let (first, _) = conditional_account(env).await?;
            fixture.request.set_header("If-Match", &first);
            fixture.notes.push(
                "request: If-Match carries the row's first ETag (the row changed since)".into(),
            );
            Ok(())
        }
        "conditional-update-current-etag-204" => {
            let (_, current) = conditional_account(env).await?;
            fixture.request.set_header("If-Match", &current);
            fixture
                .notes
                .push("request: If-Match carries the row's current ETag".into());
            Ok(())
        }
        "conditional-put-single-property-204" | "conditional-update-if-match-any-204" => {
            conditional_account(env).await.map(|_| ())
        }
        "update-single-property-put-204" | "delete-single-property-204" => insert(
            s,
            "accounts",
            vec![
                json!({"accountid": ID_1, "name": "Sample Account", "description": "This is the description of the sample account"}),
            ],
        ),
        "associate-single-valued-ref-put"
        | "disassociate-collection-ref-by-key-delete"
        | "disassociate-single-valued-ref-delete" => {
            insert(
                s,
                "accounts",
                vec![json!({"accountid": ID_2, "name": "Fourth Coffee"})],
            )?;
            let mut opportunity = json!({"opportunityid": ID_1, "name": "Opportunity"});
            if fixture.name != "associate-single-valued-ref-put" {
                opportunity["customerid_account@odata.bind"] = json!(format!("/accounts({ID_2})"));
            }
            insert(s, "opportunities", vec![opportunity])
        }
        "metadata-attributes-filter-select-metadataid" => {
            let id = env
                .get("EntityDefinitions(LogicalName='account')?$select=MetadataId")
                .await
                .body["MetadataId"]
                .as_str()
                .ok_or("no MetadataId for account")?
                .to_owned();
            fixture.request.url = fixture
                .request
                .url
                .replace("70816501-edb9-4740-a16c-6a5efbc05d84", &id);
            fixture.notes.push(
                "request: the account entity's MetadataId is the emulator's (server-assigned)"
                    .into(),
            );
            Ok(())
        }
        "related-expand-single-valued" => seed_answer(s, "accounts", fixture),
        "related-expand-ref-single-valued" => {
            insert(
                s,
                "contacts",
                vec![
                    json!({"contactid": "9cdbf27c-8efb-e511-80d2-00155db07c77", "firstname": "Yvonne", "lastname": "McKay (sample)"}),
                    json!({"contactid": "9edbf27c-8efb-e511-80d2-00155db07c77", "firstname": "Susanna", "lastname": "Stubberod (sample)"}),
                ],
            )?;
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": "36dbf27c-8efb-e511-80d2-00155db07c77", "name": "Fourth Coffee (sample)", "primarycontactid@odata.bind": "/contacts(9cdbf27c-8efb-e511-80d2-00155db07c77)"}),
                    json!({"accountid": "38dbf27c-8efb-e511-80d2-00155db07c77", "name": "Litware, Inc. (sample)", "primarycontactid@odata.bind": "/contacts(9edbf27c-8efb-e511-80d2-00155db07c77)"}),
                ],
            )
        }
        "related-multi-level-expand" => {
            admin_user(env)?;
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": CONTOSO_SAMPLE, "name": "Contoso, Ltd. (sample)", "_createdby_value": ADMIN_USER}),
                ],
            )?;
            insert(
                s,
                "contacts",
                vec![json!({
                    "contactid": "824814f9-b0b8-ea11-a812-000d3a122b89",
                    "firstname": "Susanna",
                    "lastname": "Stubberod (sample)",
                    "parentcustomerid_account@odata.bind": format!("/accounts({CONTOSO_SAMPLE})"),
                })],
            )?;
            tasks(
                env,
                "regardingobjectid_contact_task",
                "/contacts(824814f9-b0b8-ea11-a812-000d3a122b89)",
                &[
                    (
                        "834814f9-b0b8-ea11-a812-000d3a122b89",
                        "Task 1 for Susanna Stubberod",
                    ),
                    (
                        "844814f9-b0b8-ea11-a812-000d3a122b89",
                        "Task 2 for Susanna Stubberod",
                    ),
                ],
            )
        }
        "related-expand-collection-top2" | "related-expand-single-and-collection-top2" => {
            insert(
                s,
                "contacts",
                vec![
                    json!({"contactid": "7e4814f9-b0b8-ea11-a812-000d3a122b89", "firstname": "Yvonne", "lastname": "McKay (sample)"}),
                    json!({"contactid": "384d0f84-7de6-ea11-a817-000d3a122b89", "firstname": "Charlie", "lastname": "Brown"}),
                ],
            )?;
            insert(
                s,
                "accounts",
                vec![
                    json!({"accountid": CONTOSO_SAMPLE, "name": "Contoso, Ltd. (sample)", "primarycontactid@odata.bind": "/contacts(7e4814f9-b0b8-ea11-a812-000d3a122b89)"}),
                    json!({"accountid": "ccd685f9-cddd-ea11-a813-000d3a122b89", "name": "Fourth Coffee", "primarycontactid@odata.bind": "/contacts(384d0f84-7de6-ea11-a817-000d3a122b89)"}),
                    json!({"accountid": "edd685f9-cddd-ea11-a813-000d3a122b89", "name": "Beyond the top 2"}),
                ],
            )?;
            tasks(
                env,
                "regardingobjectid_account_task",
                &format!("/accounts({CONTOSO_SAMPLE})"),
                &[
                    (
                        "7b4814f9-b0b8-ea11-a812-000d3a122b89",
                        "Task 1 for Contoso, Ltd.",
                    ),
                    (
                        "7c4814f9-b0b8-ea11-a812-000d3a122b89",
                        "Task 2 for Contoso, Ltd.",
                    ),
                    (
                        "7d4814f9-b0b8-ea11-a812-000d3a122b89",
                        "Task 3 for Contoso, Ltd.",
                    ),
                ],
            )
        }
        other => Err(format!("no setup for transcript {other}")),
    }
}

/// Seeds five contacts, reads the first page of two, and requests the second page with the
/// emulator's own `@odata.nextLink` (paging cookies are server-assigned).
async fn paging_next_page(env: &Env, fixture: &mut Fixture) -> Result<(), String> {
    let people = [
        ("49b0be2e-d01c-ed11-b83e-000d3a572421", "Yvonne", "McKay"),
        (SUSANNA, "Susanna", "Stubberod"),
        (NANCY, "Nancy", "Anderson"),
        ("74bf4d48-34cb-ed11-b596-0022481d68cd", "Maria", "Campbell"),
        ("76bf4d48-34cb-ed11-b596-0022481d68cd", "Rene", "Valdes"),
    ];
    let rows = people
        .iter()
        .map(|(id, first, last)| {
            json!({"contactid": id, "firstname": first, "lastname": format!("{last} (sample)")})
        })
        .collect();
    insert(&env.emu.seed(), "contacts", rows)?;
    let first = env
        .send(
            Method::GET,
            "contacts?$select=fullname",
            &[("Prefer", "odata.maxpagesize=2")],
            None,
        )
        .await;
    let next = first.body["@odata.nextLink"]
        .as_str()
        .ok_or("the first page has no @odata.nextLink")?;
    fixture.request.url = next.to_owned();
    fixture.notes.push("request: the URL is the emulator's @odata.nextLink of the first page (paging cookies are server-assigned)".into());
    Ok(())
}

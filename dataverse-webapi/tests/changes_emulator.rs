//! Change tracking against the workspace's emulator: a custom table gets change tracking
//! through `PUT EntityDefinitions`, a sync process mirrors it, another user's creates, updates
//! and deletes arrive as `Changed`/`Deleted`, and a definition change expires the delta link
//! (`ChangeTokenExpired`) so a full resync with reconciliation reports the delete it hid.

use std::collections::HashMap;
use std::sync::Arc;

use dataverse_webapi::changes::{Change, ChangePage, DeleteReason};
use dataverse_webapi::{ClientOptions, DataverseClient, Record, RequestOptions};
use dynamics_auth::{
    Authority, ClientSecretCredential, CredentialOptions, UsernamePasswordCredential, scopes,
};
use dynamics_emulator::Emulator;
use dynamics_http::Method;
use futures::{Stream, TryStreamExt};
use serde_json::{Value, json};
use uuid::Uuid;

const SET: &str = "new_widgets";
const ID: &str = "new_widgetid";

struct Setup {
    _emu: Emulator,
    /// The sync process: the seeded confidential app.
    sync: DataverseClient,
    /// Another user making changes.
    user: DataverseClient,
}

async fn start() -> Setup {
    let emu = Emulator::start().await.expect("emulator starts");
    let d = emu.defaults();
    let base = emu.base_url().as_str().trim_end_matches('/').to_owned();
    let authority = || Authority::with_host(&base, &d.tenant_id.to_string()).expect("authority");
    let app = ClientSecretCredential::new(
        authority(),
        d.client_id,
        d.client_secret.clone(),
        CredentialOptions::default(),
    )
    .expect("app credential");
    let sync =
        DataverseClient::new(&base, Arc::new(app), ClientOptions::default()).expect("sync client");
    let person = UsernamePasswordCredential::new(
        authority(),
        d.public_client_id,
        &d.user.upn,
        d.user.password.clone(),
        CredentialOptions::default(),
    )
    .expect("user credential");
    let user = DataverseClient::new(
        &base,
        Arc::new(person),
        ClientOptions {
            scope: Some(scopes::dataverse_user_impersonation(&base).expect("scope")),
            ..Default::default()
        },
    )
    .expect("user client");
    Setup {
        _emu: emu,
        sync,
        user,
    }
}

fn label(text: &str) -> Value {
    json!({"LocalizedLabels": [{"Label": text, "LanguageCode": 1033}]})
}

fn widget_definition(description: &str, tracked: bool) -> Value {
    json!({
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
        "SchemaName": "new_Widget",
        "DisplayName": label("Widget"),
        "DisplayCollectionName": label("Widgets"),
        "Description": label(description),
        "OwnershipType": "UserOwned",
        "IsActivity": false,
        "HasActivities": false,
        "HasNotes": false,
        "ChangeTrackingEnabled": tracked,
        "Attributes": [{
            "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
            "AttributeType": "String",
            "SchemaName": "new_Name",
            "RequiredLevel": {"Value": "None"},
            "MaxLength": 100,
            "FormatName": {"Value": "Text"},
            "DisplayName": label("Name"),
            "IsPrimaryName": true,
        }],
    })
}

async fn send_definition(client: &DataverseClient, method: Method, path: &str, body: &Value) {
    let url = client.url(path).expect("url");
    let request = client
        .request(method, url, &RequestOptions::default())
        .header("MSCRM.MergeLabels", "true")
        .json(body)
        .expect("json");
    client.send(request).await.expect("definition accepted");
}

/// Creates `new_widget` and turns change tracking on (PUT with the full definition, as the
/// docs require for table definitions).
async fn create_tracked_table(client: &DataverseClient) {
    let definition = widget_definition("Things we track", false);
    send_definition(client, Method::Post, "EntityDefinitions", &definition).await;
    let tracked = widget_definition("Things we track", true);
    let path = "EntityDefinitions(LogicalName='new_widget')";
    send_definition(client, Method::Put, path, &tracked).await;
}

async fn create_widget(user: &DataverseClient, name: &str) -> Uuid {
    let row = Record::new().with("new_name", name);
    user.table(SET).create(&row).await.expect("created")
}

/// Applies pages to the mirror; answers the last delta link and the reconciled ids.
async fn apply(
    mirror: &mut HashMap<Uuid, String>,
    pages: impl Stream<Item = dataverse_webapi::Result<ChangePage>>,
) -> dataverse_webapi::Result<(String, Vec<Uuid>)> {
    let mut pages = std::pin::pin!(pages);
    let mut delta = None;
    let mut reconciled = Vec::new();
    while let Some(page) = pages.try_next().await? {
        for change in page.changes {
            match change {
                Change::Changed(row) => {
                    let id = row.get_guid(ID).expect("changed rows carry their id");
                    let name = row.get_str("new_name").unwrap_or_default().to_string();
                    mirror.insert(id, name);
                }
                Change::Deleted { id, reason } => {
                    if reason == DeleteReason::Reconciled {
                        reconciled.push(id);
                    }
                    mirror.remove(&id);
                }
                _ => {}
            }
        }
        if page.delta_link.is_some() {
            delta = page.delta_link;
        }
    }
    Ok((
        delta.expect("the last page carries the delta link"),
        reconciled,
    ))
}

async fn server_rows(client: &DataverseClient) -> HashMap<Uuid, String> {
    let rows: Vec<Record> = client
        .table(SET)
        .query()
        .select([ID, "new_name"])
        .await
        .expect("rows");
    rows.into_iter()
        .map(|r| {
            let id = r.get_guid(ID).expect("id");
            (id, r.get_str("new_name").unwrap_or_default().to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_follows_changes_and_recovers_from_an_expired_token() {
    let Setup { _emu, sync, user } = start().await;
    let expiry = sync.change_tracking_expiry().await.expect("expiry");
    assert_eq!(
        expiry,
        Some(7),
        "the emulator's default, as the current docs say"
    );
    assert!(
        !dataverse_webapi::changes::warn_if_poll_interval_near_expiry(
            std::time::Duration::from_secs(300),
            expiry.unwrap_or_default()
        )
    );
    create_tracked_table(&sync).await;
    let first = create_widget(&user, "First").await;
    let second = create_widget(&user, "Second").await;
    let third = create_widget(&user, "Third").await;

    // Initial sync, two rows a page.
    let mut mirror = HashMap::new();
    let changes = || {
        sync.table(SET)
            .changes()
            .select(["new_name"])
            .max_page_size(2)
    };
    let (link, _) = apply(&mut mirror, changes().pages())
        .await
        .expect("initial sync");
    assert_eq!(mirror, server_rows(&sync).await);
    assert_eq!(mirror.len(), 3);

    // Another user creates, updates and deletes.
    let fourth = create_widget(&user, "Fourth").await;
    user.table(SET)
        .update(first, &Record::new().with("new_name", "First, renamed"))
        .await
        .expect("updated");
    user.table(SET).delete(second).await.expect("deleted");
    assert_eq!(
        sync.table(SET)
            .changes()
            .from_link(link.clone())
            .count()
            .await
            .expect("count"),
        3
    );
    let delta: Vec<Change> = changes()
        .from_link(link.clone())
        .stream()
        .try_collect()
        .await
        .expect("delta");
    assert_eq!(delta.len(), 3, "{delta:?}");
    assert_eq!(
        delta[2],
        Change::Deleted {
            id: second,
            reason: DeleteReason::Deleted
        }
    );
    let (link, _) = apply(&mut mirror, changes().from_link(link).pages())
        .await
        .expect("delta sync");
    assert_eq!(mirror, server_rows(&sync).await);
    assert!(mirror.contains_key(&fourth) && mirror[&first] == "First, renamed");

    // The table's definition changes, and a delete happens behind it.
    let path = "EntityDefinitions(LogicalName='new_widget')";
    send_definition(
        &sync,
        Method::Put,
        path,
        &widget_definition("Renamed purpose", true),
    )
    .await;
    user.table(SET).delete(third).await.expect("deleted");
    let expired = apply(&mut mirror, changes().from_link(link).pages())
        .await
        .expect_err("the token predates the definition change");
    assert!(expired.is_change_token_expired(), "{expired:?}");
    assert_eq!(expired.code(), Some("0x80044352"));

    // Full resync: the delete the expired token hid is reconciled.
    let known: Vec<Uuid> = mirror.keys().copied().collect();
    let (fresh, reconciled) = apply(&mut mirror, changes().full_resync_with_deletes(ID, known))
        .await
        .expect("resync");
    assert_eq!(reconciled, vec![third]);
    assert_eq!(mirror, server_rows(&sync).await);
    // The new link works.
    let after: Vec<Change> = changes()
        .from_link(fresh)
        .stream()
        .try_collect()
        .await
        .expect("delta");
    assert!(after.is_empty(), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_older_than_the_org_expiry_is_expired() {
    let Setup {
        _emu: emu, sync, ..
    } = start().await;
    let pages: Vec<ChangePage> = sync
        .table("accounts")
        .changes()
        .select(["name"])
        .pages()
        .try_collect()
        .await
        .expect("initial sync");
    let link = pages
        .last()
        .and_then(|p| p.delta_link.clone())
        .expect("delta link");
    emu.advance_clock(std::time::Duration::from_secs(8 * 86_400));
    let error = sync
        .table("accounts")
        .changes()
        .from_link(link)
        .pages()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("expired by age");
    assert!(error.is_change_token_expired(), "{error:?}");
}

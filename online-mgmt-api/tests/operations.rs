//! Every operation family against wiremock: the request sent and the answer read.

mod common;

use std::collections::BTreeMap;

use dynamics_auth::Secret;
use online_mgmt_api::{
    ApiVersion, ConfigureInstanceSettings, GenerateKeyData, ImportKeyData,
    InstanceAdminModeSettings, InstanceRestorePoint, InstanceState, InstanceType, KeyMaterial,
    KeyState, NewInstance, NewInstanceBackup, NotificationQuery, OperationQuery, OperationState,
    ResetRequest, UserNotification,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use common::*;

#[tokio::test]
async fn application_identities() {
    let t = oma(ApiVersion::V1_2).await;
    let base = "/api/v1.2/TenantApplicationIdentities";
    Mock::given(method("GET"))
        .and(path(base))
        .and(header("authorization", format!("Bearer {TOKEN}")))
        .and(header("accept", "application/json"))
        .respond_with(json("identities-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{base}/{IDENTITY}")))
        .respond_with(json_status(200, "identity-created-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(base))
        .and(body_json(
            json!({"AadApplicationId": NEW_APP, "TenantId": TENANT, "Enabled": true}),
        ))
        .respond_with(json_status(201, "identity-created-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{base}/{IDENTITY}")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&t.server)
        .await;
    for action in ["Enable", "Disable"] {
        Mock::given(method("POST"))
            .and(path(format!("{base}/{IDENTITY}/{action}")))
            .and(header("content-length", "0"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&t.server)
            .await;
    }

    let list = t.client.list_application_identities().await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].aad_application_id, uuid(APP));
    assert_eq!(list[0].id, Some(uuid(IDENTITY)));
    assert_eq!(list[0].enabled, Some(true));
    assert_eq!(list[0].created_on.as_deref(), Some("2024-05-01T10:00:00Z"));

    let one = t
        .client
        .get_application_identity(uuid(IDENTITY))
        .await
        .expect("get");
    assert_eq!(one.aad_application_id, uuid(NEW_APP));
    let created = t
        .client
        .create_application_identity(uuid(NEW_APP), uuid(TENANT))
        .await
        .expect("create");
    assert_eq!(created.tenant_id, Some(uuid(TENANT)));
    t.client
        .delete_application_identity(uuid(IDENTITY))
        .await
        .expect("delete");
    t.client
        .enable_application_identity(uuid(IDENTITY))
        .await
        .expect("enable");
    t.client
        .disable_application_identity(uuid(IDENTITY))
        .await
        .expect("disable");
}

#[tokio::test]
async fn instances_in_both_casings_and_enum_forms() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Instances"))
        .respond_with(json("instances-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let list = t.client.list_instances().await.expect("list");
    assert_eq!(list.len(), 2);
    let a = &list[0];
    assert_eq!(a.id, uuid(INSTANCE));
    assert_eq!(a.state, Some(InstanceState::Ready));
    assert_eq!(a.r#type, Some(InstanceType::Sandbox));
    assert_eq!(
        a.application_url.as_deref(),
        Some("https://contoso.crm4.dynamics.com/")
    );
    assert_eq!(
        a.security_group_id, None,
        "an empty GUID string reads as none"
    );
    assert_eq!(
        a.additional_properties.get("Geo").map(String::as_str),
        Some("EUR")
    );
    assert_eq!(
        a.additional_properties.get("Capacity").map(String::as_str),
        Some("3"),
        "a number where the schema says string is kept as text"
    );
    let b = &list[1];
    assert_eq!(b.state, Some(InstanceState::Unknown("Hibernating".into())));
    assert_eq!(b.r#type, Some(InstanceType::Developer));
    assert_eq!(b.application_url, None);
    assert!(
        b.extra.contains_key("SomethingNew"),
        "unknown fields are kept"
    );

    let t = oma(ApiVersion::V1).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/Instances/{INSTANCE}")))
        .respond_with(json("instance-camel-v1.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let one = t.client.get_instance(uuid(INSTANCE)).await.expect("get");
    assert_eq!(one.state, Some(InstanceState::Ready), "v1 integer 1");
    assert_eq!(one.r#type, Some(InstanceType::Sandbox), "v1 integer 2");
    assert_eq!(one.domain_name.as_deref(), Some("contoso"));
    assert_eq!(one.base_language, Some(1033));
}

#[tokio::test]
async fn provisioning_starts_an_operation_in_v1_and_v1_2() {
    for (version, prefix, fixture_202, fixture_200) in [
        (
            ApiVersion::V1,
            "/api/v1",
            "provision-202-v1.json",
            "provision-200-v1.json",
        ),
        (
            ApiVersion::V1_2,
            "/api/v1.2",
            "provision-202-v1.2.json",
            "provision-200-v1.2.json",
        ),
    ] {
        let t = oma(version).await;
        Mock::given(method("PUT"))
            .and(path(format!("{prefix}/Instances/Provision")))
            .and(query_param("validate", "true"))
            .respond_with(json(fixture_200))
            .expect(1)
            .mount(&t.server)
            .await;
        Mock::given(method("PUT"))
            .and(path(format!("{prefix}/Instances/Provision")))
            .respond_with(json_status(202, fixture_202).insert_header("Retry-After", "30"))
            .expect(1)
            .mount(&t.server)
            .await;
        let new = NewInstance {
            base_language: Some(1033),
            ..NewInstance::new(
                uuid("9d4c1a2b-0000-4000-8000-000000000009"),
                InstanceType::Sandbox,
                "Contoso Test",
                "contoso",
                "admin@contoso.onmicrosoft.com",
            )
        };
        let validated = t
            .client
            .validate_provision_instance(&new)
            .await
            .expect("valid");
        assert_eq!(validated.status, OperationState::Succeeded);
        let poller = t.client.provision_instance(&new).await.expect("started");
        assert_eq!(
            poller.operation_id(),
            uuid("accac4b5-2478-4fc7-b8b0-6b979e837bb1")
        );
        assert_eq!(poller.last_status().status, OperationState::NotStarted);
        assert_eq!(
            poller.last_status().instance_id(),
            Some(uuid("e2a9c8b3-2ead-4a83-b8ad-d1587b6415de"))
        );
        assert_eq!(
            poller.last_status().instance_state(),
            Some(InstanceState::Pending)
        );
        assert_eq!(
            poller.retry_after(),
            Some(std::time::Duration::from_secs(30))
        );
        // The validation request carried validate=true; the real one did not.
        let received = t.server.received_requests().await.expect("recorded");
        assert_eq!(received[0].url.query(), Some("validate=true"));
        assert_eq!(received[1].url.query(), None);
    }
}

#[tokio::test]
async fn delete_reset_restore_admin_mode_and_configure() {
    let t = oma(ApiVersion::V1_2).await;
    let started = || json_status(202, "backup-started-v1.2.json");
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1.2/Instances/{INSTANCE}/Delete")))
        .respond_with(started())
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1.2/Instances/{INSTANCE}/Reset")))
        .and(body_json(
            json!({"FriendlyName": "Reset", "BaseLanguageCode": 1033}),
        ))
        .respond_with(started())
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1.2/Instances/{INSTANCE}/Restore")))
        .and(body_json(
            json!({"SourceInstanceId": INSTANCE, "Label": "nightly"}),
        ))
        .respond_with(started())
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v1.2/Instances/{INSTANCE}/UpdateAdminMode"
        )))
        .and(body_json(
            json!({"AdminMode": true, "NotificationText": "maintenance"}),
        ))
        .respond_with(json("provision-200-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v1.2/Instances/{INSTANCE}/ConfigureInstance"
        )))
        .and(body_json(
            json!({"Purpose": "UAT", "AdditionalProperties": {"a": "b"}}),
        ))
        .respond_with(json("provision-200-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;

    let id = uuid(INSTANCE);
    let p = t.client.delete_instance(id).await.expect("delete");
    assert_eq!(p.last_status().status, OperationState::Pending);
    let reset = ResetRequest {
        friendly_name: Some("Reset".into()),
        base_language_code: Some(1033),
        ..Default::default()
    };
    t.client.reset_instance(id, &reset).await.expect("reset");
    let restore = InstanceRestorePoint {
        source_instance_id: id,
        label: Some("nightly".into()),
        ..Default::default()
    };
    t.client
        .restore_instance(id, &restore)
        .await
        .expect("restore");
    let mode = InstanceAdminModeSettings {
        admin_mode: Some(true),
        notification_text: Some("maintenance".into()),
        ..Default::default()
    };
    let s = t
        .client
        .update_admin_mode(id, &mode)
        .await
        .expect("admin mode");
    assert!(s.is_success());
    let settings = ConfigureInstanceSettings {
        purpose: Some("UAT".into()),
        additional_properties: BTreeMap::from([("a".into(), "b".into())]),
    };
    t.client
        .configure_instance(id, &settings)
        .await
        .expect("configure");
}

#[tokio::test]
async fn backups_and_operation_status() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/InstanceBackups"))
        .and(query_param("instanceId", INSTANCE))
        .respond_with(json("backups-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let backup_id = "c0ffee00-0000-4000-8000-000000000001";
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v1.2/InstanceBackups/{INSTANCE}/{backup_id}"
        )))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::from_str::<serde_json::Value>(&fixture("backups-v1.2.json"))
                    .expect("json")[0]
                    .clone(),
            ),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1.2/InstanceBackups"))
        .and(body_json(
            json!({"InstanceId": INSTANCE, "Label": "nightly"}),
        ))
        .respond_with(json_status(202, "backup-started-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1.2/Operation/{OPERATION}")))
        .respond_with(json("operation-running-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Operation"))
        .and(query_param("query.operationProvider", "Backup"))
        .and(query_param("query.instanceId", INSTANCE))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;

    let backups = t.client.list_backups(uuid(INSTANCE)).await.expect("list");
    assert_eq!(backups[0].label.as_deref(), Some("nightly"));
    assert_eq!(backups[0].azure_storage_information, None);
    let one = t
        .client
        .get_backup(uuid(INSTANCE), uuid(backup_id))
        .await
        .expect("get");
    assert_eq!(one.id, Some(uuid(backup_id)));
    let p = t
        .client
        .create_backup(&NewInstanceBackup::new(uuid(INSTANCE), "nightly"))
        .await
        .expect("backup");
    assert_eq!(
        p.operation_id(),
        uuid("c0ffee00-0000-4000-8000-0000000000aa")
    );
    let s = t
        .client
        .operation_status(uuid(OPERATION))
        .await
        .expect("status");
    assert_eq!(s.status, OperationState::Running);
    assert_eq!(
        s.information[0].description.as_deref(),
        Some("Syncing the user.")
    );
    let q = OperationQuery {
        operation_provider: Some("Backup".into()),
        instance_id: Some(uuid(INSTANCE)),
    };
    let s = t
        .client
        .operation_status_by_query(&q)
        .await
        .expect("by query");
    assert!(s.is_success());
}

#[tokio::test]
async fn the_catalog() {
    let t = oma(ApiVersion::V1_2).await;
    let release = "9d4c1a2b-0000-4000-8000-000000000009";
    for (p, f) in [
        ("/api/v1.2/ServiceVersions", "service-versions-v1.2.json"),
        ("/api/v1.2/Currencies", "currencies-v1.2.json"),
        ("/api/v1.2/Templates", "templates-v1.2.json"),
        ("/api/v1.2/InstanceTypeInfo", "instance-types-v1.2.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(json(f))
            .expect(1)
            .mount(&t.server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Languages"))
        .and(query_param("releaseId", release))
        .respond_with(json("languages-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/InstanceTypeInfo/Sandbox"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"type": "Sandbox", "total": 5, "consumed": 3})),
        )
        .expect(1)
        .mount(&t.server)
        .await;

    let versions = t.client.service_versions().await.expect("versions");
    assert_eq!(versions[0].id, Some(uuid(release)));
    assert_eq!(versions[0].lcid, Some(1033));
    let currencies = t.client.currencies().await.expect("currencies");
    assert_eq!(currencies[0].currencies[0].code.as_deref(), Some("EUR"));
    let templates = t.client.templates().await.expect("templates");
    assert_eq!(
        templates[0].supported_releases[0].types,
        vec![InstanceType::Production, InstanceType::Sandbox]
    );
    let types = t.client.instance_types().await.expect("types");
    assert_eq!(types[1].r#type, Some(InstanceType::Sandbox), "integer form");
    let languages = t.client.languages(uuid(release)).await.expect("languages");
    assert_eq!(languages[1].localized_name.as_deref(), Some("Deutsch"));
    let one = t
        .client
        .instance_type(&InstanceType::Sandbox)
        .await
        .expect("type");
    assert_eq!(one.consumed, Some(3));

    let t = oma(ApiVersion::V1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Templates"))
        .respond_with(json("templates-v1.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let templates = t.client.templates().await.expect("v1 templates");
    assert_eq!(templates[0].supported_service_versions, vec![uuid(release)]);
}

#[tokio::test]
async fn tenant_protection_keys() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Keys"))
        .respond_with(json("keys-200-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Keys/RetrieveTenantKey"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1.2/Keys/Import"))
        .and(body_json(
            json!({"KeyName": "k1", "KeyPassword": "p4ss", "Key": "AQID"}),
        ))
        .respond_with(json("import-key-200-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1.2/Keys/Generate"))
        .respond_with(json("generate-key-200-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1.2/Keys/my%20key/SetTenantProtectionKey"))
        .respond_with(json_status(202, "backup-started-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;

    let keys = t.client.list_tenant_protection_keys().await.expect("keys");
    assert_eq!(keys[0].key_state, Some(KeyState::Active), "integer 3");
    assert_eq!(keys[0].locked_on, None);
    let err = t
        .client
        .get_tenant_protection_key()
        .await
        .expect_err("none");
    assert!(err.is_not_found());
    assert!(err.to_string().contains("no protection key"), "{err}");
    let import = ImportKeyData {
        key_name: Some("k1".into()),
        key_password: Some(Secret::new("p4ss")),
        key: KeyMaterial::new(vec![1, 2, 3]),
        ..Default::default()
    };
    assert!(
        !format!("{import:?}").contains("p4ss"),
        "the password never shows"
    );
    t.client
        .import_tenant_protection_key(&import)
        .await
        .expect("import");
    let generated = t
        .client
        .generate_tenant_protection_key(&GenerateKeyData::default())
        .await
        .expect("generate");
    assert_eq!(generated.bytes(), b"ByteArrayContentExample");
    assert!(!format!("{generated:?}").contains("Example"));
    t.client
        .set_tenant_protection_key("my key")
        .await
        .expect("set");
}

#[tokio::test]
async fn notifications() {
    let t = oma(ApiVersion::V1_2).await;
    let env2 = "e2a9c8b3-2ead-4a83-b8ad-d1587b641500";
    Mock::given(method("GET"))
        .and(path(format!("/api/v1.2/Notifications/{TENANT}/{USER}")))
        .respond_with(json("notifications-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1.2/Notifications"))
        .and(body_json(json!({"TenantId": TENANT, "Priority": "High"})))
        .respond_with(json_status(202, "backup-started-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let list = t
        .client
        .list_notifications(&NotificationQuery {
            tenant_id: uuid(TENANT),
            user_object_id: uuid(USER),
            environments: vec![uuid(INSTANCE), uuid(env2)],
        })
        .await
        .expect("list");
    assert_eq!(
        list[0]
            .content
            .as_ref()
            .and_then(|c| c.slugs.get("date"))
            .map(String::as_str),
        Some("2024-06-01")
    );
    let received = t.server.received_requests().await.expect("recorded");
    assert_eq!(
        received[0].url.query(),
        Some(format!("environments={INSTANCE}&environments={env2}").as_str())
    );
    let post = UserNotification {
        tenant_id: Some(uuid(TENANT)),
        priority: Some(online_mgmt_api::NotificationPriority::High),
        ..Default::default()
    };
    t.client.post_notification(&post).await.expect("post");
}

#[tokio::test]
async fn accept_language_is_sent_when_configured() {
    let server = wiremock::MockServer::start().await;
    let clock = dynamics_auth::ManualClock::starting_now();
    let client = online_mgmt_api::OnlineManagementClient::with_resource(
        endpoint(&server),
        credential(),
        RESOURCE,
        online_mgmt_api::ClientOptions {
            accept_language: Some("de-DE".into()),
            pipeline: pipeline(&clock),
            ..Default::default()
        },
    )
    .expect("client");
    Mock::given(method("GET"))
        .and(path("/api/v1.2/Currencies"))
        .and(header("accept-language", "de-DE"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    assert!(client.currencies().await.expect("ok").is_empty());
}

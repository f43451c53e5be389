//! The contract test: every request builder, for both API versions, checked against
//! Microsoft's published Swagger specs (`reference/specs/` in the repository): path template, method, path and
//! query parameters, headers, and the JSON body against the operation's body schema. Then
//! the reverse: every operation of each spec is built by some builder.
//!
//! The Power Platform admin API has no published spec; its builders (`BapRequests`) are
//! unit-tested against the shapes in REFERENCE.md instead.
//!
//! The schema check is a small validator for the Swagger 2.0 subset the two specs use
//! (`$ref`, `type`, `required`, `properties`, `additionalProperties`, `items`, `enum`,
//! `format` uuid/date-time/byte/int32, `minLength`/`maxLength`, `minimum`/`maximum`). It is
//! stricter than Swagger where that catches our bugs: a property the schema does not
//! declare is an error (a misspelt field name would otherwise pass), and `null` is refused
//! in request bodies.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use dynamics_auth::Secret;
use dynamics_http::HttpRequest;
use online_mgmt_api::{
    AdminError, ApiVersion, ConfigureInstanceSettings, Currency, CurrencyRegion,
    EnvironmentMetadata, GenerateKeyData, ImportKeyData, Instance, InstanceAdminModeSettings,
    InstanceBackup, InstanceRestorePoint, InstanceState, InstanceType, InstanceTypeInfo,
    ItemDescription, KeyMaterial, KeyState, Language, NewInstance, NewInstanceBackup,
    NotificationContent, NotificationPriority, NotificationQuery, NotificationState,
    OperationContext, OperationQuery, OperationState, OperationStatus, ProtectionStatus, Requests,
    ResetRequest, ServiceVersion, Submit, TenantApplicationIdentity, TenantProtectionKey,
    UserNotification,
};
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

/// Operations of the specs that no builder covers, with the reason. None: every operation
/// of both specs has a builder. (The v1.2 spec also defines `CopyRequest`,
/// `LockTenantKeyData`, `IsSupportUserRequest`, `DomainNameSettings`, `FeatureStatus`,
/// `UserInfoApi` and `QueryOptions` schemas, but no path uses them, so there is nothing to
/// build.)
const EXCLUDED: &[(&str, &str)] = &[];

fn spec(version: ApiVersion) -> Value {
    let path = match version {
        ApiVersion::V1 => concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../reference/specs/online-management-api-v1.swagger.json"
        ),
        _ => concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../reference/specs/online-management-api-v1.2.swagger.json"
        ),
    };
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x1000_0000_0000_4000_8000_0000_0000_0000 + n)
}

/// Every builder, with arguments that fill every field the version has.
fn cases(r: &Requests) -> Vec<(&'static str, Result<HttpRequest, AdminError>)> {
    let v12 = r.version() == ApiVersion::V1_2;
    let currency = Currency {
        code: Some("EUR".into()),
        precision: Some(2),
        symbol: Some("€".into()),
        name: Some("Euro".into()),
    };
    let extra = BTreeMap::from([("k".to_string(), "v".to_string())]);
    let new_instance = NewInstance {
        service_version_id: id(1),
        r#type: Some(if v12 {
            InstanceType::Developer
        } else {
            InstanceType::Sandbox
        }),
        friendly_name: "Contoso".into(),
        domain_name: "contoso".into(),
        initial_user_email: "admin@contoso.onmicrosoft.com".into(),
        base_language: Some(1033),
        currency: Some(currency.clone()),
        templates: vec!["D365_Sales".into()],
        purpose: Some("tests".into()),
        security_group_id: Some(id(2)),
        additional_properties: if v12 { extra.clone() } else { BTreeMap::new() },
    };
    let reset = ResetRequest {
        friendly_name: Some("Contoso".into()),
        domain_name: Some("contoso".into()),
        purpose: Some("tests".into()),
        security_group_id: Some(id(3)),
        target_release: Some("Dynamics 365, version 9".into()),
        base_language_code: Some(1033),
        currency: Some(currency),
        application_names: vec!["D365_Sales".into()],
        preferred_culture: Some(1033),
        additional_properties: extra.clone(),
    };
    let restore = InstanceRestorePoint {
        source_instance_id: id(4),
        instance_backup_id: Some(id(5)),
        label: Some("before upgrade".into()),
        created_on: Some("2024-05-01T10:00:00Z".into()),
    };
    let admin_mode = InstanceAdminModeSettings {
        override_user_object_id: Some(id(6)),
        admin_mode: Some(true),
        background_operations_enabled: Some(false),
        notification_text: Some("maintenance".into()),
    };
    let configure = ConfigureInstanceSettings {
        purpose: Some("tests".into()),
        additional_properties: extra,
    };
    let backup = NewInstanceBackup {
        instance_id: id(7),
        label: "nightly".into(),
        notes: Some("before upgrade".into()),
    };
    let import = ImportKeyData {
        key_name: Some("contoso-key".into()),
        key_type: Some(1),
        key_password: Some(Secret::new("p4ss")),
        key: KeyMaterial::new(b"certificate bytes".to_vec()),
    };
    let generate = GenerateKeyData {
        subject_name: Some("CN=contoso".into()),
        key_password: Some(Secret::new("p4ss")),
    };
    let notification = UserNotification {
        notification_id: Some(id(8)),
        admin_id: Some(id(9)),
        tenant_id: Some(id(10)),
        created_at: Some("2024-05-01T10:00:00Z".into()),
        environments: vec![EnvironmentMetadata {
            id: Some(id(11)),
            name: Some("Contoso".into()),
            geo: Some("Europe".into()),
        }],
        state: Some(NotificationState::Unread),
        priority: Some(NotificationPriority::High),
        org_id: Some(id(12)),
        content: Some(NotificationContent {
            template_id: Some("t1".into()),
            template_type: Some("email".into()),
            slugs: BTreeMap::from([("name".to_string(), "Contoso".to_string())]),
        }),
    };
    let query = OperationQuery {
        operation_provider: Some("Provisioning".into()),
        instance_id: Some(id(13)),
    };
    vec![
        (
            "GetTenantApplicationIdentities",
            r.list_application_identities(),
        ),
        (
            "GetTenantApplicationIdentity",
            r.get_application_identity(id(20)),
        ),
        (
            "CreateTenantApplicationIdentity",
            r.create_application_identity(id(21), id(22)),
        ),
        (
            "DeleteTenantApplicationIdentity",
            r.delete_application_identity(id(20)),
        ),
        (
            "EnableTenantApplicationIdentity",
            r.enable_application_identity(id(20)),
        ),
        (
            "DisableTenantApplicationIdentity",
            r.disable_application_identity(id(20)),
        ),
        ("ApplyUser", r.apply_user(id(30), id(31))),
        ("GetInstances", r.list_instances()),
        ("GetInstance", r.get_instance(id(30))),
        (
            "ProvisionInstance",
            r.provision_instance(&new_instance, Submit::Apply),
        ),
        (
            "ProvisionInstance",
            r.provision_instance(&new_instance, Submit::ValidateOnly),
        ),
        ("DeleteInstance", r.delete_instance(id(30), Submit::Apply)),
        (
            "DeleteInstance",
            r.delete_instance(id(30), Submit::ValidateOnly),
        ),
        ("ResetInstance", r.reset_instance(id(30), &reset)),
        ("RestoreInstance", r.restore_instance(id(30), &restore)),
        (
            "UpdateInstanceAdminMode",
            r.update_admin_mode(id(30), &admin_mode, Submit::Apply),
        ),
        (
            "UpdateInstanceAdminMode",
            r.update_admin_mode(id(30), &admin_mode, Submit::ValidateOnly),
        ),
        (
            "ConfigureInstance",
            r.configure_instance(id(30), &configure, Submit::Apply),
        ),
        (
            "ConfigureInstance",
            r.configure_instance(id(30), &configure, Submit::ValidateOnly),
        ),
        ("GetInstanceBackups", r.list_backups(id(30))),
        ("GetInstanceBackup", r.get_backup(id(30), id(32))),
        ("BackupInstance", r.create_backup(&backup)),
        ("GetOperationStatus", r.operation_status(id(40))),
        (
            "GetOperationStatusByQuery",
            r.operation_status_by_query(&query),
        ),
        ("GetServiceVersions", r.service_versions()),
        ("GetCurrencies", r.currencies()),
        ("GetLanguages", r.languages(id(50))),
        ("GetTemplates", r.templates()),
        ("GetInstanceTypesInfo", r.instance_types()),
        (
            "GetInstanceTypeInfo",
            r.instance_type(&InstanceType::Production),
        ),
        (
            "RetrieveAvailableTenantProtectionKeys",
            r.list_tenant_protection_keys(),
        ),
        ("RetrieveTenantProtectionKey", r.get_tenant_protection_key()),
        ("ImportKey", r.import_tenant_protection_key(&import)),
        ("GenerateKey", r.generate_tenant_protection_key(&generate)),
        (
            "SetTenantProtectionKey",
            r.set_tenant_protection_key("contoso-key"),
        ),
        (
            "GetAllNotifications",
            r.list_notifications(&NotificationQuery {
                tenant_id: id(60),
                user_object_id: id(61),
                environments: vec![id(62), id(63)],
            }),
        ),
        ("PostUserNotification", r.post_notification(&notification)),
    ]
}

/// One operation of a spec.
struct Operation<'a> {
    path: &'a str,
    method: &'a str,
    op: &'a Value,
}

fn operations(spec: &Value) -> BTreeMap<String, Operation<'_>> {
    let mut out = BTreeMap::new();
    for (path, methods) in spec["paths"].as_object().expect("paths") {
        for (method, op) in methods.as_object().expect("methods") {
            let Some(op_id) = op["operationId"].as_str() else {
                continue;
            };
            let previous = out.insert(op_id.to_string(), Operation { path, method, op });
            assert!(previous.is_none(), "operationId {op_id} appears twice");
        }
    }
    out
}

/// Checks one request against one operation; returns what is wrong.
fn check(
    spec: &Value,
    base_path: &str,
    version: ApiVersion,
    op: &Operation<'_>,
    req: &HttpRequest,
) -> Vec<String> {
    let mut errors = Vec::new();
    let defs = &spec["definitions"];
    let params: Vec<&Value> = op.op["parameters"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let param = |name: &str, place: &str| {
        params
            .iter()
            .find(|p| p["name"] == name && p["in"] == place)
            .copied()
    };

    // Method.
    if !req.method().as_str().eq_ignore_ascii_case(op.method) {
        errors.push(format!(
            "method {} but the spec says {}",
            req.method(),
            op.method
        ));
    }

    // Path: under the service URL's path, then the version's prefix, then the template.
    let full = req.url().path();
    let Some(path) = full.strip_prefix(base_path.trim_end_matches('/')) else {
        return vec![format!(
            "path {full} is not under the service URL's path {base_path}"
        )];
    };
    if !path.starts_with(version.base_path()) {
        errors.push(format!("path {path} is not under {}", version.base_path()));
    }
    let got: Vec<&str> = path.split('/').collect();
    let want: Vec<&str> = op.path.split('/').collect();
    if got.len() != want.len() {
        errors.push(format!("path {path} does not match {}", op.path));
    } else {
        for (g, w) in got.iter().zip(&want) {
            match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(name) => {
                    let value = percent_decode(g);
                    match param(name, "path") {
                        None => errors.push(format!("path parameter {name} is not declared")),
                        Some(p) => {
                            check_simple(p, &value, &format!("path parameter {name}"), &mut errors)
                        }
                    }
                }
                None if g != w => errors.push(format!("path {path} does not match {}", op.path)),
                None => {}
            }
        }
    }

    // Query: only declared parameters, required ones present, values of the right type.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (k, v) in req.url().query_pairs() {
        *seen.entry(k.to_string()).or_default() += 1;
        match param(&k, "query") {
            None => errors.push(format!("query parameter {k} is not in the spec")),
            Some(p) if p["type"] == "array" => {
                if p["collectionFormat"] != "multi" {
                    errors.push(format!("query parameter {k} is an array but not `multi`"));
                }
                check_simple(
                    &p["items"],
                    &v,
                    &format!("query parameter {k}"),
                    &mut errors,
                );
            }
            Some(p) => check_simple(p, &v, &format!("query parameter {k}"), &mut errors),
        }
    }
    for p in &params {
        let name = p["name"].as_str().unwrap_or_default();
        if p["in"] == "query" {
            if p["required"] == true && !seen.contains_key(name) {
                errors.push(format!("required query parameter {name} is missing"));
            }
            if p["type"] != "array" && seen.get(name).is_some_and(|n| *n > 1) {
                errors.push(format!("query parameter {name} is sent more than once"));
            }
        }
    }

    // Headers.
    let produces: Vec<&str> = op.op["produces"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match req.header_value("accept") {
        Some(accept) if produces.iter().any(|p| accept.contains(p)) => {}
        other => errors.push(format!("Accept {other:?} is not one of {produces:?}")),
    }

    // Body.
    let body_param = params.iter().find(|p| p["in"] == "body");
    match (body_param, req.body_bytes()) {
        (None, None) => {}
        (None, Some(_)) => errors.push("a body is sent but the operation takes none".into()),
        (Some(_), None) => errors.push("the operation takes a body but none is sent".into()),
        (Some(p), Some(bytes)) => {
            let consumes: Vec<&str> = op.op["consumes"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let content_type = req.header_value("content-type").unwrap_or_default();
            if !consumes.iter().any(|c| content_type.starts_with(c)) {
                errors.push(format!(
                    "Content-Type {content_type} is not one of {consumes:?}"
                ));
            }
            match serde_json::from_slice::<Value>(bytes) {
                Ok(body) => validate(&p["schema"], &body, defs, "body", false, &mut errors),
                Err(e) => errors.push(format!("the body is not JSON: {e}")),
            }
        }
    }
    errors
}

/// A path or query value against a simple (non-body) parameter or items schema.
fn check_simple(p: &Value, value: &str, what: &str, errors: &mut Vec<String>) {
    let ok = match p["type"].as_str() {
        Some("boolean") => matches!(value, "true" | "false"),
        Some("integer") => value.parse::<i64>().is_ok(),
        _ => true,
    };
    if !ok {
        errors.push(format!("{what} `{value}` is not a {}", p["type"]));
    }
    if p["format"] == "uuid" && Uuid::parse_str(value).is_err() {
        errors.push(format!("{what} `{value}` is not a uuid"));
    }
    if let Some(allowed) = p["enum"].as_array()
        && !allowed.iter().any(|a| a == value)
    {
        errors.push(format!("{what} `{value}` is not one of {allowed:?}"));
    }
}

fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r
                .strip_prefix("#/definitions/")
                .unwrap_or_else(|| panic!("unsupported $ref {r}"));
            let def = &defs[name];
            assert!(!def.is_null(), "unknown definition {name}");
            resolve(def, defs)
        }
        None => schema,
    }
}

/// Validates `value` against a Swagger schema. `allow_null` accepts `null` for optional
/// properties (response models print absent fields as `null`).
fn validate(
    schema: &Value,
    value: &Value,
    defs: &Value,
    at: &str,
    allow_null: bool,
    errors: &mut Vec<String>,
) {
    let schema = resolve(schema, defs);
    if value.is_null() {
        if !allow_null {
            errors.push(format!("{at}: null"));
        }
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let kind = schema["type"].as_str().or_else(|| {
        (schema.get("properties").is_some() || schema.get("additionalProperties").is_some())
            .then_some("object")
    });
    match kind {
        Some("object") => {
            let Some(map) = value.as_object() else {
                errors.push(format!("{at}: expected an object, got {value}"));
                return;
            };
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if map.get(name).is_none_or(Value::is_null) {
                    errors.push(format!("{at}: required property {name} is missing"));
                }
            }
            for (k, v) in map {
                let at = format!("{at}.{k}");
                match schema["properties"].get(k) {
                    Some(prop) => validate(prop, v, defs, &at, allow_null, errors),
                    None => match schema.get("additionalProperties") {
                        Some(extra) if extra.is_object() => {
                            validate(extra, v, defs, &at, allow_null, errors)
                        }
                        // A free-form object (`type: object` alone) takes anything.
                        _ if schema.get("properties").is_none() => {}
                        _ => errors.push(format!("{at}: the schema has no such property")),
                    },
                }
            }
        }
        Some("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate(
                        &schema["items"],
                        item,
                        defs,
                        &format!("{at}[{i}]"),
                        allow_null,
                        errors,
                    );
                }
            }
            None => errors.push(format!("{at}: expected an array, got {value}")),
        },
        Some("string") => {
            let Some(s) = value.as_str() else {
                errors.push(format!("{at}: expected a string, got {value}"));
                return;
            };
            let ok = match schema["format"].as_str() {
                Some("uuid") => Uuid::parse_str(s).is_ok(),
                Some("date-time") => {
                    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                        .is_ok()
                }
                Some("byte") => base64::engine::general_purpose::STANDARD.decode(s).is_ok(),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: `{s}` is not a {}", schema["format"]));
            }
            let len = s.chars().count() as u64;
            if schema["minLength"].as_u64().is_some_and(|m| len < m)
                || schema["maxLength"].as_u64().is_some_and(|m| len > m)
            {
                errors.push(format!("{at}: length {len} is out of bounds"));
            }
        }
        Some("integer") => match value.as_i64() {
            Some(n) => {
                if schema["format"] == "int32" && i32::try_from(n).is_err() {
                    errors.push(format!("{at}: {n} is not an int32"));
                }
                if schema["minimum"].as_i64().is_some_and(|m| n < m)
                    || schema["maximum"].as_i64().is_some_and(|m| n > m)
                {
                    errors.push(format!("{at}: {n} is out of bounds"));
                }
            }
            None => errors.push(format!("{at}: expected an integer, got {value}")),
        },
        Some("boolean") if !value.is_boolean() => {
            errors.push(format!("{at}: expected a boolean, got {value}"));
        }
        Some("boolean") | None => {}
        Some(other) => errors.push(format!("{at}: unsupported schema type {other}")),
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn requests(base: &str, version: ApiVersion) -> Requests {
    Requests::new(&Url::parse(base).expect("url"), version).expect("requests")
}

#[test]
fn every_builder_matches_the_spec_of_both_versions() {
    for base in [
        "https://admin.services.crm.dynamics.com/",
        "http://127.0.0.1:7070/admin/",
    ] {
        for version in ApiVersion::ALL {
            let spec = spec(version);
            let ops = operations(&spec);
            let base_path = Url::parse(base).expect("url").path().to_string();
            let mut covered = BTreeSet::new();
            let mut failures = Vec::new();
            for (op_id, built) in cases(&requests(base, version)) {
                match built {
                    Ok(req) => {
                        let Some(op) = ops.get(op_id) else {
                            failures.push(format!(
                                "{version} {op_id}: built, but the spec has no such operation"
                            ));
                            continue;
                        };
                        covered.insert(op_id);
                        for e in check(&spec, &base_path, version, op, &req) {
                            failures.push(format!("{version} {op_id}: {e}"));
                        }
                    }
                    Err(AdminError::NotSupported {
                        operation,
                        version: v,
                    }) => {
                        assert_eq!(operation, op_id, "NotSupported names the operation");
                        assert_eq!(v, version);
                        if ops.contains_key(op_id) {
                            failures.push(format!(
                                "{version} {op_id}: refused as not supported, but the spec has it"
                            ));
                        }
                    }
                    Err(e) => failures.push(format!(
                        "{version} {op_id}: the sample arguments were refused: {e}"
                    )),
                }
            }
            // The reverse: every operation of the spec has a builder.
            for op_id in ops.keys() {
                let excluded = EXCLUDED.iter().any(|(id, _)| id == op_id);
                if !covered.contains(op_id.as_str()) && !excluded {
                    failures.push(format!(
                        "{version} {op_id}: no builder covers this operation of the spec"
                    ));
                }
            }
            assert!(
                failures.is_empty(),
                "contract failures ({base}):\n{}",
                failures.join("\n")
            );
            let expected = if version == ApiVersion::V1 { 22 } else { 33 };
            assert_eq!(covered.len(), expected, "{version}: operations covered");
        }
    }
}

#[test]
fn the_checker_catches_what_it_should() {
    let spec = spec(ApiVersion::V1_2);
    let ops = operations(&spec);
    // A body with a misspelt property and a wrong type.
    let bad = HttpRequest::post(
        Url::parse("https://admin.services.crm.dynamics.com/api/v1.2/InstanceBackups")
            .expect("url"),
    )
    .header("Accept", "application/json")
    .json(&json!({"InstanceId": "not-a-guid", "Lable": "x"}))
    .expect("json");
    let errors = check(&spec, "/", ApiVersion::V1_2, &ops["BackupInstance"], &bad);
    let text = errors.join("\n");
    assert!(text.contains("not a \"uuid\""), "{text}");
    assert!(
        text.contains("Lable: the schema has no such property"),
        "{text}"
    );
    assert!(text.contains("required property Label"), "{text}");
    // A wrong path, an unknown query parameter, a missing required one.
    let wrong = HttpRequest::get(
        Url::parse("https://admin.services.crm.dynamics.com/api/v1.2/Languages?release=1")
            .expect("url"),
    )
    .header("Accept", "application/json");
    let text = check(&spec, "/", ApiVersion::V1_2, &ops["GetLanguages"], &wrong).join("\n");
    assert!(
        text.contains("query parameter release is not in the spec"),
        "{text}"
    );
    assert!(
        text.contains("required query parameter releaseId is missing"),
        "{text}"
    );
    let wrong = HttpRequest::post(
        Url::parse("https://admin.services.crm.dynamics.com/api/v1.2/Instances/x/ApplyUser")
            .expect("url"),
    )
    .header("Accept", "application/json");
    let text = check(&spec, "/", ApiVersion::V1_2, &ops["ApplyUser"], &wrong).join("\n");
    assert!(text.contains("does not match"), "{text}");
}

/// Response models, fully filled and serialised, use only names the spec's definitions
/// declare (a misspelt `rename` would leave a field unread).
#[test]
fn response_models_use_the_spec_names() {
    let spec = spec(ApiVersion::V1_2);
    let defs = &spec["definitions"];
    let s = |v: &str| Some(v.to_string());
    let item = ItemDescription {
        subject: s("S"),
        description: s("D"),
        code: s("C"),
    };
    let mut status = OperationStatus::new(id(1), OperationState::Running);
    status.errors.push(item.clone());
    status.information.push(item);
    status.operation_location = s("https://admin.services.crm.dynamics.com/api/v1.2/Operation/1");
    status.resource_location = s("https://admin.services.crm.dynamics.com/api/v1.2/Instances/1");
    status.context = Some(OperationContext {
        items: serde_json::from_value(json!({"instanceState": {"v": 1}})).expect("map"),
    });
    let instance = Instance {
        id: id(2),
        unique_name: s("org1"),
        friendly_name: s("Contoso"),
        application_url: s("https://contoso.crm.dynamics.com/"),
        api_url: s("https://contoso.api.crm.dynamics.com/"),
        state: Some(InstanceState::Ready),
        r#type: Some(InstanceType::Production),
        version: s("9.2"),
        domain_name: s("contoso"),
        base_language: Some(1033),
        initial_user_email: s("a@b.c"),
        initial_user_principal_name: s("a@b.c"),
        security_group_id: Some(id(3)),
        state_is_supported_for_delete: Some(true),
        admin_mode: Some(false),
        is_locked: Some(false),
        protection_status: Some(ProtectionStatus::MicrosoftEncrypted),
        purpose: s("p"),
        additional_properties: BTreeMap::from([("k".into(), "v".into())]),
        extra: Default::default(),
    };
    let identity = TenantApplicationIdentity {
        id: Some(id(4)),
        aad_application_id: id(5),
        tenant_id: Some(id(6)),
        enabled: Some(true),
        created_on: s("2024-05-01T10:00:00Z"),
        modified_on: s("2024-05-01T10:00:00Z"),
        extra: Default::default(),
    };
    let backup = InstanceBackup {
        id: Some(id(7)),
        status: s("Succeeded"),
        created_by: s("admin"),
        created_on: s("2024-05-01T10:00:00Z"),
        expires_on: s("2024-06-01T10:00:00Z"),
        version: s("9.2"),
        label: s("nightly"),
        notes: s("n"),
        is_azure_backup: Some(false),
        azure_storage_information: None,
        extra: Default::default(),
    };
    let checks: Vec<(&str, Value)> = vec![
        (
            "OperationStatus",
            serde_json::to_value(&status).expect("ser"),
        ),
        ("Instance", serde_json::to_value(&instance).expect("ser")),
        (
            "TenantApplicationIdentity",
            serde_json::to_value(&identity).expect("ser"),
        ),
        (
            "InstanceBackup",
            serde_json::to_value(&backup).expect("ser"),
        ),
        (
            "InstanceTypeInfo",
            serde_json::to_value(InstanceTypeInfo {
                r#type: Some(InstanceType::Sandbox),
                total: Some(3),
                consumed: Some(1),
            })
            .expect("ser"),
        ),
        (
            "Language",
            serde_json::to_value(Language {
                lcid: Some(1033),
                name: s("English"),
                localized_name: s("English"),
            })
            .expect("ser"),
        ),
        (
            "ServiceVersion",
            serde_json::to_value(ServiceVersion {
                id: Some(id(8)),
                name: s("9.2"),
                localized_name: s("9.2"),
                version: s("9.2"),
                lcid: Some(1033),
            })
            .expect("ser"),
        ),
        (
            "Region",
            serde_json::to_value(CurrencyRegion {
                region_code: s("EU"),
                name: s("Europe"),
                currencies: vec![Currency::default()],
            })
            .expect("ser"),
        ),
        (
            "Key",
            serde_json::to_value(TenantProtectionKey {
                tenant_id: Some(id(9)),
                key_name: s("k"),
                key_state: Some(KeyState::Active),
                created_on: s("2024-05-01T10:00:00Z"),
                locked_on: s("2024-05-01T10:00:00Z"),
            })
            .expect("ser"),
        ),
    ];
    let mut failures = Vec::new();
    for (name, value) in checks {
        validate(
            &json!({"$ref": format!("#/definitions/{name}")}),
            &value,
            defs,
            name,
            true,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

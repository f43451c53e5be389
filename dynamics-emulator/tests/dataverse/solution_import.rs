//! `ImportSolution` and `ImportSolutionAsync` with packages built here: the solution, publisher
//! and roles they create, the import job's result XML, the system job, idempotent re-imports,
//! refused packages (not a zip, missing or malformed files, unknown privileges, bad versions,
//! downgrades, zip bombs) and random input, which never gets a 5xx.

use std::io::{Cursor, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use uuid::Uuid;
use zip::write::SimpleFileOptions;

use crate::support::{Env, encode, start};

const SALES_BU: &str = "c0a7e5a0-0000-4000-8000-000000000044";
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/octet-stream" /></Types>"#;

/// A solution package to build.
#[derive(Clone)]
struct Spec {
    unique: &'static str,
    version: &'static str,
    managed: bool,
    role_id: Uuid,
    role: &'static str,
    privileges: Vec<(&'static str, &'static str)>,
}

impl Spec {
    fn lead_writer() -> Self {
        Self {
            unique: "MarketplaceLeadWriter",
            version: "1.0.0.0",
            managed: true,
            role_id: Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0001),
            role: "Microsoft Marketplace Lead Writer",
            privileges: vec![
                ("prvCreateLead", "Global"),
                ("prvReadLead", "Global"),
                ("prvWriteLead", "Basic"),
            ],
        }
    }

    fn solution_xml(&self) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml version="9.2.24101.201" SolutionPackageVersion="9.2" languagecode="1033" generatedBy="CrmLive">
  <SolutionManifest>
    <UniqueName>{}</UniqueName>
    <LocalizedNames><LocalizedName description="Marketplace Lead Writer" languagecode="1033" /></LocalizedNames>
    <Version>{}</Version>
    <Managed>{}</Managed>
    <Publisher>
      <UniqueName>contoso</UniqueName>
      <LocalizedNames><LocalizedName description="Contoso" languagecode="1033" /></LocalizedNames>
      <CustomizationPrefix>cts</CustomizationPrefix>
      <CustomizationOptionValuePrefix>10000</CustomizationOptionValuePrefix>
    </Publisher>
    <RootComponents><RootComponent type="20" id="{{{}}}" behavior="0" /></RootComponents>
    <MissingDependencies />
  </SolutionManifest>
</ImportExportXml>"#,
            self.unique,
            self.version,
            u8::from(self.managed),
            self.role_id
        )
    }

    fn customizations_xml(&self) -> String {
        let privileges: String = self
            .privileges
            .iter()
            .map(|(name, level)| format!(r#"<RolePrivilege name="{name}" level="{level}" />"#))
            .collect();
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Entities /><Roles><Role id="{{{}}}" name="{}"><RolePrivileges>{privileges}</RolePrivileges></Role></Roles>
  <Workflows /><FieldSecurityProfiles /><Templates /><EntityMaps /><EntityRelationships /><OrganizationSettings /><optionsets />
</ImportExportXml>"#,
            self.role_id, self.role
        )
    }

    fn zip(&self) -> Vec<u8> {
        zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
            ("solution.xml", self.solution_xml()),
            ("customizations.xml", self.customizations_xml()),
        ])
    }
}

fn zip_of(entries: &[(&str, String)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in entries {
        writer
            .start_file(*name, SimpleFileOptions::default())
            .expect("entry");
        writer.write_all(text.as_bytes()).expect("written");
    }
    writer.finish().expect("zip").into_inner()
}

/// A minimal valid package as base64 (for fixtures whose package was elided).
pub(crate) fn minimal_package_base64() -> String {
    STANDARD.encode(Spec::lead_writer().zip())
}

fn body(bytes: &[u8], job: Option<Uuid>) -> Value {
    let mut body = json!({
        "CustomizationFile": STANDARD.encode(bytes),
        "OverwriteUnmanagedCustomizations": true,
        "PublishWorkflows": true,
    });
    if let Some(job) = job {
        body["ImportJobId"] = json!(job);
    }
    body
}

async fn import_job(env: &Env, job: &str) -> Value {
    let answer = env
        .get(&format!(
            "importjobs({job})?$select=data,progress,solutionname"
        ))
        .await;
    answer.expect(200).clone()
}

async fn role_privileges(env: &Env, role: &str) -> Vec<(String, String)> {
    let answer = env
        .get(&format!("RetrieveRolePrivilegesRole(RoleId={role})"))
        .await;
    let mut list: Vec<(String, String)> = answer.expect(200)["RolePrivileges"]
        .as_array()
        .expect("RolePrivileges")
        .iter()
        .map(|p| {
            (
                p["PrivilegeName"].as_str().unwrap_or_default().to_owned(),
                p["Depth"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    list.sort();
    list
}

async fn roles_named(env: &Env, name: &str) -> Vec<Value> {
    let answer = env
        .get(&format!(
            "roles?$select=name,_businessunitid_value,_parentrootroleid_value,ismanaged&$filter={}",
            encode(&format!("name eq '{name}'"))
        ))
        .await;
    answer.expect(200);
    answer.values().clone()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_package_creates_the_solution_publisher_and_roles() {
    let env = start().await;
    let spec = Spec::lead_writer();
    let job = Uuid::new_v4();
    env.post("ImportSolution", body(&spec.zip(), Some(job)))
        .await
        .expect(204);
    assert_eq!(env.emu.seed().solution_imports(), 1);

    let solutions = env
        .get(&format!(
            "solutions?$select=uniquename,version,ismanaged,installedon,friendlyname&$filter={}",
            encode("uniquename eq 'MarketplaceLeadWriter'")
        ))
        .await;
    let solution = &solutions.values()[0];
    assert_eq!(solution["version"], "1.0.0.0");
    assert_eq!(solution["ismanaged"], true);
    assert_eq!(solution["friendlyname"], "Marketplace Lead Writer");
    assert!(solution["installedon"].is_string());
    let publishers = env
        .get(&format!(
            "publishers?$filter={}",
            encode("uniquename eq 'contoso'")
        ))
        .await;
    assert_eq!(publishers.values()[0]["customizationprefix"], "cts");
    assert_eq!(
        publishers.values()[0]["customizationoptionvalueprefix"],
        10000
    );

    let roles = roles_named(&env, spec.role).await;
    assert_eq!(roles.len(), 2, "root and Sales copies");
    let root = spec.role_id.to_string();
    assert!(roles.iter().any(|r| r["roleid"] == root.as_str()));
    assert!(
        roles
            .iter()
            .all(|r| r["_parentrootroleid_value"] == root.as_str() && r["ismanaged"] == true)
    );
    let sales = roles
        .iter()
        .find(|r| r["_businessunitid_value"] == SALES_BU)
        .expect("Sales copy");
    let expected = pairs(&spec.privileges);
    assert_eq!(role_privileges(&env, &root).await, expected);
    assert_eq!(
        role_privileges(&env, sales["roleid"].as_str().expect("id")).await,
        expected
    );

    let job = import_job(&env, &job.to_string()).await;
    assert_eq!(job["progress"], 100.0);
    assert_eq!(job["solutionname"], "MarketplaceLeadWriter");
    let data = job["data"].as_str().expect("data");
    assert!(data.contains(r#"succeeded="success""#), "{data}");
    assert!(data.contains(r#"status="""#), "{data}");
}

#[tokio::test]
async fn re_imports_are_idempotent_and_upgrades_replace_the_privileges() {
    let env = start().await;
    let spec = Spec::lead_writer();
    env.post("ImportSolution", body(&spec.zip(), None))
        .await
        .expect(204);
    env.post("ImportSolution", body(&spec.zip(), None))
        .await
        .expect(204);
    assert_eq!(roles_named(&env, spec.role).await.len(), 2);
    let upgrade = Spec {
        version: "1.1.0.0",
        privileges: vec![
            ("prvCreateLead", "Local"),
            ("prvReadAsyncOperation", "Global"),
            ("prvCreateUserEntityUISettings", "Basic"),
        ],
        ..spec.clone()
    };
    env.post("ImportSolution", body(&upgrade.zip(), None))
        .await
        .expect(204);
    assert_eq!(
        role_privileges(&env, &spec.role_id.to_string()).await,
        pairs(&upgrade.privileges)
    );
    let solutions = env
        .get(&format!(
            "solutions?$filter={}",
            encode("uniquename eq 'MarketplaceLeadWriter'")
        ))
        .await;
    assert_eq!(solutions.values().len(), 1);
    assert_eq!(solutions.values()[0]["version"], "1.1.0.0");

    // A managed solution cannot go back to an older version; the failed job says why.
    let job = Uuid::new_v4();
    let downgrade = env
        .post("ImportSolution", body(&spec.zip(), Some(job)))
        .await;
    downgrade.expect(400);
    assert_eq!(downgrade.code(), "0x80048068");
    assert!(
        downgrade
            .message()
            .contains("older than the installed version 1.1.0.0"),
        "{}",
        downgrade.text
    );
    let data = import_job(&env, &job.to_string()).await["data"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        data.contains(r#"succeeded="failure""#) && data.contains("cannot be downgraded"),
        "{data}"
    );
    assert_eq!(
        role_privileges(&env, &spec.role_id.to_string()).await,
        pairs(&upgrade.privileges),
        "nothing changed"
    );

    // An unmanaged solution of the same name cannot be replaced by a managed one.
    let unmanaged = Spec {
        unique: "Other",
        managed: false,
        role: "Other Role",
        role_id: Uuid::new_v4(),
        ..spec.clone()
    };
    env.post("ImportSolution", body(&unmanaged.zip(), None))
        .await
        .expect(204);
    let managed = Spec {
        managed: true,
        ..unmanaged
    };
    let refused = env.post("ImportSolution", body(&managed.zip(), None)).await;
    refused.expect(400);
    assert!(refused.message().contains("unmanaged"), "{}", refused.text);
}

#[tokio::test]
async fn the_async_form_answers_a_completed_system_job() {
    let env = start().await;
    let spec = Spec::lead_writer();
    let answer = env
        .post("ImportSolutionAsync", body(&spec.zip(), None))
        .await;
    let started = answer.expect(200);
    let operation = started["AsyncOperationId"]
        .as_str()
        .expect("AsyncOperationId")
        .to_owned();
    let key = started["ImportJobKey"]
        .as_str()
        .expect("ImportJobKey")
        .to_owned();
    let job = env
        .get(&format!(
            "asyncoperations({operation})?$select=statecode,statuscode,message,friendlymessage"
        ))
        .await;
    assert_eq!(job.expect(200)["statecode"], 3);
    assert_eq!(job.body["statuscode"], 30);
    assert!(
        import_job(&env, &key).await["data"]
            .as_str()
            .is_some_and(|d| d.contains(r#"succeeded="success""#))
    );
    assert_eq!(roles_named(&env, spec.role).await.len(), 2);

    // A broken package: still 200, the job fails with the reason.
    let broken = Spec {
        privileges: vec![("prvCreateNothing", "Global")],
        ..spec
    };
    let answer = env
        .post("ImportSolutionAsync", body(&broken.zip(), None))
        .await;
    let operation = answer.expect(200)["AsyncOperationId"]
        .as_str()
        .expect("id")
        .to_owned();
    let job = env
        .get(&format!(
            "asyncoperations({operation})?$select=statecode,statuscode,message,friendlymessage"
        ))
        .await;
    assert_eq!(job.expect(200)["statecode"], 3);
    assert_eq!(job.body["statuscode"], 31);
    assert!(
        job.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("prvCreateNothing")),
        "{}",
        job.text
    );
    assert_eq!(job.body["message"], job.body["friendlymessage"]);
}

async fn refused(env: &Env, bytes: &[u8], needle: &str) {
    let job = Uuid::new_v4();
    let answer = env.post("ImportSolution", body(bytes, Some(job))).await;
    answer.expect(400);
    assert_eq!(answer.code(), "0x80048068");
    assert!(
        answer.message().contains(needle),
        "wanted {needle:?}: {}",
        answer.text
    );
    let data = import_job(env, &job.to_string()).await["data"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(data.contains(r#"succeeded="failure""#), "{data}");
}

#[tokio::test]
async fn broken_packages_fail_with_a_readable_reason() {
    let env = start().await;
    let spec = Spec::lead_writer();
    refused(&env, b"this is not a zip", "not a valid .zip").await;
    refused(
        &env,
        &zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
            ("customizations.xml", spec.customizations_xml()),
        ]),
        "missing solution.xml",
    )
    .await;
    refused(
        &env,
        &zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
            ("solution.xml", "<ImportExportXml><Solution".to_owned()),
            ("customizations.xml", spec.customizations_xml()),
        ]),
        "solution.xml is not well-formed XML",
    )
    .await;
    refused(
        &env,
        &Spec {
            version: "1.x",
            ..spec.clone()
        }
        .zip(),
        "version '1.x' is not valid",
    )
    .await;
    refused(
        &env,
        &Spec {
            privileges: vec![("prvFlyLead", "Global")],
            ..spec.clone()
        }
        .zip(),
        "prvFlyLead",
    )
    .await;
    refused(
        &env,
        &Spec {
            privileges: vec![("prvReadBusinessUnit", "Basic")],
            ..spec.clone()
        }
        .zip(),
        "cannot be given at level Basic",
    )
    .await;
    refused(
        &env,
        &Spec {
            privileges: vec![("prvReadLead", "Sideways")],
            ..spec.clone()
        }
        .zip(),
        "Sideways",
    )
    .await;
    assert!(
        roles_named(&env, spec.role).await.is_empty(),
        "nothing was imported"
    );
    // Parameters are checked before the package.
    env.post("ImportSolution", json!({"CustomizationFile": "%%%"}))
        .await
        .expect(400);
    env.post(
        "ImportSolution",
        json!({"CustomizationFile": STANDARD.encode(spec.zip()), "PublishWorkflows": "yes"}),
    )
    .await
    .expect(400);
    env.post("ImportSolution", json!({"PublishWorkflows": true}))
        .await
        .expect(400);
    env.get("ImportSolution").await.expect(405);
}

#[tokio::test]
async fn a_zip_bomb_is_refused_before_it_is_inflated() {
    let env = start().await;
    let spec = Spec::lead_writer();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("solution.xml", spec.solution_xml()),
    ] {
        writer
            .start_file(name, SimpleFileOptions::default())
            .expect("entry");
        writer.write_all(text.as_bytes()).expect("written");
    }
    writer
        .start_file("customizations.xml", SimpleFileOptions::default())
        .expect("entry");
    let block = vec![b' '; 1024 * 1024];
    for _ in 0..51 {
        writer.write_all(&block).expect("written");
    }
    let bytes = writer.finish().expect("zip").into_inner();
    assert!(
        bytes.len() < 1024 * 1024,
        "compresses well: {}",
        bytes.len()
    );
    refused(&env, &bytes, "too large").await;
}

/// One byte of a valid package changed, or the package cut short.
fn mutated(seed: &[u8], index: usize, value: u8, cut: bool) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    let at = index % bytes.len();
    if cut {
        bytes.truncate(at.max(1));
    } else {
        bytes[at] = value;
    }
    bytes
}

/// Random bytes and mutated packages, against one emulator: only 2xx and 4xx answers.
#[test]
fn random_and_mutated_packages_never_get_a_server_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let env = runtime.block_on(start());
    let seed = Spec::lead_writer().zip();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    let inputs = (
        proptest::collection::vec(any::<u8>(), 1..512),
        any::<usize>(),
        any::<u8>(),
        any::<bool>(),
    );
    runner
        .run(&inputs, |(random, index, value, cut)| {
            runtime.block_on(async {
                for bytes in [random.clone(), mutated(&seed, index, value, cut)] {
                    for action in ["ImportSolution", "ImportSolutionAsync"] {
                        let answer = env.post(action, body(&bytes, None)).await;
                        prop_assert!(
                            matches!(answer.status, 200 | 204 | 400),
                            "{action}: {}",
                            answer.text
                        );
                    }
                }
                Ok(())
            })
        })
        .expect("only 2xx and 4xx answers");
    // Still serving.
    runtime.block_on(async {
        env.get("roles?$select=name&$top=1").await.expect(200);
    });
}

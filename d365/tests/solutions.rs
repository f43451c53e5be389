//! `d365 solutions` and `d365 roles privileges` end to end: the real binary against an
//! emulator started in this test process, signed in as its seeded administrator (password
//! piped on stdin). Solution packages are built with the SDK's `SolutionBuilder`.

use std::path::{Path, PathBuf};

use dataverse_webapi::solutions::{
    Publisher, RoleDefinition, SolutionBuilder, SolutionPrivilegeLevel,
};
use serde_json::Value;
use uuid::Uuid;

mod org_support;
use org_support::{Fixture, run_blocking};

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("d365-solutions-e2e-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("written");
        path.to_string_lossy().into_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn publisher() -> Publisher {
    Publisher::new("contoso", "Contoso", "contoso", 72_700)
}

fn package(unique_name: &str, version: &str) -> Vec<u8> {
    SolutionBuilder::new(unique_name, version, publisher())
        .display_name(format!("{unique_name} display"))
        .role(
            RoleDefinition::new(format!("{unique_name} Role"))
                .privilege("prvReadLead", SolutionPrivilegeLevel::Global),
        )
        .build()
        .expect("the package builds")
}

fn listed<'a>(list: &'a Value, unique_name: &str) -> Option<&'a Value> {
    list.as_array()
        .expect("an array")
        .iter()
        .find(|s| s["unique_name"] == unique_name)
}

/// The emulator's `solutions` row named `unique_name`, read past the Web API.
fn stored_solution(fx: &Fixture, unique_name: &str) -> Option<Value> {
    fx.emulator
        .seed()
        .rows("solutions")
        .into_iter()
        .find(|s| s["uniquename"] == unique_name)
}

async fn import_both(fx: &Fixture, dir: &Scratch) {
    let sync_zip = dir.write("sync.zip", &package("ContosoSync", "1.2.3.4"));
    let async_zip = dir.write("async.zip", &package("ContosoAsync", "2.0.0.1"));

    let imported = fx
        .run(&["solutions", "import", &sync_zip, "--json"])
        .await
        .ok_json();
    assert!(imported["import_job_id"].is_string(), "{imported}");
    assert!(imported["async_operation_id"].is_null(), "{imported}");
    assert!(imported["warnings"].is_array(), "{imported}");

    let imported = fx
        .run(&[
            "solutions",
            "import",
            &async_zip,
            "--async",
            "--poll-interval-secs",
            "1",
            "--timeout-secs",
            "60",
            "--json",
        ])
        .await
        .ok_json();
    assert!(imported["async_operation_id"].is_string(), "{imported}");
    assert!(imported["import_job_id"].is_string(), "{imported}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_and_async_imports_land_in_the_org() {
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    assert!(stored_solution(&fx, "ContosoSync").is_none());
    import_both(&fx, &dir).await;
    assert_eq!(fx.emulator.seed().solution_imports(), 2);
    for (name, version) in [("ContosoSync", "1.2.3.4"), ("ContosoAsync", "2.0.0.1")] {
        let row = stored_solution(&fx, name).unwrap_or_else(|| panic!("{name} imported"));
        assert_eq!(row["version"], version, "{row}");
    }
    // The role the package shipped is in the org.
    let roles = fx.run(&["roles", "list", "--json"]).await.ok_json();
    assert!(
        roles
            .as_array()
            .expect("array")
            .iter()
            .any(|r| r["name"] == "ContosoSync Role"),
        "{roles}"
    );

    // The human report names the solution's import job.
    let again = fx
        .run(&["solutions", "import", &dir.path("sync.zip")])
        .await;
    assert_eq!(again.code, 0, "{again:#?}");
    assert!(again.stdout.contains("Import job"), "{again:#?}");
}

// The emulator's `solution` table has no `publisherid` lookup, so the list's
// `$expand=publisherid(...)` is refused with 400 (0x80060888); see the w2cli report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solutions_list_shows_the_imports_with_their_versions() {
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    let before = fx.run(&["solutions", "list", "--json"]).await.ok_json();
    assert!(listed(&before, "ContosoSync").is_none(), "{before}");
    import_both(&fx, &dir).await;

    let after = fx.run(&["solutions", "list", "--json"]).await.ok_json();
    for (name, version) in [("ContosoSync", "1.2.3.4"), ("ContosoAsync", "2.0.0.1")] {
        let row = listed(&after, name).unwrap_or_else(|| panic!("{name} listed: {after}"));
        assert_eq!(row["version"], version, "{row}");
        assert_eq!(row["managed"], true, "{row}");
        assert_eq!(row["publisher"], "contoso", "{row}");
        assert_eq!(row["friendly_name"], format!("{name} display"), "{row}");
        assert!(row["id"].is_string(), "{row}");
    }

    let table = fx.run(&["solutions", "list"]).await;
    assert_eq!(table.code, 0, "{table:#?}");
    assert!(table.stdout.starts_with("UNIQUE NAME"), "{table:#?}");
    let line = table
        .stdout
        .lines()
        .find(|l| l.starts_with("ContosoSync "))
        .unwrap_or_else(|| panic!("a row: {table:#?}"));
    assert!(line.contains("1.2.3.4"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_package_fails_with_the_import_text_and_the_service_code() {
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    // Starts like a zip, is not one.
    let broken = dir.write("broken.zip", b"PK\x03\x04 this is not a solution package");
    for extra in [&[][..], &["--async", "--poll-interval-secs", "1"][..]] {
        let mut args = vec!["solutions", "import", broken.as_str(), "--json"];
        args.extend_from_slice(extra);
        let run = fx.run(&args).await;
        assert_eq!(run.code, 6, "{extra:?}: {run:#?}");
        let error: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("a JSON error ({e}): {run:#?}"));
        let error = &error["error"];
        assert_eq!(error["exit_code"], 6, "{error}");
        assert_eq!(error["kind"], "service", "{error}");
        let message = error["message"].as_str().expect("a message");
        assert!(message.contains("solution import failed"), "{message}");
        assert!(message.contains("not a valid .zip"), "{message}");
        assert!(
            error["fix"]
                .as_str()
                .is_some_and(|f| f.contains("import job")),
            "{error}"
        );
        assert!(run.stderr.contains("solution import failed"), "{run:#?}");
    }
    assert_eq!(fx.emulator.seed().solution_imports(), 2);
    // Nothing was imported but the failed jobs.
    assert!(
        fx.emulator
            .seed()
            .rows("publishers")
            .iter()
            .all(|p| p["uniquename"] != "contoso"),
        "nothing imported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_cannot_be_solutions_fail_before_sign_in() {
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    let missing = dir.path("missing.zip");
    let xml = dir.write("solution.xml", b"<ImportExportXml/>");
    for (file, says) in [
        (missing.as_str(), "no such file"),
        (xml.as_str(), "not a zip"),
        (dir.0.to_str().expect("utf-8"), "is a directory"),
    ] {
        let run = fx.run(&["solutions", "import", file]).await;
        assert_eq!(run.code, 2, "{run:#?}");
        assert!(run.stderr.contains(says), "{says}: {run:#?}");
        // Failed before the password prompt.
        assert!(!run.stderr.to_lowercase().contains("password"), "{run:#?}");
    }
    assert_eq!(fx.emulator.seed().solution_imports(), 0);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_file_says_permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    let path = dir.write("locked.zip", &package("Locked", "1.0.0.0"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test.
        return;
    }
    let run = fx.run(&["solutions", "import", &path]).await;
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("permission denied"), "{run:#?}");
    assert!(run.stderr.contains("chmod"), "{run:#?}");
    let _ = std::fs::set_permissions(Path::new(&path), std::fs::Permissions::from_mode(0o600));
}

fn privilege<'a>(rows: &'a Value, name: &str) -> Option<&'a Value> {
    rows.as_array().expect("an array").iter().find(|p| {
        p["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_privileges_adds_changes_and_removes() {
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    let zip = dir.write("roles.zip", &package("ContosoRoles", "1.0.0.0"));
    fx.run(&["solutions", "import", &zip, "--json"])
        .await
        .ok_json();
    let role = "ContosoRoles Role";

    let shipped = fx
        .run(&["roles", "privileges", "--role", role, "--json"])
        .await
        .ok_json();
    let read_lead = privilege(&shipped, "prvReadLead").unwrap_or_else(|| panic!("{shipped}"));
    assert_eq!(read_lead["depth"], "Global", "{shipped}");

    let added = fx
        .run(&[
            "roles",
            "privileges",
            "--role",
            role,
            "--add",
            "prvReadAsyncOperation:Global",
            "--add",
            "userentityuisettings:Create:User",
            "--json",
        ])
        .await
        .ok_json();
    assert_eq!(
        privilege(&added, "prvReadAsyncOperation").expect("added")["depth"],
        "Global",
        "{added}"
    );
    assert_eq!(
        privilege(&added, "prvCreateUserEntityUISettings").expect("added")["depth"],
        "Basic",
        "{added}"
    );
    assert!(privilege(&added, "prvReadLead").is_some(), "kept: {added}");

    // Adding again at another depth changes the depth.
    let changed = fx
        .run(&[
            "roles",
            "privileges",
            "--role",
            role,
            "--add",
            "asyncoperation:Read:BusinessUnit",
            "--json",
        ])
        .await
        .ok_json();
    assert_eq!(
        privilege(&changed, "prvReadAsyncOperation").expect("kept")["depth"],
        "Local",
        "{changed}"
    );

    let removed = fx
        .run(&[
            "roles",
            "privileges",
            "--role",
            role,
            "--remove",
            "prvReadAsyncOperation",
            "--remove",
            "userentityuisettings:Create",
            "--json",
        ])
        .await
        .ok_json();
    assert!(
        privilege(&removed, "prvReadAsyncOperation").is_none(),
        "{removed}"
    );
    assert!(
        privilege(&removed, "prvCreateUserEntityUISettings").is_none(),
        "{removed}"
    );
    assert!(privilege(&removed, "prvReadLead").is_some(), "{removed}");

    // Removing what the role does not hold is not an error, and says so.
    let again = fx
        .run(&[
            "roles",
            "privileges",
            "--role",
            role,
            "--remove",
            "prvReadAsyncOperation",
        ])
        .await;
    assert_eq!(again.code, 0, "{again:#?}");
    assert!(again.stderr.contains("nothing to remove"), "{again:#?}");
    assert!(again.stdout.contains("prvReadLead"), "{again:#?}");

    // A privilege the org does not have is a not-found.
    let unknown = fx
        .run(&[
            "roles",
            "privileges",
            "--role",
            role,
            "--add",
            "prvNoSuchThing:Global",
        ])
        .await;
    assert_eq!(unknown.code, 5, "{unknown:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_org_is_found_by_environment_and_must_be_given() {
    let fx = Fixture::start().await;
    let dir = Scratch::new();
    let zip = dir.write("env.zip", &package("ContosoEnv", "3.1.0.0"));
    let instance = fx.emulator.defaults().instance_id.to_string();
    fx.run_with(
        &[
            "solutions",
            "import",
            &zip,
            "--environment",
            &instance,
            "--json",
        ],
        false,
    )
    .await
    .ok_json();
    let row = stored_solution(&fx, "ContosoEnv").expect("imported");
    assert_eq!(row["version"], "3.1.0.0", "{row}");

    let no_org = fx.run_with(&["solutions", "import", &zip], false).await;
    assert_eq!(no_org.code, 2, "{no_org:#?}");
    assert!(no_org.stderr.contains("--org-url"), "{no_org:#?}");
    let unknown = fx
        .run_with(&["solutions", "list", "--environment", "Nowhere"], false)
        .await;
    assert_eq!(unknown.code, 5, "{unknown:#?}");
    assert!(unknown.stderr.contains("Nowhere"), "{unknown:#?}");
    assert_eq!(fx.emulator.seed().solution_imports(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_in_process_emulator_the_import_goes_to_its_org() {
    let dir = Scratch::new();
    let zip = dir.write("emu.zip", &package("ContosoEmu", "1.0.0.0"));
    let args: Vec<String> = ["solutions", "import", zip.as_str(), "--emulator", "--json"]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let run = tokio::task::spawn_blocking(move || run_blocking(&args, ""))
        .await
        .expect("the run finished");
    let json = run.ok_json();
    assert!(json["import_job_id"].is_string(), "{json}");
}

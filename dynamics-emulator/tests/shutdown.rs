//! The `dynamics-emulator` binary removes the files it wrote for the default client (its
//! certificate, private key and PKCS#12 archive, and the TLS CA) when it is stopped by
//! Ctrl-C (SIGINT), SIGTERM or SIGHUP.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A fresh folder for one child's `TMPDIR`, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "dynamics-emulator-shutdown-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir created");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}

/// Starts the binary on a free port with `TMPDIR=tmp` and waits until it says it is ready.
fn start(tmp: &Path, extra: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynamics-emulator"))
        .args(["--port", "0"])
        .args(extra)
        .env("TMPDIR", tmp)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut ready = false;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if line.starts_with("Press Ctrl-C") {
            ready = true;
            break;
        }
    }
    assert!(ready, "the emulator did not report that it is ready");
    child
}

/// Sends `signal` (e.g. `-INT`) to the child with the system's `kill`.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} failed");
}

fn stops_and_cleans_up(name: &str, sig: &str, extra: &[&str]) {
    let tmp = TempDir::new(name);
    let mut child = start(&tmp.0, extra);
    let written = files_under(&tmp.0);
    assert!(
        written
            .iter()
            .any(|p| p.ends_with("client-private-key.pem")),
        "the private key is written while the emulator runs: {written:?}"
    );
    signal(&child, sig);
    let status = child.wait().expect("child exits");
    assert!(status.success(), "clean exit after {sig}: {status:?}");
    let left = files_under(&tmp.0);
    assert!(left.is_empty(), "files left after {sig}: {left:?}");
}

#[test]
fn ctrl_c_removes_the_private_key() {
    stops_and_cleans_up("int", "-INT", &[]);
}

#[test]
fn sigterm_removes_the_private_key_and_the_tls_ca() {
    stops_and_cleans_up("term", "-TERM", &["--tls"]);
}

#[test]
fn sighup_removes_the_private_key() {
    stops_and_cleans_up("hup", "-HUP", &[]);
}

/// The folder the running emulator wrote its files into (the one child of `tmp`).
fn files_dir(tmp: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(tmp)
        .expect("readable dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "one folder of files: {dirs:?}");
    dirs.into_iter().next().expect("one folder")
}

/// The folder's name carries a random part (not just the pid another local user could guess
/// and pre-create), only its owner can enter it, and the key is readable by its owner only.
#[test]
fn the_files_folder_is_unguessable_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new("name");
    let mut child = start(&tmp.0, &["--tls"]);
    let dir = files_dir(&tmp.0);
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 name");
    let predictable = format!("dynamics-emulator-{}", child.id());
    let random = name
        .strip_prefix(&format!("{predictable}-"))
        .unwrap_or_else(|| panic!("{name} starts with {predictable}-"));
    assert_eq!(random.len(), 32, "{name}");
    assert!(random.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("client-private-key.pem")), 0o600);
    assert_eq!(mode(&dir.join("client-certificate.pfx")), 0o600);
    assert!(
        dir.join("tls-ca.pem").is_file(),
        "the TLS CA is in the folder"
    );
    signal(&child, "-INT");
    assert!(child.wait().expect("child exits").success());
    assert!(files_under(&tmp.0).is_empty());
}

/// A folder left by a run that was killed (its pid no longer runs) is swept on start; one of a
/// process that still runs, and folders with other names, are left alone.
#[test]
#[cfg(target_os = "linux")]
fn folders_of_killed_runs_are_swept_on_start() {
    let tmp = TempDir::new("sweep");
    let hex = "0123456789abcdef0123456789abcdef";
    // Above the largest pid Linux hands out (2^22), so it never runs.
    let stale = tmp.0.join(format!("dynamics-emulator-4194305-{hex}"));
    let live = tmp
        .0
        .join(format!("dynamics-emulator-{}-{hex}", std::process::id()));
    let other = tmp.0.join("dynamics-emulator-4194305");
    for dir in [&stale, &live, &other] {
        std::fs::create_dir(dir).expect("created");
        std::fs::write(dir.join("client-private-key.pem"), "old").expect("written");
    }
    let mut child = start(&tmp.0, &[]);
    assert!(!stale.exists(), "the killed run's folder is swept");
    assert!(live.exists(), "a running process's folder stays");
    assert!(other.exists(), "a folder with another name stays");
    signal(&child, "-TERM");
    assert!(child.wait().expect("child exits").success());
    assert!(live.exists() && other.exists());
}

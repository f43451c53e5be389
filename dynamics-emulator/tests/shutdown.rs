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

//! Running the real `d365` binary against an emulator started in the test process, signed in
//! as its seeded administrator (password piped on stdin): shared by the Dataverse org command
//! tests. Each test crate uses part of it.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

use dynamics_emulator::Emulator;
use serde_json::Value;

/// One finished `d365` run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    #[track_caller]
    pub(crate) fn ok_json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:#?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }
}

/// An emulator started in this test process.
pub(crate) struct Fixture {
    pub(crate) emulator: Emulator,
}

impl Fixture {
    pub(crate) async fn start() -> Self {
        Fixture {
            emulator: Emulator::start().await.expect("emulator starts"),
        }
    }

    pub(crate) fn base(&self) -> String {
        self.emulator
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// Runs `d365 args... --service-url --authority-host --client-id --org-url` as alice.
    pub(crate) async fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, true).await
    }

    /// As [`Fixture::run`], with `--org-url` only when `org` is set.
    pub(crate) async fn run_with(&self, args: &[&str], org: bool) -> Run {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let base = self.base();
        all.extend([
            "--service-url".into(),
            base.clone(),
            "--authority-host".into(),
            base.clone(),
            "--client-id".into(),
            self.emulator.defaults().public_client_id.to_string(),
        ]);
        if org {
            all.extend(["--org-url".into(), base]);
        }
        let user = &self.emulator.defaults().user;
        let stdin = format!("{}\n{}\n", user.upn, user.password);
        tokio::task::spawn_blocking(move || run_blocking(&all, &stdin))
            .await
            .expect("the run finished")
    }
}

/// Runs the binary with `args`, feeding `stdin`, with the caller's D365_* and RUST_LOG removed.
pub(crate) fn run_blocking(args: &[String], stdin: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_d365"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars() {
        if name.starts_with("D365_") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    let mut child = cmd.spawn().expect("d365 starts");
    {
        let mut input = child.stdin.take().expect("stdin");
        let _ = input.write_all(stdin.as_bytes());
    }
    let output = child.wait_with_output().expect("d365 ends");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

//! A private, throw-away PostgreSQL cluster: `initdb` in a temporary directory, `pg_ctl start`
//! on a free loopback port, stopped by a watchdog when the test process ends.
//!
//! The superuser has a random password (SCRAM), not trust authentication: on a shared
//! machine any local user could otherwise connect to the loopback port as superuser and run
//! `COPY ... PROGRAM` as the service user.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// The user PostgreSQL runs as when the tests run as root (initdb and postgres refuse root).
const SERVICE_USER: &str = "postgres";
/// Attempts at `pg_ctl start`, each on a new port (another process may take the free port
/// between finding it and binding it).
const START_ATTEMPTS: u32 = 3;

/// Why no cluster could be had.
#[derive(Debug)]
pub(crate) enum StartError {
    /// No PostgreSQL binaries on this machine.
    NotInstalled(String),
    /// The binaries exist but setting up or starting the cluster failed.
    Failed(String),
}

/// A running cluster.
#[derive(Debug)]
pub(crate) struct Cluster {
    port: u16,
    dir: PathBuf,
    /// The superuser's random password (hex, so it needs no escaping in a URL).
    password: String,
}

impl Cluster {
    /// A URL for the `postgres` database as the `postgres` superuser, with its password.
    pub(crate) fn url(&self) -> String {
        format!(
            "postgres://{SERVICE_USER}:{}@127.0.0.1:{}/postgres",
            self.password, self.port
        )
    }

    /// The cluster's directory (data, socket, `server.log`).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

/// How the binaries are run: directly, or as the service user when we are root.
#[derive(Debug, Clone)]
enum Runner {
    Direct,
    Runuser(PathBuf),
    Su(PathBuf),
}

impl Runner {
    fn command(&self, program: &Path, args: &[String]) -> Command {
        match self {
            Runner::Direct => {
                let mut command = Command::new(program);
                command.args(args);
                command
            }
            Runner::Runuser(runuser) => {
                let mut command = Command::new(runuser);
                command
                    .args(["-u", SERVICE_USER, "--"])
                    .arg(program)
                    .args(args);
                command
            }
            Runner::Su(su) => {
                let mut command = Command::new(su);
                command
                    .args([SERVICE_USER, "-s", "/bin/sh", "-c"])
                    .arg(shell_line(program, args));
                command
            }
        }
    }

    /// The same as one shell line, for the watchdog.
    fn shell_line(&self, program: &Path, args: &[String]) -> String {
        let line = shell_line(program, args);
        match self {
            Runner::Direct => line,
            Runner::Runuser(runuser) => format!(
                "{} -u {SERVICE_USER} -- {line}",
                quote(&runuser.display().to_string())
            ),
            Runner::Su(su) => format!(
                "{} {SERVICE_USER} -s /bin/sh -c {}",
                quote(&su.display().to_string()),
                quote(&line)
            ),
        }
    }
}

pub(crate) fn start() -> Result<Cluster, StartError> {
    let bin = find_bin_dir().ok_or_else(|| {
        StartError::NotInstalled(
            "no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin".to_owned(),
        )
    })?;
    let runner = runner()?;
    // As root the directory must be reachable by the service user: /tmp is, a TMPDIR under
    // /root is not.
    let base = if matches!(runner, Runner::Direct) {
        std::env::temp_dir()
    } else {
        PathBuf::from("/tmp")
    };
    let dir = base.join(format!(
        "dyn-test-pg-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
    owner_only(&dir)?;
    let password = random_password()?;
    // initdb reads the superuser's password from a file; it is removed right after.
    let pwfile = dir.join("pwfile");
    std::fs::write(&pwfile, format!("{password}\n"))
        .map_err(|e| failed(format!("cannot write {}: {e}", pwfile.display())))?;
    owner_only(&pwfile)?;
    if !matches!(runner, Runner::Direct) {
        run(
            Command::new("chown")
                .arg(SERVICE_USER)
                .arg(&dir)
                .arg(&pwfile),
            "chown",
        )?;
    }
    let data = dir.join("data");
    let initdb = [
        "-D",
        &data.display().to_string(),
        "-U",
        SERVICE_USER,
        "--auth=scram-sha-256",
        "--pwfile",
        &pwfile.display().to_string(),
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]
    .map(str::to_owned);
    let initialised = run(&mut runner.command(&bin.join("initdb"), &initdb), "initdb");
    let _ = std::fs::remove_file(&pwfile);
    initialised?;
    spawn_watchdog(&runner, &bin, &dir)?;

    let log = dir.join("server.log");
    let mut last_error = String::new();
    for _ in 0..START_ATTEMPTS {
        let port = free_port()?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            quote(&dir.display().to_string())
        );
        let args = [
            "-D",
            &data.display().to_string(),
            "-l",
            &log.display().to_string(),
            "-w",
            "-t",
            "60",
            "-o",
            &options,
            "start",
        ]
        .map(str::to_owned);
        match run(
            &mut runner.command(&bin.join("pg_ctl"), &args),
            "pg_ctl start",
        ) {
            Ok(_) => {
                return Ok(Cluster {
                    port,
                    dir,
                    password,
                });
            }
            Err(StartError::Failed(why)) => last_error = why,
            Err(other) => return Err(other),
        }
    }
    let log_tail = std::fs::read_to_string(&log)
        .map(|text| text.lines().rev().take(20).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    Err(failed(format!(
        "{last_error}\nserver log (last lines, newest first):\n{log_tail}"
    )))
}

/// A watchdog shell, in its own session so a Ctrl-C to the tests does not take it down
/// first: when the test process is gone, it stops the cluster and removes its directory.
fn spawn_watchdog(runner: &Runner, bin: &Path, dir: &Path) -> Result<(), StartError> {
    let stop = runner.shell_line(
        &bin.join("pg_ctl"),
        &[
            "-D".to_owned(),
            dir.join("data").display().to_string(),
            "-m".to_owned(),
            "immediate".to_owned(),
            "stop".to_owned(),
        ],
    );
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = quote(&dir.display().to_string())
    );
    let mut command = match which("setsid") {
        Some(setsid) => {
            let mut command = Command::new(setsid);
            command.arg("/bin/sh");
            command
        }
        None => Command::new("/bin/sh"),
    };
    command
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| failed(format!("cannot start the cluster watchdog: {e}")))
}

fn runner() -> Result<Runner, StartError> {
    if !is_root() {
        return Ok(Runner::Direct);
    }
    let user_exists = Command::new("id")
        .arg(SERVICE_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !user_exists {
        return Err(failed(format!(
            "running as root, PostgreSQL must run as another user, and there is no `{SERVICE_USER}` user (the postgresql package creates it)"
        )));
    }
    if let Some(runuser) = which("runuser") {
        return Ok(Runner::Runuser(runuser));
    }
    which("su").map(Runner::Su).ok_or_else(|| {
        failed("running as root, but neither runuser nor su is available".to_owned())
    })
}

#[cfg(unix)]
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or_else(|_| {
            Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        })
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// A directory holding both `initdb` and `pg_ctl`: on `PATH` first, then the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian and Ubuntu install there, off `PATH`).
fn find_bin_dir() -> Option<PathBuf> {
    let complete = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = which("initdb").and_then(|p| p.parent().map(Path::to_path_buf))
        && complete(&dir)
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .next()?
                .parse()
                .ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| complete(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// 128 random bits as hex, from the system's random source.
fn random_password() -> Result<String, StartError> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(|e| {
            failed(format!(
                "cannot read /dev/urandom for the cluster's password: {e}"
            ))
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Mode 0700 for a directory, 0600 for a file: the cluster's files are nobody else's.
#[cfg(unix)]
fn owner_only(path: &Path) -> Result<(), StartError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| failed(format!("cannot restrict {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> Result<(), StartError> {
    Ok(())
}

fn free_port() -> Result<u16, StartError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| failed(format!("cannot find a free loopback port: {e}")))
}

fn run(command: &mut Command, what: &str) -> Result<Output, StartError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| failed(format!("cannot run {what}: {e}")))?;
    if output.status.success() {
        return Ok(output);
    }
    Err(failed(format!(
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

fn failed(why: String) -> StartError {
    StartError::Failed(why)
}

fn shell_line(program: &Path, args: &[String]) -> String {
    std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .map(|word| quote(&word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Single-quotes a word for `sh`.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(
            shell_line(
                Path::new("/x/pg_ctl"),
                &["-D".to_owned(), "/t d".to_owned()]
            ),
            "'/x/pg_ctl' '-D' '/t d'"
        );
    }

    #[test]
    fn passwords_are_random_hex() {
        let first = random_password().unwrap();
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()), "{first}");
        assert_ne!(first, random_password().unwrap());
    }

    #[test]
    fn runuser_lines_name_the_service_user() {
        let runner = Runner::Runuser(PathBuf::from("/sbin/runuser"));
        assert_eq!(
            runner.shell_line(Path::new("/b/pg_ctl"), &["stop".to_owned()]),
            "'/sbin/runuser' -u postgres -- '/b/pg_ctl' 'stop'"
        );
    }
}

//! A backing store that goes away in the middle of traffic: the metadata
//! store (a private PostgreSQL, started and stopped by this test, never the
//! machine's shared server) is stopped under a running service. Every request
//! then answers 503 `UNAVAILABLE` with `Retry-After` within a bounded time —
//! never a 500, never a hang — `/readyz` turns 503, and when PostgreSQL comes
//! back on the same port the service recovers by itself, with no restart.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::outage::{Outage, free_port};
use crate::support::{images, spawn_with};

/// A store that is down must be reported well within this.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// How long the service may take to notice that the store is back.
const RECOVER_WITHIN: Duration = Duration::from_secs(15);
const OUTAGE: Outage = Outage {
    answer_within: ANSWER_WITHIN,
    recover_within: RECOVER_WITHIN,
};

/// A throwaway PostgreSQL cluster on its own port and socket directory,
/// stopped (and its files removed) when dropped, even if the test panics.
struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// PostgreSQL refuses to run as root: then every command runs as `postgres`.
    as_postgres: bool,
}

impl PrivatePostgres {
    fn start() -> Self {
        let bin = postgres_bin();
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = running_as_root();
        if as_postgres {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(dir.path()));
        }
        let port = free_port();
        let pg = Self {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = pg.data();
        pg.run_tool("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "--no-sync"])
        });
        pg.pg_ctl_start();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// (Re)starts the server on the same port; waits until it accepts connections.
    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let (data, log) = (self.data(), self.dir.path().join("postgres.log"));
        self.run_tool("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(&options)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "30", "start"])
        });
    }

    /// Stops the server the way an operator or a failover would (`-m fast`:
    /// open sessions are terminated, not waited for).
    fn stop(&self) {
        let data = self.data();
        self.run_tool("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-m", "fast", "-w", "-t", "30", "stop"])
        });
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn run_tool(&self, tool: &str, args: impl FnOnce(&mut Command) -> &mut Command) {
        let mut command = self.command(tool);
        args(&mut command);
        let output = run(&mut command);
        assert!(
            output.status.success(),
            "{tool} failed ({}):\n{}\n{}\nserver log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        // Whatever state the test left it in; an already stopped server just
        // makes pg_ctl say so.
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "-t", "30", "stop"])
            .output();
    }
}

/// `initdb` and `pg_ctl`: `IMAGE_SERVICE_TEST_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else `$PATH`.
fn postgres_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("IMAGE_SERVICE_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return bin;
    }
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "PostgreSQL's initdb and pg_ctl were not found (looked in /usr/lib/postgresql/*/bin \
             and $PATH; set IMAGE_SERVICE_TEST_PG_BIN to their directory): this test runs \
             its own private PostgreSQL and cannot run without them"
        )
    })
}

fn running_as_root() -> bool {
    let output = run(Command::new("id").arg("-u"));
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", command.get_program()))
}

#[tokio::test]
async fn a_metadata_store_that_stops_mid_traffic_gives_503_and_the_service_recovers_by_itself() {
    let pg = PrivatePostgres::start();
    let url = pg.url();
    let app = spawn_with(&[("IMAGE_SERVICE_METADATA_URL", url.as_str())]).await;
    let token = app.token("fault-user");
    let image = app.upload_ok(&token, &[("title", "before")]).await;
    let id = image["id"].as_str().expect("image id").to_owned();
    let path = format!("/images/{id}");
    let readyz = || app.client.get(app.url("/readyz"));
    assert_eq!(OUTAGE.status_of(readyz()).await, Some(200));

    pg.stop();

    OUTAGE
        .assert_unavailable(&app, "GET /images", app.get("/images", &token))
        .await;
    OUTAGE
        .assert_unavailable(&app, "GET /images/{id}", app.get(&path, &token))
        .await;
    OUTAGE
        .assert_unavailable(
            &app,
            "PATCH /images/{id}",
            app.patch_json(
                &path,
                &token,
                json!({ "title": "during", "version": image["version"] }),
            ),
        )
        .await;
    OUTAGE
        .assert_unavailable(
            &app,
            "POST /images",
            app.upload_request(&token, images::jpeg(64, 48), "image/jpeg", &[]),
        )
        .await;
    OUTAGE
        .assert_unavailable(&app, "GET /readyz", readyz())
        .await;

    pg.pg_ctl_start();

    // The same process, its pool reconnecting on its own.
    OUTAGE
        .wait_for_status(&app, "GET /readyz", 200, readyz)
        .await;
    OUTAGE
        .wait_for_status(&app, "GET /images/{id}", 200, || app.get(&path, &token))
        .await;
    let response = app.get(&path, &token).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["title"], "before",
        "the image survived the outage: {body}"
    );
    let response = app
        .patch_json(
            &path,
            &token,
            json!({ "title": "after", "version": body["version"] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "writes work again");
    let again = app
        .upload_ok(&token, &[("title", "after the outage")])
        .await;
    assert!(again["id"].is_string());
    drop(app);
    drop(pg);
}

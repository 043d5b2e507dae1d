//! A throwaway `redis-server` per test: started from `FOVEA_REDIS_SERVER` or `redis-server` on
//! the PATH, on a free loopback port, with AOF on (`appendfsync always`) in a temporary
//! directory, so a test can kill it and start it again with its data. Without the binary
//! the test is skipped, or fails when `FOVEA_REQUIRE_SERVICES=1` (scripts/test sets it).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct RedisServer {
    child: Option<Child>,
    bin: PathBuf,
    pub port: u16,
    dir: tempfile::TempDir,
    persistent: bool,
}

fn binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("FOVEA_REDIS_SERVER") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("redis-server"))
            .find(|p| p.is_file())
    })
}

impl RedisServer {
    /// A fresh server, or `None` (test skipped) when there is no `redis-server`.
    pub fn start() -> Option<RedisServer> {
        Self::start_with(true)
    }

    /// A fresh server that keeps nothing on disk (AOF and snapshots off, as Redis is often
    /// run): a restart empties it.
    pub fn start_ephemeral() -> Option<RedisServer> {
        Self::start_with(false)
    }

    fn start_with(persistent: bool) -> Option<RedisServer> {
        let Some(bin) = binary() else {
            if std::env::var("FOVEA_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!(
                    "no redis-server binary (FOVEA_REDIS_SERVER or PATH), and scripts/test requires Redis"
                );
            }
            eprintln!("skipping: no redis-server binary");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = RedisServer {
            child: None,
            bin,
            port,
            dir: tempfile::tempdir().unwrap(),
            persistent,
        };
        server.spawn();
        Some(server)
    }

    fn spawn(&mut self) {
        let mut child = Command::new(&self.bin)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--appendonly", if self.persistent { "yes" } else { "no" }])
            .args(["--appendfsync", "always", "--save", ""])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut log = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let ready = line.contains("Ready to accept connections");
            log.push(line);
            if ready {
                // Keep reading its log so the server never writes into a closed pipe.
                std::thread::spawn(move || lines.for_each(drop));
                self.child = Some(child);
                return;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not start:\n{}", log.join("\n"));
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: the server dies without a word (AOF keeps what was acknowledged).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port and data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

//! The hostile-input suite (`testdata/hostile/cases.json`) through the command line: each case's
//! operations run as `fovea` processes in a folder of their own, checking the exit status, the
//! error code and the texts the report must hold, that nothing is left behind (no temporary
//! file, no store or output where the command failed) and, for the memory cases, the peak RSS
//! of a process limited with `ulimit -v`. The Python and Node suites run the same cases.

#[allow(dead_code)]
mod common;

use common::testdata;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one run of a command gave.
struct Run {
    code: Option<i32>,
    text: String,
    peak_rss_kb: u64,
}

/// The high-water mark of a process's resident memory (`VmHWM`), in kB: its own since it
/// started the program (getrusage would also count what it shared with this test process
/// when forked). `None` once it has exited.
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Runs `fovea ARGS` in `dir`, under `ulimit -v` when `virtual_mb` is given, sampling its
/// memory high-water mark (monotone, so the last sample is its peak up to then) until it
/// exits.
fn run(dir: &Path, args: &[String], virtual_mb: Option<u64>) -> Run {
    let bin = env!("CARGO_BIN_EXE_fovea");
    let mut cmd = match virtual_mb {
        Some(mb) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mb * 1024))
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let out_path = dir.join(".run-output");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let mut peak_rss_kb = 0;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(child.id()) {
            peak_rss_kb = peak_rss_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let text = String::from_utf8_lossy(&std::fs::read(&out_path).unwrap()).into_owned();
    std::fs::remove_file(&out_path).unwrap();
    Run {
        code: status.code(),
        text,
        peak_rss_kb,
    }
}

/// A fresh Postgres database with FOVEA's tables, when the test server is set.
fn postgres(case: &str) -> Option<String> {
    let server = match std::env::var("FOVEA_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("FOVEA_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("FOVEA_TEST_DATABASE_URL is not set, and scripts/test requires Postgres")
        }
        _ => return None,
    };
    let name = format!(
        "fovea_hostile_{}_{}",
        case.replace('-', "_"),
        std::process::id()
    );
    let psql = |sql: &str| {
        assert!(
            Command::new("psql")
                .args([&server, "-qc", sql])
                .status()
                .unwrap()
                .success()
        )
    };
    psql(&format!("CREATE DATABASE \"{name}\""));
    let (base, _) = server.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let dir = std::env::temp_dir();
    let migrated = run(
        &dir,
        &["db".into(), "migrate".into(), "--db".into(), url.clone()],
        None,
    );
    assert_eq!(migrated.code, Some(0), "{}", migrated.text);
    Some(url)
}

/// Drops a database [`postgres`] made (connected through the test server's URL).
fn drop_database(url: &str) {
    let server = std::env::var("FOVEA_TEST_DATABASE_URL").unwrap();
    let (_, name) = url.rsplit_once('/').unwrap();
    let sql = format!("DROP DATABASE \"{name}\" WITH (FORCE)");
    let status = Command::new("psql")
        .args([&server, "-qc", &sql])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The case's input in `dir`: its file copied, generated from its parts, or a folder.
fn input(case: &Value, dir: &Path) -> PathBuf {
    if let Some(file) = case["file"].as_str() {
        let path = dir.join(file);
        std::fs::copy(testdata(&format!("hostile/{file}")), &path).unwrap();
        return path;
    }
    let path = dir.join("input");
    if case["folder"] == true {
        std::fs::create_dir(&path).unwrap();
        return path;
    }
    let mut text = Vec::new();
    for part in case["make"].as_array().expect("file, folder or make") {
        let piece = part[0].as_str().unwrap().as_bytes();
        for _ in 0..part[1].as_u64().unwrap() {
            text.extend_from_slice(piece);
        }
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The arguments of `op` on `input`, and the files it may leave in the folder when it does
/// not fail with exit status 2.
fn command(
    op: &str,
    input: &str,
    options: &str,
    db: Option<&str>,
) -> Option<(Vec<String>, Vec<&'static str>)> {
    let v = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    Some(match op {
        "validate" => (v(&["validate", input]), vec![]),
        "stats" => (v(&["stats", input]), vec![]),
        "preview" => (v(&["preview", input]), vec![]),
        "merge" => (
            v(&[
                "merge",
                "existing.jsonl",
                input,
                "--options",
                options,
                "-o",
                "out.jsonl",
            ]),
            vec!["out.jsonl"],
        ),
        "import" => (
            v(&[
                "import",
                input,
                "--options",
                options,
                "--db",
                "sqlite://store.db",
            ]),
            vec!["store.db", "store.db-wal", "store.db-shm"],
        ),
        "import-postgres" => (
            v(&["import", input, "--options", options, "--db", db?]),
            vec![],
        ),
        "export" => (v(&["export", input, "-o", "out.jsonl"]), vec!["out.jsonl"]),
        "export-interpolated" => (
            v(&["export", input, "--mode", "interpolated", "-o", "out.jsonl"]),
            vec!["out.jsonl"],
        ),
        "track" => (v(&["track", "--simulate", input]), vec![]),
        // The bindings' object interpolation; the command line streams every frame instead.
        "interpolate" => return None,
        other => panic!("unknown operation {other}"),
    })
}

#[test]
fn hostile_inputs_get_honest_exit_statuses_and_leave_nothing_behind() {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("hostile/cases.json")).unwrap())
            .unwrap();
    let options = serde_json::to_string(&manifest["importOptions"]).unwrap();
    let root = std::env::temp_dir().join(format!("fovea-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut checked = 0;
    for case in manifest["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let db = case["expect"]
            .get("import-postgres")
            .and_then(|_| postgres(name));
        for (op, expect) in case["expect"].as_object().unwrap() {
            let dir = root.join(format!("{name}-{op}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("existing.jsonl"), b"").unwrap();
            let path = input(case, &dir);
            let file = path.file_name().unwrap().to_str().unwrap().to_owned();
            let Some((args, outputs)) = command(op, &file, &options, db.as_deref()) else {
                continue;
            };
            let before = entries(&dir);
            let memory = &expect["memory"];
            let run = run(&dir, &args, memory["virtualMb"].as_u64());
            let what = format!("{name}: fovea {}", args.join(" "));
            let shown = &run.text[..run.text.len().min(2000)];
            let exit = expect["exit"].as_i64().unwrap() as i32;
            assert_eq!(run.code, Some(exit), "{what}\n{shown}");
            if let Some(code) = expect["code"].as_str() {
                assert!(
                    run.text.contains(&format!("error[{code}]")),
                    "{what}: no error[{code}]\n{shown}"
                );
            }
            for m in expect["mentions"].as_array().into_iter().flatten() {
                // A list is alternatives: one must be there.
                let alternatives: Vec<&str> = match m.as_array() {
                    Some(list) => list.iter().map(|a| a.as_str().unwrap()).collect(),
                    None => vec![m.as_str().unwrap()],
                };
                assert!(
                    alternatives.iter().any(|a| run.text.contains(a)),
                    "{what}: {m} not mentioned\n{shown}"
                );
            }
            if let Some(limit) = memory["peakRssMb"].as_u64() {
                let mb = run.peak_rss_kb / 1024;
                eprintln!("{what}: peak RSS {mb} MB (limit {limit} MB)");
                assert!(
                    mb <= limit,
                    "{what}: peak RSS {mb} MB, more than {limit} MB"
                );
            }
            // Nothing but what the command writes on success: no temporary file, and no
            // store or output when it could not read its input.
            let after = entries(&dir);
            let new: Vec<&String> = after.difference(&before).collect();
            let allowed = |f: &String| exit != 2 && outputs.contains(&f.as_str());
            assert!(new.iter().all(|f| allowed(f)), "{what}: left {new:?}");
            checked += 1;
        }
        if let Some(url) = db {
            drop_database(&url);
        }
    }
    std::fs::remove_dir_all(&root).unwrap();
    assert!(checked >= 30, "only {checked} operations ran");
}

/// How far the process has written into an unnamed file in `dir` (a staged output), if it has
/// one open: the position its descriptor's `fdinfo` reports.
#[cfg(target_os = "linux")]
fn staged_bytes(pid: u32, dir: &Path) -> Option<u64> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    for fd in fds.flatten() {
        let Ok(target) = std::fs::read_link(fd.path()) else {
            continue;
        };
        let unnamed = target.starts_with(dir) && target.to_string_lossy().ends_with("(deleted)");
        if unnamed {
            let info = std::fs::read_to_string(format!(
                "/proc/{pid}/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ))
            .ok()?;
            let pos = info.lines().find_map(|l| l.strip_prefix("pos:"))?;
            return pos.trim().parse().ok();
        }
    }
    None
}

#[cfg(target_os = "linux")]
#[test]
fn an_export_killed_while_writing_leaves_no_file() {
    let dir = std::env::temp_dir().join(format!("fovea-hostile-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(testdata("hostile/span-2m.jsonl"), dir.join("in.jsonl")).unwrap();
    std::fs::write(dir.join("out.jsonl"), b"previous\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fovea"))
        .args([
            "export",
            "in.jsonl",
            "--mode",
            "interpolated",
            "-o",
            "out.jsonl",
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (polling the process's descriptors) until a megabyte is written, then kill it.
    let dir = dir.canonicalize().unwrap();
    let started = std::time::Instant::now();
    loop {
        if staged_bytes(child.id(), &dir).is_some_and(|n| n >= 1 << 20) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the export ended before it was killed"
        );
        assert!(
            started.elapsed().as_secs() < 60,
            "the export never wrote a megabyte"
        );
        std::thread::yield_now();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        entries(&dir),
        BTreeSet::from(["in.jsonl".to_owned(), "out.jsonl".to_owned()])
    );
    assert_eq!(std::fs::read(dir.join("out.jsonl")).unwrap(), b"previous\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

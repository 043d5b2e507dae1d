//! A 1 GiB JSON Lines file is read and validated in bounded memory. The file is generated on
//! the fly by a `Read` implementation, so the test needs no disk space.
//!
//! Ignored by default (it takes seconds in release, minutes in debug); `scripts/test` runs it
//! with `cargo test --release -p fovea-core --test big_file -- --ignored`.

use fovea_core::interp::InterpOptions;
use fovea_core::jsonl::{ExportMode, Reader, Writer};
use fovea_core::validate::{ValidateOptions, validate_reader};
use std::io::{BufReader, Read};

/// Synthetic annotation lines, each with its own id, until `limit` bytes have been produced.
struct Generated {
    line: Vec<u8>,
    pos: usize,
    produced: u64,
    limit: u64,
    n: usize,
}

impl Generated {
    fn refill(&mut self) {
        self.n += 1;
        let mut w = Writer::new(Vec::new());
        let a = fovea_core::synth::annotation(self.n, 5);
        w.write_annotation(&a, ExportMode::Keyframes, &InterpOptions::default())
            .unwrap();
        self.line = w.into_inner().unwrap();
        self.pos = 0;
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.produced >= self.limit {
            return Ok(0);
        }
        if self.pos == self.line.len() {
            self.refill();
        }
        let n = buf.len().min(self.line.len() - self.pos);
        buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        self.produced += n as u64;
        Ok(n)
    }
}

/// Peak resident set size of this process in KiB (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
#[ignore = "reads 1 GiB; run in release (scripts/test does)"]
fn one_gibibyte_in_bounded_memory() {
    let before = peak_rss_kib();
    let source = Generated {
        line: Vec::new(),
        pos: 0,
        produced: 0,
        limit: 1 << 30,
        n: 0,
    };
    let reader = Reader::new(BufReader::with_capacity(1 << 16, source));
    let report = validate_reader(
        reader,
        &ValidateOptions::default(),
        &Default::default(),
        100,
    );
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(report.valid, "{:?}", report.errors.first());
    assert!(report.lines > 800_000, "{} lines", report.lines);
    assert!(
        grown_mib < 64,
        "peak memory grew by {grown_mib} MiB reading 1 GiB"
    );
    eprintln!(
        "read {} lines (1 GiB); peak memory grew by {grown_mib} MiB",
        report.lines
    );
}

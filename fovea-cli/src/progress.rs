//! A progress bar on stderr for large inputs: shown only when stderr is a terminal and the
//! file is larger than 8 MiB, redrawn at most every 200 ms.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// A reader that reports how much of a file it has read.
pub struct Progress<R> {
    inner: R,
    label: String,
    total: u64,
    read: u64,
    shown: bool,
    last: Instant,
}

const MIN_SIZE: u64 = 8 << 20;

impl<R: Read> Progress<R> {
    fn draw(&mut self, done: bool) {
        let pct = if self.total == 0 {
            100.0
        } else {
            self.read as f64 * 100.0 / self.total as f64
        };
        let filled = (pct / 5.0) as usize;
        let bar: String = "#".repeat(filled.min(20)) + &"-".repeat(20 - filled.min(20));
        let mut err = io::stderr().lock();
        // Progress output is best effort: a closed stderr must not fail the command.
        let _ = write!(
            err,
            "\r{} [{bar}] {pct:5.1}% of {} MB",
            self.label,
            self.total >> 20
        );
        if done {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.shown && (n == 0 || self.last.elapsed() > Duration::from_millis(200)) {
            self.last = Instant::now();
            self.draw(n == 0);
            if n == 0 {
                self.shown = false;
            }
        }
        Ok(n)
    }
}

/// Opens `path` for reading, with a progress bar labelled `label` when it is worth showing.
pub fn open(path: &Path, label: &str) -> io::Result<Progress<File>> {
    let file = File::open(path)?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Progress {
        inner: file,
        label: label.to_owned(),
        total,
        read: 0,
        shown: total > MIN_SIZE && io::stderr().is_terminal(),
        last: Instant::now(),
    })
}

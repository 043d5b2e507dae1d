//! A progress bar on stderr for large inputs: shown only when stderr is a terminal and the
//! operation reads more than 8 MiB, redrawn at most every 200 ms. The operation's files
//! report their reads to a hook that draws the bar.

use fovea_core::ops::Files;
use fovea_core::watch::Hook;
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

const MIN_SIZE: u64 = 8 << 20;

/// What the bar has shown so far.
struct Bar {
    label: String,
    total: u64,
    read: u64,
    last: Instant,
    finished: bool,
}

impl Bar {
    fn advance(&mut self, n: u64) {
        if self.finished {
            return;
        }
        self.read += n;
        let done = n == 0 || self.read >= self.total;
        self.finished = done;
        if done || self.last.elapsed() > Duration::from_millis(200) {
            self.last = Instant::now();
            self.draw(done);
        }
    }

    fn draw(&self, done: bool) {
        let pct = if self.total == 0 {
            100.0
        } else {
            (self.read as f64 * 100.0 / self.total as f64).min(100.0)
        };
        let filled = ((pct / 5.0) as usize).min(20);
        let bar: String = "#".repeat(filled) + &"-".repeat(20 - filled);
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

/// The files of an operation reading `total` bytes, with a progress bar labelled `label` when
/// it is worth showing.
pub fn files(label: &str, total: u64) -> Files {
    let hook = (total > MIN_SIZE && io::stderr().is_terminal()).then(|| {
        let bar = Mutex::new(Bar {
            label: label.to_owned(),
            total,
            read: 0,
            last: Instant::now(),
            finished: false,
        });
        let hook: Hook = Arc::new(move |n| {
            bar.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .advance(n);
            Ok(())
        });
        hook
    });
    Files::new(hook)
}

//! The files of one operation: opened, read and written under watch, so that every front end
//! gets the same progress, stopping and I/O-failure rules.
//!
//! * Reads report their bytes to the [`Hook`] (a progress bar, a Python callback that also
//!   checks for Ctrl-C); an error the hook returns stops the read.
//! * A stop flag (an `AbortSignal` in Node) is checked on every read and write of a file, so a
//!   running operation stops within one buffer (64 KiB).
//! * The first read failure is kept: the core's readers count a line that fails to read and may
//!   go on, but an operation over files must fail with the I/O error instead
//!   ([`Files::check`]).
//! * Files are written through a [`StagedFile`] renamed into place once complete, so a failure
//!   or a stop never leaves a half-written destination.

use crate::error::{Error, Result};
use crate::jsonl::{ReadOptions, Reader};
use crate::staged::StagedFile;
use crate::watch::Hook;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Buffer size of file readers and writers (and so the granularity of stopping).
pub const BUFFER: usize = 1 << 16;

/// A JSON Lines reader over a file of an operation.
pub type FileReader = Reader<BufReader<Tracked<File>>>;

/// A buffered writer into a file of an operation.
pub type FileWriter = BufWriter<Tracked<File>>;

/// The files of one operation (cheap to clone: clones share the stop flag and the failure).
#[derive(Clone, Default)]
pub struct Files {
    hook: Option<Hook>,
    stop: Arc<AtomicBool>,
    failure: Arc<Mutex<Option<Error>>>,
}

/// A file of an operation, reading or writing.
pub struct Tracked<T> {
    inner: T,
    path: Arc<Path>,
    files: Files,
    /// Bytes read and not yet reported to the hook.
    unreported: u64,
}

fn stopped() -> io::Error {
    io::Error::other("the operation was stopped")
}

impl Files {
    /// Files whose reads report to `hook` when given.
    pub fn new(hook: Option<Hook>) -> Self {
        Files {
            hook,
            ..Default::default()
        }
    }

    /// These files, stopped when `flag` is set (a flag the caller already holds, such as the
    /// one an `AbortSignal` sets).
    pub fn with_stop_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.stop = flag;
        self
    }

    /// The flag that stops the operation when set (from any thread).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Whether the operation was stopped.
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Opens `path` for reading as JSON Lines (a directory is refused here, see
    /// [`crate::jsonl::open_file`]).
    pub fn open(&self, path: &Path, opts: ReadOptions) -> Result<FileReader> {
        self.check()?;
        let file = crate::jsonl::open_file(path)
            .map_err(|e| Error::io(format_args!("cannot read {}", path.display()), &e))?;
        Ok(Reader::with_options(
            BufReader::with_capacity(BUFFER, self.track(file, path)),
            opts,
        ))
    }

    /// The size of the file at `path`, 0 when it cannot be read (for progress totals).
    pub fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    /// The first read failure, else an error when the operation was stopped.
    pub fn check(&self) -> Result<()> {
        let failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = failure.as_ref() {
            return Err(e.clone());
        }
        if self.is_stopped() {
            return Err(stopped().into());
        }
        Ok(())
    }

    /// Writes `dest` through a temporary file in its folder, synced and renamed into place once
    /// complete. `write` gets a buffered writer and returns it with its result. A read failure or
    /// a stop seen before the rename fails the operation and removes the temporary file.
    pub fn write_atomically<T>(
        &self,
        dest: &Path,
        write: impl FnOnce(FileWriter) -> Result<(FileWriter, T)>,
    ) -> Result<T> {
        self.check()?;
        let failed = |e: &io::Error| Error::io(format_args!("cannot write {}", dest.display()), e);
        let (stage, file) = StagedFile::create(dest).map_err(|e| failed(&e))?;
        let (w, t) = write(BufWriter::with_capacity(BUFFER, self.track(file, dest)))?;
        let file = w.into_inner().map_err(|e| failed(e.error()))?.inner;
        self.check()?;
        stage.commit(file).map_err(|e| failed(&e))?;
        Ok(t)
    }

    fn track<T>(&self, inner: T, path: &Path) -> Tracked<T> {
        Tracked {
            inner,
            path: path.into(),
            files: self.clone(),
            unreported: 0,
        }
    }

    fn fail(&self, e: Error) {
        let mut slot = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(e);
    }
}

impl<R: Read> Read for Tracked<R> {
    /// O(1) besides the read: the hook is called once per [`crate::watch::REPORT_EVERY`] bytes
    /// and at the end of the file.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.files.is_stopped() {
            return Err(stopped());
        }
        let n = self.inner.read(buf).inspect_err(|e| {
            let what = format_args!("cannot read {}", self.path.display());
            self.files.fail(Error::io(what, e));
        })?;
        self.unreported += n as u64;
        if let Some(hook) = &self.files.hook
            && (n == 0 || self.unreported >= crate::watch::REPORT_EVERY)
            && self.unreported > 0
        {
            let done = std::mem::take(&mut self.unreported);
            hook(done).inspect_err(|e| {
                let what = format_args!("reading {}", self.path.display());
                self.files.fail(Error::io(what, e));
            })?;
        }
        Ok(n)
    }
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.files.is_stopped() {
            return Err(stopped());
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn reads_report_to_the_hook_and_a_stop_ends_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let line = "{\"type\":\"video\",\"data\":{\"id\":\"v\"}}\n";
        std::fs::write(&path, line.repeat(20_000)).unwrap();
        let seen = Arc::new(AtomicU64::new(0));
        let counter = seen.clone();
        let files = Files::new(Some(Arc::new(move |n| {
            counter.fetch_add(n, Ordering::Relaxed);
            Ok(())
        })));
        let records = files.open(&path, ReadOptions::default()).unwrap().count();
        assert_eq!(records, 20_000);
        assert_eq!(seen.load(Ordering::Relaxed), Files::size(&path));
        files.check().unwrap();

        files.stop_flag().store(true, Ordering::Relaxed);
        assert!(files.open(&path, ReadOptions::default()).is_err());
        let out = dir.path().join("out.jsonl");
        assert!(files.write_atomically(&out, |w| Ok((w, ()))).is_err());
        assert!(!out.exists(), "nothing is written once stopped");
    }

    #[test]
    fn a_missing_file_keeps_its_kind_and_a_hook_error_stops_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = Files::default()
            .open(&dir.path().join("missing.jsonl"), ReadOptions::default())
            .err()
            .unwrap();
        assert_eq!(e.io_kind().map(|k| k.0), Some(io::ErrorKind::NotFound));
        assert!(e.to_string().contains("cannot read "), "{e}");

        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, "x\n".repeat(300_000)).unwrap();
        let files = Files::new(Some(Arc::new(|_| Err(io::Error::other("interrupted")))));
        let mut reader = files.open(&path, ReadOptions::default()).unwrap();
        let failed = reader
            .by_ref()
            .find(|item| item.as_ref().is_err_and(Error::is_io));
        assert!(
            failed.is_some(),
            "the hook's error ends the read as an I/O failure"
        );
    }

    #[test]
    fn the_destination_appears_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let files = Files::default();
        let failed: Result<()> = files.write_atomically(&out, |mut w| {
            w.write_all(b"partial").unwrap();
            Err(Error::UnrecognisedInput {
                message: "fails half-way".into(),
            })
        });
        assert!(failed.is_err() && !out.exists());
        files
            .write_atomically(&out, |mut w| {
                w.write_all(b"done\n").unwrap();
                Ok((w, ()))
            })
            .unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "done\n");
    }
}

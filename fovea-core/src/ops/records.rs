//! Reading a JSON Lines file record by record, in batches, with one policy for the lines that
//! cannot be read: the engine of Python's `read_jsonl` and Node's `readJsonl`, which only turn
//! records into host objects and errors into host exceptions.

use super::files::{FileReader, Files};
use crate::error::{Error, Result};
use crate::jsonl::{LineData, LineNumbering, ReadOptions, Record};
use serde::Serialize;
use std::path::Path;

/// What a reader does with a line that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// The batch stops at the line and hands its error over (the default); reading may go on
    /// after it.
    #[default]
    Raise,
    /// The line is left out.
    Skip,
    /// The line is left out and its error handed over in its place ([`Read::Skipped`]), so
    /// a host keeps the errors in step with the records.
    Collect,
}

impl OnError {
    /// `raise` (or Node's `throw`), `skip` or `collect`.
    pub fn parse(name: &str, option: &'static str) -> Result<Self> {
        match name {
            "raise" | "throw" => Ok(OnError::Raise),
            "skip" => Ok(OnError::Skip),
            "collect" => Ok(OnError::Collect),
            other => Err(Error::InvalidOption {
                option,
                value: other.to_owned(),
                expected: "raise (or throw), skip, collect",
            }),
        }
    }
}

/// `physical` (every line counted) or `non-blank` (Node's `nonBlank`: blank lines not counted,
/// as FOVEA's importer numbers them).
pub fn line_numbering(name: &str, option: &'static str) -> Result<LineNumbering> {
    match name {
        "physical" => Ok(LineNumbering::Physical),
        "non-blank" | "nonBlank" => Ok(LineNumbering::NonBlank),
        other => Err(Error::InvalidOption {
            option,
            value: other.to_owned(),
            expected: "physical, non-blank (or nonBlank)",
        }),
    }
}

/// A record as the readers hand it to their host: `{line, type, data}`.
#[derive(Debug, Serialize)]
pub struct RecordOut<'a> {
    /// The record's line.
    pub line: usize,
    /// Its type and data.
    #[serde(flatten)]
    pub data: &'a LineData,
}

impl<'a> RecordOut<'a> {
    /// The host shape of `record`.
    pub fn of(record: &'a Record) -> Self {
        RecordOut {
            line: record.line,
            data: &record.data,
        }
    }
}

/// What a batch hands over, in line order.
// A record is large and an error small; a record is handed over by value once, so boxing it
// would only add an allocation per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Read {
    /// A record.
    Record(Record),
    /// A line left out under [`OnError::Collect`], with its error.
    Skipped(Error),
}

/// The records of a file, read a batch at a time.
pub struct RecordBatches {
    reader: Option<FileReader>,
    on_error: OnError,
}

impl RecordBatches {
    /// Opens the file at `path` (an unreadable file is an `io` error here).
    pub fn open(files: &Files, path: &Path, opts: ReadOptions, on_error: OnError) -> Result<Self> {
        Ok(RecordBatches {
            reader: Some(files.open(path, opts)?),
            on_error,
        })
    }

    /// Reads up to `max_records` records, or until `max_bytes` of input have been read, handing
    /// each (and each collected error) to `each`. Returns the error that stopped the batch, if any: under
    /// [`OnError::Raise`] a line's (the next batch goes on after it), or an I/O failure (which
    /// ends the file: nothing past it can be read). An error `each` returns stops the batch
    /// too. O(records read).
    pub fn next_batch(
        &mut self,
        max_records: usize,
        max_bytes: u64,
        mut each: impl FnMut(Read) -> Result<()>,
    ) -> Option<Error> {
        let reader = self.reader.as_mut()?;
        let start = reader.bytes_read();
        let mut count = 0;
        while count < max_records && reader.bytes_read() - start < max_bytes {
            let Some(item) = reader.next() else {
                self.reader = None;
                return None;
            };
            match item {
                Ok(record) => {
                    let line = record.line;
                    if let Err(e) = each(Read::Record(record)) {
                        return Some(e.at_line(line));
                    }
                    count += 1;
                }
                Err(e) if e.is_io() => {
                    self.reader = None;
                    return Some(e);
                }
                Err(e) => match self.on_error {
                    OnError::Raise => return Some(e),
                    OnError::Skip => {}
                    OnError::Collect => {
                        if let Err(failed) = each(Read::Skipped(e)) {
                            return Some(failed);
                        }
                    }
                },
            }
        }
        None
    }

    /// Whether the file has been read to its end (or closed, or failed).
    pub fn is_done(&self) -> bool {
        self.reader.is_none()
    }

    /// Closes the file.
    pub fn close(&mut self) {
        self.reader = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const TEXT: &str = "{\"type\":\"video\",\"data\":{\"id\":\"v1\"}}\n{bad\n{\"type\":\"video\",\"data\":{\"id\":\"v2\"}}\n";

    fn read_all(path: &Path, on_error: OnError) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
        let mut batches =
            RecordBatches::open(&Files::default(), path, ReadOptions::default(), on_error).unwrap();
        let (mut lines, mut stops, mut collected) = (Vec::new(), Vec::new(), Vec::new());
        while !batches.is_done() {
            if let Some(e) = batches.next_batch(1, u64::MAX, |read| {
                match read {
                    Read::Record(r) => lines.push(r.line),
                    Read::Skipped(e) => collected.push(e.line().unwrap()),
                }
                Ok(())
            }) {
                stops.push(e.line().unwrap());
            }
        }
        (lines, stops, collected)
    }

    #[test]
    fn each_policy_reads_every_readable_record() {
        let (_dir, path) = file(TEXT);
        assert_eq!(
            read_all(&path, OnError::Raise),
            (vec![1, 3], vec![2], vec![])
        );
        assert_eq!(read_all(&path, OnError::Skip), (vec![1, 3], vec![], vec![]));
        assert_eq!(
            read_all(&path, OnError::Collect),
            (vec![1, 3], vec![], vec![2])
        );
    }

    #[test]
    fn names_of_the_policies_and_numberings() {
        assert_eq!(OnError::parse("throw", "onError").unwrap(), OnError::Raise);
        assert_eq!(
            OnError::parse("collect", "on_error").unwrap(),
            OnError::Collect
        );
        let e = OnError::parse("ignore", "on_error").unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().contains("on_error")),
            ("invalid-option", true)
        );
        assert_eq!(
            line_numbering("nonBlank", "x").unwrap(),
            LineNumbering::NonBlank
        );
        assert_eq!(
            line_numbering("non-blank", "x").unwrap(),
            LineNumbering::NonBlank
        );
        assert!(line_numbering("blank", "x").is_err());
    }

    #[test]
    fn a_host_failure_stops_the_batch_at_its_line() {
        let (_dir, path) = file(TEXT);
        let mut batches = RecordBatches::open(
            &Files::default(),
            &path,
            ReadOptions::default(),
            OnError::Skip,
        )
        .unwrap();
        let e = batches.next_batch(10, u64::MAX, |_| {
            Err(Error::UnrecognisedInput {
                message: "host refused".into(),
            })
        });
        assert_eq!(e.and_then(|e| e.line()), Some(1));
    }
}

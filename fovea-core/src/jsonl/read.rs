//! Streaming JSON Lines reader: one line in memory at a time, whatever the file size.
//!
//! Lines are numbered physically from 1 (blank lines are skipped but counted; FOVEA counts
//! only non-blank lines, which [`LineNumbering::NonBlank`] reproduces). `\r\n` endings are
//! accepted. A line longer than the limit is skipped without being held in memory. Every
//! problem is an [`Error::AtLine`]; reading goes on after it, so a caller can list them all.

use super::line::{LineData, LineKind};
use crate::error::{Error, Result};
use crate::model::raw::Borrowed;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::BufRead;

/// How lines are numbered in records and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineNumbering {
    /// Physical line numbers, 1-based, blank lines included (fovea's default).
    #[default]
    Physical,
    /// Only non-blank lines count (FOVEA's importer).
    NonBlank,
}

/// Options of the [`Reader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Longest accepted line in bytes (without the line ending). Default 64 MiB.
    pub max_line_bytes: usize,
    /// Numbering of lines.
    pub numbering: LineNumbering,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line_bytes: crate::limits::LINE_BYTES,
            numbering: LineNumbering::Physical,
        }
    }
}

/// One line of a JSON Lines file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Its line number (see [`LineNumbering`]).
    pub line: usize,
    /// Its data, typed by kind.
    pub data: LineData,
}

/// Reads records from a buffered reader, one line at a time.
///
/// ```
/// use fovea_core::jsonl::Reader;
/// let text = "{\"type\":\"video\",\"data\":{\"id\":\"v1\"}}\n\n{bad\n";
/// let items: Vec<_> = Reader::new(text.as_bytes()).collect();
/// assert_eq!(items[0].as_ref().unwrap().data.id(), Some("v1"));
/// let err = items[1].as_ref().unwrap_err();
/// assert_eq!((err.line(), err.code()), (Some(3), "invalid-json"));
/// ```
pub struct Reader<R> {
    input: R,
    opts: ReadOptions,
    buf: Vec<u8>,
    physical: usize,
    non_blank: usize,
    bytes_read: u64,
    done: bool,
}

/// What reading one physical line gave.
enum RawLine {
    Text,
    TooLong,
    End,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

impl<R: BufRead> Reader<R> {
    /// A reader with default options.
    pub fn new(input: R) -> Self {
        Self::with_options(input, ReadOptions::default())
    }

    /// A reader with the given options.
    pub fn with_options(input: R, opts: ReadOptions) -> Self {
        Reader {
            input,
            opts,
            buf: Vec::with_capacity(4096),
            physical: 0,
            non_blank: 0,
            bytes_read: 0,
            done: false,
        }
    }

    /// Bytes consumed so far (for progress reporting).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Appends the next physical line to `out` (without its `\n`), keeping at most
    /// `max_line_bytes` bytes of it in memory (none of a line over the limit).
    fn read_line(&mut self, out: &mut Vec<u8>) -> Result<RawLine> {
        let start = out.len();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(if any {
                    if too_long {
                        RawLine::TooLong
                    } else {
                        RawLine::Text
                    }
                } else {
                    RawLine::End
                });
            }
            any = true;
            let (part, found) = match memchr(chunk) {
                Some(i) => (&chunk[..i], Some(i)),
                None => (chunk, None),
            };
            if !too_long {
                if out.len() - start + part.len() > self.opts.max_line_bytes {
                    too_long = true;
                    out.truncate(start);
                } else {
                    out.extend_from_slice(part);
                }
            }
            let used = found.map_or(chunk.len(), |i| i + 1);
            self.input.consume(used);
            self.bytes_read += used as u64;
            if found.is_some() {
                return Ok(if too_long {
                    RawLine::TooLong
                } else {
                    RawLine::Text
                });
            }
        }
    }
}

/// Parses one line. Compact annotation lines are read by hand ([`super::fast`]); other lines
/// by serde in one pass, envelope and typed data together (when `type` precedes `data`, as
/// every writer here and FOVEA's emit it); any problem sends the line through the checked
/// path, which reports it precisely.
fn parse_line(text: &[u8]) -> Result<LineData> {
    let text = std::str::from_utf8(text).map_err(|e| Error::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    match super::fast::annotation_line(text) {
        Some(a) => Ok(LineData::Annotation(a)),
        None => parse_line_serde(text),
    }
}

/// Parses one line with serde: one pass, or the checked path when that fails.
pub(super) fn parse_line_serde(text: &str) -> Result<LineData> {
    match serde_json::from_str::<FastLine>(text) {
        Ok(FastLine(data)) => Ok(data),
        Err(_) => parse_line_checked(text),
    }
}

/// The two-pass parse with precise, located errors.
fn parse_line_checked(text: &str) -> Result<LineData> {
    {
        let env: Envelope<'_> = serde_json::from_str(text).map_err(|e| {
            if e.is_data() {
                Error::InvalidEnvelope {
                    message: "expected a JSON object".into(),
                }
            } else {
                crate::model::parse::json_error(&e)
            }
        })?;
        let kind = match env
            .kind
            .map(|k| serde_json::from_str::<Cow<'_, str>>(k.get()))
        {
            Some(Ok(k)) if !k.is_empty() => LineKind::parse(&k),
            Some(Ok(_)) | None => {
                return Err(Error::InvalidEnvelope {
                    message: "`type` is missing or empty".into(),
                });
            }
            Some(Err(_)) => {
                return Err(Error::InvalidEnvelope {
                    message: "`type` must be a string".into(),
                });
            }
        };
        let data = env.data.map(RawValue::get).unwrap_or("null");
        // FOVEA requires a truthy `data`: null, false, 0 and "" are not.
        if matches!(data, "null" | "false" | "0" | "\"\"" | "-0") {
            return Err(Error::InvalidEnvelope {
                message: format!("`data` is {data}"),
            });
        }
        LineData::parse(kind, data).map_err(|e| e.at_path("data"))
    }
}

/// Position of the first `\n` in `bytes`.
fn memchr(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

/// A line read in one pass: `type`, then `data` deserialised straight into its typed form.
/// Anything unusual (data before type, falsy data, a wrong type) fails, and the caller takes
/// the checked path.
struct FastLine(LineData);

impl<'de> Deserialize<'de> for FastLine {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FastLine;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON Lines record")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<FastLine, A::Error> {
                use serde::de::Error as _;
                let mut kind: Option<LineKind> = None;
                let mut data: Option<LineData> = None;
                while let Some(Borrowed(key)) = map.next_key()? {
                    match (key.as_ref(), &kind) {
                        ("type", None) => {
                            let Borrowed(k) = map.next_value()?;
                            if k.is_empty() {
                                return Err(A::Error::custom("empty type"));
                            }
                            kind = Some(LineKind::parse(&k));
                        }
                        ("data", Some(k)) if data.is_none() => {
                            data = Some(map.next_value_seed(DataSeed(k.clone()))?)
                        }
                        ("type" | "data", _) => return Err(A::Error::custom("unusual envelope")),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                data.map(FastLine)
                    .ok_or_else(|| A::Error::custom("no data"))
            }
        }
        d.deserialize_map(V)
    }
}

/// Deserialises a line's `data` as the type its kind names; refuses falsy values (FOVEA's
/// envelope rule) so that the checked path reports them.
struct DataSeed(LineKind);

impl<'de> serde::de::DeserializeSeed<'de> for DataSeed {
    type Value = LineData;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<LineData, D::Error> {
        use super::line::AnnotationRecord;
        use crate::model::{
            Entity, EntityCollection, Event, EventCollection, ExportMetadata, OntologyData,
            OntologyRelation, RawAnnotation, Time, TimeCollection, Video,
        };
        Ok(match self.0 {
            LineKind::Ontology => LineData::Ontology(OntologyData::deserialize(d)?),
            LineKind::Entity => LineData::Entity(Entity::deserialize(d)?),
            LineKind::Event => LineData::Event(Event::deserialize(d)?),
            LineKind::Time => LineData::Time(Time::deserialize(d)?),
            LineKind::EntityCollection => {
                LineData::EntityCollection(EntityCollection::deserialize(d)?)
            }
            LineKind::EventCollection => {
                LineData::EventCollection(EventCollection::deserialize(d)?)
            }
            LineKind::TimeCollection => LineData::TimeCollection(TimeCollection::deserialize(d)?),
            LineKind::Relation => LineData::Relation(OntologyRelation::deserialize(d)?),
            LineKind::Annotation => {
                LineData::Annotation(Box::new(AnnotationRecord(RawAnnotation::deserialize(d)?)))
            }
            LineKind::Video => LineData::Video(Video::deserialize(d)?),
            LineKind::Metadata => LineData::Metadata(ExportMetadata::deserialize(d)?),
            LineKind::Unknown(kind) => {
                let data = serde_json::Value::deserialize(d)?;
                let falsy = match &data {
                    serde_json::Value::Null => true,
                    serde_json::Value::Bool(b) => !b,
                    serde_json::Value::Number(n) => n.as_f64() == Some(0.0),
                    serde_json::Value::String(s) => s.is_empty(),
                    _ => false,
                };
                if falsy {
                    return Err(serde::de::Error::custom("falsy data"));
                }
                LineData::Unknown { kind, data }
            }
        })
    }
}

impl<R: BufRead> Reader<R> {
    /// The next record whose kind `keep` accepts. Lines written the usual way
    /// (`{"type":"…",…`) whose kind is refused are skipped without being parsed, which makes a
    /// pass that wants one kind of line cheap; other lines are parsed and returned whatever
    /// their kind (so errors are never lost).
    pub fn next_where(&mut self, keep: impl Fn(&LineKind) -> bool) -> Option<Result<Record>> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let found = self.next_line(&mut buf, keep);
        let parsed = found.map(|found| {
            let (line, too_long) = found?;
            parse_at(
                line,
                (!too_long).then_some(&buf[..]),
                self.opts.max_line_bytes,
            )
        });
        self.buf = buf;
        parsed
    }

    /// Moves to the next non-blank line whose kind `keep` accepts (or cannot be peeked); its text
    /// (without `\r\n`; empty when over the length limit) is appended to `out`. Returns its
    /// number and whether it was over the length limit.
    fn next_line(
        &mut self,
        out: &mut Vec<u8>,
        keep: impl Fn(&LineKind) -> bool,
    ) -> Option<Result<(usize, bool)>> {
        let start = out.len();
        while !self.done {
            out.truncate(start);
            let raw = match self.read_line(out) {
                Ok(raw) => raw,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.at_line(self.physical + 1)));
                }
            };
            if matches!(raw, RawLine::End) {
                self.done = true;
                break;
            }
            self.physical += 1;
            if out.len() > start && out.last() == Some(&b'\r') {
                out.pop();
            }
            let text = &out[start..];
            let blank = text.iter().all(u8::is_ascii_whitespace);
            if blank && matches!(raw, RawLine::Text) {
                continue;
            }
            self.non_blank += 1;
            if matches!(raw, RawLine::Text) && peek_kind(text).is_some_and(|k| !keep(&k)) {
                continue;
            }
            let line = match self.opts.numbering {
                LineNumbering::Physical => self.physical,
                LineNumbering::NonBlank => self.non_blank,
            };
            return Some(Ok((line, matches!(raw, RawLine::TooLong))));
        }
        None
    }

    /// Reads up to `max` lines without parsing them: their text is appended to `text`, their
    /// numbers and spans to `lines` (a span of `None`: over the length limit). An I/O error
    /// ends the input and is returned.
    fn read_block(
        &mut self,
        max: usize,
        text: &mut Vec<u8>,
        lines: &mut Vec<(usize, Option<std::ops::Range<usize>>)>,
    ) -> Option<Error> {
        while lines.len() < max {
            let start = text.len();
            match self.next_line(text, |_| true)? {
                Ok((line, too_long)) => {
                    lines.push((line, (!too_long).then_some(start..text.len())));
                }
                Err(e) => return Some(e),
            }
        }
        None
    }
}

/// Parses the text of line `line` (`None`: the line was over `limit` bytes).
fn parse_at(line: usize, text: Option<&[u8]>, limit: usize) -> Result<Record> {
    let parsed = match text {
        None => Err(Error::LineTooLong { limit }),
        Some(text) => parse_line(text),
    };
    parsed
        .map(|data| Record { line, data })
        .map_err(|e| e.at_line(line))
}

/// Lines per worker in one block of [`par_records`].
const BLOCK: usize = 2048;

/// Reads every record of `reader` and hands each, in order, through `work` (run on all cores:
/// parsing and what the caller adds, e.g. validation) to `consume` (run on this thread).
///
/// Lines are read in blocks of `BLOCK` per core — memory stays bounded whatever the input's
/// size — parsed in parallel, and consumed in file order. Reading, working and consuming take
/// turns, so no two threads allocate and free the same records at the same time.
pub fn par_records<R, T, W, C>(mut reader: Reader<R>, work: W, mut consume: C)
where
    R: BufRead,
    T: Send,
    W: Fn(Result<Record>) -> T + Sync,
    C: FnMut(T),
{
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let limit = reader.opts.max_line_bytes;
    let mut text = Vec::new();
    let mut lines = Vec::new();
    loop {
        text.clear();
        lines.clear();
        let failure = reader.read_block(BLOCK * workers, &mut text, &mut lines);
        let (text, work) = (&text, &work);
        let run = move |chunk: &[(usize, Option<std::ops::Range<usize>>)]| -> Vec<T> {
            chunk
                .iter()
                .map(|(line, span)| work(parse_at(*line, span.clone().map(|r| &text[r]), limit)))
                .collect()
        };
        if workers == 1 || lines.len() <= BLOCK {
            run(&lines).into_iter().for_each(&mut consume);
        } else {
            let per = lines.len().div_ceil(workers);
            let results: Vec<Vec<T>> = std::thread::scope(|scope| {
                let handles: Vec<_> = lines
                    .chunks(per)
                    .map(|c| scope.spawn(move || run(c)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("record workers do not panic"))
                    .collect()
            });
            results.into_iter().flatten().for_each(&mut consume);
        }
        if let Some(e) = failure {
            consume(work(Err(e)));
            break;
        }
        if lines.len() < BLOCK * workers {
            break;
        }
    }
}

/// The kind of a line that starts `{"type":"<kind>"` (no escapes), without parsing it.
fn peek_kind(text: &[u8]) -> Option<LineKind> {
    let rest = text.strip_prefix(b"{\"type\":\"")?;
    let end = memchr::memchr(b'"', rest)?;
    let name = std::str::from_utf8(&rest[..end]).ok()?;
    (!name.contains('\\') && !name.is_empty()).then(|| LineKind::parse(name))
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_where(|_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<Record>> {
        Reader::new(text.as_bytes()).collect()
    }

    #[test]
    fn physical_numbers_blank_lines_and_crlf() {
        let items = read(
            "\n{\"type\":\"video\",\"data\":{\"id\":\"a\"}}\r\n  \n{\"type\":\"video\",\"data\":{\"id\":\"b\"}}",
        );
        let lines: Vec<usize> = items.iter().map(|r| r.as_ref().unwrap().line).collect();
        assert_eq!(lines, vec![2, 4]);
        let compat: Vec<usize> = Reader::with_options(
            "\n{\"type\":\"x\",\"data\":{}}\n\n{\"type\":\"x\",\"data\":{}}\n".as_bytes(),
            ReadOptions {
                numbering: LineNumbering::NonBlank,
                ..Default::default()
            },
        )
        .map(|r| r.unwrap().line)
        .collect();
        assert_eq!(compat, vec![1, 2]);
    }

    #[test]
    fn envelope_errors_name_the_line_and_reading_goes_on() {
        let text = "{\"type\":\"annotation\"}\n{\"type\":\"annotation\",\"data\":null}\n[1,2]\n{\"data\":{}}\n{\"type\":3,\"data\":{}}\n{\"type\":\"x\",\"data\":{}}\n";
        let items = read(text);
        assert_eq!(items.len(), 6);
        for (i, item) in items.iter().take(5).enumerate() {
            let e = item.as_ref().unwrap_err();
            assert_eq!(e.line(), Some(i + 1));
            assert_eq!(e.code(), "invalid-envelope", "{e}");
        }
        assert!(matches!(
            items[5].as_ref().unwrap().data,
            LineData::Unknown { .. }
        ));
    }

    #[test]
    fn typed_data_errors_carry_the_path() {
        let items = read("{\"type\":\"entity\",\"data\":{\"id\":5}}\n");
        let e = items[0].as_ref().unwrap_err();
        assert_eq!(e.code(), "invalid-type");
        assert_eq!(e.path(), Some("data.id"));
        assert_eq!(e.line(), Some(1));
    }

    #[test]
    fn long_lines_are_skipped_without_buffering() {
        let long = format!(
            "{{\"type\":\"x\",\"data\":{{\"s\":\"{}\"}}}}",
            "a".repeat(10_000)
        );
        let text = format!("{long}\n{{\"type\":\"x\",\"data\":{{}}}}\n");
        let mut r = Reader::with_options(
            std::io::BufReader::with_capacity(64, text.as_bytes()),
            ReadOptions {
                max_line_bytes: 100,
                ..Default::default()
            },
        );
        let e = r.next().unwrap().unwrap_err();
        assert_eq!((e.code(), e.line()), ("line-too-long", Some(1)));
        assert!(r.buf.capacity() < 10_000);
        assert_eq!(r.next().unwrap().unwrap().line, 2);
        assert!(r.next().is_none());
    }

    #[test]
    fn filtered_reading_skips_other_kinds_unparsed() {
        let text = "{\"type\":\"video\",\"data\":{\"id\":\"v\"}}\n{\"type\":\"entity\",\"data\":{\"id\":5}}\n{\"data\":{},\"type\":\"video\"}\n{bad\n";
        let mut r = Reader::new(text.as_bytes());
        let only_videos = |k: &LineKind| *k == LineKind::Video;
        assert_eq!(r.next_where(only_videos).unwrap().unwrap().line, 1);
        // Line 2 (an entity) is skipped unparsed, so its bad id is not reported here; line 3
        // cannot be peeked and is parsed; line 4 is an error and is returned.
        assert_eq!(r.next_where(only_videos).unwrap().unwrap().line, 3);
        assert_eq!(
            r.next_where(only_videos).unwrap().unwrap_err().line(),
            Some(4)
        );
        assert!(r.next_where(only_videos).is_none());
    }

    #[test]
    fn parallel_blocks_give_what_the_sequential_reader_gives() {
        // Enough lines for several blocks on every core count, with blank, bad and long lines.
        let mut text = String::new();
        for i in 0..20_000 {
            match i % 997 {
                0 => text.push_str("{bad\n"),
                1 => text.push('\n'),
                2 => text.push_str(&format!(
                    "{{\"type\":\"video\",\"data\":{{\"id\":\"{}\"}}}}\n",
                    "x".repeat(300)
                )),
                _ => text.push_str(&format!(
                    "{{\"type\":\"video\",\"data\":{{\"id\":\"v{i}\"}}}}\n"
                )),
            }
        }
        let opts = ReadOptions {
            max_line_bytes: 200,
            ..Default::default()
        };
        let sequential: Vec<String> = Reader::with_options(text.as_bytes(), opts)
            .map(|r| {
                format!(
                    "{:?}",
                    r.map(|r| (r.line, r.data.id().map(str::to_owned)))
                        .map_err(|e| (e.line(), e.code()))
                )
            })
            .collect();
        let mut parallel = Vec::new();
        par_records(
            Reader::with_options(text.as_bytes(), opts),
            |r| {
                format!(
                    "{:?}",
                    r.map(|r| (r.line, r.data.id().map(str::to_owned)))
                        .map_err(|e| (e.line(), e.code()))
                )
            },
            |s| parallel.push(s),
        );
        assert_eq!(parallel.len(), 20_000 - 21);
        assert_eq!(parallel, sequential);
    }

    #[test]
    fn invalid_utf8_is_reported() {
        let bytes = b"{\"type\":\"x\",\"data\":{\"s\":\"\xff\"}}\n";
        let e = Reader::new(&bytes[..]).next().unwrap().unwrap_err();
        assert_eq!(e.code(), "invalid-utf8");
    }
}

//! Exporting records: dependency order, export modes, filters, exact statistics and the final
//! `metadata` line.
//!
//! Order, as FOVEA's full export writes it: `ontology`, world objects (`entity`, `event`,
//! `time`, `entityCollection`, `eventCollection`, `timeCollection`, `relation`), `annotation`,
//! `video`, lines of unknown kinds, and a final `metadata` line with the export date, format
//! version and real counts.
//! Input `metadata` lines are not copied: the exporter writes its own.

use super::line::{LineData, LineKind};
use super::write::{ExportMode, Writer};
use crate::error::Result;
use crate::interp::InterpOptions;
use crate::model::{Annotation, ExportMetadata};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;

/// The export format version written in the metadata line.
pub const EXPORT_VERSION: &str = "1.0.0";

/// What and how to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Keyframes only (default) or every frame.
    pub mode: ExportMode,
    /// Interpolation options (profile, keyframe policy).
    pub interp: InterpOptions,
    /// Only annotations typed by these personas (and only these personas in ontology lines).
    pub persona_ids: Option<HashSet<String>>,
    /// Only annotations on these videos (and only these video lines).
    pub video_ids: Option<HashSet<String>>,
    /// Only annotations of these kinds (`type`, `object`).
    pub annotation_types: Option<HashSet<String>>,
    /// The `exportDate` of the metadata line (default: now). Fixed dates make exports
    /// reproducible byte for byte.
    pub export_date: Option<String>,
    /// Leave out the final metadata line.
    pub no_metadata: bool,
}

impl ExportOptions {
    /// The annotation kinds a filter names, checked: `type` and `object`; another name is an
    /// `invalid-option` error naming it.
    pub fn annotation_kinds<S: Into<String>>(
        names: impl IntoIterator<Item = S>,
    ) -> crate::Result<HashSet<String>> {
        names
            .into_iter()
            .map(|name| match name.into() {
                kind if kind == "type" || kind == "object" => Ok(kind),
                other => Err(crate::Error::InvalidOption {
                    option: "annotation type",
                    value: other,
                    expected: "type, object",
                }),
            })
            .collect()
    }

    /// Whether the filters keep an annotation: its persona, video and kind are in the sets
    /// given (an absent set keeps everything).
    pub fn keeps(&self, a: &Annotation) -> bool {
        self.persona_ids
            .as_ref()
            .is_none_or(|set| a.persona_id.as_ref().is_some_and(|p| set.contains(p)))
            && self
                .video_ids
                .as_ref()
                .is_none_or(|set| set.contains(&a.video_id))
            && self
                .annotation_types
                .as_ref()
                .is_none_or(|set| set.contains(a.kind()))
    }
}

/// Exactly what an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExportStats {
    /// Lines written per line type (the metadata line included).
    pub lines: BTreeMap<String, u64>,
    /// Annotation lines written.
    pub annotation_count: u64,
    /// Sequences written (one per annotation).
    pub sequence_count: u64,
    /// Keyframe boxes written.
    pub keyframe_count: u64,
    /// Interpolated boxes written.
    pub interpolated_frame_count: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Records left out by the filters.
    pub filtered_out: u64,
}

/// The export group of a line kind: the order in which kinds are written.
pub fn group_of(kind: &LineKind) -> u8 {
    match kind {
        LineKind::Ontology => 0,
        LineKind::Entity
        | LineKind::Event
        | LineKind::Time
        | LineKind::EntityCollection
        | LineKind::EventCollection
        | LineKind::TimeCollection
        | LineKind::Relation => 1,
        LineKind::Annotation => 2,
        LineKind::Video => 3,
        LineKind::Unknown(_) => 4,
        LineKind::Metadata => 5,
    }
}

/// Number of export groups before the metadata line.
pub const GROUPS: u8 = 5;

/// Writes records in the caller's order, applying mode and filters and counting.
pub struct Exporter<W: Write> {
    writer: Writer<W>,
    opts: ExportOptions,
    stats: ExportStats,
}

impl<W: Write> Exporter<W> {
    /// An exporter into `out`.
    pub fn new(out: W, opts: ExportOptions) -> Self {
        Exporter {
            writer: Writer::new(out),
            opts,
            stats: ExportStats::default(),
        }
    }

    fn count(&mut self, kind: &str) {
        *self.stats.lines.entry(kind.to_owned()).or_default() += 1;
    }

    /// Whether the filters keep an annotation.
    pub fn keeps(&self, a: &Annotation) -> bool {
        self.opts.keeps(a)
    }

    /// Writes an annotation in the export mode, if the filters keep it.
    pub fn annotation(&mut self, a: &Annotation) -> Result<()> {
        if !self.keeps(a) {
            self.stats.filtered_out += 1;
            return Ok(());
        }
        let (keys, interpolated) =
            self.writer
                .write_annotation(a, self.opts.mode, &self.opts.interp)?;
        self.count("annotation");
        self.stats.annotation_count += 1;
        self.stats.sequence_count += 1;
        self.stats.keyframe_count += keys;
        self.stats.interpolated_frame_count += interpolated;
        Ok(())
    }

    /// Writes many annotations (those the filters keep) in the export mode, serialising them on
    /// all cores; stops at the first that cannot be written and returns its error.
    pub fn annotations(&mut self, all: &[&Annotation]) -> Result<()> {
        let kept: Vec<&Annotation> = all.iter().copied().filter(|a| self.keeps(a)).collect();
        self.stats.filtered_out += (all.len() - kept.len()) as u64;
        let (mode, interp) = (self.opts.mode, self.opts.interp);
        let lines_before = self.writer.lines();
        let result = self.writer.write_annotations(&kept, mode, &interp);
        let written = self.writer.lines() - lines_before;
        if written > 0 {
            *self.stats.lines.entry("annotation".to_owned()).or_default() += written;
        }
        self.stats.annotation_count += written;
        self.stats.sequence_count += written;
        match result {
            Ok((keys, interpolated)) => {
                self.stats.keyframe_count += keys;
                self.stats.interpolated_frame_count += interpolated;
                Ok(())
            }
            Err((_, e)) => Err(e),
        }
    }

    /// Writes a record (annotations in the export mode), applying the filters. Metadata
    /// records are skipped: [`Exporter::finish`] writes the export's own.
    pub fn record(&mut self, data: &LineData) -> Result<()> {
        match data {
            LineData::Annotation(rec) => {
                let a = rec.to_annotation()?;
                self.annotation(&a)
            }
            LineData::Metadata(_) => Ok(()),
            LineData::Video(v) => {
                let keep = self
                    .opts
                    .video_ids
                    .as_ref()
                    .is_none_or(|set| v.id.as_ref().is_some_and(|id| set.contains(id)));
                if keep {
                    self.writer.write(data)?;
                    self.count("video");
                } else {
                    self.stats.filtered_out += 1;
                }
                Ok(())
            }
            LineData::Ontology(o) if self.opts.persona_ids.is_some() => {
                let set = self.opts.persona_ids.as_ref().expect("checked");
                let mut o = o.clone();
                let keep = |id: &Option<String>| id.as_ref().is_some_and(|i| set.contains(i));
                if let Some(ps) = &mut o.personas {
                    ps.retain(|p| keep(&p.id));
                }
                if let Some(os) = &mut o.persona_ontologies {
                    os.retain(|p| keep(&p.persona_id));
                }
                self.writer.write(&LineData::Ontology(o))?;
                self.count("ontology");
                Ok(())
            }
            other => {
                self.writer.write(other)?;
                let kind = other.kind();
                self.count(kind.as_str());
                Ok(())
            }
        }
    }

    /// Writes the metadata line (unless disabled) and returns the statistics.
    pub fn finish(mut self) -> Result<(W, ExportStats)> {
        if !self.opts.no_metadata {
            let meta = ExportMetadata {
                export_date: Some(
                    self.opts
                        .export_date
                        .clone()
                        .unwrap_or_else(crate::time::now_iso),
                ),
                export_version: Some(EXPORT_VERSION.to_owned()),
                exported_by: Some(concat!("fovea ", env!("CARGO_PKG_VERSION")).to_owned()),
                annotation_count: Some(self.stats.annotation_count),
                sequence_count: Some(self.stats.sequence_count),
                keyframe_count: Some(self.stats.keyframe_count),
                interpolated_frame_count: Some(self.stats.interpolated_frame_count),
                extra: Default::default(),
            };
            self.writer.write(&LineData::Metadata(meta))?;
            self.count("metadata");
        }
        self.stats.bytes = self.writer.bytes();
        Ok((self.writer.into_inner()?, self.stats))
    }
}

/// Exports a JSON Lines source in dependency order with constant memory: the source is read
/// once per export group (`open` is called up to five times); each pass parses only the lines of
/// its group (the others are recognised by their `type` and skipped unparsed). Records that
/// cannot be read or exported (an annotation whose sequence is invalid) are returned with their
/// line, not written; everything else is. An I/O failure of the source or of `out` fails the
/// whole export.
pub fn export_stream<R, W, F>(
    mut open: F,
    out: W,
    opts: ExportOptions,
) -> Result<(W, ExportStats, Vec<crate::Error>)>
where
    R: std::io::BufRead,
    W: Write,
    F: FnMut() -> Result<super::Reader<R>>,
{
    let mut exporter = Exporter::new(out, opts);
    // Unreadable lines surface in the pass that parses them, possibly several: each is
    // reported once.
    let mut errors: std::collections::BTreeMap<usize, crate::Error> =
        std::collections::BTreeMap::new();
    for group in 0..GROUPS {
        let mut reader = open()?;
        while let Some(item) = reader.next_where(|k| group_of(k) == group) {
            match item {
                Ok(rec) if group_of(&rec.data.kind()) == group => {
                    if let Err(e) = exporter.record(&rec.data) {
                        match e {
                            crate::Error::Io { .. } => return Err(e),
                            other => {
                                errors.insert(rec.line, other.at_line(rec.line));
                            }
                        }
                    }
                }
                Ok(_) => {}
                // A source that fails to read ends the export: nothing past it can be seen.
                Err(e) if e.is_io() => return Err(e),
                Err(e) => {
                    errors.entry(e.line().unwrap_or(0)).or_insert(e);
                }
            }
        }
    }
    let errors: Vec<crate::Error> = errors.into_values().collect();
    let (out, stats) = exporter.finish()?;
    Ok((out, stats, errors))
}

/// What a JSON Lines file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FileStats {
    /// Records per line type.
    pub lines: BTreeMap<String, u64>,
    /// Annotation records.
    pub annotations: u64,
    /// Keyframes in them.
    pub keyframes: u64,
    /// Frames an interpolated export would write for them (visible frames).
    pub frames: u64,
    /// Interpolated frames among those.
    pub interpolated_frames: u64,
    /// Annotations with exactly one keyframe.
    pub single_keyframe_sequences: u64,
    /// Annotations whose sequence cannot be read (invalid frames, missing fields).
    pub invalid_annotations: u64,
    /// Lines that could not be read.
    pub unreadable_lines: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// Counts what a JSON Lines source holds, streaming. Lines that cannot be read are counted; a
/// source that fails to read (an I/O error) is an error.
///
/// ```
/// let text = "{\"type\":\"annotation\",\"data\":{\"id\":\"a\",\"videoId\":\"v\",\"boundingBoxSequence\":{\"boxes\":[{\"x\":0,\"y\":0,\"width\":1,\"height\":1,\"frameNumber\":0},{\"x\":0,\"y\":0,\"width\":1,\"height\":1,\"frameNumber\":9}]}}}\n";
/// let stats = fovea_core::jsonl::stats_reader(fovea_core::jsonl::Reader::new(text.as_bytes()), Default::default()).unwrap();
/// assert_eq!((stats.annotations, stats.keyframes, stats.frames, stats.interpolated_frames), (1, 2, 10, 8));
/// ```
pub fn stats_reader<R: std::io::BufRead>(
    mut reader: super::Reader<R>,
    policy: crate::model::KeyframePolicy,
) -> crate::Result<FileStats> {
    let mut s = FileStats::default();
    for item in reader.by_ref() {
        let rec = match item {
            Ok(rec) => rec,
            Err(e) if e.is_io() => return Err(e),
            Err(_) => {
                s.unreadable_lines += 1;
                continue;
            }
        };
        *s.lines
            .entry(rec.data.kind().as_str().to_owned())
            .or_default() += 1;
        if let LineData::Annotation(a) = rec.data {
            s.annotations += 1;
            match a.into_annotation() {
                Ok(a) => {
                    let c = a.bounding_box_sequence.counters(policy);
                    s.keyframes += c.keyframe_count as u64;
                    s.frames += c.total_frames as u64;
                    s.interpolated_frames += c.interpolated_frame_count as u64;
                    s.single_keyframe_sequences += u64::from(c.keyframe_count == 1);
                }
                Err(_) => s.invalid_annotations += 1,
            }
        }
    }
    s.bytes = reader.bytes_read();
    Ok(s)
}

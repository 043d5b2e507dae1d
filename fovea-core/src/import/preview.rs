//! Import preview: counts, validation issues and conflicts of all seven types, from one
//! streaming pass over the incoming records and a snapshot of what exists. Nothing is written.
//!
//! Conflicts, against the store and within the file:
//! * `duplicate-persona` — a persona of an `ontology` line exists;
//! * `duplicate-object` — a world object (same kind) or a video exists;
//! * `missing-dependency` — a referenced video, persona, linked object, collection member,
//!   event participant or type-assigning persona exists neither in the store nor anywhere in
//!   the file (references may point forward: videos follow annotations in export order);
//! * `id-conflict` — an id already used earlier in the file, or by another kind of object;
//! * `duplicate-sequence` — an annotation id exists;
//! * `overlapping-frames` — another annotation of the same owner on the same video, in the
//!   store or earlier in the file, has a keyframe span that overlaps this one's (the conflict's
//!   `frameRange` is the overlap). The owner is the linked world object of an object
//!   annotation, or persona, type and `trackId` of a type annotation ([`Owner`]: untracked
//!   annotations of one type may overlap — two cars at once);
//! * `interpolation-conflict` — a keyframe pair of a duplicate sequence has a different mode
//!   in the store (one conflict per pair).

use super::conflict::{Conflict, ConflictKind};
use super::examine::{Examined, Examiner, Facts, RefKind, Subject, capitalised};
use super::infile::{InFile, Place};
use super::snapshot::Existing;
use super::summary::ObjectKind;
use crate::error::Error;
use crate::jsonl::{LineData, Record};
use crate::model::Annotation;
use crate::validate::{Issue, Severity, ValidateOptions, VideoSizes};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Counts of a preview (FOVEA's three, and lines per type).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PreviewCounts {
    /// Annotation lines.
    pub annotations: u64,
    /// Keyframes in them.
    pub total_keyframes: u64,
    /// Annotations with exactly one keyframe.
    pub single_keyframe_sequences: u64,
    /// Lines per type.
    pub lines: BTreeMap<String, u64>,
    /// Lines with validation errors.
    pub invalid_lines: u64,
    /// Lines that could not be read.
    pub unreadable_lines: u64,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineProblem {
    /// Physical line number (0: not line-specific).
    pub line: usize,
    /// Error code.
    pub code: &'static str,
    /// Message.
    pub message: String,
}

impl From<&Error> for LineProblem {
    fn from(e: &Error) -> Self {
        let message = match e {
            Error::AtLine { error, .. } => error.to_string(),
            other => other.to_string(),
        };
        LineProblem {
            line: e.line().unwrap_or(0),
            code: e.code(),
            message,
        }
    }
}

/// The result of a preview.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ImportPreview")
)]
pub struct Preview {
    /// Counts.
    pub counts: PreviewCounts,
    /// Conflicts, in line order.
    pub conflicts: Vec<Conflict>,
    /// FOVEA's warnings: `Line {n}: {errors}` for invalid lines, `Line {n}: {warning}` per warning.
    pub warnings: Vec<String>,
    /// Validation issues, with codes and paths (up to the cap).
    pub issues: Vec<Issue>,
    /// Issues left out beyond the cap.
    pub issues_truncated: u64,
    /// Lines that could not be read.
    pub errors: Vec<LineProblem>,
}

/// Options of a preview.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    /// Validation profile and keyframe policy.
    pub validate: ValidateOptions,
    /// Known video sizes, for bounds checks.
    pub video_sizes: VideoSizes,
    /// Report missing references.
    pub check_references: bool,
    /// Most issues listed (the rest are counted).
    pub max_issues: usize,
    /// Bytes of memory the in-file tables (ids, references, keyframe spans of the lines read)
    /// may hold; beyond it they spill to temporary files, so memory does not grow with the
    /// file. An annotation takes some 60 bytes of the ids' third, and as much again of the
    /// others' when it has a forward reference or an owner.
    pub memory_budget: usize,
    /// Where spilled tables go (unnamed temporary files): the system's temporary directory
    /// when `None`.
    pub spill_dir: Option<PathBuf>,
}

/// The default [`PreviewOptions::memory_budget`]: 24 MiB, some 100,000 annotations before the
/// tables spill.
pub const DEFAULT_MEMORY_BUDGET: usize = 24 << 20;

impl PreviewOptions {
    /// Sends spilled tables to `dir`, which must be a directory: a wrong one fails here, with
    /// an `io` error naming it, rather than at the first spill, deep into a large file.
    pub fn spill_to(&mut self, dir: PathBuf) -> crate::Result<()> {
        let e = match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {
                self.spill_dir = Some(dir);
                return Ok(());
            }
            Ok(_) => std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            Err(e) => e,
        };
        Err(Error::io(
            format_args!("spill directory {}", dir.display()),
            &e,
        ))
    }

    /// Sets the memory budget and the spill directory when they are given (the directory
    /// checked by [`PreviewOptions::spill_to`]): what the CLI and the bindings take.
    pub fn limit_memory(
        &mut self,
        budget: Option<usize>,
        spill_dir: Option<PathBuf>,
    ) -> crate::Result<()> {
        if let Some(dir) = spill_dir {
            self.spill_to(dir)?;
        }
        if let Some(budget) = budget {
            self.memory_budget = budget;
        }
        Ok(())
    }

    /// Adds the sizes of the store's videos to the known ones, for bounds checks (sizes given
    /// by the caller win).
    pub fn add_video_sizes(&mut self, sizes: &VideoSizes) {
        for (id, size) in sizes {
            self.video_sizes.entry(id.clone()).or_insert(*size);
        }
    }
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            validate: ValidateOptions::default(),
            video_sizes: VideoSizes::new(),
            check_references: true,
            max_issues: 1000,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            spill_dir: None,
        }
    }
}

/// What a checked record holds.
// A record is moved once into the import queue; boxing the larger variant would add an
// allocation per line for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum CheckedData {
    /// A valid annotation, converted to its typed form.
    Annotation(Box<Annotation>),
    /// Any other record, or an annotation that failed validation (as read).
    Record(LineData),
}

impl CheckedData {
    /// The record's kind.
    pub fn kind(&self) -> crate::jsonl::LineKind {
        match self {
            CheckedData::Annotation(_) => crate::jsonl::LineKind::Annotation,
            CheckedData::Record(d) => d.kind(),
        }
    }
}

/// A record after the preview looked at it: annotations converted when valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Physical line.
    pub line: usize,
    /// The record.
    pub data: CheckedData,
    /// Whether validation found errors.
    pub invalid: bool,
    /// The validation error messages (for import results).
    pub errors: Vec<String>,
}

/// Streaming conflict detection.
pub struct Previewer<'a, E: Existing + ?Sized> {
    existing: &'a E,
    opts: PreviewOptions,
    out: Preview,
    /// Examines the records given to [`Previewer::add`].
    examiner: Examiner<'a, E>,
    /// What lines claim, define, reference and own, for the in-file conflicts.
    infile: InFile,
    /// Conflicts found so far, with their places in the report.
    found: Vec<(Place, Conflict)>,
    /// The current line's next slot: the order in which it meets its conflicts.
    slot: u32,
}

impl<'a, E: Existing + ?Sized> Previewer<'a, E> {
    /// A previewer against `existing`.
    pub fn new(existing: &'a E, mut opts: PreviewOptions) -> Self {
        // The sizes serve only validation, which the examiner does.
        let sizes = std::mem::take(&mut opts.video_sizes);
        let dir = opts.spill_dir.clone().unwrap_or_else(std::env::temp_dir);
        let infile = InFile::new(opts.memory_budget, dir);
        Previewer {
            existing,
            examiner: Examiner::new(opts.validate, sizes, existing),
            opts,
            out: Preview::default(),
            infile,
            found: Vec::new(),
            slot: 0,
        }
    }

    /// The current line's next slot.
    fn slot(&mut self) -> u32 {
        self.slot += 1;
        self.slot - 1
    }

    fn conflict(
        &mut self,
        kind: ConflictKind,
        line: usize,
        original: &str,
        existing: &str,
        details: String,
    ) {
        let c = super::examine::conflict(kind, line, original, existing, details);
        self.found(line, c);
    }

    /// Adds a conflict found now, in the line's next slot.
    fn found(&mut self, line: usize, c: Conflict) {
        let slot = self.slot();
        self.found.push(((line, slot, 0), c));
    }

    /// Records an id; an id claimed earlier in the file is an `id-conflict`.
    fn claim(&mut self, id: &str, line: usize, kind: &'static str) {
        let slot = self.slot();
        self.infile.claim(id, line, slot, kind);
    }

    /// Records an object the file defines, for the references to it.
    fn define(&mut self, kind: RefKind, id: &str) {
        if self.opts.check_references {
            self.infile.define(kind, id);
        }
    }

    /// A reference the store does not satisfy is missing unless the file defines its target.
    fn reference(&mut self, line: usize, from: &str, kind: RefKind, id: &str) {
        if !self.opts.check_references || id.is_empty() || self.in_store(kind, id) {
            return;
        }
        let slot = self.slot();
        self.infile.refer(line, slot, from, kind, id);
    }

    fn in_store(&self, kind: RefKind, id: &str) -> bool {
        match kind {
            RefKind::Video => self.existing.has_video(id),
            RefKind::Persona => self.existing.has_persona(id),
            RefKind::Object(_) => self.existing.object_kind(id).is_some(),
        }
    }

    /// What examines records for this previewer: on any thread when the store is `Sync`.
    pub fn examiner(&self) -> Examiner<'a, E> {
        self.examiner.clone()
    }

    fn issues(&mut self, line: usize, issues: Vec<Issue>) -> Vec<String> {
        let errors: Vec<String> = issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| i.message.clone())
            .collect();
        if !errors.is_empty() {
            self.out.counts.invalid_lines += 1;
            self.out
                .warnings
                .push(format!("Line {line}: {}", errors.join(", ")));
        }
        for w in issues.iter().filter(|i| i.severity == Severity::Warning) {
            self.out
                .warnings
                .push(format!("Line {line}: {}", w.message));
        }
        for i in issues {
            if self.out.issues.len() < self.opts.max_issues {
                self.out.issues.push(i);
            } else {
                self.out.issues_truncated += 1;
            }
        }
        errors
    }

    /// Notes a line that could not be read.
    pub fn unreadable(&mut self, err: &Error) {
        self.out.counts.unreadable_lines += 1;
        self.out.errors.push(LineProblem::from(err));
    }

    /// Looks at one record and returns it, checked (examining it on this thread).
    pub fn add(&mut self, rec: Record) -> Checked {
        let examined = self.examiner.examine(rec);
        self.add_examined(examined)
            .expect("a record examined here is kept")
    }

    /// Takes in a record examined by [`Examiner::examine`] (possibly on another thread; records
    /// must come in file order) and returns it, checked — `None` when the examiner kept only
    /// facts ([`Examiner::facts_only`]). O(1) expected, plus the record's references.
    pub fn add_examined(&mut self, e: Examined) -> Option<Checked> {
        let Examined {
            line,
            kind,
            issues,
            keyframes,
            subject,
        } = e;
        self.slot = 0;
        let name = kind.as_str();
        match self.out.counts.lines.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                self.out.counts.lines.insert(name.to_owned(), 1);
            }
        }
        let errors = self.issues(line, issues);
        if let Some(keys) = keyframes {
            self.out.counts.annotations += 1;
            self.out.counts.total_keyframes += keys;
            self.out.counts.single_keyframe_sequences += u64::from(keys == 1);
        }
        let data = match subject {
            Subject::Annotation(facts, annotation) => {
                self.annotation(line, *facts);
                annotation.map(CheckedData::Annotation)
            }
            Subject::Record(data) => {
                self.record(line, &data);
                Some(CheckedData::Record(*data))
            }
        };
        let invalid = !errors.is_empty();
        data.map(|data| Checked {
            line,
            data,
            invalid,
            errors,
        })
    }

    /// The conflicts of a record other than a valid annotation.
    fn record(&mut self, line: usize, data: &LineData) {
        match data {
            LineData::Annotation(a) => {
                // With errors: only its id counts.
                if let Some(id) = a.id() {
                    self.claim(id, line, "annotation");
                }
            }
            LineData::Ontology(o) => {
                for p in o.personas.iter().flatten() {
                    let Some(id) = p.id.as_deref() else { continue };
                    self.claim(id, line, "persona");
                    if self.existing.has_persona(id) {
                        self.conflict(
                            ConflictKind::DuplicatePersona,
                            line,
                            id,
                            id,
                            format!("Persona with ID {id} already exists"),
                        );
                    }
                    self.define(RefKind::Persona, id);
                }
                for po in o.persona_ontologies.iter().flatten() {
                    if let Some(pid) = po.persona_id.as_deref() {
                        let from = po.id.clone().unwrap_or_else(|| pid.to_owned());
                        self.reference(line, &from, RefKind::Persona, pid);
                    }
                }
            }
            LineData::Video(v) => {
                if let Some(id) = v.id.as_deref() {
                    self.claim(id, line, "video");
                    if self.existing.has_video(id) {
                        self.conflict(
                            ConflictKind::DuplicateObject,
                            line,
                            id,
                            id,
                            format!("Video with ID {id} already exists"),
                        );
                    }
                    self.define(RefKind::Video, id);
                }
            }
            LineData::Metadata(_) | LineData::Unknown { .. } => {}
            object => self.object(line, object),
        }
    }

    fn object(&mut self, line: usize, data: &LineData) {
        let Some(kind) = super::dataset::object_kind(data) else {
            return;
        };
        let Some(id) = data.id().map(str::to_owned) else {
            return;
        };
        self.claim(&id, line, kind.as_str());
        match self.existing.object_kind(&id) {
            Some(k) if k == kind => {
                let name = capitalised(kind.as_str());
                self.conflict(
                    ConflictKind::DuplicateObject,
                    line,
                    &id,
                    &id,
                    format!("{name} with ID {id} already exists"),
                );
            }
            Some(other) => self.conflict(
                ConflictKind::IdConflict,
                line,
                &id,
                &id,
                format!(
                    "Id {id} is used by an existing {} (this line has a {})",
                    other.as_str(),
                    kind.as_str()
                ),
            ),
            None => {}
        }
        self.define(RefKind::Object(kind.as_str()), &id);
        let mut refs: Vec<(RefKind, String)> = Vec::new();
        let personas = |ta: &[crate::model::TypeAssignment]| {
            ta.iter()
                .filter_map(|t| t.persona_id.clone())
                .map(|p| (RefKind::Persona, p))
                .collect::<Vec<_>>()
        };
        match data {
            LineData::Entity(e) => {
                refs.extend(personas(e.type_assignments.as_deref().unwrap_or_default()))
            }
            LineData::Event(e) => {
                for i in e.persona_interpretations.iter().flatten() {
                    refs.extend(i.persona_id.clone().map(|p| (RefKind::Persona, p)));
                    for p in i.participants.iter().flatten() {
                        refs.extend(p.entity_id.clone().map(|e| (RefKind::Object("entity"), e)));
                    }
                }
            }
            LineData::EntityCollection(c) => {
                refs.extend(personas(c.type_assignments.as_deref().unwrap_or_default()));
                refs.extend(
                    c.entity_ids
                        .iter()
                        .flatten()
                        .map(|e| (RefKind::Object("entity"), e.clone())),
                );
            }
            LineData::EventCollection(c) => {
                refs.extend(personas(c.type_assignments.as_deref().unwrap_or_default()));
                refs.extend(
                    c.event_ids
                        .iter()
                        .flatten()
                        .map(|e| (RefKind::Object("event"), e.clone())),
                );
            }
            LineData::TimeCollection(c) => {
                // Member times are inline: they define themselves.
                for t in c.times.iter().flatten() {
                    if let Some(tid) = &t.id {
                        self.define(RefKind::Object(ObjectKind::Time.as_str()), tid);
                    }
                }
            }
            LineData::Relation(r) => {
                for (kind, rid) in [
                    (&r.source_type, &r.source_id),
                    (&r.target_type, &r.target_id),
                ] {
                    // Relations may also link types and claims, which are not world objects.
                    let k = match kind.as_deref() {
                        Some("entity") => "entity",
                        Some("event") => "event",
                        Some("time") => "time",
                        _ => continue,
                    };
                    if let Some(rid) = rid {
                        refs.push((RefKind::Object(k), rid.clone()));
                    }
                }
            }
            _ => {}
        }
        for (kind, rid) in refs {
            self.reference(line, &id, kind, &rid);
        }
    }

    /// The in-file half of an annotation's conflicts (its store conflicts were found when it
    /// was examined): an id seen earlier, references to what the store lacks, overlaps with
    /// earlier lines. O(1) expected, plus the spans of its owner.
    fn annotation(&mut self, line: usize, facts: Facts) {
        let Facts {
            id,
            refs,
            store,
            owned,
            overlaps,
        } = facts;
        self.claim(&id, line, "annotation");
        for c in store {
            self.found(line, c);
        }
        for (kind, target) in &refs {
            self.reference(line, &id, *kind, target);
        }
        let Some((video_id, owner, span)) = owned else {
            return;
        };
        for c in overlaps {
            self.found(line, c);
        }
        let slot = self.slot();
        self.infile.span((line, slot), &id, &video_id, &owner, span);
    }

    /// Finds the conflicts of the lines with each other and returns the preview, conflicts in
    /// line order (within a line, in the order the line met them: its id, its conflicts with
    /// the store, overlaps, then missing references). Should the in-file tables fail to spill
    /// or read back, the preview lists the failure among its errors (line 0, code `io`) and
    /// lacks the in-file conflicts; [`Previewer::try_finish`] fails instead.
    pub fn finish(self) -> Preview {
        let (mut preview, failure) = self.conclude();
        if let Some(e) = failure {
            preview.errors.push(LineProblem::from(&e));
        }
        preview
    }

    /// [`Previewer::finish`], failing when the in-file conflicts could not be found (the
    /// in-file tables could not spill to or read back from disk).
    pub fn try_finish(self) -> crate::Result<Preview> {
        match self.conclude() {
            (preview, None) => Ok(preview),
            (_, Some(e)) => Err(e),
        }
    }

    fn conclude(mut self) -> (Preview, Option<Error>) {
        let failure = self
            .infile
            .resolve(&mut self.found)
            .err()
            .map(|e| Error::io("the in-file conflicts could not be checked", &e));
        // Places are unique: O(c log c) for c conflicts.
        self.found.sort_unstable_by_key(|(place, _)| *place);
        self.out.conflicts = self.found.into_iter().map(|(_, c)| c).collect();
        (self.out, failure)
    }
}

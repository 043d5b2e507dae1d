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

use super::conflict::{Conflict, ConflictKind, FrameRange};
use super::ids::IdTable;
use super::snapshot::{AnnotationSummary, Existing, ObjectKind};
use crate::error::Error;
use crate::jsonl::{LineData, LineKind, Record};
use crate::model::{Annotation, Frame, KeyframePolicy};
use crate::validate::{Issue, Severity, ValidateOptions, VideoSizes, validate_record};
use hashbrown::{HashMap, HashSet};
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of a preview (FOVEA's three, and lines per type).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
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
}

impl PreviewOptions {
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
        }
    }
}

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    Video,
    Persona,
    Object(&'static str),
}

/// A reference not satisfied when its line was read.
struct PendingRef {
    line: usize,
    from: String,
    kind: RefKind,
    id: String,
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

/// Examines records for a [`Previewer`]: validates each, converts a valid annotation and
/// summarises what conflict detection needs. Holds no state, so it runs on any thread; the
/// expensive part of a preview happens here.
#[derive(Debug, Clone)]
pub struct Examiner {
    validate: ValidateOptions,
    sizes: VideoSizes,
}

/// A record examined by an [`Examiner`], to hand to [`Previewer::add_examined`].
#[derive(Debug)]
pub struct Examined {
    line: usize,
    kind: LineKind,
    issues: Vec<Issue>,
    /// Keyframes of an annotation line.
    keyframes: Option<u64>,
    subject: Subject,
}

/// What an examined record holds.
#[derive(Debug)]
enum Subject {
    /// A valid annotation: what conflict detection needs, and the annotation itself unless
    /// discarded.
    Annotation(Box<Facts>, Option<Box<Annotation>>),
    /// Any other record, or an annotation with errors (as read). Boxed: such lines are few,
    /// and inline the record (~700 bytes) would be moved with every examined annotation.
    Record(Box<LineData>),
}

/// What conflict detection needs of a valid annotation.
#[derive(Debug)]
struct Facts {
    summary: AnnotationSummary,
    /// Mode of the first segment.
    first_type: Option<String>,
    /// The persona of a type annotation.
    persona: Option<String>,
    /// Linked world objects, with the kind of link.
    links: Vec<(&'static str, String)>,
}

impl Examiner {
    /// Validates `rec`, and converts and summarises it when it is a valid annotation.
    /// O(size of the record + K log K) for K keyframes.
    pub fn examine(&self, rec: Record) -> Examined {
        let mut issues = validate_record(&rec, &self.validate, &self.sizes);
        let Record { line, data } = rec;
        let kind = data.kind();
        let LineData::Annotation(a) = data else {
            return Examined {
                line,
                kind,
                issues,
                keyframes: None,
                subject: Subject::Record(Box::new(data)),
            };
        };
        let policy = self.validate.keyframes;
        let keyframes =
            a.0.bounding_box_sequence
                .as_ref()
                .and_then(|s| s.boxes.as_ref())
                .map_or(0, |b| {
                    b.iter()
                        .filter(|b| {
                            b.is_keyframe
                                .unwrap_or(policy == KeyframePolicy::AbsentIsKeyframe)
                        })
                        .count() as u64
                });
        let subject = if issues.iter().any(|i| i.severity == Severity::Error) {
            Subject::Record(Box::new(LineData::Annotation(a)))
        } else {
            match a.into_annotation() {
                Ok(ann) => {
                    Subject::Annotation(Box::new(Facts::of(&ann, policy)), Some(Box::new(ann)))
                }
                // Validation admits only what converts; should it not, the line is invalid.
                Err(e) => {
                    issues.push(Issue {
                        line,
                        severity: Severity::Error,
                        code: e.code(),
                        message: e.to_string(),
                        path: e.path().map(str::to_owned),
                    });
                    Subject::Record(Box::new(LineData::Annotation(Box::default())))
                }
            }
        };
        Examined {
            line,
            kind,
            issues,
            keyframes: Some(keyframes),
            subject,
        }
    }
}

impl Facts {
    fn of(a: &Annotation, policy: KeyframePolicy) -> Self {
        Facts {
            summary: AnnotationSummary::of(a, policy),
            first_type: a
                .bounding_box_sequence
                .interpolation_segments
                .first()
                .map(|s| s.kind.as_str().to_owned()),
            persona: a.persona_id.clone().filter(|_| !a.is_object()),
            links: a
                .linked_ids()
                .map(|(link, id)| (link, id.to_owned()))
                .collect(),
        }
    }
}

impl Examined {
    /// Drops the record's data, keeping only what conflict detection needs (a preview that
    /// applies nothing does this on the worker threads).
    pub fn discard(&mut self) {
        if let Subject::Annotation(_, annotation) = &mut self.subject {
            *annotation = None;
        }
    }
}

/// A keyframe span: first and last keyframe frame.
type Span = (Frame, Frame);

/// Streaming conflict detection.
pub struct Previewer<'a, E: Existing + ?Sized> {
    existing: &'a E,
    opts: PreviewOptions,
    out: Preview,
    ids: IdTable,
    personas: HashSet<String>,
    videos: HashSet<String>,
    objects: HashMap<String, ObjectKind>,
    pending: Vec<PendingRef>,
    spans: HashMap<(String, super::snapshot::Owner), Vec<(String, Span)>>,
}

fn range((start, end): (Frame, Frame)) -> FrameRange {
    FrameRange { start, end }
}

fn capitalised(kind: &str) -> String {
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl<'a, E: Existing + ?Sized> Previewer<'a, E> {
    /// A previewer against `existing`.
    pub fn new(existing: &'a E, opts: PreviewOptions) -> Self {
        Previewer {
            existing,
            opts,
            out: Preview::default(),
            ids: IdTable::default(),
            personas: HashSet::new(),
            videos: HashSet::new(),
            objects: HashMap::new(),
            pending: Vec::new(),
            spans: HashMap::new(),
        }
    }

    fn conflict(
        &mut self,
        kind: ConflictKind,
        line: usize,
        original: &str,
        existing: Option<&str>,
        details: String,
    ) {
        self.out.conflicts.push(Conflict {
            kind,
            line,
            original_id: original.to_owned(),
            existing_id: existing.map(str::to_owned),
            details,
            frame_range: None,
            interpolation_type: None,
            resolution: None,
        });
    }

    /// Records an id; an id seen earlier in the file is an `id-conflict`.
    fn claim(&mut self, id: &str, line: usize, kind: &'static str) {
        if let Some((first, first_kind)) = self.ids.claim(id, line, kind) {
            self.conflict(
                ConflictKind::IdConflict,
                line,
                id,
                Some(id),
                format!("Id {id} is already used on line {first} (by a {first_kind})"),
            );
        }
    }

    fn reference(&mut self, line: usize, from: &str, kind: RefKind, id: &str) {
        if !self.opts.check_references || id.is_empty() || self.satisfied(kind, id) {
            return;
        }
        self.pending.push(PendingRef {
            line,
            from: from.to_owned(),
            kind,
            id: id.to_owned(),
        });
    }

    fn satisfied(&self, kind: RefKind, id: &str) -> bool {
        match kind {
            RefKind::Video => self.videos.contains(id) || self.existing.has_video(id),
            RefKind::Persona => self.personas.contains(id) || self.existing.has_persona(id),
            RefKind::Object(_) => {
                self.objects.contains_key(id) || self.existing.object_kind(id).is_some()
            }
        }
    }

    /// What examines records for this previewer (on any thread).
    pub fn examiner(&self) -> Examiner {
        Examiner {
            validate: self.opts.validate,
            sizes: self.opts.video_sizes.clone(),
        }
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
        let examined = self.examiner().examine(rec);
        self.add_examined(examined)
            .expect("a record examined here is kept")
    }

    /// Takes in a record examined by [`Examiner::examine`] (possibly on another thread; records
    /// must come in file order) and returns it, checked — `None` when its data was
    /// [discarded](Examined::discard). O(1) expected, plus the record's references.
    pub fn add_examined(&mut self, e: Examined) -> Option<Checked> {
        let Examined {
            line,
            kind,
            issues,
            keyframes,
            subject,
        } = e;
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
                            Some(id),
                            format!("Persona with ID {id} already exists"),
                        );
                    }
                    self.personas.insert(id.to_owned());
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
                            Some(id),
                            format!("Video with ID {id} already exists"),
                        );
                    }
                    self.videos.insert(id.to_owned());
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
                    Some(&id),
                    format!("{name} with ID {id} already exists"),
                );
            }
            Some(other) => self.conflict(
                ConflictKind::IdConflict,
                line,
                &id,
                Some(&id),
                format!(
                    "Id {id} is used by an existing {} (this line has a {})",
                    other.as_str(),
                    kind.as_str()
                ),
            ),
            None => {}
        }
        self.objects.insert(id.clone(), kind);
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
                        self.objects.entry(tid.clone()).or_insert(ObjectKind::Time);
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

    fn annotation(&mut self, line: usize, facts: Facts) {
        let Facts {
            summary,
            first_type,
            persona,
            links,
        } = facts;
        let id = summary.id.as_str();
        self.claim(id, line, "annotation");
        if let Some(existing) = self.existing.annotation(id) {
            self.out.conflicts.push(Conflict {
                kind: ConflictKind::DuplicateSequence,
                line,
                original_id: id.to_owned(),
                existing_id: Some(id.to_owned()),
                details: format!("Annotation with ID {id} already exists"),
                frame_range: summary.span.map(range),
                interpolation_type: first_type,
                resolution: None,
            });
            let theirs: HashMap<(Frame, Frame), &str> = existing
                .pairs
                .iter()
                .map(|(s, e, k)| ((*s, *e), k.as_str()))
                .collect();
            for (s, e, mine) in &summary.pairs {
                let mine = mine.as_str();
                if let Some(other) = theirs.get(&(*s, *e)).filter(|o| **o != mine) {
                    self.out.conflicts.push(Conflict {
                        kind: ConflictKind::InterpolationConflict,
                        line,
                        original_id: id.to_owned(),
                        existing_id: Some(id.to_owned()),
                        details: format!(
                            "Keyframe pair [{s}, {e}] is {other} in the existing sequence and {mine} in the imported one"
                        ),
                        frame_range: Some(FrameRange { start: *s, end: *e }),
                        interpolation_type: Some(mine.to_owned()),
                        resolution: None,
                    });
                }
            }
        } else if let Some(kind) = self.existing.object_kind(id) {
            self.conflict(
                ConflictKind::IdConflict,
                line,
                id,
                Some(id),
                format!(
                    "Id {id} is used by an existing {} (this line has an annotation)",
                    kind.as_str()
                ),
            );
        }
        self.reference(line, id, RefKind::Video, &summary.video_id);
        if let Some(p) = persona.as_deref() {
            self.reference(line, id, RefKind::Persona, p);
        }
        for (link, target) in &links {
            let kind = if *link == "location" { "entity" } else { link };
            self.reference(line, id, RefKind::Object(kind), target);
        }
        let AnnotationSummary {
            id,
            video_id,
            owner,
            span,
            ..
        } = summary;
        if let (Some(owner), Some(span)) = (owner, span) {
            let overlaps = |(s, e): (Frame, Frame)| -> Option<(Frame, Frame)> {
                let (lo, hi) = (s.max(span.0), e.min(span.1));
                (lo <= hi).then_some((lo, hi))
            };
            let mut found: Vec<(String, (Frame, Frame))> = Vec::new();
            for other in self.existing.annotations_of(&video_id, &owner) {
                if other.id != id
                    && let Some(o) = other.span.and_then(overlaps)
                {
                    found.push((other.id, o));
                }
            }
            let key = (video_id, owner);
            for (other, other_span) in self.spans.get(&key).into_iter().flatten() {
                if *other != id
                    && let Some(o) = overlaps(*other_span)
                {
                    found.push((other.clone(), o));
                }
            }
            for (other, o) in found {
                self.out.conflicts.push(Conflict {
                    kind: ConflictKind::OverlappingFrames,
                    line,
                    original_id: id.clone(),
                    existing_id: Some(other.clone()),
                    details: format!(
                        "Frames {}–{} are also annotated for the same object on video {} by {other}",
                        o.0, o.1, key.0
                    ),
                    frame_range: Some(range(o)),
                    interpolation_type: None,
                    resolution: None,
                });
            }
            self.spans.entry(key).or_default().push((id, span));
        }
    }

    /// Resolves the references still pending and returns the preview.
    pub fn finish(mut self) -> Preview {
        let pending = std::mem::take(&mut self.pending);
        for r in pending {
            if self.satisfied(r.kind, &r.id) {
                continue;
            }
            let what = match r.kind {
                RefKind::Video => "Video".to_owned(),
                RefKind::Persona => "Persona".to_owned(),
                RefKind::Object(k) => capitalised(k),
            };
            self.out.conflicts.push(Conflict {
                kind: ConflictKind::MissingDependency,
                line: r.line,
                original_id: r.from,
                existing_id: Some(r.id.clone()),
                details: format!("{what} {} does not exist", r.id),
                frame_range: None,
                interpolation_type: None,
                resolution: None,
            });
        }
        // Stable: within a line, conflicts keep the order they were found in.
        self.out.conflicts.sort_by_key(|c| c.line);
        self.out
    }
}

//! The per-line half of a preview: validation, conversion, and every conflict a line has with
//! the store alone. It holds no state of its own, so it runs on any thread, and it does the
//! expensive part of a preview; the [`super::Previewer`] then adds, in file order, what depends
//! on the lines before (ids and spans seen earlier, references resolved later in the file).
//!
//! When the records are not kept (a preview that applies nothing), an annotation's sequence is
//! converted only when conflict detection needs it: when the store has the annotation
//! (keyframe pairs are compared) or when the annotation may have an owner (spans are compared).

use super::conflict::{Conflict, ConflictKind, FrameRange};
use super::snapshot::Existing;
use super::summary::{AnnotationSummary, Owner};
use crate::jsonl::{LineData, LineKind, Record};
use crate::model::{Annotation, Frame};
use crate::validate::{Issue, Severity, ValidateOptions, VideoSizes, validate_record};

/// A keyframe span: first and last keyframe frame.
pub(crate) type Span = (Frame, Frame);

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    Video,
    Persona,
    Object(&'static str),
}

/// Examines records for a [`super::Previewer`] (see the module documentation). Shared by
/// reference between threads when the store is `Sync`.
#[derive(Debug)]
pub struct Examiner<'a, E: ?Sized> {
    validate: ValidateOptions,
    sizes: VideoSizes,
    existing: &'a E,
    keep: bool,
}

/// A record examined by an [`Examiner`], to hand to [`super::Previewer::add_examined`].
#[derive(Debug)]
pub struct Examined {
    pub(crate) line: usize,
    pub(crate) kind: LineKind,
    pub(crate) issues: Vec<Issue>,
    /// Keyframes of an annotation line.
    pub(crate) keyframes: Option<u64>,
    pub(crate) subject: Subject,
}

/// What an examined record holds.
#[derive(Debug)]
pub(crate) enum Subject {
    /// A valid annotation: what conflict detection needs, and the annotation itself when
    /// records are kept.
    Annotation(Box<Facts>, Option<Box<Annotation>>),
    /// Any other record, or an annotation with errors (as read). Boxed: such lines are few,
    /// and inline the record (~700 bytes) would be moved with every examined annotation.
    Record(Box<LineData>),
}

/// What conflict detection needs of a valid annotation, store lookups done.
#[derive(Debug)]
pub(crate) struct Facts {
    pub(crate) id: String,
    /// References (video, persona of a type annotation, linked objects) whose target the
    /// store lacks (usually none: nothing is allocated then).
    pub(crate) refs: Vec<(RefKind, String)>,
    /// Conflicts with the store from this line alone: a duplicate sequence and its
    /// interpolation conflicts, or the id used by an existing object.
    pub(crate) store: Vec<Conflict>,
    /// Video, owner and keyframe span, when the annotation has an owner and a span.
    pub(crate) owned: Option<(String, Owner, Span)>,
    /// Overlaps with the store's annotations of the same owner.
    pub(crate) overlaps: Vec<Conflict>,
}

// Not derived: a derived `Clone` would require `E: Clone`; only the reference is copied.
impl<E: ?Sized> Clone for Examiner<'_, E> {
    fn clone(&self) -> Self {
        Examiner {
            validate: self.validate,
            sizes: self.sizes.clone(),
            existing: self.existing,
            keep: self.keep,
        }
    }
}

impl<'a, E: Existing + ?Sized> Examiner<'a, E> {
    pub(crate) fn new(validate: ValidateOptions, sizes: VideoSizes, existing: &'a E) -> Self {
        Examiner {
            validate,
            sizes,
            existing,
            keep: true,
        }
    }

    /// An examiner that keeps only what conflict detection needs: the records are dropped
    /// where they were examined (for a preview that applies nothing).
    pub fn facts_only(mut self) -> Self {
        self.keep = false;
        self
    }

    /// Validates `rec`; a valid annotation is converted (its sequence only when needed, see
    /// the module documentation) and its store conflicts found. O(size of the record +
    /// K log K) for K keyframes, plus the store's lookups.
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
        let keyframes = a.keyframe_count(policy);
        let subject = if issues.iter().any(|i| i.severity == Severity::Error) {
            Subject::Record(Box::new(LineData::Annotation(a)))
        } else {
            match self.convert(line, *a) {
                Ok((ann, facts)) => Subject::Annotation(Box::new(facts), self.keep.then_some(ann)),
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

    /// Converts a valid annotation (the sequence only when needed) and gathers its facts.
    fn convert(
        &self,
        line: usize,
        a: crate::jsonl::AnnotationRecord,
    ) -> crate::Result<(Box<Annotation>, Facts)> {
        let (ann, sequence) = a.into_parts()?;
        // Boxed once here: it is moved no more.
        let mut ann = Box::new(ann);
        let existing = self.existing.annotation(&ann.id);
        // An owner needs a track (type annotations) or a link (object annotations).
        let may_own = ann.is_object() || sequence.track_id.is_some();
        let summary = if self.keep || existing.is_some() || may_own {
            ann.bounding_box_sequence = sequence.convert_in_annotation()?;
            Some(AnnotationSummary::of(&ann, self.validate.keyframes))
        } else {
            None
        };
        let mut facts = self.facts(line, &ann, summary, existing);
        facts.id = if self.keep {
            ann.id.clone()
        } else {
            std::mem::take(&mut ann.id)
        };
        Ok((ann, facts))
    }

    fn facts(
        &self,
        line: usize,
        a: &Annotation,
        summary: Option<AnnotationSummary>,
        existing: Option<AnnotationSummary>,
    ) -> Facts {
        let id = a.id.as_str();
        let mut store = Vec::new();
        match (&existing, &summary) {
            (Some(theirs), Some(mine)) => {
                let first_type = a
                    .bounding_box_sequence
                    .interpolation_segments
                    .first()
                    .map(|s| s.kind.as_str().to_owned());
                duplicate_sequence(&mut store, line, id, mine, theirs, first_type);
            }
            _ => {
                if let Some(kind) = self.existing.object_kind(id) {
                    store.push(conflict(
                        ConflictKind::IdConflict,
                        line,
                        id,
                        id,
                        format!(
                            "Id {id} is used by an existing {} (this line has an annotation)",
                            kind.as_str()
                        ),
                    ));
                }
            }
        }
        let mut refs = Vec::new();
        if !self.existing.has_video(&a.video_id) {
            refs.push((RefKind::Video, a.video_id.clone()));
        }
        if !a.is_object()
            && let Some(p) = &a.persona_id
            && !self.existing.has_persona(p)
        {
            refs.push((RefKind::Persona, p.clone()));
        }
        for (link, target) in a.linked_ids() {
            let kind = if link == "location" { "entity" } else { link };
            if self.existing.object_kind(target).is_none() {
                refs.push((RefKind::Object(kind), target.to_owned()));
            }
        }
        let owned = summary.and_then(|s| Some((a.video_id.clone(), s.owner?, s.span?)));
        let mut overlaps = Vec::new();
        if let Some((_, owner, span)) = &owned {
            for other in self.existing.annotations_of(&a.video_id, owner) {
                if other.id != id
                    && let Some(o) = other.span.and_then(|s| overlap(s, *span))
                {
                    overlaps.push(overlapping(line, id, &other.id, o, &a.video_id));
                }
            }
        }
        Facts {
            // Set by the caller, who may move it.
            id: String::new(),
            refs,
            store,
            owned,
            overlaps,
        }
    }
}

/// The `duplicate-sequence` conflict of an annotation the store has, then one
/// `interpolation-conflict` per keyframe pair whose mode differs in the store.
fn duplicate_sequence(
    out: &mut Vec<Conflict>,
    line: usize,
    id: &str,
    mine: &AnnotationSummary,
    theirs: &AnnotationSummary,
    first_type: Option<String>,
) {
    out.push(Conflict {
        frame_range: mine.span.map(|(start, end)| FrameRange { start, end }),
        interpolation_type: first_type,
        ..conflict(
            ConflictKind::DuplicateSequence,
            line,
            id,
            id,
            format!("Annotation with ID {id} already exists"),
        )
    });
    let by_pair: hashbrown::HashMap<(Frame, Frame), &str> = theirs
        .pairs
        .iter()
        .map(|(s, e, k)| ((*s, *e), k.as_str()))
        .collect();
    for (s, e, mine) in &mine.pairs {
        let mine = mine.as_str();
        if let Some(other) = by_pair.get(&(*s, *e)).filter(|o| **o != mine) {
            out.push(Conflict {
                frame_range: Some(FrameRange { start: *s, end: *e }),
                interpolation_type: Some(mine.to_owned()),
                ..conflict(
                    ConflictKind::InterpolationConflict,
                    line,
                    id,
                    id,
                    format!(
                        "Keyframe pair [{s}, {e}] is {other} in the existing sequence and {mine} in the imported one"
                    ),
                )
            });
        }
    }
}

/// A conflict of `kind` on `line` between `original` and `existing`.
pub(crate) fn conflict(
    kind: ConflictKind,
    line: usize,
    original: &str,
    existing: &str,
    details: String,
) -> Conflict {
    Conflict {
        kind,
        line,
        original_id: original.to_owned(),
        existing_id: Some(existing.to_owned()),
        details,
        frame_range: None,
        interpolation_type: None,
        resolution: None,
    }
}

/// `kind` with its first letter in upper case, as messages name kinds.
pub(crate) fn capitalised(kind: &str) -> String {
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The frames two spans share, if any.
pub(crate) fn overlap(a: Span, b: Span) -> Option<Span> {
    let (lo, hi) = (a.0.max(b.0), a.1.min(b.1));
    (lo <= hi).then_some((lo, hi))
}

/// The `overlapping-frames` conflict of `id` with `other` on `frames` of `video`.
pub(crate) fn overlapping(
    line: usize,
    id: &str,
    other: &str,
    (start, end): Span,
    video: &str,
) -> Conflict {
    Conflict {
        frame_range: Some(FrameRange { start, end }),
        ..conflict(
            ConflictKind::OverlappingFrames,
            line,
            id,
            other,
            format!(
                "Frames {start}–{end} are also annotated for the same object on video {video} by {other}"
            ),
        )
    }
}

//! The in-file half of a preview's conflict detection, deferred to the end: the ids lines
//! claim, the objects they define and reference, and the keyframe spans of owned annotations
//! are recorded as lines come, in tables that spill to disk beyond a memory budget
//! ([`SpillGroups`]), and resolved in one pass over each table at the end. So a preview's
//! memory does not grow with the file. Each conflict carries its [`Place`] in the report, which
//! therefore reads as if conflicts were found line by line.

use super::codec::{Fields, put_owner_key, put_str, put_u32, put_u64};
use super::conflict::{Conflict, ConflictKind};
use super::examine::{RefKind, Span, capitalised, conflict, overlap, overlapping};
use super::spill::SpillGroups;
use super::summary::Owner;
use std::borrow::Cow;
use std::io;
use std::ops::Range;
use std::path::PathBuf;

/// Where a conflict goes in the report: its line, its slot in the order the line met its
/// conflicts, then (for overlaps found in the file) the rank of the other annotation.
pub(crate) type Place = (usize, u32, u64);

/// Slots of missing references: after every other conflict of their line, in the order the
/// line made them.
pub(crate) const LATE: u32 = 1 << 31;

/// Rank bit of a reference: it sorts after every definition of its target.
const REFERENCE: u64 = 1 << 63;

/// The kinds an id can be claimed by, as named in messages.
const KINDS: [&str; 10] = [
    "annotation",
    "persona",
    "video",
    "entity",
    "event",
    "time",
    "entityCollection",
    "eventCollection",
    "timeCollection",
    "relation",
];

/// The deferred tables of a preview (see the module documentation).
pub(crate) struct InFile {
    /// Key: an id; payload: line, slot and kind of a claim.
    ids: SpillGroups,
    /// Key: namespace and id; payload: none for a definition, or line, slot, what is
    /// referenced and from where.
    refs: SpillGroups,
    /// Key: video and owner; payload: line, slot, span and annotation id.
    spans: SpillGroups,
    /// Records pushed so far: the next rank, so ranks follow the file.
    pushed: u64,
    key: Vec<u8>,
    payload: Vec<u8>,
    /// A spill that failed: what was recorded is incomplete, and nothing more is.
    failed: Option<io::Error>,
}

/// The namespace of a reference's target: videos, personas and world objects have their own.
fn namespace(kind: RefKind) -> u8 {
    match kind {
        RefKind::Video => 0,
        RefKind::Persona => 1,
        RefKind::Object(_) => 2,
    }
}

/// Line and slot, the first fields of every payload that makes conflicts.
fn place(f: &mut Fields<'_>) -> io::Result<(usize, u32)> {
    Ok((f.u64()? as usize, f.u32()?))
}

impl InFile {
    /// Empty tables that hold up to `budget` bytes in memory (a third each), and whose runs
    /// go to `dir`.
    pub(crate) fn new(budget: usize, dir: PathBuf) -> Self {
        InFile {
            ids: SpillGroups::new(budget / 3, dir.clone()),
            refs: SpillGroups::new(budget / 3, dir.clone()),
            spans: SpillGroups::new(budget / 3, dir),
            pushed: 0,
            key: Vec::new(),
            payload: Vec::new(),
            failed: None,
        }
    }

    fn rank(&mut self) -> u64 {
        self.pushed += 1;
        self.pushed - 1
    }

    /// Records that `line` claims `id` for a `kind` in `slot`; a later claim of the id is an
    /// `id-conflict`. O(len).
    ///
    /// # Panics
    /// When `kind` is not one of [`KINDS`] (a programming error).
    pub(crate) fn claim(&mut self, id: &str, line: usize, slot: u32, kind: &'static str) {
        if self.failed.is_some() {
            return;
        }
        let kind = KINDS
            .iter()
            .position(|k| *k == kind)
            .expect("ids are claimed by known kinds") as u8;
        self.payload.clear();
        put_u64(&mut self.payload, line as u64);
        put_u32(&mut self.payload, slot);
        self.payload.push(kind);
        let rank = self.rank();
        let pushed = self.ids.push(id.as_bytes(), rank, &self.payload);
        self.check(pushed);
    }

    fn ref_key(&mut self, kind: RefKind, id: &str) {
        self.key.clear();
        self.key.push(namespace(kind));
        self.key.extend_from_slice(id.as_bytes());
    }

    /// Records that the file defines `id` (a video, a persona or a world object). O(len).
    pub(crate) fn define(&mut self, kind: RefKind, id: &str) {
        if self.failed.is_some() {
            return;
        }
        self.ref_key(kind, id);
        let rank = self.rank();
        let pushed = self.refs.push(&self.key, rank, &[]);
        self.check(pushed);
    }

    /// Records a reference from `from` on `line` (in `slot`) that the store does not satisfy:
    /// a `missing-dependency` unless the file defines its target. O(len).
    pub(crate) fn refer(&mut self, line: usize, slot: u32, from: &str, kind: RefKind, id: &str) {
        if self.failed.is_some() {
            return;
        }
        self.ref_key(kind, id);
        self.payload.clear();
        put_u64(&mut self.payload, line as u64);
        put_u32(&mut self.payload, slot);
        let what = match kind {
            RefKind::Video => Cow::Borrowed("Video"),
            RefKind::Persona => Cow::Borrowed("Persona"),
            RefKind::Object(k) => Cow::Owned(capitalised(k)),
        };
        put_str(&mut self.payload, &what);
        put_str(&mut self.payload, from);
        let rank = self.rank() | REFERENCE;
        let pushed = self.refs.push(&self.key, rank, &self.payload);
        self.check(pushed);
    }

    /// Records the keyframe span of annotation `id` on `line` (its in-file overlaps go in
    /// `slot`), owned by `owner` on `video`. O(len).
    pub(crate) fn span(
        &mut self,
        (line, slot): (usize, u32),
        id: &str,
        video: &str,
        owner: &Owner,
        span: Span,
    ) {
        if self.failed.is_some() {
            return;
        }
        self.key.clear();
        put_owner_key(&mut self.key, video, Some(owner));
        self.payload.clear();
        put_u64(&mut self.payload, line as u64);
        put_u32(&mut self.payload, slot);
        put_u32(&mut self.payload, span.0);
        put_u32(&mut self.payload, span.1);
        put_str(&mut self.payload, id);
        let rank = self.rank();
        let pushed = self.spans.push(&self.key, rank, &self.payload);
        self.check(pushed);
    }

    /// Keeps the first failure to spill: from then on nothing more is recorded.
    fn check(&mut self, pushed: io::Result<()>) {
        if let Err(e) = pushed {
            self.failed = Some(e);
        }
    }

    /// Adds the conflicts of the file's lines with each other to `out`, each with its place:
    /// ids claimed twice, references the file does not define either, and overlapping spans
    /// of one owner. One pass over each table: O(n log n) in memory, O(n log r) over r spilled
    /// runs, plus, per owner, each span compared with the earlier ones.
    pub(crate) fn resolve(self, out: &mut Vec<(Place, Conflict)>) -> io::Result<()> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut first = (0, 0);
        self.ids.visit(|v| {
            let mut f = Fields(v.payload);
            let (line, slot) = place(&mut f)?;
            let kind = usize::from(f.u8()?);
            if v.first {
                first = (line, kind);
                return Ok(());
            }
            let id = String::from_utf8_lossy(v.key);
            let first_kind = KINDS.get(first.1).copied().unwrap_or("object");
            out.push((
                (line, slot, 0),
                conflict(
                    ConflictKind::IdConflict,
                    line,
                    &id,
                    &id,
                    format!(
                        "Id {id} is already used on line {} (by a {first_kind})",
                        first.0
                    ),
                ),
            ));
            Ok(())
        })?;
        let mut defined = false;
        self.refs.visit(|v| {
            defined &= !v.first;
            if v.rank & REFERENCE == 0 {
                defined = true;
            }
            if defined {
                return Ok(());
            }
            let mut f = Fields(v.payload);
            let (line, slot) = place(&mut f)?;
            let (what, from) = (f.str()?, f.str()?);
            let id = String::from_utf8_lossy(v.key.get(1..).unwrap_or_default());
            out.push((
                (line, LATE | slot, 0),
                Conflict {
                    kind: ConflictKind::MissingDependency,
                    line,
                    original_id: from.into_owned(),
                    existing_id: Some(id.clone().into_owned()),
                    details: format!("{what} {id} does not exist"),
                    frame_range: None,
                    interpolation_type: None,
                    resolution: None,
                },
            ));
            Ok(())
        })?;
        // The earlier spans of the current owner: rank, id (in `names`) and span.
        let mut group: Vec<(u64, Range<usize>, Span)> = Vec::new();
        let mut names = String::new();
        self.spans.visit(|v| {
            if v.first {
                group.clear();
                names.clear();
            }
            let mut f = Fields(v.payload);
            let (line, slot) = place(&mut f)?;
            let span = (f.u32()?, f.u32()?);
            let id = f.str()?;
            let video = Fields(v.key).str()?;
            for (rank, name, other_span) in &group {
                let other = &names[name.clone()];
                if other != id
                    && let Some(o) = overlap(*other_span, span)
                {
                    out.push((
                        (line, slot, *rank),
                        overlapping(line, &id, other, o, &video),
                    ));
                }
            }
            let at = names.len();
            names.push_str(&id);
            group.push((v.rank, at..names.len(), span));
            Ok(())
        })
    }
}

//! Applying an import to a [`Dataset`]: every strategy FOVEA's `ImportOptions` names,
//! per-conflict choices, dependency order, atomic or line-by-line, and a result in FOVEA's
//! shape whose counters hold only what was applied (FOVEA's also count rolled-back lines).
//!
//! How strategies act (FOVEA leaves most of them unimplemented):
//! * a line's conflicts are all resolved and recorded; their precedence is
//!   `fail-import` > `skip-item` (missing dependency) > the line's own strategies;
//! * `create-placeholder` creates a minimal video, persona or world object for each missing
//!   reference (named `Placeholder for <id>`), counted in `importedItems.placeholders`;
//! * `id-conflict` with `preserve-id` treats the later line as a duplicate of the earlier one
//!   (so the duplicate strategies apply); `regenerate-id` gives it a new UUID v4;
//! * personas: `skip`, `replace`, `merge` (the imported persona's fields override, ontology
//!   types are united by id), `rename` (new id, name suffixed ` (imported)`, and the file's
//!   later references to the old id follow);
//! * world objects and videos: `skip`, `replace`, `merge-assignments` (type assignments,
//!   interpretations and collection members united);
//! * sequences: `skip`, `replace`, `merge-keyframes` ([`super::merge_keyframes`]),
//!   `create-new` (new UUID v4);
//! * overlapping frames: `split-ranges` imports the annotation with the overlapping frames
//!   hidden, `extend-range` merges it into the annotation it overlaps, `replace-overlap` drops
//!   that annotation's keyframes inside the imported span and merges, `fail-import` fails;
//! * interpolation conflicts choose the side of a merged keyframe pair (`fail-import` fails
//!   the merge).
//!
//! Atomic imports (the default) apply to a copy and keep it only if every line succeeded; a
//! failed atomic import changes nothing and reports zero imported items.

use super::conflict::{Conflict, ConflictKind};
use super::dataset::{Dataset, object_kind};
use super::merge::{Side, merge_keyframes};
use super::options::{
    DuplicateIdStrategy, ImportOptions, InterpolationStrategy, MissingDependencyStrategy,
    ObjectScope, OverlapStrategy, PersonaStrategy, SequenceStrategy, WorldObjectStrategy,
};
use super::preview::{Checked, CheckedData, Preview};
use crate::error::Result;
use crate::jsonl::{LineData, group_of};
use crate::model::{
    Annotation, Entity, Event, KeyframePolicy, OntologyData, Persona, PersonaOntology, Video,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Items imported, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportedItems {
    /// Personas.
    pub personas: u64,
    /// Persona ontologies.
    pub ontologies: u64,
    /// Entities.
    pub entities: u64,
    /// Events.
    pub events: u64,
    /// Times.
    pub times: u64,
    /// Entity collections.
    pub entity_collections: u64,
    /// Event collections.
    pub event_collections: u64,
    /// Time collections.
    pub time_collections: u64,
    /// Relations.
    pub relations: u64,
    /// Videos.
    pub videos: u64,
    /// Annotations.
    pub annotations: u64,
    /// Keyframes of the imported annotations.
    pub total_keyframes: u64,
    /// Interpolated frames of the imported annotations (what an interpolated export writes).
    pub total_interpolated_frames: u64,
    /// Imported annotations with exactly one keyframe.
    pub single_keyframe_sequences: u64,
    /// Placeholders created for missing references.
    pub placeholders: u64,
}

/// Items skipped, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SkippedItems {
    /// Personas (and their ontologies).
    pub personas: u64,
    /// World objects and videos.
    pub world_objects: u64,
    /// Annotations.
    pub annotations: u64,
    /// Annotations skipped as duplicate sequences.
    pub sequence_annotations: u64,
}

/// Counts of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportSummary {
    /// Records read (readable lines).
    pub total_lines: u64,
    /// Records applied.
    pub processed_lines: u64,
    /// What was imported.
    pub imported_items: ImportedItems,
    /// What was skipped.
    pub skipped_items: SkippedItems,
}

/// A warning or error of an import.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportMessage {
    /// Physical line (0: not line-specific).
    pub line: usize,
    /// `validation`, `import`, `execution` or `conflict` (FOVEA's types).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What happened.
    pub message: String,
}

/// The result of an import, in FOVEA's `ImportResult` shape: success, summary, warnings,
/// errors, conflicts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportResult {
    /// Whether every line was read and applied or deliberately skipped (no line failed; an
    /// unreadable line is a failed line).
    pub success: bool,
    /// Whether the changes were kept: always for non-atomic imports, only on success for
    /// atomic ones. A non-atomic import with failed lines is `success: false, committed: true`.
    pub committed: bool,
    /// Counts of what was applied.
    pub summary: ImportSummary,
    /// Warnings.
    pub warnings: Vec<ImportMessage>,
    /// Errors.
    pub errors: Vec<ImportMessage>,
    /// Every conflict with the strategy chosen for it.
    pub conflicts: Vec<Conflict>,
}

impl ImportResult {
    /// Marks the import as rolled back: nothing was kept, so nothing is counted, and an
    /// `execution` error (line 0) says why.
    pub fn roll_back(&mut self, why: impl std::fmt::Display) {
        self.success = false;
        self.committed = false;
        self.summary.processed_lines = 0;
        self.summary.imported_items = ImportedItems::default();
        self.summary.skipped_items = SkippedItems::default();
        self.errors.push(ImportMessage {
            line: 0,
            kind: "execution",
            message: format!("Import rolled back: {why}"),
        });
    }
}

/// A new random id (UUID v4).
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What the conflicts of one line decide.
#[derive(Default)]
struct Decision {
    fail: Option<String>,
    skip: Option<String>,
    regenerate: bool,
    placeholders: Vec<(String, String)>,
    sequence: Option<SequenceStrategy>,
    overlaps: Vec<(OverlapStrategy, String, (u32, u32))>,
    interpolation: Option<InterpolationStrategy>,
    personas: HashMap<String, PersonaStrategy>,
    object: Option<WorldObjectStrategy>,
}

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

struct Applier<'a> {
    work: Dataset,
    options: &'a ImportOptions,
    policy: KeyframePolicy,
    result: ImportResult,
    renamed: HashMap<String, String>,
}

impl Applier<'_> {
    fn warn(&mut self, line: usize, kind: &'static str, message: String) {
        self.result.warnings.push(ImportMessage {
            line,
            kind,
            message,
        });
    }

    fn decide(&mut self, line: usize, conflicts: &mut [Conflict]) -> Decision {
        let mut d = Decision::default();
        for c in conflicts.iter_mut() {
            let r = self.options.resolution_for(c.kind, line).to_owned();
            c.resolution = Some(r.clone());
            let what = format!("{} ({})", c.kind.as_str(), c.details);
            match c.kind {
                ConflictKind::MissingDependency => match parse(&r) {
                    Some(MissingDependencyStrategy::SkipItem) => d.skip = Some(what),
                    Some(MissingDependencyStrategy::CreatePlaceholder) => {
                        let kind = c.details.split(' ').next().unwrap_or_default().to_owned();
                        d.placeholders
                            .push((kind, c.existing_id.clone().unwrap_or_default()));
                    }
                    _ => d.fail = Some(what),
                },
                ConflictKind::IdConflict => {
                    d.regenerate |=
                        parse::<DuplicateIdStrategy>(&r) == Some(DuplicateIdStrategy::RegenerateId);
                }
                ConflictKind::DuplicateSequence => d.sequence = parse(&r),
                ConflictKind::OverlappingFrames => match parse(&r) {
                    Some(OverlapStrategy::FailImport) | None => d.fail = Some(what),
                    Some(s) => {
                        let range = c.frame_range.map_or((0, 0), |f| (f.start, f.end));
                        d.overlaps
                            .push((s, c.existing_id.clone().unwrap_or_default(), range));
                    }
                },
                ConflictKind::InterpolationConflict => d.interpolation = parse(&r),
                ConflictKind::DuplicatePersona => {
                    if let Some(s) = parse(&r) {
                        d.personas.insert(c.original_id.clone(), s);
                    }
                }
                ConflictKind::DuplicateObject => d.object = parse(&r),
            }
        }
        // The interpolation strategy is consulted only when the sequences are merged; any
        // other sequence resolution (or a regenerated id) decides the modes by itself, and the
        // conflict reports that resolution, so the report says what was applied.
        let sequence = d.sequence.unwrap_or(
            self.options
                .conflict_resolution
                .sequences
                .duplicate_sequence_ids,
        );
        let settled_by = if d.regenerate {
            Some(DuplicateIdStrategy::RegenerateId.as_str())
        } else {
            (sequence != SequenceStrategy::MergeKeyframes).then(|| sequence.as_str())
        };
        if let Some(name) = settled_by {
            d.interpolation = None;
            for c in conflicts.iter_mut() {
                if c.kind == ConflictKind::InterpolationConflict {
                    c.resolution = Some(name.to_owned());
                }
            }
        }
        d
    }

    fn placeholder(&mut self, kind: &str, id: &str) {
        let name = Some(format!("Placeholder for {id}"));
        let made = match kind {
            "Video" if !self.work.videos.contains_key(id) => {
                let v = Video {
                    id: Some(id.to_owned()),
                    title: name,
                    ..Default::default()
                };
                self.work.videos.insert(id.to_owned(), v);
                true
            }
            "Persona" if !self.work.personas.contains_key(id) => {
                let p = Persona {
                    id: Some(id.to_owned()),
                    name,
                    role: Some(String::new()),
                    information_need: Some(String::new()),
                    ..Default::default()
                };
                self.work.personas.insert(id.to_owned(), p);
                true
            }
            "Event" if !self.work.objects.contains_key(id) => {
                let e = Event {
                    id: Some(id.to_owned()),
                    name,
                    ..Default::default()
                };
                self.work.objects.insert(id.to_owned(), LineData::Event(e));
                true
            }
            "Time" if !self.work.objects.contains_key(id) => {
                let t = crate::model::Time {
                    id: Some(id.to_owned()),
                    label: name,
                    ..Default::default()
                };
                self.work.objects.insert(id.to_owned(), LineData::Time(t));
                true
            }
            "Video" | "Persona" | "Event" | "Time" => false,
            _ if !self.work.objects.contains_key(id) => {
                let e = Entity {
                    id: Some(id.to_owned()),
                    name,
                    ..Default::default()
                };
                self.work.objects.insert(id.to_owned(), LineData::Entity(e));
                true
            }
            _ => false,
        };
        self.result.summary.imported_items.placeholders += u64::from(made);
    }

    fn renamed_persona(&self, id: &mut Option<String>) {
        if let Some(p) = id
            && let Some(new) = self.renamed.get(p)
        {
            *p = new.clone();
        }
    }

    /// Applies one line; `Err` is a line failure (message).
    fn line(&mut self, item: Checked, d: Decision) -> std::result::Result<(), String> {
        let line = item.line;
        if let Some(why) = d.fail {
            return Err(format!(
                "Import failed due to an unresolvable conflict: {why}"
            ));
        }
        if item.invalid {
            let msg = item.errors.join(", ");
            if self.options.validation.strict_mode {
                return Err(format!("Validation failed: {msg}"));
            }
            self.warn(line, "validation", msg);
            self.skip_kind(&item.data);
            return Ok(());
        }
        if let Some(why) = d.skip {
            self.warn(line, "conflict", format!("skipped: {why}"));
            self.skip_kind(&item.data);
            return Ok(());
        }
        if !self.in_scope(&item) {
            self.skip_kind(&item.data);
            return Ok(());
        }
        for (kind, id) in &d.placeholders {
            self.placeholder(kind, id);
        }
        match item.data {
            CheckedData::Annotation(a) => self.annotation(*a, &d)?,
            CheckedData::Record(LineData::Annotation(_)) => {
                return Err("the annotation could not be read".into());
            }
            CheckedData::Record(LineData::Ontology(o)) => self.ontology(o, &d),
            CheckedData::Record(LineData::Video(v)) => self.video(v, &d),
            CheckedData::Record(LineData::Metadata(_)) => return Ok(()),
            CheckedData::Record(unknown @ LineData::Unknown { .. }) => {
                let kind = unknown.kind();
                self.warn(
                    line,
                    "validation",
                    format!("Unknown line type: {} (kept)", kind.as_str()),
                );
                self.work.other.push(unknown);
            }
            CheckedData::Record(other) => self.object(other, &d),
        }
        self.result.summary.processed_lines += 1;
        Ok(())
    }

    fn in_scope(&self, item: &Checked) -> bool {
        let scope = &self.options.scope;
        let data = match &item.data {
            CheckedData::Annotation(a) => {
                return scope.include_annotations
                    && scope
                        .specific_persona_ids
                        .as_ref()
                        .is_none_or(|ids| a.persona_id.as_ref().is_some_and(|p| ids.contains(p)));
            }
            CheckedData::Record(data) => data,
        };
        match data {
            LineData::Ontology(_) => scope.include_personas,
            LineData::Annotation(_) => scope.include_annotations,
            other => match object_kind(other) {
                Some(kind) => {
                    let wanted = match kind.as_str() {
                        "entity" | "relation" => ObjectScope::Entity,
                        "event" => ObjectScope::Event,
                        "time" => ObjectScope::Time,
                        _ => ObjectScope::Collection,
                    };
                    scope.include_world_state
                        && scope
                            .specific_object_types
                            .as_ref()
                            .is_none_or(|t| t.contains(&wanted))
                }
                None => true,
            },
        }
    }

    fn skip_kind(&mut self, data: &CheckedData) {
        let s = &mut self.result.summary.skipped_items;
        let data = match data {
            CheckedData::Annotation(_) => {
                s.annotations += 1;
                return;
            }
            CheckedData::Record(data) => data,
        };
        match data {
            LineData::Annotation(_) => s.annotations += 1,
            LineData::Ontology(o) => {
                s.personas += o.personas.as_ref().map_or(0, |p| p.len() as u64)
            }
            LineData::Metadata(_) | LineData::Unknown { .. } => {}
            _ => s.world_objects += 1,
        }
    }

    fn count_annotation(&mut self, a: &Annotation) {
        let c = a.bounding_box_sequence.counters(self.policy);
        let items = &mut self.result.summary.imported_items;
        items.annotations += 1;
        items.total_keyframes += c.keyframe_count as u64;
        items.total_interpolated_frames += c.interpolated_frame_count as u64;
        items.single_keyframe_sequences += u64::from(c.keyframe_count == 1);
    }

    fn merge_side(&self, d: &Decision) -> std::result::Result<Side, String> {
        match d.interpolation.unwrap_or(self.options.conflict_resolution.sequences.interpolation_conflicts) {
            InterpolationStrategy::UseExisting => Ok(Side::Existing),
            InterpolationStrategy::UseImported => Ok(Side::Imported),
            InterpolationStrategy::FailImport => Err("keyframe pairs of the merged sequences have different interpolation modes (interpolation-conflict: fail-import)".into()),
        }
    }

    fn annotation(&mut self, mut a: Annotation, d: &Decision) -> std::result::Result<(), String> {
        if !a.is_object() {
            self.renamed_persona(&mut a.persona_id);
        }
        if d.regenerate {
            a.id = new_id();
        }
        if let Some(existing) = self.work.annotations.get(&a.id).cloned() {
            let strategy = d.sequence.unwrap_or(
                self.options
                    .conflict_resolution
                    .sequences
                    .duplicate_sequence_ids,
            );
            match strategy {
                SequenceStrategy::Skip => {
                    self.result.summary.skipped_items.annotations += 1;
                    self.result.summary.skipped_items.sequence_annotations += 1;
                    return Ok(());
                }
                SequenceStrategy::Replace => {}
                SequenceStrategy::MergeKeyframes => {
                    let side = self.merge_side(d)?;
                    let merged = merge_keyframes(
                        &existing.bounding_box_sequence,
                        &a.bounding_box_sequence,
                        side,
                        self.policy,
                    );
                    a.bounding_box_sequence = merged;
                    if a.created_at.is_none() {
                        a.created_at = existing.created_at;
                    }
                }
                SequenceStrategy::CreateNew => a.id = new_id(),
            }
        } else if let Some((strategy, other_id, range)) = d.overlaps.first().cloned() {
            match strategy {
                OverlapStrategy::SplitRanges => {
                    for (_, _, (lo, hi)) in &d.overlaps {
                        a.bounding_box_sequence
                            .paint(*lo, *hi, false, Default::default());
                    }
                }
                OverlapStrategy::ExtendRange | OverlapStrategy::ReplaceOverlap => {
                    if let Some(mut other) = self.work.annotations.get(&other_id).cloned() {
                        let seq = &mut other.bounding_box_sequence;
                        if strategy == OverlapStrategy::ReplaceOverlap {
                            let span = a.bounding_box_sequence.span(self.policy).unwrap_or(range);
                            seq.boxes
                                .retain(|b| b.frame_number < span.0 || b.frame_number > span.1);
                        }
                        let side = self.merge_side(d)?;
                        other.bounding_box_sequence =
                            merge_keyframes(seq, &a.bounding_box_sequence, side, self.policy);
                        self.count_annotation(&other);
                        self.work.annotations.insert(other_id, other);
                        return Ok(());
                    }
                }
                OverlapStrategy::FailImport => {
                    return Err("overlapping frames (fail-import)".into());
                }
            }
        }
        self.count_annotation(&a);
        self.work.annotations.insert(a.id.clone(), a);
        Ok(())
    }

    fn ontology(&mut self, o: OntologyData, d: &Decision) {
        // What became of each imported persona: skipped, or stored under an id (merged or not).
        let mut fate: HashMap<String, Option<(String, bool)>> = HashMap::new();
        for mut p in o.personas.unwrap_or_default() {
            let Some(id) = p.id.clone() else { continue };
            let exists = self.work.personas.contains_key(&id);
            let strategy = d
                .personas
                .get(&id)
                .copied()
                .unwrap_or(self.options.conflict_resolution.personas);
            let target = match (exists, strategy) {
                (true, PersonaStrategy::Skip) => {
                    self.result.summary.skipped_items.personas += 1;
                    fate.insert(id, None);
                    continue;
                }
                (true, PersonaStrategy::Merge) => {
                    let old = self.work.personas.get_mut(&id).expect("exists");
                    merge_persona(old, p);
                    id.clone()
                }
                (true, PersonaStrategy::Rename) => {
                    let new = new_id();
                    p.id = Some(new.clone());
                    p.name = p.name.map(|n| format!("{n} (imported)"));
                    self.renamed.insert(id.clone(), new.clone());
                    self.work.personas.insert(new.clone(), p);
                    new
                }
                _ => {
                    self.work.personas.insert(id.clone(), p);
                    id.clone()
                }
            };
            self.result.summary.imported_items.personas += 1;
            let merge = exists && strategy == PersonaStrategy::Merge;
            fate.insert(id, Some((target, merge)));
        }
        for mut po in o.persona_ontologies.unwrap_or_default() {
            let Some(pid) = po.persona_id.clone() else {
                continue;
            };
            let (target, merge) = match fate.get(&pid) {
                Some(None) => continue,
                Some(Some(t)) => t.clone(),
                None => (self.renamed.get(&pid).cloned().unwrap_or(pid), false),
            };
            po.persona_id = Some(target.clone());
            match self.work.ontologies.get_mut(&target) {
                Some(old) if merge => merge_ontology(old, po),
                _ => {
                    self.work.ontologies.insert(target, po);
                }
            }
            self.result.summary.imported_items.ontologies += 1;
        }
    }

    fn video(&mut self, mut v: Video, d: &Decision) {
        if d.regenerate {
            v.id = Some(new_id());
        }
        let Some(id) = v.id.clone() else { return };
        let strategy = d
            .object
            .unwrap_or(self.options.conflict_resolution.world_objects);
        match (self.work.videos.get_mut(&id), strategy) {
            (Some(_), WorldObjectStrategy::Skip) => {
                self.result.summary.skipped_items.world_objects += 1;
                return;
            }
            (Some(old), WorldObjectStrategy::MergeAssignments) => {
                // Videos have no assignments: keep the existing video, fill what it lacks.
                let mut merged = serde_json::to_value(&v).unwrap_or_default();
                if let (Value::Object(m), Ok(Value::Object(o))) =
                    (&mut merged, serde_json::to_value(&*old))
                {
                    m.extend(o);
                }
                if let Ok(video) = serde_json::from_value(merged) {
                    *old = video;
                }
            }
            _ => {
                self.work.videos.insert(id, v);
            }
        }
        self.result.summary.imported_items.videos += 1;
    }

    fn object(&mut self, mut data: LineData, d: &Decision) {
        rename_object_personas(&mut data, &self.renamed);
        let Some(kind) = object_kind(&data) else {
            return;
        };
        if d.regenerate {
            set_object_id(&mut data, new_id());
        }
        let Some(id) = data.id().map(str::to_owned) else {
            self.work.other.push(data);
            return;
        };
        let strategy = d
            .object
            .unwrap_or(self.options.conflict_resolution.world_objects);
        let same_kind = self
            .work
            .objects
            .get(&id)
            .is_some_and(|o| object_kind(o) == Some(kind));
        match (same_kind, strategy) {
            (true, WorldObjectStrategy::Skip) => {
                self.result.summary.skipped_items.world_objects += 1;
                return;
            }
            (true, WorldObjectStrategy::MergeAssignments) => {
                let old = self.work.objects.get_mut(&id).expect("exists");
                merge_assignments(old, data);
            }
            _ => {
                self.work.objects.insert(id, data);
            }
        }
        let items = &mut self.result.summary.imported_items;
        let counter = match kind.as_str() {
            "entity" => &mut items.entities,
            "event" => &mut items.events,
            "time" => &mut items.times,
            "entityCollection" => &mut items.entity_collections,
            "eventCollection" => &mut items.event_collections,
            "timeCollection" => &mut items.time_collections,
            _ => &mut items.relations,
        };
        *counter += 1;
    }
}

fn merge_persona(old: &mut Persona, new: Persona) {
    let mut merged = serde_json::to_value(&*old).unwrap_or_default();
    if let (Value::Object(m), Ok(Value::Object(n))) = (&mut merged, serde_json::to_value(&new)) {
        m.extend(n);
    }
    if let Ok(p) = serde_json::from_value(merged) {
        *old = p;
    }
}

/// Unites type lists by `id`, the new entry replacing an old one with the same id.
fn unite(old: &mut Option<Vec<Value>>, new: Option<Vec<Value>>) {
    let list = old.get_or_insert_with(Vec::new);
    for item in new.into_iter().flatten() {
        match list
            .iter_mut()
            .find(|o| o.get("id").is_some() && o.get("id") == item.get("id"))
        {
            Some(slot) => *slot = item,
            None => list.push(item),
        }
    }
}

fn merge_ontology(old: &mut PersonaOntology, new: PersonaOntology) {
    unite(&mut old.entities, new.entities);
    unite(&mut old.roles, new.roles);
    unite(&mut old.events, new.events);
    unite(&mut old.relation_types, new.relation_types);
    unite(&mut old.relations, new.relations);
}

/// Appends the items of `new` that `old` lacks.
fn union<T: PartialEq>(old: &mut Option<Vec<T>>, new: Option<Vec<T>>) {
    let list = old.get_or_insert_with(Vec::new);
    for item in new.into_iter().flatten() {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

fn merge_assignments(old: &mut LineData, new: LineData) {
    match (old, new) {
        (LineData::Entity(o), LineData::Entity(n)) => {
            union(&mut o.type_assignments, n.type_assignments)
        }
        (LineData::Event(o), LineData::Event(n)) => {
            union(&mut o.persona_interpretations, n.persona_interpretations)
        }
        (LineData::EntityCollection(o), LineData::EntityCollection(n)) => {
            union(&mut o.type_assignments, n.type_assignments);
            union(&mut o.entity_ids, n.entity_ids);
        }
        (LineData::EventCollection(o), LineData::EventCollection(n)) => {
            union(&mut o.type_assignments, n.type_assignments);
            union(&mut o.event_ids, n.event_ids);
        }
        (LineData::TimeCollection(o), LineData::TimeCollection(n)) => union(&mut o.times, n.times),
        _ => {}
    }
}

fn rename_object_personas(data: &mut LineData, renamed: &HashMap<String, String>) {
    if renamed.is_empty() {
        return;
    }
    let fix = |p: &mut Option<String>| {
        if let Some(new) = p.as_ref().and_then(|id| renamed.get(id)) {
            *p = Some(new.clone());
        }
    };
    let fix_all = |ta: &mut Option<Vec<crate::model::TypeAssignment>>| {
        for t in ta.iter_mut().flatten() {
            fix(&mut t.persona_id);
        }
    };
    match data {
        LineData::Entity(e) => fix_all(&mut e.type_assignments),
        LineData::EntityCollection(c) => fix_all(&mut c.type_assignments),
        LineData::EventCollection(c) => fix_all(&mut c.type_assignments),
        LineData::Event(e) => {
            for i in e.persona_interpretations.iter_mut().flatten() {
                fix(&mut i.persona_id);
            }
        }
        _ => {}
    }
}

fn set_object_id(data: &mut LineData, id: String) {
    let slot = match data {
        LineData::Entity(o) => &mut o.id,
        LineData::Event(o) => &mut o.id,
        LineData::Time(o) => &mut o.id,
        LineData::EntityCollection(o) => &mut o.id,
        LineData::EventCollection(o) => &mut o.id,
        LineData::TimeCollection(o) => &mut o.id,
        LineData::Relation(o) => &mut o.id,
        _ => return,
    };
    *slot = Some(id);
}

/// Applies checked records (from a [`super::Previewer`] pass) to `dataset` with `options`,
/// resolving the preview's conflicts. Records are applied in dependency order (ontology,
/// world objects, annotations, videos, others) whatever their order in the file.
pub fn apply(
    dataset: &mut Dataset,
    records: Vec<Checked>,
    preview: &Preview,
    options: &ImportOptions,
    policy: KeyframePolicy,
) -> Result<ImportResult> {
    options.check()?;
    let mut by_line: BTreeMap<usize, Vec<Conflict>> = BTreeMap::new();
    for c in &preview.conflicts {
        by_line.entry(c.line).or_default().push(c.clone());
    }
    let mut applier = Applier {
        work: dataset.clone(),
        options,
        policy,
        result: ImportResult::default(),
        renamed: HashMap::new(),
    };
    applier.result.summary.total_lines = records.len() as u64;
    for problem in &preview.errors {
        applier.result.errors.push(ImportMessage {
            line: problem.line,
            kind: "validation",
            message: format!("{} ({})", problem.message, problem.code),
        });
    }
    let mut records = records;
    // Dependency order; a stable sort keeps file order within a group.
    records.sort_by_key(|r| group_of(&r.data.kind()));
    let atomic = options.transaction.atomic;
    // A line that could not be read is a line that failed: an atomic import applies nothing.
    let unreadable = preview.counts.unreadable_lines > 0;
    let mut failed = atomic && unreadable;
    for item in records {
        let line = item.line;
        let mut conflicts = by_line.remove(&line).unwrap_or_default();
        let decision = applier.decide(line, &mut conflicts);
        applier.result.conflicts.extend(conflicts);
        if failed {
            continue;
        }
        if let Err(message) = applier.line(item, decision) {
            applier.result.errors.push(ImportMessage {
                line,
                kind: "import",
                message,
            });
            if atomic {
                failed = true;
            }
        }
    }
    applier.result.conflicts.sort_by_key(|c| c.line);
    if failed {
        let mut result = applier.result;
        let n = preview.counts.unreadable_lines;
        if n > 0 {
            result.roll_back(format_args!(
                "{n} line{} could not be read, and an atomic import applies every line or none",
                if n == 1 { "" } else { "s" }
            ));
        } else {
            result.roll_back("an atomic import applies every line or none");
        }
        return Ok(result);
    }
    applier.result.success =
        !unreadable && applier.result.errors.iter().all(|e| e.kind != "import");
    applier.result.committed = true;
    *dataset = applier.work;
    Ok(applier.result)
}

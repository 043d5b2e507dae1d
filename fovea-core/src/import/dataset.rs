//! A whole dataset in memory — the embedded store for JSON Lines files: personas and their
//! ontologies, world objects, videos and annotations, indexed by id, kept in insertion order,
//! written back in dependency order.

use super::summary::ObjectKind;
pub use super::summary::object_kind;
use crate::error::Result;
use crate::jsonl::{ExportOptions, ExportStats, Exporter, LineData, Reader};
use crate::model::{Annotation, OntologyData, Persona, PersonaOntology, Video};
use indexmap::IndexMap;
use std::io::{BufRead, Write};

/// A dataset held in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Personas by id.
    pub personas: IndexMap<String, Persona>,
    /// Persona ontologies by persona id.
    pub ontologies: IndexMap<String, PersonaOntology>,
    /// World objects (entity, event, time, collections, relation lines) by id.
    pub objects: IndexMap<String, LineData>,
    /// Videos by id.
    pub videos: IndexMap<String, Video>,
    /// Annotations by id.
    pub annotations: IndexMap<String, Annotation>,
    /// Lines of unknown kinds, and objects without an id, kept as they are.
    pub other: Vec<LineData>,
}

/// A record of a dataset being read: what a worker made of an annotation, or another record.
// Moved once per line from a worker to the reader.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Loaded<T> {
    Annotation(T),
    Record(LineData),
}

/// Reads the records of a dataset: annotations are converted, and passed through `made`, on
/// all cores; `apply` takes every record in file order. Returns the errors, with their lines:
/// records that cannot be read, annotations that do not convert, and what `apply` refuses.
pub(crate) fn read_records<R: BufRead, T: Send>(
    reader: Reader<R>,
    made: impl Fn(Annotation) -> T + Sync,
    mut apply: impl FnMut(Loaded<T>) -> Result<()>,
) -> Vec<crate::Error> {
    let mut errors = Vec::new();
    crate::jsonl::par_records(
        reader,
        |item| {
            let rec = item?;
            Ok(match rec.data {
                LineData::Annotation(a) => match a.into_annotation() {
                    Ok(a) => (rec.line, Loaded::Annotation(made(a))),
                    Err(e) => return Err(e.at_line(rec.line)),
                },
                other => (rec.line, Loaded::Record(other)),
            })
        },
        |item| {
            if let Err(e) =
                item.and_then(|(line, loaded)| apply(loaded).map_err(|e| e.at_line(line)))
            {
                errors.push(e);
            }
        },
    );
    errors
}

/// The size a video declares, when it declares both `width` and `height`.
pub(crate) fn video_size(v: &Video) -> Option<crate::validate::VideoSize> {
    Some(crate::validate::VideoSize {
        width: v.width?,
        height: v.height?,
    })
}

impl Dataset {
    /// An empty dataset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a dataset from JSON Lines. Records that cannot be read (or annotations whose
    /// sequence is invalid) are returned as errors and left out; a later record with an id
    /// already present replaces the earlier one.
    pub fn read<R: BufRead>(reader: Reader<R>) -> (Dataset, Vec<crate::Error>) {
        let mut ds = Dataset::new();
        let errors = read_records(reader, Box::new, |item| match item {
            Loaded::Annotation(a) => {
                ds.annotations.insert(a.id.clone(), *a);
                Ok(())
            }
            Loaded::Record(data) => ds.insert(data),
        });
        (ds, errors)
    }

    /// Adds (or replaces) one record.
    pub fn insert(&mut self, data: LineData) -> Result<()> {
        match data {
            LineData::Ontology(o) => {
                for p in o.personas.into_iter().flatten() {
                    match p.id.clone() {
                        Some(id) => {
                            self.personas.insert(id, p);
                        }
                        None => self.other.push(LineData::Ontology(OntologyData {
                            personas: Some(vec![p]),
                            ..Default::default()
                        })),
                    }
                }
                for po in o.persona_ontologies.into_iter().flatten() {
                    if let Some(pid) = po.persona_id.clone() {
                        self.ontologies.insert(pid, po);
                    }
                }
            }
            LineData::Annotation(rec) => {
                let a = rec.into_annotation()?;
                self.annotations.insert(a.id.clone(), a);
            }
            LineData::Video(v) => match v.id.clone() {
                Some(id) => {
                    self.videos.insert(id, v);
                }
                None => self.other.push(LineData::Video(v)),
            },
            LineData::Metadata(_) => {}
            other => match (object_kind(&other), other.id().map(str::to_owned)) {
                (Some(_), Some(id)) => {
                    self.objects.insert(id, other);
                }
                _ => self.other.push(other),
            },
        }
        Ok(())
    }

    /// The ontology line: all personas and their ontologies (none when there are none).
    pub fn ontology_line(&self) -> Option<LineData> {
        if self.personas.is_empty() && self.ontologies.is_empty() {
            return None;
        }
        Some(LineData::Ontology(OntologyData {
            personas: Some(self.personas.values().cloned().collect()),
            persona_ontologies: Some(self.ontologies.values().cloned().collect()),
            extra: Default::default(),
        }))
    }

    /// Writes the dataset in dependency order (ontology, world objects by kind, annotations,
    /// videos, other lines, metadata), in the export mode and with the filters of `opts`.
    pub fn write<W: Write>(&self, out: W, opts: ExportOptions) -> Result<(W, ExportStats)> {
        let mut ex = Exporter::new(out, opts);
        if let Some(o) = self.ontology_line() {
            ex.record(&o)?;
        }
        let kinds = [
            ObjectKind::Entity,
            ObjectKind::Event,
            ObjectKind::Time,
            ObjectKind::EntityCollection,
            ObjectKind::EventCollection,
            ObjectKind::TimeCollection,
            ObjectKind::Relation,
        ];
        for kind in kinds {
            for obj in self
                .objects
                .values()
                .filter(|o| object_kind(o) == Some(kind))
            {
                ex.record(obj)?;
            }
        }
        let annotations: Vec<&Annotation> = self.annotations.values().collect();
        ex.annotations(&annotations)?;
        for v in self.videos.values() {
            ex.record(&LineData::Video(v.clone()))?;
        }
        for o in &self.other {
            ex.record(o)?;
        }
        ex.finish()
    }

    /// The sizes of the videos that declare `width` and `height`, for bounds checks.
    pub fn video_sizes(&self) -> crate::validate::VideoSizes {
        self.videos
            .iter()
            .filter_map(|(id, v)| Some((id.clone(), video_size(v)?)))
            .collect()
    }
}

//! Which Rust types each surface declares, and under which contract: what fovea writes
//! (serialization: every field it always writes is required) or what it reads
//! (deserialization: fields with defaults are optional).

use crate::shape::{self, Def, Field, Ty};
use fovea_core::model::schema as model;
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;
use std::collections::BTreeMap;

/// The definitions of the types each closure names, under one contract.
struct Collect {
    generator: SchemaGenerator,
    /// The names of the types added (not of those they reach).
    roots: Vec<String>,
}

impl Collect {
    fn new(contract: Contract) -> Self {
        let mut settings = SchemaSettings::draft2020_12();
        settings.contract = contract;
        Collect {
            generator: settings.into_generator(),
            roots: Vec::new(),
        }
    }

    fn add<T: JsonSchema>(&mut self) -> &mut Self {
        self.generator.subschema_for::<T>();
        self.roots.push(T::schema_name().into_owned());
        self
    }

    fn definitions(mut self) -> BTreeMap<String, Value> {
        self.generator.take_definitions(true).into_iter().collect()
    }
}

/// The data shapes and reports every binding returns.
fn written() -> Collect {
    let mut c = Collect::new(Contract::Serialize);
    c.add::<fovea_core::model::BoundingBox>()
        .add::<fovea_core::model::BoundingBoxSequence>()
        .add::<fovea_core::model::Annotation>()
        .add::<model::AnnotationLine>()
        .add::<fovea_core::ops::ExportReport>()
        .add::<fovea_core::ops::MergeReport>()
        .add::<fovea_core::jsonl::FileStats>()
        .add::<fovea_core::validate::Report>()
        .add::<fovea_core::import::Preview>()
        .add::<fovea_core::import::ImportResult>()
        .add::<fovea_db::SchemaReport>()
        .add::<fovea_db::HistoryEntry>()
        .add::<fovea_db::StoredAnnotations>()
        .add::<fovea_db::StoreExportReport>()
        .add::<fovea_db::StoreImport>()
        .add::<fovea_jobs::Added>()
        .add::<fovea_jobs::Counts>()
        .add::<fovea_jobs::WorkerReport>()
        .add::<fovea_db::Candidate>();
    c
}

/// The inputs every binding reads.
fn read() -> Collect {
    let mut c = Collect::new(Contract::Deserialize);
    c.add::<fovea_core::model::SequenceInput>()
        .add::<fovea_core::import::ImportOptions>();
    c
}

/// The options objects of Node's sequence, queue and candidate-review calls, which take no
/// `AbortSignal`
/// (Python takes them as keywords).
fn plain_options() -> Collect {
    let mut c = Collect::new(Contract::Deserialize);
    c.add::<fovea_core::ops::SequenceArgs>()
        .add::<fovea_core::ops::SegmentArgs>()
        .add::<fovea_jobs::QueueArgs>()
        .add::<fovea_jobs::AddArgs>()
        .add::<fovea_jobs::StatusArgs>()
        .add::<fovea_jobs::WaitArgs>()
        .add::<fovea_jobs::ListArgs>()
        .add::<fovea_jobs::WorkerArgs>()
        .add::<fovea_jobs::TrackingWorkerArgs>()
        .add::<fovea_jobs::tracking::SimulationArgs>()
        .add::<fovea_jobs::tracking::review::CandidatesArgs>()
        .add::<fovea_jobs::tracking::review::AcceptArgs>()
        .add::<fovea_jobs::tracking::review::RejectArgs>();
    c
}

/// The options objects of Node's file and store calls, which also take an `AbortSignal`
/// (Python takes them as keywords).
fn options() -> Collect {
    let mut c = Collect::new(Contract::Deserialize);
    c.add::<fovea_core::ops::ExportArgs>()
        .add::<fovea_core::ops::ValidateArgs>()
        .add::<fovea_core::ops::PreviewArgs>()
        .add::<fovea_core::ops::MergeArgs>()
        .add::<fovea_core::ops::ReadArgs>()
        .add::<fovea_db::ConnectArgs>()
        .add::<fovea_db::StorePreviewArgs>()
        .add::<fovea_db::StoreImportArgs>();
    c
}

/// The definitions of both contracts, by name. A name both define must mean the same shape.
fn merged(parts: Vec<Collect>) -> Result<Vec<Def>, String> {
    let mut all: BTreeMap<String, Value> = BTreeMap::new();
    for part in parts {
        for (name, schema) in part.definitions() {
            match all.get(&name) {
                Some(known) if *known != schema => {
                    return Err(format!(
                        "{name} is read and written in different shapes: give one a name of its own"
                    ));
                }
                Some(_) => {}
                None => {
                    all.insert(name, schema);
                }
            }
        }
    }
    all.iter()
        .map(|(name, schema)| shape::def(name, schema))
        .collect()
}

/// What the Node package declares: every options object also takes an `AbortSignal`.
pub fn node() -> Result<Vec<Def>, String> {
    let signalled = options();
    let with_signal = signalled.roots.clone();
    let mut defs = merged(vec![written(), read(), signalled, plain_options()])?;
    for def in defs.iter_mut().filter(|d| with_signal.contains(&d.name)) {
        if let Ty::Object(fields) = &mut def.ty {
            fields.push(Field {
                name: "signal".into(),
                ty: Ty::Ref("AbortSignal".into()),
                optional: true,
                doc: Some("Stops the operation (see each function for when).".into()),
            });
        }
    }
    Ok(defs)
}

/// What the Python package's stubs declare.
pub fn python() -> Result<Vec<Def>, String> {
    merged(vec![written(), read()])
}

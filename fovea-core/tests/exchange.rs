//! JSON Lines exchange: FOVEA's golden export, the export → import → export round trip, the
//! merge-keyframes semantics, and the reader on arbitrary bytes.

use fovea_core::import::{
    Dataset, ImportOptions, PreviewOptions, Side, import_reader, merge_keyframes,
};
use fovea_core::interp::InterpOptions;
use fovea_core::jsonl::{ExportMode, ExportOptions, LineData, ReadOptions, Reader, Writer};
use fovea_core::model::{Annotation, KeyframePolicy, OntologyData, Persona, Video};
use fovea_core::synth;
use fovea_core::validate::{Severity, ValidateOptions, validate_sequence};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashSet;
use std::path::PathBuf;

mod common;
use common::arb_sequence;

fn testdata(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel);
    std::fs::read_to_string(path).unwrap()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// FOVEA's exporter (golden files) against fovea's keyframes-only export of the same stored
/// annotations. Field order and omission rules are FOVEA's; the documented differences are the
/// keyframe reading (a box without `isKeyframe` is a keyframe, flagged on write) and counters
/// recomputed from the keyframes.
#[test]
fn keyframes_export_matches_fovea_s_golden_file() {
    let stored = testdata("export/fovea-stored-annotations.jsonl");
    let golden = lines(&testdata("export/fovea-keyframes-only.jsonl"));
    let opts = InterpOptions::default();
    for (text, want) in stored.lines().zip(&golden) {
        let rec = Reader::new(text.as_bytes()).next().unwrap().unwrap();
        let LineData::Annotation(a) = rec.data else {
            panic!("annotation lines")
        };
        let a = a.into_annotation().unwrap();
        let mut out = Writer::new(Vec::new());
        out.write_annotation(&a, ExportMode::Keyframes, &opts)
            .unwrap();
        let got: Value = serde_json::from_slice(&out.into_inner().unwrap()).unwrap();
        let (g, w) = (&got["data"], &want["data"]);
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(g),
            keys(w),
            "{}: FOVEA's field order and omissions",
            a.id
        );
        for k in keys(w).iter().filter(|k| *k != "boundingBoxSequence") {
            assert_eq!(g[k], w[k], "{}: {k}", a.id);
        }
        let (gs, ws) = (&g["boundingBoxSequence"], &w["boundingBoxSequence"]);
        for k in [
            "interpolationSegments",
            "visibilityRanges",
            "trackId",
            "trackingSource",
            "trackingConfidence",
        ] {
            assert_eq!(gs.get(k), ws.get(k), "{}: {k}", a.id);
        }
        let frames = |v: &Value| -> Vec<u64> {
            v["boxes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["frameNumber"].as_u64().unwrap())
                .collect()
        };
        if a.id == "obj-1" {
            // FOVEA drops the box without `isKeyframe` (frame 10) and the explicit non-keyframe
            // (frame 5); fovea keeps the former as the keyframe its engine reads it as.
            assert_eq!(frames(ws), vec![0]);
            assert_eq!(frames(gs), vec![0, 10]);
            assert_eq!(gs["keyframeCount"], 2);
        } else {
            assert_eq!(gs["boxes"], ws["boxes"], "{}", a.id);
            assert_eq!(gs["keyframeCount"], ws["keyframeCount"], "{}", a.id);
            assert_eq!(gs["totalFrames"], ws["totalFrames"], "{}", a.id);
            // FOVEA writes interpolatedFrameCount = 0 (dropped boxes); fovea the real count.
            let want_interp =
                ws["totalFrames"].as_u64().unwrap() - ws["keyframeCount"].as_u64().unwrap();
            assert_eq!(
                gs["interpolatedFrameCount"].as_u64(),
                Some(want_interp),
                "{}",
                a.id
            );
        }
    }
}

/// A dataset of every line kind built from the generators.
fn dataset(seqs: Vec<fovea_core::BoundingBoxSequence>, seed: usize) -> Dataset {
    let mut ds = Dataset::new();
    let persona = |i: usize| Persona {
        id: Some(format!("persona-{i}")),
        name: Some(format!("Persona {i}")),
        role: Some("analyst".into()),
        information_need: Some("what moves".into()),
        ..Default::default()
    };
    ds.insert(LineData::Ontology(OntologyData {
        personas: Some((0..10).map(persona).collect()),
        persona_ontologies: Some(vec![]),
        extra: Default::default(),
    }))
    .unwrap();
    for i in 0..50 {
        let v = Video {
            id: Some(format!("video-{i:02}")),
            width: Some(1920.0),
            height: Some(1080.0),
            ..Default::default()
        };
        ds.insert(LineData::Video(v)).unwrap();
    }
    let entity = fovea_core::model::Entity {
        id: Some("entity-1".into()),
        name: Some("a ship".into()),
        ..Default::default()
    };
    ds.insert(LineData::Entity(entity)).unwrap();
    for (i, seq) in seqs.into_iter().enumerate() {
        let mut a: Annotation = synth::annotation(seed + i, 2);
        a.bounding_box_sequence = seq;
        if i % 3 == 0 {
            a.annotation_type = Some("object".into());
            a.persona_id = None;
            a.type_id = None;
            a.type_category = None;
            a.linked_entity_id = Some("entity-1".into());
        }
        ds.annotations.insert(a.id.clone(), a);
    }
    for k in 1..=4 {
        let a = synth::annotation(seed + 500 + k, k);
        ds.annotations.insert(a.id.clone(), a);
    }
    ds
}

/// Numbers as JSON text spells them (JavaScript's formatting): an integral double is an
/// integer, `-0` is `0`.
fn as_written(v: Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(as_written).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, as_written(v))).collect())
        }
        other => other,
    }
}

fn export(ds: &Dataset) -> Vec<u8> {
    let opts = ExportOptions {
        export_date: Some("2025-10-01T10:00:00.000Z".into()),
        ..Default::default()
    };
    ds.write(Vec::new(), opts).unwrap().0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Export, import into an empty store, export again: byte-identical.
    #[test]
    fn export_import_export_is_byte_identical(seqs in proptest::collection::vec(arb_sequence(), 0..6), seed in 0usize..1000) {
        // Sequences that validation rejects (no keyframe, inverted or overlapping segments, …)
        // are skipped by an import, so only valid ones make the round trip.
        let valid = |s: &fovea_core::BoundingBoxSequence| {
            let issues = validate_sequence(serde_json::to_value(s).unwrap(), &ValidateOptions::default(), None).unwrap();
            issues.iter().all(|i| i.severity != Severity::Error)
        };
        let seqs: Vec<_> = seqs.into_iter().filter(valid).collect();
        let first = export(&dataset(seqs, seed));
        let mut imported = Dataset::new();
        let options = ImportOptions::default();
        let (preview, result) = import_reader(&mut imported, Reader::new(&first[..]), &options, PreviewOptions::default()).unwrap();
        prop_assert!(result.success, "{:?} {:?}", preview.issues, result.errors);
        prop_assert!(preview.conflicts.is_empty(), "{:?}", preview.conflicts);
        prop_assert_eq!(result.summary.skipped_items.annotations, 0, "{:?}", result.warnings);
        let second = export(&imported);
        prop_assert_eq!(String::from_utf8(first).unwrap(), String::from_utf8(second).unwrap());
    }

    /// merge-keyframes: union by frame, imported wins on equal frames, segments from one side
    /// kept, no keyframe hidden.
    #[test]
    fn merge_keyframes_semantics(existing in arb_sequence(), imported in arb_sequence(), prefer_imported in any::<bool>()) {
        let policy = KeyframePolicy::default();
        let side = if prefer_imported { Side::Imported } else { Side::Existing };
        let merged = merge_keyframes(&existing, &imported, side, policy);
        let frames = |s: &fovea_core::BoundingBoxSequence| -> Vec<u32> {
            s.sorted_keyframes(policy).iter().map(|b| b.frame_number).collect()
        };
        let (e, i, m) = (frames(&existing), frames(&imported), frames(&merged));
        let union: std::collections::BTreeSet<u32> = e.iter().chain(&i).copied().collect();
        prop_assert_eq!(m.clone(), union.into_iter().collect::<Vec<_>>(), "union by frame");
        for k in merged.sorted_keyframes(policy) {
            let from = if i.contains(&k.frame_number) { &imported } else { &existing };
            let src = from.sorted_keyframes(policy).into_iter().find(|b| b.frame_number == k.frame_number).unwrap();
            prop_assert_eq!(k.values(), src.values(), "frame {}: imported wins", k.frame_number);
            prop_assert_eq!(k.is_keyframe, Some(true));
        }
        let compiled = merged.compile(&InterpOptions::with_profile(fovea_core::Profile::Fovea)).unwrap();
        if m.len() >= 2 {
            for f in &m {
                prop_assert!(compiled.is_visible(*f), "keyframe {} hidden", f);
            }
        }
        let consecutive = |fs: &[u32]| -> HashSet<(u32, u32)> { fs.windows(2).map(|w| (w[0], w[1])).collect() };
        let (ce, ci, cm) = (consecutive(&e), consecutive(&i), consecutive(&m));
        for s in &merged.interpolation_segments {
            let pair = (s.start_frame, s.end_frame);
            prop_assert!(cm.contains(&pair), "segment {:?} anchored on a merged pair", pair);
            prop_assert!(ce.contains(&pair) || ci.contains(&pair), "segment {:?} comes from a side", pair);
        }
        for pair in &cm {
            let seg_of = |s: &fovea_core::BoundingBoxSequence| {
                s.interpolation_segments.iter().find(|g| (g.start_frame, g.end_frame) == *pair).map(|g| g.kind.clone())
            };
            let want = match (ce.contains(pair), ci.contains(pair), side) {
                (true, true, Side::Existing) | (true, false, _) => seg_of(&existing),
                (true, true, Side::Imported) | (false, true, _) => seg_of(&imported),
                (false, false, _) => None,
            };
            prop_assert_eq!(seg_of(&merged), want, "pair {:?}", pair);
        }
        // Merging a sequence with itself keeps its keyframes.
        let same = merge_keyframes(&existing, &existing, side, policy);
        prop_assert_eq!(frames(&same), e);
    }

    /// The model's serde `Serialize` (which the Python and Node bindings build host objects
    /// from) describes exactly what the JSON Lines writer writes: stored and interpolated
    /// boxes, unknown fields, metadata, large integers and `-0`.
    #[test]
    fn serde_fields_equal_the_text_writer(seq in arb_sequence(), seed in 0usize..1000, extra in any::<bool>()) {
        let mut a: Annotation = synth::annotation(seed, 1);
        a.bounding_box_sequence = seq;
        if extra {
            let odd = serde_json::json!({"big": u64::MAX, "neg": i64::MIN, "zero": -0.0, "s": "é\u{0}\""});
            a.extra.insert("zUnknown".into(), odd.clone());
            a.metadata = Some(odd.as_object().unwrap().clone());
            a.bounding_box_sequence.extra.insert("seqExtra".into(), odd.clone());
            if let Some(b) = a.bounding_box_sequence.boxes.first_mut() {
                b.extra.insert("boxExtra".into(), odd);
                b.confidence = Some(-0.0);
            }
        }
        let opts = InterpOptions::default();
        for mode in [ExportMode::Keyframes, ExportMode::Interpolated] {
            let mut w = Writer::new(Vec::new());
            if w.write_annotation(&a, mode, &opts).is_err() {
                // A custom parametric segment the engine refuses: nothing to compare.
                continue;
            }
            let text: Value = serde_json::from_slice(&w.into_inner().unwrap()).unwrap();
            let mut fields = serde_json::to_value(&a).unwrap();
            if mode == ExportMode::Interpolated {
                let compiled = a.bounding_box_sequence.compile(&opts).unwrap();
                let boxes = serde_json::to_value(fovea_core::model::FrameBoxes(&compiled)).unwrap();
                let seq = &mut fields["boundingBoxSequence"];
                seq["boxes"] = boxes;
                let c = compiled.counters();
                seq["totalFrames"] = c.total_frames.into();
                seq["interpolatedFrameCount"] = c.interpolated_frame_count.into();
            }
            prop_assert_eq!(&text["data"], &as_written(fields));
        }
    }

    /// Whatever the bytes, the reader never panics, numbers lines in order and locates errors.
    #[test]
    fn reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), limit in 1usize..512) {
        let opts = ReadOptions { max_line_bytes: limit, ..Default::default() };
        let mut last = 0;
        for item in Reader::with_options(&bytes[..], opts) {
            let line = match &item {
                Ok(r) => r.line,
                Err(e) => e.line().expect("every read error names its line"),
            };
            prop_assert!(line > last);
            last = line;
        }
        prop_assert!(last <= bytes.iter().filter(|&&b| b == b'\n').count() + 1);
    }

    /// JSON-shaped garbage: every line is either a record or a located error.
    #[test]
    fn reader_on_json_shaped_lines(lines in proptest::collection::vec("[{}\\[\\]\":,a-z0-9 .\\-]{0,40}", 0..30)) {
        let text = lines.join("\n");
        let mut n = 0;
        for item in Reader::new(text.as_bytes()) {
            n += 1;
            if let Err(e) = item {
                prop_assert!(e.line().is_some());
                prop_assert!(!e.to_string().is_empty());
            }
        }
        prop_assert!(n <= lines.len());
    }
}

/// A source that yields `good` and then fails, as a disk or a network mount can.
struct FailingAfter {
    good: std::io::Cursor<Vec<u8>>,
}

impl std::io::Read for FailingAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match std::io::Read::read(&mut self.good, buf)? {
            0 => Err(std::io::Error::other("device went away")),
            n => Ok(n),
        }
    }
}

/// A complete dataset (personas, videos, annotations) and its export, to read back.
fn healthy_export() -> (Dataset, Vec<u8>) {
    let ds = dataset(vec![synth::linear(100), synth::bezier(5, 100)], 7);
    let bytes = export(&ds);
    (ds, bytes)
}

fn failing_source() -> Reader<std::io::BufReader<FailingAfter>> {
    let (_, good) = healthy_export();
    Reader::new(std::io::BufReader::new(FailingAfter {
        good: std::io::Cursor::new(good),
    }))
}

#[test]
fn a_source_that_fails_to_read_fails_the_export() {
    let err = fovea_core::jsonl::export_stream(
        || Ok(failing_source()),
        Vec::new(),
        ExportOptions::default(),
    )
    .unwrap_err();
    assert!(err.is_io(), "{err}");
    assert_eq!(err.code(), "io");
    assert!(err.to_string().contains("device went away"), "{err}");
}

#[test]
fn a_source_that_fails_to_read_fails_the_import_and_changes_nothing() {
    let mut ds = Dataset::default();
    let err = import_reader(
        &mut ds,
        failing_source(),
        &ImportOptions::default(),
        PreviewOptions::default(),
    )
    .unwrap_err();
    assert!(err.is_io(), "{err}");
    assert!(ds.annotations.is_empty());
    // The same records from a healthy source import.
    let (source, good) = healthy_export();
    assert!(!source.annotations.is_empty());
    import_reader(
        &mut ds,
        Reader::new(&good[..]),
        &ImportOptions::default(),
        PreviewOptions::default(),
    )
    .unwrap();
    assert_eq!(ds.annotations, source.annotations);
}

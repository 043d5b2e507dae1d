//! Import scenarios (`testdata/import/scenarios.json`): the scenarios FOVEA's importer was run
//! on (duplicates, missing videos, strict and atomic modes) restated with fovea's semantics,
//! and every strategy FOVEA leaves unimplemented.

use fovea_core::import::{
    DEFAULT_MEMORY_BUDGET, Dataset, Existing, ImportOptions, PreviewOptions, Previewer, Snapshot,
    apply, preview_reader,
};
use fovea_core::jsonl::{LineData, Reader};
use fovea_core::model::KeyframePolicy;
use serde_json::Value;
use std::path::PathBuf;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/import/scenarios.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn jsonl(lines: &Value) -> String {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn frames(ds: &Dataset, id: &str) -> Vec<u64> {
    ds.annotations[id]
        .bounding_box_sequence
        .boxes
        .iter()
        .map(|b| u64::from(b.frame_number))
        .collect()
}

#[test]
fn scenarios() {
    let fx = fixture();
    let (existing, errors) = Dataset::read(Reader::new(jsonl(&fx["existing"]).as_bytes()));
    assert!(errors.is_empty(), "{errors:?}");
    let policy = KeyframePolicy::default();
    for s in fx["scenarios"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let want = &s["expect"];
        let mut ds = existing.clone();
        let snapshot = ds.snapshot(policy);
        let mut previewer = Previewer::new(&snapshot, PreviewOptions::default());
        let text = jsonl(&s["lines"]);
        let checked: Vec<_> = Reader::new(text.as_bytes())
            .map(|r| previewer.add(r.unwrap()))
            .collect();
        let preview = previewer.finish();
        let options = ImportOptions::from_value(s["options"].clone()).unwrap();
        let result = apply(&mut ds, checked, &preview, &options, policy).unwrap();
        let ctx = format!("{name}: {}", serde_json::to_string_pretty(&result).unwrap());
        assert_eq!(result.success, want["success"].as_bool().unwrap(), "{ctx}");
        assert_eq!(
            result.committed,
            want["committed"].as_bool().unwrap(),
            "{ctx}"
        );
        let items = &result.summary.imported_items;
        assert_eq!(
            items.annotations,
            want["imported"].as_u64().unwrap(),
            "{ctx}"
        );
        let skipped = &result.summary.skipped_items;
        assert_eq!(
            skipped.annotations,
            want["skippedAnnotations"].as_u64().unwrap_or(0),
            "{ctx}"
        );
        assert_eq!(
            skipped.world_objects,
            want["skippedWorld"].as_u64().unwrap_or(0),
            "{ctx}"
        );
        assert_eq!(
            items.placeholders,
            want["placeholders"].as_u64().unwrap_or(0),
            "{ctx}"
        );
        let conflicts: Vec<Value> = result
            .conflicts
            .iter()
            .map(|c| serde_json::json!([c.kind.as_str(), c.line, c.resolution]))
            .collect();
        assert_eq!(Value::from(conflicts), want["conflicts"], "{ctx}");
        if !result.committed {
            assert_eq!(
                ds, existing,
                "{name}: a failed atomic import changes nothing"
            );
            assert_eq!(
                items.annotations + items.personas + items.entities,
                0,
                "{name}: honest counters"
            );
        }
        if let Some(after) = want.get("after") {
            let ids: Vec<&str> = ds.annotations.keys().map(String::as_str).collect();
            assert_eq!(Value::from(ids), *after, "{ctx}");
        }
        if let Some(n) = want.get("afterCount") {
            assert_eq!(ds.annotations.len() as u64, n.as_u64().unwrap(), "{ctx}");
        }
        for (id, fs) in want
            .get("keyframes")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            assert_eq!(
                Value::from(frames(&ds, id)),
                *fs,
                "{name}: keyframes of {id}"
            );
        }
        for (id, segs) in want
            .get("segments")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let got: Vec<Value> = ds.annotations[id]
                .bounding_box_sequence
                .interpolation_segments
                .iter()
                .map(|s| serde_json::json!([s.start_frame, s.end_frame, s.kind.as_str()]))
                .collect();
            assert_eq!(Value::from(got), *segs, "{name}: segments of {id}");
        }
        for (id, hidden) in want
            .get("hidden")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let got: Vec<Value> = ds.annotations[id]
                .bounding_box_sequence
                .visibility_ranges
                .iter()
                .filter(|r| !r.visible)
                .map(|r| serde_json::json!([r.start_frame, r.end_frame]))
                .collect();
            assert_eq!(Value::from(got), *hidden, "{name}: hidden ranges of {id}");
        }
        if let Some(videos) = want.get("videos") {
            let ids: Vec<&str> = ds.videos.keys().map(String::as_str).collect();
            assert_eq!(Value::from(ids), *videos, "{ctx}");
        }
        if let Some(n) = want.get("personaCount") {
            assert_eq!(ds.personas.len() as u64, n.as_u64().unwrap(), "{ctx}");
        }
        if let Some(id) = want.get("renamedAnnotation").and_then(Value::as_str) {
            let persona = ds.annotations[id].persona_id.clone().unwrap();
            assert_ne!(
                persona, "p-1",
                "{name}: the reference follows the renamed persona"
            );
            assert!(ds.personas.contains_key(&persona), "{name}");
            assert!(
                ds.personas[&persona]
                    .name
                    .as_deref()
                    .unwrap()
                    .ends_with("(imported)")
            );
        }
        for (id, n) in want
            .get("entityAssignments")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let LineData::Entity(e) = &ds.objects[id] else {
                panic!("{name}: {id} is no entity")
            };
            assert_eq!(
                e.type_assignments.as_ref().map_or(0, Vec::len) as u64,
                n.as_u64().unwrap(),
                "{name}"
            );
        }
        for (key, list) in [
            ("errorTypes", &result.errors),
            ("warningTypes", &result.warnings),
        ] {
            if let Some(types) = want.get(key) {
                let got: Vec<&str> = list.iter().map(|m| m.kind).collect();
                assert_eq!(Value::from(got), *types, "{ctx}");
            }
        }
    }
}

#[test]
fn the_preview_reports_fovea_s_counts_and_warnings() {
    let fx = fixture();
    let (existing, _) = Dataset::read(Reader::new(jsonl(&fx["existing"]).as_bytes()));
    let snapshot = existing.snapshot(KeyframePolicy::default());
    let text = "{\"type\":\"annotation\",\"data\":{\"id\":\"a\",\"videoId\":\"vid-1\",\"personaId\":\"p-1\",\"typeId\":\"t\",\"typeCategory\":\"entity\",\"boundingBoxSequence\":{\"boxes\":[{\"x\":0,\"y\":0,\"width\":0,\"height\":1,\"frameNumber\":0}]}}}\n\n{oops\n";
    let mut p = Previewer::new(&snapshot, PreviewOptions::default());
    for item in Reader::new(text.as_bytes()) {
        match item {
            Ok(r) => {
                p.add(r);
            }
            Err(e) => p.unreadable(&e),
        }
    }
    let preview = p.finish();
    assert_eq!(preview.counts.annotations, 1);
    assert_eq!(preview.counts.total_keyframes, 1);
    assert_eq!(preview.counts.single_keyframe_sequences, 1);
    assert_eq!(preview.counts.invalid_lines, 1);
    assert_eq!(preview.errors.len(), 1);
    assert_eq!(
        (preview.errors[0].line, preview.errors[0].code),
        (3, "invalid-json")
    );
    assert!(
        preview.warnings[0].starts_with("Line 1: "),
        "{:?}",
        preview.warnings
    );
    assert_eq!(preview.issues[0].code, "invalid-box-size");
}

#[test]
fn a_streamed_snapshot_and_a_parallel_preview_agree_with_the_in_memory_ones() {
    let fx = fixture();
    let policy = KeyframePolicy::default();
    let text = jsonl(&fx["existing"]);
    let (existing, _) = Dataset::read(Reader::new(text.as_bytes()));
    let (streamed, errors) = Snapshot::read(Reader::new(text.as_bytes()), policy);
    assert!(errors.is_empty(), "{errors:?}");
    let snapshot = existing.snapshot(policy);
    assert_eq!(streamed, snapshot);
    assert!(snapshot.annotation_count() > 0);
    for s in fx["scenarios"].as_array().unwrap() {
        let lines = jsonl(&s["lines"]);
        let mut p = Previewer::new(&snapshot, PreviewOptions::default());
        for item in Reader::new(lines.as_bytes()) {
            match item {
                Ok(r) => {
                    p.add(r);
                }
                Err(e) => p.unreadable(&e),
            }
        }
        let one_by_one = p.finish();
        let parallel = preview_reader(
            Reader::new(lines.as_bytes()),
            &streamed,
            PreviewOptions::default(),
        );
        assert_eq!(parallel, one_by_one, "{}", s["name"]);
        // With no memory for the in-file tables, they spill after every line.
        let spilled = preview_reader(
            Reader::new(lines.as_bytes()),
            &streamed,
            PreviewOptions {
                memory_budget: 0,
                ..Default::default()
            },
        );
        assert_eq!(spilled, one_by_one, "{} (spilled)", s["name"]);
    }
}

#[test]
fn a_later_annotation_replaces_an_earlier_one_in_a_snapshot() {
    let line = |id: &str, track: u32, start: u32| {
        format!(
            "{{\"type\":\"annotation\",\"data\":{{\"id\":\"{id}\",\"videoId\":\"v\",\"personaId\":\"p\",\"typeId\":\"t\",\"typeCategory\":\"entity\",\"boundingBoxSequence\":{{\"trackId\":{track},\"boxes\":[{{\"x\":0,\"y\":0,\"width\":1,\"height\":1,\"frameNumber\":{start}}},{{\"x\":0,\"y\":0,\"width\":1,\"height\":1,\"frameNumber\":{}}}]}}}}}}\n",
            start + 10
        )
    };
    let text = [line("a", 1, 0), line("b", 1, 5), line("a", 2, 20)].concat();
    let policy = KeyframePolicy::default();
    let (snapshot, errors) = Snapshot::read(Reader::new(text.as_bytes()), policy);
    assert!(errors.is_empty(), "{errors:?}");
    let (ds, _) = Dataset::read(Reader::new(text.as_bytes()));
    assert_eq!(snapshot, ds.snapshot(policy));
    assert_eq!(snapshot.annotation_count(), 2);
    assert_eq!(snapshot.annotation("a").unwrap().span, Some((20, 30)));
    // "a" moved to track 2: track 1 holds only "b".
    let b = snapshot.annotation("b").unwrap();
    let on_track_1: Vec<String> = snapshot
        .annotations_of("v", b.owner.as_ref().unwrap())
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(on_track_1, vec!["b".to_owned()]);
}

#[test]
fn a_parallel_preview_of_a_large_mixed_file_equals_the_one_line_at_a_time_preview() {
    use fovea_core::import::AnnotationSummary;
    use fovea_core::interp::InterpOptions;
    use fovea_core::jsonl::{ExportMode, Writer};
    use fovea_core::synth;
    // Some tracked, some object annotations, half of them already in the store (with other
    // keyframes, so that pairs and spans differ): every kind of per-line and in-file conflict,
    // over several blocks of the parallel reader.
    let mixed = |i: usize, keyframes: usize| {
        let mut a = synth::annotation(i, keyframes);
        if i.is_multiple_of(7) {
            a.bounding_box_sequence.track_id = Some(Value::from(i % 3));
        }
        if i.is_multiple_of(11) {
            a.annotation_type = Some("object".into());
            a.linked_entity_id = Some(format!("e-{}", i % 5));
        }
        if i.is_multiple_of(13) {
            a.id = format!("shared-{}", i % 4);
        }
        a
    };
    let n = 12_000;
    let mut text = Vec::new();
    let mut w = Writer::new(&mut text);
    for i in 0..n {
        w.write_annotation(
            &mixed(i, 4),
            ExportMode::Keyframes,
            &InterpOptions::default(),
        )
        .unwrap();
    }
    let mut snapshot = Snapshot::new();
    snapshot.add_video("video-03");
    snapshot.add_persona("persona-1");
    for i in n / 2..n + n / 2 {
        let mut a = mixed(i, 3 + i % 3);
        if i.is_multiple_of(2) {
            for s in &mut a.bounding_box_sequence.interpolation_segments {
                s.kind = fovea_core::model::InterpolationType::Hold;
            }
        }
        snapshot.add_annotation(AnnotationSummary::of(&a, KeyframePolicy::default()));
    }
    let mut p = Previewer::new(&snapshot, PreviewOptions::default());
    for item in Reader::new(&text[..]) {
        p.add(item.unwrap());
    }
    let one_by_one = p.finish();
    let parallel = preview_reader(Reader::new(&text[..]), &snapshot, PreviewOptions::default());
    let kinds: std::collections::BTreeSet<&str> =
        parallel.conflicts.iter().map(|c| c.kind.as_str()).collect();
    for kind in [
        "duplicate-sequence",
        "interpolation-conflict",
        "overlapping-frames",
        "missing-dependency",
        "id-conflict",
    ] {
        assert!(kinds.contains(kind), "{kind} not exercised: {kinds:?}");
    }
    assert_eq!(parallel.conflicts.len(), one_by_one.conflicts.len());
    assert_eq!(parallel, one_by_one);
    // In-file tables spilled every few hundred lines: many runs, merged on the way.
    let spilled = preview_reader(
        Reader::new(&text[..]),
        &snapshot,
        PreviewOptions {
            memory_budget: 16 << 10,
            ..Default::default()
        },
    );
    assert_eq!(spilled, one_by_one);
}

/// Tables that cannot spill: the preview says so (line 0, `io`) and an import fails rather than
/// apply what was not checked.
#[test]
fn a_preview_that_cannot_spill_reports_it_and_an_import_fails() {
    let lines = "{\"type\":\"video\",\"data\":{\"id\":\"v\"}}\n".repeat(3);
    let opts = || PreviewOptions {
        memory_budget: 0,
        spill_dir: Some(PathBuf::from("/nonexistent/fovea-spill")),
        ..Default::default()
    };
    let preview = preview_reader(Reader::new(lines.as_bytes()), &Snapshot::new(), opts());
    assert_eq!(preview.errors.len(), 1, "{:?}", preview.errors);
    assert_eq!((preview.errors[0].line, preview.errors[0].code), (0, "io"));
    assert!(
        preview.errors[0]
            .message
            .contains("in-file conflicts could not be checked"),
        "{}",
        preview.errors[0].message
    );
    let mut ds = Dataset::new();
    let err = fovea_core::import::import_reader(
        &mut ds,
        Reader::new(lines.as_bytes()),
        &ImportOptions::default(),
        opts(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "io");
    assert!(ds.videos.is_empty());
}

/// A spill directory is checked when it is given: a missing one or a file is an `io` error
/// that names it, and the options are left unchanged.
#[test]
fn a_spill_directory_is_checked_when_given() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = PreviewOptions::default();
    opts.spill_to(dir.path().to_owned()).unwrap();
    assert_eq!(opts.spill_dir.as_deref(), Some(dir.path()));
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    for (path, reason) in [
        (dir.path().join("missing"), "No such file or directory"),
        (file, "not a directory"),
    ] {
        let mut opts = PreviewOptions::default();
        let err = opts.spill_to(path.clone()).unwrap_err();
        assert_eq!(err.code(), "io");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains(reason), "{message}");
        assert_eq!(opts.spill_dir, None);
        // Both options at once: a bad directory sets neither.
        let err = opts.limit_memory(Some(0), Some(path)).unwrap_err();
        assert_eq!(err.code(), "io");
        assert_eq!(opts.memory_budget, DEFAULT_MEMORY_BUDGET);
    }
    let mut opts = PreviewOptions::default();
    opts.limit_memory(None, None).unwrap();
    assert_eq!(
        (opts.memory_budget, opts.spill_dir.clone()),
        (DEFAULT_MEMORY_BUDGET, None)
    );
    opts.limit_memory(Some(4096), Some(dir.path().to_owned()))
        .unwrap();
    assert_eq!(opts.memory_budget, 4096);
    assert_eq!(opts.spill_dir.as_deref(), Some(dir.path()));
}

/// An interpolation conflict reports the resolution that decided the modes: the interpolation
/// strategy when the sequences are merged, else the sequence's own resolution.
#[test]
fn an_interpolation_conflict_reports_the_resolution_that_was_applied() {
    let annotation = |x: u32, segments: &str| {
        format!(
            r#"{{"type":"annotation","data":{{"id":"a1","videoId":"v1","annotationType":"object","linkedEntityId":"e1","boundingBoxSequence":{{"boxes":[{{"x":0,"y":0,"width":10,"height":10,"frameNumber":0}},{{"x":{x},"y":0,"width":10,"height":10,"frameNumber":10}}],"interpolationSegments":[{segments}]}}}}}}"#
        ) + "\n"
    };
    let existing = format!(
        "{}{}",
        r#"{"type":"entity","data":{"id":"e1","name":"buoy"}}"#.to_owned()
            + "\n"
            + r#"{"type":"video","data":{"id":"v1"}}"#
            + "\n",
        annotation(10, r#"{"startFrame":0,"endFrame":10,"type":"hold"}"#)
    );
    let incoming = annotation(20, "");
    let policy = KeyframePolicy::default();
    for (sequences, interpolation, want_resolution, want_mode) in [
        ("replace", "use-existing", "replace", None),
        ("skip", "use-imported", "skip", Some("hold")),
        (
            "merge-keyframes",
            "use-existing",
            "use-existing",
            Some("hold"),
        ),
        ("merge-keyframes", "use-imported", "use-imported", None),
    ] {
        let (mut ds, errors) = Dataset::read(Reader::new(existing.as_bytes()));
        assert!(errors.is_empty(), "{errors:?}");
        let snapshot = ds.snapshot(policy);
        let mut previewer = Previewer::new(&snapshot, PreviewOptions::default());
        let checked: Vec<_> = Reader::new(incoming.as_bytes())
            .map(|r| previewer.add(r.unwrap()))
            .collect();
        let preview = previewer.finish();
        let options =
            ImportOptions::from_value(serde_json::json!({"conflictResolution": {"sequences": {
            "duplicateSequenceIds": sequences, "interpolationConflicts": interpolation}}}))
            .unwrap();
        let result = apply(&mut ds, checked, &preview, &options, policy).unwrap();
        let ctx = format!("{sequences}/{interpolation}: {:?}", result.conflicts);
        let resolutions: Vec<(&str, Option<&str>)> = result
            .conflicts
            .iter()
            .map(|c| (c.kind.as_str(), c.resolution.as_deref()))
            .collect();
        assert_eq!(
            resolutions,
            [
                ("duplicate-sequence", Some(sequences)),
                ("interpolation-conflict", Some(want_resolution))
            ],
            "{ctx}"
        );
        let seq = &ds.annotations["a1"].bounding_box_sequence;
        let mode = seq
            .interpolation_segments
            .iter()
            .find(|s| s.start_frame == 0 && s.end_frame == 10)
            .map(|s| s.kind.as_str());
        assert_eq!(mode, want_mode, "{ctx}");
    }
}

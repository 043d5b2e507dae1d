//! `fovea demo`: fovea's main job on the embedded defaults — a sequence's interpolation and
//! edits, JSON Lines exchange, the embedded store, and timings.

use crate::failure::{Failure, Outcome};
use fovea_core::edit::SegmentSpec;
use fovea_core::interp::{CompiledSequence, InterpOptions};
use fovea_core::model::{BoundingBoxSequence, InterpolationType, KeyframePolicy};
use fovea_core::{Error, synth};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// FOVEA's own example (its import dialog's container ship), keyframes and segments only.
const SHIP: &str = r#"{"boxes":[
  {"x":245,"y":180,"width":420,"height":285,"frameNumber":0,"isKeyframe":true,"confidence":0.98},
  {"x":320,"y":195,"width":450,"height":310,"frameNumber":120,"isKeyframe":true,"confidence":0.99},
  {"x":410,"y":210,"width":485,"height":335,"frameNumber":240,"isKeyframe":true,"confidence":0.97},
  {"x":520,"y":225,"width":515,"height":360,"frameNumber":360,"isKeyframe":true,"confidence":0.98}],
 "interpolationSegments":[
  {"startFrame":0,"endFrame":120,"type":"ease-in-out"},
  {"startFrame":120,"endFrame":240,"type":"linear"},
  {"startFrame":240,"endFrame":360,"type":"ease-out"}],
 "visibilityRanges":[{"startFrame":0,"endFrame":360,"visible":true}],
 "trackId":1,"trackingSource":"manual"}"#;

fn describe(seq: &BoundingBoxSequence) -> String {
    let c = seq.counters(KeyframePolicy::default());
    let keys: Vec<String> = seq
        .boxes
        .iter()
        .map(|b| b.frame_number.to_string())
        .collect();
    let segs: Vec<String> = seq
        .interpolation_segments
        .iter()
        .map(|s| format!("[{},{}] {}", s.start_frame, s.end_frame, s.kind.as_str()))
        .collect();
    let ranges: Vec<String> = seq
        .visibility_ranges
        .iter()
        .map(|r| {
            let v = if r.visible { "visible" } else { "hidden" };
            format!("[{},{}] {v}", r.start_frame, r.end_frame)
        })
        .collect();
    format!(
        "keyframes {} | segments {} | ranges {} | totalFrames {} keyframeCount {} interpolatedFrameCount {}",
        keys.join(","),
        segs.join(" "),
        ranges.join(" "),
        c.total_frames,
        c.keyframe_count,
        c.interpolated_frame_count
    )
}

fn fmt_box(values: Option<[f64; 4]>) -> String {
    match values {
        Some([x, y, w, h]) => format!("x={x:.3} y={y:.3} w={w:.3} h={h:.3}"),
        None => "null".into(),
    }
}

/// Median wall time of `runs` runs of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn show_edit(what: &str, result: Result<(), Error>, seq: &BoundingBoxSequence) {
    match result {
        Ok(()) => println!("  {what}\n    -> {}", describe(seq)),
        Err(e) => println!("  {what}\n    -> refused [{}]: {e}", e.code()),
    }
}

/// Exports, validates, previews and merges a small dataset in memory.
fn exchange_demo(seq: &BoundingBoxSequence) -> Outcome {
    use fovea_core::import::{Dataset, ImportOptions, PreviewOptions, import_reader};
    use fovea_core::jsonl::{ExportMode, ExportOptions, Reader};
    use fovea_core::model::Annotation;
    use fovea_core::validate::{ValidateOptions, validate_reader};
    let io = |e: fovea_core::Error| crate::failure::Failure::Invalid(e);
    let mut store = Dataset::new();
    let ship = Annotation {
        id: "ship-1".into(),
        video_id: "harbour".into(),
        annotation_type: Some("type".into()),
        bounding_box_sequence: seq.clone(),
        persona_id: Some("analyst".into()),
        type_category: Some("entity".into()),
        type_id: Some("container_ship".into()),
        ..Default::default()
    };
    store.annotations.insert(ship.id.clone(), ship);
    let export = |store: &Dataset, mode| {
        let opts = ExportOptions {
            mode,
            export_date: Some("2025-01-15T18:30:00.000Z".into()),
            ..Default::default()
        };
        store.write(Vec::new(), opts)
    };
    let (keys, _) = export(&store, ExportMode::Keyframes).map_err(io)?;
    let (full, stats) = export(&store, ExportMode::Interpolated).map_err(io)?;
    println!(
        "  export: keyframes only {} bytes, every frame {} bytes ({} boxes): {:.1}% smaller",
        keys.len(),
        full.len(),
        stats.keyframe_count + stats.interpolated_frame_count,
        100.0 * (1.0 - keys.len() as f64 / full.len() as f64)
    );
    for profile in [fovea_core::Profile::Default, fovea_core::Profile::Fovea] {
        let opts = ValidateOptions {
            profile,
            ..Default::default()
        };
        let report = validate_reader(Reader::new(&keys[..]), &opts, &Default::default(), 10);
        let first = report
            .errors
            .first()
            .map_or(String::new(), |e| format!(": {}", e.message));
        println!(
            "  validate, {} profile: valid {}{first}",
            profile.as_str(),
            report.valid
        );
    }
    // Re-import the export with a changed keyframe: a duplicate sequence, merged by keyframe.
    let text = String::from_utf8_lossy(&keys).replace("\"frameNumber\":360", "\"frameNumber\":400");
    let options = ImportOptions::from_json(
        r#"{"conflictResolution":{"sequences":{"duplicateSequenceIds":"merge-keyframes"},"missingDependencies":"create-placeholder"}}"#,
    )
    .map_err(io)?;
    let (preview, result) = import_reader(
        &mut store,
        Reader::new(text.as_bytes()),
        &options,
        PreviewOptions::default(),
    )
    .map_err(io)?;
    for c in &result.conflicts {
        println!(
            "  conflict line {} {}: {} -> {}",
            c.line,
            c.kind.as_str(),
            c.details,
            c.resolution.as_deref().unwrap_or("none")
        );
    }
    let merged = &store.annotations["ship-1"].bounding_box_sequence;
    let frames: Vec<String> = merged
        .boxes
        .iter()
        .map(|b| b.frame_number.to_string())
        .collect();
    println!(
        "  import: {} lines, {} conflicts, success {}; merged keyframes {}; {} placeholders",
        preview.counts.lines.values().sum::<u64>(),
        result.conflicts.len(),
        result.success,
        frames.join(","),
        result.summary.imported_items.placeholders
    );
    Ok(())
}

/// Stores a synthetic dataset in the embedded store (an SQLite file of its own), exports it
/// and re-imports the export, showing the conflicts found and the time each step took.
fn store_demo() -> Outcome {
    use fovea_core::import::ImportOptions;
    use fovea_core::jsonl::{ExportOptions, Writer};
    use fovea_db::{BlockingStore, ImportParams, Source};
    let path = std::env::temp_dir().join(format!("fovea-demo-{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    let n = 2_000;
    let mut w = Writer::new(Vec::new());
    for r in synth::references() {
        w.write(&r)?;
    }
    for i in 0..n {
        w.write_annotation(
            &synth::annotation(i, 5),
            Default::default(),
            &Default::default(),
        )?;
    }
    let file: std::sync::Arc<[u8]> = w.into_inner()?.into();
    let outcome = (|| -> Outcome {
        let store = BlockingStore::connect(&url, Default::default())?;
        let source = |bytes: std::sync::Arc<[u8]>| Source::Bytes {
            name: "demo.jsonl".into(),
            bytes,
        };
        let t = Instant::now();
        let first = store.import(
            source(file.clone()),
            &ImportOptions::default(),
            ImportParams::default(),
        )?;
        let imported = t.elapsed();
        let items = &first.result.summary.imported_items;
        println!(
            "  {}: imported {} annotations, {} videos, {} personas in {} (one transaction)",
            path.display(),
            items.annotations,
            items.videos,
            items.personas,
            ms(imported)
        );
        let t = Instant::now();
        let export = store.export(Vec::new(), ExportOptions::default())?;
        println!(
            "  exported {} annotation lines ({} bytes) from the store in {}",
            export.stats.annotation_count,
            export.stats.bytes,
            ms(t.elapsed())
        );
        let again = store.import(
            source(export.out.into()),
            &ImportOptions::default(),
            ImportParams::default(),
        )?;
        let mut kinds: Vec<&str> = again
            .result
            .conflicts
            .iter()
            .map(|c| c.kind.as_str())
            .collect();
        kinds.dedup();
        println!(
            "  re-imported the export: {} conflicts ({}), {} annotations skipped, {} written",
            again.result.conflicts.len(),
            kinds.join(", "),
            again.result.summary.skipped_items.annotations,
            again.result.summary.imported_items.annotations
        );
        println!("  import history: {} rows", store.import_history()?.len());
        store.close();
        Ok(())
    })();
    remove_sqlite(&path);
    outcome
}

/// A tracking job on the in-process queue against the simulated model service, saving into an
/// embedded store of its own; its candidates are then reviewed: one accepted, one rejected.
fn tracking_demo() -> Outcome {
    let path = std::env::temp_dir().join(format!("fovea-demo-tracking-{}.db", std::process::id()));
    let outcome = track_and_review(&format!("sqlite://{}", path.display()));
    remove_sqlite(&path);
    outcome
}

/// Removes an SQLite file and its journal files.
fn remove_sqlite(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.to_path_buf().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

fn track_and_review(url: &str) -> Outcome {
    use fovea_jobs::tracking::{
        ClientOptions, ModelServiceClient, SimulatedModelService, SimulatedVideo, Simulation,
        TrackingHandler,
    };
    use fovea_jobs::{InProcessQueue, JobOptions, JobQueue, TRACKING_JOB, TRACKING_QUEUE, Worker};
    use std::sync::Arc;
    fovea_runtime::runtime().block_on(async {
        let service = SimulatedModelService::start(Simulation {
            videos: [(
                "demo-video".to_owned(),
                SimulatedVideo {
                    width: 1280,
                    height: 720,
                    frames: 600,
                },
            )]
            .into(),
            velocity: (1.5, 0.4),
            lost: vec![(250, 289)],
            fail_first: 0,
        })
        .await
        .map_err(|e| Failure::Io("cannot start the simulated model service".into(), e))?;
        println!(
            "  a simulated model service at {} (FOVEA's /api/tracking/track contract, generated masks)",
            service.url()
        );
        let client = ModelServiceClient::new(ClientOptions {
            base_url: service.url().to_owned(),
            ..Default::default()
        })
        .map_err(|f| Failure::Usage(f.message))?;
        let store = fovea_db::Store::connect(url).await?;
        let video: fovea_core::model::Video = serde_json::from_value(
            serde_json::json!({"id": "demo-video", "width": 1280, "height": 720}),
        )
        .map_err(|e| Failure::Usage(e.to_string()))?;
        store.save_videos(&[video]).await?;
        let queue = Arc::new(InProcessQueue::new(TRACKING_QUEUE));
        let handler = TrackingHandler::new(client, Default::default()).with_store(store.clone());
        let worker = Worker::start(queue.clone(), Arc::new(handler), Default::default());
        let payload = serde_json::json!({
            "schemaVersion": 1, "videoId": "demo-video", "model": "samurai",
            "frameRange": {"start": 0, "end": 599}, "videoWidth": 1280, "videoHeight": 720,
            "objects": [
                {"objectId": 1, "label": "ship", "initialBox": {"x": 80, "y": 300, "width": 160, "height": 70}},
                {"objectId": 2, "label": "gull", "initialBox": {"x": 900, "y": 120, "width": 20, "height": 12}}
            ]
        });
        let t = Instant::now();
        let added = queue
            .add(TRACKING_JOB, payload, JobOptions::default().with_id("track-demo-video"))
            .await?;
        let view = queue.finished(&added.id).await?.expect("the job is kept");
        worker.shutdown(Duration::from_secs(1)).await;
        println!(
            "  job {} (queue {TRACKING_QUEUE}): {} in {}",
            view.job_id,
            view.message(),
            ms(t.elapsed())
        );
        let result = view.result.clone().unwrap_or_default();
        let seq = &result["sequences"][0];
        println!(
            "  {} tracked frames (frames 250–289 lost) became {} keyframes within 1 px; hidden ranges: {}",
            seq["trackedFrames"],
            seq["keyframes"],
            seq["sequence"]["visibilityRanges"]
                .as_array()
                .map_or(0, |r| r.iter().filter(|v| v["visible"] == false).count())
        );
        if let Ok(track) = serde_json::from_value::<fovea_core::track::Track>(result["tracks"][0].clone()) {
            let mut fovea = fovea_core::track::track_to_sequence(&track);
            let n = fovea_core::track::optimal_decimation(fovea.boxes.len());
            fovea_core::track::decimate_keyframes(&mut fovea, n);
            println!("  FOVEA's decimation (every {n}th box) would keep {}", fovea.boxes.len());
        }
        let mut mapped = view.to_mapped_route();
        mapped["result"] = serde_json::json!("…");
        println!("  FOVEA's claims-route shape: {mapped}");
        review_demo(&store, &view.job_id).await?;
        store.close().await;
        Ok(())
    })
}

/// Reviews the tracking job's candidates: the ship is accepted as an object annotation, the
/// gull rejected.
async fn review_demo(store: &fovea_db::Store, job_id: &str) -> Outcome {
    use fovea_jobs::InProcessQueue;
    use fovea_jobs::tracking::review::{self, AcceptArgs, CandidatesArgs, RejectArgs};
    let none: Option<&InProcessQueue> = None;
    let of_job = CandidatesArgs {
        job_id: Some(job_id.to_owned()),
        ..Default::default()
    };
    let pending = review::candidates(store, none, &of_job).await?;
    let listed: Vec<String> = pending
        .iter()
        .map(|c| {
            format!(
                "{} {:?} ({} frames)",
                c.object_id,
                c.label.as_deref().unwrap_or(""),
                c.tracked_frames
            )
        })
        .collect();
    println!("  candidates to review: {}", listed.join(", "));
    let accept = AcceptArgs {
        entity_id: Some("ship-1".into()),
        tolerance: Some(2.0),
        version: Some(1),
        ..Default::default()
    }
    .options()?;
    let ship = review::accept(store, none, job_id, 1, accept).await?;
    let saved = store
        .annotation(ship.annotation_id.as_deref().unwrap_or_default())
        .await?
        .map_or(0, |a| a.bounding_box_sequence.boxes.len());
    println!(
        "  accepted object 1 as annotation {} ({saved} keyframes within 2 px, version {})",
        ship.annotation_id.as_deref().unwrap_or("?"),
        ship.version
    );
    let reject = RejectArgs {
        reason: Some("a gull, not a vessel".into()),
        ..Default::default()
    };
    let gull = review::reject(store, none, job_id, 2, reject).await?;
    println!(
        "  rejected object 2 ({}); pending now: {}",
        gull.reason.as_deref().unwrap_or(""),
        review::candidates(
            store,
            none,
            &CandidatesArgs {
                state: Some("pending".into()),
                ..of_job
            }
        )
        .await?
        .len()
    );
    Ok(())
}

/// Runs the demo.
pub fn run() -> Outcome {
    let opts = InterpOptions::default();
    println!("fovea demo — keyframe interpolation with FOVEA's formulas\n");

    println!("1. FOVEA's container-ship example");
    let mut seq = BoundingBoxSequence::from_json(SHIP)?;
    println!("  {}", describe(&seq));
    let compiled = seq.compile(&opts)?;
    println!("  eager evaluation: {} frames", compiled.len());
    for f in [0, 60, 180, 300, 360, 400] {
        println!("  frame {f:>3}: {}", fmt_box(compiled.values_at(f)));
    }

    println!("\n2. Editing (FOVEA's behaviour, without its data loss)");
    let r = seq.add_keyframe(180, None, &opts);
    show_edit(
        "add a keyframe at 180 (takes the interpolated box, splits [120,240])",
        r,
        &seq,
    );
    let r = seq.remove_keyframe(0, &opts).map(drop);
    show_edit("remove the first keyframe", r, &seq);
    let r = seq.move_keyframe(120, 100, &opts);
    show_edit("move keyframe 120 to 100 (its segments follow)", r, &seq);
    let spec = SegmentSpec {
        kind: InterpolationType::Hold,
        ..Default::default()
    };
    let r = seq.set_interpolation(300, spec, &opts);
    show_edit("hold between 240 and 360", r, &seq);
    let r = seq.set_visibility(200, 220, false);
    show_edit(
        "hide frames 200..220 (no overlapping ranges, nothing un-hidden)",
        r,
        &seq,
    );
    let r = seq.add_keyframe(210, None, &opts);
    show_edit(
        "add a keyframe at 210, inside the hidden range (only 210 is shown)",
        r,
        &seq,
    );
    let compiled = seq.compile(&opts)?;
    println!(
        "  frame 205: {}   frame 210: {}",
        fmt_box(compiled.values_at(205)),
        fmt_box(compiled.values_at(210))
    );
    println!("  as FOVEA's JSON: {}", fovea_core::json::to_string(&seq));

    println!("\n3. JSON Lines exchange");
    exchange_demo(&seq)?;

    println!("\n4. The embedded store (SQLite, FOVEA's tables)");
    store_demo()?;

    println!("\n5. A tracking job (the in-process queue)");
    tracking_demo()?;

    println!("\n6. Timings on this machine (median)");
    let linear = CompiledSequence::new(&synth::linear(1_000_000), &opts)?;
    let mut frames = vec![0u32; linear.len()];
    let mut boxes = vec![[0.0f64; 4]; linear.len()];
    let reused = median(21, || {
        black_box(linear.write_into(&mut frames, &mut boxes).expect("sized"));
    });
    let fresh = median(21, || {
        black_box(linear.to_dense());
    });
    let touch = median(21, || {
        let n = linear.len();
        let mut f: Vec<u32> = Vec::with_capacity(n);
        let mut b: Vec<[f64; 4]> = Vec::with_capacity(n);
        f.resize(n, 1);
        b.resize(n, [1.0; 4]);
        black_box((f, b));
    });
    println!(
        "  1,000,000 frames, 2 linear keyframes, reused buffers: {}",
        ms(reused)
    );
    println!(
        "  the same into fresh buffers: {} (allocating and touching them alone: {})",
        ms(fresh),
        ms(touch)
    );
    let bezier = CompiledSequence::new(&synth::bezier(1_001, 100_000), &opts)?;
    let mut frames = vec![0u32; bezier.len()];
    let mut boxes = vec![[0.0f64; 4]; bezier.len()];
    let bez = median(21, || {
        black_box(bezier.write_into(&mut frames, &mut boxes).expect("sized"));
    });
    println!("  100,000 frames over 1,001 bezier keyframes: {}", ms(bez));
    let probes: Vec<u32> = (0..10_000u32)
        .map(|i| i.wrapping_mul(2_654_435_761) % 100_000)
        .collect();
    let lookups = median(21, || {
        for &f in &probes {
            black_box(bezier.values_at(f));
        }
    });
    println!(
        "  10,000 single-frame lookups on 1,001 keyframes: {}",
        ms(lookups)
    );
    println!(
        "\n(FOVEA's engine on this machine class: 540 ms, 68 ms and 1,240 ms for the same work.)"
    );
    Ok(())
}

//! JSON Lines benchmarks (issue 3's figures): export (from memory, on all cores) and read of
//! 100,000 annotations × 5 keyframes, and the import preview of that file.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fovea_core::interp::InterpOptions;
use fovea_core::jsonl::{ExportMode, LineData, Reader, Writer};
use fovea_core::synth;
use std::hint::black_box;

const N: usize = 100_000;

fn export_mode(c: &mut Criterion, name: &str, mode: ExportMode) {
    let anns: Vec<_> = (0..N).map(|i| synth::annotation(i, 5)).collect();
    let opts = InterpOptions::default();
    let mut buf = Vec::with_capacity(200 << 20);
    let mut w = Writer::new(&mut buf);
    w.write_annotations(&anns, mode, &opts).unwrap();
    let bytes = w.bytes();
    println!("export {name}: {bytes} bytes");
    let mut g = c.benchmark_group("export_100k_x5");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function(name, |b| {
        b.iter(|| {
            buf.clear();
            let mut w = Writer::new(&mut buf);
            w.write_annotations(&anns, mode, &opts).unwrap();
            black_box(w.bytes())
        })
    });
    g.finish();
}

fn export_keyframes(c: &mut Criterion) {
    export_mode(c, "keyframes", ExportMode::Keyframes);
}

fn export_interpolated(c: &mut Criterion) {
    export_mode(c, "interpolated", ExportMode::Interpolated);
}

fn read(c: &mut Criterion) {
    let opts = InterpOptions::default();
    let mut file = Vec::new();
    let mut w = Writer::new(&mut file);
    for i in 0..N {
        w.write_annotation(&synth::annotation(i, 5), ExportMode::Keyframes, &opts)
            .unwrap();
    }
    let mut g = c.benchmark_group("read_100k_x5");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(file.len() as u64));
    g.bench_function("parse_and_check", |b| {
        b.iter(|| {
            let mut n = 0;
            for r in Reader::new(&file[..]) {
                if let LineData::Annotation(a) = r.unwrap().data {
                    n += a
                        .into_annotation()
                        .unwrap()
                        .bounding_box_sequence
                        .boxes
                        .len();
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

/// Parse + validate + preview of the 100,000-annotation file against a store that holds
/// 50,000 other annotations (and the file's personas and videos).
fn preview(c: &mut Criterion) {
    use fovea_core::import::{AnnotationSummary, PreviewOptions, Snapshot, preview_reader};
    let opts = InterpOptions::default();
    let mut file = Vec::new();
    let mut w = Writer::new(&mut file);
    for i in 0..N {
        w.write_annotation(&synth::annotation(i, 5), ExportMode::Keyframes, &opts)
            .unwrap();
    }
    let mut snapshot = Snapshot::new();
    for p in 0..10 {
        snapshot.add_persona(format!("persona-{p}"));
    }
    for v in 0..50 {
        snapshot.add_video(format!("video-{v:02}"));
    }
    for i in N..N + 50_000 {
        snapshot.add_annotation(AnnotationSummary::of(
            &synth::annotation(i, 5),
            Default::default(),
        ));
    }
    let mut g = c.benchmark_group("preview_100k_x5");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(file.len() as u64));
    g.bench_function("against_50k_existing", |b| {
        b.iter(|| {
            let p = preview_reader(Reader::new(&file[..]), &snapshot, PreviewOptions::default());
            assert_eq!(p.counts.annotations as usize, N);
            black_box(p.conflicts.len())
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    export_keyframes,
    export_interpolated,
    read,
    preview
);
criterion_main!(benches);

//! Tracking benchmarks (issue 5's figure): 1,000,000 tracked frames turned into a keyframe
//! sequence with the error-bounded reducer, and how many keyframes it keeps against FOVEA's
//! decimation at the tolerance that decimation reaches.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fovea_core::interp::InterpOptions;
use fovea_core::track::{
    Track, TrackFrame, decimate_keyframes, optimal_decimation, reduce_track, track_to_sequence,
};
use std::hint::black_box;

const N: u32 = 1_000_000;

/// A vessel drifting with slow turns and sub-pixel detector noise, lost for 30 frames every
/// 10,000.
fn track() -> Track {
    let frames = (0..N)
        .filter(|f| f % 10_000 < 9_970)
        .map(|f| {
            let t = f64::from(f);
            let noise = ((t * 12.9898).sin() * 43_758.545).fract() * 0.4;
            TrackFrame {
                frame_number: f,
                bbox: [
                    300.0 + 200.0 * (t / 5_000.0).sin() + noise,
                    200.0 + 100.0 * (t / 7_000.0).cos() - noise,
                    80.0 + 10.0 * (t / 3_000.0).sin(),
                    60.0 + noise,
                ],
                confidence: 0.9,
                occluded: false,
            }
        })
        .collect();
    Track {
        track_id: 1.into(),
        label: "vessel".into(),
        confidence: 0.9,
        model: "samurai".into(),
        frames,
        video_width: 1920,
        video_height: 1080,
    }
}

/// The largest deviation, over every tracked frame, of `seq`'s interpolation from the track.
fn max_error(track: &Track, seq: &fovea_core::BoundingBoxSequence) -> f64 {
    let compiled = seq.compile(&InterpOptions::default()).unwrap();
    track
        .frames
        .iter()
        .filter_map(|f| {
            let got = compiled.values_at(f.frame_number)?;
            Some(
                got.iter()
                    .zip(f.bbox)
                    .map(|(g, w)| (g - w).abs())
                    .fold(0.0, f64::max),
            )
        })
        .fold(0.0, f64::max)
}

fn reduce(c: &mut Criterion) {
    let track = track();
    let n = track.frames.len();
    let mut fovea = track_to_sequence(&track);
    decimate_keyframes(&mut fovea, optimal_decimation(n));
    let tolerance = max_error(&track, &fovea);
    let reduced = reduce_track(&track, tolerance);
    println!(
        "{n} tracked frames: FOVEA's decimation keeps {} keyframes (max error {tolerance:.3} px); \
         the reducer at that tolerance keeps {} (max error {:.3} px); at 1 px: {}",
        fovea.boxes.len(),
        reduced.boxes.len(),
        max_error(&track, &reduced),
        reduce_track(&track, 1.0).boxes.len(),
    );
    let mut g = c.benchmark_group("track_1m");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("reduce_track_1px", |b| {
        b.iter(|| black_box(reduce_track(black_box(&track), 1.0)))
    });
    g.bench_function("fovea_convert_and_decimate", |b| {
        b.iter(|| {
            let mut seq = track_to_sequence(black_box(&track));
            decimate_keyframes(&mut seq, optimal_decimation(n));
            black_box(seq)
        })
    });
    g.finish();
}

criterion_group!(benches, reduce);
criterion_main!(benches);

//! Interpolation engine benchmarks (issue 2's figures).
//!
//! * eager, 2 linear keyframes, 1,000,000 frames: into reused buffers; into fresh buffers,
//!   compared with merely allocating and touching buffers of the same size;
//! * eager, 1,001 bezier keyframes, 100,000 frames;
//! * 10,000 random single-frame lookups on 1,001 keyframes.

use criterion::{Criterion, criterion_group, criterion_main};
use fovea_core::interp::{CompiledSequence, InterpOptions};
use fovea_core::synth;
use std::hint::black_box;

fn eager_linear(c: &mut Criterion) {
    let compiled =
        CompiledSequence::new(&synth::linear(1_000_000), &InterpOptions::default()).unwrap();
    let n = compiled.len();
    let mut g = c.benchmark_group("eager_linear_1m");
    g.sample_size(30);
    let mut frames = vec![0u32; n];
    let mut boxes = vec![[0.0f64; 4]; n];
    g.bench_function("reused_buffers", |b| {
        b.iter(|| black_box(compiled.write_into(&mut frames, &mut boxes).unwrap()))
    });
    g.bench_function("fresh_buffers", |b| {
        b.iter(|| black_box(compiled.to_dense()))
    });
    g.bench_function("alloc_and_touch_only", |b| {
        b.iter(|| {
            let mut f: Vec<u32> = Vec::with_capacity(n);
            let mut x: Vec<[f64; 4]> = Vec::with_capacity(n);
            f.resize(n, 1);
            x.resize(n, [1.0; 4]);
            black_box((f, x))
        })
    });
    g.finish();
}

fn eager_bezier(c: &mut Criterion) {
    let compiled =
        CompiledSequence::new(&synth::bezier(1_001, 100_000), &InterpOptions::default()).unwrap();
    let n = compiled.len();
    let mut frames = vec![0u32; n];
    let mut boxes = vec![[0.0f64; 4]; n];
    c.bench_function("eager_bezier_1001kf_100k/reused_buffers", |b| {
        b.iter(|| black_box(compiled.write_into(&mut frames, &mut boxes).unwrap()))
    });
}

fn lookups(c: &mut Criterion) {
    let compiled =
        CompiledSequence::new(&synth::bezier(1_001, 100_000), &InterpOptions::default()).unwrap();
    // A fixed pseudo-random probe set (Knuth's multiplicative hash), so runs compare.
    let probes: Vec<u32> = (0..10_000u32)
        .map(|i| i.wrapping_mul(2_654_435_761) % 100_000)
        .collect();
    c.bench_function("lookups_10k_on_1001kf", |b| {
        b.iter(|| {
            for &f in &probes {
                black_box(compiled.values_at(f));
            }
        })
    });
}

criterion_group!(benches, eager_linear, eager_bezier, lookups);
criterion_main!(benches);

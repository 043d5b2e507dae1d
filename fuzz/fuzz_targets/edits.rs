//! Fuzzes the sequence edits (`fovea_core::edit`): a valid sequence of one to three keyframes
//! takes a list of adds, removals, updates, moves, interpolation and visibility changes, with
//! frames near its keyframes, anywhere in 0..10,000 or at the edge of the frame range, and
//! values that may be huge, NaN or infinite. After every edit the sequence must still compile,
//! keep its keyframes sorted and unique with finite values and its visibility ranges disjoint;
//! a refused edit must leave it untouched, an accepted one must do what its documentation says
//! (keyframes are added, removed or moved only where asked, painted frames take the visibility
//! asked for and their neighbours keep theirs).
#![no_main]

use arbitrary::Arbitrary;
use fovea_core::edit::{BoxUpdate, SegmentSpec};
use fovea_core::interp::InterpOptions;
use fovea_core::model::{
    BezierControlPoint, BoundingBox, BoundingBoxSequence, ControlPoints, Frame, InterpolationType,
    MAX_FRAME, ParametricFunction, ParametricSet, ParametricType,
};
use libfuzzer_sys::fuzz_target;

/// A frame given relative to the sequence being edited.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum At {
    /// Near the n-th keyframe (modulo their number): up to two frames before or after it.
    Key(u8, i8),
    /// Anywhere in 0..10,000.
    Near(u16),
    /// At the edge of the frame range (`MAX_FRAME` and its neighbours, `u32::MAX`).
    Edge(u8),
}

impl At {
    fn frame(self, seq: &BoundingBoxSequence) -> Frame {
        match self {
            At::Key(i, offset) => {
                let frames = keyframes(seq);
                let base = frames.get(usize::from(i) % frames.len().max(1));
                base.map_or(0, |&f| f.saturating_add_signed(i32::from(offset % 3)))
            }
            At::Near(f) => Frame::from(f % 10_000),
            At::Edge(i) => {
                [MAX_FRAME - 1, MAX_FRAME, MAX_FRAME + 1, Frame::MAX][usize::from(i % 4)]
            }
        }
    }
}

/// A number: small, fine-grained, special or any `f64` at all.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Int(i16),
    Fine(i32),
    Special(u8),
    Any(f64),
}

impl Num {
    fn value(self) -> f64 {
        match self {
            Num::Int(v) => f64::from(v),
            Num::Fine(v) => f64::from(v) / 1024.0,
            Num::Special(i) => [
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                f64::MAX,
                f64::MIN,
                f64::MIN_POSITIVE,
                1e300,
                -1e300,
            ][usize::from(i % 9)],
            Num::Any(v) => v,
        }
    }
}

fn values(v: [Num; 4]) -> [f64; 4] {
    v.map(Num::value)
}

/// One edit.
#[derive(Arbitrary, Debug)]
enum Op {
    Add {
        at: At,
        values: Option<[Num; 4]>,
    },
    Remove {
        at: At,
    },
    Update {
        at: At,
        values: [Option<Num>; 4],
        confidence: Option<Num>,
    },
    Move {
        from: At,
        to: At,
    },
    SetInterpolation {
        at: At,
        kind: u8,
        bezier: Option<[(Num, Num); 2]>,
        parametric: Option<(u8, Num, Num)>,
    },
    SetVisibility {
        start: At,
        end: At,
        visible: bool,
    },
    Toggle {
        at: At,
    },
}

/// The starting keyframes: frames below 10,000 and small values.
#[derive(Arbitrary, Debug)]
struct Input {
    first: (u16, [i16; 4]),
    more: [Option<(u16, [i16; 4])>; 2],
    ops: Vec<Op>,
}

/// The keyframe frames of `seq` in stored order.
fn keyframes(seq: &BoundingBoxSequence) -> Vec<Frame> {
    seq.keyframe_indices(Default::default())
        .map(|i| seq.boxes[i].frame_number)
        .collect()
}

fn segment_spec(
    kind: u8,
    bezier: Option<[(Num, Num); 2]>,
    parametric: Option<(u8, Num, Num)>,
) -> SegmentSpec {
    let kind = match InterpolationType::NAMES.get(usize::from(kind % 8)) {
        Some(name) => InterpolationType::parse(name),
        None => InterpolationType::Other("spline".into()),
    };
    let control_points = bezier.map(|points| {
        let curve = points
            .map(|(x, y)| BezierControlPoint {
                x: x.value(),
                y: y.value(),
                extra: Default::default(),
            })
            .to_vec();
        ControlPoints {
            x: Some(curve.clone()),
            height: Some(curve),
            ..Default::default()
        }
    });
    let parametric = parametric.map(|(kind, a, b)| {
        let (kind, names) = match kind % 4 {
            0 => (ParametricType::Quadratic, ["a", "a"]),
            1 => (ParametricType::Sinusoidal, ["frequency", "amplitude"]),
            2 => (ParametricType::Custom, ["a", "a"]),
            _ => (ParametricType::Linear, ["a", "a"]),
        };
        let function = ParametricFunction {
            kind,
            parameters: names
                .into_iter()
                .zip([a.value(), b.value()])
                .map(|(n, v)| (n.to_owned(), v))
                .collect(),
            expression: None,
            extra: Default::default(),
        };
        ParametricSet {
            y: Some(function),
            ..Default::default()
        }
    });
    SegmentSpec {
        kind,
        control_points,
        parametric,
    }
}

/// What every sequence must be, edited or not.
fn check(seq: &BoundingBoxSequence, opts: &InterpOptions) {
    let frames = keyframes(seq);
    assert!(!frames.is_empty(), "the end keyframes cannot be removed");
    assert!(
        frames.windows(2).all(|w| w[0] < w[1]),
        "keyframes sorted and unique: {frames:?}"
    );
    for b in &seq.boxes {
        assert!(
            b.values()
                .iter()
                .chain(&b.confidence)
                .all(|v| v.is_finite()),
            "a box with a value that is not finite: {b:?}"
        );
    }
    assert!(
        seq.visibility_ranges
            .iter()
            .all(|r| r.start_frame <= r.end_frame)
            && seq
                .visibility_ranges
                .windows(2)
                .all(|w| w[0].end_frame < w[1].start_frame),
        "visibility ranges sorted and disjoint: {:?}",
        seq.visibility_ranges
    );
    seq.compile(opts).expect("an edited sequence compiles");
}

fn visible(seq: &BoundingBoxSequence, frame: Frame) -> bool {
    seq.compile(&InterpOptions::default())
        .expect("checked")
        .is_visible(frame)
}

/// Whether two sequences are the same, NaN parameters of their segments included (NaN is not
/// equal to itself, but the library accepts it where FOVEA falls back on a default for it).
fn same(a: &BoundingBoxSequence, b: &BoundingBoxSequence) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

fn sorted(mut frames: Vec<Frame>) -> Vec<Frame> {
    frames.sort_unstable();
    frames
}

fuzz_target!(|input: Input| {
    let opts = InterpOptions::default();
    let mut seq = BoundingBoxSequence::default();
    for (frame, v) in std::iter::once(input.first).chain(input.more.into_iter().flatten()) {
        let frame = Frame::from(frame % 10_000);
        if !seq.boxes.iter().any(|b| b.frame_number == frame) {
            seq.boxes
                .push(BoundingBox::keyframe(frame, v.map(f64::from)));
        }
    }
    seq.boxes.sort_by_key(|b| b.frame_number);
    check(&seq, &opts);

    for op in input.ops.into_iter().take(64) {
        let before = seq.clone();
        let frames = keyframes(&seq);
        // The keyframe frames an accepted edit must leave, and the boxes if it may not touch them.
        let (outcome, expected, boxes_kept) = match op {
            Op::Add { at, values: v } => {
                let frame = at.frame(&seq);
                let given = v.map(values);
                let outcome = seq.add_keyframe(frame, given, &opts);
                if outcome.is_ok() {
                    assert!(visible(&seq, frame), "an added keyframe is visible");
                    if let Some(given) = given {
                        let b = seq.boxes.iter().find(|b| b.frame_number == frame);
                        assert_eq!(b.map(BoundingBox::values), Some(given));
                    }
                }
                let mut expected = frames;
                expected.push(frame);
                (outcome, expected, false)
            }
            Op::Remove { at } => {
                let frame = at.frame(&seq);
                let outcome = seq.remove_keyframe(frame, &opts);
                if let Ok(removed) = &outcome {
                    assert_eq!(removed.frame_number, frame);
                }
                let expected = frames.iter().copied().filter(|&f| f != frame).collect();
                (outcome.map(drop), expected, false)
            }
            Op::Update {
                at,
                values: [x, y, width, height],
                confidence,
            } => {
                let frame = at.frame(&seq);
                let update = BoxUpdate {
                    x: x.map(Num::value),
                    y: y.map(Num::value),
                    width: width.map(Num::value),
                    height: height.map(Num::value),
                    confidence: confidence.map(Num::value),
                    ..Default::default()
                };
                let outcome = seq.update_keyframe(frame, &update, &opts);
                if outcome.is_ok() {
                    let b = seq
                        .boxes
                        .iter()
                        .find(|b| b.frame_number == frame)
                        .expect("updated");
                    let asked = [update.x, update.y, update.width, update.height];
                    for (got, want) in b.values().into_iter().zip(asked) {
                        assert!(want.is_none_or(|w| w == got), "{b:?} after {update:?}");
                    }
                }
                (outcome, frames, false)
            }
            Op::Move { from, to } => {
                let (from, to) = (from.frame(&seq), to.frame(&seq));
                let outcome = seq.move_keyframe(from, to, &opts);
                // A move onto itself changes nothing, not even the visibility of a hidden keyframe.
                if outcome.is_ok() && from != to {
                    assert!(visible(&seq, to), "a moved keyframe is visible");
                }
                let mut expected: Vec<Frame> =
                    frames.iter().copied().filter(|&f| f != from).collect();
                expected.push(to);
                (outcome, expected, false)
            }
            Op::SetInterpolation {
                at,
                kind,
                bezier,
                parametric,
            } => {
                let spec = segment_spec(kind, bezier, parametric);
                let outcome = seq.set_interpolation(at.frame(&seq), spec, &opts);
                (outcome, frames, true)
            }
            Op::SetVisibility {
                start,
                end,
                visible: to,
            } => {
                let (start, end) = (start.frame(&seq), end.frame(&seq));
                let outcome = seq.set_visibility(start, end, to);
                if outcome.is_ok() {
                    for f in [start, end] {
                        assert_eq!(visible(&seq, f), to, "frame {f} painted {to}");
                    }
                    let outside = [start.checked_sub(1), end.checked_add(1)];
                    for f in outside.into_iter().flatten() {
                        assert_eq!(
                            visible(&seq, f),
                            visible(&before, f),
                            "frame {f} left alone"
                        );
                    }
                }
                (outcome, frames, true)
            }
            Op::Toggle { at } => {
                let frame = at.frame(&seq);
                let outcome = seq.toggle_visibility(frame);
                if let Ok(now) = outcome {
                    assert_eq!(now, !visible(&before, frame));
                    assert_eq!(visible(&seq, frame), now);
                }
                (outcome.map(drop), frames, true)
            }
        };
        match outcome {
            Err(_) => assert!(same(&seq, &before), "a refused edit changed the sequence"),
            Ok(()) => {
                assert_eq!(
                    sorted(keyframes(&seq)),
                    sorted(expected),
                    "keyframes after an edit"
                );
                if boxes_kept {
                    assert!(seq.boxes == before.boxes, "the edit changed the boxes");
                }
            }
        }
        check(&seq, &opts);
    }
});

//! Every error code of `fovea-core` is reachable from bad input, and each error names what
//! and where.

use fovea_core::edit::{BoxUpdate, SegmentSpec, box_values_from_value};
use fovea_core::interp::{InterpOptions, Profile};
use fovea_core::jsonl::{ReadOptions, Reader};
use fovea_core::model::{BoundingBoxSequence, InterpolationType, SequenceInput, parse_frame};
use fovea_core::{Error, Result};
use std::collections::BTreeSet;

fn two_keys() -> BoundingBoxSequence {
    BoundingBoxSequence::from_json(
        r#"{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":0},
                     {"x":9,"y":0,"width":1,"height":1,"frameNumber":9}]}"#,
    )
    .unwrap()
}

fn custom_parametric() -> BoundingBoxSequence {
    let mut seq = two_keys();
    seq.set_interpolation(
        0,
        SegmentSpec {
            kind: InterpolationType::Parametric,
            parametric: Some(
                fovea_core::model::parametric_from_value(serde_json::json!({
                    "x": {"type": "custom", "parameters": {}, "expression": "t"}
                }))
                .unwrap(),
            ),
            ..Default::default()
        },
        &InterpOptions::with_profile(Profile::Fovea),
    )
    .unwrap();
    seq
}

fn first_record(bytes: &[u8]) -> Result<()> {
    Reader::new(bytes).next().unwrap().map(drop)
}

/// A reader whose every read fails.
struct Failing;

impl std::io::Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk on fire"))
    }
}

#[test]
fn every_code_is_reachable_with_a_located_message() {
    let opts = InterpOptions::default();
    let cases: Vec<(&str, Result<()>)> = vec![
        ("invalid json", SequenceInput::from_json("{").map(drop)),
        (
            "wrong type",
            SequenceInput::from_json(r#"{"boxes":3}"#).map(drop),
        ),
        (
            "missing field",
            SequenceInput::from_json(r#"{"visibilityRanges":[]}"#).map(drop),
        ),
        ("fractional frame", parse_frame(0.5, "frame").map(drop)),
        ("negative frame", parse_frame(-2.0, "frame").map(drop)),
        ("huge frame", parse_frame(1e10, "frame").map(drop)),
        (
            "NaN value",
            two_keys().add_keyframe(4, Some([f64::NAN, 0.0, 1.0, 1.0]), &opts),
        ),
        ("not a sequence", SequenceInput::from_json("[]").map(drop)),
        ("unknown profile", Profile::parse("strict").map(drop)),
        (
            "custom parametric",
            custom_parametric().compile(&opts).map(drop),
        ),
        (
            "unknown interpolation",
            two_keys().set_interpolation(
                1,
                SegmentSpec {
                    kind: InterpolationType::parse("step"),
                    ..Default::default()
                },
                &opts,
            ),
        ),
        (
            "control point time outside [0, 1]",
            fovea_core::model::control_points_from_value(
                serde_json::json!({"y": [{"x": -0.1, "y": 0}, {"x": 1, "y": 1}]}),
            )
            .and_then(|cps| {
                two_keys().set_interpolation(
                    1,
                    SegmentSpec {
                        kind: InterpolationType::Bezier,
                        control_points: Some(cps),
                        ..Default::default()
                    },
                    &opts,
                )
            }),
        ),
        ("inverted range", two_keys().set_visibility(5, 4, false)),
        (
            "short buffer",
            two_keys()
                .compile(&opts)
                .and_then(|c| c.write_into(&mut [0u32; 3], &mut [[0.0; 4]; 3]).map(drop)),
        ),
        ("add on a keyframe", two_keys().add_keyframe(9, None, &opts)),
        (
            "remove a non-keyframe",
            two_keys().remove_keyframe(4, &opts).map(drop),
        ),
        (
            "remove the first keyframe",
            two_keys().remove_keyframe(0, &opts).map(drop),
        ),
        (
            "add to nothing",
            BoundingBoxSequence::default().add_keyframe(1, None, &opts),
        ),
        (
            "interpolation past the span",
            two_keys().set_interpolation(12, SegmentSpec::default(), &opts),
        ),
        (
            "envelope without data",
            first_record(b"{\"type\":\"entity\"}\n"),
        ),
        ("line over the limit", {
            let opts = ReadOptions {
                max_line_bytes: 8,
                ..Default::default()
            };
            Reader::with_options(&b"{\"type\":\"x\",\"data\":{}}"[..], opts)
                .next()
                .unwrap()
                .map(drop)
        }),
        (
            "bytes that are not UTF-8",
            first_record(b"{\"type\":\"\xfe\",\"data\":{}}"),
        ),
        (
            "an eager evaluation past the limit",
            two_keys()
                .compile(&opts)
                .and_then(|c| c.check_eager_limit(5)),
        ),
        (
            "a tracking request past a limit",
            fovea_core::limits::TrackingLimits::default().check_request(
                "videoWidth",
                100_000,
                100_000,
                1,
            ),
        ),
        ("a failing reader", {
            Reader::new(std::io::BufReader::new(Failing))
                .next()
                .unwrap()
                .map(drop)
        }),
    ];
    // Raised by the stores built on the core (fovea-db), whose own suite reaches it.
    let mut seen = BTreeSet::from(["database"]);
    for (what, result) in cases {
        let err = result.expect_err(what);
        assert!(!err.to_string().is_empty());
        seen.insert(err.code());
    }
    let all: BTreeSet<&str> = Error::CODES.iter().copied().collect();
    assert!(fovea_core::Refusal::CODES.iter().all(|c| all.contains(c)));
    assert_eq!(seen, all, "every code is exercised exactly by this table");
}

#[test]
fn non_finite_values_name_the_field() {
    let opts = InterpOptions::default();
    let mut seq = two_keys();
    let update = BoxUpdate {
        width: Some(f64::INFINITY),
        ..Default::default()
    };
    let err = seq.update_keyframe(0, &update, &opts).unwrap_err();
    assert_eq!(err.code(), "non-finite-number");
    assert_eq!(err.path(), Some("width"));
    assert!(
        err.to_string().ends_with("got Infinity"),
        "JavaScript's spelling: {err}"
    );
    let err = fovea_core::model::control_points_from_value(
        serde_json::json!({"x": [{"x": "a", "y": 0}]}),
    )
    .unwrap_err();
    assert_eq!(err.path(), Some("controlPoints.x[0].x"));
    let err = box_values_from_value(serde_json::json!({"x": 1, "y": 2, "width": 3})).unwrap_err();
    assert_eq!(err.code(), "missing-field");
    assert!(err.to_string().contains("height"), "{err}");
}

/// Found by the `edits` fuzz target: between finite keyframes a curve can overflow, and a
/// keyframe added without values must not take the infinite box.
#[test]
fn an_overflowing_interpolated_box_is_not_made_a_keyframe() {
    let opts = InterpOptions::default();
    let mut seq = two_keys();
    let update = BoxUpdate {
        x: Some(f64::MAX),
        ..Default::default()
    };
    seq.update_keyframe(0, &update, &opts).unwrap();
    let update = BoxUpdate {
        x: Some(-f64::MAX),
        ..Default::default()
    };
    seq.update_keyframe(9, &update, &opts).unwrap();
    let before = seq.clone();
    let err = seq.add_keyframe(4, None, &opts).unwrap_err();
    assert_eq!(err.code(), "non-finite-number");
    assert_eq!(err.path(), Some("x interpolated at frame 4"));
    assert_eq!(seq, before, "a refused edit changes nothing");
    seq.add_keyframe(4, Some([0.0, 0.0, 1.0, 1.0]), &opts)
        .unwrap();
}

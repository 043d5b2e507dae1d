//! Runs the shared fixtures in `testdata/interp/` (also run by the Python and Node suites):
//! interpolation and keyframe-edit cases checked against what FOVEA's code returns, FOVEA's
//! golden container-ship interpolation, fovea's own edit behaviour and bad-input errors.

use fovea_core::edit::{BoxUpdate, SegmentSpec};
use fovea_core::interp::{InterpOptions, Profile};
use fovea_core::model::{
    BoundingBoxSequence, InterpolationType, SequenceInput, control_points_from_value,
    parametric_from_value,
};
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/interp")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// `expected` is a subset of `actual`: objects by key, arrays element-wise with equal length,
/// numbers within 1e-9.
fn assert_subset(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k}: missing in {actual}"));
                assert_subset(av, ev, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{at}: length of {actual}");
            for (i, (av, ev)) in a.iter().zip(e).enumerate() {
                assert_subset(av, ev, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!((a - e).abs() <= 1e-9 * e.abs().max(1.0), "{at}: {a} != {e}");
        }
        _ => assert_eq!(actual, expected, "{at}"),
    }
}

fn options(case: &Value) -> InterpOptions {
    let profile = case["profile"].as_str().unwrap_or("default");
    InterpOptions::with_profile(Profile::parse(profile).unwrap())
}

fn check_at(seq: &BoundingBoxSequence, opts: &InterpOptions, checks: &Value, name: &str) {
    let compiled = seq.compile(opts).unwrap();
    for check in checks.as_array().into_iter().flatten() {
        let frame = check["frame"].as_u64().unwrap() as u32;
        let got = compiled
            .box_at(frame)
            .map(|b| serde_json::to_value(b).unwrap())
            .unwrap_or(Value::Null);
        assert_subset(&got, &check["box"], &format!("{name}: at({frame})"));
        // values_at agrees with box_at.
        let values = compiled.values_at(frame);
        assert_eq!(
            values.is_some(),
            !got.is_null(),
            "{name}: values_at({frame})"
        );
    }
}

#[test]
fn eval_vectors() {
    let cases = fixture("eval.json");
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let opts = options(case);
        let seq = BoundingBoxSequence::from_value(case["sequence"].clone()).unwrap();
        let compiled = seq.compile(&opts).unwrap();
        let boxes = compiled.boxes();
        let out: Vec<Value> = boxes
            .iter()
            .map(|b| serde_json::to_value(b).unwrap())
            .collect();
        assert!(
            boxes
                .windows(2)
                .all(|w| w[0].frame_number <= w[1].frame_number),
            "{name}: ascending"
        );
        assert_eq!(compiled.len(), boxes.len(), "{name}: len");
        if let Some(n) = case["count"].as_u64() {
            assert_eq!(boxes.len() as u64, n, "{name}: count");
        }
        for (key, pos) in [("first", 0usize), ("last", boxes.len().saturating_sub(1))] {
            if let Some(f) = case[key].as_u64() {
                assert_eq!(u64::from(boxes[pos].frame_number), f, "{name}: {key}");
            }
        }
        for expected in case["frames"].as_array().into_iter().flatten() {
            let f = expected["frameNumber"].as_u64().unwrap();
            let got = out
                .iter()
                .find(|b| b["frameNumber"].as_u64() == Some(f))
                .unwrap_or_else(|| panic!("{name}: frame {f} missing"));
            assert_subset(got, expected, &format!("{name}: frame {f}"));
        }
        for f in case["absent"].as_array().into_iter().flatten() {
            let f = f.as_u64().unwrap() as u32;
            assert!(
                boxes.iter().all(|b| b.frame_number != f),
                "{name}: {f} present"
            );
        }
        if let Some(idx) = case["keyframeIndexes"].as_array() {
            for i in idx {
                assert_eq!(
                    boxes[i.as_u64().unwrap() as usize].is_keyframe,
                    Some(true),
                    "{name}"
                );
            }
        }
        // The columnar output carries the same frames and values.
        let dense = compiled.to_dense();
        assert_eq!(dense.frames.len(), boxes.len());
        for ((f, v), b) in dense.frames.iter().zip(&dense.boxes).zip(&boxes) {
            assert_eq!(*f, b.frame_number, "{name}");
            assert_eq!(*v, b.values(), "{name}");
        }
        check_at(&seq, &opts, &case["at"], name);
    }
}

#[test]
fn fovea_golden_container_ship() {
    let golden = fixture("container-ship.json");
    let text = golden["input"].to_string();
    let input = SequenceInput::from_json(&text).unwrap();
    let boxes = input
        .sequence
        .compile(&InterpOptions::default())
        .unwrap()
        .boxes();
    assert_eq!(boxes.len() as u64, golden["count"].as_u64().unwrap());
    for expected in golden["frames"].as_array().unwrap() {
        let f = expected["frameNumber"].as_u64().unwrap() as usize;
        assert_eq!(boxes[f].frame_number as usize, f);
        assert_subset(
            &serde_json::to_value(&boxes[f]).unwrap(),
            expected,
            &format!("frame {f}"),
        );
        // Exactly FOVEA's shape: no field more, no field less.
        assert_eq!(
            serde_json::to_value(&boxes[f])
                .unwrap()
                .as_object()
                .unwrap()
                .len(),
            expected.as_object().unwrap().len(),
            "frame {f}"
        );
    }
}

fn apply(
    seq: &mut BoundingBoxSequence,
    op: &Value,
    opts: &InterpOptions,
) -> fovea_core::Result<()> {
    let frame = |k: &str| op[k].as_u64().unwrap() as u32;
    match op["op"].as_str().unwrap() {
        "add" => {
            let values = op["values"].as_array().map(|v| {
                let v: Vec<f64> = v.iter().map(|x| x.as_f64().unwrap()).collect();
                [v[0], v[1], v[2], v[3]]
            });
            seq.add_keyframe(frame("frame"), values, opts)
        }
        "remove" => seq.remove_keyframe(frame("frame"), opts).map(drop),
        "update" => {
            let update = BoxUpdate::from_value(op["changes"].clone())?;
            seq.update_keyframe(frame("frame"), &update, opts)
        }
        "move" => seq.move_keyframe(frame("from"), frame("to"), opts),
        "setInterpolation" => {
            let spec = SegmentSpec {
                kind: InterpolationType::parse(op["type"].as_str().unwrap()),
                control_points: match &op["controlPoints"] {
                    Value::Null => None,
                    v => Some(control_points_from_value(v.clone())?),
                },
                parametric: match &op["parametric"] {
                    Value::Null => None,
                    v => Some(parametric_from_value(v.clone())?),
                },
            };
            seq.set_interpolation(frame("frame"), spec, opts)
        }
        "setVisibility" => seq.set_visibility(
            frame("start"),
            frame("end"),
            op["visible"].as_bool().unwrap(),
        ),
        "toggle" => seq.toggle_visibility(frame("frame")).map(drop),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn edit_vectors() {
    let cases = fixture("edit.json");
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let opts = options(case);
        let mut seq = BoundingBoxSequence::from_value(case["sequence"].clone()).unwrap();
        let before = seq.clone();
        let mut result = Ok(());
        for op in case["ops"].as_array().unwrap() {
            result = apply(&mut seq, op, &opts);
            if result.is_err() {
                break;
            }
        }
        match (&case["error"], result) {
            (Value::String(code), Err(e)) => {
                assert_eq!(e.code(), code, "{name}: {e}");
                assert_eq!(seq, before, "{name}: a refused edit changes nothing");
            }
            (Value::String(code), Ok(())) => panic!("{name}: expected {code}"),
            (_, Err(e)) => panic!("{name}: {e}"),
            (_, Ok(())) => {
                let written = serde_json::to_value(&seq).unwrap();
                assert_subset(&written, &case["expect"], name);
                check_at(&seq, &opts, &case["at"], name);
            }
        }
    }
}

#[test]
fn error_vectors() {
    let cases = fixture("errors.json");
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let err = SequenceInput::from_json(case["input"].as_str().unwrap()).unwrap_err();
        assert_eq!(err.code(), case["code"].as_str().unwrap(), "{name}: {err}");
        if let Some(path) = case["path"].as_str() {
            assert_eq!(err.path(), Some(path), "{name}: {err}");
            assert!(
                err.to_string().contains(path),
                "{name}: message names the field: {err}"
            );
        }
    }
}

#[test]
fn custom_parametric_is_refused_by_default() {
    let seq = BoundingBoxSequence::from_json(
        r#"{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":0},
                     {"x":9,"y":0,"width":1,"height":1,"frameNumber":9}],
            "interpolationSegments":[{"startFrame":0,"endFrame":9,"type":"parametric",
               "parametric":{"width":{"type":"custom","parameters":{},"expression":"t^2"}}}]}"#,
    )
    .unwrap();
    let err = seq.compile(&InterpOptions::default()).unwrap_err();
    assert_eq!(err.code(), "unsupported-parametric");
    assert_eq!(
        err.path(),
        Some("interpolationSegments[0].parametric.width")
    );
    assert!(
        seq.compile(&InterpOptions::with_profile(Profile::Fovea))
            .is_ok()
    );
}

#[test]
fn unknown_fields_round_trip() {
    let text = r#"{"boxes":[{"x":1.5,"y":2,"width":3,"height":4,"frameNumber":0,"isKeyframe":true,"confidence":0.5,"metadata":{"a":[1,{"b":null}]},"z":"keep"}],"interpolationSegments":[{"startFrame":0,"endFrame":4,"type":"bezier","controlPoints":{"x":[{"x":0.1,"y":0.2,"w":1},{"x":0.3,"y":0.4}],"extraCurve":true},"parametric":{"y":{"type":"quadratic","parameters":{"a":2},"expression":"e","more":1}},"segExtra":"s"}],"visibilityRanges":[{"startFrame":0,"endFrame":4,"visible":true,"why":"r"}],"trackId":"t-1","trackingSource":"sam2","trackingConfidence":0.9,"totalFrames":1,"keyframeCount":1,"interpolatedFrameCount":0,"seqExtra":{"deep":[1,2]}}"#;
    let seq = BoundingBoxSequence::from_json(text).unwrap();
    let written = fovea_core::json::to_string(&seq);
    assert_eq!(written, text);
    assert_eq!(BoundingBoxSequence::from_json(&written).unwrap(), seq);
}

#[test]
fn counters_are_recomputed_not_trusted() {
    let seq = BoundingBoxSequence::from_json(
        r#"{"boxes":[{"x":0,"y":0,"width":1,"height":1,"frameNumber":0},
                     {"x":9,"y":0,"width":1,"height":1,"frameNumber":9}],
            "visibilityRanges":[{"startFrame":3,"endFrame":4,"visible":false}],
            "totalFrames":999,"keyframeCount":-4,"interpolatedFrameCount":"lots"}"#,
    )
    .unwrap();
    let v = serde_json::to_value(&seq).unwrap();
    assert_eq!(v["totalFrames"], 8);
    assert_eq!(v["keyframeCount"], 2);
    assert_eq!(v["interpolatedFrameCount"], 6);
    // Keyframes are always written flagged.
    assert_eq!(v["boxes"][0]["isKeyframe"], true);
}

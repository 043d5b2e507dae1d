"""Runs the shared fixtures of testdata/interp/ with the checks of fovea-core/tests/fixtures.rs."""

import json

import numpy as np
import pytest

import fovea

from conftest import assert_subset, load_fixture

EVAL = load_fixture("eval.json")
EDIT = load_fixture("edit.json")
ERRORS = load_fixture("errors.json")
GOLDEN = load_fixture("container-ship.json")


def names(cases):
    return [c["name"] for c in cases]


def check_at(seq: fovea.Sequence, checks) -> None:
    for check in checks or []:
        frame = check["frame"]
        got = seq.at(frame)
        assert_subset(got, check["box"], f"at({frame})")
        # The module function agrees with the method.
        assert fovea.box_at(seq, frame) == got


def test_fixture_files_are_not_empty():
    assert len(EVAL) > 10 and len(EDIT) > 10 and len(ERRORS) > 5


@pytest.mark.parametrize("case", EVAL, ids=names(EVAL))
def test_eval(case):
    profile = case.get("profile", "default")
    seq = fovea.Sequence(case["sequence"], profile=profile)
    boxes = seq.interpolate()
    # The module function on the plain dict and on JSON text gives the same boxes.
    assert fovea.interpolate(case["sequence"], profile=profile) == boxes
    assert fovea.interpolate(json.dumps(case["sequence"]), profile=profile) == boxes

    frames = [b["frameNumber"] for b in boxes]
    assert frames == sorted(frames), "ascending"
    assert seq.frame_count == len(boxes)
    if "count" in case:
        assert len(boxes) == case["count"]
    if "first" in case:
        assert boxes[0]["frameNumber"] == case["first"]
    if "last" in case:
        assert boxes[-1]["frameNumber"] == case["last"]
    for expected in case.get("frames", []):
        f = expected["frameNumber"]
        got = next((b for b in boxes if b["frameNumber"] == f), None)
        assert got is not None, f"frame {f} missing"
        assert_subset(got, expected, f"frame {f}")
    for f in case.get("absent", []):
        assert f not in frames, f"{f} present"
    for i in case.get("keyframeIndexes", []):
        assert boxes[i]["isKeyframe"] is True

    # The columnar output carries the same frames and values.
    nf, nb = seq.to_numpy()
    assert nf.tolist() == frames
    assert nb.tolist() == [[b["x"], b["y"], b["width"], b["height"]] for b in boxes]

    check_at(seq, case.get("at"))


def apply(seq: fovea.Sequence, op: dict) -> None:
    kind = op["op"]
    if kind == "add":
        seq.add_keyframe(op["frame"], op.get("values"))
    elif kind == "remove":
        removed = seq.remove_keyframe(op["frame"])
        assert removed["frameNumber"] == op["frame"]
    elif kind == "update":
        seq.update_keyframe(op["frame"], op["changes"])
    elif kind == "move":
        seq.move_keyframe(op["from"], op["to"])
    elif kind == "setInterpolation":
        seq.set_interpolation(
            op["frame"],
            op["type"],
            control_points=op.get("controlPoints"),
            parametric=op.get("parametric"),
        )
    elif kind == "setVisibility":
        seq.set_visibility(op["start"], op["end"], op["visible"])
    elif kind == "toggle":
        assert isinstance(seq.toggle_visibility(op["frame"]), bool)
    else:
        raise AssertionError(f"unknown op {kind}")


@pytest.mark.parametrize("case", EDIT, ids=names(EDIT))
def test_edit(case):
    seq = fovea.Sequence(case["sequence"], profile=case.get("profile", "default"))
    before = seq.copy()
    before_dict = seq.to_dict()
    error = None
    for op in case["ops"]:
        try:
            apply(seq, op)
        except fovea.FoveaError as e:
            error = e
            break
    if "error" in case:
        assert error is not None, f"expected {case['error']}"
        assert error.code == case["error"], str(error)
        assert seq == before, "a refused edit changes nothing"
        assert seq.to_dict() == before_dict
    else:
        assert error is None, f"{type(error).__name__}: {error}"
        assert_subset(seq.to_dict(), case["expect"])
        check_at(seq, case.get("at"))


@pytest.mark.parametrize("case", ERRORS, ids=names(ERRORS))
def test_error_text(case):
    with pytest.raises(fovea.FoveaError) as info:
        fovea.Sequence.from_json(case["input"])
    err = info.value
    assert err.code == case["code"], str(err)
    assert type(err) is getattr(fovea, _class_name(case["code"]))
    if "path" in case:
        assert err.path == case["path"], str(err)
        assert case["path"] in str(err), "the message names the field"


@pytest.mark.parametrize(
    "case",
    [c for c in ERRORS if c["code"] != "invalid-json"],
    ids=names([c for c in ERRORS if c["code"] != "invalid-json"]),
)
def test_error_dict(case):
    """The same input as a Python dict gives the same error through the converter."""
    with pytest.raises(fovea.FoveaError) as info:
        fovea.Sequence.from_dict(json.loads(case["input"]))
    assert info.value.code == case["code"], str(info.value)
    if "path" in case:
        assert info.value.path == case["path"], str(info.value)


def _class_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("-")) + "Error"


@pytest.mark.parametrize("as_text", [False, True], ids=["dict", "json"])
def test_fovea_golden_container_ship(as_text):
    data = json.dumps(GOLDEN["input"]) if as_text else GOLDEN["input"]
    boxes = fovea.interpolate(data)
    assert len(boxes) == GOLDEN["count"]
    for expected in GOLDEN["frames"]:
        f = expected["frameNumber"]
        assert boxes[f]["frameNumber"] == f
        assert_subset(boxes[f], expected, f"frame {f}")
        # Exactly FOVEA's shape: no field more, no field less.
        assert len(boxes[f]) == len(expected), f"frame {f}: {sorted(boxes[f])}"
        # Single-frame evaluation agrees with the eager one.
        assert fovea.box_at(data, f) == boxes[f]


def test_golden_columnar_matches_boxes():
    seq = fovea.Sequence(GOLDEN["input"])
    frames, values = seq.to_numpy()
    assert frames.shape == (GOLDEN["count"],)
    for expected in GOLDEN["frames"]:
        f = expected["frameNumber"]
        np.testing.assert_allclose(
            values[f],
            [expected["x"], expected["y"], expected["width"], expected["height"]],
            rtol=1e-9,
        )

"""The Sequence class and module functions: inputs, outputs, NumPy, equality, copies,
pickling, caching, the GIL and optional NumPy."""

import copy
import json
import pickle
import subprocess
import sys

import pytest

import fovea

from conftest import overlaps as _overlaps

ROUND_TRIP = (
    '{"boxes":[{"x":1.5,"y":2,"width":3,"height":4,"frameNumber":0,"isKeyframe":true,"confidence":0.5,'
    '"metadata":{"a":[1,{"b":null}]},"z":"keep"}],"interpolationSegments":[{"startFrame":0,"endFrame":4,'
    '"type":"bezier","controlPoints":{"x":[{"x":0.1,"y":0.2,"w":1},{"x":0.3,"y":0.4}],"extraCurve":true},'
    '"parametric":{"y":{"type":"quadratic","parameters":{"a":2},"expression":"e","more":1}},"segExtra":"s"}],'
    '"visibilityRanges":[{"startFrame":0,"endFrame":4,"visible":true,"why":"r"}],"trackId":"t-1",'
    '"trackingSource":"sam2","trackingConfidence":0.9,"totalFrames":1,"keyframeCount":1,'
    '"interpolatedFrameCount":0,"seqExtra":{"deep":[1,2]}}'
)


def linear(n_frames: int) -> fovea.Sequence:
    return fovea.Sequence(
        {
            "boxes": [
                {"x": 0, "y": 0, "width": 10, "height": 10, "frameNumber": 0},
                {
                    "x": n_frames - 1,
                    "y": 2 * (n_frames - 1),
                    "width": 20,
                    "height": 30,
                    "frameNumber": n_frames - 1,
                },
            ]
        }
    )


# --- inputs ---------------------------------------------------------------------------------


def test_inputs_of_every_kind_agree(two_keys):
    annotation = {"id": "a1", "videoId": "v", "boundingBoxSequence": two_keys}
    line = {"type": "annotation", "data": annotation}
    expected = fovea.interpolate(two_keys)
    assert len(expected) == 11
    for data in (two_keys, annotation, line):
        assert fovea.interpolate(data) == expected
        assert fovea.interpolate(json.dumps(data)) == expected
        assert fovea.Sequence(data).interpolate() == expected
        assert fovea.Sequence.from_dict(data).interpolate() == expected
        assert fovea.Sequence.from_json(json.dumps(data)).interpolate() == expected
    assert fovea.interpolate(fovea.Sequence(two_keys)) == expected
    assert fovea.Sequence(fovea.Sequence(two_keys)) == fovea.Sequence(two_keys)


def test_box_shapes(two_keys):
    two_keys["boxes"][0].update({"confidence": 0.9, "metadata": {"who": "me"}, "extra": [1]})
    boxes = fovea.interpolate(two_keys)
    assert boxes[0] == {
        "x": 0.0,
        "y": 0.0,
        "width": 100.0,
        "height": 100.0,
        "frameNumber": 0,
        "isKeyframe": True,
        "confidence": 0.9,
        "metadata": {"who": "me"},
        "extra": [1],
    }
    assert boxes[5] == {
        "x": 50.0,
        "y": 50.0,
        "width": 150.0,
        "height": 150.0,
        "frameNumber": 5,
        "isKeyframe": False,
    }
    assert list(boxes[5]) == ["x", "y", "width", "height", "frameNumber", "isKeyframe"]
    # Dicts are what json.loads makes of fovea's JSON text: integral numbers are ints.
    assert type(boxes[5]["frameNumber"]) is int and type(boxes[5]["x"]) is int
    uneven = json.loads(json.dumps(two_keys))
    uneven["boxes"][1]["x"] = 99
    assert fovea.interpolate(uneven)[5]["x"] == 49.5
    assert boxes == json.loads(json.dumps(boxes))
    seq = fovea.Sequence(two_keys)
    assert seq.to_dict() == json.loads(seq.to_json())
    assert fovea.box_at(two_keys, 5) == boxes[5]
    assert fovea.box_at(two_keys, 11) is None
    assert fovea.box_at(json.dumps(two_keys), 0) == boxes[0]


def test_empty_sequence():
    seq = fovea.Sequence()
    assert seq.interpolate() == []
    assert seq.at(0) is None
    assert seq.span is None
    assert seq.frame_count == 0
    assert seq.keyframes == []
    assert seq.counters == {"totalFrames": 0, "keyframeCount": 0, "interpolatedFrameCount": 0}
    assert seq.to_dict()["boxes"] == []
    assert fovea.Sequence(None) == seq


def test_properties(two_keys):
    two_keys["visibilityRanges"] = [{"startFrame": 3, "endFrame": 4, "visible": False}]
    seq = fovea.Sequence(two_keys, profile="fovea")
    assert seq.profile == "fovea"
    assert seq.span == (0, 10)
    assert seq.frame_count == 9 == len(seq.interpolate())
    assert seq.counters == {"totalFrames": 9, "keyframeCount": 2, "interpolatedFrameCount": 7}
    assert [k["frameNumber"] for k in seq.keyframes] == [0, 10]
    assert all(k["isKeyframe"] is True for k in seq.keyframes)
    assert seq.at(3) is None and seq.at(5) is not None


def test_profiles_differ_on_custom_parametric():
    data = {
        "boxes": [
            {"x": 0, "y": 0, "width": 1, "height": 1, "frameNumber": 0},
            {"x": 9, "y": 0, "width": 10, "height": 1, "frameNumber": 9},
        ],
        "interpolationSegments": [
            {
                "startFrame": 0,
                "endFrame": 9,
                "type": "parametric",
                "parametric": {"width": {"type": "custom", "parameters": {}, "expression": "t^2"}},
            }
        ],
    }
    with pytest.raises(fovea.UnsupportedParametricError):
        fovea.interpolate(data)
    seq = fovea.Sequence(data)  # reading succeeds; evaluating does not
    with pytest.raises(fovea.UnsupportedParametricError):
        seq.interpolate()
    # Span and keyframes need no evaluation, so they work on a sequence the engine refuses.
    assert "span=(0, 9)" in repr(seq)
    assert seq.span == (0, 9) and len(seq.keyframes) == 2
    fovea_boxes = fovea.interpolate(data, profile="fovea")
    assert len(fovea_boxes) == 10
    # A Sequence's own profile is used unless one is given.
    assert fovea.interpolate(seq, profile="fovea") == fovea_boxes
    assert fovea.interpolate(fovea.Sequence(data, profile="fovea")) == fovea_boxes
    with pytest.raises(fovea.UnsupportedParametricError):
        fovea.interpolate(fovea.Sequence(data, profile="fovea"), profile="default")
    with pytest.raises(fovea.InvalidOptionError):
        fovea.interpolate(data, profile="FOVEA")


def test_unknown_fields_survive():
    seq = fovea.Sequence.from_json(ROUND_TRIP)
    assert seq.to_json() == ROUND_TRIP
    as_dict = json.loads(ROUND_TRIP)
    assert fovea.Sequence.from_dict(as_dict).to_dict() == as_dict
    assert fovea.Sequence.from_dict(as_dict).to_json() == ROUND_TRIP
    written = seq.to_dict()
    assert written["seqExtra"] == {"deep": [1, 2]}
    assert written["boxes"][0]["z"] == "keep"
    assert written["boxes"][0]["metadata"] == {"a": [1, {"b": None}]}
    assert written["interpolationSegments"][0]["controlPoints"]["x"][0]["w"] == 1
    assert type(written["seqExtra"]["deep"][0]) is int


def test_counters_are_recomputed():
    seq = fovea.Sequence.from_json(ROUND_TRIP)
    assert seq.counters == {"totalFrames": 1, "keyframeCount": 1, "interpolatedFrameCount": 0}
    seq.add_keyframe(4, [1, 1, 1, 1])
    d = seq.to_dict()
    assert (d["totalFrames"], d["keyframeCount"], d["interpolatedFrameCount"]) == (5, 2, 3)


# --- edits ----------------------------------------------------------------------------------


def test_edits_mutate_in_place_and_invalidate_the_cache(two_keys):
    seq = fovea.Sequence(two_keys)
    assert seq.at(5)["x"] == 50.0 and seq.frame_count == 11
    seq.update_keyframe(10, {"x": 200, "confidence": 0.5})
    assert seq.at(5)["x"] == 100.0
    assert seq.keyframes[1]["confidence"] == 0.5
    seq.add_keyframe(20)  # outside the span: copies the nearest keyframe
    assert seq.frame_count == 21 and seq.span == (0, 20)
    assert seq.at(20)["x"] == 200.0
    seq.add_keyframe(5, {"x": 7, "y": 8, "width": 9, "height": 10, "ignored": True})
    assert seq.at(5) == {
        "x": 7.0,
        "y": 8.0,
        "width": 9.0,
        "height": 10.0,
        "frameNumber": 5,
        "isKeyframe": True,
    }
    seq.add_keyframe(6, (1, 2, 3, 4))
    removed = seq.remove_keyframe(6)
    assert removed["frameNumber"] == 6 and removed["x"] == 1.0
    seq.move_keyframe(5, 4)
    assert seq.at(4)["isKeyframe"] is True and seq.at(5)["isKeyframe"] is False
    seq.set_interpolation(0, "hold")
    assert seq.at(3)["x"] == 0.0
    seq.set_interpolation(
        0, "bezier", control_points={"x": [{"x": 0.25, "y": 0.1}, {"x": 0.25, "y": 1.0}]}
    )
    assert seq.to_dict()["interpolationSegments"][0]["type"] == "bezier"
    seq.set_interpolation(
        4, "parametric", parametric={"x": {"type": "quadratic", "parameters": {"a": 1}}}
    )
    seq.set_visibility(12, 14, False)
    assert seq.at(13) is None and seq.frame_count == 18
    assert seq.toggle_visibility(13) is True
    assert seq.at(13) is not None
    assert seq.toggle_visibility(13) is False


def test_frames_may_be_integral_floats(two_keys):
    seq = fovea.Sequence(two_keys)
    seq.add_keyframe(4.0)
    assert seq.at(4)["isKeyframe"] is True


# --- numpy ----------------------------------------------------------------------------------


def test_to_numpy_matches_interpolate():
    np = pytest.importorskip("numpy")
    seq = linear(1000)
    seq.set_visibility(100, 199, False)
    seq.add_keyframe(500, [3, 4, 5, 6])
    seq.set_interpolation(500, "ease-in-out")
    frames, boxes = seq.to_numpy()
    expected = seq.interpolate()
    assert frames.dtype == np.int64 and boxes.dtype == np.float64
    assert frames.shape == (len(expected),) and boxes.shape == (len(expected), 4)
    assert frames.flags.c_contiguous and boxes.flags.c_contiguous
    assert frames.tolist() == [b["frameNumber"] for b in expected]
    assert np.array_equal(
        boxes, np.array([[b["x"], b["y"], b["width"], b["height"]] for b in expected])
    )
    # Arrays are independent of the sequence and of each other call.
    boxes[0, 0] = -1.0
    assert seq.to_numpy()[1][0, 0] == 0.0


def test_to_numpy_empty():
    np = pytest.importorskip("numpy")
    frames, boxes = fovea.Sequence().to_numpy()
    assert frames.shape == (0,) and boxes.shape == (0, 4)
    assert frames.dtype == np.int64 and boxes.dtype == np.float64


def test_to_numpy_wraps_the_rust_buffers_without_copy():
    pytest.importorskip("numpy")
    frames, boxes = linear(10).to_numpy()
    # from_vec: each array owns no data; a Rust container is its base. The (N, 4) array is a
    # reshaped view of the flat one.
    assert not frames.flags.owndata and frames.base is not None
    assert not boxes.flags.owndata and boxes.base is not None and boxes.base.shape == (40,)


def test_import_without_numpy():
    code = (
        "import sys\n"
        "sys.modules['numpy'] = None\n"
        "import fovea\n"
        "seq = fovea.Sequence({'boxes': [{'x': 0, 'y': 0, 'width': 1, 'height': 1, 'frameNumber': 0}]})\n"
        "assert len(seq.interpolate()) == 1\n"
        "try:\n"
        "    seq.to_numpy()\n"
        "except ImportError as e:\n"
        "    print('IMPORT-ERROR:', e)\n"
        "else:\n"
        "    print('NO ERROR')\n"
        "assert 'numpy' not in sys.modules or sys.modules['numpy'] is None\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "IMPORT-ERROR:" in out.stdout, out.stdout
    message = out.stdout.split("IMPORT-ERROR:", 1)[1]
    assert "numpy" in message and "pip install fovea[numpy]" in message


def test_to_numpy_releases_the_gil():
    pytest.importorskip("numpy")
    linear(10).to_numpy()  # first use loads numpy's C API (file reads release the GIL)
    seq = linear(4_000_000)
    assert seq.frame_count == 4_000_000  # compiled and cached
    # Control: work that holds the GIL is detected as not overlapping.
    assert not _overlaps(lambda: sum(range(20_000_000)))
    assert any(_overlaps(seq.to_numpy) for _ in range(3))


def test_interpolate_releases_the_gil_while_evaluating():
    seq = linear(300_000)
    assert seq.frame_count == 300_000
    assert any(_overlaps(seq.interpolate) for _ in range(3))


# --- value semantics ------------------------------------------------------------------------


def test_equality(two_keys):
    a = fovea.Sequence(two_keys)
    b = fovea.Sequence(json.dumps(two_keys))
    assert a == b and not (a != b)
    assert a != fovea.Sequence(two_keys, profile="fovea")
    b.update_keyframe(10, {"x": 101})
    assert a != b and not (a == b)
    assert a != two_keys and not (a == two_keys)
    assert a.__eq__(3) is NotImplemented
    # An absent isKeyframe is written as true: equal to an explicit true.
    implicit = json.loads(json.dumps(two_keys))
    for box in implicit["boxes"]:
        del box["isKeyframe"]
    assert fovea.Sequence(implicit) == a
    with pytest.raises(TypeError):
        hash(a)


def test_repr(two_keys):
    two_keys["interpolationSegments"] = [{"startFrame": 0, "endFrame": 10, "type": "hold"}]
    two_keys["visibilityRanges"] = [{"startFrame": 0, "endFrame": 10, "visible": True}]
    text = repr(fovea.Sequence(two_keys, profile="fovea"))
    assert (
        text
        == "Sequence(keyframes=2, span=(0, 10), frames=11, segments=1, ranges=1, profile='fovea')"
    )
    assert repr(fovea.Sequence()) == (
        "Sequence(keyframes=0, span=None, frames=0, segments=0, ranges=0, profile='default')"
    )


def test_copies_are_independent(two_keys):
    seq = fovea.Sequence(two_keys, profile="fovea")
    assert seq.at(5)["x"] == 50.0  # cache filled before copying
    for other in (seq.copy(), copy.copy(seq), copy.deepcopy(seq)):
        assert other == seq and other is not seq and other.profile == "fovea"
        other.update_keyframe(0, {"x": 20})
        assert other.at(5)["x"] == 60.0
        assert seq.at(5)["x"] == 50.0
        assert other != seq


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(protocol):
    seq = fovea.Sequence.from_json(ROUND_TRIP, profile="fovea")
    seq.set_visibility(2, 3, False)
    again = pickle.loads(pickle.dumps(seq, protocol=protocol))
    assert type(again) is fovea.Sequence
    assert again == seq
    assert again.profile == "fovea"
    assert again.to_json() == seq.to_json()
    assert again.interpolate() == seq.interpolate()
    again.toggle_visibility(2)
    assert again != seq


def test_setstate_checks_its_input():
    seq = fovea.Sequence()
    with pytest.raises(fovea.InvalidJsonError):
        seq.__setstate__(("{", "default"))
    with pytest.raises(fovea.InvalidOptionError):
        seq.__setstate__(('{"boxes": []}', "other"))
    assert seq == fovea.Sequence()


# --- stubs ----------------------------------------------------------------------------------


def test_stubs_match_the_extension():
    pytest.importorskip("mypy")
    out = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "fovea._fovea"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_docstring_examples():
    import doctest

    result = doctest.testmod(fovea, verbose=False)
    assert result.attempted >= 3
    assert result.failed == 0

"""The exception tree: one class per core error code, reachable codes raise their class with
the right `code` and `path`, refused edits change nothing, no panic reaches Python."""

import errno
import json
import math
import os
import random
import tempfile

import pytest

import fovea
from fovea import _fovea


def class_name(code: str) -> str:
    name = "".join(part.capitalize() for part in code.split("-")) + "Error"
    # A builtin's name is not shadowed: `timeout` is FoveaTimeoutError.
    return "Fovea" + name if name == "TimeoutError" else name


#: The bases each family gives a code's class.
FAMILY_BASES = {
    "input": ("FoveaError", "ValueError"),
    "type": ("FoveaError", "ValueError", "TypeError"),
    "refusal": ("EditRefusedError",),
    "io": ("FoveaError", "OSError"),
    "state": ("FoveaError",),
    "lookup": ("FoveaError", "LookupError"),
    "timeout": ("FoveaError", "TimeoutError"),
}


def seq2() -> fovea.Sequence:
    return fovea.Sequence(
        {
            "boxes": [
                {"x": 0, "y": 0, "width": 10, "height": 10, "frameNumber": 0},
                {"x": 10, "y": 0, "width": 10, "height": 10, "frameNumber": 10},
                {"x": 20, "y": 0, "width": 10, "height": 10, "frameNumber": 20},
            ]
        }
    )


CUSTOM = {
    "boxes": [
        {"x": 0, "y": 0, "width": 1, "height": 1, "frameNumber": 0},
        {"x": 9, "y": 0, "width": 1, "height": 1, "frameNumber": 9},
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


def test_every_code_has_a_class():
    assert len(fovea.ERROR_CODES) == len(set(fovea.ERROR_CODES)) >= 19
    assert set(fovea.ERROR_FAMILIES) == set(fovea.ERROR_CODES)
    for code in fovea.ERROR_CODES:
        cls = getattr(fovea, class_name(code))
        assert issubclass(cls, fovea.FoveaError)
        assert cls.code == code
        assert cls.__module__ == "fovea._fovea"
        assert cls.__name__ in fovea.__all__
        bases = tuple(b.__name__ for b in cls.__bases__)
        assert bases == FAMILY_BASES[fovea.ERROR_FAMILIES[code]], code
    assert set(fovea.REFUSAL_CODES) <= set(fovea.ERROR_CODES)
    assert set(fovea.JOB_ERROR_CODES) <= set(fovea.ERROR_CODES)
    assert len(fovea.REFUSAL_CODES) == 5
    assert issubclass(fovea.EditRefusedError, fovea.FoveaError)
    assert not issubclass(fovea.FoveaError, ValueError)
    assert issubclass(fovea.InvalidTypeError, TypeError)
    assert issubclass(fovea.JobNotFoundError, LookupError)
    assert issubclass(fovea.FoveaTimeoutError, TimeoutError)
    assert issubclass(fovea.UnrecoverableError, fovea.FoveaError)
    assert not issubclass(fovea.UnrecoverableError, ValueError)


def test_io_kinds_have_os_error_classes():
    kinds = [getattr(fovea, n) for n in fovea.__all__ if n.startswith("Io") and n != "IoError"]
    assert len(kinds) == 11
    for cls in kinds:
        assert cls.__bases__[0] is fovea.IoError and cls.code == "io"
        os_class = cls.__bases__[1]
        assert issubclass(os_class, OSError) and os_class.__name__ == cls.__name__[2:]


def test_the_stub_declares_every_exception_with_its_bases():
    """The stub is checked against the classes the registry built: same names, same bases."""
    stub = open(os.path.join(os.path.dirname(fovea.__file__), "_fovea.pyi")).read()
    for name in fovea.__all__:
        cls = getattr(fovea, name)
        if not (isinstance(cls, type) and issubclass(cls, fovea.FoveaError)):
            continue
        bases = ", ".join(b.__name__ for b in cls.__bases__)
        assert f"class {name}({bases}):" in stub, f"{name}({bases}) is not in the stub"


def test_package_exports_the_extension():
    assert sorted(fovea.__all__) == sorted(_fovea.__all__)
    for name in fovea.__all__:
        if name in ("Store", "JobQueue"):
            # The package's classes add awaitable twins to the native ones.
            assert issubclass(getattr(fovea, name), getattr(_fovea, name))
            continue
        assert getattr(fovea, name) is getattr(_fovea, name)
    assert isinstance(fovea.__version__, str) and fovea.__version__.count(".") == 2


def first_record(content: bytes, **options):
    """The first record of a JSON Lines file holding `content`."""
    fd, path = tempfile.mkstemp(suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        with fovea.read_jsonl(path, **options) as reader:
            return next(reader)
    finally:
        os.remove(path)


# code -> (action raising it, expected path or None)
REACHABLE = {
    "invalid-json": (lambda: fovea.Sequence('{"boxes":['), None),
    "invalid-type": (lambda: fovea.Sequence({"boxes": {}}), "boxes"),
    "missing-field": (
        lambda: fovea.Sequence({"boxes": [{"x": 0, "y": 0, "width": 1, "frameNumber": 0}]}),
        "boxes[0]",
    ),
    "frame-not-integer": (lambda: seq2().at(2.5), "frame"),
    "frame-negative": (lambda: seq2().at(-1), "frame"),
    "frame-too-large": (lambda: seq2().at(1e12), "frame"),
    "non-finite-number": (
        lambda: fovea.Sequence(
            {"boxes": [{"x": math.nan, "y": 0, "width": 1, "height": 1, "frameNumber": 0}]}
        ),
        "boxes[0].x",
    ),
    "unrecognised-input": (lambda: fovea.interpolate({"hello": 1}), None),
    "invalid-option": (lambda: fovea.Sequence(profile="nope"), None),
    "unsupported-parametric": (
        lambda: fovea.interpolate(CUSTOM),
        "interpolationSegments[0].parametric.width",
    ),
    "unsupported-interpolation": (lambda: seq2().set_interpolation(5, "wobble"), None),
    "invalid-control-point": (
        lambda: seq2().set_interpolation(5, "bezier", control_points={"x": [{"x": 1.5, "y": 0}]}),
        "controlPoints.x[0]",
    ),
    "invalid-range": (lambda: seq2().set_visibility(5, 2, False), None),
    "keyframe-exists": (lambda: seq2().add_keyframe(10), None),
    "not-a-keyframe": (lambda: seq2().remove_keyframe(5), None),
    "end-keyframe": (lambda: seq2().remove_keyframe(0), None),
    "no-keyframes": (lambda: fovea.Sequence().add_keyframe(3), None),
    "outside-span": (lambda: seq2().set_interpolation(25, "linear"), None),
    "too-many-frames": (
        lambda: fovea.Sequence(
            {
                "boxes": [
                    {"x": 0, "y": 0, "width": 1, "height": 1, "frameNumber": f}
                    for f in (0, 200_000_000)
                ]
            }
        ).interpolate(),
        None,
    ),
    "limit-exceeded": (
        lambda: fovea.check_tracking_job(
            {
                "schemaVersion": 1,
                "videoId": "v",
                "frameRange": {"start": 0, "end": 4_000_000_000},
                "objects": [
                    {"objectId": 1, "initialBox": {"x": 0, "y": 0, "width": 5, "height": 5}}
                ],
            }
        ),
        "frameRange",
    ),
    "invalid-envelope": (lambda: first_record(b'\n{"type":"video","data":null}\n'), None),
    "line-too-long": (
        lambda: first_record(b'{"type":"video","data":{"id":"v"}}\n', max_line_bytes=10),
        None,
    ),
    "invalid-utf8": (lambda: first_record(b'{"type":"video","data":{"id":"\xff"}}\n'), None),
    "io": (
        lambda: fovea.stats_jsonl(os.path.join(tempfile.gettempdir(), "fovea-missing", "x.jsonl")),
        None,
    ),
    # Nothing listens on port 1.
    "database": (lambda: fovea.Store.connect("postgres://fovea@127.0.0.1:1/none"), None),
    "unsupported-url": (lambda: fovea.Store.connect("mysql://x"), None),
    "timeout": (lambda: waits_forever(), "timeout"),
    "invalid-job-id": (lambda: fovea.JobQueue().add({}, id="12"), None),
    "job-not-found": (lambda: fovea.JobQueue().cancel("missing"), None),
}
# Codes raised for a line of a JSON Lines file carry its number.
LINES = {"invalid-envelope": 2, "line-too-long": 1, "invalid-utf8": 1}
UNREACHABLE = {
    # The core sizes its own buffers for every call the binding makes.
    "buffer-too-small",
    # Rows that do not read are reported in results (`unreadable`), not raised.
    "unreadable-row",
    "invalid-row",
    "missing-persona",
    # Reviewing tracking candidates needs a finished tracking job: test_candidates.py.
    "candidate-not-found",
    "conflict",
    "missing-dependency",
    # Need a foreign database, a Redis server or a racing worker: test_store.py and
    # test_jobs.py raise them where those exist.
    "schema",
    "payload-too-large",
    "stale-lease",
    "invalid-state",
    "operation-refused",
    "queue-closed",
    "queue-backend",
    # A wait that Ctrl-C interrupts raises the KeyboardInterrupt itself.
    "aborted",
}


def waits_forever():
    q = fovea.JobQueue()
    q.add({}, id="never")
    q.wait("never", timeout=0.01)


def test_reachable_codes_cover_every_code():
    assert set(REACHABLE) | UNREACHABLE == set(fovea.ERROR_CODES)


@pytest.mark.parametrize("code", sorted(REACHABLE))
def test_code_raises_its_class(code):
    action, path = REACHABLE[code]
    cls = getattr(fovea, class_name(code))
    with pytest.raises(cls) as info:
        action()
    # An I/O failure is raised as the class of its kind (a subclass of IoError).
    assert type(info.value) is cls or (code == "io" and cls in type(info.value).__bases__)
    assert info.value.code == code
    assert info.value.path == path
    assert info.value.line == LINES.get(code)
    assert str(info.value)
    if path is not None:
        assert path in str(info.value)


@pytest.mark.parametrize(
    "value, path",
    [
        (
            {"boxes": [{"x": 0, "y": math.inf, "width": 1, "height": 1, "frameNumber": 0}]},
            "boxes[0].y",
        ),
        ({"boxes": [], "meta": [1, {"deep": -math.inf}]}, "meta[1].deep"),
        (
            {"boxes": [{"x": 0, "y": 0, "width": 1, "height": 1, "frameNumber": math.nan}]},
            "boxes[0].frameNumber",
        ),
        (
            {
                "type": "annotation",
                "data": {"boundingBoxSequence": {"boxes": [], "c": (math.nan,)}},
            },
            "data.boundingBoxSequence.c[0]",
        ),
    ],
)
def test_non_finite_in_dicts(value, path):
    with pytest.raises(fovea.NonFiniteNumberError) as info:
        fovea.Sequence(value)
    assert info.value.code == "non-finite-number"
    assert info.value.path == path
    with pytest.raises(fovea.NonFiniteNumberError):
        fovea.interpolate(value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_in_edit_values(bad):
    seq = seq2()
    before = seq.to_dict()
    with pytest.raises(fovea.NonFiniteNumberError) as info:
        seq.update_keyframe(10, {"x": bad})
    assert info.value.path == "x"
    with pytest.raises(fovea.NonFiniteNumberError) as info:
        seq.update_keyframe(10, {"confidence": 0.5, "metadata": {"score": bad}})
    assert info.value.path == "metadata.score"
    with pytest.raises(fovea.NonFiniteNumberError) as info:
        seq.add_keyframe(5, {"x": 1, "y": 2, "width": bad, "height": 4})
    assert info.value.path == "width"
    with pytest.raises(fovea.NonFiniteNumberError) as info:
        seq.add_keyframe(5, [1, 2, 3, bad])
    assert info.value.path == "[3]"
    with pytest.raises(fovea.NonFiniteNumberError) as info:
        seq.at(bad)
    assert info.value.path == "frame"
    assert seq.to_dict() == before


@pytest.mark.parametrize(
    "method, args, path",
    [
        ("at", (-1,), "frame"),
        ("add_keyframe", (2.5,), "frame"),
        ("remove_keyframe", (10**12,), "frame"),
        ("move_keyframe", (10, -3), "to_frame"),
        ("move_keyframe", (0.5, 3), "from_frame"),
        ("set_visibility", (1, 2**31, True), "end"),
        ("set_visibility", (-2, 5, True), "start"),
        ("toggle_visibility", (-(10**40),), "frame"),
        ("update_keyframe", (1e300, {}), "frame"),
    ],
)
def test_frame_arguments_are_checked_by_the_core(method, args, path):
    seq = seq2()
    with pytest.raises(
        (fovea.FrameNegativeError, fovea.FrameNotIntegerError, fovea.FrameTooLargeError)
    ) as info:
        getattr(seq, method)(*args)
    assert info.value.path == path
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("frame", ["3", None, True, [1], object()])
def test_non_numeric_frames_are_invalid_type(frame):
    with pytest.raises(fovea.InvalidTypeError) as info:
        seq2().at(frame)
    assert info.value.path == "frame"
    assert isinstance(info.value, TypeError)


def test_integral_frames_of_other_types_are_accepted():
    np = pytest.importorskip("numpy")
    seq = seq2()
    assert seq.at(5.0) == seq.at(5) == seq.at(np.int64(5)) == seq.at(np.float32(5.0))
    assert seq.at(5)["x"] == 5.0


@pytest.mark.parametrize(
    "value, path",
    [
        ({"boxes": [], 1: "int key"}, "$"),
        ({"boxes": [{"x": {1, 2}}]}, "boxes[0].x"),
        ({"boxes": [], "when": b"bytes"}, "when"),
        (object(), "$"),
    ],
)
def test_unconvertible_python_values(value, path):
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.Sequence(value)
    assert info.value.path == path


def test_too_deep_nesting_is_an_error_not_a_crash():
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.Sequence({"boxes": [], "deep": deep})
    assert info.value.path.startswith("deep[0][0]")
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(fovea.InvalidTypeError):
        fovea.Sequence({"boxes": [], "loop": cyclic})


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.add_keyframe(10, [1, 2, 3, 4]),
        lambda s: s.remove_keyframe(0),
        lambda s: s.remove_keyframe(20),
        lambda s: s.remove_keyframe(7),
        lambda s: s.update_keyframe(7, {"x": 1}),
        lambda s: s.move_keyframe(7, 8),
        lambda s: s.move_keyframe(0, 10),
        lambda s: s.set_interpolation(20, "hold"),
        lambda s: s.set_interpolation(3, "wobble"),
        lambda s: s.set_interpolation(3, "bezier", control_points={"x": [{"x": -0.1, "y": 0}]}),
        lambda s: s.set_interpolation(
            3, "parametric", parametric={"x": {"type": "custom", "parameters": {}}}
        ),
        lambda s: s.set_visibility(9, 3, False),
        lambda s: s.add_keyframe(5, [1, 2, 3]),
        lambda s: s.update_keyframe(10, {"x": "wide"}),
    ],
)
def test_failed_edits_leave_the_sequence_unchanged(edit):
    seq = seq2()
    seq.set_visibility(14, 15, False)
    before, before_json, boxes = seq.copy(), seq.to_json(), seq.interpolate()
    with pytest.raises(fovea.FoveaError):
        edit(seq)
    assert seq == before
    assert seq.to_json() == before_json
    assert seq.interpolate() == boxes


def test_exceptions_pickle():
    import pickle

    with pytest.raises(fovea.FrameNegativeError) as info:
        seq2().at(-4)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is fovea.FrameNegativeError
    assert (again.code, again.path, str(again)) == ("frame-negative", "frame", str(info.value))


def _mutations(rng: random.Random, value, depth=0):
    """Random damage to a JSON value: wrong types, NaN, negative/huge/fractional numbers."""
    junk = [None, True, "x", -1, 2.5, 1e300, -(2**70), math.nan, [], {}, [1, 2], {"x": 1}]
    if depth > 4 or rng.random() < 0.15:
        return rng.choice(junk)
    if isinstance(value, dict):
        out = {
            k: _mutations(rng, v, depth + 1) if rng.random() < 0.3 else v for k, v in value.items()
        }
        if rng.random() < 0.1 and out:
            out.pop(rng.choice(list(out)))
        return out
    if isinstance(value, list):
        return [_mutations(rng, v, depth + 1) if rng.random() < 0.3 else v for v in value]
    return value


def test_damaged_input_raises_fovea_errors_only():
    """No input makes the extension panic (a pyo3 PanicException is a BaseException)."""
    from conftest import load_fixture

    sources = [c["sequence"] for c in load_fixture("eval.json")] + [
        c["sequence"] for c in load_fixture("edit.json")
    ]
    rng = random.Random(1234)
    outcomes = {"ok": 0, "error": 0}
    for i in range(600):
        data = _mutations(rng, rng.choice(sources))
        try:
            seq = fovea.Sequence(data, profile=rng.choice(["default", "fovea"]))
            seq.interpolate()
            seq.to_numpy()
            frame = rng.choice([0, 1, 5, 50, 500])
            seq.at(frame)
            op = rng.randrange(6)
            if op == 0:
                seq.add_keyframe(frame)
            elif op == 1:
                seq.remove_keyframe(frame)
            elif op == 2:
                seq.move_keyframe(frame, frame + 3)
            elif op == 3:
                seq.set_interpolation(frame, rng.choice(["bezier", "hold", "parametric"]))
            elif op == 4:
                seq.toggle_visibility(frame)
            else:
                seq.update_keyframe(frame, _mutations(rng, {"x": 1.0, "metadata": {"a": 1}}))
            seq.interpolate()
            json.loads(seq.to_json())
            outcomes["ok"] += 1
        except fovea.FoveaError as e:
            assert e.code in fovea.ERROR_CODES
            outcomes["error"] += 1
        except BaseException as e:  # a panic (PanicException) would land here
            pytest.fail(f"iteration {i}: {type(e).__name__}: {e}")
    assert outcomes["ok"] > 0 and outcomes["error"] > 0, outcomes


def test_io_failures_are_the_os_error_of_their_kind(tmp_path):
    """As Python's own open() raises: FileNotFoundError with errno, and a FoveaError too."""
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(FileNotFoundError) as e:
        fovea.stats_jsonl(missing)
    assert isinstance(e.value, fovea.IoError) and isinstance(e.value, fovea.FoveaError)
    assert e.value.errno == errno.ENOENT and e.value.code == "io"
    assert str(missing) in str(e.value)
    with pytest.raises(IsADirectoryError) as e:
        fovea.validate_jsonl(tmp_path)
    assert isinstance(e.value, fovea.IoFileNotFoundError) is False
    assert e.value.code == "io" and e.value.errno == errno.EISDIR
    # Writing into a folder that does not exist.
    source = tmp_path / "a.jsonl"
    source.write_text("")
    with pytest.raises(FileNotFoundError):
        fovea.export_jsonl(source, tmp_path / "no" / "out.jsonl")


def test_a_wait_that_times_out_is_coded_and_a_timeout_error():
    with pytest.raises(TimeoutError) as e:
        waits_forever()
    assert isinstance(e.value, fovea.FoveaTimeoutError) and isinstance(e.value, fovea.FoveaError)
    assert e.value.code == "timeout" and e.value.path == "timeout"

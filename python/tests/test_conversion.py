"""Values cross between Python and fovea without JSON text: what the direct conversions build
equals what the JSON path builds (``json.loads`` of the JSON fovea writes), type for type, on
random sequences, annotations and records with unknown fields, large integers and ``-0``;
values read from dicts equal values read from their JSON text; bad values fail with the typed
error naming their path; a million conversions do not grow the process."""

import json
import math
import os
import pathlib
import tempfile
from decimal import Decimal

import pytest

import fovea

from conftest import require_modules

require_modules("hypothesis", install="pip install hypothesis", module_level=True)

from hypothesis import (  # noqa: E402
    HealthCheck,
    given,
    settings,
    strategies as st,
)

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- what the JSON path gives ----------------------------------------------------------------


def as_written(v):
    """`v` as ``json.loads`` reads it back once fovea has written it: fovea spells numbers as
    JavaScript does, so an integral double below 1e21 is an int (of its shortest digits, which
    ``repr`` also gives) and ``-0`` is ``0``."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return int(Decimal(repr(v)))
    if isinstance(v, dict):
        return {k: as_written(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_written(x) for x in v]
    return v


def same(a, b, at="$", ordered=True):
    """Equal, and of the same types all the way down (``1 == 1.0`` does not pass); dict keys
    in the same order unless `ordered` is false."""
    assert type(a) is type(b), f"{at}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"
    if isinstance(a, dict):
        keys = (list(a), list(b)) if ordered else (sorted(a), sorted(b))
        assert keys[0] == keys[1], f"{at}: keys {keys[0]} vs {keys[1]}"
        for k in a:
            same(a[k], b[k], f"{at}.{k}", ordered)
    elif isinstance(a, list):
        assert len(a) == len(b), f"{at}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{at}[{i}]", ordered)
    else:
        assert a == b, f"{at}: {a!r} vs {b!r}"


# --- random data -----------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
number = st.one_of(
    finite,
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([-0.0, 0.5, 2.0, 1e21, 2.0**53, -(2.0**60), 1e-7]),
)
coordinate = st.one_of(
    st.floats(-1e9, 1e9, allow_nan=False), st.integers(-(10**6), 10**6), st.just(-0.0)
)
text = st.text(max_size=8)
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), number, text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)
# Unknown fields: names no model type uses.
extras = st.dictionaries(
    st.text(min_size=1, max_size=6).map(lambda k: "z" + k), json_value, max_size=2
)


@st.composite
def boxes(draw, frame):
    box = {
        "x": draw(coordinate),
        "y": draw(coordinate),
        "width": draw(coordinate),
        "height": draw(coordinate),
        "frameNumber": frame,
    }
    if draw(st.booleans()):
        box["isKeyframe"] = True
    if draw(st.booleans()):
        box["confidence"] = draw(st.sampled_from([0.0, -0.0, 0.25, 1.0]))
    if draw(st.booleans()):
        box["metadata"] = draw(st.dictionaries(text, json_value, max_size=2))
    box.update(draw(extras))
    return box


@st.composite
def sequences(draw):
    frames = sorted(draw(st.sets(st.integers(0, 400), max_size=5)))
    seq = {
        "boxes": [draw(boxes(f)) for f in frames],
        "interpolationSegments": [
            {
                "startFrame": a,
                "endFrame": b,
                "type": draw(
                    st.sampled_from(["linear", "ease-in", "ease-out", "ease-in-out", "hold"])
                ),
                **draw(extras),
            }
            for a, b in zip(frames, frames[1:])
            if draw(st.booleans())
        ],
        "visibilityRanges": [
            {"startFrame": s, "endFrame": s + n, "visible": draw(st.booleans()), **draw(extras)}
            for s, n in draw(
                st.lists(st.tuples(st.integers(0, 400), st.integers(0, 50)), max_size=2)
            )
        ],
    }
    if draw(st.booleans()):
        seq["trackId"] = draw(st.one_of(text, st.integers(0, 2**64 - 1)))
    if draw(st.booleans()):
        seq["trackingConfidence"] = draw(st.sampled_from([0.5, -0.0, 1.0]))
    seq.update(draw(extras))
    return seq


@st.composite
def annotations(draw, id_):
    a = {
        "id": id_,
        "videoId": draw(st.sampled_from(["v1", "v2"])),
        "annotationType": "type",
        "boundingBoxSequence": draw(sequences()),
        "personaId": "p1",
        "typeCategory": "entity",
        "typeId": "ship",
    }
    if draw(st.booleans()):
        a["confidence"] = draw(st.sampled_from([0.0, -0.0, 0.75]))
    if draw(st.booleans()):
        a["metadata"] = draw(st.dictionaries(text, json_value, max_size=2))
    a.update(draw(extras))
    return a


# --- Python ← Rust ---------------------------------------------------------------------------


@EXAMPLES
@given(sequences())
def test_sequence_dicts_equal_the_json_path(data):
    seq = fovea.Sequence(data)
    same(seq.to_dict(), json.loads(seq.to_json()))
    want = json.loads(seq.to_json())["boxes"]
    same(
        seq.keyframes, [b for b in sorted(want, key=lambda b: b["frameNumber"]) if b["isKeyframe"]]
    )


@EXAMPLES
@given(sequences())
def test_interpolated_dicts_equal_the_exported_json(data):
    """Every visible frame from `interpolate()` equals the boxes of an interpolated export."""
    annotation = {
        "type": "annotation",
        "data": {"id": "a", "videoId": "v", "boundingBoxSequence": data},
    }
    with tempfile.TemporaryDirectory() as tmp:
        source, out = pathlib.Path(tmp) / "in.jsonl", pathlib.Path(tmp) / "out.jsonl"
        source.write_text(json.dumps(annotation) + "\n", encoding="utf-8")
        fovea.export_jsonl(source, out, mode="interpolated", metadata=False)
        # Split on newlines only: strings may hold other line separators.
        written = [json.loads(text) for text in out.read_text(encoding="utf-8").split("\n") if text]
        [line] = [w for w in written if w["type"] == "annotation"]
    frames = fovea.interpolate(data)
    same(frames, line["data"]["boundingBoxSequence"]["boxes"])
    same(fovea.Sequence(data).interpolate(), frames)
    for box in frames[:20]:
        at = fovea.box_at(data, box["frameNumber"])
        # A lone keyframe on a hidden frame is emitted by the eager walk only (FOVEA's rule).
        if at is not None or len(frames) > 1:
            same(at, box)


@EXAMPLES
@given(st.lists(annotations("x"), min_size=1, max_size=4), st.lists(extras, max_size=2))
def test_records_equal_json_loads_of_their_lines(anns, video_extras):
    """Records come back as read: the line's fields (unknown ones included) with fovea's
    number rule; known fields come first, in the model's order."""
    lines = [{"type": "annotation", "data": {**a, "id": f"a{i}"}} for i, a in enumerate(anns)]
    lines += [
        {"type": "video", "data": {"id": f"v{i}", "width": 640, **e}}
        for i, e in enumerate(video_extras)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "records.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        records = list(fovea.read_jsonl(path))
    assert len(records) == len(lines)
    for n, (record, line) in enumerate(zip(records, lines), start=1):
        same(record, {"line": n, **as_written(json.loads(json.dumps(line)))}, ordered=False)


def test_numbers_follow_fovea_s_rules():
    seq = fovea.Sequence(
        {
            "boxes": [
                {
                    "x": -0.0,
                    "y": 2.0,
                    "width": 1e21,
                    "height": 0.5,
                    "frameNumber": 3,
                    "metadata": {"big": 2**64 - 1, "neg": -(2**63), "huge": 2**70},
                }
            ]
        }
    )
    box = seq.to_dict()["boxes"][0]
    same(box["x"], 0)
    same(box["y"], 2)
    same(box["width"], 1e21)
    same(box["height"], 0.5)
    same(box["metadata"]["big"], 2**64 - 1)
    same(box["metadata"]["neg"], -(2**63))
    # Beyond 64 bits an integer is read as the nearest double, as a JSON parser reads it.
    same(box["metadata"]["huge"], float(2**70))


def test_reports_are_built_directly(tmp_path):
    """Whole-file reports: the same dicts as their JSON (the preview of a fixture with
    conflicts, validation, stats)."""
    source = tmp_path / "in.jsonl"
    line = {
        "type": "annotation",
        "data": {
            "id": "a",
            "videoId": "v",
            "boundingBoxSequence": {
                "boxes": [
                    {"x": 0, "y": 0, "width": 1, "height": 1, "frameNumber": 0, "zExtra": [1, -0.0]}
                ]
            },
        },
    }
    source.write_text(json.dumps(line) + "\n" + json.dumps(line) + "\nnot json\n", encoding="utf-8")
    for report in (
        fovea.preview_import(source),
        fovea.validate_jsonl(source),
        fovea.stats_jsonl(source),
    ):
        same(report, json.loads(json.dumps(report)))
    preview = fovea.preview_import(source)
    assert preview["conflicts"][0]["type"] == "id-conflict"
    assert preview["errors"][0]["line"] == 3


# --- Python → Rust ---------------------------------------------------------------------------


@EXAMPLES
@given(st.one_of(sequences(), annotations("a")), st.booleans())
def test_reading_a_dict_equals_reading_its_text(data, as_line):
    doc = (
        {"type": "annotation", "data": data} if as_line and "boundingBoxSequence" in data else data
    )
    same(fovea.Sequence(doc).to_dict(), fovea.Sequence(json.dumps(doc)).to_dict())


@pytest.mark.parametrize(
    "value, error, path",
    [
        ({"boxes": [], "meta": {"x": [math.nan]}}, fovea.NonFiniteNumberError, "meta.x[0]"),
        (
            {
                "boxes": [
                    {
                        "x": 0,
                        "y": 0,
                        "width": 1,
                        "height": 1,
                        "frameNumber": 0,
                        "metadata": {"s": -math.inf},
                    }
                ]
            },
            fovea.NonFiniteNumberError,
            "boxes[0].metadata.s",
        ),
        ({"boxes": [], "z": {(1, 2): "tuple key"}}, fovea.InvalidTypeError, "z"),
        ({"boxes": [], "z": [frozenset()]}, fovea.InvalidTypeError, "z[0]"),
        ({"boxes": [], "z": 10**400}, fovea.InvalidTypeError, "z"),
        (
            {"boxes": [{"x": "1", "y": 0, "width": 1, "height": 1, "frameNumber": 0}]},
            fovea.InvalidTypeError,
            "boxes[0].x",
        ),
        (
            {"boxes": [{"x": 1, "y": 0, "width": 1, "height": 1}]},
            fovea.MissingFieldError,
            "boxes[0]",
        ),
        (
            {
                "boundingBoxSequence": {
                    "boxes": [{"x": 1, "y": 0, "width": 1, "height": 1, "frameNumber": -1}]
                }
            },
            fovea.FrameNegativeError,
            "boundingBoxSequence.boxes[0].frameNumber",
        ),
    ],
)
def test_bad_values_name_their_path(value, error, path):
    with pytest.raises(error) as info:
        fovea.Sequence(value)
    assert info.value.path == path


def test_cycles_in_arguments_are_errors():
    loop: dict = {"boxes": []}
    loop["self"] = loop
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.Sequence(loop)
    assert "nested deeper than" in str(info.value)


# --- no leak ---------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_a_million_conversions_do_not_grow_the_process():
    data = {
        "boxes": [
            {"x": 1.5, "y": 2, "width": 3, "height": 4, "frameNumber": f, "metadata": {"k": [f]}}
            for f in (0, 9)
        ],
        "zExtra": {"a": 1},
    }
    seq = fovea.Sequence(data)

    def churn(n):
        # Each round: a dict read, a sequence written, ten interpolated boxes.
        for _ in range(n):
            fovea.Sequence(data).to_dict()
            seq.interpolate()

    churn(20_000)
    before = rss_mb()
    churn(100_000)  # 100,000 rounds x 12+ conversions each
    grown = rss_mb() - before
    assert grown < 8, f"RSS grew by {grown:.1f} MB over a million conversions"

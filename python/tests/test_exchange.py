"""JSON Lines exchange: read_jsonl, export_jsonl, stats_jsonl, validate_jsonl, preview_import
and merge_jsonl over the shared fixtures (semantics of fovea-core/tests/import.rs and
validation.rs), atomic writes, errors and the GIL."""

import errno
import json
import os
import pathlib

import pytest

import fovea

from conftest import TESTDATA, overlaps

CONTAINER = TESTDATA / "interp" / "container-ship.jsonl"
CONTAINER_LINE = json.loads(CONTAINER.read_text(encoding="utf-8"))
CONTAINER_ID = CONTAINER_LINE["data"]["id"]
CONTAINER_VIDEO = CONTAINER_LINE["data"]["videoId"]
CONTAINER_PERSONA = CONTAINER_LINE["data"]["personaId"]
SCENARIOS = json.loads((TESTDATA / "import" / "scenarios.json").read_text(encoding="utf-8"))
CASES = json.loads((TESTDATA / "validate" / "cases.json").read_text(encoding="utf-8"))
DATE = "2026-01-02T03:04:05.000Z"


def write_lines(path: pathlib.Path, lines) -> pathlib.Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def read_lines(path: pathlib.Path):
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def annotation_ids(path: pathlib.Path):
    return [r["data"]["id"] for r in read_lines(path) if r["type"] == "annotation"]


def box(frame, x=0):
    return {"x": x, "y": 0, "width": 10, "height": 10, "frameNumber": frame, "isKeyframe": True}


# --- read_jsonl -----------------------------------------------------------------------------

MIXED = (
    b"\n"  # 1: blank
    b'{"type":"video","data":{"id":"v1"}}\r\n'  # 2: CRLF
    b"{bad\n"  # 3: invalid JSON
    b"   \n"  # 4: blank
    b'{"data":{}}\n'  # 5: envelope error
    + CONTAINER.read_bytes().rstrip(b"\n")
    + b"\n"  # 6: annotation
    b'{"type":"video","data":{"id":"v2","width":1920,"n":3}}'  # 7: no final newline
)


@pytest.fixture
def mixed(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(MIXED)
    return path


def outcomes(reader):
    """Every outcome of next() until StopIteration: ("ok", line) or (error class, line)."""
    seen = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return seen
        except fovea.FoveaError as e:
            seen.append((type(e), e.line))
        else:
            seen.append(("ok", record["line"]))


def test_read_raise_reports_physical_lines_and_goes_on(mixed):
    reader = fovea.read_jsonl(mixed)
    assert outcomes(reader) == [
        ("ok", 2),
        (fovea.InvalidJsonError, 3),
        (fovea.InvalidEnvelopeError, 5),
        ("ok", 6),
        ("ok", 7),
    ]
    with pytest.raises(StopIteration):
        next(reader)


def test_read_raise_in_a_for_loop_then_continue(mixed):
    reader = fovea.read_jsonl(str(mixed), on_error="raise")
    seen = []
    with pytest.raises(fovea.InvalidJsonError) as info:
        for record in reader:
            seen.append(record["line"])
    assert seen == [2]
    assert (info.value.code, info.value.line, info.value.path) == ("invalid-json", 3, None)
    assert str(info.value).startswith("line 3, column 2: invalid JSON")
    with pytest.raises(fovea.InvalidEnvelopeError) as info:
        next(reader)
    assert info.value.line == 5
    assert [r["line"] for r in reader] == [6, 7]


def test_read_records(mixed):
    records = list(fovea.read_jsonl(mixed, on_error="skip"))
    assert records[0] == {"line": 2, "type": "video", "data": {"id": "v1"}}
    assert list(records[0]) == ["line", "type", "data"]
    assert records[1]["type"] == "annotation"
    # The whole annotation, unknown fields included, as read.
    assert records[1]["data"] == CONTAINER_LINE["data"]
    assert records[2] == {"line": 7, "type": "video", "data": {"id": "v2", "width": 1920, "n": 3}}
    # Numbers come back as json.loads reads them (fovea writes integral doubles as integers):
    # a typed field (width, a double in the core) and an unknown one alike.
    assert type(records[2]["data"]["width"]) is int and type(records[2]["data"]["n"]) is int
    assert all(
        type(b["frameNumber"]) is int for b in records[1]["data"]["boundingBoxSequence"]["boxes"]
    )


def test_read_skip_and_collect(mixed):
    skip = fovea.read_jsonl(mixed, on_error="skip")
    assert [r["line"] for r in skip] == [2, 6, 7]
    assert skip.errors == []
    collect = fovea.read_jsonl(mixed, on_error="collect")
    assert collect.errors == []
    assert [r["line"] for r in collect] == [2, 6, 7]
    errors = collect.errors
    assert [(e["line"], e["code"], e["path"]) for e in errors] == [
        (3, "invalid-json", None),
        (5, "invalid-envelope", None),
    ]
    assert (
        errors[1]["message"]
        == 'line must have "type" and "data" fields: `type` is missing or empty'
    )
    assert not errors[0]["message"].startswith("line ")
    errors.clear()  # a copy
    assert len(collect.errors) == 2


def test_collect_keeps_errors_in_step_with_iteration(mixed):
    reader = fovea.read_jsonl(mixed, on_error="collect")
    assert next(reader)["line"] == 2 and reader.errors == []
    assert next(reader)["line"] == 6 and [e["line"] for e in reader.errors] == [3, 5]


def test_read_non_blank_numbering(mixed):
    reader = fovea.read_jsonl(mixed, line_numbers="non-blank")
    assert outcomes(reader) == [
        ("ok", 1),
        (fovea.InvalidJsonError, 2),
        (fovea.InvalidEnvelopeError, 3),
        ("ok", 4),
        ("ok", 5),
    ]


def test_read_line_too_long_and_typed_errors(mixed, tmp_path):
    reader = fovea.read_jsonl(mixed, max_line_bytes=60)
    assert outcomes(reader) == [
        ("ok", 2),
        (fovea.InvalidJsonError, 3),
        (fovea.InvalidEnvelopeError, 5),
        (fovea.LineTooLongError, 6),
        ("ok", 7),
    ]
    typed = write_lines(tmp_path / "typed.jsonl", [{"type": "entity", "data": {"id": 5}}])
    with pytest.raises(fovea.InvalidTypeError) as info:
        next(fovea.read_jsonl(typed))
    assert (info.value.line, info.value.path) == (1, "data.id")
    # A limit of no bytes would refuse every line: it is refused itself, as Node refuses it.
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.read_jsonl(mixed, max_line_bytes=0)
    assert info.value.path == "max_line_bytes"


def test_read_invalid_utf8(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        b'{"type":"video","data":{"id":"\xff"}}\n{"type":"video","data":{"id":"ok"}}\n'
    )
    reader = fovea.read_jsonl(path)
    with pytest.raises(fovea.InvalidUtf8Error) as info:
        next(reader)
    assert info.value.line == 1 and isinstance(info.value, ValueError)
    assert next(reader)["data"] == {"id": "ok"}


def test_read_context_manager(mixed):
    with fovea.read_jsonl(mixed, on_error="skip") as reader:
        assert not reader.closed
        assert next(reader)["line"] == 2
    assert reader.closed
    with pytest.raises(ValueError):
        next(reader)
    with pytest.raises(KeyError):
        with fovea.read_jsonl(mixed) as other:
            raise KeyError("not swallowed")
    assert other.closed
    reader = fovea.read_jsonl(mixed)
    reader.close()
    reader.close()
    assert reader.closed


def test_read_a_large_file_in_batches(tmp_path):
    # Larger than the batch size and the detach threshold; bad lines spread over batches.
    path = tmp_path / "large.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(1, 5001):
            f.write(
                "{oops\n"
                if i % 7 == 0
                else json.dumps({"type": "video", "data": {"id": f"v{i}", "pad": "x" * 40}}) + "\n"
            )
    assert path.stat().st_size > 1 << 16
    good = [i for i in range(1, 5001) if i % 7]
    assert [r["line"] for r in fovea.read_jsonl(path, on_error="skip")] == good
    reader = fovea.read_jsonl(path, on_error="collect")
    assert [r["data"]["id"] for r in reader] == [f"v{i}" for i in good]
    assert [e["line"] for e in reader.errors] == list(range(7, 5001, 7))
    raised = outcomes(fovea.read_jsonl(path))
    assert raised == [("ok", i) if i % 7 else (fovea.InvalidJsonError, i) for i in range(1, 5001)]
    # Batches of a large file are read with the GIL released.
    assert any(
        overlaps(lambda: sum(1 for _ in fovea.read_jsonl(path, on_error="skip"))) for _ in range(3)
    )


def test_read_arguments(mixed):
    with pytest.raises(fovea.InvalidOptionError):
        fovea.read_jsonl(mixed, on_error="ignore")
    with pytest.raises(fovea.InvalidOptionError):
        fovea.read_jsonl(mixed, line_numbers="logical")
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.read_jsonl(42)
    assert info.value.path == "path"
    assert next(fovea.read_jsonl(pathlib.Path(mixed)))["line"] == 2


def test_missing_files_raise_io_error(tmp_path):
    missing = tmp_path / "missing.jsonl"
    calls = [
        lambda: fovea.read_jsonl(missing),
        lambda: fovea.stats_jsonl(missing),
        lambda: fovea.validate_jsonl(missing),
        lambda: fovea.preview_import(missing),
        lambda: fovea.preview_import(CONTAINER, existing=missing),
        lambda: fovea.export_jsonl(missing, tmp_path / "out.jsonl"),
        lambda: fovea.merge_jsonl(missing, CONTAINER, tmp_path / "out.jsonl"),
        lambda: fovea.merge_jsonl(None, missing, tmp_path / "out.jsonl"),
    ]
    for call in calls:
        with pytest.raises(fovea.IoError) as info:
            call()
        e = info.value
        assert isinstance(e, OSError) and isinstance(e, fovea.FoveaError)
        assert e.code == "io" and e.errno == errno.ENOENT
        assert str(missing) in str(e)
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(fovea.IoError):
        fovea.export_jsonl(CONTAINER, tmp_path / "no" / "such" / "dir.jsonl")
    # A directory is refused when opened, whatever on_error says.
    with pytest.raises(fovea.IoError) as info:
        list(fovea.read_jsonl(tmp_path, on_error="skip"))
    assert info.value.line is None and "Is a directory" in str(info.value)


# --- export ---------------------------------------------------------------------------------

SECOND = {
    "type": "annotation",
    "data": {
        "id": "second",
        "videoId": "vid-2",
        "annotationType": "object",
        "personaId": "p-2",
        "linkedEntityId": "e-1",
        "boundingBoxSequence": {"boxes": [box(0), box(9, x=9)]},
    },
}


@pytest.fixture
def dataset(tmp_path):
    """container-ship (4 keyframes over 0..360) and a 2-keyframe object annotation, each with
    its video (listed first: the export reorders), and a stale metadata line."""
    return write_lines(
        tmp_path / "dataset.jsonl",
        [
            {"type": "video", "data": {"id": CONTAINER_VIDEO, "width": 1920, "height": 1080}},
            {"type": "metadata", "data": {"exportDate": "stale", "annotationCount": 99}},
            CONTAINER_LINE,
            SECOND,
            {"type": "video", "data": {"id": "vid-2", "width": 640, "height": 480}},
        ],
    )


def boxes_of(records, ident):
    return next(
        r["data"]["boundingBoxSequence"]["boxes"] for r in records if r["data"].get("id") == ident
    )


@pytest.mark.parametrize(
    "mode, container_boxes, second_boxes", [("keyframes", 4, 2), ("interpolated", 361, 10)]
)
def test_export_modes(dataset, tmp_path, mode, container_boxes, second_boxes):
    out = tmp_path / f"{mode}.jsonl"
    stats = fovea.export_jsonl(dataset, out, mode=mode, export_date=DATE)
    records = read_lines(out)
    assert [r["type"] for r in records] == [
        "annotation",
        "annotation",
        "video",
        "video",
        "metadata",
    ]
    container = boxes_of(records, CONTAINER_ID)
    assert len(container) == container_boxes
    assert len(boxes_of(records, "second")) == second_boxes
    assert sum(b["isKeyframe"] for b in container) == 4
    assert [b["frameNumber"] for b in container if b["isKeyframe"]] == [0, 120, 240, 360]
    interpolated = 357 + 8 if mode == "interpolated" else 0
    meta = records[-1]["data"]
    assert meta["exportDate"] == DATE and meta["exportVersion"] == "1.0.0"
    assert meta["exportedBy"].startswith("fovea ")
    assert (
        meta["annotationCount"],
        meta["sequenceCount"],
        meta["keyframeCount"],
        meta["interpolatedFrameCount"],
    ) == (
        2,
        2,
        6,
        interpolated,
    )
    assert stats == {
        "lines": {"annotation": 2, "metadata": 1, "video": 2},
        "annotationCount": 2,
        "sequenceCount": 2,
        "keyframeCount": 6,
        "interpolatedFrameCount": interpolated,
        "bytes": out.stat().st_size,
        "filteredOut": 0,
        "readErrors": [],
    }
    # What the file holds agrees with what the export says it wrote.
    written = [
        b
        for r in records
        if r["type"] == "annotation"
        for b in r["data"]["boundingBoxSequence"]["boxes"]
    ]
    assert len(written) == stats["keyframeCount"] + stats["interpolatedFrameCount"]
    assert sum(b["isKeyframe"] for b in written) == stats["keyframeCount"]
    held = fovea.stats_jsonl(out)
    assert held["lines"] == stats["lines"]
    assert held["annotations"] == stats["annotationCount"]
    assert held["keyframes"] == stats["keyframeCount"]
    # Frames an interpolated export writes, whichever mode this file was written in.
    assert (held["frames"], held["interpolatedFrames"]) == (361 + 10, 357 + 8)
    assert held["bytes"] == stats["bytes"]
    assert held["unreadableLines"] == held["invalidAnnotations"] == 0


def test_export_is_reproducible_and_accepts_aliases(dataset, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    fovea.export_jsonl(dataset, a, mode="full", export_date=DATE)
    fovea.export_jsonl(str(dataset), str(b), mode="interpolated", export_date=DATE)
    assert a.read_bytes() == b.read_bytes()
    # Re-exporting an interpolated export in keyframes mode gives the keyframes back.
    k1, k2 = tmp_path / "k1.jsonl", tmp_path / "k2.jsonl"
    fovea.export_jsonl(dataset, k1, export_date=DATE)
    fovea.export_jsonl(a, k2, mode="keyframes-only", export_date=DATE)
    assert k1.read_bytes() == k2.read_bytes()


@pytest.mark.parametrize(
    "filters, kept, filtered_out, videos",
    [
        ({"persona_ids": {"p-2"}}, ["second"], 1, [CONTAINER_VIDEO, "vid-2"]),
        (
            {"persona_ids": [CONTAINER_PERSONA, "p-9"]},
            [CONTAINER_ID],
            1,
            [CONTAINER_VIDEO, "vid-2"],
        ),
        ({"video_ids": ("vid-2",)}, ["second"], 2, ["vid-2"]),
        ({"annotation_types": ["object"]}, ["second"], 1, [CONTAINER_VIDEO, "vid-2"]),
        (
            {"annotation_types": ["type"], "video_ids": iter([CONTAINER_VIDEO])},
            [CONTAINER_ID],
            2,
            [CONTAINER_VIDEO],
        ),
        ({"persona_ids": []}, [], 2, [CONTAINER_VIDEO, "vid-2"]),
    ],
)
def test_export_filters(dataset, tmp_path, filters, kept, filtered_out, videos):
    out = tmp_path / "filtered.jsonl"
    stats = fovea.export_jsonl(dataset, out, export_date=DATE, **filters)
    records = read_lines(out)
    assert annotation_ids(out) == kept
    assert [r["data"]["id"] for r in records if r["type"] == "video"] == videos
    assert stats["filteredOut"] == filtered_out
    assert stats["annotationCount"] == records[-1]["data"]["annotationCount"] == len(kept)


def test_export_without_metadata_and_with_read_errors(tmp_path):
    source = tmp_path / "source.jsonl"
    source.write_text(
        CONTAINER.read_text(encoding="utf-8") + "{oops\n\n" + '{"type":"video"}\n', encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    stats = fovea.export_jsonl(source, out, metadata=False)
    assert [r["type"] for r in read_lines(out)] == ["annotation"]
    assert stats["lines"] == {"annotation": 1}
    assert [(e["line"], e["code"]) for e in stats["readErrors"]] == [
        (2, "invalid-json"),
        (4, "invalid-envelope"),
    ]
    assert set(stats["readErrors"][0]) == {"line", "code", "message", "path"}


def test_export_arguments(dataset, tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(fovea.InvalidOptionError):
        fovea.export_jsonl(dataset, out, mode="everything")
    with pytest.raises(fovea.InvalidOptionError):
        fovea.export_jsonl(dataset, out, profile="FOVEA")
    with pytest.raises(fovea.InvalidOptionError):
        fovea.export_jsonl(dataset, out, annotation_types=["objects"])
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.export_jsonl(dataset, out, persona_ids="p-2")  # a str is no collection of ids
    assert info.value.path == "persona_ids"
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.export_jsonl(dataset, out, video_ids=["vid-2", 3])
    assert info.value.path == "video_ids[1]"
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.export_jsonl(dataset, None)
    assert info.value.path == "destination"
    assert not out.exists()


def test_an_annotation_that_cannot_be_exported_is_reported_not_written(tmp_path):
    bad = dict(SECOND, data=dict(SECOND["data"], boundingBoxSequence={"boxes": [box(0), box(-4)]}))
    source = write_lines(tmp_path / "source.jsonl", [CONTAINER_LINE, bad])
    out = tmp_path / "out.jsonl"
    stats = fovea.export_jsonl(source, out)
    assert [(e["line"], e["code"]) for e in stats["readErrors"]] == [(2, "frame-negative")]
    assert stats["annotationCount"] == 1
    assert annotation_ids(out) == [CONTAINER_ID]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "source.jsonl"]


def test_a_failed_export_leaves_the_destination_untouched(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    with pytest.raises(fovea.IoError):
        fovea.export_jsonl(tmp_path / "missing.jsonl", out)
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_a_source_that_fails_while_read_fails_the_export(tmp_path):
    # A folder opens but cannot be read: the export fails with IoError instead of writing
    # what it saw before the failure, and leaves the destination and the folder as they were.
    source = tmp_path / "source"
    source.mkdir()
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    with pytest.raises(fovea.IoError) as info:
        fovea.export_jsonl(source, out)
    assert info.value.code == "io"
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "source"]


def test_export_in_place(dataset, tmp_path):
    fovea.export_jsonl(dataset, dataset, export_date=DATE)
    assert annotation_ids(dataset) == [CONTAINER_ID, "second"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset.jsonl"]


def test_export_releases_the_gil(tmp_path):
    span = 400_000
    line = {
        "type": "annotation",
        "data": {
            "id": "long",
            "videoId": "v",
            "boundingBoxSequence": {"boxes": [box(0), box(span - 1, x=500)]},
        },
    }
    source = write_lines(tmp_path / "long.jsonl", [line])
    out = tmp_path / "long-out.jsonl"
    assert not overlaps(lambda: sum(range(20_000_000)))
    assert any(
        overlaps(lambda: fovea.export_jsonl(source, out, mode="interpolated")) for _ in range(3)
    )
    assert fovea.stats_jsonl(out)["frames"] == span


# --- stats and validation -------------------------------------------------------------------


def test_stats(dataset, tmp_path):
    stats = fovea.stats_jsonl(dataset)
    assert stats == {
        "lines": {"annotation": 2, "metadata": 1, "video": 2},
        "annotations": 2,
        "keyframes": 6,
        "frames": 371,
        "interpolatedFrames": 365,
        "singleKeyframeSequences": 0,
        "invalidAnnotations": 0,
        "unreadableLines": 0,
        "bytes": dataset.stat().st_size,
    }
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{oops\n" + json.dumps({"type": "annotation", "data": {"id": "x"}}) + "\n")
    stats = fovea.stats_jsonl(broken)
    assert (stats["unreadableLines"], stats["annotations"], stats["invalidAnnotations"]) == (
        1,
        1,
        1,
    )


LINE_CASES = [c for c in CASES if "line" in c]


def test_line_cases_are_present():
    assert {c["profile"] for c in LINE_CASES} == {"default", "fovea"}
    assert len(LINE_CASES) >= 10


@pytest.mark.parametrize("case", LINE_CASES, ids=[c["name"] for c in LINE_CASES])
def test_validation_cases(case, tmp_path):
    path = write_lines(tmp_path / "case.jsonl", [case["line"]])
    report = fovea.validate_jsonl(path, profile=case["profile"])
    assert report["valid"] == case["valid"], report
    assert report["lines"] == 1
    assert report["invalidLines"] == (0 if case["valid"] else 1)
    assert report["truncated"] == 0
    if "errors" in case:
        assert [i["message"] for i in report["errors"]] == case["errors"]
        assert [i["message"] for i in report["warnings"]] == case["warnings"]
    if "errorCodes" in case:
        assert [i["code"] for i in report["errors"]] == case["errorCodes"]
        assert [i["code"] for i in report["warnings"]] == case["warningCodes"]
    for issue in report["errors"] + report["warnings"]:
        assert issue["line"] == 1 and issue["message"] and issue["code"]
    assert all(i["severity"] == "error" for i in report["errors"])
    assert all(i["severity"] == "warning" for i in report["warnings"])


def test_validation_profiles_differ_on_shared_boundaries():
    # FOVEA's validator rejects the segment layout FOVEA writes; the default profile does not.
    assert fovea.validate_jsonl(CONTAINER)["valid"] is True
    fovea_report = fovea.validate_jsonl(CONTAINER, profile="fovea")
    assert fovea_report["valid"] is False
    assert [i["message"] for i in fovea_report["errors"]] == [
        "Overlapping interpolation segments: [0, 120] and [120, 240]",
        "Overlapping interpolation segments: [120, 240] and [240, 360]",
    ]


def test_validation_of_a_file_with_unreadable_lines_and_a_cap(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{bad\n\n{"type":"video","data":{}}\n' + CONTAINER.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    report = fovea.validate_jsonl(path)
    assert report["valid"] is False
    assert (report["lines"], report["invalidLines"]) == (3, 2)
    assert [(i["line"], i["code"]) for i in report["errors"]] == [
        (1, "invalid-json"),
        (3, "missing-field"),
    ]
    capped = fovea.validate_jsonl(path, max_issues=1)
    assert len(capped["errors"]) + len(capped["warnings"]) == 1 and capped["truncated"] == 1
    with pytest.raises(fovea.InvalidOptionError):
        fovea.validate_jsonl(path, profile="strict")


# --- preview and merge ----------------------------------------------------------------------


@pytest.fixture
def existing(tmp_path):
    return write_lines(tmp_path / "existing.jsonl", SCENARIOS["existing"])


def scenario(name_start):
    return next(s for s in SCENARIOS["scenarios"] if s["name"].startswith(name_start))


def test_preview_counts_and_conflicts(existing, tmp_path):
    s = scenario("TV-20 A")
    incoming = write_lines(tmp_path / "in.jsonl", s["lines"])
    preview = fovea.preview_import(incoming, existing=existing)
    assert set(preview) == {
        "counts",
        "conflicts",
        "warnings",
        "issues",
        "issuesTruncated",
        "errors",
    }
    assert preview["counts"]["annotations"] == 2
    assert preview["counts"]["unreadableLines"] == 0
    assert [(c["type"], c["line"]) for c in preview["conflicts"]] == [("duplicate-object", 2)]
    conflict = preview["conflicts"][0]
    assert {"type", "line", "originalId", "details"} <= set(
        conflict
    ) and "resolution" not in conflict
    # Against an empty store, everything the file references is missing.
    empty = fovea.preview_import(incoming)
    assert {c["type"] for c in empty["conflicts"]} == {"missing-dependency"}
    assert fovea.preview_import(incoming, existing=None) == empty
    # Nothing is written.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.jsonl", "in.jsonl"]


def test_preview_reports_fovea_s_counts_and_warnings(existing, tmp_path):
    incoming = tmp_path / "in.jsonl"
    incoming.write_text(
        '{"type":"annotation","data":{"id":"a","videoId":"vid-1","personaId":"p-1","typeId":"t",'
        '"typeCategory":"entity","boundingBoxSequence":{"boxes":[{"x":0,"y":0,"width":0,"height":1,'
        '"frameNumber":0}]}}}\n\n{oops\n'
    )
    preview = fovea.preview_import(incoming, existing=existing)
    counts = preview["counts"]
    assert (counts["annotations"], counts["totalKeyframes"], counts["singleKeyframeSequences"]) == (
        1,
        1,
        1,
    )
    assert (counts["invalidLines"], counts["unreadableLines"]) == (1, 1)
    assert [(e["line"], e["code"]) for e in preview["errors"]] == [(3, "invalid-json")]
    assert preview["warnings"][0].startswith("Line 1: ")
    assert preview["issues"][0]["code"] == "invalid-box-size"
    assert fovea.preview_import(incoming, existing=existing, max_issues=0)["issuesTruncated"] >= 1


def test_preview_checks_boxes_against_the_existing_videos_sizes(existing, tmp_path):
    # vid-1 of the shared store is 1920 pixels wide.
    wide = json.loads(json.dumps(scenario("TV-20 A")["lines"][0]))
    assert wide["type"] == "annotation"
    wide["data"]["id"] = "wide"
    wide["data"]["boundingBoxSequence"]["boxes"][0]["x"] = 1900
    incoming = write_lines(tmp_path / "wide.jsonl", [wide])

    def outside(preview):
        return [i for i in preview["issues"] if i["code"] == "box-outside-frame"]

    assert len(outside(fovea.preview_import(incoming, existing=existing))) == 1
    assert outside(fovea.preview_import(incoming)) == [], "no size is known in an empty store"


def test_preview_and_merge_spill_where_they_are_told(existing, tmp_path):
    # Every scenario's lines in one file: conflicts with the store and within the file.
    lines = [line for s in SCENARIOS["scenarios"] for line in s["lines"]]
    incoming = write_lines(tmp_path / "all.jsonl", lines)
    spill = tmp_path / "spill"
    spill.mkdir()
    in_memory = fovea.preview_import(incoming, existing=existing)
    assert len(in_memory["conflicts"]) > 5
    # A budget of 0 bytes spills the in-file tables at every record: the same preview.
    for where in (spill, str(spill)):
        assert (
            fovea.preview_import(incoming, existing=existing, memory_budget=0, spill_dir=where)
            == in_memory
        )
    options = {"transaction": {"atomic": False}}

    def merged(name, **memory):
        out = tmp_path / name
        result = fovea.merge_jsonl(
            existing, incoming, out, options=options, export_date=DATE, **memory
        )
        return result["result"], out.read_bytes()

    assert merged("spilled.jsonl", memory_budget=0, spill_dir=spill) == merged("in-memory.jsonl")
    # A spill directory is checked when given, a budget must be a size.
    for bad, reason in ((tmp_path / "missing", "No such file"), (incoming, "not a directory")):
        with pytest.raises(fovea.IoError) as info:
            fovea.preview_import(incoming, spill_dir=bad)
        assert str(bad) in str(info.value) and reason in str(info.value)
        with pytest.raises(fovea.IoError):
            fovea.merge_jsonl(existing, incoming, tmp_path / "never.jsonl", spill_dir=bad)
    assert not (tmp_path / "never.jsonl").exists()
    with pytest.raises(OverflowError):
        fovea.preview_import(incoming, memory_budget=-1)
    with pytest.raises(TypeError):
        fovea.preview_import(incoming, spill_dir=3)


def test_an_unreadable_existing_dataset_is_refused(tmp_path):
    store = tmp_path / "store.jsonl"
    store.write_text(CONTAINER.read_text(encoding="utf-8") + "{oops\n")
    with pytest.raises(fovea.InvalidJsonError) as info:
        fovea.preview_import(CONTAINER, existing=store)
    assert info.value.line == 2
    with pytest.raises(fovea.InvalidJsonError):
        fovea.merge_jsonl(store, CONTAINER, store)
    assert store.read_text().endswith("{oops\n")


def frames_of(path, ident):
    return [b["frameNumber"] for b in boxes_of(read_lines(path), ident)]


@pytest.mark.parametrize(
    "s", SCENARIOS["scenarios"], ids=[s["name"] for s in SCENARIOS["scenarios"]]
)
def test_merge_scenarios(s, existing, tmp_path):
    want = s["expect"]
    incoming = write_lines(tmp_path / "incoming.jsonl", s["lines"])
    out = tmp_path / "merged.jsonl"
    merged = fovea.merge_jsonl(existing, incoming, out, options=s["options"], export_date=DATE)
    assert set(merged) == {"preview", "result", "stats"}
    result = merged["result"]
    ctx = f"{s['name']}: {json.dumps(result, indent=1)}"
    assert result["success"] == want["success"], ctx
    assert result["committed"] == want["committed"], ctx
    items, skipped = result["summary"]["importedItems"], result["summary"]["skippedItems"]
    assert items["annotations"] == want["imported"], ctx
    assert skipped["annotations"] == want.get("skippedAnnotations", 0), ctx
    assert skipped["worldObjects"] == want.get("skippedWorld", 0), ctx
    assert items["placeholders"] == want.get("placeholders", 0), ctx
    assert [[c["type"], c["line"], c.get("resolution")] for c in result["conflicts"]] == want[
        "conflicts"
    ], ctx
    for key, messages in (("errorTypes", result["errors"]), ("warningTypes", result["warnings"])):
        if key in want:
            assert [m["type"] for m in messages] == want[key], ctx
    if not result["committed"]:
        # A failed atomic import changes nothing: nothing is written.
        assert merged["stats"] is None
        assert not out.exists()
        assert items["annotations"] + items["personas"] + items["entities"] == 0
        if "after" in want:
            assert annotation_ids(existing) == want["after"]
        return
    records = read_lines(out)
    assert records[-1]["type"] == "metadata" and records[-1]["data"]["exportDate"] == DATE
    assert merged["stats"]["annotationCount"] == len(annotation_ids(out))
    assert merged["stats"]["bytes"] == out.stat().st_size
    if "after" in want:
        assert annotation_ids(out) == want["after"], ctx
    if "afterCount" in want:
        assert len(annotation_ids(out)) == want["afterCount"], ctx
    for ident, frames in want.get("keyframes", {}).items():
        assert frames_of(out, ident) == frames, f"{s['name']}: keyframes of {ident}"
    for ident, segments in want.get("segments", {}).items():
        got = next(r for r in records if r["data"].get("id") == ident)["data"][
            "boundingBoxSequence"
        ]
        assert [
            [g["startFrame"], g["endFrame"], g["type"]] for g in got["interpolationSegments"]
        ] == segments
    for ident, hidden in want.get("hidden", {}).items():
        got = next(r for r in records if r["data"].get("id") == ident)["data"][
            "boundingBoxSequence"
        ]
        assert [
            [v["startFrame"], v["endFrame"]] for v in got["visibilityRanges"] if not v["visible"]
        ] == hidden
    if "videos" in want:
        assert [r["data"]["id"] for r in records if r["type"] == "video"] == want["videos"]
    if "personaCount" in want:
        ontology = next(r for r in records if r["type"] == "ontology")
        assert len(ontology["data"]["personas"]) == want["personaCount"]
    # The existing file is left as it was.
    assert read_lines(existing) == SCENARIOS["existing"]


def test_merge_in_place_with_json_options(existing):
    s = scenario("TV-20 C")
    incoming = write_lines(existing.parent / "incoming.jsonl", s["lines"])
    merged = fovea.merge_jsonl(str(existing), incoming, existing, options=json.dumps(s["options"]))
    assert merged["result"]["success"] and merged["stats"]["annotationCount"] == 1
    assert frames_of(existing, "ann-dup") == [0]
    assert sorted(p.name for p in existing.parent.iterdir()) == ["existing.jsonl", "incoming.jsonl"]


def test_merge_into_an_empty_dataset(tmp_path):
    out = tmp_path / "out.jsonl"
    merged = fovea.merge_jsonl(
        None,
        CONTAINER,
        out,
        options={"conflictResolution": {"missingDependencies": "create-placeholder"}},
    )
    result = merged["result"]
    assert result["success"] and result["summary"]["importedItems"]["placeholders"] == 2
    assert annotation_ids(out) == [CONTAINER_ID]
    # The placeholders are written: a persona in the ontology line, and the video.
    types = [r["type"] for r in read_lines(out)]
    assert types == ["ontology", "annotation", "video", "metadata"]
    assert len(frames_of(out, CONTAINER_ID)) == 4  # keyframes mode


def test_merge_non_atomic_with_failed_lines_is_written(existing, tmp_path):
    s = scenario("TV-20 K2")
    incoming = write_lines(tmp_path / "incoming.jsonl", s["lines"])
    out = tmp_path / "out.jsonl"
    merged = fovea.merge_jsonl(existing, incoming, out, options=s["options"])
    assert (merged["result"]["success"], merged["result"]["committed"]) == (False, True)
    assert annotation_ids(out) == s["expect"]["after"]


@pytest.mark.parametrize(
    "options, error",
    [
        ({"conflictResolution": {"bogus": "skip"}}, fovea.InvalidOptionError),
        (
            {"conflictResolution": {"sequences": {"duplicateSequenceIds": "overwrite"}}},
            fovea.InvalidOptionError,
        ),
        ('{"transaction": {"atomc": false}}', fovea.InvalidOptionError),
        (
            {"resolutions": [{"line": 1, "type": "duplicate-sequence", "resolution": "rename"}]},
            fovea.InvalidOptionError,
        ),
        ('{"transaction": ', fovea.InvalidJsonError),
        ([1], fovea.InvalidTypeError),
        ({"validation": {"strictMode": float("nan")}}, fovea.NonFiniteNumberError),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(existing, tmp_path, options, error):
    out = tmp_path / "out.jsonl"
    with pytest.raises(error):
        fovea.merge_jsonl(existing, CONTAINER, out, options=options)
    assert not out.exists()
    assert read_lines(existing) == SCENARIOS["existing"]


def test_merge_arguments(existing, tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(fovea.InvalidOptionError):
        fovea.merge_jsonl(existing, CONTAINER, out, profile="nope")
    with pytest.raises(fovea.InvalidTypeError) as info:
        fovea.merge_jsonl(existing, 7, out)
    assert info.value.path == "incoming"
    assert not out.exists()
    assert os.listdir(tmp_path) == ["existing.jsonl"]


MERGE_SCENARIOS = json.loads((TESTDATA / "ops" / "merge.json").read_text())


@pytest.mark.parametrize("case", MERGE_SCENARIOS["cases"], ids=lambda c: c["name"])
def test_merge_scenarios_report_as_every_front_end_does(tmp_path, case):
    """testdata/ops/merge.json: the Rust operation, the CLI and Node report the same."""
    existing, incoming, out = (tmp_path / n for n in ("existing.jsonl", "in.jsonl", "out.jsonl"))
    write_lines(existing, MERGE_SCENARIOS["existing"])
    write_lines(incoming, case["incoming"])
    kwargs = {}
    if "profile" in case["options"]:
        kwargs["profile"] = case["options"]["profile"]
    if "maxIssues" in case["options"]:
        kwargs["max_issues"] = case["options"]["maxIssues"]
    report = fovea.merge_jsonl(existing, incoming, out, **kwargs)
    got = {
        "committed": report["result"]["committed"],
        "success": report["result"]["success"],
        "imported": report["result"]["summary"]["importedItems"]["annotations"],
        "written": report["stats"] and report["stats"]["annotationCount"],
        "issueCodes": [i["code"] for i in report["preview"]["issues"]],
        "issuesTruncated": report["preview"]["issuesTruncated"],
    }
    assert got == case["expect"]


ERROR_SCENARIOS = json.loads((TESTDATA / "ops" / "errors.json").read_text())
OS_ERRORS = {"not-found": FileNotFoundError, "is-a-directory": IsADirectoryError}
PY_NAMES = {"annotationTypes": "annotation_types"}


@pytest.mark.parametrize("case", ERROR_SCENARIOS["cases"], ids=lambda c: c["name"])
def test_error_scenarios_fail_alike_in_every_front_end(tmp_path, case):
    """testdata/ops/errors.json: the same code, I/O kind and line as the CLI and Node."""
    source = case["input"]
    if source.get("missing"):
        path = tmp_path / "missing.jsonl"
    elif source.get("folder"):
        path = tmp_path
    else:
        path = tmp_path / "in.jsonl"
        path.write_text("".join(line + "\n" for line in source["lines"]))
    existing = tmp_path / "existing.jsonl"
    existing.write_text("".join(line + "\n" for line in case.get("existing", [])))
    out = tmp_path / "out.jsonl"
    kwargs = {PY_NAMES.get(k, k): v for k, v in case["options"].items()}
    call = {
        "stats": lambda: fovea.stats_jsonl(path, **kwargs),
        "validate": lambda: fovea.validate_jsonl(path, **kwargs),
        "export": lambda: fovea.export_jsonl(path, out, **kwargs),
        "merge": lambda: fovea.merge_jsonl(existing, path, out, **kwargs),
    }[case["op"]]
    expect = case["expect"]
    with pytest.raises(fovea.FoveaError) as info:
        call()
    assert info.value.code == expect["code"]
    assert info.value.line == expect["line"]
    if expect["ioKind"]:
        assert isinstance(info.value, OS_ERRORS[expect["ioKind"]])

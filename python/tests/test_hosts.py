"""The Python host's conventions: optional extras (ImportError naming the extra), Arrow frame
tables through the PyCapsule interface (pyarrow, polars, pandas), pickling of sequences and
results, the version, and fovea.plot (matplotlib)."""

import importlib
import json
import pathlib
import pickle
import subprocess
import sys
import textwrap
import tomllib

import numpy as np
import pytest

import fovea

from conftest import TESTDATA, require_modules

REPO = pathlib.Path(__file__).resolve().parents[2]
CONTAINER = TESTDATA / "interp" / "container-ship.jsonl"


def require(module: str):
    """The module, or a skip (a failure when the test script requires every dependency)."""
    require_modules(module, install=f"pip install {module}")
    return importlib.import_module(module)


def seq_with_gap() -> fovea.Sequence:
    return fovea.Sequence(
        {
            "boxes": [
                {"x": 0, "y": 0, "width": 10, "height": 10, "frameNumber": 0},
                {"x": 40, "y": 20, "width": 10, "height": 10, "frameNumber": 4},
                {"x": 40, "y": 20, "width": 20, "height": 10, "frameNumber": 8},
            ],
            "interpolationSegments": [{"startFrame": 4, "endFrame": 8, "type": "hold"}],
            "visibilityRanges": [{"startFrame": 2, "endFrame": 2, "visible": False}],
        }
    )


def dataset(tmp_path: pathlib.Path) -> pathlib.Path:
    """Two annotations on two videos, with a video line and a blank line between."""
    first = json.loads(CONTAINER.read_text(encoding="utf-8"))
    second = json.loads(json.dumps(first))
    second["data"]["id"] = "second"
    second["data"]["videoId"] = "video-2"
    second["data"]["boundingBoxSequence"] = seq_with_gap().to_dict()
    path = tmp_path / "two.jsonl"
    lines = [first, {"type": "video", "data": {"id": "video-2"}}, second]
    path.write_text("\n\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


# --- version and packaging -----------------------------------------------------------------


def test_version_is_the_crate_version():
    cargo = tomllib.loads((REPO / "Cargo.toml").read_text(encoding="utf-8"))
    assert fovea.__version__ == cargo["workspace"]["package"]["version"]


def test_every_extra_is_declared():
    project = tomllib.loads((REPO / "python" / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    extras = project["optional-dependencies"]
    for extra, package in [
        ("numpy", "numpy"),
        ("arrow", "pyarrow"),
        ("pandas", "pandas"),
        ("plot", "matplotlib"),
    ]:
        assert any(req.startswith(package) for req in extras[extra]), (extra, extras[extra])
    assert project["dependencies"] == []


@pytest.mark.parametrize(
    "blocked, call, extra",
    [
        ("numpy", "fovea.Sequence(seq).to_numpy()", "numpy"),
        ("pyarrow", "fovea.Sequence(seq).frames().to_arrow()", "arrow"),
        ("pandas", "fovea.Sequence(seq).frames().to_pandas()", "pandas"),
        ("pyarrow", "fovea.Sequence(seq).frames().to_pandas()", "pandas"),
        ("matplotlib", "import fovea.plot; fovea.plot.plot(seq)", "plot"),
    ],
)
def test_a_missing_extra_raises_import_error_naming_it(blocked, call, extra):
    # A fresh interpreter in which the module cannot be imported (None in sys.modules).
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules[{blocked!r}] = None
        import fovea
        seq = {{"boxes": [{{"x": 0, "y": 0, "width": 1, "height": 1, "frameNumber": 0}}]}}
        try:
            exec({call!r})
        except ImportError as e:
            print("IMPORT-ERROR:", e)
        else:
            print("NO ERROR")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert "IMPORT-ERROR:" in out, out
    assert f"pip install fovea[{extra}]" in out, out


def test_importing_fovea_needs_no_extra():
    script = "import sys\nfor m in ('numpy', 'pyarrow', 'pandas', 'matplotlib', 'tqdm'):\n    sys.modules[m] = None\nimport fovea, fovea.plot\nprint(fovea.Sequence({'boxes': []}).frame_count)"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"


# --- Arrow ---------------------------------------------------------------------------------


def test_sequence_frames_are_an_arrow_stream_for_pyarrow():
    pa = require("pyarrow")
    seq = seq_with_gap()
    table = pa.table(seq.frames())
    assert table.column_names == ["frame", "x", "y", "width", "height", "isKeyframe"]
    assert table.schema.field("frame").type == pa.int64()
    assert table.schema.field("x").type == pa.float64()
    # Every visible frame (2 is hidden), as the engine computes them.
    frames, boxes = seq.to_numpy()
    assert table.column("frame").to_pylist() == frames.tolist()
    got = np.column_stack([table.column(c).to_numpy() for c in ["x", "y", "width", "height"]])
    np.testing.assert_array_equal(got, boxes)
    assert table.column("isKeyframe").to_pylist() == [f in (0, 4, 8) for f in frames.tolist()]
    keys = pa.table(seq.frames("keyframes"))
    assert keys.column("frame").to_pylist() == [0, 4, 8]
    # Readable again, and through to_arrow().
    assert seq.frames().to_arrow().equals(table)


def test_file_frame_table_streams_every_annotation_with_dictionary_ids(tmp_path):
    pa = require("pyarrow")
    path = dataset(tmp_path)
    table = pa.table(fovea.frames_jsonl(path, mode="interpolated"))
    assert table.column_names == [
        "annotationId",
        "videoId",
        "frame",
        "x",
        "y",
        "width",
        "height",
        "isKeyframe",
    ]
    assert pa.types.is_dictionary(table.schema.field("annotationId").type)
    ids = table.column("annotationId").to_pylist()
    first = json.loads(CONTAINER.read_text(encoding="utf-8"))["data"]
    expected_first = fovea.Sequence(first).frame_count
    assert ids.count(first["id"]) == expected_first
    assert ids.count("second") == seq_with_gap().frame_count
    assert set(table.column("videoId").to_pylist()) == {first["videoId"], "video-2"}
    # Filters as in export_jsonl; keyframes mode has one row per keyframe.
    only = pa.table(fovea.frames_jsonl(path, video_ids=["video-2"]))
    assert only.column("annotationId").to_pylist() == ["second"] * 3
    assert only.column("frame").to_pylist() == [0, 4, 8]


def test_file_frame_table_raises_the_unreadable_line(tmp_path):
    pa = require("pyarrow")
    path = dataset(tmp_path)
    with path.open("a", encoding="utf-8") as f:
        f.write("{broken\n")
    with pytest.raises(Exception) as info:
        pa.table(fovea.frames_jsonl(path))
    assert "line 6" in str(info.value), info.value
    with pytest.raises(fovea.InvalidOptionError):
        fovea.frames_jsonl(path, mode="sometimes")


def test_polars_and_pandas_take_frame_tables(tmp_path):
    pl = require("polars")
    require("pandas")
    path = dataset(tmp_path)
    df = pl.DataFrame(fovea.frames_jsonl(path, mode="interpolated"))
    assert df.columns[:3] == ["annotationId", "videoId", "frame"]
    assert df.filter(pl.col("annotationId") == "second")["frame"].to_list() == [
        0,
        1,
        3,
        4,
        5,
        6,
        7,
        8,
    ]
    pdf = fovea.frames_jsonl(path, mode="interpolated").to_pandas()
    assert len(pdf) == len(df)
    assert str(pdf["annotationId"].dtype) == "category"
    assert (
        pdf[pdf["annotationId"] == "second"]["x"].tolist()
        == df.filter(pl.col("annotationId") == "second")["x"].to_list()
    )


# --- pickling ------------------------------------------------------------------------------


def test_sequences_and_results_pickle(tmp_path):
    seq = seq_with_gap()
    again = pickle.loads(pickle.dumps(seq))
    assert again == seq and again.interpolate() == seq.interpolate()
    path = dataset(tmp_path)
    results = [
        fovea.stats_jsonl(path),
        fovea.validate_jsonl(path),
        fovea.preview_import(path, existing=path),
        fovea.export_jsonl(path, tmp_path / "out.jsonl", export_date="2026-01-01T00:00:00.000Z"),
        seq.plot_data(),
    ]
    for result in results:
        assert pickle.loads(pickle.dumps(result)) == result


# --- plots ---------------------------------------------------------------------------------


def test_plot_data_describes_path_modes_and_hidden_frames():
    data = seq_with_gap().plot_data()
    assert data["span"] == [0, 8]
    assert data["hidden"] == [[2, 2]]
    assert data["segments"] == [[0, 4, "linear"], [4, 8, "hold"]]
    assert [[p[0] for p in run] for run in data["path"]] == [[0, 1], [3, 4, 5, 6, 7, 8]]
    assert data["path"][1][-1] == [8, 50.0, 25.0]
    assert fovea.Sequence({"boxes": []}).plot_data() is None


def test_fovea_plot_draws_both_pictures_with_matplotlib(tmp_path):
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    import fovea.plot

    fig = fovea.plot.plot(seq_with_gap(), title="gap")
    top, bottom = fig.axes
    lines = [line for line in top.get_lines() if len(line.get_xdata()) > 1]
    assert len(lines) == 2  # the path is split at the hidden frame
    assert [t.get_text() for t in bottom.get_yticklabels()] == [
        "visibility",
        "segments",
        "keyframes",
    ]
    labels = bottom.get_legend_handles_labels()[1]
    assert labels == ["visible", "hidden", "linear", "hold"]
    out = tmp_path / "plot.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no keyframes"):
        fovea.plot.plot({"boxes": []})


# --- progress and Ctrl-C -------------------------------------------------------------------


def big_file(path: pathlib.Path, annotations: int) -> pathlib.Path:
    """`annotations` copies of the container ship under distinct ids (about 1.3 KB each)."""
    line = json.loads(CONTAINER.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as f:
        for i in range(annotations):
            line["data"]["id"] = f"ship-{i}"
            f.write(json.dumps(line) + "\n")
    return path


def test_progress_callback_sees_bytes_read_up_to_the_total(tmp_path):
    path = big_file(tmp_path / "big.jsonl", 2000)
    size = path.stat().st_size
    calls = []
    report = fovea.validate_jsonl(path, progress=lambda done, total: calls.append((done, total)))
    assert report["valid"]
    assert len(calls) >= 2, calls  # after the first 256 KiB, and at the end
    assert all(total == size for _, total in calls)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and 0 < dones[0] < size
    assert calls[-1] == (size, size)
    # Export reads the source once per group: the total says so.
    calls.clear()
    fovea.export_jsonl(path, tmp_path / "out.jsonl", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1][0] == calls[-1][1] and calls[-1][1] % size == 0 and calls[-1][1] > size


def test_an_exception_in_the_callback_stops_the_call_and_writes_nothing(tmp_path):
    path = big_file(tmp_path / "big.jsonl", 2000)
    dest = tmp_path / "merged.jsonl"

    def stop(done, total):
        raise RuntimeError(f"stop at {done} of {total}")

    with pytest.raises(RuntimeError, match="stop at"):
        fovea.merge_jsonl(None, path, dest, progress=stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl"]
    with pytest.raises(fovea.InvalidTypeError, match="progress"):
        fovea.stats_jsonl(path, progress="yes")


def test_progress_true_draws_a_tqdm_bar(tmp_path, capsys):
    require("tqdm")
    path = big_file(tmp_path / "big.jsonl", 500)
    fovea.stats_jsonl(path, progress=True)
    err = capsys.readouterr().err
    assert "stats" in err and "100%" in err, err


def test_ctrl_c_interrupts_a_long_call(tmp_path):
    # In a child interpreter: on the first progress report a thread sends SIGINT; the call,
    # back in Rust without the GIL, must notice it at its next look at Python and stop.
    path = big_file(tmp_path / "big.jsonl", 10000)
    dest = tmp_path / "out.jsonl"
    script = textwrap.dedent(
        f"""
        import os, signal, threading, fovea
        seen = []
        def progress(done, total):
            seen.append(done)
            if len(seen) == 1:
                threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()
        try:
            fovea.export_jsonl({str(path)!r}, {str(dest)!r}, progress=progress)
        except KeyboardInterrupt:
            print("INTERRUPTED after", seen[-1], "bytes")
        else:
            print("FINISHED")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    ).stdout
    assert out.startswith("INTERRUPTED"), out
    assert not dest.exists()


def test_repeated_ids_and_one_video_make_valid_categoricals(tmp_path):
    require("pandas")
    require("pyarrow")
    # Three ships and the fixture's own annotation twice, all on one video.
    path = big_file(tmp_path / "same.jsonl", 3)
    with path.open("a", encoding="utf-8") as f:
        f.write(CONTAINER.read_text(encoding="utf-8"))
        f.write(CONTAINER.read_text(encoding="utf-8"))
    df = fovea.frames_jsonl(path).to_pandas()
    assert list(df["videoId"].cat.categories) == [
        json.loads(CONTAINER.read_text())["data"]["videoId"]
    ]
    assert len(df["annotationId"].cat.categories) == 4
    assert (
        df["annotationId"].value_counts().max() == 2 * 4
    )  # the repeated annotation's 4 keyframes, twice

"""The quickstart notebook (python/notebooks/quickstart.ipynb) runs top to bottom in a fresh
kernel, with a temporary folder as its working directory, and computes what it says.

Needs nbclient, nbformat, ipykernel and matplotlib: skipped without them, failed instead when
FOVEA_REQUIRE_SERVICES=1 (scripts/test)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from conftest import require_modules

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


require_modules(
    "nbclient",
    "nbformat",
    "ipykernel",
    "matplotlib",
    install="pip install nbclient nbformat ipykernel matplotlib",
    module_level=True,
)

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402


def stream_text(cell: Any) -> str:
    return "".join(o["text"] for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def test_the_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_the_quickstart_notebook_runs_and_computes_what_it_says(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(stream_text(c) for c in nb.cells if c.cell_type == "code")

    # Edits: an end keyframe cannot be removed.
    assert "refused: end-keyframe" in text
    # Interpolation: the hidden frame, and the ship's eased frame 50 (ease-in, a quarter of
    # the way from x=40 to x=300 at t=0.5).
    assert "tug at 150:  None (hidden)" in text
    assert "ship at 50:  {'x': 105, 'y': 305," in text

    # Export: the interpolated file is many times the keyframes-only one.
    m = re.search(r"size ratio interpolated/keyframes: ([0-9.]+)", text)
    assert m, text
    assert 20 < float(m.group(1)) < 60
    assert re.search(r"interpolated\s+\d+ bytes\s+8 keyframes\s+782 interpolated frames", text)

    # Import: the conflicts found, and how each was resolved.
    assert (
        "line 1: duplicate-sequence   ship" in text and "line 3: missing-dependency   gull" in text
    )
    assert "line 1: duplicate-sequence   -> merge-keyframes" in text
    assert "line 2: duplicate-sequence   -> replace" in text
    assert "line 3: missing-dependency   -> create-placeholder" in text
    assert (
        "ship  keyframes (frame, x): [(0, 40), (100, 300), (150, 480), (200, 650), (299, 980)]"
        in text
    )
    assert "stored: ['buoy', 'gull', 'ship', 'tug']" in text

    # Tracking: completed, the lost stretch hidden rather than bridged, exact reproduction.
    assert "status: completed - progress: 100" in text
    assert "tug: 129 tracked frames kept as 4 keyframes" in text
    assert "visibility: [(0, 59, True), (60, 80, False), (81, 149, True)]" in text
    assert "largest difference between the track and its keyframe interpolation: 0.000 px" in text

    # Review: the tug is a pending candidate, plotted, then accepted as a type annotation;
    # a second review of the version already reviewed is refused.
    assert "candidate: 1 tug pending - version 1 - 4 keyframes" in text
    assert "accepted as track-tug-obj1 - state: accepted - version 2" in text
    assert "a second review of version 1 is refused: conflict" in text
    assert "stored: ['buoy', 'gull', 'ship', 'track-tug-obj1', 'tug']" in text

    # fovea.plot's figure, and the frame table (pandas over Arrow) agreeing with the export.
    assert "timeline lanes: ['visibility', 'segments', 'keyframes']" in text
    rows = re.search(r"rows per annotation: (\{.*\})", text)
    assert rows, text
    per_annotation = ast.literal_eval(rows.group(1))
    total = re.search(r"rows in the interpolated export: (\d+)", text)
    assert total and sum(per_annotation.values()) == int(total.group(1)) == 8 + 782

    # Five figures, drawn inline.
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 5

    # The notebook cleans up the folder it worked in.
    workdir = re.search(r"working in (\S+)", text)
    assert workdir and not Path(workdir.group(1)).exists()

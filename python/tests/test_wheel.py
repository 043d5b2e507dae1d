"""The package as a user gets it: `maturin build` makes an abi3 wheel, which installs into a
clean virtual environment (no numpy or other extras) and works there; a missing extra is an
ImportError naming it."""

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import venv

import pytest

import fovea

REPO = pathlib.Path(__file__).resolve().parents[2]


def _maturin() -> str:
    found = shutil.which("maturin", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
        "maturin"
    )
    if found is None:
        if os.environ.get("FOVEA_REQUIRE_SERVICES") == "1":
            pytest.fail("maturin is needed to build the wheel")
        pytest.skip("no maturin")
    return found


def test_the_abi3_wheel_installs_and_works_in_a_clean_venv(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [_maturin(), "build", "--release", "--quiet", "--out", str(wheels)],
        cwd=REPO / "python",
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("*.whl")
    assert wheel.name.startswith(f"fovea-{fovea.__version__}-cp39-abi3-"), wheel.name

    env_dir = tmp_path / "clean"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    script = textwrap.dedent(
        """
        import fovea, fovea.plot
        seq = fovea.Sequence({"boxes": [
            {"x": 0, "y": 0, "width": 10, "height": 10, "frameNumber": 0},
            {"x": 10, "y": 0, "width": 10, "height": 10, "frameNumber": 4}]})
        print(fovea.__version__, seq.frame_count, seq.at(2)["x"])
        try:
            seq.to_numpy()
        except ImportError as e:
            print("numpy:", e)
        """
    )
    # Outside the repository, so that only the installed package can be imported.
    out = subprocess.run(
        [str(python), "-c", script], cwd=tmp_path, check=True, capture_output=True, text=True
    ).stdout
    lines = out.splitlines()
    assert lines[0] == f"{fovea.__version__} 5 5"
    assert "pip install fovea[numpy]" in lines[1]

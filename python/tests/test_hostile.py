"""The hostile-input suite (testdata/hostile/cases.json) through Python: each case's
operations called on the package in a folder of their own, checking the outcome (the success
flag, or the error raised and its code), the texts the report or message must hold, that no
temporary file is left behind and, for the memory cases, the peak RSS of a subprocess limited
with RLIMIT_AS. The command-line and Node suites run the same cases."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import fovea

HOSTILE = Path(__file__).resolve().parents[2] / "testdata" / "hostile"
MANIFEST = json.loads((HOSTILE / "cases.json").read_text())
OPTIONS = MANIFEST["importOptions"]
CASES = [(case, op, expect) for case in MANIFEST["cases"] for op, expect in case["expect"].items()]


def _input(case, folder: Path) -> Path:
    """The case's input in `folder`: its file copied, generated from its parts, or a folder."""
    if "file" in case:
        path = folder / case["file"]
        path.write_bytes((HOSTILE / case["file"]).read_bytes())
    elif case.get("folder"):
        path = folder / "input"
        path.mkdir()
    else:
        path = folder / "input"
        with path.open("wb") as f:
            for text, times in case["make"]:
                f.write(text.encode() * times)
    return path


def _postgres() -> "tuple[str, str]":
    server = os.environ.get("FOVEA_TEST_DATABASE_URL")
    if not server:
        if os.environ.get("FOVEA_REQUIRE_SERVICES") == "1":
            pytest.fail("FOVEA_TEST_DATABASE_URL is not set, and scripts/test requires Postgres")
        pytest.skip("FOVEA_TEST_DATABASE_URL is not set")
    name = f"fovea_hostile_py_{uuid.uuid4().hex}"
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return server, name


def _import(url: str, path: Path, migrate: bool) -> dict:
    with fovea.Store.connect(url) as store:
        if migrate:
            store.migrate()
        return store.import_jsonl(path, options=OPTIONS)


def _call(op: str, path: Path, folder: Path, store_dir: Path):
    """Runs `op`; returns (success flag, report)."""
    if op == "validate":
        r = fovea.validate_jsonl(path)
        return r["valid"], r
    if op == "stats":
        return True, fovea.stats_jsonl(path)
    if op == "preview":
        return True, fovea.preview_import(path)
    if op == "merge":
        r = fovea.merge_jsonl(None, path, folder / "out.jsonl", options=OPTIONS)
        return r["result"]["success"], r
    if op == "import":
        r = _import(f"sqlite://{store_dir / 'store.db'}", path, migrate=False)
        return r["result"]["success"], r
    if op == "import-postgres":
        server, name = _postgres()
        try:
            r = _import(server.rsplit("/", 1)[0] + "/" + name, path, migrate=True)
        finally:
            subprocess.run(
                ["psql", server, "-qc", f'DROP DATABASE "{name}" WITH (FORCE)'], check=True
            )
        return r["result"]["success"], r
    if op in ("export", "export-interpolated"):
        mode = "interpolated" if op == "export-interpolated" else "keyframes"
        r = fovea.export_jsonl(path, folder / "out.jsonl", mode=mode)
        return not r["readErrors"], r
    if op == "interpolate":
        line = next(json.loads(ln) for ln in path.read_text().splitlines() if '"annotation"' in ln)
        return True, {"frames": len(fovea.interpolate(line))}
    if op == "track":
        return True, fovea.check_tracking_job(json.loads(path.read_text()))
    raise AssertionError(f"unknown operation {op}")


# The child reports its own high-water mark (VmHWM): getrusage would also count what it shared
# with this process when forked.
_LIMITED = """
import resource, sys
import fovea
limit = int(sys.argv[1]) << 20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
r = fovea.export_jsonl(sys.argv[2], sys.argv[3], mode=sys.argv[4])
assert not r["readErrors"], r
status = open("/proc/self/status").read()
print(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")))
"""


def _run_limited(op: str, path: Path, folder: Path, memory: dict) -> int:
    """Runs an export in a subprocess limited to memory["virtualMb"]; returns its peak RSS (MB)."""
    mode = "interpolated" if op == "export-interpolated" else "keyframes"
    args = [
        sys.executable,
        "-c",
        _LIMITED,
        str(memory["virtualMb"]),
        str(path),
        str(folder / "out.jsonl"),
        mode,
    ]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return int(run.stdout.strip()) // 1024


@pytest.mark.parametrize("case,op,expect", CASES, ids=[f"{c['name']}-{op}" for c, op, _ in CASES])
def test_hostile_input(case, op, expect, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    path = _input(case, folder)
    before = set(os.listdir(folder))
    memory = expect.get("memory")
    if memory:
        peak = _run_limited(op, path, folder, memory)
        assert peak <= memory["peakRssMb"], f"peak RSS {peak} MB"
        assert expect["exit"] == 0
        text = ""
    elif "code" in expect:
        with pytest.raises(fovea.FoveaError) as raised:
            _call(op, path, folder, store_dir)
        assert raised.value.code == expect["code"], raised.value
        text = str(raised.value)
    else:
        ok, report = _call(op, path, folder, store_dir)
        assert ok == (expect["exit"] == 0), report
        text = json.dumps(report, separators=(",", ":"))
    for m in expect.get("mentions", []):
        alternatives = m if isinstance(m, list) else [m]
        assert any(a in text for a in alternatives), f"{m!r} not in {text[:2000]}"
    # Nothing is left behind but the output an operation that could read its input writes.
    new = set(os.listdir(folder)) - before
    allowed = {"out.jsonl"} if expect["exit"] != 2 else set()
    assert new <= allowed, new

"""Shared helpers of the fovea test suite: fixture loading and subset matching.

The fixtures live in the repository's ``testdata/`` folder, shared with the Rust and Node
suites; the matching rules are those of ``fovea-core/tests/fixtures.rs``.
"""

import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"


def require_modules(*modules: str, install: str, module_level: bool = False) -> None:
    """Imports `modules`, or skips the test (the whole file when `module_level`); under
    FOVEA_REQUIRE_SERVICES=1, when the test script has installed everything, it fails instead.
    `install` says how to get them."""
    import importlib
    import os

    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if not missing:
        return
    message = f"needs {', '.join(missing)} ({install})"
    if os.environ.get("FOVEA_REQUIRE_SERVICES") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=module_level)


def load_fixture(name: str) -> Any:
    return json.loads((TESTDATA / "interp" / name).read_text(encoding="utf-8"))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def assert_subset(actual: Any, expected: Any, at: str = "$") -> None:
    """`expected` is a subset of `actual`: objects by key, arrays element-wise with equal
    length, numbers within 1e-9 * max(1, |e|), everything else equal (booleans are not
    numbers)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{at}: expected an object, got {actual!r}"
        for k, ev in expected.items():
            assert k in actual, f"{at}.{k}: missing in {actual!r}"
            assert_subset(actual[k], ev, f"{at}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{at}: expected an array, got {actual!r}"
        assert len(actual) == len(expected), f"{at}: length of {actual!r}"
        for i, (av, ev) in enumerate(zip(actual, expected)):
            assert_subset(av, ev, f"{at}[{i}]")
    elif _is_number(expected):
        assert _is_number(actual), f"{at}: expected a number, got {actual!r}"
        assert abs(actual - expected) <= 1e-9 * max(1.0, abs(expected)), (
            f"{at}: {actual} != {expected}"
        )
    else:
        assert type(actual) is type(expected) and actual == expected, (
            f"{at}: {actual!r} != {expected!r}"
        )


@pytest.fixture
def two_keys() -> dict:
    """A linear 2-keyframe sequence over frames 0..10."""
    return {
        "boxes": [
            {"x": 0, "y": 0, "width": 100, "height": 100, "frameNumber": 0, "isKeyframe": True},
            {
                "x": 100,
                "y": 100,
                "width": 200,
                "height": 200,
                "frameNumber": 10,
                "isKeyframe": True,
            },
        ],
        "interpolationSegments": [],
        "visibilityRanges": [],
    }


def overlaps(work) -> bool:
    """Whether the main thread ran while `work` was running in another thread.

    With a huge switch interval the interpreter never forces a thread off the GIL, so the
    main thread (waiting for `started`) can run during `work` only if `work` releases the GIL.
    """
    started, main_ran = threading.Event(), threading.Event()
    seen = {}

    def worker():
        started.set()
        work()
        seen["overlap"] = main_ran.is_set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        t = threading.Thread(target=worker)
        t.start()
        started.wait()
        main_ran.set()
        t.join()
    finally:
        sys.setswitchinterval(old)
    return seen["overlap"]


def _redis_server_binary() -> "str | None":
    import os
    import shutil

    return os.environ.get("FOVEA_REDIS_SERVER") or shutil.which("redis-server")


@pytest.fixture
def redis_url():
    """A throwaway redis-server on a free loopback port (ready when its log says so), or the
    test is skipped without one — failed instead when FOVEA_REQUIRE_SERVICES=1."""
    import os
    import socket
    import subprocess
    import tempfile

    binary = _redis_server_binary()
    if binary is None:
        if os.environ.get("FOVEA_REQUIRE_SERVICES") == "1":
            pytest.fail(
                "no redis-server (FOVEA_REDIS_SERVER or PATH), and the test script requires Redis"
            )
        pytest.skip("no redis-server binary")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        log = []
        for line in proc.stdout:
            log.append(line)
            if "Ready to accept connections" in line:
                break
        else:
            pytest.fail("redis-server did not start:\n" + "".join(log))
        # Keep draining its log so the server never blocks on a full pipe.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        try:
            yield f"redis://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=30)

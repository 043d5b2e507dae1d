"""The FastAPI example server (python/examples/server/app.py) over real HTTP: uvicorn serves it
on a free loopback port in a background thread and httpx talks to it. One scenario — seed,
save an annotation, preview and run an import, export in both modes, a tracking job, errors —
runs on the embedded SQLite store with the in-process queue, and on Postgres with BullMQ on a
throwaway Redis.

Needs fastapi, uvicorn, httpx and python-multipart: skipped without them, failed instead when
FOVEA_REQUIRE_SERVICES=1 (scripts/test)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import fovea

from conftest import require_modules

require_modules(
    "fastapi",
    "uvicorn",
    "httpx",
    "python_multipart",
    install="pip install fastapi uvicorn httpx python-multipart",
    module_level=True,
)

import httpx  # noqa: E402
import uvicorn  # noqa: E402

SERVER_APP = Path(__file__).resolve().parents[1] / "examples" / "server" / "app.py"
VIDEO = {"id": "v1", "title": "Harbour", "width": 640, "height": 480, "duration": 2, "fps": 30}
PERSONA = {"id": "p1", "name": "Analyst", "role": "analyst", "informationNeed": "ships"}
#: Seconds any one wait of this file may last.
DEADLINE = 60.0


def load_server() -> ModuleType:
    """python/examples/server/app.py as a module (it is no package)."""
    spec = importlib.util.spec_from_file_location("fovea_example_server", SERVER_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serves `app` with uvicorn on a free loopback port in a thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE
    while not server.started:
        # Bounded wait on the readiness flag; a failed startup ends the thread.
        assert thread.is_alive(), "the server stopped during startup (see its log above)"
        assert time.monotonic() < deadline, "the server did not start in time"
        thread.join(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(DEADLINE)
        assert not thread.is_alive(), "the server did not shut down"


def jsonl(*records: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def box(frame: float, x: float, y: float, w: float, h: float) -> dict[str, Any]:
    return {"x": x, "y": y, "width": w, "height": h, "frameNumber": frame, "isKeyframe": True}


def annotation(
    ident: str, boxes: list[dict[str, Any]], segments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "id": ident,
        "videoId": "v1",
        "annotationType": "type",
        "personaId": "p1",
        "typeCategory": "entity",
        "typeId": "t-ship",
        "boundingBoxSequence": {
            "boxes": boxes,
            "interpolationSegments": segments or [],
            "visibilityRanges": [],
        },
    }


def export_lines(
    client: httpx.Client, **params: str
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    response = client.get("/api/export", params=params)
    assert response.status_code == 200, response.text
    return response, [json.loads(line) for line in response.text.splitlines() if line.strip()]


def all_boxes(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        b
        for r in lines
        if r["type"] == "annotation"
        for b in r["data"]["boundingBoxSequence"]["boxes"]
    ]


def run_scenario(base: str, service: fovea.SimulatedModelService | None = None) -> None:
    with httpx.Client(base_url=base, timeout=DEADLINE) as client:
        # Seed: the persona and video annotations refer to (FOVEA's foreign keys).
        seed = jsonl(
            {"type": "ontology", "data": {"personas": [PERSONA], "personaOntologies": []}},
            {"type": "video", "data": VIDEO},
        )
        r = client.post("/api/import", files={"file": ("seed.jsonl", seed, "application/x-ndjson")})
        assert r.status_code == 200, r.text
        assert r.json()["success"] is True, r.text
        assert r.headers["x-import-history-id"]

        # Save an annotation: ease-in from (0, 0, 100, 100) at 0 to (100, 100, 200, 200) at 10.
        ann = annotation(
            "ann-1",
            [box(0, 0, 0, 100, 100), box(10, 100, 100, 200, 200)],
            [{"startFrame": 0, "endFrame": 10, "type": "ease-in"}],
        )
        r = client.post("/api/annotations", json=ann)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["annotation"]["id"] == "ann-1" and body["annotation"]["videoId"] == "v1"
        assert [b["frameNumber"] for b in body["annotation"]["boundingBoxSequence"]["boxes"]] == [
            0,
            10,
        ]
        preview = body["preview"]
        assert preview["span"] == [0, 10]
        frames = preview["frames"]
        assert [f["frameNumber"] for f in frames] == list(range(11))
        # ease-in: t^2, so frame 5 is a quarter of the way.
        assert [frames[5][k] for k in ("x", "y", "width", "height")] == [25, 25, 125, 125]
        assert frames[5]["isKeyframe"] is False and frames[0]["isKeyframe"] is True
        assert preview["counters"]["keyframeCount"] == 2
        assert (
            client.get("/api/annotations/ann-1").json()["boundingBoxSequence"]["boxes"][1]["x"]
            == 100
        )

        # Bad input: a fractional frame, a missing field, an unknown video.
        bad = annotation("bad", [box(0, 0, 0, 10, 10), box(2.5, 1, 1, 10, 10)])
        r = client.post("/api/annotations", json=bad)
        assert r.status_code == 400, r.text
        err = r.json()
        assert err["code"] == "frame-not-integer"
        assert err["path"] == "boundingBoxSequence.boxes[1].frameNumber"
        assert "2.5" in err["message"]
        no_video = annotation("nv", [box(0, 0, 0, 10, 10)])
        del no_video["videoId"]
        r = client.post("/api/annotations", json=no_video)
        assert r.status_code == 400 and r.json()["code"] == "missing-field", r.text
        # fovea's missing-field path names the object lacking the field: here the body itself.
        assert r.json()["path"] is None and "videoId" in r.json()["message"]
        r = client.post(
            "/api/annotations",
            json={**annotation("elsewhere", [box(0, 0, 0, 10, 10)]), "videoId": "nowhere"},
        )
        assert r.status_code == 409 and r.json()["code"] == "database", r.text
        r = client.post(
            "/api/annotations", content=b"[1, 2]", headers={"content-type": "application/json"}
        )
        assert r.status_code == 400
        assert client.get("/api/annotations/bad").status_code == 404

        # Preview a file that conflicts with the saved annotation.
        incoming = jsonl(
            {
                "type": "annotation",
                "data": annotation("ann-1", [box(0, 5, 5, 100, 100), box(20, 150, 150, 200, 200)]),
            },
            {
                "type": "annotation",
                "data": annotation("ann-2", [box(0, 1, 1, 20, 20), box(30, 61, 31, 20, 20)]),
            },
        )
        r = client.post("/api/import/preview", files={"upload": ("in.jsonl", incoming)})
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["counts"]["annotations"] == 2 and preview["counts"]["totalKeyframes"] == 4
        assert [(c["type"], c["line"], c["originalId"]) for c in preview["conflicts"]] == [
            ("duplicate-sequence", 1, "ann-1")
        ]
        assert preview["warnings"] == []
        r = client.post("/api/import/preview", data={"options": "{}"})
        assert r.status_code == 400 and r.json()["message"] == "No file provided"

        # Import it, merging the duplicate's keyframes (options sent before the file).
        options = {"conflictResolution": {"sequences": {"duplicateSequenceIds": "merge-keyframes"}}}
        r = client.post(
            "/api/import",
            data={"options": json.dumps(options)},
            files={"file": ("in.jsonl", incoming)},
        )
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["success"] is True
        assert result["summary"]["importedItems"]["annotations"] == 2
        assert [(c["type"], c.get("resolution")) for c in result["conflicts"]] == [
            ("duplicate-sequence", "merge-keyframes")
        ]
        merged = client.get("/api/annotations/ann-1").json()["boundingBoxSequence"]["boxes"]
        assert [(b["frameNumber"], b["x"]) for b in merged] == [(0, 5), (10, 100), (20, 150)]
        r = client.post(
            "/api/import", data={"options": "{oops"}, files={"file": ("in.jsonl", incoming)}
        )
        assert r.status_code == 400 and r.json()["message"].startswith("Invalid options JSON"), (
            r.text
        )
        r = client.post(
            "/api/import", data={"options": '{"nope": 1}'}, files={"file": ("in.jsonl", incoming)}
        )
        assert r.status_code == 400 and r.json()["code"] == "invalid-option", r.text

        # Export: keyframes only, then every frame.
        r, keyframes = export_lines(client, includeInterpolated="false")
        assert r.headers["content-type"] == "application/x-ndjson"
        assert r.headers["content-disposition"] == 'attachment; filename="annotations.jsonl"'
        assert r.headers["x-export-annotations"] == "2"
        assert [line["type"] for line in keyframes].count("annotation") == 2
        assert keyframes[-1]["type"] == "metadata"
        kf_boxes = all_boxes(keyframes)
        assert len(kf_boxes) == 3 + 2 and all(b["isKeyframe"] for b in kf_boxes)
        r, full = export_lines(client, includeInterpolated="true")
        full_boxes = all_boxes(full)
        assert len(full_boxes) == 21 + 31
        assert sum(not b["isKeyframe"] for b in full_boxes) == 21 + 31 - 5
        assert r.headers["x-export-interpolated-frames"] == str(21 + 31 - 5)
        assert len(full) == len(keyframes)
        assert len(r.content) > len(client.get("/api/export").content)
        _, filtered = export_lines(client, videoIds="nowhere")
        assert [line["type"] for line in filtered].count("annotation") == 0
        assert client.get("/api/export", params={"annotationTypes": "event"}).status_code == 400

        # A tracking job, saved as a type annotation of the seeded persona.
        job = {
            "schemaVersion": 1,
            "videoId": "v1",
            "model": "samurai",
            "frameRange": {"start": 0, "end": 59},
            "videoWidth": 640,
            "videoHeight": 480,
            "personaId": "p1",
            "objects": [
                {
                    "objectId": 1,
                    "label": "ship",
                    "initialBox": {"x": 100, "y": 200, "width": 40, "height": 20},
                    "typeId": "t-ship",
                }
            ],
        }
        r = client.post("/api/tracking", params={"jobId": "track-v1"}, json=job)
        assert r.status_code == 202, r.text
        assert r.json() == {"jobId": "track-v1", "status": "queued", "duplicate": False}
        status = poll_job(client, "track-v1")
        assert set(status) == {"jobId", "status", "progress", "result", "error"}
        assert status["status"] == "completed" and status["error"] is None, status
        assert status["progress"] == 100
        result = status["result"]
        (seq,) = result["sequences"]
        assert seq["objectId"] == 1 and seq["label"] == "ship" and seq["trackedFrames"] == 60
        tracked = {f["frameNumber"]: f["box"] for f in result["tracks"][0]["frames"]}
        for frame, tracked_box in tracked.items():
            at = fovea.box_at(seq["sequence"], frame)
            assert (
                at is not None
                and abs(at["x"] - tracked_box["x"]) <= 1.0
                and abs(at["y"] - tracked_box["y"]) <= 1.0
            )
        assert result["annotationIds"] == ["track-v1-obj1"]
        saved = client.get("/api/annotations/track-v1-obj1").json()
        assert saved["typeId"] == "t-ship" and saved["personaId"] == "p1"
        assert saved["boundingBoxSequence"]["boxes"] == seq["sequence"]["boxes"]
        if service is not None:
            assert service.requests >= 1
        r = client.post("/api/tracking", params={"jobId": "track-v1"}, json=job)
        assert r.status_code == 202 and r.json()["duplicate"] is True

        # A malformed job is refused before it is queued, naming the field.
        r = client.post("/api/tracking", json={**job, "objects": []})
        assert r.status_code == 400, r.text
        assert (r.json()["code"], r.json()["path"]) == ("invalid-type", "objects"), r.text
        bad_box = {
            **job,
            "objects": [
                {**job["objects"][0], "initialBox": {"x": 0, "y": 0, "width": -1, "height": 5}}
            ],
        }
        r = client.post("/api/tracking", json=bad_box)
        assert r.status_code == 400 and r.json()["path"] == "objects[0].initialBox", r.text

        # Unknown jobs, bad ids.
        r = client.get("/api/jobs/no-such-job")
        assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND"
        r = client.post("/api/tracking", params={"jobId": "12"}, json=job)
        assert r.status_code == 400 and r.json()["code"] == "invalid-job-id", r.text


def poll_job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """Polls GET /api/jobs/{id} until the job is completed or failed (bounded)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        r = client.get(f"/api/jobs/{job_id}")
        assert r.status_code == 200, r.text
        status: dict[str, Any] = r.json()
        if status["status"] in ("completed", "failed"):
            return status
        assert time.monotonic() < deadline, f"job {job_id} still {status['status']}"
        time.sleep(0.05)  # the poll interval (FOVEA's client polls every 2 s)


def test_the_example_server_on_sqlite_with_the_in_process_queue(tmp_path: Path) -> None:
    server = load_server()
    settings = server.Settings(
        database_url=f"sqlite://{tmp_path / 'fovea.db'}",
        simulated_videos={"v1": {"width": 640, "height": 480, "frames": 60}},
        scratch_dir=str(tmp_path),
    )
    with serving(server.create_app(settings)) as base:
        run_scenario(base)
    # Nothing left behind in the scratch folder: uploads and exports are removed.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("fovea.db")) == []


def _postgres_database() -> tuple[str, str, str]:
    """A fresh database on FOVEA_TEST_DATABASE_URL's server: (server URL, name, URL)."""
    server = os.environ.get("FOVEA_TEST_DATABASE_URL")
    if not server:
        if os.environ.get("FOVEA_REQUIRE_SERVICES") == "1":
            pytest.fail("FOVEA_TEST_DATABASE_URL is not set, and scripts/test requires Postgres")
        pytest.skip("FOVEA_TEST_DATABASE_URL is not set")
    name = f"fovea_server_{uuid.uuid4().hex}"
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return server, name, server.rsplit("/", 1)[0] + "/" + name


def test_the_example_server_on_postgres_with_bullmq(tmp_path: Path, redis_url: str) -> None:
    server_url, name, url = _postgres_database()
    try:
        server = load_server()
        with fovea.SimulatedModelService(
            {"v1": {"width": 640, "height": 480, "frames": 60}}
        ) as service:
            settings = server.Settings(
                database_url=url,
                redis_url=redis_url,
                queue_name=f"server-{uuid.uuid4().hex[:8]}",
                model_service_url=service.url,
                scratch_dir=str(tmp_path),
            )
            with serving(server.create_app(settings)) as base:
                run_scenario(base, service)
    finally:
        subprocess.run(
            ["psql", server_url, "-qc", f'DROP DATABASE "{name}" WITH (FORCE)'], check=True
        )


def test_settings_from_the_environment() -> None:
    server = load_server()
    s = server.Settings.from_env(
        {
            "DATABASE_URL": "postgres://u@h/db",
            "FOVEA_DB_URL": "sqlite://ignored.db",
            "REDIS_URL": "redis://h:6379",
            "FOVEA_SIMULATE": '{"v1": {"width": 10, "height": 10, "frames": 5}}',
            "FOVEA_WORKER_CONCURRENCY": "3",
        }
    )
    assert (s.database_url, s.redis_url, s.worker_concurrency) == (
        "postgres://u@h/db",
        "redis://h:6379",
        3,
    )
    assert s.simulated_videos == {"v1": {"width": 10, "height": 10, "frames": 5}}
    default = server.Settings.from_env({"FOVEA_DB_URL": "sqlite://x.db"})
    assert (default.database_url, default.redis_url, default.model_service_url) == (
        "sqlite://x.db",
        None,
        None,
    )

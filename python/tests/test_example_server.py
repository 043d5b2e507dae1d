"""The FastAPI example server (python/examples/server/app.py) over real HTTP: uvicorn serves it
on a free loopback port in a background thread and httpx talks to it. One scenario — seed,
save an annotation, preview and run an import, export in both modes, a tracking job and the
review of its candidates, errors — runs on the embedded SQLite store with the in-process queue,
and on Postgres with BullMQ on a throwaway Redis.

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


def tracking_job() -> dict[str, Any]:
    """A tracking job on v1: a ship typed for persona p1 (saved as a type annotation when the
    worker has a store) and an untyped buoy (a candidate left pending)."""
    return {
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
            },
            {
                "objectId": 2,
                "label": "buoy",
                "initialBox": {"x": 300, "y": 50, "width": 8, "height": 8},
            },
        ],
    }


def seed(client: httpx.Client) -> None:
    """Imports the persona and video annotations refer to (FOVEA's foreign keys)."""
    records = jsonl(
        {"type": "ontology", "data": {"personas": [PERSONA], "personaOntologies": []}},
        {"type": "video", "data": VIDEO},
    )
    r = client.post("/api/import", files={"file": ("seed.jsonl", records, "application/x-ndjson")})
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True, r.text
    assert r.headers["x-import-history-id"]


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
        seed(client)

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
        assert r.status_code == 422 and r.json()["code"] == "missing-dependency", r.text
        assert r.json()["path"] == "videoId" and '"nowhere"' in r.json()["message"], r.text
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

        # A tracking job: the ship is saved as a type annotation of the seeded persona.
        job = tracking_job()
        r = client.post("/api/tracking", params={"jobId": "track-v1"}, json=job)
        assert r.status_code == 202, r.text
        assert r.json() == {"jobId": "track-v1", "status": "queued", "duplicate": False}
        status = poll_job(client, "track-v1")
        assert set(status) == {"jobId", "status", "progress", "result", "error"}
        assert status["status"] == "completed" and status["error"] is None, status
        assert status["progress"] == 100
        result = status["result"]
        assert [s["objectId"] for s in result["sequences"]] == [1, 2]
        seq = result["sequences"][0]
        assert result["tracks"][0]["label"] == "ship"
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
        review_candidates(client)

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


def review_candidates(client: httpx.Client) -> None:
    """Reviews the candidates of the scenario's job track-v1: the ship, tracked with a type,
    is accepted already; the buoy is pending until accepted; then the ship is rejected."""
    candidates = "/api/tracking/track-v1/candidates"
    r = client.get(candidates)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert [(c["objectId"], c["label"], c["state"], c["version"]) for c in listed] == [
        (1, "ship", "accepted", 1),
        (2, "buoy", "pending", 1),
    ]
    assert listed[0]["annotationId"] == "track-v1-obj1" and listed[1]["annotationId"] is None
    assert listed[1]["trackedFrames"] == 60 and listed[1]["sequence"]["boxes"]
    r = client.get(candidates, params={"state": "pending"})
    assert [c["objectId"] for c in r.json()] == [2], r.text

    # The buoy becomes an object annotation: every tracked frame from 10 to 20.
    review = {"entityId": "buoy-1", "everyFrame": True, "frames": {"start": 10, "end": 20}}
    r = client.post(f"{candidates}/2/accept", json={**review, "version": 1, "reviewer": "ann"})
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert (accepted["state"], accepted["annotationId"], accepted["version"]) == (
        "accepted",
        "track-v1-obj2",
        2,
    )
    assert accepted["reviewedBy"] == "ann" and accepted["reviewedAt"]
    saved = client.get("/api/annotations/track-v1-obj2").json()
    assert (saved["annotationType"], saved["linkedEntityId"]) == ("object", "buoy-1")
    boxes = saved["boundingBoxSequence"]["boxes"]
    assert [b["frameNumber"] for b in boxes] == list(range(10, 21))
    # A second reviewer who saw version 1 is too late.
    r = client.post(f"{candidates}/2/reject", json={"reason": "late", "version": 1})
    assert r.status_code == 409 and r.json()["code"] == "conflict", r.text
    assert client.get("/api/annotations/track-v1-obj2").status_code == 200

    # The ship is rejected (no body needed): its annotation is deleted.
    r = client.post(f"{candidates}/1/reject", json={"reason": "a wake", "reviewer": "bob"})
    assert r.status_code == 200, r.text
    rejected = r.json()
    assert (rejected["state"], rejected["reason"], rejected["reviewedBy"]) == (
        "rejected",
        "a wake",
        "bob",
    )
    assert client.get("/api/annotations/track-v1-obj1").status_code == 404
    r = client.get(candidates, params={"state": "pending"})
    assert r.status_code == 200 and r.json() == [], r.text
    assert [(c["objectId"], c["state"]) for c in client.get(candidates).json()] == [
        (1, "rejected"),
        (2, "accepted"),
    ]
    review_errors(client, candidates)


def review_errors(client: httpx.Client, candidates: str) -> None:
    """Reviews refused, with their status, code and path; none of them changes a candidate."""
    refused = [
        ("99/accept", {"entityId": "e"}, 404, "candidate-not-found", None),
        ("2/accept", {"entityId": "e", "entity": "e"}, 400, "invalid-option", "entity"),
        ("2/accept", {"entityId": "e", "tolerance": "1"}, 400, "invalid-type", "tolerance"),
        ("2/accept", {"entityId": "e", "frames": [10, 20]}, 400, "invalid-type", "frames"),
        (
            "2/accept",
            {"entityId": "e", "frames": {"start": -1, "end": 5}},
            400,
            "invalid-option",
            "frames.start",
        ),
        (
            "2/accept",
            {"entityId": "e", "tolerance": 1, "everyFrame": True},
            400,
            "invalid-option",
            "tolerance",
        ),
        ("2/accept", {}, 400, "invalid-option", "typeId"),
        ("2/accept", {"typeId": "t-ship", "personaId": "p9"}, 422, "missing-dependency", None),
        ("2/reject", {"reason": "x", "why": "y"}, 400, "invalid-option", "why"),
        ("two/reject", {}, 400, "invalid-type", "objectId"),
    ]
    for route, body, status, code, path in refused:
        r = client.post(f"{candidates}/{route}", json=body)
        assert r.status_code == status, (route, body, r.text)
        assert (r.json()["code"], r.json()["path"]) == (code, path), (route, body, r.text)
    r = client.get(candidates, params={"state": "maybe"})
    assert r.status_code == 400 and r.json()["code"] == "invalid-option", r.text
    r = client.get("/api/tracking/no-such-job/candidates")
    assert r.status_code == 404 and r.json()["code"] == "job-not-found", r.text
    assert [c["version"] for c in client.get(candidates).json()] == [2, 2]


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


def test_candidates_of_a_worker_without_a_store_come_from_the_job_result(tmp_path: Path) -> None:
    server = load_server()
    settings = server.Settings(
        database_url=f"sqlite://{tmp_path / 'fovea.db'}",
        simulated_videos={"v1": {"width": 640, "height": 480, "frames": 60}},
        save_tracks=False,
    )
    with serving(server.create_app(settings)) as base, httpx.Client(base_url=base) as client:
        seed(client)
        r = client.post("/api/tracking", params={"jobId": "nostore"}, json=tracking_job())
        assert r.status_code == 202, r.text
        assert poll_job(client, "nostore")["status"] == "completed"
        assert client.get("/api/annotations/nostore-obj1").status_code == 404
        candidates = "/api/tracking/nostore/candidates"
        r = client.get(candidates)
        assert r.status_code == 200, r.text
        assert [(c["objectId"], c["state"]) for c in r.json()] == [(1, "pending"), (2, "pending")]
        # The ship as a type annotation of persona p1, keyframes within 2 pixels.
        review = {"typeId": "t-ship", "personaId": "p1", "typeCategory": "entity", "tolerance": 2}
        r = client.post(f"{candidates}/1/accept", json=review)
        assert r.status_code == 200 and r.json()["state"] == "accepted", r.text
        saved = client.get("/api/annotations/nostore-obj1").json()
        assert (saved["annotationType"], saved["typeId"], saved["personaId"]) == (
            "type",
            "t-ship",
            "p1",
        )


def test_a_job_not_completed_has_no_candidates_yet(tmp_path: Path) -> None:
    server = load_server()
    # No model service: nothing runs the job, which stays queued.
    settings = server.Settings(database_url=f"sqlite://{tmp_path / 'fovea.db'}")
    with serving(server.create_app(settings)) as base, httpx.Client(base_url=base) as client:
        r = client.post("/api/tracking", params={"jobId": "waiting"}, json=tracking_job())
        assert r.status_code == 202, r.text
        r = client.get("/api/tracking/waiting/candidates")
        assert r.status_code == 409 and r.json()["code"] == "invalid-state", r.text


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

"""fovea.Store on a fresh SQLite file and, when FOVEA_TEST_DATABASE_URL names a Postgres
server, on a fresh database there (scripts/test starts one and sets FOVEA_REQUIRE_SERVICES=1,
under which a missing server fails instead of skipping)."""

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

import fovea

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
STORED = TESTDATA / "export" / "fovea-stored-annotations.jsonl"
IDS = [json.loads(line)["data"]["id"] for line in STORED.read_text().splitlines()]
PLACEHOLDERS = {"conflictResolution": {"missingDependencies": "create-placeholder"}}


def _postgres_url():
    server = os.environ.get("FOVEA_TEST_DATABASE_URL")
    if not server:
        if os.environ.get("FOVEA_REQUIRE_SERVICES") == "1":
            pytest.fail("FOVEA_TEST_DATABASE_URL is not set, and scripts/test requires Postgres")
        pytest.skip("FOVEA_TEST_DATABASE_URL is not set")
    name = f"fovea_py_{uuid.uuid4().hex}"
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return server, name, server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'fovea.db'}"
        return
    server, name, url = _postgres_url()
    yield url
    subprocess.run(["psql", server, "-qc", f'DROP DATABASE "{name}" WITH (FORCE)'], check=True)


def test_import_export_preview_and_history(url, tmp_path):
    with fovea.Store.connect(url) as store:
        assert store.backend == ("sqlite" if url.startswith("sqlite") else "postgres")
        report = store.migrate()
        assert set(report) == {"created", "existing", "foveaMigrations"}
        assert len(report["created"]) + len(report["existing"]) == 8

        out = store.import_jsonl(STORED, options=PLACEHOLDERS)
        assert out["result"]["success"] is True
        assert out["result"]["summary"]["importedItems"]["annotations"] == 3
        assert len(out["historyId"]) == 36

        dest = tmp_path / "export.jsonl"
        stats = store.export(dest, export_date="2026-01-01T00:00:00.000Z")
        assert stats["annotationCount"] == 3
        assert stats["unreadable"] == []
        lines = [json.loads(line) for line in dest.read_text().splitlines()]
        assert sum(1 for line in lines if line["type"] == "annotation") == 3
        assert lines[-1]["data"]["exportDate"] == "2026-01-01T00:00:00.000Z"

        preview = store.preview(STORED)
        kinds = [c["type"] for c in preview["conflicts"]]
        assert kinds.count("duplicate-sequence") == 3
        # In-file tables spilled at every record: the same preview.
        assert store.preview(STORED, memory_budget=0, spill_dir=tmp_path) == preview
        with pytest.raises(fovea.IoError):
            store.import_jsonl(STORED, options=PLACEHOLDERS, spill_dir=tmp_path / "missing")

        obj = store.annotation("obj-1")
        assert obj["annotationType"] == "object" and obj["linkedEventId"] == "evt-1"
        assert store.annotation("missing") is None
        listed = store.annotations()
        assert [a["id"] for a in listed["annotations"]] == sorted(IDS)
        assert listed["unreadable"] == []

        assert [h["success"] for h in store.import_history()] == [True]


def test_a_failed_atomic_import_keeps_nothing_and_non_atomic_isolates(url, tmp_path):
    def line(id, persona):
        return (
            json.dumps(
                {
                    "type": "annotation",
                    "data": {
                        "id": id,
                        "videoId": "test-video-1",
                        "annotationType": "type",
                        "personaId": persona,
                        "typeId": "t",
                        "typeCategory": "entity",
                        "boundingBoxSequence": {
                            "boxes": [
                                {
                                    "x": 1,
                                    "y": 1,
                                    "width": 5,
                                    "height": 5,
                                    "frameNumber": 0,
                                    "isKeyframe": True,
                                }
                            ]
                        },
                    },
                }
            )
            + "\n"
        )

    bad = tmp_path / "bad.jsonl"
    # References unchecked: the database's foreign key refuses the unknown persona.
    bad.write_text(line("good-1", "test-persona-1") + line("orphan", "nobody"))
    options = {"validation": {"validateReferences": False}}
    with fovea.Store.connect(url) as store:
        store.migrate()
        assert store.import_jsonl(STORED, options=PLACEHOLDERS)["result"]["success"]
        out = store.import_jsonl(bad, options=options)
        assert out["result"]["committed"] is False
        assert out["result"]["summary"]["importedItems"]["annotations"] == 0
        assert store.annotation("good-1") is None

        options["transaction"] = {"atomic": False}
        out = store.import_jsonl(bad, options=options)
        assert out["result"]["committed"] is True and out["result"]["success"] is False
        assert out["result"]["summary"]["importedItems"]["annotations"] == 1
        refused = [e for e in out["result"]["errors"] if e["type"] == "import"]
        assert len(refused) == 1 and refused[0]["line"] == 2, refused
        assert "orphan" in refused[0]["message"]
        assert store.annotation("good-1") is not None
        assert [h["success"] for h in store.import_history()] == [True, False, False]


def test_save_read_delete_and_errors(tmp_path):
    with fovea.Store.connect(f"sqlite://{tmp_path / 'f.db'}") as store:
        store.import_jsonl(STORED, options=PLACEHOLDERS)
        a = store.annotation("test-annotation-1")
        a["notes"] = "edited"
        assert store.save_annotations([a]) == 1
        assert store.annotation("test-annotation-1")["notes"] == "edited"
        assert store.delete_annotations(["test-annotation-1", "nope"]) == 1
        with pytest.raises(fovea.MissingFieldError) as e:
            store.save_annotations([{"id": "x"}])
        assert e.value.path.startswith("annotations[0]")
        with pytest.raises(fovea.InvalidOptionError):
            store.import_jsonl(STORED, options={"nope": 1})
    with pytest.raises(fovea.UnsupportedUrlError) as e:
        fovea.Store.connect("mysql://x")
    assert isinstance(e.value, ValueError) and e.value.code == "unsupported-url"
    with pytest.raises(fovea.DatabaseError) as e:
        fovea.Store.connect("postgres://fovea@127.0.0.1:1/none")
    assert e.value.code == "database"


def test_async_twins(tmp_path):
    async def main():
        async with await fovea.Store.connect_async(f"sqlite://{tmp_path / 'a.db'}") as store:
            out, history = await asyncio.gather(
                store.import_jsonl_async(STORED, options=PLACEHOLDERS),
                store.import_history_async(),
            )
            assert out["result"]["summary"]["importedItems"]["annotations"] == 3
            assert isinstance(history, list)
            stats = await store.export_async(tmp_path / "e.jsonl", mode="interpolated")
            assert stats["interpolatedFrameCount"] > 0
            return await store.annotation_async("obj-1")

    assert asyncio.run(main())["id"] == "obj-1"


IMPORT_SCENARIOS = json.loads((TESTDATA / "import" / "scenarios.json").read_text())


def _write_lines(path, lines):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.mark.parametrize("case", IMPORT_SCENARIOS["scenarios"], ids=lambda c: c["name"])
def test_import_scenarios_resolve_in_a_store_as_in_a_dataset(tmp_path, case):
    """testdata/import/scenarios.json against an SQLite store: as the core and Node find."""
    existing = _write_lines(tmp_path / "existing.jsonl", IMPORT_SCENARIOS["existing"])
    incoming = _write_lines(tmp_path / "incoming.jsonl", case["lines"])
    expect = case["expect"]
    with fovea.Store(f"sqlite://{tmp_path / 'fovea.db'}") as store:
        assert store.import_jsonl(existing)["result"]["committed"]
        result = store.import_jsonl(incoming, options=case["options"])["result"]
        assert (result["success"], result["committed"]) == (expect["success"], expect["committed"])
        imported, skipped = result["summary"]["importedItems"], result["summary"]["skippedItems"]
        assert imported["annotations"] == expect["imported"]
        assert skipped["annotations"] == expect.get("skippedAnnotations", 0)
        assert skipped["worldObjects"] == expect.get("skippedWorld", 0)
        assert imported["placeholders"] == expect.get("placeholders", 0)
        conflicts = [[c["type"], c["line"], c["resolution"]] for c in result["conflicts"]]
        assert conflicts == expect["conflicts"]
        stored = store.annotations()["annotations"]
        if "after" in expect:
            assert sorted(a["id"] for a in stored) == sorted(expect["after"])
        if "afterCount" in expect:
            assert len(stored) == expect["afterCount"]

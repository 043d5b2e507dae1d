"""Reviewing tracking candidates from Python: a tracking worker on the in-process queue or on
BullMQ, an SQLite store, and the store's candidates / accept_candidate / reject_candidate."""

import asyncio
import json

import pytest

import fovea


def _job(video="v1"):
    return {
        "schemaVersion": 1,
        "videoId": video,
        "model": "samurai",
        "frameRange": {"start": 0, "end": 59},
        "videoWidth": 640,
        "videoHeight": 480,
        "objects": [
            {
                "objectId": 1,
                "label": "ship",
                "initialBox": {"x": 10, "y": 20, "width": 40, "height": 20},
            },
            {
                "objectId": 2,
                "label": "buoy",
                "initialBox": {"x": 300, "y": 50, "width": 8, "height": 8},
            },
        ],
    }


@pytest.fixture
def store(tmp_path):
    videos = tmp_path / "videos.jsonl"
    videos.write_text(
        json.dumps({"type": "video", "data": {"id": "v1", "width": 640, "height": 480}}) + "\n"
    )
    with fovea.Store.connect(f"sqlite://{tmp_path / 'c.db'}") as store:
        assert store.import_jsonl(videos)["result"]["success"] is True
        yield store


def _track(queue, job_id, db=None):
    with fovea.SimulatedModelService(
        {"v1": {"width": 640, "height": 480, "frames": 60}}
    ) as service:
        with queue.tracking_worker(service.url, db=db):
            queue.add(_job(), id=job_id)
            done = queue.wait(job_id, timeout=60)
    assert done["state"] == "completed", done
    return done


def test_a_worker_with_a_store_offers_candidates_that_are_accepted_and_rejected(store, tmp_path):
    db = f"sqlite://{tmp_path / 'c.db'}"
    _track(fovea.JobQueue(), "j1", db=db)
    listed = store.candidates("j1")
    assert [(c["objectId"], c["state"], c["version"]) for c in listed] == [
        (1, "pending", 1),
        (2, "pending", 1),
    ]
    assert listed[0]["label"] == "ship" and listed[0]["trackedFrames"] == 60
    assert store.candidates(video_id="v1", state="pending") == listed

    # A candidate's plot-ready sequence reads as a Sequence.
    assert fovea.Sequence(listed[0]["sequence"]).keyframes[0]["frameNumber"] == 0

    accepted = store.accept_candidate(
        "j1", 1, entity_id="ship-1", every_frame=True, frames=(10, 20), version=1, reviewer="ann"
    )
    assert (accepted["state"], accepted["annotationId"], accepted["version"]) == (
        "accepted",
        "j1-obj1",
        2,
    )
    saved = store.annotation("j1-obj1")
    frames = [b["frameNumber"] for b in saved["boundingBoxSequence"]["boxes"]]
    assert frames == list(range(10, 21))
    assert saved["metadata"]["model"] == "samurai" and saved["metadata"]["trackingJobId"] == "j1"

    # Two reviewers who saw version 1: the second is too late.
    with pytest.raises(fovea.ConflictError) as info:
        store.reject_candidate("j1", 1, reason="late", version=1)
    assert info.value.code == "conflict"
    rejected = store.reject_candidate("j1", 2, reason="a buoy", reviewer="bob")
    assert (rejected["state"], rejected["reason"], rejected["reviewedBy"]) == (
        "rejected",
        "a buoy",
        "bob",
    )
    assert [c["objectId"] for c in store.candidates("j1", state="pending")] == []

    with pytest.raises(fovea.MissingDependencyError, match="p9"):
        store.accept_candidate("j1", 1, type_id="t", persona_id="p9")
    with pytest.raises(fovea.CandidateNotFoundError):
        store.reject_candidate("j1", 7)
    with pytest.raises(fovea.InvalidOptionError) as info:
        store.accept_candidate("j1", 1, entity_id="e", tolerance=1.0, every_frame=True)
    assert info.value.path == "tolerance"
    with pytest.raises(fovea.InvalidOptionError):
        store.accept_candidate("j1", 1)
    with pytest.raises(fovea.InvalidOptionError):
        store.candidates("j1", state="maybe")


def test_a_job_whose_worker_had_no_store_is_registered_from_its_result(store):
    queue = fovea.JobQueue()
    _track(queue, "j2")
    assert store.candidates("j2") == []
    listed = store.candidates("j2", queue=queue)
    assert len(listed) == 2
    # Once registered, the candidates no longer need the job.
    queue.remove("j2")
    decimated = store.accept_candidate("j2", 2, entity_id="buoy", decimation="auto")
    assert decimated["state"] == "accepted"
    with pytest.raises(fovea.JobNotFoundError):
        store.candidates("gone", queue=queue)


def test_async_twins(store, tmp_path):
    _track(fovea.JobQueue(), "j3", db=f"sqlite://{tmp_path / 'c.db'}")

    async def main():
        listed = await store.candidates_async("j3")
        accepted = await store.accept_candidate_async("j3", 1, entity_id="e", tolerance=0.5)
        rejected = await store.reject_candidate_async("j3", 2)
        return len(listed), accepted["state"], rejected["state"]

    assert asyncio.run(main()) == (2, "accepted", "rejected")


def test_on_bullmq_the_result_registers_them_and_reviews_go_to_the_job(store, redis_url):
    # (The job's log, as BullMQ's own clients read it, is checked by the Rust and Node suites.)
    queue = fovea.JobQueue(redis_url)
    _track(queue, "b1")
    assert len(store.candidates("b1", queue=queue)) == 2
    assert store.accept_candidate("b1", 1, entity_id="ship-1", queue=queue)["version"] == 2
    assert store.reject_candidate("b1", 2, reason="a buoy", queue=queue)["state"] == "rejected"
    queue.remove("b1")
    # The job has left the queue: the review is in the store all the same.
    assert store.reject_candidate("b1", 1, queue=queue)["state"] == "rejected"
    queue.close()

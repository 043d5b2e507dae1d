"""Tracking jobs from Python: fovea.JobQueue (in process, and BullMQ on a real Redis), workers
whose handler is a Python function, FOVEA's status shapes and the job errors."""

import _thread
import json
import threading
import uuid

import pytest

import fovea

from conftest import TESTDATA


def test_a_python_handler_completes_jobs_with_progress_and_fovea_status_shapes():
    q = fovea.JobQueue()
    assert (q.backend, q.name) == ("in-process", "object-tracking")
    seen = []

    def handler(job: fovea.Job):
        seen.append((job.id, job.name, job.attempts_made, job.cancelled))
        job.progress(40)
        return {"boxes": job.data["n"] * 2}

    with q.worker(handler, concurrency=2) as w:
        added = q.add({"n": 21}, id="job-1")
        assert added == {"jobId": "job-1", "duplicate": False}
        view = q.wait("job-1", timeout=30)
        assert w.running
    assert not w.running
    assert seen == [("job-1", "track", 0, False)]
    assert view["state"] == "completed" and view["status"] == "completed"
    assert view["result"] == {"boxes": 42}
    assert view["progress"] == 40
    assert q.status("job-1", shape="summary") == {
        "jobId": "job-1",
        "status": "completed",
        "progress": 40,
        "result": {"boxes": 42},
        "error": None,
    }
    assert q.status("job-1", shape="mapped")["status"] == "completed"
    frontend = q.status("job-1", shape="frontend")
    assert frontend["state"] == "completed" and frontend["returnvalue"] == {"boxes": 42}
    assert frontend["data"] == {"n": 21}
    assert q.counts()["completed"] == 1
    assert [v["jobId"] for v in q.list(["completed"])] == ["job-1"]
    assert q.add({"n": 1}, id="job-1")["duplicate"] is True
    assert q.status("nope") is None


def test_unrecoverable_errors_fail_at_once_and_others_are_retried():
    q = fovea.JobQueue()
    calls = []

    def handler(job):
        calls.append(job.id)
        if job.data["kind"] == "fatal":
            raise fovea.UnrecoverableError("no such video")
        raise ValueError(f"flaky on attempt {job.attempts_made}")

    fast_retry = {"attempts": 2, "backoff": {"type": "fixed", "delay": 1}}
    with q.worker(handler):
        q.add({"kind": "fatal"}, id="fatal", options=fast_retry)
        q.add({"kind": "flaky"}, id="flaky", options=fast_retry)
        fatal = q.wait("fatal", timeout=30)
        flaky = q.wait("flaky", timeout=30)
    assert fatal["state"] == "failed" and fatal["attemptsMade"] == 1
    assert fatal["error"] == "UnrecoverableError: no such video"
    assert flaky["state"] == "failed" and flaky["attemptsMade"] == 2
    assert flaky["error"] == "ValueError: flaky on attempt 1"
    assert "raise ValueError" in (flaky.get("stacktrace") or [""])[-1]
    assert calls.count("fatal") == 1 and calls.count("flaky") == 2
    assert q.status("fatal", shape="summary")["error"] == "UnrecoverableError: no such video"


def test_a_result_that_is_not_json_fails_the_job_and_names_the_path():
    q = fovea.JobQueue()
    with q.worker(lambda job: {"when": object()}):
        q.add({}, id="bad")
        view = q.wait("bad", timeout=30)
    assert view["state"] == "failed" and view["attemptsMade"] == 1
    assert "not JSON" in view["error"] and "when" in view["error"]


def test_cancelling_a_running_job_reaches_the_handler():
    q = fovea.JobQueue()
    started = threading.Event()

    def handler(job):
        started.set()
        while not job.cancelled:
            threading.Event().wait(0.01)
        return "ignored"

    with q.worker(handler):
        q.add({}, id="long")
        assert started.wait(30)
        assert q.cancel("long") == "signalled"
        view = q.wait("long", timeout=30)
    assert view["state"] == "failed" and view["error"] == "cancelled"
    assert view.get("result") is None


def test_a_timed_out_attempt_is_failed_by_the_worker():
    q = fovea.JobQueue()
    release = threading.Event()

    def handler(job):
        release.wait(30)
        return "late"

    with q.worker(handler):
        q.add({}, id="slow", options={"attempts": 1, "timeout": 50})
        view = q.wait("slow", timeout=30)
        release.set()
    assert view["state"] == "failed"
    assert "timed out" in view["error"] or "timeout" in view["error"]


def test_closing_the_worker_hands_unstarted_work_back():
    q = fovea.JobQueue()
    w = q.worker(lambda job: 1)
    report = w.close(grace=1)
    assert report is not None and report["completed"] == 0
    assert w.close() is None
    q.add({}, id="later")
    assert q.status("later")["state"] == "waiting"


def test_wait_times_out():
    q = fovea.JobQueue()
    q.add({}, id="never")
    with pytest.raises(TimeoutError, match="never"):
        q.wait("never", timeout=0.05)


def test_bad_input_raises_typed_errors():
    q = fovea.JobQueue()
    with pytest.raises(fovea.InvalidOptionError, match="atempts") as e:
        q.add({}, options={"atempts": 2})
    assert e.value.code == "invalid-option" and e.value.path == "options"
    with pytest.raises(fovea.InvalidJobIdError) as e:
        q.add({}, id="12")
    assert e.value.code == "invalid-job-id" and isinstance(e.value, ValueError)
    with pytest.raises(fovea.NonFiniteNumberError) as e:
        q.add({"x": [1, float("nan")]})
    assert e.value.path == "data.x[1]"
    with pytest.raises(fovea.JobNotFoundError) as e:
        q.cancel("missing")
    assert isinstance(e.value, LookupError)
    with pytest.raises(fovea.InvalidOptionError, match="shape"):
        q.status("x", shape="fancy")
    with pytest.raises(fovea.InvalidOptionError, match="states"):
        q.list(["running"])
    with pytest.raises(fovea.InvalidTypeError, match="handler"):
        q.worker(42)
    with pytest.raises(fovea.InvalidOptionError, match="concurrency"):
        q.worker(lambda job: 1, concurrency=0)
    with pytest.raises(fovea.InvalidOptionError, match="url"):
        fovea.JobQueue("http://localhost:6379")
    assert set(fovea.JOB_ERROR_CODES) >= {"invalid-job-id", "job-not-found", "queue-backend"}


def test_a_closed_queue_refuses_work():
    q = fovea.JobQueue()
    q.close()
    with pytest.raises(fovea.QueueClosedError):
        q.add({})


def test_async_twins():
    import asyncio

    async def main():
        async with fovea.JobQueue() as q:
            with q.worker(lambda job: job.data["n"] + 1):
                added = await q.add_async({"n": 1}, id="a")
                view = await q.wait_async(added["jobId"], timeout=30)
                assert (await q.status_async("a", shape="mapped"))["status"] == "completed"
                assert (await q.counts_async())["completed"] == 1
                assert [v["jobId"] for v in await q.list_async()] == ["a"]
                return view

    assert asyncio.run(main())["result"] == 2


def test_a_python_worker_on_a_bullmq_queue(redis_url):
    name = f"py-{uuid.uuid4().hex[:8]}"
    producer = fovea.JobQueue(redis_url, name=name)
    consumer = fovea.JobQueue(redis_url, name=name)
    assert producer.backend == "bullmq"

    def handler(job):
        job.progress({"framesDone": 5, "framesTotal": 10})
        if job.data.get("fail"):
            raise fovea.UnrecoverableError("model refused the video")
        return {"tracks": [job.data["videoId"]]}

    with consumer.worker(handler, concurrency=2):
        producer.add({"videoId": "v1"}, id="ok")
        producer.add({"videoId": "v2", "fail": True}, id="bad")
        ok = producer.wait("ok", timeout=60)
        bad = producer.wait("bad", timeout=60)
    assert ok["state"] == "completed" and ok["result"] == {"tracks": ["v1"]}
    assert ok["progress"] == {"framesDone": 5, "framesTotal": 10}
    assert bad["state"] == "failed" and bad["attemptsMade"] == 1
    assert (
        producer.status("bad", shape="frontend")["failedReason"]
        == "UnrecoverableError: model refused the video"
    )
    assert producer.add({"videoId": "v1"}, id="ok")["duplicate"] is True
    assert producer.remove("ok") is True and producer.status("ok") is None
    producer.close()
    consumer.close()


def tracking_job(video="v1", **extra):
    job = {
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
                "initialBox": {"x": 100, "y": 200, "width": 40, "height": 20},
            }
        ],
    }
    job.update(extra)
    return job


def test_the_native_tracking_worker_against_a_simulated_model_service():
    q = fovea.JobQueue()
    with fovea.SimulatedModelService(
        {"v1": {"width": 640, "height": 480, "frames": 60}}, velocity=(2.0, 0.0)
    ) as service:
        assert service.url.startswith("http://127.0.0.1:")
        with q.tracking_worker(service.url, tolerance=0.5):
            q.add(tracking_job(), id="t1")
            q.add(
                tracking_job("unknown-video"),
                id="t2",
                options={"backoff": {"type": "fixed", "delay": 1}},
            )
            done = q.wait("t1", timeout=60)
            missing = q.wait("t2", timeout=60)
        assert service.requests >= 2
    assert done["state"] == "completed" and done["progress"] == 100
    (seq,) = done["result"]["sequences"]
    assert seq["objectId"] == 1 and seq["label"] == "ship" and seq["trackedFrames"] == 60
    # A straight motion keeps only its ends; interpolating them reproduces every tracked box.
    boxes = seq["sequence"]["boxes"]
    assert [b["frameNumber"] for b in boxes] == [0, 59]
    tracked = {f["frameNumber"]: f["box"] for f in done["result"]["tracks"][0]["frames"]}
    for frame, box in tracked.items():
        assert abs(fovea.box_at(seq["sequence"], frame)["x"] - box["x"]) <= 0.5
    # The model service's 404 is unrecoverable: failed at once.
    assert missing["state"] == "failed" and missing["attemptsMade"] == 1
    assert "404" in missing["error"] or "not found" in missing["error"].lower()


def test_simulation_and_tracking_worker_arguments_are_checked():
    with pytest.raises(fovea.InvalidOptionError, match=r"videos\.v1"):
        fovea.SimulatedModelService({"v1": {"width": 640}})
    q = fovea.JobQueue()
    with pytest.raises(fovea.InvalidOptionError, match="tolerance"):
        q.tracking_worker("http://127.0.0.1:1", tolerance=-1)
    with pytest.raises(fovea.QueueBackendError, match="database"):
        q.tracking_worker("http://127.0.0.1:1", db="postgres://nobody@127.0.0.1:1/none")


def test_an_async_handler_is_awaited():
    import asyncio

    q = fovea.JobQueue()

    async def handler(job):
        await asyncio.sleep(0)
        if job.data.get("fail"):
            raise fovea.UnrecoverableError("async refusal")
        return {"async": job.data["n"]}

    with q.worker(handler):
        q.add({"n": 3}, id="a")
        q.add({"fail": True}, id="b")
        ok = q.wait("a", timeout=30)
        bad = q.wait("b", timeout=30)
    assert ok["result"] == {"async": 3}
    assert bad["state"] == "failed" and bad["error"] == "UnrecoverableError: async refusal"


def test_check_tracking_job_fills_defaults_and_names_the_bad_field():
    job = {
        "schemaVersion": 1,
        "videoId": "v1",
        "objects": [{"objectId": 1, "initialBox": {"x": 1, "y": 2, "width": 3, "height": 4}}],
    }
    checked = fovea.check_tracking_job(job)
    assert checked["model"] == "samurai" and checked["objects"][0]["initialBox"] == {
        "x": 1,
        "y": 2,
        "width": 3,
        "height": 4,
    }
    for payload, path in [
        ({**job, "schemaVersion": None}, "schemaVersion"),
        ({**job, "objects": []}, "objects"),
        (
            {
                **job,
                "objects": [
                    {"objectId": 1, "initialBox": {"x": 0, "y": 0, "width": 0, "height": 4}}
                ],
            },
            "objects[0].initialBox",
        ),
        ({**job, "frameRange": {"start": 9, "end": 2}}, "frameRange"),
        (
            {
                **job,
                "objects": [
                    {"objectId": "one", "initialBox": {"x": 0, "y": 0, "width": 1, "height": 1}}
                ],
            },
            "objects[0].objectId",
        ),
    ]:
        with pytest.raises(fovea.InvalidTypeError) as info:
            fovea.check_tracking_job(payload)
        assert info.value.path == path, (payload, info.value)


def test_check_tracking_job_refuses_what_exceeds_the_limits_it_is_given():
    job = {
        "schemaVersion": 1,
        "videoId": "v1",
        "frameRange": {"start": 0, "end": 99},
        "objects": [{"objectId": 1, "initialBox": {"x": 1, "y": 2, "width": 3, "height": 4}}],
    }
    assert fovea.check_tracking_job(job)["frameRange"] == {"start": 0, "end": 99}
    with pytest.raises(fovea.LimitExceededError) as info:
        fovea.check_tracking_job(job, limits={"frames": 50})
    assert info.value.code == "limit-exceeded" and info.value.path == "frameRange"
    assert "100 exceeds the frames limit of 50" in str(info.value)
    with pytest.raises(fovea.LimitExceededError):
        fovea.check_tracking_job({**job, "videoWidth": 100_000, "videoHeight": 100_000})
    with pytest.raises(fovea.InvalidOptionError) as info:
        fovea.check_tracking_job(job, limits={"frame": 50})
    assert info.value.path == "limits.frame"
    with pytest.raises(fovea.InvalidTypeError):
        fovea.check_tracking_job(job, limits={"frames": -1})


def test_ctrl_c_interrupts_a_wait():
    """The wait looks for signals between ticks: Ctrl-C raises KeyboardInterrupt at once."""
    q = fovea.JobQueue()
    q.add({}, id="never")
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            q.wait("never", timeout=30)
    finally:
        timer.cancel()


QUEUE_SCENARIO = json.loads((TESTDATA / "jobs" / "queue.json").read_text(encoding="utf-8"))


def _queue_step(q, step):
    """One step of testdata/jobs/queue.json, its options as Python's keywords."""
    options = step.get("options", {})
    keywords = {"shape": options["shape"]} if "shape" in options else {}
    call = step["call"]
    if call == "add":
        return q.add(
            step["data"], id=options.get("id"), options=options.get("jobOptions"), **keywords
        )
    if call == "counts":
        return q.counts()
    if call == "status":
        return q.status(step["id"], **keywords)
    if call == "wait":
        return q.wait(step["id"], timeout=options["timeoutMs"] / 1000, **keywords)
    if call == "list":
        return q.list(options.get("states"), limit=options.get("limit", 100), **keywords)
    raise AssertionError(f"unknown call {call}")


def test_queue_scenario_runs_alike_in_every_front_end():
    """testdata/jobs/queue.json: the same results and codes as the Rust library and Node."""
    with fovea.JobQueue() as q:
        for i, step in enumerate(QUEUE_SCENARIO["steps"]):
            if "code" in step:
                with pytest.raises(fovea.FoveaError) as info:
                    _queue_step(q, step)
                assert info.value.code == step["code"], (i, step)
                continue
            got = _queue_step(q, step)
            if "expectCount" in step:
                assert len(got) == step["expectCount"], (i, step)
            elif step["call"] == "list":
                assert [v["jobId"] for v in got] == step["expect"], (i, step)
            else:
                assert got == step["expect"], (i, step)

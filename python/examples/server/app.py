"""A FastAPI server doing FOVEA's data work with the ``fovea`` package as its engine.

It implements the routes of FOVEA's seed flow — save an annotation, export JSON Lines,
preview and run an import, queue a tracking job and poll it, review the job's tracks — over a
``fovea.Store`` (an embedded SQLite file by default, or FOVEA's Postgres tables) and a
``fovea.JobQueue`` (in this process by default, or BullMQ on Redis, shared with FOVEA's Node
backend).

A finished tracking job's tracks are candidates, for a reviewer to accept or reject:

- ``GET /api/tracking/{job_id}/candidates[?state=pending|accepted|rejected]`` lists them;
- ``POST /api/tracking/{job_id}/candidates/{object_id}/accept`` saves one as an annotation
  (body: ``AcceptBody``);
- ``POST /api/tracking/{job_id}/candidates/{object_id}/reject`` rejects one (optional body:
  ``RejectBody``).

Both reviews answer the candidate; one naming a ``version`` that is no longer the stored one is
refused with 409 ``conflict``.

Run it with ``uvicorn app:app`` from this folder (settings from the environment, see
``Settings.from_env``), or build an app with ``create_app(Settings(...))``.

Every call into ``fovea`` that touches a file, the database or the queue goes through an
``*_async`` twin or ``asyncio.to_thread``: the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

import fovea

#: FOVEA's upload limit for an import file (spec: 100 MiB per file).
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
#: FOVEA's threshold for the "large export" warning header.
LARGE_EXPORT_BYTES = 100 * 1024 * 1024
#: Uploads are copied to disk in chunks of this size.
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Settings:
    """Where the server keeps its data and how it runs tracking jobs.

    ``database_url``: ``postgres://…`` (FOVEA's tables) or ``sqlite://PATH`` (created when
    missing). ``redis_url``: BullMQ on Redis when set, else an in-process queue. A tracking
    worker runs in this process when ``model_service_url`` names FOVEA's model service, or
    ``simulated_videos`` describes videos for ``fovea.SimulatedModelService`` (no GPU needed);
    with neither, jobs wait for a worker elsewhere (e.g. ``fovea worker --redis …``).
    """

    database_url: str = "sqlite://fovea.db"
    redis_url: Optional[str] = None
    queue_name: str = "object-tracking"
    model_service_url: Optional[str] = None
    simulated_videos: Optional[dict[str, dict[str, int]]] = None
    #: Save tracks as annotations in the store (the worker's ``db``).
    save_tracks: bool = True
    tolerance: float = 1.0
    worker_concurrency: int = 1
    #: Create FOVEA's tables when missing (existing ones are never altered).
    migrate: bool = True
    #: Where uploads and exports are staged (None: the system's temporary folder).
    scratch_dir: Optional[str] = None
    #: Seconds a stopping worker gives running jobs before handing them back.
    shutdown_grace: float = 10.0

    @classmethod
    def from_env(cls, env: Optional[dict[str, str]] = None) -> Settings:
        """Settings from the environment.

        ``DATABASE_URL`` (Postgres) wins over ``FOVEA_DB_URL`` (default
        ``sqlite://fovea.db``); ``REDIS_URL``; ``MODEL_SERVICE_URL`` or
        ``FOVEA_MODEL_SERVICE_URL``; ``FOVEA_SIMULATE`` = JSON of the simulated videos
        (``{"v1": {"width": 640, "height": 480, "frames": 300}}``); ``FOVEA_QUEUE``;
        ``FOVEA_TOLERANCE``; ``FOVEA_WORKER_CONCURRENCY``.
        """
        e = dict(os.environ if env is None else env)
        simulate = e.get("FOVEA_SIMULATE")
        return cls(
            database_url=e.get("DATABASE_URL") or e.get("FOVEA_DB_URL") or "sqlite://fovea.db",
            redis_url=e.get("REDIS_URL") or None,
            queue_name=e.get("FOVEA_QUEUE", "object-tracking"),
            model_service_url=e.get("MODEL_SERVICE_URL")
            or e.get("FOVEA_MODEL_SERVICE_URL")
            or None,
            simulated_videos=json.loads(simulate) if simulate else None,
            tolerance=float(e.get("FOVEA_TOLERANCE", "1.0")),
            worker_concurrency=int(e.get("FOVEA_WORKER_CONCURRENCY", "1")),
        )


@dataclass
class Services:
    """What the lifespan handler opens and closes."""

    store: fovea.Store
    queue: fovea.JobQueue
    worker: Optional[fovea.Worker] = None
    simulation: Optional[fovea.SimulatedModelService] = None


# --- errors -----------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered in FOVEA's global error format ``{error, message, ...}``."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


def _status_of(e: fovea.FoveaError) -> tuple[int, str]:
    """The HTTP status and FOVEA error label of a fovea error."""
    if isinstance(e, (fovea.JobNotFoundError, fovea.CandidateNotFoundError)):
        return 404, "NOT_FOUND"
    if isinstance(e, (fovea.ConflictError, fovea.InvalidStateError)):
        return 409, "CONFLICT"
    if isinstance(e, fovea.MissingDependencyError):
        return 422, "UNPROCESSABLE_ENTITY"
    if isinstance(e, fovea.PayloadTooLargeError):
        return 413, "PAYLOAD_TOO_LARGE"
    if isinstance(e, (fovea.QueueBackendError, fovea.QueueClosedError)):
        return 503, "SERVICE_UNAVAILABLE"
    if isinstance(e, (fovea.DatabaseError, fovea.IoError)):
        return 500, "INTERNAL_ERROR"
    return 400, "VALIDATION_ERROR"


def _error_body(e: fovea.FoveaError, path_prefix: str = "") -> dict[str, Any]:
    """``{error, code, message, path, line}`` of a fovea error; ``path_prefix`` is removed
    from the path so it names a field of the request body."""
    path = e.path
    if path is not None and path_prefix and path.startswith(path_prefix):
        path = path[len(path_prefix) :].lstrip(".") or None
    return {
        "error": _status_of(e)[1],
        "code": e.code,
        "message": str(e),
        "path": path,
        "line": e.line,
    }


def _fovea_error(e: fovea.FoveaError, path_prefix: str = "") -> JSONResponse:
    return JSONResponse(_error_body(e, path_prefix), status_code=_status_of(e)[0])


# --- request helpers --------------------------------------------------------------------------


def _services(request: Request) -> Services:
    services: Services = request.app.state.fovea
    return services


async def _json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400."""
    try:
        body = await request.json()
    except ValueError as e:
        raise ApiError(400, "VALIDATION_ERROR", f"Invalid JSON body: {e}") from e
    if not isinstance(body, dict):
        raise ApiError(400, "VALIDATION_ERROR", "The body must be a JSON object")
    return body


async def _save_upload(upload: UploadFile, folder: Path) -> Path:
    """Copies an uploaded file to ``folder`` in chunks (FOVEA's 100 MiB limit)."""
    target = folder / "upload.jsonl"
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ApiError(413, "PAYLOAD_TOO_LARGE", "The file is larger than 100 MiB")
            await asyncio.to_thread(out.write, chunk)
    return target


class _Upload:
    """A multipart request's first file part, saved to a scratch folder, and its other
    fields; the parts may come in any order. Use as an async context manager."""

    def __init__(self, request: Request, scratch: Optional[str]) -> None:
        self.request, self.scratch = request, scratch
        self.fields: dict[str, str] = {}

    async def __aenter__(self) -> Path:
        self.folder = Path(tempfile.mkdtemp(prefix="fovea-upload-", dir=self.scratch))
        try:
            form = await self.request.form()
            try:
                first: Optional[UploadFile] = None
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        first = first or value
                    else:
                        self.fields.setdefault(name, value)
                if first is None:
                    raise ApiError(400, "VALIDATION_ERROR", "No file provided")
                return await _save_upload(first, self.folder)
            finally:
                await form.close()
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(shutil.rmtree, self.folder, True)


def _csv(value: Optional[str]) -> Optional[list[str]]:
    """A comma-separated query parameter as a list (empty items dropped), None when absent."""
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def _object_id(text: str) -> int:
    """A path's object id as fovea reads it (a 64-bit whole number), or a 400."""
    try:
        value: Optional[int] = int(text)
    except ValueError:
        value = None
    if value is None or not -(2**63) <= value < 2**63:
        raise ApiError(
            400,
            "VALIDATION_ERROR",
            f"objectId: {text!r} is not a 64-bit whole number",
            code="invalid-type",
            path="objectId",
            line=None,
        )
    return value


def _preview_of(seq: fovea.Sequence) -> dict[str, Any]:
    """Every visible frame's box of a sequence, with its span and counters."""
    span = seq.span
    return {
        "span": list(span) if span is not None else None,
        "counters": seq.counters,
        "frames": seq.interpolate(),
    }


# --- candidate reviews ------------------------------------------------------------------------

#: A frame number or a candidate's version, as fovea stores them (32 bits, unsigned).
_U32 = Annotated[int, Field(ge=0, le=0xFFFF_FFFF)]
#: pydantic's error types that fovea would call an invalid option (the others: a wrong type).
_INVALID_OPTION = frozenset({"extra_forbidden", "missing", "greater_than_equal", "less_than_equal"})


class _ReviewBody(BaseModel):
    """A review's JSON body: camelCase keys, unknown keys and loose types refused."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    def options(self) -> dict[str, Any]:
        """The keyword arguments of the store's review call (keys not given left out)."""
        return self.model_dump(exclude_none=True)


class FrameRange(_ReviewBody):
    """The tracked frames to keep, ``start`` to ``end`` inclusive."""

    start: _U32
    end: _U32


class AcceptBody(_ReviewBody):
    """``POST …/accept``: a type annotation (``typeId``, ``personaId``, ``typeCategory``) or an
    object annotation (``entityId``); keyframes by ``tolerance`` (pixels), ``decimation`` (N or
    ``"auto"``) or ``everyFrame``; ``frames``; the ``version`` the reviewer saw; ``reviewer``."""

    type_id: Optional[str] = None
    persona_id: Optional[str] = None
    type_category: Optional[str] = None
    entity_id: Optional[str] = None
    tolerance: Optional[float] = None
    #: A whole number or "auto", checked by fovea.
    decimation: Any = None
    every_frame: bool = False
    frames: Optional[FrameRange] = None
    version: Optional[_U32] = None
    reviewer: Optional[str] = None

    def options(self) -> dict[str, Any]:
        """As the base's, ``frames`` as the ``(start, end)`` pair the store takes."""
        options = super().options()
        if self.frames is not None:
            options["frames"] = (self.frames.start, self.frames.end)
        return options


class RejectBody(_ReviewBody):
    """``POST …/reject``: why (``reason``), the ``version`` the reviewer saw, ``reviewer``."""

    reason: Optional[str] = None
    version: Optional[_U32] = None
    reviewer: Optional[str] = None


_Body = TypeVar("_Body", bound=_ReviewBody)


async def _review_body(request: Request, model: type[_Body]) -> _Body:
    """The request's JSON body (none: no options) read as ``model``, or a 400 naming the key
    at fault: ``invalid-option`` for an unknown key or a value out of range, ``invalid-type``
    for a value of the wrong type."""
    data = await _json_object(request) if await request.body() else {}
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        path = ".".join(str(part) for part in first["loc"])
        code = "invalid-option" if first["type"] in _INVALID_OPTION else "invalid-type"
        raise ApiError(
            400, "VALIDATION_ERROR", f"{path}: {first['msg']}", code=code, path=path, line=None
        ) from None


# --- the app ----------------------------------------------------------------------------------


async def _open(settings: Settings) -> Services:
    """Opens the store, the queue and (when configured) a tracking worker."""
    store = await fovea.Store.connect_async(settings.database_url)
    try:
        if settings.migrate:
            await store.migrate_async()
        queue = await asyncio.to_thread(
            fovea.JobQueue, settings.redis_url, name=settings.queue_name
        )
    except BaseException:
        await store.close_async()
        raise
    services = Services(store=store, queue=queue)
    try:
        model_service = settings.model_service_url
        if model_service is None and settings.simulated_videos is not None:
            services.simulation = await asyncio.to_thread(
                fovea.SimulatedModelService, settings.simulated_videos
            )
            model_service = services.simulation.url
        if model_service is not None:
            services.worker = await asyncio.to_thread(
                queue.tracking_worker,
                model_service,
                db=settings.database_url if settings.save_tracks else None,
                tolerance=settings.tolerance,
                concurrency=settings.worker_concurrency,
            )
    except BaseException:
        await _close(services, settings)
        raise
    return services


async def _close(services: Services, settings: Settings) -> None:
    """Stops the worker (handing unfinished jobs back), then closes the rest."""
    if services.worker is not None:
        await asyncio.to_thread(services.worker.close, settings.shutdown_grace)
    await services.queue.close_async()
    if services.simulation is not None:
        await asyncio.to_thread(services.simulation.close)
    await services.store.close_async()


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    """The FastAPI app over ``settings`` (default: ``Settings.from_env()``)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.fovea = await _open(settings)
        try:
            yield
        finally:
            await _close(app.state.fovea, settings)

    app = FastAPI(title="fovea example server", lifespan=lifespan)
    app.state.settings = settings

    @app.exception_handler(ApiError)
    async def api_error(_: Request, e: ApiError) -> JSONResponse:
        return JSONResponse(
            {"error": e.error, "message": e.message, **e.extra}, status_code=e.status
        )

    @app.exception_handler(fovea.FoveaError)
    async def fovea_error(_: Request, e: fovea.FoveaError) -> JSONResponse:
        return _fovea_error(e)

    @app.post("/api/annotations", status_code=201)
    async def save_annotation(request: Request) -> JSONResponse:
        """Saves an annotation (inserting or replacing by id); answers the annotation as
        stored and every visible frame's box."""
        body = await _json_object(request)
        if "boundingBoxSequence" not in body:
            raise ApiError(
                400,
                "VALIDATION_ERROR",
                "boundingBoxSequence: missing",
                code="missing-field",
                path="boundingBoxSequence",
                line=None,
            )
        try:
            # Reading the sequence checks it (frames, boxes, segments, visibility).
            seq = fovea.Sequence(body["boundingBoxSequence"])
        except fovea.FoveaError as e:
            body_error = _error_body(e)
            body_error["path"] = "boundingBoxSequence" + (f".{e.path}" if e.path else "")
            return JSONResponse(body_error, status_code=_status_of(e)[0])
        store = _services(request).store
        try:
            await store.save_annotations_async([body])
        except fovea.DatabaseError as e:
            # The database refused the row (a video or persona it lacks is
            # MissingDependencyError, a 422, below).
            error = _error_body(e)
            error["error"] = "CONFLICT"
            return JSONResponse(error, status_code=409)
        except fovea.FoveaError as e:
            return _fovea_error(e, path_prefix="annotations[0]")
        saved = await store.annotation_async(str(body["id"]))
        return JSONResponse(
            {"annotation": saved, "preview": await asyncio.to_thread(_preview_of, seq)}, 201
        )

    @app.get("/api/annotations/{annotation_id}")
    async def get_annotation(request: Request, annotation_id: str) -> JSONResponse:
        """One stored annotation, or 404."""
        found = await _services(request).store.annotation_async(annotation_id)
        if found is None:
            raise ApiError(404, "NOT_FOUND", f"Annotation {annotation_id} not found")
        return JSONResponse(found)

    @app.get("/api/export")
    async def export(
        request: Request,
        includeInterpolated: bool = False,  # noqa: N803 - FOVEA's parameter names
        format: str = "jsonl",
        personaIds: Optional[str] = Query(None),  # noqa: N803
        videoIds: Optional[str] = Query(None),  # noqa: N803
        annotationTypes: Optional[str] = Query(None),  # noqa: N803
    ) -> FileResponse:
        """The store as JSON Lines, keyframes only or every frame, written to a scratch file
        by the store's streaming export and sent from there (never held in memory)."""
        if format != "jsonl":
            raise ApiError(400, "VALIDATION_ERROR", f"format {format!r} is not supported (jsonl)")
        folder = Path(tempfile.mkdtemp(prefix="fovea-export-", dir=settings.scratch_dir))
        target = folder / "annotations.jsonl"
        try:
            stats = await _services(request).store.export_async(
                target,
                mode="interpolated" if includeInterpolated else "keyframes",
                persona_ids=_csv(personaIds),
                video_ids=_csv(videoIds),
                annotation_types=_csv(annotationTypes),
                export_date=datetime.now(timezone.utc)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        headers = {
            "X-Export-Size": f"{stats['bytes'] / 1048576:.2f}MB",
            "X-Export-Annotations": str(stats["annotationCount"]),
            "X-Export-Sequences": str(stats["sequenceCount"]),
            "X-Export-Keyframes": str(stats["keyframeCount"]),
            "X-Export-Interpolated-Frames": str(stats["interpolatedFrameCount"]),
        }
        if stats["bytes"] > LARGE_EXPORT_BYTES:
            headers["X-Export-Warning"] = "Large export. Consider filtering by persona or video."
        return FileResponse(
            target,
            media_type="application/x-ndjson",
            filename="annotations.jsonl",
            headers=headers,
            background=BackgroundTask(shutil.rmtree, folder, True),
        )

    @app.post("/api/import/preview")
    async def import_preview(request: Request) -> JSONResponse:
        """What importing the uploaded file would do: counts, conflicts, warnings (and
        fovea's issues and errors). Nothing is written."""
        async with _Upload(request, settings.scratch_dir) as path:
            preview = await _services(request).store.preview_async(path)
        return JSONResponse(preview)

    @app.post("/api/import")
    async def import_file(request: Request) -> JSONResponse:
        """Imports the uploaded file with the ``options`` field (FOVEA's ImportOptions as
        JSON text, deep-merged over the defaults); answers FOVEA's ImportResult, 200 even
        when it did not succeed."""
        upload = _Upload(request, settings.scratch_dir)
        async with upload as path:
            options: Optional[Any] = None
            if "options" in upload.fields:
                try:
                    options = json.loads(upload.fields["options"])
                except ValueError as e:
                    raise ApiError(400, "VALIDATION_ERROR", f"Invalid options JSON: {e}") from e
            out = await _services(request).store.import_jsonl_async(path, options=options)
        return JSONResponse(out["result"], headers={"X-Import-History-Id": str(out["historyId"])})

    @app.post("/api/tracking", status_code=202)
    async def submit_tracking(request: Request, jobId: Optional[str] = None) -> JSONResponse:  # noqa: N803
        """Queues a tracking job (the body is its payload); ``jobId`` makes resubmitting
        idempotent. A payload the tracking worker could not read is refused here, with 400
        and the field at fault (``fovea.check_tracking_job``)."""
        payload = fovea.check_tracking_job(await _json_object(request))
        added = await _services(request).queue.add_async(payload, id=jobId)
        return JSONResponse(
            {"jobId": added["jobId"], "status": "queued", "duplicate": added["duplicate"]},
            status_code=202,
        )

    @app.get("/api/jobs/{job_id}")
    async def job_status(request: Request, job_id: str) -> JSONResponse:
        """FOVEA's job status ``{jobId, status, progress, result, error}`` (``status`` is
        BullMQ's raw state), or 404."""
        view = await _services(request).queue.status_async(job_id, shape="summary")
        if view is None:
            raise ApiError(404, "NOT_FOUND", f"Job {job_id} not found")
        return JSONResponse(view)

    @app.get("/api/tracking/{job_id}/candidates")
    async def list_candidates(
        request: Request, job_id: str, state: Optional[str] = None
    ) -> JSONResponse:
        """The job's tracking candidates, by object (``state``: only those pending, accepted
        or rejected). A job whose worker had no store is registered from its result; 404 for
        an unknown job, 409 for one not completed."""
        services = _services(request)
        found = await services.store.candidates_async(job_id, state=state, queue=services.queue)
        return JSONResponse(found)

    @app.post("/api/tracking/{job_id}/candidates/{object_id}/accept")
    async def accept_candidate(request: Request, job_id: str, object_id: str) -> JSONResponse:
        """Accepts a candidate (body: ``AcceptBody``): its track is saved as the annotation
        ``{job_id}-obj{object_id}``. Answers the candidate; 404 when there is none, 409 for a
        stale ``version``, 422 when the video or persona is not in the store."""
        body = await _review_body(request, AcceptBody)
        services = _services(request)
        reviewed = await services.store.accept_candidate_async(
            job_id, _object_id(object_id), queue=services.queue, **body.options()
        )
        return JSONResponse(reviewed)

    @app.post("/api/tracking/{job_id}/candidates/{object_id}/reject")
    async def reject_candidate(request: Request, job_id: str, object_id: str) -> JSONResponse:
        """Rejects a candidate (optional body: ``RejectBody``), deleting the annotation it had
        been accepted as. Answers the candidate; 404 when there is none, 409 for a stale
        ``version``."""
        body = await _review_body(request, RejectBody)
        services = _services(request)
        reviewed = await services.store.reject_candidate_async(
            job_id, _object_id(object_id), queue=services.queue, **body.options()
        )
        return JSONResponse(reviewed)

    return app


#: The app for ``uvicorn app:app``, configured from the environment when it starts.
app = create_app()

"""fovea: keyframe interpolation and editing of FOVEA bounding-box sequences.

The work is done by a Rust core (``fovea._fovea``); this package re-exports it.

>>> import fovea
>>> seq = fovea.Sequence({"boxes": [
...     {"x": 0, "y": 0, "width": 100, "height": 100, "frameNumber": 0},
...     {"x": 100, "y": 100, "width": 200, "height": 200, "frameNumber": 10}]})
>>> seq.at(5)["x"]
50
>>> len(fovea.interpolate(seq))
11

Every error is a ``fovea.FoveaError`` with a stable ``code`` and, where it applies, the
JSON ``path`` it refers to; there is one subclass per code (``FrameNegativeError``, …),
refused edits subclass ``EditRefusedError``. JSON Lines files are read (``read_jsonl``),
exported (``export_jsonl``), counted (``stats_jsonl``), validated (``validate_jsonl``),
previewed for import (``preview_import``) and merged (``merge_jsonl``) with the GIL released.
``Store`` keeps annotations in FOVEA's database tables — Postgres, or an embedded SQLite file
by default — with blocking methods (GIL released) and ``*_async`` twins. ``JobQueue`` queues
tracking jobs in this process or on Redis (BullMQ, shared with FOVEA's Node backend) and runs
workers whose handler is a Python function.
Long file calls take ``progress=``: a function ``progress(done, total)`` (bytes), or ``True``
for a tqdm bar (``pip install fovea[progress]``); Ctrl-C interrupts them either way.
``Sequence.frames()`` and ``frames_jsonl(path)`` are ``FrameTable``s: Arrow streams
(``__arrow_c_stream__``) that ``pyarrow.table``, ``polars.DataFrame`` and ``to_pandas()`` take.
``fovea.plot`` draws motion paths and timelines with matplotlib.
Every such extra is optional — ``numpy``, ``arrow``, ``pandas``, ``plot``, ``progress`` — and
``import fovea`` needs none: a call that needs a missing one raises ``ImportError`` naming the
``pip install fovea[...]`` that provides it.
"""

import asyncio as _asyncio
import atexit as _atexit
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fovea import _fovea
from fovea._fovea import (
    ERROR_CODES,
    ERROR_FAMILIES,
    JOB_ERROR_CODES,
    REFUSAL_CODES,
    AbortedError,
    BufferTooSmallError,
    CandidateNotFoundError,
    ConflictError,
    DatabaseError,
    EditRefusedError,
    EndKeyframeError,
    FoveaError,
    FoveaTimeoutError,
    FrameNegativeError,
    FrameNotIntegerError,
    FrameTable,
    FrameTooLargeError,
    InvalidControlPointError,
    InvalidEnvelopeError,
    InvalidJobIdError,
    InvalidJsonError,
    InvalidOptionError,
    InvalidRangeError,
    InvalidRowError,
    InvalidStateError,
    InvalidTypeError,
    InvalidUtf8Error,
    IoBrokenPipeError,
    IoConnectionAbortedError,
    IoConnectionRefusedError,
    IoConnectionResetError,
    IoError,
    IoFileExistsError,
    IoFileNotFoundError,
    IoInterruptedError,
    IoIsADirectoryError,
    IoNotADirectoryError,
    IoPermissionError,
    IoTimeoutError,
    Job,
    JobNotFoundError,
    JobQueue as _NativeJobQueue,
    JsonlReader,
    KeyframeExistsError,
    LimitExceededError,
    LineTooLongError,
    MissingDependencyError,
    MissingFieldError,
    MissingPersonaError,
    NoKeyframesError,
    NonFiniteNumberError,
    NotAKeyframeError,
    OperationRefusedError,
    OutsideSpanError,
    PayloadTooLargeError,
    QueueBackendError,
    QueueClosedError,
    SchemaError,
    Sequence,
    SimulatedModelService,
    StaleLeaseError,
    Store as _NativeStore,
    TooManyFramesError,
    UnreadableRowError,
    UnrecognisedInputError,
    UnrecoverableError,
    UnsupportedInterpolationError,
    UnsupportedParametricError,
    UnsupportedUrlError,
    Worker,
    box_at,
    check_tracking_job,
    decimate_track,
    export_jsonl,
    frames_jsonl,
    interpolate,
    merge_jsonl,
    preview_import,
    read_jsonl,
    reduce_track,
    rle_bbox,
    stats_jsonl,
    track_to_sequence,
    tracks_from_service,
    validate_jsonl,
)

if TYPE_CHECKING:
    from fovea._types import (
        Annotation,
        Candidate,
        ImportHistoryEntry,
        ImportPreview,
        JobAdded,
        JobCounts,
        SchemaReport,
        StoredAnnotations,
        StoreExportResult,
        StoreImportResult,
    )

__version__: str = _fovea.__version__

# The same names as fovea._fovea.__all__ (a test checks); spelled out for type checkers.
__all__ = [
    "Sequence",
    "FrameTable",
    "frames_jsonl",
    "interpolate",
    "box_at",
    "JsonlReader",
    "read_jsonl",
    "export_jsonl",
    "stats_jsonl",
    "validate_jsonl",
    "preview_import",
    "merge_jsonl",
    "Store",
    "JobQueue",
    "Worker",
    "Job",
    "SimulatedModelService",
    "track_to_sequence",
    "reduce_track",
    "decimate_track",
    "tracks_from_service",
    "rle_bbox",
    "check_tracking_job",
    "FoveaError",
    "EditRefusedError",
    "UnrecoverableError",
    "InvalidJsonError",
    "InvalidTypeError",
    "MissingFieldError",
    "FrameNotIntegerError",
    "FrameNegativeError",
    "FrameTooLargeError",
    "NonFiniteNumberError",
    "UnrecognisedInputError",
    "InvalidOptionError",
    "UnsupportedParametricError",
    "UnsupportedInterpolationError",
    "InvalidControlPointError",
    "InvalidRangeError",
    "BufferTooSmallError",
    "KeyframeExistsError",
    "NotAKeyframeError",
    "EndKeyframeError",
    "NoKeyframesError",
    "OutsideSpanError",
    "InvalidEnvelopeError",
    "LineTooLongError",
    "InvalidUtf8Error",
    "IoError",
    "TooManyFramesError",
    "LimitExceededError",
    "DatabaseError",
    "UnsupportedUrlError",
    "SchemaError",
    "UnreadableRowError",
    "InvalidRowError",
    "MissingPersonaError",
    "CandidateNotFoundError",
    "ConflictError",
    "MissingDependencyError",
    "InvalidJobIdError",
    "PayloadTooLargeError",
    "JobNotFoundError",
    "StaleLeaseError",
    "InvalidStateError",
    "OperationRefusedError",
    "QueueClosedError",
    "QueueBackendError",
    "FoveaTimeoutError",
    "AbortedError",
    "IoFileNotFoundError",
    "IoPermissionError",
    "IoIsADirectoryError",
    "IoNotADirectoryError",
    "IoFileExistsError",
    "IoInterruptedError",
    "IoTimeoutError",
    "IoBrokenPipeError",
    "IoConnectionRefusedError",
    "IoConnectionResetError",
    "IoConnectionAbortedError",
    "ERROR_CODES",
    "ERROR_FAMILIES",
    "REFUSAL_CODES",
    "JOB_ERROR_CODES",
]

# Workers still running when the interpreter exits hand their jobs back first.
_atexit.register(_fovea._stop_workers)


class Store(_NativeStore):
    """Annotations, personas, videos and world state in FOVEA's database tables.

    ``Store.connect(url)`` opens Postgres (``postgres://…``: the tables FOVEA's migrations
    create, used as they are) or an SQLite file (``sqlite:…``, created with its tables; the
    default is ``sqlite://fovea.db``). Methods block with the GIL released; each has an
    ``*_async`` twin that runs it on a worker thread. Use it as a (async) context manager.

    >>> with fovea.Store.connect("sqlite::memory:") as store:   # doctest: +SKIP
    ...     store.import_jsonl("annotations.jsonl")["result"]["success"]
    True
    """

    @classmethod
    def connect(
        cls, url: "str | None" = None, *, user: "str | None" = None, layout: str = "whole"
    ) -> "Store":
        """Opens the database at ``url`` (default: the embedded ``sqlite://fovea.db``)."""
        return cls(url, user=user, layout=layout)

    @classmethod
    async def connect_async(
        cls, url: "str | None" = None, *, user: "str | None" = None, layout: str = "whole"
    ) -> "Store":
        """``connect`` on a worker thread."""
        return await _asyncio.to_thread(cls, url, user=user, layout=layout)

    async def __aenter__(self) -> "Store":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_async()

    async def close_async(self) -> None:
        """``close`` on a worker thread."""
        await _asyncio.to_thread(self.close)

    async def migrate_async(self) -> "SchemaReport":
        """``migrate`` on a worker thread."""
        return await _asyncio.to_thread(self.migrate)

    async def annotation_async(self, id: str) -> "Annotation | None":
        """``annotation`` on a worker thread."""
        return await _asyncio.to_thread(self.annotation, id)

    async def annotations_async(self, video_id: "str | None" = None) -> "StoredAnnotations":
        """``annotations`` on a worker thread."""
        return await _asyncio.to_thread(self.annotations, video_id)

    async def save_annotations_async(self, annotations: "Iterable[Any]") -> int:
        """``save_annotations`` on a worker thread."""
        return await _asyncio.to_thread(self.save_annotations, annotations)

    async def delete_annotations_async(self, ids: "list[str]") -> int:
        """``delete_annotations`` on a worker thread."""
        return await _asyncio.to_thread(self.delete_annotations, ids)

    async def export_async(self, destination: Any, **options: Any) -> "StoreExportResult":
        """``export`` on a worker thread."""
        return await _asyncio.to_thread(self.export, destination, **options)

    async def preview_async(self, path: Any, **options: Any) -> "ImportPreview":
        """``preview`` on a worker thread."""
        return await _asyncio.to_thread(self.preview, path, **options)

    async def import_jsonl_async(self, path: Any, **options: Any) -> "StoreImportResult":
        """``import_jsonl`` on a worker thread."""
        return await _asyncio.to_thread(self.import_jsonl, path, **options)

    async def import_history_async(self) -> "list[ImportHistoryEntry]":
        """``import_history`` on a worker thread."""
        return await _asyncio.to_thread(self.import_history)

    async def candidates_async(
        self, job_id: "str | None" = None, **options: Any
    ) -> "list[Candidate]":
        """``candidates`` on a worker thread."""
        return await _asyncio.to_thread(self.candidates, job_id, **options)

    async def accept_candidate_async(
        self, job_id: str, object_id: int, **options: Any
    ) -> "Candidate":
        """``accept_candidate`` on a worker thread."""
        return await _asyncio.to_thread(self.accept_candidate, job_id, object_id, **options)

    async def reject_candidate_async(
        self, job_id: str, object_id: int, **options: Any
    ) -> "Candidate":
        """``reject_candidate`` on a worker thread."""
        return await _asyncio.to_thread(self.reject_candidate, job_id, object_id, **options)


class JobQueue(_NativeJobQueue):
    """A tracking-job queue: in this process (no URL) or BullMQ on Redis (``redis://…``).

    Methods block with the GIL released; each has an ``*_async`` twin that runs it on a
    worker thread. ``worker(handler)`` runs ``handler(job)`` on each job on threads of its
    own; raise ``fovea.UnrecoverableError`` to fail a job without retries.

    >>> import fovea
    >>> q = fovea.JobQueue()
    >>> with q.worker(lambda job: {"doubled": job.data["n"] * 2}):
    ...     q.wait(q.add({"n": 21})["jobId"], timeout=10)["result"]
    {'doubled': 42}
    """

    async def __aenter__(self) -> "JobQueue":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_async()

    async def close_async(self) -> None:
        """``close`` on a worker thread."""
        await _asyncio.to_thread(self.close)

    async def add_async(self, data: Any, **options: Any) -> "JobAdded":
        """``add`` on a worker thread."""
        return await _asyncio.to_thread(self.add, data, **options)

    async def status_async(self, id: str, **options: Any) -> "dict[str, Any] | None":
        """``status`` on a worker thread."""
        return await _asyncio.to_thread(self.status, id, **options)

    async def wait_async(self, id: str, **options: Any) -> "dict[str, Any] | None":
        """``wait`` on a worker thread."""
        return await _asyncio.to_thread(self.wait, id, **options)

    async def list_async(
        self, states: "list[str] | None" = None, **options: Any
    ) -> "list[dict[str, Any]]":
        """``list`` on a worker thread."""
        return await _asyncio.to_thread(self.list, states, **options)

    async def counts_async(self) -> "JobCounts":
        """``counts`` on a worker thread."""
        return await _asyncio.to_thread(self.counts)

    async def cancel_async(self, id: str) -> str:
        """``cancel`` on a worker thread."""
        return await _asyncio.to_thread(self.cancel, id)

    async def remove_async(self, id: str) -> bool:
        """``remove`` on a worker thread."""
        return await _asyncio.to_thread(self.remove, id)

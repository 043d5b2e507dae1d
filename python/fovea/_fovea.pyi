"""Native part of fovea: keyframe interpolation of FOVEA bounding-box sequences."""

import builtins
import os
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Callable, ClassVar, TypedDict, final

import numpy
import numpy.typing
from typing_extensions import TypeAlias, disjoint_base

from ._types import (
    Annotation,
    BoundingBox,
    BoundingBoxSequence,
    Candidate,
    ExportResult,
    FileStats,
    ImportHistoryEntry,
    ImportOptions,
    ImportPreview,
    JobAdded,
    JobCounts,
    MergeResult,
    SchemaReport,
    SequenceInput,
    StoredAnnotations,
    StoreExportResult,
    StoreImportResult,
    ValidationReport,
    WorkerReport,
)

_Progress: TypeAlias = bool | Callable[[int, int], Any] | None

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

__version__: str

#: Every error code, one exception class each.
ERROR_CODES: tuple[str, ...]
#: The family of each code (input, type, refusal, io, state, lookup, timeout): it decides the
#: classes its exception also belongs to (ValueError, OSError, LookupError, TimeoutError, ...).
ERROR_FAMILIES: dict[str, str]
#: The codes of refused edits (subclasses of EditRefusedError).
REFUSAL_CODES: tuple[str, ...]
#: The codes of job-queue errors (InvalidJobIdError, JobNotFoundError, ...).
JOB_ERROR_CODES: tuple[str, ...]

def _stop_workers() -> None: ...

#: A box, a sequence, an annotation: FOVEA's JSON as Python objects.
_JsonDict: TypeAlias = dict[str, Any]
#: What a sequence can be read from: a dict (sequence, annotation or annotation line),
#: JSON text of one, or a Sequence.
_SequenceLike: TypeAlias = Sequence | SequenceInput | str
#: A frame number: an int (floats are accepted and checked: 2.5 raises FrameNotIntegerError).
_FrameArg: TypeAlias = int | float
#: A file path.
_Path: TypeAlias = str | os.PathLike[str]

def interpolate(seq: _SequenceLike, *, profile: str | None = None) -> list[BoundingBox]:
    """Every visible frame, ascending, in FOVEA's box shape."""

def box_at(
    seq: _SequenceLike, frame: _FrameArg, *, profile: str | None = None
) -> BoundingBox | None:
    """The box at `frame`, or None outside the keyframe span or on a hidden frame."""

def track_to_sequence(track: _JsonDict | str) -> Sequence:
    """FOVEA's conversion: every tracked frame a keyframe, gaps hidden."""

def reduce_track(track: _JsonDict | str, tolerance: float = 1.0) -> Sequence:
    """The fewest keyframes reproducing every tracked box within `tolerance` pixels."""

def decimate_track(track: _JsonDict | str, every: int | None = None) -> Sequence:
    """FOVEA's decimation: every `every`-th box and the last (None: FOVEA's choice of N)."""

def tracks_from_service(
    response: _JsonDict | str,
    *,
    model: str = "samurai",
    labels: dict[int, str] | None = None,
) -> list[_JsonDict]:
    """The model service's tracking response as one track per object (pixels)."""

class _TrackingLimits(TypedDict, total=False):
    """What one tracking job may ask for; absent keys keep their defaults."""

    frames: int
    videoPixels: int
    objects: int
    maskBytes: int

def check_tracking_job(payload: _JsonDict, *, limits: _TrackingLimits | None = None) -> _JsonDict:
    """The tracking job payload with its defaults, or InvalidTypeError naming the field
    (LimitExceededError when it asks for more than `limits` allow)."""

def rle_bbox(mask: _JsonDict) -> tuple[float, float, float, float] | None:
    """The (x, y, width, height) box of a COCO RLE mask, or None when it is empty."""

@final
class Sequence:
    """A keyframe sequence with its interpolation engine and edits."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def __new__(
        cls, data: _SequenceLike | None = None, *, profile: str = "default"
    ) -> Sequence: ...
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, profile: str = "default") -> Sequence: ...
    @classmethod
    def from_json(cls, text: str, *, profile: str = "default") -> Sequence: ...
    def to_dict(self) -> BoundingBoxSequence: ...
    def to_json(self) -> str: ...
    def interpolate(self) -> list[BoundingBox]: ...
    def at(self, frame: _FrameArg) -> BoundingBox | None: ...
    def to_numpy(
        self,
    ) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.float64]]: ...
    def frames(self, mode: str = "interpolated") -> FrameTable:
        """The boxes as a FrameTable (Arrow stream): every visible frame, or "keyframes"."""
    def plot_data(self) -> _JsonDict | None:
        """What a picture shows: keyframes, path, segments, hidden, span, extent."""
    @property
    def profile(self) -> str: ...
    @property
    def keyframes(self) -> list[BoundingBox]: ...
    @property
    def counters(self) -> dict[str, int]: ...
    @property
    def span(self) -> tuple[int, int] | None: ...
    @property
    def frame_count(self) -> int: ...
    def add_keyframe(
        self,
        frame: _FrameArg,
        box: dict[str, Any] | list[float] | tuple[float, float, float, float] | None = None,
    ) -> None: ...
    def remove_keyframe(self, frame: _FrameArg) -> BoundingBox: ...
    def update_keyframe(self, frame: _FrameArg, changes: dict[str, Any]) -> None: ...
    def move_keyframe(self, from_frame: _FrameArg, to_frame: _FrameArg) -> None: ...
    def set_interpolation(
        self,
        frame: _FrameArg,
        type: str,
        *,
        control_points: dict[str, Any] | None = None,
        parametric: dict[str, Any] | None = None,
    ) -> None: ...
    def set_visibility(self, start: _FrameArg, end: _FrameArg, visible: bool) -> None: ...
    def toggle_visibility(self, frame: _FrameArg) -> bool: ...
    def copy(self) -> Sequence: ...
    def __copy__(self) -> Sequence: ...
    def __deepcopy__(self, memo: Any, /) -> Sequence: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> tuple[type, tuple[()], tuple[str, str]]: ...
    def __setstate__(self, state: tuple[str, str], /) -> None: ...

@final
class FrameTable:
    """Rows of boxes (annotationId, videoId for a file; frame, x, y, width, height, isKeyframe)
    handed to pyarrow / polars / pandas through the Arrow PyCapsule interface."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    @property
    def mode(self) -> str: ...
    def to_arrow(self) -> Any:
        """A pyarrow.Table (pip install fovea[arrow])."""
    def to_pandas(self) -> Any:
        """A pandas.DataFrame (pip install fovea[pandas])."""

def frames_jsonl(
    path: _Path,
    *,
    mode: str = "keyframes",
    persona_ids: Iterable[str] | None = None,
    video_ids: Iterable[str] | None = None,
    annotation_types: Iterable[str] | None = None,
    profile: str = "default",
) -> FrameTable:
    """The boxes of a JSON Lines file's annotations as a FrameTable, read as it is consumed."""

@final
class JsonlReader:
    """An iterator over the records of a JSON Lines file (see `read_jsonl`).

    Yields `{"line": n, "type": ..., "data": {...}}`; a context manager closing the file."""

    def __iter__(self) -> JsonlReader: ...
    def __next__(self) -> _JsonDict: ...
    def __enter__(self) -> JsonlReader: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> bool: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def errors(self) -> list[_JsonDict]:
        """Lines skipped with on_error="collect": dicts {line, code, message, path}."""

def read_jsonl(
    path: _Path,
    *,
    on_error: str = "raise",
    max_line_bytes: int = 67108864,
    line_numbers: str = "physical",
) -> JsonlReader:
    """Iterates over the records of a JSON Lines file, one line in memory at a time.

    on_error: "raise", "skip" or "collect"; line_numbers: "physical" or "non-blank"."""

def export_jsonl(
    source: _Path,
    destination: _Path,
    *,
    mode: str = "keyframes",
    persona_ids: Iterable[str] | None = None,
    video_ids: Iterable[str] | None = None,
    annotation_types: Iterable[str] | None = None,
    profile: str = "default",
    export_date: str | None = None,
    metadata: bool = True,
    progress: _Progress = None,
) -> ExportResult:
    """Exports a JSON Lines file in dependency order; the export stats with `readErrors`."""

def stats_jsonl(path: _Path, *, progress: _Progress = None) -> FileStats:
    """What a JSON Lines file holds (lines per type, annotations, keyframes, frames, ...)."""

def validate_jsonl(
    path: _Path, *, profile: str = "default", max_issues: int = 1000, progress: _Progress = None
) -> ValidationReport:
    """The validation report: valid, lines, invalidLines, errors, warnings, truncated."""

def preview_import(
    path: _Path,
    *,
    existing: _Path | None = None,
    profile: str = "default",
    max_issues: int = 1000,
    memory_budget: int | None = None,
    spill_dir: _Path | None = None,
    progress: _Progress = None,
) -> ImportPreview:
    """Preview of an import into `existing` (None: an empty store): counts, conflicts, warnings, issues, errors."""

def merge_jsonl(
    existing: _Path | None,
    incoming: _Path,
    destination: _Path,
    *,
    options: ImportOptions | str | None = None,
    profile: str = "default",
    max_issues: int = 1000,
    export_date: str | None = None,
    memory_budget: int | None = None,
    spill_dir: _Path | None = None,
    progress: _Progress = None,
) -> MergeResult:
    """Imports `incoming` into `existing` and writes the result to `destination`: {preview, result, stats}."""

@disjoint_base
class Store:
    """FOVEA's database tables in Postgres or an SQLite file (see fovea.Store)."""

    def __new__(
        cls, url: str | None = None, *, user: str | None = None, layout: str = "whole"
    ) -> Store: ...
    @property
    def backend(self) -> str: ...
    def close(self) -> None: ...
    def __enter__(self) -> Store: ...
    def __exit__(self, *_args: Any) -> None: ...
    def migrate(self) -> SchemaReport: ...
    def annotation(self, id: str) -> Annotation | None: ...
    def annotations(self, video_id: str | None = None) -> StoredAnnotations: ...
    def save_annotations(self, annotations: Any) -> int: ...
    def delete_annotations(self, ids: list[str]) -> int: ...
    def export(
        self,
        destination: _Path,
        *,
        mode: str = "keyframes",
        persona_ids: Iterable[str] | None = None,
        video_ids: Iterable[str] | None = None,
        annotation_types: Iterable[str] | None = None,
        profile: str = "default",
        export_date: str | None = None,
        metadata: bool = True,
    ) -> StoreExportResult: ...
    def preview(
        self,
        path: _Path,
        *,
        profile: str = "default",
        max_issues: int = 1000,
        memory_budget: int | None = None,
        spill_dir: _Path | None = None,
    ) -> ImportPreview: ...
    def import_jsonl(
        self,
        path: _Path,
        *,
        options: ImportOptions | str | None = None,
        profile: str = "default",
        max_issues: int = 1000,
        user: str | None = None,
        memory_budget: int | None = None,
        spill_dir: _Path | None = None,
    ) -> StoreImportResult: ...
    def import_history(self) -> list[ImportHistoryEntry]: ...
    def candidates(
        self,
        job_id: str | None = None,
        *,
        video_id: str | None = None,
        state: str | None = None,
        queue: JobQueue | None = None,
    ) -> list[Candidate]: ...
    def accept_candidate(
        self,
        job_id: str,
        object_id: int,
        *,
        type_id: str | None = None,
        persona_id: str | None = None,
        type_category: str | None = None,
        entity_id: str | None = None,
        tolerance: float | None = None,
        decimation: int | str | None = None,
        every_frame: bool = False,
        frames: tuple[int, int] | None = None,
        version: int | None = None,
        reviewer: str | None = None,
        queue: JobQueue | None = None,
    ) -> Candidate: ...
    def reject_candidate(
        self,
        job_id: str,
        object_id: int,
        *,
        reason: str | None = None,
        version: int | None = None,
        reviewer: str | None = None,
        queue: JobQueue | None = None,
    ) -> Candidate: ...

@disjoint_base
class JobQueue:
    """A tracking-job queue in this process or on Redis (see fovea.JobQueue)."""

    def __new__(
        cls,
        url: str | None = None,
        *,
        name: str = "object-tracking",
        prefix: str = "bull",
        allow_cross_major: bool = False,
    ) -> JobQueue: ...
    @property
    def backend(self) -> str: ...
    @property
    def name(self) -> str: ...
    def add(
        self,
        data: Any,
        *,
        id: str | None = None,
        name: str = "track",
        options: dict[str, Any] | None = None,
    ) -> JobAdded: ...
    def status(self, id: str, *, shape: str = "canonical") -> dict[str, Any] | None: ...
    def wait(
        self, id: str, *, timeout: float | None = None, shape: str = "canonical"
    ) -> dict[str, Any] | None: ...
    def list(
        self,
        states: builtins.list[str] | None = None,
        *,
        limit: int = 100,
        shape: str = "canonical",
    ) -> builtins.list[dict[str, Any]]: ...
    def counts(self) -> JobCounts: ...
    def cancel(self, id: str) -> str: ...
    def remove(self, id: str) -> bool: ...
    def worker(
        self,
        handler: Any,
        *,
        concurrency: int = 1,
        timeout: float | None = None,
        lease: float = 30.0,
        name: str | None = None,
    ) -> Worker: ...
    def tracking_worker(
        self,
        model_service: str,
        *,
        db: str | None = None,
        tolerance: float = 1.0,
        concurrency: int = 1,
        timeout: float | None = None,
        lease: float = 30.0,
        name: str | None = None,
        limits: _TrackingLimits | None = None,
    ) -> Worker: ...
    def close(self) -> None: ...
    def __enter__(self) -> JobQueue: ...
    def __exit__(self, *_args: Any) -> None: ...

@final
class Worker:
    """A running worker whose threads call a Python handler on each job."""

    @property
    def running(self) -> bool: ...
    def report(self) -> WorkerReport | None: ...
    def close(self, grace: float = 30.0) -> WorkerReport | None: ...
    def __enter__(self) -> Worker: ...
    def __exit__(self, *_args: Any) -> None: ...

@final
class Job:
    """A job given to a worker's handler."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def attempts_made(self) -> int: ...
    @property
    def cancelled(self) -> bool: ...
    def progress(self, value: Any) -> None: ...

@final
class SimulatedModelService:
    """A stand-in for FOVEA's model service on a loopback port (no GPU model needed)."""

    def __new__(
        cls,
        videos: dict[str, dict[str, int]],
        *,
        velocity: tuple[float, float] = ...,
        lost: list[tuple[int, int]] = ...,
    ) -> SimulatedModelService: ...
    @property
    def url(self) -> str: ...
    @property
    def requests(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> SimulatedModelService: ...
    def __exit__(self, *_args: Any) -> None: ...

class FoveaError(Exception):
    """Base class of every fovea error."""

    code: str | None
    path: str | None
    line: int | None

class EditRefusedError(FoveaError):
    """An edit was refused; the sequence is unchanged."""

class InvalidJsonError(FoveaError, ValueError): ...
class InvalidTypeError(FoveaError, ValueError, TypeError): ...
class MissingFieldError(FoveaError, ValueError): ...
class FrameNotIntegerError(FoveaError, ValueError): ...
class FrameNegativeError(FoveaError, ValueError): ...
class FrameTooLargeError(FoveaError, ValueError): ...
class NonFiniteNumberError(FoveaError, ValueError): ...
class UnrecognisedInputError(FoveaError, ValueError): ...
class InvalidOptionError(FoveaError, ValueError): ...
class UnsupportedParametricError(FoveaError, ValueError): ...
class UnsupportedInterpolationError(FoveaError, ValueError): ...
class InvalidControlPointError(FoveaError, ValueError): ...
class InvalidRangeError(FoveaError, ValueError): ...
class BufferTooSmallError(FoveaError, ValueError): ...
class KeyframeExistsError(EditRefusedError): ...
class NotAKeyframeError(EditRefusedError): ...
class EndKeyframeError(EditRefusedError): ...
class NoKeyframesError(EditRefusedError): ...
class OutsideSpanError(EditRefusedError): ...
class InvalidEnvelopeError(FoveaError, ValueError): ...
class LineTooLongError(FoveaError, ValueError): ...
class InvalidUtf8Error(FoveaError, ValueError): ...
class IoError(FoveaError, OSError): ...
class TooManyFramesError(FoveaError, ValueError): ...
class LimitExceededError(FoveaError, ValueError): ...
class DatabaseError(FoveaError): ...
class UnsupportedUrlError(FoveaError, ValueError): ...
class SchemaError(FoveaError): ...
class UnreadableRowError(FoveaError): ...
class InvalidRowError(FoveaError, ValueError): ...
class MissingPersonaError(FoveaError, ValueError): ...
class CandidateNotFoundError(FoveaError, LookupError): ...
class ConflictError(FoveaError): ...
class MissingDependencyError(FoveaError, LookupError): ...
class InvalidJobIdError(FoveaError, ValueError): ...
class PayloadTooLargeError(FoveaError, ValueError): ...
class JobNotFoundError(FoveaError, LookupError): ...
class StaleLeaseError(FoveaError): ...
class InvalidStateError(FoveaError): ...
class OperationRefusedError(FoveaError): ...
class QueueClosedError(FoveaError): ...
class QueueBackendError(FoveaError): ...
class FoveaTimeoutError(FoveaError, TimeoutError): ...
class AbortedError(FoveaError): ...
class IoFileNotFoundError(IoError, FileNotFoundError): ...
class IoPermissionError(IoError, PermissionError): ...
class IoIsADirectoryError(IoError, IsADirectoryError): ...
class IoNotADirectoryError(IoError, NotADirectoryError): ...
class IoFileExistsError(IoError, FileExistsError): ...
class IoInterruptedError(IoError, InterruptedError): ...
class IoTimeoutError(IoError, TimeoutError): ...
class IoBrokenPipeError(IoError, BrokenPipeError): ...
class IoConnectionRefusedError(IoError, ConnectionRefusedError): ...
class IoConnectionResetError(IoError, ConnectionResetError): ...
class IoConnectionAbortedError(IoError, ConnectionAbortedError): ...

class UnrecoverableError(FoveaError):
    """Raised by a job handler to fail its job at once, without retries."""

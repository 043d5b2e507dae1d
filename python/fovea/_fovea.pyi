"""Native part of fovea: keyframe interpolation of FOVEA bounding-box sequences."""

import os
from types import TracebackType
from typing import Any, Callable, ClassVar, Dict, Iterable, List, Optional, Tuple, Type, TypedDict, Union, final

import numpy
import numpy.typing
from typing_extensions import disjoint_base

_Progress = Union[bool, Callable[[int, int], Any], None]

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
    "DatabaseError",
    "TooManyFramesError",
    "LimitExceededError",
    "InvalidJobIdError",
    "PayloadTooLargeError",
    "JobNotFoundError",
    "StaleLeaseError",
    "InvalidStateError",
    "OperationRefusedError",
    "QueueClosedError",
    "QueueBackendError",
    "ERROR_CODES",
    "REFUSAL_CODES",
    "JOB_ERROR_CODES",
]

__version__: str

#: Every error code, one exception class each.
ERROR_CODES: Tuple[str, ...]
#: The codes of refused edits (subclasses of EditRefusedError).
REFUSAL_CODES: Tuple[str, ...]
#: The codes of job-queue errors (InvalidJobIdError, JobNotFoundError, ...).
JOB_ERROR_CODES: Tuple[str, ...]

def _stop_workers() -> None: ...

#: A box, a sequence, an annotation: FOVEA's JSON as Python objects.
_JsonDict = Dict[str, Any]
#: What a sequence can be read from: a dict (sequence, annotation or annotation line),
#: JSON text of one, or a Sequence.
_SequenceLike = Union["Sequence", Dict[str, Any], str]
#: A frame number: an int (floats are accepted and checked: 2.5 raises FrameNotIntegerError).
_FrameArg = Union[int, float]
#: A file path.
_Path = Union[str, "os.PathLike[str]"]

def interpolate(seq: _SequenceLike, *, profile: Optional[str] = None) -> List[_JsonDict]:
    """Every visible frame, ascending, in FOVEA's box shape."""

def box_at(seq: _SequenceLike, frame: _FrameArg, *, profile: Optional[str] = None) -> Optional[_JsonDict]:
    """The box at `frame`, or None outside the keyframe span or on a hidden frame."""

def track_to_sequence(track: Union[_JsonDict, str]) -> "Sequence":
    """FOVEA's conversion: every tracked frame a keyframe, gaps hidden."""

def reduce_track(track: Union[_JsonDict, str], tolerance: float = 1.0) -> "Sequence":
    """The fewest keyframes reproducing every tracked box within `tolerance` pixels."""

def decimate_track(track: Union[_JsonDict, str], every: Optional[int] = None) -> "Sequence":
    """FOVEA's decimation: every `every`-th box and the last (None: FOVEA's choice of N)."""

def tracks_from_service(
    response: Union[_JsonDict, str], *, model: str = "samurai", labels: Optional[Dict[int, str]] = None
) -> List[_JsonDict]:
    """The model service's tracking response as one track per object (pixels)."""

class _TrackingLimits(TypedDict, total=False):
    """What one tracking job may ask for; absent keys keep their defaults."""

    frames: int
    videoPixels: int
    objects: int
    maskBytes: int

def check_tracking_job(
    payload: _JsonDict, *, limits: Optional[_TrackingLimits] = None
) -> _JsonDict:
    """The tracking job payload with its defaults, or InvalidTypeError naming the field
    (LimitExceededError when it asks for more than `limits` allow)."""

def rle_bbox(mask: _JsonDict) -> Optional[Tuple[float, float, float, float]]:
    """The (x, y, width, height) box of a COCO RLE mask, or None when it is empty."""

@final
class Sequence:
    """A keyframe sequence with its interpolation engine and edits."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def __new__(
        cls, data: Optional[_SequenceLike] = None, *, profile: str = "default"
    ) -> "Sequence": ...
    @classmethod
    def from_dict(cls, data: Dict[str, Any], *, profile: str = "default") -> "Sequence": ...
    @classmethod
    def from_json(cls, text: str, *, profile: str = "default") -> "Sequence": ...
    def to_dict(self) -> _JsonDict: ...
    def to_json(self) -> str: ...
    def interpolate(self) -> List[_JsonDict]: ...
    def at(self, frame: _FrameArg) -> Optional[_JsonDict]: ...
    def to_numpy(
        self,
    ) -> Tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.float64]]: ...
    def frames(self, mode: str = "interpolated") -> "FrameTable":
        """The boxes as a FrameTable (Arrow stream): every visible frame, or "keyframes"."""
    def plot_data(self) -> Optional[_JsonDict]:
        """What a picture shows: keyframes, path, segments, hidden, span, extent."""
    @property
    def profile(self) -> str: ...
    @property
    def keyframes(self) -> List[_JsonDict]: ...
    @property
    def counters(self) -> Dict[str, int]: ...
    @property
    def span(self) -> Optional[Tuple[int, int]]: ...
    @property
    def frame_count(self) -> int: ...
    def add_keyframe(
        self, frame: _FrameArg, box: Union[Dict[str, Any], List[float], Tuple[float, float, float, float], None] = None
    ) -> None: ...
    def remove_keyframe(self, frame: _FrameArg) -> _JsonDict: ...
    def update_keyframe(self, frame: _FrameArg, changes: Dict[str, Any]) -> None: ...
    def move_keyframe(self, from_frame: _FrameArg, to_frame: _FrameArg) -> None: ...
    def set_interpolation(
        self,
        frame: _FrameArg,
        type: str,
        *,
        control_points: Optional[Dict[str, Any]] = None,
        parametric: Optional[Dict[str, Any]] = None,
    ) -> None: ...
    def set_visibility(self, start: _FrameArg, end: _FrameArg, visible: bool) -> None: ...
    def toggle_visibility(self, frame: _FrameArg) -> bool: ...
    def copy(self) -> "Sequence": ...
    def __copy__(self) -> "Sequence": ...
    def __deepcopy__(self, memo: Any, /) -> "Sequence": ...
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[type, Tuple[()], Tuple[str, str]]: ...
    def __setstate__(self, state: Tuple[str, str], /) -> None: ...

@final
class FrameTable:
    """Rows of boxes (annotationId, videoId for a file; frame, x, y, width, height, isKeyframe)
    handed to pyarrow / polars / pandas through the Arrow PyCapsule interface."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
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
    persona_ids: Optional[Iterable[str]] = None,
    video_ids: Optional[Iterable[str]] = None,
    annotation_types: Optional[Iterable[str]] = None,
    profile: str = "default",
) -> FrameTable:
    """The boxes of a JSON Lines file's annotations as a FrameTable, read as it is consumed."""

@final
class JsonlReader:
    """An iterator over the records of a JSON Lines file (see `read_jsonl`).

    Yields `{"line": n, "type": ..., "data": {...}}`; a context manager closing the file."""

    def __iter__(self) -> "JsonlReader": ...
    def __next__(self) -> _JsonDict: ...
    def __enter__(self) -> "JsonlReader": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
        /,
    ) -> bool: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def errors(self) -> List[_JsonDict]:
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
    persona_ids: Optional[Iterable[str]] = None,
    video_ids: Optional[Iterable[str]] = None,
    annotation_types: Optional[Iterable[str]] = None,
    profile: str = "default",
    export_date: Optional[str] = None,
    metadata: bool = True,
    progress: _Progress = None,
) -> Dict[str, Any]:
    """Exports a JSON Lines file in dependency order; the export stats with `readErrors`."""

def stats_jsonl(path: _Path, *, progress: _Progress = None) -> Dict[str, Any]:
    """What a JSON Lines file holds (lines per type, annotations, keyframes, frames, ...)."""

def validate_jsonl(
    path: _Path, *, profile: str = "default", max_issues: int = 1000, progress: _Progress = None
) -> Dict[str, Any]:
    """The validation report: valid, lines, invalidLines, errors, warnings, truncated."""

def preview_import(
    path: _Path,
    *,
    existing: Optional[_Path] = None,
    profile: str = "default",
    max_issues: int = 1000,
    memory_budget: Optional[int] = None,
    spill_dir: Optional[_Path] = None,
    progress: _Progress = None,
) -> Dict[str, Any]:
    """Preview of an import into `existing` (None: an empty store): counts, conflicts, warnings, issues, errors."""

def merge_jsonl(
    existing: Optional[_Path],
    incoming: _Path,
    destination: _Path,
    *,
    options: Union[Dict[str, Any], str, None] = None,
    profile: str = "default",
    export_date: Optional[str] = None,
    memory_budget: Optional[int] = None,
    spill_dir: Optional[_Path] = None,
    progress: _Progress = None,
) -> Dict[str, Any]:
    """Imports `incoming` into `existing` and writes the result to `destination`: {preview, result, stats}."""

@disjoint_base
class Store:
    """FOVEA's database tables in Postgres or an SQLite file (see fovea.Store)."""

    def __new__(cls, url: Optional[str] = None, *, user: Optional[str] = None, layout: str = "whole") -> Store: ...
    @property
    def backend(self) -> str: ...
    def close(self) -> None: ...
    def __enter__(self) -> Store: ...
    def __exit__(self, *_args: Any) -> None: ...
    def migrate(self) -> Dict[str, Any]: ...
    def annotation(self, id: str) -> Optional[Dict[str, Any]]: ...
    def annotations(self, video_id: Optional[str] = None) -> Dict[str, Any]: ...
    def save_annotations(self, annotations: Any) -> int: ...
    def delete_annotations(self, ids: List[str]) -> int: ...
    def export(
        self,
        destination: _Path,
        *,
        mode: str = "keyframes",
        persona_ids: Optional[Iterable[str]] = None,
        video_ids: Optional[Iterable[str]] = None,
        annotation_types: Optional[Iterable[str]] = None,
        profile: str = "default",
        export_date: Optional[str] = None,
        metadata: bool = True,
    ) -> Dict[str, Any]: ...
    def preview(
        self,
        path: _Path,
        *,
        profile: str = "default",
        max_issues: int = 1000,
        memory_budget: Optional[int] = None,
        spill_dir: Optional[_Path] = None,
    ) -> Dict[str, Any]: ...
    def import_jsonl(
        self,
        path: _Path,
        *,
        options: Union[Dict[str, Any], str, None] = None,
        profile: str = "default",
        user: Optional[str] = None,
        memory_budget: Optional[int] = None,
        spill_dir: Optional[_Path] = None,
    ) -> Dict[str, Any]: ...
    def import_history(self) -> List[Dict[str, Any]]: ...

@disjoint_base
class JobQueue:
    """A tracking-job queue in this process or on Redis (see fovea.JobQueue)."""

    def __new__(
        cls,
        url: Optional[str] = None,
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
        self, data: Any, *, id: Optional[str] = None, name: str = "track", options: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]: ...
    def status(self, id: str, *, shape: str = "canonical") -> Optional[Dict[str, Any]]: ...
    def wait(self, id: str, *, timeout: Optional[float] = None, shape: str = "canonical") -> Optional[Dict[str, Any]]: ...
    def list(
        self, states: Optional[List[str]] = None, *, limit: int = 100, shape: str = "canonical"
    ) -> List[Dict[str, Any]]: ...
    def counts(self) -> Dict[str, int]: ...
    def cancel(self, id: str) -> str: ...
    def remove(self, id: str) -> bool: ...
    def worker(
        self,
        handler: Any,
        *,
        concurrency: int = 1,
        timeout: Optional[float] = None,
        lease: float = 30.0,
        name: Optional[str] = None,
    ) -> Worker: ...
    def tracking_worker(
        self,
        model_service: str,
        *,
        db: Optional[str] = None,
        tolerance: float = 1.0,
        concurrency: int = 1,
        timeout: Optional[float] = None,
        lease: float = 30.0,
        name: Optional[str] = None,
        limits: Optional[_TrackingLimits] = None,
    ) -> Worker: ...
    def close(self) -> None: ...
    def __enter__(self) -> JobQueue: ...
    def __exit__(self, *_args: Any) -> None: ...

@final
class Worker:
    """A running worker whose threads call a Python handler on each job."""

    @property
    def running(self) -> bool: ...
    def report(self) -> Optional[Dict[str, int]]: ...
    def close(self, grace: float = 30.0) -> Optional[Dict[str, int]]: ...
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
        videos: Dict[str, Dict[str, int]],
        *,
        velocity: Tuple[float, float] = ...,
        lost: List[Tuple[int, int]] = ...,
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

    code: Optional[str]
    path: Optional[str]
    line: Optional[int]

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
class DatabaseError(FoveaError): ...
class TooManyFramesError(FoveaError, ValueError): ...
class LimitExceededError(FoveaError, ValueError): ...
class InvalidJobIdError(FoveaError, ValueError): ...
class PayloadTooLargeError(FoveaError, ValueError): ...
class JobNotFoundError(FoveaError, LookupError): ...
class StaleLeaseError(FoveaError): ...
class InvalidStateError(FoveaError): ...
class OperationRefusedError(FoveaError): ...
class QueueClosedError(FoveaError): ...
class QueueBackendError(FoveaError): ...

class UnrecoverableError(FoveaError):
    """Raised by a job handler to fail its job at once, without retries."""

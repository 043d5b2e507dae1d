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
NumPy is optional: ``Sequence.to_numpy()`` needs it (``pip install fovea[numpy]``),
``import fovea`` does not.
"""

from fovea import _fovea
from fovea._fovea import (
    Sequence,
    interpolate,
    box_at,
    JsonlReader,
    read_jsonl,
    export_jsonl,
    stats_jsonl,
    validate_jsonl,
    preview_import,
    merge_jsonl,
    FoveaError,
    EditRefusedError,
    InvalidJsonError,
    InvalidTypeError,
    MissingFieldError,
    FrameNotIntegerError,
    FrameNegativeError,
    FrameTooLargeError,
    NonFiniteNumberError,
    UnrecognisedInputError,
    InvalidOptionError,
    UnsupportedParametricError,
    UnsupportedInterpolationError,
    InvalidControlPointError,
    InvalidRangeError,
    BufferTooSmallError,
    KeyframeExistsError,
    NotAKeyframeError,
    EndKeyframeError,
    NoKeyframesError,
    OutsideSpanError,
    InvalidEnvelopeError,
    LineTooLongError,
    InvalidUtf8Error,
    IoError,
    TooManyFramesError,
    ERROR_CODES,
    REFUSAL_CODES,
)

__version__: str = _fovea.__version__

# The same names as fovea._fovea.__all__ (a test checks); spelled out for type checkers.
__all__ = [
    "Sequence",
    "interpolate",
    "box_at",
    "JsonlReader",
    "read_jsonl",
    "export_jsonl",
    "stats_jsonl",
    "validate_jsonl",
    "preview_import",
    "merge_jsonl",
    "FoveaError",
    "EditRefusedError",
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
    "ERROR_CODES",
    "REFUSAL_CODES",
]

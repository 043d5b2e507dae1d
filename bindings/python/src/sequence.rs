//! The `Sequence` class and the module-level `interpolate` / `box_at` functions.

use crate::arrow::FrameTable;
use crate::convert::{Converter, frame_arg, frame_dicts, from_py, read_with, to_py};
use crate::errors::to_pyerr;
use crate::gil::{DETACH_AT, run};
use crate::packages::require;
use fovea_core::edit::{BoxUpdate, box_values_from_value};
use fovea_core::interp::{CompiledSequence, InterpOptions, Profile};
use fovea_core::limits::EAGER_FRAMES;
use fovea_core::model::{BoundingBoxSequence, SequenceInput};
use fovea_core::ops::SegmentArgs;
use fovea_core::plot::PlotData;
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use std::sync::{Arc, Mutex, PoisonError};

/// The `(frames, boxes)` arrays of `Sequence.to_numpy()`.
type Columns<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray2<f64>>);

fn profile_options(name: &str) -> PyResult<InterpOptions> {
    Profile::parse(name)
        .map(InterpOptions::with_profile)
        .map_err(to_pyerr)
}

fn stored_items(seq: &BoundingBoxSequence) -> usize {
    seq.boxes.len() + seq.interpolation_segments.len() + seq.visibility_ranges.len()
}

fn compile(
    py: Python<'_>,
    seq: &BoundingBoxSequence,
    opts: &InterpOptions,
) -> PyResult<Arc<CompiledSequence>> {
    run(py, stored_items(seq) >= DETACH_AT, || seq.compile(opts))
        .map(Arc::new)
        .map_err(to_pyerr)
}

/// Reads a sequence from a dict (sequence, annotation or annotation line) or JSON text.
fn parse_data(data: &Bound<'_, PyAny>) -> PyResult<BoundingBoxSequence> {
    let py = data.py();
    let input = if let Ok(text) = data.cast::<PyString>() {
        let text = text.to_cow()?.into_owned();
        run(py, text.len() / 16 >= DETACH_AT, move || {
            SequenceInput::from_json(&text)
        })
    } else {
        read_with(data, |make| SequenceInput::read(make))
    };
    input.map(|i| i.sequence).map_err(to_pyerr)
}

/// The compiled form of `data` (a `Sequence`, dict or JSON text) under `profile`; a
/// `Sequence` uses its own profile when `profile` is None, and its cache when they agree.
fn compile_input(
    data: &Bound<'_, PyAny>,
    profile: Option<&str>,
) -> PyResult<Arc<CompiledSequence>> {
    let py = data.py();
    let opts = profile.map(profile_options).transpose()?;
    if let Ok(seq) = data.cast::<Sequence>() {
        let seq = seq.try_borrow()?;
        return match opts {
            Some(opts) if opts != seq.opts => compile(py, &seq.seq, &opts),
            _ => seq.compiled(py),
        };
    }
    let seq = parse_data(data)?;
    compile(py, &seq, &opts.unwrap_or_default())
}

fn box_at_frame<'py>(
    py: Python<'py>,
    compiled: &CompiledSequence,
    frame: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let frame = frame_arg(frame, "frame").map_err(to_pyerr)?;
    match compiled.box_at(frame) {
        Some(b) => to_py(py, &b),
        None => Ok(py.None().into_bound(py)),
    }
}

/// Every visible frame of a keyframe sequence, ascending, in FOVEA's box shape.
///
/// `seq` is a `Sequence`, a dict or JSON text holding a sequence, an annotation or an
/// annotation JSON Lines record. Keyframes keep all their fields (`isKeyframe: True`);
/// interpolated frames are `{x, y, width, height, frameNumber, isKeyframe: False}`.
/// `profile` is "default" or "fovea" (None: the `Sequence`'s own profile, else "default").
#[pyfunction]
#[pyo3(signature = (seq, *, profile = None))]
pub fn interpolate<'py>(
    py: Python<'py>,
    seq: &Bound<'py, PyAny>,
    profile: Option<&str>,
) -> PyResult<Bound<'py, PyList>> {
    let compiled = compile_input(seq, profile)?;
    frame_dicts(py, &compiled)
}

/// The box at `frame` in FOVEA's shape, or None outside the keyframe span or on a hidden
/// frame. Arguments as for `interpolate`.
#[pyfunction]
#[pyo3(signature = (seq, frame, *, profile = None))]
pub fn box_at<'py>(
    py: Python<'py>,
    seq: &Bound<'py, PyAny>,
    frame: &Bound<'py, PyAny>,
    profile: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let compiled = compile_input(seq, profile)?;
    box_at_frame(py, &compiled, frame)
}

/// A keyframe sequence: FOVEA's `BoundingBoxSequence` with its interpolation engine and edits.
///
/// `Sequence(data=None, *, profile="default")`: `data` is a dict or JSON text holding a
/// sequence, an annotation or an annotation JSON Lines record (None: an empty sequence).
/// Unknown fields are kept. The compiled form is cached and rebuilt after an edit; edits
/// change the sequence in place, and a refused edit raises an `EditRefusedError` subclass and
/// changes nothing.
#[pyclass(module = "fovea._fovea", name = "Sequence")]
pub struct Sequence {
    seq: BoundingBoxSequence,
    opts: InterpOptions,
    compiled: Mutex<Option<Arc<CompiledSequence>>>,
}

impl Sequence {
    pub(crate) fn with(seq: BoundingBoxSequence, opts: InterpOptions) -> Self {
        Sequence {
            seq,
            opts,
            compiled: Mutex::new(None),
        }
    }

    fn cached(&self) -> Option<Arc<CompiledSequence>> {
        self.compiled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The compiled form, compiled on first use after construction or an edit.
    fn compiled(&self, py: Python<'_>) -> PyResult<Arc<CompiledSequence>> {
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        // The lock is not held while compiling: two threads may both compile; either result
        // is the same.
        let c = compile(py, &self.seq, &self.opts)?;
        *self.compiled.lock().unwrap_or_else(PoisonError::into_inner) = Some(c.clone());
        Ok(c)
    }

    /// Applies an edit; the cache is dropped whatever the outcome.
    fn edit<T>(
        &mut self,
        f: impl FnOnce(&mut BoundingBoxSequence, &InterpOptions) -> fovea_core::Result<T>,
    ) -> PyResult<T> {
        *self
            .compiled
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = None;
        f(&mut self.seq, &self.opts).map_err(to_pyerr)
    }
}

#[pymethods]
impl Sequence {
    #[new]
    #[pyo3(signature = (data = None, *, profile = "default"))]
    fn py_new(data: Option<&Bound<'_, PyAny>>, profile: &str) -> PyResult<Self> {
        let opts = profile_options(profile)?;
        let seq = match data {
            None => BoundingBoxSequence::default(),
            Some(d) => match d.cast::<Sequence>() {
                Ok(other) => other.try_borrow()?.seq.clone(),
                Err(_) => parse_data(d)?,
            },
        };
        Ok(Sequence::with(seq, opts))
    }

    /// A sequence from a dict holding a sequence, an annotation or an annotation line.
    #[classmethod]
    #[pyo3(signature = (data, *, profile = "default"))]
    fn from_dict(
        _cls: &Bound<'_, PyType>,
        data: &Bound<'_, PyAny>,
        profile: &str,
    ) -> PyResult<Self> {
        let opts = profile_options(profile)?;
        let seq = read_with(data, |make| SequenceInput::read(make))
            .map_err(to_pyerr)?
            .sequence;
        Ok(Sequence::with(seq, opts))
    }

    /// A sequence from JSON text holding a sequence, an annotation or an annotation line.
    #[classmethod]
    #[pyo3(signature = (text, *, profile = "default"))]
    fn from_json(
        _cls: &Bound<'_, PyType>,
        text: &Bound<'_, PyString>,
        profile: &str,
    ) -> PyResult<Self> {
        let opts = profile_options(profile)?;
        Ok(Sequence::with(parse_data(text.as_any())?, opts))
    }

    /// The sequence as FOVEA writes it (keyframes flagged, counters recomputed, unknown
    /// fields kept).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.seq)
    }

    /// The sequence as JSON text (JavaScript number formatting, as FOVEA writes it).
    fn to_json(&self) -> String {
        fovea_core::json::to_string(&self.seq)
    }

    /// Every visible frame, ascending, in FOVEA's box shape (see `fovea.interpolate`).
    fn interpolate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let compiled = self.compiled(py)?;
        frame_dicts(py, &compiled)
    }

    /// The box at `frame`, or None outside the keyframe span or on a hidden frame.
    fn at<'py>(&self, py: Python<'py>, frame: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let compiled = self.compiled(py)?;
        box_at_frame(py, &compiled, frame)
    }

    /// Every visible frame as two arrays: frames (int64, shape (N,)) and boxes (float64,
    /// shape (N, 4): x, y, width, height). Needs numpy (`pip install fovea[numpy]`).
    fn to_numpy<'py>(&self, py: Python<'py>) -> PyResult<Columns<'py>> {
        require(py, "numpy", "numpy", "Sequence.to_numpy()")?;
        let compiled = self.compiled(py)?;
        compiled.check_eager_limit(EAGER_FRAMES).map_err(to_pyerr)?;
        let (frames, flat) = run(py, compiled.len() >= DETACH_AT, || {
            compiled.to_dense_as::<i64>().into_flat()
        });
        let n = frames.len();
        let frames = PyArray1::from_vec(py, frames);
        let boxes = PyArray1::from_vec(py, flat).reshape([n, 4])?;
        Ok((frames, boxes))
    }

    /// The boxes as a `FrameTable` (columns `frame`, `x`, `y`, `width`, `height`,
    /// `isKeyframe`) for pyarrow, polars or pandas: every visible frame (`mode=
    /// "interpolated"`, the default) or the keyframes only (`"keyframes"`).
    #[pyo3(signature = (mode = "interpolated"))]
    fn frames(&self, py: Python<'_>, mode: &str) -> PyResult<FrameTable> {
        FrameTable::of_sequence(self.compiled(py)?, mode)
    }

    /// What a picture of the sequence shows (drawn by `fovea.plot`): `keyframes`, `path`
    /// (runs of visible `[frame, centre x, centre y]`, sampled to at most 4000 points),
    /// `segments` (`[start, end, mode]` per keyframe pair), `hidden` (`[first, last]` hidden
    /// ranges), `span` and `extent` (`[x0, y0, x1, y1]`); None without keyframes.
    fn plot_data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let compiled = self.compiled(py)?;
        match run(py, compiled.len() >= DETACH_AT, || {
            PlotData::new(&self.seq, &compiled)
        }) {
            Some(data) => to_py(py, &data),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// "default" or "fovea".
    #[getter]
    fn profile(&self) -> &'static str {
        self.opts.profile.as_str()
    }

    /// The keyframes sorted by frame, with all their fields (`isKeyframe: True`).
    #[getter]
    fn keyframes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut c = Converter::new(py);
        let items = self
            .seq
            .sorted_keyframes(self.opts.keyframes)
            .into_iter()
            .map(|b| {
                let mut flagged = b.clone();
                flagged.is_keyframe = Some(true);
                c.value(&flagged)
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// FOVEA's three counters, recomputed: totalFrames, keyframeCount, interpolatedFrameCount.
    #[getter]
    fn counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.seq.counters(self.opts.keyframes);
        let d = PyDict::new(py);
        d.set_item("totalFrames", c.total_frames)?;
        d.set_item("keyframeCount", c.keyframe_count)?;
        d.set_item("interpolatedFrameCount", c.interpolated_frame_count)?;
        Ok(d)
    }

    /// `(first, last)` keyframe frames, or None without keyframes.
    #[getter]
    fn span(&self) -> Option<(u32, u32)> {
        self.seq.span(self.opts.keyframes)
    }

    /// Number of frames `interpolate()` returns.
    #[getter]
    fn frame_count(&self) -> usize {
        self.seq.counters(self.opts.keyframes).total_frames
    }

    /// Adds a keyframe at `frame`: with `box` (a dict with x, y, width, height, or a
    /// 4-sequence) it takes those values, else the interpolated value (outside the span, a
    /// copy of the nearest keyframe).
    #[pyo3(signature = (frame, r#box = None))]
    fn add_keyframe(
        &mut self,
        frame: &Bound<'_, PyAny>,
        r#box: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let frame = frame_arg(frame, "frame").map_err(to_pyerr)?;
        let values = r#box
            .map(|b| from_py(b).and_then(box_values_from_value))
            .transpose()
            .map_err(to_pyerr)?;
        self.edit(|seq, opts| seq.add_keyframe(frame, values, opts))
    }

    /// Removes the keyframe at `frame` and returns it.
    fn remove_keyframe<'py>(
        &mut self,
        py: Python<'py>,
        frame: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let frame = frame_arg(frame, "frame").map_err(to_pyerr)?;
        let removed = self.edit(|seq, opts| seq.remove_keyframe(frame, opts))?;
        to_py(py, &removed)
    }

    /// Sets fields of the keyframe at `frame` (x, y, width, height, confidence, metadata or
    /// any other field; frameNumber and isKeyframe are ignored: use `move_keyframe`).
    fn update_keyframe(
        &mut self,
        frame: &Bound<'_, PyAny>,
        changes: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let frame = frame_arg(frame, "frame").map_err(to_pyerr)?;
        let update = from_py(changes)
            .and_then(BoxUpdate::from_value)
            .map_err(to_pyerr)?;
        self.edit(|seq, opts| seq.update_keyframe(frame, &update, opts))
    }

    /// Moves the keyframe at `from_frame` to `to_frame`, keeping its values and fields.
    fn move_keyframe(
        &mut self,
        from_frame: &Bound<'_, PyAny>,
        to_frame: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let from = frame_arg(from_frame, "from_frame").map_err(to_pyerr)?;
        let to = frame_arg(to_frame, "to_frame").map_err(to_pyerr)?;
        self.edit(|seq, opts| seq.move_keyframe(from, to, opts))
    }

    /// Sets the interpolation type of the keyframe pair containing `frame`, with optional
    /// per-property bezier `control_points` or `parametric` functions (FOVEA's JSON shapes).
    #[pyo3(signature = (frame, r#type, *, control_points = None, parametric = None))]
    fn set_interpolation(
        &mut self,
        frame: &Bound<'_, PyAny>,
        r#type: &str,
        control_points: Option<&Bound<'_, PyAny>>,
        parametric: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let frame = frame_arg(frame, "frame").map_err(to_pyerr)?;
        let spec = SegmentArgs {
            control_points: control_points.map(from_py).transpose().map_err(to_pyerr)?,
            parametric: parametric.map(from_py).transpose().map_err(to_pyerr)?,
        }
        .spec(r#type)
        .map_err(to_pyerr)?;
        self.edit(|seq, opts| seq.set_interpolation(frame, spec, opts))
    }

    /// Makes frames `start..=end` visible or hidden, leaving every other frame as it was.
    fn set_visibility(
        &mut self,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        visible: bool,
    ) -> PyResult<()> {
        let start = frame_arg(start, "start").map_err(to_pyerr)?;
        let end = frame_arg(end, "end").map_err(to_pyerr)?;
        self.edit(|seq, _| seq.set_visibility(start, end, visible))
    }

    /// Flips the visibility of `frame` alone and returns its new visibility.
    fn toggle_visibility(&mut self, frame: &Bound<'_, PyAny>) -> PyResult<bool> {
        let frame = frame_arg(frame, "frame").map_err(to_pyerr)?;
        self.edit(|seq, _| seq.toggle_visibility(frame))
    }

    /// An independent copy.
    fn copy(&self) -> Self {
        Sequence {
            seq: self.seq.clone(),
            opts: self.opts,
            compiled: Mutex::new(self.cached()),
        }
    }

    fn __copy__(&self) -> Self {
        self.copy()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.copy()
    }

    fn __repr__(&self) -> String {
        let counters = self.seq.counters(self.opts.keyframes);
        let span = match self.seq.span(self.opts.keyframes) {
            Some((a, b)) => format!("({a}, {b})"),
            None => "None".to_owned(),
        };
        format!(
            "Sequence(keyframes={}, span={}, frames={}, segments={}, ranges={}, profile='{}')",
            counters.keyframe_count,
            span,
            counters.total_frames,
            self.seq.interpolation_segments.len(),
            self.seq.visibility_ranges.len(),
            self.opts.profile.as_str(),
        )
    }

    /// Equal when both write the same JSON and have the same profile.
    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<Sequence>() else {
            return Ok(py.NotImplemented());
        };
        let equal = {
            let other = other.try_borrow()?;
            // The model's values serialize infallibly.
            self.opts == other.opts
                && serde_json::to_value(&self.seq).ok() == serde_json::to_value(&other.seq).ok()
        };
        Ok(match op {
            CompareOp::Eq => equal.into_pyobject(py)?.to_owned().into_any().unbind(),
            CompareOp::Ne => (!equal).into_pyobject(py)?.to_owned().into_any().unbind(),
            _ => py.NotImplemented(),
        })
    }

    /// Pickles through the JSON text and the profile.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.try_borrow()?;
        let state = (this.to_json(), this.opts.profile.as_str());
        (slf.get_type(), PyTuple::empty(py), state).into_pyobject(py)
    }

    fn __setstate__(&mut self, state: (String, String)) -> PyResult<()> {
        let (text, profile) = state;
        let opts = profile_options(&profile)?;
        let seq = BoundingBoxSequence::from_json(&text).map_err(to_pyerr)?;
        *self = Sequence::with(seq, opts);
        Ok(())
    }
}

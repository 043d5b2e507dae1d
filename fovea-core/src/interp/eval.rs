//! Eager evaluation: every visible frame of the keyframe span, ascending, pushed into a
//! [`FrameSink`] — columnar buffers (reused or fresh), FOVEA-shaped boxes, or a streaming writer.
//!
//! The walk is O(N + K + H) for N emitted frames, K keyframes and H hidden intervals, with no
//! allocation per frame: the curve of each keyframe pair is chosen once per visible run, and
//! the hidden intervals are passed with a forward cursor.

use super::CompiledSequence;
use super::curve::{Curve, Kernel};
use super::visibility::HiddenCursor;
use crate::error::{Error, Result};
use crate::model::{BoundingBox, Frame};
use std::mem::MaybeUninit;

/// Receives the frames of an eager evaluation, in ascending frame order.
pub trait FrameSink {
    /// A keyframe (with all its stored fields, `isKeyframe: true`).
    fn keyframe(&mut self, key: &BoundingBox);
    /// An interpolated frame: `[x, y, width, height]`.
    fn interpolated(&mut self, frame: Frame, values: [f64; 4]);
}

/// Integer types a frame number can be written as (frames are at most
/// [`crate::model::MAX_FRAME`], so every conversion is exact).
pub trait FrameIndex: Copy {
    /// Converts a frame.
    fn from_frame(frame: Frame) -> Self;
}

macro_rules! frame_index {
    ($($t:ty),*) => {$(
        impl FrameIndex for $t {
            #[inline(always)]
            fn from_frame(frame: Frame) -> Self {
                // MAX_FRAME = 2^31 - 1 fits every listed type.
                frame as $t
            }
        }
    )*};
}
frame_index!(u32, i32, i64, u64, usize);

/// Columnar output of an eager evaluation: `frames[i]` is the frame of `boxes[i]` =
/// `[x, y, width, height]`. `F` is the integer type of the frame column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dense<F = Frame> {
    /// Frame numbers, ascending.
    pub frames: Vec<F>,
    /// Box values, one `[x, y, width, height]` per frame.
    pub boxes: Vec<[f64; 4]>,
}

impl<F> Dense<F> {
    /// The frame column and the boxes flattened row-major (`x0, y0, w0, h0, x1, …`), without
    /// copying: the layout NumPy's `(N, 4)` arrays and JavaScript's `Float64Array` expect.
    pub fn into_flat(self) -> (Vec<F>, Vec<f64>) {
        let mut boxes = std::mem::ManuallyDrop::new(self.boxes);
        let (ptr, len, cap) = (boxes.as_mut_ptr(), boxes.len(), boxes.capacity());
        // SAFETY: `[f64; 4]` is four contiguous `f64`s with the alignment of `f64`, so the
        // allocation of `cap` arrays is an allocation of `4 * cap` f64s with the same layout.
        let flat = unsafe { Vec::from_raw_parts(ptr.cast::<f64>(), len * 4, cap * 4) };
        (self.frames, flat)
    }
}

/// What a host needs besides the columns to build FOVEA's box objects
/// ([`CompiledSequence::write_rows_uninit`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowMarks<'c> {
    /// The rows that are keyframes, ascending, each with its keyframe (whose object carries
    /// all its fields; hidden keyframes have no row).
    pub keyframes: Vec<(usize, &'c BoundingBox)>,
    /// Whether every value written is finite (JSON writes the others as `null`).
    pub all_finite: bool,
}

/// Writes into caller-provided, possibly uninitialised, columnar buffers.
struct Buffers<'a, F> {
    frames: &'a mut [MaybeUninit<F>],
    boxes: &'a mut [MaybeUninit<[f64; 4]>],
    n: usize,
}

impl<F: FrameIndex> Buffers<'_, F> {
    #[inline(always)]
    fn row(&mut self, frame: Frame, values: [f64; 4]) {
        self.frames[self.n].write(F::from_frame(frame));
        self.boxes[self.n].write(values);
        self.n += 1;
    }
}

impl<F: FrameIndex> FrameSink for Buffers<'_, F> {
    #[inline(always)]
    fn keyframe(&mut self, key: &BoundingBox) {
        self.row(key.frame_number, key.values());
    }

    #[inline(always)]
    fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
        self.row(frame, values);
    }
}

/// The sink of [`CompiledSequence::write_rows_uninit`]: columns with values as JSON spells
/// them, and the marks. Keyframes are the compiled sequence's own, so their rows can borrow
/// them.
struct RowSink<'a, 'c, F> {
    buffers: Buffers<'a, F>,
    marks: RowMarks<'c>,
    compiled: &'c CompiledSequence,
}

impl<F: FrameIndex> RowSink<'_, '_, F> {
    #[inline(always)]
    fn row(&mut self, frame: Frame, values: [f64; 4]) {
        // `-0 + 0` is `+0`, every other value is unchanged: JSON's text of `-0` is `0`.
        self.buffers.row(frame, values.map(|v| v + 0.0));
    }
}

impl<F: FrameIndex> FrameSink for RowSink<'_, '_, F> {
    #[inline(always)]
    fn keyframe(&mut self, key: &BoundingBox) {
        let index = self.compiled.key_index(key);
        let row = self.buffers.n;
        self.marks.keyframes.push((row, &self.compiled.keys[index]));
        self.row(key.frame_number, key.values());
    }

    #[inline(always)]
    fn interpolated(&mut self, frame: Frame, values: [f64; 4]) {
        self.row(frame, values);
    }
}

/// Whether every value is finite: one pass, no branch per value (integer tests of the exponent
/// bits, which vectorise). O(values).
fn all_finite(rows: &[[f64; 4]]) -> bool {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    let not_finite = rows.iter().flatten().fold(0u64, |acc, v| {
        acc | u64::from(v.to_bits() & EXPONENT == EXPONENT)
    });
    not_finite == 0
}

/// Emits the frames `a..=b` of the pair `(s, e)` into `sink`.
#[inline(always)]
fn emit_run<S: FrameSink>(
    sink: &mut S,
    kernel: &Kernel,
    (s, e): (Frame, Frame),
    (start, end): (&[f64; 4], &[f64; 4]),
    (a, b): (Frame, Frame),
) {
    let span = f64::from(e - s);
    let delta: [f64; 4] = std::array::from_fn(|p| end[p] - start[p]);
    // t is computed as FOVEA does, (f - s) / (e - s), for bit-for-bit agreement.
    let t_of = |f: Frame| f64::from(f - s) / span;
    match *kernel {
        Kernel::Uniform(Curve::Linear) => {
            // The hot path: kept free of indirection so it vectorises.
            for f in a..=b {
                let t = t_of(f);
                sink.interpolated(
                    f,
                    [
                        start[0] + delta[0] * t,
                        start[1] + delta[1] * t,
                        start[2] + delta[2] * t,
                        start[3] + delta[3] * t,
                    ],
                );
            }
        }
        Kernel::Uniform(Curve::Hold) => {
            for f in a..=b {
                sink.interpolated(f, *start);
            }
        }
        Kernel::Uniform(
            c @ (Curve::EaseIn | Curve::EaseOut | Curve::EaseInOut | Curve::Bezier { .. }),
        ) => {
            // One progress evaluation (one Newton solve for bezier) per frame for all four.
            for f in a..=b {
                let t = t_of(f);
                let g = c.progress(t).unwrap_or(t);
                sink.interpolated(f, std::array::from_fn(|p| start[p] + delta[p] * g));
            }
        }
        _ => {
            for f in a..=b {
                sink.interpolated(f, kernel.values(start, end, t_of(f)));
            }
        }
    }
}

impl CompiledSequence {
    /// Pushes every visible frame of the keyframe span into `sink`, ascending.
    ///
    /// Keyframes go to [`FrameSink::keyframe`], other frames to [`FrameSink::interpolated`].
    /// A lone keyframe is emitted even when hidden (FOVEA's rule).
    pub fn visit<S: FrameSink>(&self, sink: &mut S) {
        self.visit_range(0, Frame::MAX, sink);
    }

    /// Pushes the visible frames `from..=to` of the keyframe span into `sink`, ascending, as
    /// [`CompiledSequence::visit`] does for all of them: consecutive ranges give, together,
    /// exactly what one visit gives, so a long span can be consumed a window at a time.
    /// O(log K + segments and hidden ranges in the window + frames emitted).
    pub fn visit_range<S: FrameSink>(&self, from: Frame, to: Frame, sink: &mut S) {
        let frames = &self.timeline.frames;
        let within = |f: Frame| from <= f && f <= to;
        match self.keys.as_slice() {
            [] => {}
            [only] => {
                if within(only.frame_number) {
                    sink.keyframe(only);
                }
            }
            [.., last] => {
                let mut cursor = HiddenCursor::new(&self.timeline.hidden);
                // The segment holding `from`: the last whose start is at or before it.
                let first = frames.partition_point(|&f| f <= from).saturating_sub(1);
                for (i, kernel) in self.kernels.iter().enumerate().skip(first) {
                    let (s, e) = (frames[i], frames[i + 1]);
                    if s > to {
                        return;
                    }
                    if within(s) && cursor.visible(s) {
                        sink.keyframe(&self.keys[i]);
                    }
                    // Frames strictly between s and e, and within the window.
                    let after = s.max(from.saturating_sub(1));
                    let before = e.min(to.saturating_add(1));
                    let ends = (&self.values[i], &self.values[i + 1]);
                    cursor.visible_runs(after, before, |a, b| {
                        emit_run(sink, kernel, (s, e), ends, (a, b))
                    });
                }
                if within(last.frame_number) && cursor.visible(last.frame_number) {
                    sink.keyframe(last);
                }
            }
        }
    }

    /// Writes every visible frame into caller-provided buffers, which may be uninitialised
    /// (e.g. a freshly allocated NumPy array). Returns the number of frames written, which is
    /// [`CompiledSequence::len`]; both buffers must hold at least that many.
    pub fn write_uninit<F: FrameIndex>(
        &self,
        frames: &mut [MaybeUninit<F>],
        boxes: &mut [MaybeUninit<[f64; 4]>],
    ) -> Result<usize> {
        let available = frames.len().min(boxes.len());
        if available < self.len {
            return Err(Error::BufferTooSmall {
                needed: self.len,
                available,
            });
        }
        let mut sink = Buffers {
            frames,
            boxes,
            n: 0,
        };
        self.visit(&mut sink);
        debug_assert_eq!(sink.n, self.len);
        Ok(sink.n)
    }

    /// Like [`CompiledSequence::write_uninit`], for hosts that build FOVEA's box objects from
    /// the columns: values are written as JSON spells them (`-0` as `0`), and the returned
    /// marks say which rows are keyframes and whether every value is finite. O(N + K).
    pub fn write_rows_uninit<'c, F: FrameIndex>(
        &'c self,
        frames: &mut [MaybeUninit<F>],
        boxes: &mut [MaybeUninit<[f64; 4]>],
    ) -> Result<RowMarks<'c>> {
        let available = frames.len().min(boxes.len());
        if available < self.len {
            return Err(Error::BufferTooSmall {
                needed: self.len,
                available,
            });
        }
        let mut sink = RowSink {
            buffers: Buffers {
                frames,
                boxes,
                n: 0,
            },
            marks: RowMarks {
                keyframes: Vec::with_capacity(self.keys.len()),
                all_finite: true,
            },
            compiled: self,
        };
        self.visit(&mut sink);
        let n = sink.buffers.n;
        debug_assert_eq!(n, self.len);
        let mut marks = sink.marks;
        // SAFETY: the walk initialised the first `n` rows.
        let written = unsafe { std::slice::from_raw_parts(boxes.as_ptr().cast::<[f64; 4]>(), n) };
        marks.all_finite = all_finite(written);
        Ok(marks)
    }

    /// Every visible frame into new columns, as [`CompiledSequence::write_rows_uninit`] writes
    /// them, with the marks.
    pub fn to_rows<F: FrameIndex>(&self) -> (Dense<F>, RowMarks<'_>) {
        let mut marks = RowMarks::default();
        let dense = self.dense(|frames, boxes| {
            marks = self.write_rows_uninit(frames, boxes)?;
            Ok(self.len)
        });
        (dense, marks)
    }

    /// Writes every visible frame into reusable buffers; see [`CompiledSequence::write_uninit`].
    pub fn write_into<F: FrameIndex>(
        &self,
        frames: &mut [F],
        boxes: &mut [[f64; 4]],
    ) -> Result<usize> {
        // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the evaluation only ever writes
        // initialised values, so the slices stay fully initialised.
        let (frames, boxes) = unsafe {
            (
                &mut *(frames as *mut [F] as *mut [MaybeUninit<F>]),
                &mut *(boxes as *mut [[f64; 4]] as *mut [MaybeUninit<[f64; 4]>]),
            )
        };
        self.write_uninit(frames, boxes)
    }

    /// Every visible frame into new columnar buffers, allocated once at the exact size and
    /// written without zeroing first.
    pub fn to_dense(&self) -> Dense {
        self.to_dense_as::<Frame>()
    }

    /// [`CompiledSequence::to_dense`] with frames written as `F` (e.g. `i64` for NumPy, `i32` for
    /// JavaScript's `Int32Array`).
    pub fn to_dense_as<F: FrameIndex>(&self) -> Dense<F> {
        self.dense(|frames, boxes| self.write_uninit(frames, boxes))
    }

    /// New columns of exactly [`CompiledSequence::len`] rows, filled by `write` (which says how
    /// many it wrote) without zeroing first.
    fn dense<F: FrameIndex>(
        &self,
        write: impl FnOnce(&mut [MaybeUninit<F>], &mut [MaybeUninit<[f64; 4]>]) -> Result<usize>,
    ) -> Dense<F> {
        let mut frames: Vec<F> = Vec::with_capacity(self.len);
        let mut boxes: Vec<[f64; 4]> = Vec::with_capacity(self.len);
        let n = write(
            &mut frames.spare_capacity_mut()[..self.len],
            &mut boxes.spare_capacity_mut()[..self.len],
        )
        .expect("buffers sized to len");
        // SAFETY: `write_uninit` initialised exactly the first `n` elements of both buffers.
        unsafe {
            frames.set_len(n);
            boxes.set_len(n);
        }
        Dense { frames, boxes }
    }
}

#[cfg(test)]
mod tests {
    use crate::interp::InterpOptions;
    use crate::model::{BoundingBox, BoundingBoxSequence, InterpolationSegment, InterpolationType};

    fn sequence(first: [f64; 4], last: [f64; 4], kind: InterpolationType) -> BoundingBoxSequence {
        BoundingBoxSequence {
            boxes: vec![
                BoundingBox::keyframe(0, first),
                BoundingBox::keyframe(4, last),
            ],
            interpolation_segments: vec![InterpolationSegment::new(0, 4, kind)],
            ..Default::default()
        }
    }

    #[test]
    fn rows_are_written_as_json_spells_them() {
        let seq = sequence(
            [-0.0, 1.0, 1.0, 1.0],
            [5.0, 1.0, 1.0, 1.0],
            InterpolationType::Hold,
        );
        let compiled = seq.compile(&InterpOptions::default()).unwrap();
        let (rows, marks) = compiled.to_rows::<u32>();
        assert!(
            rows.boxes.iter().all(|b| b[0].is_sign_positive()),
            "{rows:?}"
        );
        assert!(compiled.to_dense().boxes[1][0].is_sign_negative());
        assert!(marks.all_finite);
        assert_eq!(
            marks
                .keyframes
                .iter()
                .map(|(row, _)| *row)
                .collect::<Vec<_>>(),
            [0, 4]
        );
        // The difference of two finite extremes overflows.
        let seq = sequence(
            [-1e308, 0.0, 1.0, 1.0],
            [1e308, 0.0, 1.0, 1.0],
            InterpolationType::Linear,
        );
        let compiled = seq.compile(&InterpOptions::default()).unwrap();
        assert!(!compiled.to_rows::<u32>().1.all_finite);
    }
}

//! What a plot of one sequence shows, computed from the engine: the visible path of the box
//! centre, the keyframes, the keyframe pairs with their interpolation modes, and the hidden
//! ranges of the keyframe span. Drawn by `fovea plot` (plotters) and by the Python package's
//! `fovea.plot` (matplotlib); the core itself draws nothing.

use crate::interp::CompiledSequence;
use crate::model::{BoundingBox, BoundingBoxSequence, Frame, InterpolationType};
use serde::Serialize;

/// Most points drawn per path: longer spans are sampled evenly (keyframes are always drawn).
pub const MAX_PATH_POINTS: usize = 4000;

/// The drawable facts of one sequence (serialised with camelCase keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlotData {
    /// The keyframes, ascending.
    #[serde(serialize_with = "keyframes_json")]
    pub keyframes: Vec<BoundingBox>,
    /// Runs of consecutive visible frames, each a list of `(frame, centre x, centre y)`.
    pub path: Vec<Vec<(Frame, f64, f64)>>,
    /// Each keyframe pair `(start, end)` with its interpolation mode.
    #[serde(serialize_with = "segments_json")]
    pub segments: Vec<(Frame, Frame, InterpolationType)>,
    /// Hidden frame ranges `(first, last)` inside the keyframe span.
    pub hidden: Vec<(Frame, Frame)>,
    /// First and last frame of the keyframe span.
    pub span: (Frame, Frame),
    /// Smallest and largest x and y the boxes reach: `(x0, y0, x1, y1)`.
    pub extent: (f64, f64, f64, f64),
}

impl PlotData {
    /// Computes the plot of `seq` compiled as `compiled`; `None` without keyframes.
    ///
    /// O(span) for the visibility runs and O(span / stride) engine lookups for the path, where
    /// the stride keeps the path under [`MAX_PATH_POINTS`] points.
    pub fn new(seq: &BoundingBoxSequence, compiled: &CompiledSequence) -> Option<Self> {
        let span = compiled.span()?;
        let keyframes = compiled.keyframes().to_vec();
        let length = (span.1 - span.0) as usize + 1;
        let stride = length.div_ceil(MAX_PATH_POINTS).max(1) as Frame;

        let mut path: Vec<Vec<(Frame, f64, f64)>> = Vec::new();
        let mut hidden: Vec<(Frame, Frame)> = Vec::new();
        let mut run_open = false;
        let mut keys = keyframes.iter().map(|k| k.frame_number).peekable();
        for frame in span.0..=span.1 {
            let is_key = keys.peek() == Some(&frame);
            if is_key {
                keys.next();
            }
            if !compiled.is_visible(frame) {
                match hidden.last_mut() {
                    Some(last) if last.1 + 1 == frame => last.1 = frame,
                    _ => hidden.push((frame, frame)),
                }
                run_open = false;
                continue;
            }
            let sampled = is_key || (frame - span.0) % stride == 0 || frame == span.1;
            if !sampled {
                continue;
            }
            let Some([x, y, w, h]) = compiled.values_at(frame) else {
                run_open = false;
                continue;
            };
            if !run_open {
                path.push(Vec::new());
                run_open = true;
            }
            if let Some(run) = path.last_mut() {
                run.push((frame, x + w / 2.0, y + h / 2.0));
            }
        }

        let segments = keyframes
            .windows(2)
            .map(|pair| {
                let (a, b) = (pair[0].frame_number, pair[1].frame_number);
                let kind = seq
                    .interpolation_segments
                    .iter()
                    .find(|s| s.start_frame == a && s.end_frame == b)
                    .map(|s| s.kind.clone())
                    .unwrap_or_default();
                (a, b, kind)
            })
            .collect();

        let extent = keyframes.iter().fold(
            (
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ),
            |(x0, y0, x1, y1), k| {
                (
                    x0.min(k.x),
                    y0.min(k.y),
                    x1.max(k.x + k.width),
                    y1.max(k.y + k.height),
                )
            },
        );
        let extent = path
            .iter()
            .flatten()
            .fold(extent, |(x0, y0, x1, y1), &(_, cx, cy)| {
                (x0.min(cx), y0.min(cy), x1.max(cx), y1.max(cy))
            });
        Some(PlotData {
            keyframes,
            path,
            segments,
            hidden,
            span,
            extent,
        })
    }
}

/// Keyframes as `{frameNumber, x, y, width, height}`.
fn keyframes_json<S: serde::Serializer>(keys: &[BoundingBox], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Key {
        frame_number: Frame,
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    }
    s.collect_seq(keys.iter().map(|k| Key {
        frame_number: k.frame_number,
        x: k.x,
        y: k.y,
        width: k.width,
        height: k.height,
    }))
}

/// Segments as `[start, end, "mode"]` triples.
fn segments_json<S: serde::Serializer>(
    segments: &[(Frame, Frame, InterpolationType)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(segments.iter().map(|(a, b, kind)| (a, b, kind.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::InterpOptions;
    use crate::model::SequenceInput;

    fn plot(json: &str) -> PlotData {
        let seq = SequenceInput::from_json(json).unwrap().sequence;
        let compiled = seq.compile(&InterpOptions::default()).unwrap();
        PlotData::new(&seq, &compiled).unwrap()
    }

    #[test]
    fn hidden_frames_split_the_path_and_are_reported_as_runs() {
        let data = plot(
            r#"{"boxes":[
                {"x":0,"y":0,"width":10,"height":10,"frameNumber":0},
                {"x":100,"y":50,"width":10,"height":10,"frameNumber":10},
                {"x":100,"y":50,"width":10,"height":10,"frameNumber":20}],
              "interpolationSegments":[{"startFrame":10,"endFrame":20,"type":"hold"}],
              "visibilityRanges":[{"startFrame":4,"endFrame":6,"visible":false}]}"#,
        );
        assert_eq!(data.span, (0, 20));
        assert_eq!(data.hidden, vec![(4, 6)]);
        assert_eq!(data.path.len(), 2);
        assert_eq!(data.path[0].first(), Some(&(0, 5.0, 5.0)));
        assert_eq!(data.path[0].last().map(|p| p.0), Some(3));
        assert_eq!(data.path[1].first().map(|p| p.0), Some(7));
        assert_eq!(data.path[1].last(), Some(&(20, 105.0, 55.0)));
        assert_eq!(
            data.segments,
            vec![
                (0, 10, InterpolationType::Linear),
                (10, 20, InterpolationType::Hold)
            ]
        );
        assert_eq!(data.extent, (0.0, 0.0, 110.0, 60.0));
    }

    #[test]
    fn long_spans_are_sampled_but_keep_every_keyframe() {
        let data = plot(
            r#"{"boxes":[
                {"x":0,"y":0,"width":10,"height":10,"frameNumber":0},
                {"x":5,"y":5,"width":10,"height":10,"frameNumber":12345},
                {"x":9,"y":9,"width":10,"height":10,"frameNumber":100000}]}"#,
        );
        let points: Vec<Frame> = data.path.iter().flatten().map(|p| p.0).collect();
        assert!(
            points.len() <= MAX_PATH_POINTS + 3,
            "{} points",
            points.len()
        );
        for key in [0, 12345, 100000] {
            assert!(points.contains(&key), "keyframe {key} missing");
        }
    }
}

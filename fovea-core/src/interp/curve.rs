//! The interpolation formulas of FOVEA (easings, Newton-solved bezier, parametric functions),
//! evaluated operation for operation in FOVEA's order so results agree with its engine to the
//! last bit wherever the platform's `sin` agrees with V8's.

use crate::error::{Error, Result};
use crate::interp::{InterpOptions, Profile};
use crate::model::{
    BezierControlPoint, InterpolationSegment, InterpolationType, ParametricFunction, ParametricType,
};

/// How one property moves between two keyframes, resolved from a segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Curve {
    Linear,
    EaseIn,
    EaseOut,
    EaseInOut,
    Hold,
    Bezier { x1: f64, y1: f64, x2: f64, y2: f64 },
    Quadratic { a: f64 },
    Sinusoidal { frequency: f64, amplitude: f64 },
}

/// Newton–Raphson for the bezier curve parameter `u` with `X(u) = x`, exactly as FOVEA runs
/// it: start at `u = x`, stop when `|X(u) − x| < 1e-4` or `|X'(u)| < 1e-4`, at most 10 steps,
/// clamp to [0, 1] after each step, no bisection fallback.
#[inline]
pub(crate) fn solve_bezier_parameter(x: f64, p1x: f64, p2x: f64) -> f64 {
    const EPSILON: f64 = 0.0001;
    let mut t = x;
    for _ in 0..10 {
        let mt = 1.0 - t;
        let current = 3.0 * mt * mt * t * p1x + 3.0 * mt * t * t * p2x + t * t * t;
        let error = current - x;
        if error.abs() < EPSILON {
            break;
        }
        let derivative =
            3.0 * mt * mt * p1x + 6.0 * mt * t * (p2x - p1x) + 3.0 * t * t * (1.0 - p2x);
        if derivative.abs() < EPSILON {
            break;
        }
        t -= error / derivative;
        t = t.clamp(0.0, 1.0);
    }
    t
}

/// The bezier progress `Y(u)` for the curve (0,0)–(x1,y1)–(x2,y2)–(1,1) at time `t`.
#[inline]
fn bezier_progress(t: f64, x1: f64, y1: f64, x2: f64, y2: f64) -> f64 {
    let u = solve_bezier_parameter(t, x1, x2);
    let mt = 1.0 - u;
    // FOVEA adds a leading `mt³·0` term, which is an exact zero and changes nothing.
    3.0 * mt * mt * u * y1 + 3.0 * mt * u * u * y2 + u * u * u
}

impl Curve {
    /// The progress `g(t)` of curves of the form `v = s + (e − s)·g(t)`; `None` for the
    /// parametric curves, whose formulas are not of that form.
    #[inline]
    pub(crate) fn progress(self, t: f64) -> Option<f64> {
        Some(match self {
            Curve::Linear => t,
            Curve::EaseIn => t * t,
            Curve::EaseOut => t * (2.0 - t),
            Curve::EaseInOut => {
                if t < 0.5 {
                    2.0 * t * t
                } else {
                    -1.0 + (4.0 - 2.0 * t) * t
                }
            }
            Curve::Bezier { x1, y1, x2, y2 } => bezier_progress(t, x1, y1, x2, y2),
            Curve::Hold | Curve::Quadratic { .. } | Curve::Sinusoidal { .. } => return None,
        })
    }

    /// The property's value at normalised time `t` between `start` and `end`.
    #[inline]
    pub(crate) fn value(self, start: f64, end: f64, t: f64) -> f64 {
        match self {
            Curve::Hold => start,
            Curve::Quadratic { a } => {
                let v0 = (end - start) - 0.5 * a;
                start + v0 * t + 0.5 * a * t * t
            }
            Curve::Sinusoidal {
                frequency,
                amplitude,
            } => {
                let total = end - start;
                let linear = start + total * t;
                let oscillation = amplitude * (2.0 * std::f64::consts::PI * frequency * t).sin();
                linear + oscillation * total
            }
            other => {
                let g = other.progress(t).unwrap_or(t);
                start + (end - start) * g
            }
        }
    }
}

/// The curves of the four properties between one keyframe pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kernel {
    /// All four properties follow the same curve (the common case; one evaluation per frame).
    Uniform(Curve),
    /// Each property (`x`, `y`, `width`, `height`) has its own curve.
    PerProperty([Curve; 4]),
}

impl Kernel {
    fn from_curves(curves: [Curve; 4]) -> Kernel {
        if curves.iter().all(|c| *c == curves[0]) {
            Kernel::Uniform(curves[0])
        } else {
            Kernel::PerProperty(curves)
        }
    }

    /// The box between keyframe values `start` and `end` at normalised time `t`.
    #[inline]
    pub(crate) fn values(&self, start: &[f64; 4], end: &[f64; 4], t: f64) -> [f64; 4] {
        match *self {
            // One progress evaluation (one Newton solve for bezier) serves all four properties.
            Kernel::Uniform(c) => match c.progress(t) {
                Some(g) => std::array::from_fn(|p| start[p] + (end[p] - start[p]) * g),
                None => std::array::from_fn(|p| c.value(start[p], end[p], t)),
            },
            Kernel::PerProperty(cs) => std::array::from_fn(|p| cs[p].value(start[p], end[p], t)),
        }
    }

    /// Resolves the curves of the segment that governs a keyframe pair (`None`: implicit linear).
    ///
    /// `path` names the segment for errors (`interpolationSegments[3]`).
    pub(crate) fn resolve(
        segment: Option<&InterpolationSegment>,
        opts: &InterpOptions,
        path: impl Fn() -> String,
    ) -> Result<Kernel> {
        let Some(seg) = segment else {
            return Ok(Kernel::Uniform(Curve::Linear));
        };
        Ok(match &seg.kind {
            InterpolationType::Linear | InterpolationType::Other(_) => {
                Kernel::Uniform(Curve::Linear)
            }
            InterpolationType::EaseIn => Kernel::Uniform(Curve::EaseIn),
            InterpolationType::EaseOut => Kernel::Uniform(Curve::EaseOut),
            InterpolationType::EaseInOut => Kernel::Uniform(Curve::EaseInOut),
            InterpolationType::Hold => Kernel::Uniform(Curve::Hold),
            InterpolationType::Bezier => match &seg.control_points {
                None => Kernel::Uniform(Curve::Linear),
                Some(cps) => Kernel::from_curves(cps.entries().map(|(_, pts)| bezier(pts))),
            },
            InterpolationType::Parametric => match (&seg.parametric, opts.profile) {
                // FOVEA never reads `segment.parametric`: its parametric segments are linear.
                (_, Profile::Fovea) | (None, _) => Kernel::Uniform(Curve::Linear),
                (Some(set), Profile::Default) => {
                    let mut curves = [Curve::Linear; 4];
                    for (slot, (name, f)) in curves.iter_mut().zip(set.entries()) {
                        if let Some(f) = f {
                            *slot = parametric(f).ok_or_else(|| Error::UnsupportedParametric {
                                path: format!("{}.parametric.{name}", path()),
                            })?;
                        }
                    }
                    Kernel::from_curves(curves)
                }
            },
        })
    }
}

/// A property's bezier curve: exactly two control points, else linear (FOVEA's rule).
fn bezier(points: Option<&Vec<BezierControlPoint>>) -> Curve {
    match points.map(Vec::as_slice) {
        Some([p1, p2]) => Curve::Bezier {
            x1: p1.x,
            y1: p1.y,
            x2: p2.x,
            y2: p2.y,
        },
        _ => Curve::Linear,
    }
}

/// JavaScript's `value || fallback` for a numeric parameter: 0, NaN and absence fall back.
fn param_or(f: &ParametricFunction, name: &str, fallback: f64) -> f64 {
    match f.parameters.get(name) {
        Some(&v) if v != 0.0 && !v.is_nan() => v,
        _ => fallback,
    }
}

/// A property's parametric curve; `None` for `custom`, which has no defined evaluation.
fn parametric(f: &ParametricFunction) -> Option<Curve> {
    Some(match f.kind {
        ParametricType::Quadratic => Curve::Quadratic {
            a: param_or(f, "a", 9.8),
        },
        ParametricType::Sinusoidal => Curve::Sinusoidal {
            frequency: param_or(f, "frequency", 1.0),
            amplitude: param_or(f, "amplitude", 0.2),
        },
        ParametricType::Custom => return None,
        ParametricType::Linear | ParametricType::Other(_) => Curve::Linear,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(c: Curve, frame: f64) -> f64 {
        c.value(0.0, 100.0, frame / 10.0)
    }

    #[test]
    fn easing_formulas() {
        let frames = [1.0, 2.0, 5.0, 8.0, 9.0];
        let expect = |c: Curve, want: [f64; 5]| {
            for (f, w) in frames.iter().zip(want) {
                assert!(
                    (ramp(c, *f) - w).abs() < 1e-9,
                    "{c:?} at {f}: {}",
                    ramp(c, *f)
                );
            }
        };
        expect(Curve::EaseIn, [1.0, 4.0, 25.0, 64.0, 81.0]);
        expect(Curve::EaseOut, [19.0, 36.0, 75.0, 96.0, 99.0]);
        expect(Curve::EaseInOut, [2.0, 8.0, 50.0, 92.0, 98.0]);
        expect(Curve::Hold, [0.0; 5]);
        expect(Curve::Linear, [10.0, 20.0, 50.0, 80.0, 90.0]);
    }

    #[test]
    fn parametric_defaults() {
        assert!((ramp(Curve::Quadratic { a: 9.8 }, 5.0) - 48.775).abs() < 1e-12);
        assert!((ramp(Curve::Quadratic { a: 200.0 }, 5.0) - 25.0).abs() < 1e-12);
        let s = Curve::Sinusoidal {
            frequency: 1.0,
            amplitude: 0.2,
        };
        assert!((ramp(s, 1.0) - 21.755705045849464).abs() < 1e-9);
        assert_eq!(
            Curve::Sinusoidal {
                frequency: 1.0,
                amplitude: 0.2
            }
            .value(50.0, 50.0, 0.3),
            50.0
        );
    }

    #[test]
    fn newton_stops_on_flat_derivative() {
        // x1 = x2 = 0 makes X'(0) = 0: FOVEA stops at once and keeps u = t.
        assert_eq!(solve_bezier_parameter(0.0, 0.0, 0.0), 0.0);
    }
}

//! COCO run-length-encoded masks (what FOVEA's model service returns, from pycocotools) and
//! their bounding boxes.
//!
//! A mask of `height × width` pixels is read column by column (column-major, as pycocotools
//! stores it); `counts` are run lengths that alternate between 0-pixels and 1-pixels, starting
//! with 0-pixels (a mask starting with a 1 has a first run of length 0). `counts` come as an
//! array of integers or as pycocotools' compressed string: each value is written in 5-bit
//! groups, least significant first, each group as the character `48 + group`, bit `0x20`
//! meaning "more groups follow" and, on the last group, bit `0x10` the sign; from the third
//! value on, each is stored as the difference to the value two before.
//!
//! The bounding box is computed from the runs alone — O(number of runs), no pixel buffer.

use crate::error::{Error, Result};
use serde_json::Value;

/// A COCO RLE mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RleMask {
    /// Pixel rows.
    pub height: u32,
    /// Pixel columns.
    pub width: u32,
    /// Run lengths, alternately of 0-pixels and 1-pixels, column-major.
    pub counts: Vec<u64>,
}

fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::InvalidType {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Decodes pycocotools' compressed `counts` string.
///
/// ```
/// use fovea_core::track::decode_counts;
/// // 6 zeros, 2 ones, 4 zeros, 1 one: "6", "2", "4", then 1 as its difference to 2 (-1: "O").
/// assert_eq!(decode_counts("624O").unwrap(), vec![6, 2, 4, 1]);
/// ```
pub fn decode_counts(text: &str) -> Result<Vec<u64>> {
    let bytes = text.as_bytes();
    let mut counts: Vec<u64> = Vec::with_capacity(bytes.len() / 2);
    let mut p = 0;
    while p < bytes.len() {
        // 128-bit arithmetic: a value of up to MAX_GROUPS groups and its sum with the value two
        // before cannot overflow; what does not fit a run length is refused below.
        let mut x: i128 = 0;
        let mut shift = 0u32;
        loop {
            let Some(&b) = bytes.get(p) else {
                return Err(invalid(
                    "counts",
                    "the compressed counts end inside a value",
                ));
            };
            let c = i128::from(b) - 48;
            if !(0..64).contains(&c) {
                return Err(invalid(
                    "counts",
                    format!("byte {b:#04x} at offset {p} is not a compressed RLE character"),
                ));
            }
            if shift >= 5 * MAX_GROUPS {
                return Err(invalid(
                    "counts",
                    format!("the value at offset {p} has more than {MAX_GROUPS} groups"),
                ));
            }
            x |= (c & 0x1f) << shift;
            p += 1;
            shift += 5;
            if c & 0x20 == 0 {
                if c & 0x10 != 0 {
                    // Sign-extend from the last group.
                    x |= -1i128 << shift;
                }
                break;
            }
        }
        let m = counts.len();
        if m > 2 {
            x += i128::from(counts[m - 2]);
        }
        let value = u64::try_from(x).map_err(|_| {
            invalid(
                format!("counts[{m}]").as_str(),
                format!("a run length is negative or beyond 2^64 ({x})"),
            )
        })?;
        counts.push(value);
    }
    Ok(counts)
}

/// The most 5-bit groups a compressed value may have: enough for any difference of two `u64`
/// run lengths with its sign (65 bits), which is what [`encode_counts`] writes at most.
const MAX_GROUPS: u32 = 14;

/// Encodes run lengths as pycocotools' compressed `counts` string (the inverse of
/// [`decode_counts`]).
///
/// ```
/// assert_eq!(fovea_core::track::encode_counts(&[6, 2, 4, 1]), "624O");
/// ```
pub fn encode_counts(counts: &[u64]) -> String {
    let mut out = String::with_capacity(counts.len() * 2);
    for (i, &c) in counts.iter().enumerate() {
        let mut x = i128::from(c);
        if i > 2 {
            x -= i128::from(counts[i - 2]);
        }
        loop {
            let mut group = x & 0x1f;
            x >>= 5;
            let more = if group & 0x10 != 0 { x != -1 } else { x != 0 };
            if more {
                group |= 0x20;
            }
            out.push((group as u8 + 48) as char);
            if !more {
                break;
            }
        }
    }
    out
}

impl RleMask {
    /// The mask of a box `[x, y, width, height]` in pixels (rounded outwards to whole pixels,
    /// clipped to the frame): what FOVEA's model service takes as an initial mask. O(width).
    ///
    /// ```
    /// use fovea_core::track::RleMask;
    /// let m = RleMask::from_box(3, 4, [1.0, 1.0, 1.0, 2.0]);
    /// assert_eq!(m.counts, vec![5, 2, 5]);
    /// assert_eq!(m.bbox(), Some([1.0, 1.0, 1.0, 2.0]));
    /// ```
    pub fn from_box(width: u32, height: u32, bbox: [f64; 4]) -> RleMask {
        let clip = |v: f64, max: u32| v.clamp(0.0, f64::from(max)) as u64;
        let (x0, y0) = (clip(bbox[0].floor(), width), clip(bbox[1].floor(), height));
        let x1 = clip((bbox[0] + bbox[2]).ceil(), width);
        let y1 = clip((bbox[1] + bbox[3]).ceil(), height);
        let h = u64::from(height);
        let area = h * u64::from(width);
        if x1 <= x0 || y1 <= y0 {
            return RleMask {
                height,
                width,
                counts: vec![area],
            };
        }
        let mut counts = Vec::with_capacity(2 * (x1 - x0) as usize + 1);
        let (top, ones) = (y0, y1 - y0);
        let gap = h - ones; // zeros from the box's bottom in one column to its top in the next
        counts.push(x0 * h + top);
        for col in x0..x1 {
            counts.push(ones);
            if col + 1 < x1 {
                counts.push(gap);
            }
        }
        counts.push(area - (x1 - 1) * h - y1);
        RleMask {
            height,
            width,
            counts,
        }
    }

    /// `{size: [height, width], counts: "<compressed>"}`, pycocotools' form.
    pub fn to_value(&self) -> Value {
        serde_json::json!({"size": [self.height, self.width], "counts": encode_counts(&self.counts)})
    }

    /// The pixels row by row (`height × width` bytes of 0 or 1): the raw layout FOVEA's model
    /// service reads its initial masks in (base64 of these bytes). O(pixels).
    pub fn to_row_major(&self) -> Vec<u8> {
        let (h, w) = (self.height as usize, self.width as usize);
        let mut pixels = vec![0u8; h * w];
        let mut at = 0usize;
        for (i, &run) in self.counts.iter().enumerate() {
            let run = run as usize;
            if i % 2 == 1 {
                for p in at..(at + run).min(h * w) {
                    pixels[(p % h) * w + p / h] = 1;
                }
            }
            at += run;
        }
        pixels
    }

    /// Reads `{size: [height, width], counts: str | [int]}` (pycocotools' shape), checking
    /// that the runs cover the mask exactly.
    pub fn from_value(value: &Value) -> Result<Self> {
        let size =
            value
                .get("size")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::MissingField {
                    path: String::new(),
                    field: "size".into(),
                })?;
        let dim = |i: usize, name: &str| {
            size.get(i)
                .and_then(Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| {
                    invalid(
                        &format!("size[{i}]"),
                        format!("expected the {name} as an integer"),
                    )
                })
        };
        if size.len() != 2 {
            return Err(invalid("size", "expected [height, width]"));
        }
        let (height, width) = (dim(0, "height")?, dim(1, "width")?);
        let counts = match value.get("counts") {
            Some(Value::String(s)) => decode_counts(s)?,
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_u64().ok_or_else(|| {
                        invalid(&format!("counts[{i}]"), "expected a non-negative integer")
                    })
                })
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(invalid(
                    "counts",
                    "expected a string or an array of integers",
                ));
            }
            None => {
                return Err(Error::MissingField {
                    path: String::new(),
                    field: "counts".into(),
                });
            }
        };
        let mask = RleMask {
            height,
            width,
            counts,
        };
        // Summed with a check: hostile counts can add up past u64.
        let covered = mask
            .counts
            .iter()
            .try_fold(0u64, |sum, &run| sum.checked_add(run));
        let area = u64::from(height) * u64::from(width);
        let Some(covered) = covered else {
            return Err(invalid(
                "counts",
                format!("the runs cover more pixels than the {height}×{width} mask has ({area})"),
            ));
        };
        if covered != area {
            return Err(invalid(
                "counts",
                format!("the runs cover {covered} pixels, the {height}×{width} mask has {area}"),
            ));
        }
        Ok(mask)
    }

    /// The bounding box of the 1-pixels as `[x, y, width, height]` in pixels (pycocotools'
    /// `toBbox`), or `None` for an empty mask. O(runs).
    ///
    /// ```
    /// use fovea_core::track::RleMask;
    /// // A 4×3 mask whose pixels (row 1, col 1) and (row 2, col 1) are set.
    /// let m = RleMask { height: 4, width: 3, counts: vec![5, 2, 5] };
    /// assert_eq!(m.bbox(), Some([1.0, 1.0, 1.0, 2.0]));
    /// ```
    pub fn bbox(&self) -> Option<[f64; 4]> {
        let h = u64::from(self.height);
        if h == 0 {
            return None;
        }
        let (mut min_row, mut max_row) = (u64::MAX, 0u64);
        let (mut min_col, mut max_col) = (u64::MAX, 0u64);
        let mut at = 0u64;
        for (i, &run) in self.counts.iter().enumerate() {
            let (start, end) = (at, at + run);
            at = end;
            if i % 2 == 0 || run == 0 {
                continue;
            }
            let (first_col, last_col) = (start / h, (end - 1) / h);
            min_col = min_col.min(first_col);
            max_col = max_col.max(last_col);
            if first_col == last_col {
                min_row = min_row.min(start % h);
                max_row = max_row.max((end - 1) % h);
            } else {
                // The run wraps from the bottom of one column to the top of the next.
                min_row = 0;
                max_row = h - 1;
            }
        }
        (min_col != u64::MAX).then(|| {
            [
                min_col as f64,
                min_row as f64,
                (max_col - min_col + 1) as f64,
                (max_row - min_row + 1) as f64,
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The box from the pixels themselves.
    fn bbox_by_pixels(h: u64, counts: &[u64]) -> Option<[f64; 4]> {
        let mut at = 0;
        let mut pts = Vec::new();
        for (i, &run) in counts.iter().enumerate() {
            if i % 2 == 1 {
                for p in at..at + run {
                    pts.push((p % h, p / h));
                }
            }
            at += run;
        }
        let rows = pts.iter().map(|p| p.0);
        let cols = pts.iter().map(|p| p.1);
        let (r0, r1) = (rows.clone().min()?, rows.max()?);
        let (c0, c1) = (cols.clone().min()?, cols.max()?);
        Some([
            c0 as f64,
            r0 as f64,
            (c1 - c0 + 1) as f64,
            (r1 - r0 + 1) as f64,
        ])
    }

    #[test]
    fn malformed_counts_are_errors() {
        assert!(decode_counts("6\u{7f}").is_err());
        assert!(decode_counts("o").is_err(), "a value that never ends");
        let e = RleMask::from_value(&serde_json::json!({"size": [2, 2], "counts": [1, 1]}))
            .unwrap_err();
        assert!(e.to_string().contains("cover 2 pixels"), "{e}");
        let empty =
            RleMask::from_value(&serde_json::json!({"size": [2, 2], "counts": "4"})).unwrap();
        assert_eq!(empty.bbox(), None);
        let past = serde_json::json!({"size": [2, 2], "counts": [u64::MAX, 1, 3]});
        let e = RleMask::from_value(&past).unwrap_err();
        assert!(e.to_string().contains("more pixels than"), "{e}");
    }

    #[test]
    fn long_and_extreme_values_are_errors_or_exact() {
        // Found by the rle fuzz target: a 13-group value with its sign bit set overflowed the
        // sign extension (a panic in debug builds).
        let e = decode_counts("UUUUUUUUUUUUUA$").unwrap_err();
        assert!(e.to_string().contains("negative or beyond"), "{e}");
        let e = decode_counts(&"o".repeat(15)).unwrap_err();
        assert!(e.to_string().contains("more than 14 groups"), "{e}");
        // Every u64 difference round-trips, the widest ones included.
        let extremes = [
            0,
            u64::MAX,
            0,
            u64::MAX,
            0,
            1,
            u64::MAX - 1,
            i64::MAX as u64 + 1,
        ];
        assert_eq!(decode_counts(&encode_counts(&extremes)).unwrap(), extremes);
        // Past 2^64 when added to the value two before.
        let past = encode_counts(&[0, u64::MAX, 0]) + &encode_counts(&[0, 0, 0, 1])[3..];
        let e = decode_counts(&past).unwrap_err();
        assert!(e.to_string().contains("counts[3]"), "{e}");
    }

    proptest! {
        #[test]
        fn compressed_counts_decode_and_boxes_match_the_pixels(
            h in 1u64..12,
            runs in proptest::collection::vec(0u64..40, 1..12),
        ) {
            prop_assert_eq!(decode_counts(&encode_counts(&runs)).unwrap(), runs.clone());
            let total: u64 = runs.iter().sum();
            let width = total.div_ceil(h).max(1);
            let mut counts = runs.clone();
            counts.push(width * h - total);
            let mask = RleMask { height: h as u32, width: width as u32, counts };
            prop_assert_eq!(mask.bbox(), bbox_by_pixels(h, &mask.counts));
        }

        #[test]
        fn box_masks_cover_their_box_and_read_back_row_major(
            w in 1u32..20, h in 1u32..20,
            x in -3.0f64..22.0, y in -3.0f64..22.0, bw in 0.0f64..25.0, bh in 0.0f64..25.0,
        ) {
            let m = RleMask::from_box(w, h, [x, y, bw, bh]);
            prop_assert_eq!(m.counts.iter().sum::<u64>(), u64::from(w) * u64::from(h));
            let pixels = m.to_row_major();
            let inside = |c: u32, r: u32| {
                let (c, r) = (f64::from(c), f64::from(r));
                c + 1.0 > x.floor() && c < (x + bw).ceil() && r + 1.0 > y.floor() && r < (y + bh).ceil()
            };
            for r in 0..h {
                for c in 0..w {
                    prop_assert_eq!(pixels[(r * w + c) as usize] == 1, inside(c, r), "pixel ({}, {})", c, r);
                }
            }
            prop_assert_eq!(m.bbox(), bbox_by_pixels(u64::from(h), &m.counts));
            let back = RleMask::from_value(&m.to_value()).unwrap();
            prop_assert_eq!(back, m);
        }
    }
}

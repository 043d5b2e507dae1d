//! Fuzzes COCO RLE masks (`fovea_core::track` rle): decoding compressed counts from any text
//! (decoded counts must encode and decode back to themselves), and reading masks of up to 64×64
//! pixels whose counts are that text, an array of small runs (as given, or completed to cover
//! the mask), the compressed form of such an array, or any JSON value. A mask read must have the
//! bounding box its pixels have, write out and read back as itself, and the mask of that box
//! must have the same box.
#![no_main]

use fovea_core::track::{RleMask, decode_counts, encode_counts};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// The bounding box of the 1-pixels of a row-major `height × width` mask, by brute force.
fn bbox_of_pixels(pixels: &[u8], width: usize) -> Option<[f64; 4]> {
    let mut found: Option<[usize; 4]> = None;
    for (i, _) in pixels.iter().enumerate().filter(|(_, p)| **p == 1) {
        let (row, col) = (i / width, i % width);
        let [c0, r0, c1, r1] = found.get_or_insert([col, row, col, row]);
        *c0 = (*c0).min(col);
        *r0 = (*r0).min(row);
        *c1 = (*c1).max(col);
        *r1 = (*r1).max(row);
    }
    found.map(|[c0, r0, c1, r1]| {
        [
            c0 as f64,
            r0 as f64,
            (c1 - c0 + 1) as f64,
            (r1 - r0 + 1) as f64,
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&[h, w, mode], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if let Ok(counts) = decode_counts(&text) {
        let encoded = encode_counts(&counts);
        assert_eq!(decode_counts(&encoded).ok(), Some(counts), "{encoded:?}");
    }

    let (height, width) = (u32::from(h % 65), u32::from(w % 65));
    let area = u64::from(height) * u64::from(width);
    let mut runs: Vec<u64> = rest.iter().map(|&b| u64::from(b)).collect();
    let covered: u64 = runs.iter().sum();
    let counts = match mode % 5 {
        0 => Value::from(&*text),
        1 => Value::from(runs),
        2 | 3 => {
            runs.push(area.saturating_sub(covered));
            if mode % 5 == 2 {
                Value::from(runs)
            } else {
                Value::from(encode_counts(&runs))
            }
        }
        _ => match serde_json::from_slice(rest) {
            Ok(v) => v,
            Err(_) => return,
        },
    };
    let Ok(mask) = RleMask::from_value(&json!({"size": [height, width], "counts": counts})) else {
        return;
    };
    let pixels = mask.to_row_major();
    assert_eq!(pixels.len() as u64, area);
    let bbox = mask.bbox();
    assert_eq!(bbox, bbox_of_pixels(&pixels, width as usize), "{mask:?}");
    if let Some(b) = bbox {
        assert_eq!(RleMask::from_box(width, height, b).bbox(), bbox);
    }
    let back = RleMask::from_value(&mask.to_value());
    assert_eq!(back.ok(), Some(mask));
});

//! Limits on the work one value in the input can ask for, all in one place.
//!
//! Every operation whose cost grows with a number in its input either streams (memory
//! independent of the number: interpolated export, `fovea interpolate`, the preview's spilling
//! tables) or checks the number against one of these limits first and refuses it with
//! [`Error::LimitExceeded`], which names the field, the value and the limit. Each is adjustable
//! where the operation is configured.
//!
//! | limit | default | what it bounds | set with |
//! |---|---|---|---|
//! | [`LINE_BYTES`] | 64 MiB | one JSON Lines line read | `ReadOptions::max_line_bytes` |
//! | [`EAGER_FRAMES`] | 100,000,000 | frames materialised at once (objects, arrays, columns) | [`CompiledSequence::check_eager_limit`](crate::CompiledSequence::check_eager_limit) |
//! | [`TrackingLimits::frames`] | 1,048,576 | frames one tracking job tracks (`frameRange`, `frameNumbers`) | [`TrackingLimits`] |
//! | [`TrackingLimits::video_pixels`] | 67,108,864 (2^26) | `videoWidth × videoHeight` of a tracking job | [`TrackingLimits`] |
//! | [`TrackingLimits::objects`] | 1,024 | objects one tracking job follows | [`TrackingLimits`] |
//! | [`TrackingLimits::mask_bytes`] | 268,435,456 (256 MiB) | initial-mask pixels one request sends (objects × pixels) | [`TrackingLimits`] |
//!
//! JSON nesting deeper than 100 levels is refused by the reader (fixed). An interpolated span
//! is not limited: export and `fovea interpolate` stream it.

use crate::error::{Error, Result};

/// Longest JSON Lines line read by default, in bytes (without the line ending).
pub const LINE_BYTES: usize = 64 << 20;

/// Most frames an eager evaluation materialises by default: 100,000,000 (about 3.6 GB of
/// columns; more than 38 days of video at 30 fps).
pub const EAGER_FRAMES: usize = 100_000_000;

/// Refuses `value` at `path` when it is above `limit` (named `name` in the message).
///
/// ```
/// use fovea_core::limits::check;
/// assert!(check("frameRange", "frames", 10, 20).is_ok());
/// let e = check("frameRange", "frames", 30, 20).unwrap_err();
/// assert_eq!((e.code(), e.path()), ("limit-exceeded", Some("frameRange")));
/// assert_eq!(e.to_string(), "frameRange: 30 exceeds the frames limit of 20");
/// ```
pub fn check(path: &str, name: &'static str, value: u64, limit: u64) -> Result<()> {
    if value > limit {
        return Err(Error::LimitExceeded {
            path: path.to_owned(),
            limit_name: name,
            value,
            limit,
        });
    }
    Ok(())
}

/// What one tracking job may ask of a worker and of the model service. The service takes each
/// object's initial mask as one byte per pixel, and a frame list, so these bound the request a
/// worker builds; a job beyond them is refused when submitted and failed (not retried) by a
/// worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TrackingLimits {
    /// Frames one job tracks (its `frameRange` span or `frameNumbers` length): 1,048,576 by
    /// default (9.7 hours at 30 fps).
    pub frames: u64,
    /// Pixels of the video (`videoWidth × videoHeight`): 2^26 by default (8K UHD has 33.2
    /// million).
    pub video_pixels: u64,
    /// Objects one job follows: 1,024 by default.
    pub objects: u64,
    /// Initial-mask bytes one request sends (objects × pixels; base64 adds a third): 256 MiB by
    /// default (32 objects on a 4K video).
    pub mask_bytes: u64,
}

impl Default for TrackingLimits {
    fn default() -> Self {
        TrackingLimits {
            frames: 1 << 20,
            video_pixels: 1 << 26,
            objects: 1024,
            mask_bytes: 256 << 20,
        }
    }
}

impl TrackingLimits {
    /// Reads limits from an object of optional fields `frames`, `videoPixels`, `objects`,
    /// `maskBytes` (absent ones keep their defaults), as the bindings take them.
    ///
    /// ```
    /// use fovea_core::limits::TrackingLimits;
    /// let l = TrackingLimits::from_value(&serde_json::json!({"frames": 100})).unwrap();
    /// assert_eq!((l.frames, l.objects), (100, TrackingLimits::default().objects));
    /// assert!(TrackingLimits::from_value(&serde_json::json!({"frame": 1})).is_err());
    /// ```
    pub fn from_value(value: &serde_json::Value) -> Result<Self> {
        crate::model::parse::from_value(value.clone()).map_err(|e| e.at_path("limits"))
    }

    /// Checks a request of `objects` objects on a `width × height` video against these limits;
    /// `path` names the field that gave the size (`videoWidth`, or the store's video).
    pub fn check_request(&self, path: &str, width: u32, height: u32, objects: usize) -> Result<()> {
        let pixels = u64::from(width) * u64::from(height);
        check(path, "videoPixels", pixels, self.video_pixels)?;
        check("objects", "objects", objects as u64, self.objects)?;
        check(
            "objects",
            "maskBytes",
            pixels.saturating_mul(objects as u64),
            self.mask_bytes,
        )
    }
}

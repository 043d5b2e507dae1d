//! The tracking job's payload and result (FOVEA has no tracking queue, so the contract is
//! fovea's): small, referring to the video by id, with initial boxes in pixels (raw masks
//! never go into the queue).

use fovea_core::limits::TrackingLimits;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// The payload versions this crate reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A tracking request, as queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingJob {
    /// The payload's version (1).
    pub schema_version: u32,
    /// The video (FOVEA's id).
    pub video_id: String,
    /// The tracker (`samurai`, `sam2long`, `sam2-1`, `yolo11n-seg`); recorded as the
    /// sequences' `trackingSource` (the service uses its configured model).
    #[serde(default = "default_model")]
    pub model: String,
    /// Track these frames, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_range: Option<FrameRange>,
    /// Or exactly these frames (neither: every frame of the video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_numbers: Option<Vec<u32>>,
    /// The objects to follow, with where they are on the first tracked frame.
    pub objects: Vec<TrackedObject>,
    /// The video's size in pixels, when the store does not know the video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_width: Option<u32>,
    /// See `video_width`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_height: Option<u32>,
    /// Persona of the type annotations to save.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona_id: Option<String>,
    /// Keyframes: the fewest such that interpolation reproduces every tracked box within this
    /// many pixels (default 1; 0 keeps every tracked frame, as FOVEA's converter does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Keyframes the FOVEA way instead: every N-th tracked box (`"auto"`: FOVEA's
    /// `calculateOptimalDecimation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimation: Option<Decimation>,
    /// Frames whose confidence is below this are treated as lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_threshold: Option<f64>,
}

fn default_model() -> String {
    "samurai".into()
}

/// Frames `start..=end`.
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "TrackingFrameRange")
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRange {
    /// First frame.
    pub start: u32,
    /// Last frame (inclusive).
    pub end: u32,
}

/// FOVEA's decimation setting.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Decimation {
    /// Keep every N-th box.
    Every(u32),
    /// `"auto"`.
    Auto(AutoTag),
}

/// The literal `"auto"`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoTag {
    /// `"auto"`.
    Auto,
}

/// One object to track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedObject {
    /// The object's id (the service's `object_ids`).
    pub object_id: i64,
    /// What it is (the track's label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `{x, y, width, height}` in pixels on the first tracked frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_box: Option<PixelBox>,
    /// Or its mask there (COCO RLE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_mask_rle: Option<Value>,
    /// Save the track as a type annotation of this type (with the job's `personaId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_id: Option<String>,
    /// `entity` (default), `role` or `event`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_category: Option<String>,
    /// Or as an object annotation linked to this entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_entity_id: Option<String>,
}

/// A box in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelBox {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// What is wrong with a tracking payload: the field at fault (a JSON path such as
/// `objects[1].initialBox`; empty for the payload as a whole) and why. Shown as `path: why`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    /// The field at fault.
    pub path: String,
    /// Why.
    pub message: String,
    /// The limit the field's value exceeds, when that is what is wrong.
    pub exceeded: Option<Exceeded>,
}

/// A [`TrackingLimits`] limit a payload exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    /// The limit's name (`frames`, `videoPixels`, `objects`, `maskBytes`).
    pub limit_name: &'static str,
    /// The value asked for.
    pub value: u64,
    /// The limit.
    pub limit: u64,
}

impl PayloadError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        PayloadError {
            path: path.into(),
            message: message.into(),
            exceeded: None,
        }
    }
}

impl From<fovea_core::Error> for PayloadError {
    fn from(e: fovea_core::Error) -> Self {
        let exceeded = match e {
            fovea_core::Error::LimitExceeded {
                limit_name,
                value,
                limit,
                ..
            } => Some(Exceeded {
                limit_name,
                value,
                limit,
            }),
            _ => None,
        };
        let path = e.path().unwrap_or_default().to_owned();
        let message = match exceeded {
            Some(x) => format!(
                "{} exceeds the {} limit of {}",
                x.value, x.limit_name, x.limit
            ),
            None => e.to_string(),
        };
        PayloadError {
            path,
            message,
            exceeded,
        }
    }
}

impl From<PayloadError> for fovea_core::Error {
    /// A limit exceeded stays `limit-exceeded`; anything else is `invalid-type` at its path.
    fn from(e: PayloadError) -> Self {
        match e.exceeded {
            Some(x) => fovea_core::Error::LimitExceeded {
                path: e.path,
                limit_name: x.limit_name,
                value: x.value,
                limit: x.limit,
            },
            None => fovea_core::Error::InvalidType {
                path: e.path,
                message: e.message,
            },
        }
    }
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PayloadError {}

impl TrackingJob {
    /// Reads and checks a payload against the default [`TrackingLimits`]; the message names the
    /// field at fault (a malformed job fails at once: retrying cannot fix it).
    pub fn from_value(data: &Value) -> Result<TrackingJob, PayloadError> {
        TrackingJob::from_value_within(data, &TrackingLimits::default())
    }

    /// Reads and checks a payload, refusing one that asks for more than `limits` allow.
    pub fn from_value_within(
        data: &Value,
        limits: &TrackingLimits,
    ) -> Result<TrackingJob, PayloadError> {
        let version = data.get("schemaVersion");
        match version.and_then(Value::as_u64) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(PayloadError::new(
                    "schemaVersion",
                    format!("{v} is not supported (this worker reads {SCHEMA_VERSION})"),
                ));
            }
            None if version.is_some() => {
                return Err(PayloadError::new("schemaVersion", "expected an integer"));
            }
            None => return Err(PayloadError::new("schemaVersion", "missing")),
        }
        let job: TrackingJob = serde_path_to_error::deserialize(data).map_err(|e| {
            let path = e.path().to_string();
            // serde_path_to_error names the payload itself ".".
            let path = if path == "." { String::new() } else { path };
            PayloadError::new(path, e.into_inner().to_string())
        })?;
        job.check()?;
        job.check_limits(limits)?;
        Ok(job)
    }

    /// The frames the job tracks, with the field that gives them: `None` for every frame of the
    /// video (the service's choice).
    fn frame_count(&self) -> Option<(&'static str, u64)> {
        match (&self.frame_numbers, self.frame_range) {
            (Some(list), _) => Some(("frameNumbers", list.len() as u64)),
            (None, Some(r)) => Some(("frameRange", u64::from(r.end - r.start) + 1)),
            (None, None) => None,
        }
    }

    /// Checks what the job asks for against `limits`: its frames, its objects and, when it
    /// gives the video's size, the masks a request would carry. O(1).
    pub fn check_limits(&self, limits: &TrackingLimits) -> Result<(), PayloadError> {
        if let Some((field, n)) = self.frame_count() {
            fovea_core::limits::check(field, "frames", n, limits.frames)?;
        }
        let objects = self.objects.len();
        fovea_core::limits::check("objects", "objects", objects as u64, limits.objects)?;
        if let (Some(w), Some(h)) = (self.video_width, self.video_height) {
            limits.check_request("videoWidth", w, h, objects)?;
        }
        Ok(())
    }

    fn check(&self) -> Result<(), PayloadError> {
        if self.video_id.is_empty() {
            return Err(PayloadError::new("videoId", "empty"));
        }
        if self.objects.is_empty() {
            return Err(PayloadError::new("objects", "no object to track"));
        }
        if self.frame_range.is_some() && self.frame_numbers.is_some() {
            return Err(PayloadError::new(
                "frameNumbers",
                "give frameRange or frameNumbers, not both",
            ));
        }
        if let Some(r) = self.frame_range
            && r.start > r.end
        {
            return Err(PayloadError::new(
                "frameRange",
                format!("start {} is after end {}", r.start, r.end),
            ));
        }
        if let Some(t) = self.tolerance
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(PayloadError::new(
                "tolerance",
                format!("{t} is not a non-negative number"),
            ));
        }
        if let Some(Decimation::Every(0)) = self.decimation {
            return Err(PayloadError::new("decimation", "must be at least 1"));
        }
        if let Some(c) = self.confidence_threshold
            && !(0.0..=1.0).contains(&c)
        {
            return Err(PayloadError::new(
                "confidenceThreshold",
                format!("{c} is not within 0–1"),
            ));
        }
        match (self.video_width, self.video_height) {
            (Some(0), _) => return Err(PayloadError::new("videoWidth", "must be positive")),
            (_, Some(0)) => return Err(PayloadError::new("videoHeight", "must be positive")),
            (Some(_), None) => {
                return Err(PayloadError::new(
                    "videoHeight",
                    "missing: give both sizes or neither",
                ));
            }
            (None, Some(_)) => {
                return Err(PayloadError::new(
                    "videoWidth",
                    "missing: give both sizes or neither",
                ));
            }
            _ => {}
        }
        let mut seen = HashSet::new();
        for (i, o) in self.objects.iter().enumerate() {
            let at = format!("objects[{i}]");
            if !seen.insert(o.object_id) {
                return Err(PayloadError::new(
                    format!("{at}.objectId"),
                    format!("{} appears twice", o.object_id),
                ));
            }
            match (&o.initial_box, &o.initial_mask_rle) {
                (Some(b), None) => {
                    let ok = [b.x, b.y, b.width, b.height].iter().all(|v| v.is_finite())
                        && b.width > 0.0
                        && b.height > 0.0;
                    if !ok {
                        return Err(PayloadError::new(
                            format!("{at}.initialBox"),
                            "needs finite x, y and a positive width and height",
                        ));
                    }
                }
                (None, Some(_)) => {}
                _ => {
                    return Err(PayloadError::new(
                        at,
                        "give one of initialBox and initialMaskRle",
                    ));
                }
            }
            if o.type_id.is_some() && self.persona_id.is_none() {
                return Err(PayloadError::new(
                    format!("{at}.typeId"),
                    "a type annotation needs the job's personaId",
                ));
            }
        }
        Ok(())
    }
}

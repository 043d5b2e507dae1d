//! Tracking data: the model service's COCO RLE masks and their boxes, tracks in video pixels,
//! tracks turned into keyframe sequences with the rules of FOVEA's front end, and an
//! error-bounded keyframe reducer.
//!
//! ```
//! use fovea_core::track::{Track, TrackFrame, track_to_sequence};
//! let track = Track {
//!     track_id: 1.into(), label: "ship".into(), confidence: 0.9, model: "samurai".into(),
//!     frames: [0, 1, 2, 6].map(|f| TrackFrame {
//!         frame_number: f, bbox: [10.0 * f as f64, 5.0, 40.0, 30.0], confidence: 0.9, occluded: false,
//!     }).to_vec(),
//!     video_width: 640, video_height: 480,
//! };
//! let seq = track_to_sequence(&track);
//! assert_eq!(seq.boxes.len(), 4);
//! // Frames 3–5 were not tracked: hidden.
//! assert!(!seq.visibility_ranges[1].visible);
//! ```

mod convert;
mod reduce;
mod rle;
mod service;

pub use convert::{
    Track, TrackFrame, decimate_keyframes, linear_segments, optimal_decimation, track_to_sequence,
    visibility_ranges,
};
pub use reduce::{reduce_keyframes, reduce_track};
pub use rle::{RleMask, decode_counts, encode_counts};
pub use service::{ServiceFrame, ServiceMask, ServiceResponse, tracks_from_response};

//! Fuzzes the reading of the model service's tracking response: the two response readers
//! (from text and from a parsed value, which must agree on what the text reader accepts), the
//! pivot of its masks into tracks, and the three ways a track becomes keyframes: FOVEA's
//! conversion, its decimation and the error-bounded reducer, in one pass and over a converted
//! sequence. None may keep more keyframes than the track has frames, and the one-pass reducer
//! must give what the two steps give.
#![no_main]

use fovea_core::track::{
    ServiceResponse, decimate_keyframes, optimal_decimation, reduce_keyframes, reduce_track,
    track_to_sequence, tracks_from_response,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let response = ServiceResponse::from_value(value);
    // The text reader is the stricter (it refuses repeated keys, which a parsed value has lost).
    if let Ok(from_text) = ServiceResponse::from_json(text) {
        assert_eq!(
            response.as_ref().ok(),
            Some(&from_text),
            "the readers disagree"
        );
    }
    let Ok(response) = response else {
        return;
    };
    let Ok(tracks) = tracks_from_response(&response, |_| None, "fuzz") else {
        return;
    };
    for track in &tracks {
        let frames = track.frames.len();
        let converted = track_to_sequence(track);
        assert_eq!(converted.boxes.len(), frames);
        converted
            .compile(&Default::default())
            .expect("a converted track compiles");

        let mut decimated = converted.clone();
        decimate_keyframes(&mut decimated, optimal_decimation(frames));
        assert!(decimated.boxes.len() <= frames);

        for tolerance in [0.0, 0.5] {
            let reduced = reduce_track(track, tolerance);
            assert!(reduced.boxes.len() <= frames);
            let mut stepwise = converted.clone();
            let kept = reduce_keyframes(&mut stepwise, tolerance);
            assert_eq!(kept, stepwise.boxes.len());
            assert_eq!(
                reduced, stepwise,
                "reduce_track and reduce_keyframes differ"
            );
        }
    }
});

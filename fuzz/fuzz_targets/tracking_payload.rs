//! Fuzzes the tracking job's payload reader (`TrackingJob::from_value`) and the check hosts run
//! before queueing a job (`host::check_tracking_job`): both must accept and refuse the same
//! payloads, and the checked payload (defaults filled in) must read back as the same job. For a
//! job that gives the video's size, the model-service request is built as a worker would: it
//! must carry one mask of that size per object and stay within the default tracking limits.
#![no_main]

use fovea_core::limits::TrackingLimits;
use fovea_jobs::host::check_tracking_job;
use fovea_jobs::tracking::TrackingJob;
use fovea_jobs::tracking::handler::service_request;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let limits = TrackingLimits::default();
    let job = TrackingJob::from_value(&value);
    let checked = check_tracking_job(&value, &limits);
    assert_eq!(
        job.is_ok(),
        checked.is_ok(),
        "the reader and the host's check disagree: {job:?} / {checked:?}"
    );
    let (Ok(job), Ok(checked)) = (job, checked) else {
        return;
    };
    let again = TrackingJob::from_value(&checked).expect("a checked payload is accepted");
    assert_eq!(again, job, "the checked payload reads back as the same job");

    let (Some(width), Some(height)) = (job.video_width, job.video_height) else {
        return;
    };
    let Ok(request) = service_request(&job, width, height) else {
        return;
    };
    let pixels = u64::from(width) * u64::from(height);
    assert!(pixels <= limits.video_pixels);
    assert!(pixels * job.objects.len() as u64 <= limits.mask_bytes);
    assert!(request.frame_numbers.len() as u64 <= limits.frames);
    assert_eq!(request.initial_masks.len(), job.objects.len());
    assert_eq!(request.object_ids.len(), job.objects.len());
    let encoded = pixels.div_ceil(3) * 4;
    for mask in &request.initial_masks {
        assert_eq!(
            mask.len() as u64,
            encoded,
            "a mask of {width}×{height} pixels"
        );
    }
});

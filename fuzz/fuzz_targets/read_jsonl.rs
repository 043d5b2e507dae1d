//! Fuzzes the JSON Lines reader and everything that consumes its records: validation in both
//! profiles, import preview against an empty store, conversion and bounded evaluation.
#![no_main]

use fovea_core::import::{PreviewOptions, Previewer, Snapshot};
use fovea_core::interp::{InterpOptions, Profile};
use fovea_core::jsonl::{LineData, ReadOptions, Reader};
use fovea_core::validate::{ValidateOptions, validate_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        max_line_bytes: 4096,
        ..Default::default()
    };
    let snapshot = Snapshot::new();
    let mut preview = Previewer::new(&snapshot, PreviewOptions::default());
    for item in Reader::with_options(data, opts) {
        let Ok(record) = item else { continue };
        for profile in [Profile::Default, Profile::Fovea] {
            let v = ValidateOptions {
                profile,
                ..Default::default()
            };
            let _ = validate_record(&record, &v, &Default::default());
        }
        if let LineData::Annotation(a) = &record.data
            && let Ok(a) = a.to_annotation()
            && let Ok(c) = a.bounding_box_sequence.compile(&InterpOptions::default())
            && c.check_eager_limit(100_000).is_ok()
        {
            let _ = c.boxes();
        }
        preview.add(record);
    }
    let _ = preview.finish();
});

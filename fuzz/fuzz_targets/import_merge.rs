//! Fuzzes the import preview and merge: the input holds the option choices (first four bytes),
//! then an existing dataset and an imported file as JSON Lines, separated by the first 0xFF
//! byte. The file is previewed against the dataset's snapshot, then imported with the chosen
//! strategies. A rolled-back or failed import must leave the dataset as it was; a kept one must
//! write out and read back with the same annotations.
#![no_main]

use fovea_core::import::{
    Dataset, DuplicateIdStrategy, ImportOptions, InterpolationStrategy, MissingDependencyStrategy,
    OverlapStrategy, PersonaStrategy, PreviewOptions, SequenceStrategy, WorldObjectStrategy,
    import_reader, preview_reader,
};
use fovea_core::jsonl::{ReadOptions, Reader};
use libfuzzer_sys::fuzz_target;

/// Takes one of `choices` from `bits`, consuming as much of it as the choice needs.
fn pick<T: Copy>(bits: &mut u32, choices: &[T]) -> T {
    let n = choices.len() as u32;
    let choice = choices[(*bits % n) as usize];
    *bits /= n;
    choice
}

/// Import options chosen by `bits`: every strategy of every conflict type, atomic or not,
/// and the validation switches that change what is applied.
fn options(mut bits: u32) -> ImportOptions {
    use DuplicateIdStrategy as D;
    use InterpolationStrategy as I;
    use MissingDependencyStrategy as M;
    use OverlapStrategy as O;
    use PersonaStrategy as P;
    use SequenceStrategy as S;
    use WorldObjectStrategy as W;
    let mut o = ImportOptions::default();
    let r = &mut o.conflict_resolution;
    r.personas = pick(&mut bits, &[P::Skip, P::Replace, P::Merge, P::Rename]);
    r.world_objects = pick(&mut bits, &[W::Skip, W::Replace, W::MergeAssignments]);
    r.missing_dependencies = pick(
        &mut bits,
        &[M::SkipItem, M::CreatePlaceholder, M::FailImport],
    );
    r.duplicate_ids = pick(&mut bits, &[D::PreserveId, D::RegenerateId]);
    r.sequences.duplicate_sequence_ids = pick(
        &mut bits,
        &[S::Skip, S::Replace, S::MergeKeyframes, S::CreateNew],
    );
    r.sequences.overlapping_frame_ranges = pick(
        &mut bits,
        &[
            O::SplitRanges,
            O::ExtendRange,
            O::ReplaceOverlap,
            O::FailImport,
        ],
    );
    r.sequences.interpolation_conflicts =
        pick(&mut bits, &[I::UseImported, I::UseExisting, I::FailImport]);
    o.transaction.atomic = pick(&mut bits, &[true, false]);
    o.validation.strict_mode = pick(&mut bits, &[false, true]);
    o.validation.validate_references = pick(&mut bits, &[true, false]);
    o.validation.validate_sequence_integrity = pick(&mut bits, &[true, false]);
    o.validation.validate_bounding_box_ranges = pick(&mut bits, &[true, false]);
    o.validation.recompute_interpolation = pick(&mut bits, &[false, true]);
    o
}

/// The annotation ids of a dataset, sorted.
fn annotation_ids(dataset: &Dataset) -> Vec<&str> {
    let mut ids: Vec<&str> = dataset.annotations.keys().map(String::as_str).collect();
    ids.sort_unstable();
    ids
}

fuzz_target!(|data: &[u8]| {
    let Some((choice, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let (existing, file) = match rest.iter().position(|&b| b == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let read = ReadOptions {
        max_line_bytes: 4096,
        ..Default::default()
    };
    let (mut dataset, _) = Dataset::read(Reader::with_options(existing, read));
    let before = dataset.clone();

    let snapshot = dataset.snapshot(Default::default());
    let _ = preview_reader(
        Reader::with_options(file, read),
        &snapshot,
        PreviewOptions::default(),
    );

    let options = options(u32::from_le_bytes(*choice));
    let imported = import_reader(
        &mut dataset,
        Reader::with_options(file, read),
        &options,
        PreviewOptions::default(),
    );
    let committed = imported.as_ref().is_ok_and(|(_, r)| r.committed);
    if !committed {
        assert!(
            dataset == before,
            "an import that was not kept changed the dataset: {imported:?}"
        );
        return;
    }
    let (out, _) = dataset
        .write(Vec::new(), Default::default())
        .expect("a dataset after an import writes out");
    let (back, errors) = Dataset::read(Reader::new(out.as_slice()));
    assert!(
        errors.is_empty(),
        "the written dataset reads back: {errors:?}"
    );
    assert_eq!(annotation_ids(&back), annotation_ids(&dataset));
});

//! Records grouped by key in bounded memory: held in an arena of a fixed capacity until it is
//! full, then written as a sorted run to an unnamed temporary file; read back once, in key order,
//! each group's records in rank order (a k-way merge of the runs). The previewer keeps its
//! in-file tables (ids, references, spans) here, so that its memory does not grow with the
//! file.
//!
//! Order: by a 64-bit hash of the key, then the key's bytes, then the rank. Groups come in no
//! meaningful order; within a group, ranks ascend.

use hashbrown::DefaultHashBuilder;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;

/// Bytes before a record's key, in the arena and in runs: hash, rank, key length, payload
/// length.
const HEADER: usize = 8 + 8 + 4 + 4;

/// Most runs kept before they are merged into one (each is an open file while merging).
const MAX_RUNS: usize = 64;

/// Buffer of each run's reader and writer.
const RUN_BUFFER: usize = 64 * 1024;

/// A record as read back: its key, rank and payload, and whether it opens a group.
pub(crate) struct Visit<'a> {
    /// The key.
    pub(crate) key: &'a [u8],
    /// The rank given when it was pushed.
    pub(crate) rank: u64,
    /// The payload.
    pub(crate) payload: &'a [u8],
    /// Whether this is the first record of its key.
    pub(crate) first: bool,
}

/// Keyed records, grouped when read back (see the module documentation).
pub(crate) struct SpillGroups {
    /// Records: header, key, payload. Its capacity is reserved once and never grows (but for
    /// a single record larger than it): memory is touched as it fills and reused after a
    /// spill, never reallocated.
    arena: Vec<u8>,
    /// Hash and arena offset of each held record; its capacity is fixed likewise.
    index: Vec<(u64, usize)>,
    /// Bytes the arena and the index may hold.
    budget: usize,
    runs: Vec<File>,
    dir: PathBuf,
    hasher: DefaultHashBuilder,
}

/// One record: header fields and the two byte strings.
struct Head {
    hash: u64,
    rank: u64,
    key: Vec<u8>,
    payload: Vec<u8>,
    /// The run it was read from.
    run: usize,
}

impl Head {
    fn order(&self, other: &Head) -> Ordering {
        (self.hash, &self.key, self.rank).cmp(&(other.hash, &other.key, other.rank))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.order(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    /// Reversed: [`BinaryHeap`] pops the greatest, the merge wants the least.
    fn cmp(&self, other: &Self) -> Ordering {
        other.order(self)
    }
}

fn word(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

fn half(bytes: &[u8], at: usize) -> usize {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(w) as usize
}

/// The rank, key and payload of the record at `at` in `arena`.
fn held(arena: &[u8], at: usize) -> (u64, &[u8], &[u8]) {
    let (klen, plen) = (half(arena, at + 16), half(arena, at + 20));
    let key = at + HEADER;
    (
        word(arena, at + 8),
        &arena[key..key + klen],
        &arena[key + klen..key + klen + plen],
    )
}

/// A record's header: hash, rank, and the lengths of its key and payload.
fn header(hash: u64, rank: u64, key: &[u8], payload: &[u8]) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..8].copy_from_slice(&hash.to_le_bytes());
    h[8..16].copy_from_slice(&rank.to_le_bytes());
    h[16..20].copy_from_slice(&(key.len() as u32).to_le_bytes());
    h[20..].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h
}

/// Reads the next record of `run` into `head`; false at the end of the run.
fn read_next(run: &mut impl Read, head: &mut Head) -> io::Result<bool> {
    let mut header = [0u8; HEADER];
    match run.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    head.hash = word(&header, 0);
    head.rank = word(&header, 8);
    head.key.resize(half(&header, 16), 0);
    run.read_exact(&mut head.key)?;
    head.payload.resize(half(&header, 20), 0);
    run.read_exact(&mut head.payload)?;
    Ok(true)
}

/// Size of an index entry.
const ENTRY: usize = std::mem::size_of::<(u64, usize)>();

impl SpillGroups {
    /// An empty table that holds up to `budget` bytes in memory, and whose runs go to `dir`.
    pub(crate) fn new(budget: usize, dir: PathBuf) -> Self {
        SpillGroups {
            arena: Vec::new(),
            index: Vec::new(),
            budget,
            runs: Vec::new(),
            dir,
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// Adds a record, spilling the held ones first when it would not fit. O(1), O(len) to
    /// hash and copy (plus a spill); no allocation but the first.
    ///
    /// # Panics
    /// When the key or the payload is 4 GiB or longer (callers push ids and small fields).
    pub(crate) fn push(&mut self, key: &[u8], rank: u64, payload: &[u8]) -> io::Result<()> {
        assert!(key.len() <= u32::MAX as usize && payload.len() <= u32::MAX as usize);
        let len = HEADER + key.len() + payload.len();
        if self.arena.capacity() == 0 {
            // Records of about 64 bytes: a quarter of the budget indexes the rest.
            let entries = self.budget / 4 / ENTRY;
            self.index.reserve_exact(entries.max(1));
            self.arena.reserve_exact(self.budget - entries * ENTRY);
        }
        if !self.index.is_empty()
            && (self.index.len() == self.index.capacity()
                || self.arena.len() + len > self.arena.capacity())
        {
            self.spill()?;
        }
        // Only a record larger than the whole arena makes it grow.
        self.arena.reserve_exact(len);
        let hash = self.hasher.hash_one(key);
        self.index.push((hash, self.arena.len()));
        self.arena
            .extend_from_slice(&header(hash, rank, key, payload));
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(payload);
        Ok(())
    }

    /// Sorts the held records: O(n log n) comparisons, almost all of one `u64`.
    fn sort(&mut self) {
        let arena = &self.arena;
        self.index.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                let (ra, ka, _) = held(arena, a.1);
                let (rb, kb, _) = held(arena, b.1);
                (ka, ra).cmp(&(kb, rb))
            })
        });
    }

    /// Writes the held records as a sorted run and empties the arena (keeping its memory).
    /// O(n log n); after [`MAX_RUNS`] runs they are merged into one.
    fn spill(&mut self) -> io::Result<()> {
        if self.index.is_empty() {
            return Ok(());
        }
        self.sort();
        let mut out = BufWriter::with_capacity(RUN_BUFFER, tempfile::tempfile_in(&self.dir)?);
        for &(_, at) in &self.index {
            let len = HEADER + half(&self.arena, at + 16) + half(&self.arena, at + 20);
            out.write_all(&self.arena[at..at + len])?;
        }
        self.runs
            .push(out.into_inner().map_err(|e| e.into_error())?);
        self.arena.clear();
        self.index.clear();
        if self.runs.len() >= MAX_RUNS {
            let runs = std::mem::take(&mut self.runs);
            let mut out = BufWriter::with_capacity(RUN_BUFFER, tempfile::tempfile_in(&self.dir)?);
            merge(runs, |h| {
                out.write_all(&header(h.hash, h.rank, &h.key, &h.payload))?;
                out.write_all(&h.key)?;
                out.write_all(&h.payload)
            })?;
            self.runs
                .push(out.into_inner().map_err(|e| e.into_error())?);
        }
        Ok(())
    }

    /// Reads every record back, grouped by key (see the module documentation), and consumes
    /// the table. In memory when nothing was spilled (O(n log n)); otherwise the held records
    /// are spilled too and the runs merged (O(n log r) for r runs, one record per run in
    /// memory).
    pub(crate) fn visit(
        mut self,
        mut f: impl FnMut(Visit<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.runs.is_empty() {
            self.sort();
            let mut last: Option<&[u8]> = None;
            for &(_, at) in &self.index {
                let (rank, key, payload) = held(&self.arena, at);
                let first = last != Some(key);
                last = Some(key);
                f(Visit {
                    key,
                    rank,
                    payload,
                    first,
                })?;
            }
            return Ok(());
        }
        self.spill()?;
        let mut last: Option<Vec<u8>> = None;
        merge(std::mem::take(&mut self.runs), |h| {
            let first = last.as_deref() != Some(&h.key[..]);
            if first {
                // One buffer, reused: a group's key is copied once.
                let l = last.get_or_insert_with(Vec::new);
                l.clear();
                l.extend_from_slice(&h.key);
            }
            f(Visit {
                key: &h.key,
                rank: h.rank,
                payload: &h.payload,
                first,
            })
        })
    }
}

/// Merges sorted runs, handing each record to `f` in order. O(n log r); no allocation per
/// record (each run's head keeps its buffers).
fn merge(runs: Vec<File>, mut f: impl FnMut(&Head) -> io::Result<()>) -> io::Result<()> {
    let mut readers = Vec::with_capacity(runs.len());
    let mut heap = BinaryHeap::with_capacity(runs.len());
    for (i, mut run) in runs.into_iter().enumerate() {
        run.rewind()?;
        let mut reader = BufReader::with_capacity(RUN_BUFFER, run);
        let mut head = Head {
            hash: 0,
            rank: 0,
            key: Vec::new(),
            payload: Vec::new(),
            run: i,
        };
        if read_next(&mut reader, &mut head)? {
            heap.push(head);
        }
        readers.push(reader);
    }
    while let Some(mut head) = heap.pop() {
        f(&head)?;
        if read_next(&mut readers[head.run], &mut head)? {
            heap.push(head);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Groups as the table returns them: key → (rank, payload) in order; checks that each
    /// key comes as one group.
    fn read_back(t: SpillGroups) -> BTreeMap<Vec<u8>, Vec<(u64, Vec<u8>)>> {
        let mut out: BTreeMap<Vec<u8>, Vec<(u64, Vec<u8>)>> = BTreeMap::new();
        let mut current: Option<Vec<u8>> = None;
        t.visit(|v| {
            if v.first {
                assert!(!out.contains_key(v.key), "key {:?} in two groups", v.key);
                current = Some(v.key.to_vec());
            }
            assert_eq!(current.as_deref(), Some(v.key), "record outside its group");
            out.entry(v.key.to_vec())
                .or_default()
                .push((v.rank, v.payload.to_vec()));
            Ok(())
        })
        .unwrap();
        out
    }

    fn expected(records: &[(Vec<u8>, u64, Vec<u8>)]) -> BTreeMap<Vec<u8>, Vec<(u64, Vec<u8>)>> {
        let mut out: BTreeMap<Vec<u8>, Vec<(u64, Vec<u8>)>> = BTreeMap::new();
        for (k, r, p) in records {
            out.entry(k.clone()).or_default().push((*r, p.clone()));
        }
        for group in out.values_mut() {
            group.sort();
        }
        out
    }

    proptest! {
        #[test]
        fn groups_are_whole_and_ranked_whether_spilled_or_not(
            records in proptest::collection::vec(
                (proptest::collection::vec(0u8..4, 0..4), 0u64..1000,
                 proptest::collection::vec(any::<u8>(), 0..6)),
                0..300),
            budget in 0usize..4000,
        ) {
            // Distinct ranks within a key, as the previewer gives.
            let records: Vec<_> = records.into_iter().enumerate()
                .map(|(i, (k, r, p))| (k, r * 1000 + i as u64, p)).collect();
            let mut t = SpillGroups::new(budget, std::env::temp_dir());
            for (k, r, p) in &records {
                t.push(k, *r, p).unwrap();
                prop_assert!(t.arena.capacity() <= budget.max(HEADER + 8), "{}", t.arena.capacity());
            }
            prop_assert_eq!(read_back(t), expected(&records));
        }
    }

    #[test]
    fn more_runs_than_the_cap_are_merged_on_the_way() {
        let mut t = SpillGroups::new(0, std::env::temp_dir());
        let mut records = Vec::new();
        for i in 0..(MAX_RUNS as u64 * 3 + 5) {
            let r = (
                format!("k{}", i % 17).into_bytes(),
                i,
                i.to_le_bytes().to_vec(),
            );
            t.push(&r.0, r.1, &r.2).unwrap();
            assert!(t.runs.len() < MAX_RUNS, "{} runs open", t.runs.len());
            records.push(r);
        }
        assert_eq!(read_back(t), expected(&records));
    }

    #[test]
    fn a_run_that_cannot_be_created_is_an_error() {
        let mut t = SpillGroups::new(0, PathBuf::from("/nonexistent/fovea-spill"));
        t.push(b"a", 1, b"").unwrap();
        assert!(t.push(b"b", 2, b"").is_err());
    }
}

//! The annotation summaries of a [`super::Snapshot`], stored compactly: each summary encoded
//! once in an arena ([`super::codec`]), a hash table of record numbers by id, and the
//! annotations of one owner on one video chained in insertion order (a table of chain ends by
//! owner key, and a "next" number per record). About 30 bytes besides the encoded text per
//! annotation, against some 500 for maps of owned summaries; no allocation per annotation.
//!
//! A summary replaced by a later one with the same id stays in the arena, unreachable.

use super::codec::{Fields, put_owner_key, put_str, put_u32};
use super::summary::{AnnotationSummary, Owner};
use crate::model::InterpolationType;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::io;

/// The end of a chain.
const NONE: u32 = u32::MAX;

/// Tag of an interpolation mode fovea does not know: its name follows.
const OTHER: u8 = u8::MAX;

/// Annotation summaries by id and by owner (see the module documentation).
#[derive(Clone, Default)]
pub(crate) struct Summaries {
    arena: Vec<u8>,
    /// Arena offset of each record, by record number.
    at: Vec<usize>,
    /// The next record of the same video and owner, by record number.
    next: Vec<u32>,
    /// The live record of each id.
    by_id: HashTable<u32>,
    /// First and last record of each video and owner.
    by_owner: HashTable<(u32, u32)>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Summaries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Summaries")
            .field("annotations", &self.len())
            .field("bytes", &self.arena.len())
            .finish()
    }
}

/// A record: id, owner key (video and owner), span, keyframe pairs.
fn encode(out: &mut Vec<u8>, s: &AnnotationSummary) {
    put_str(out, &s.id);
    let key = out.len();
    put_u32(out, 0);
    put_owner_key(out, &s.video_id, s.owner.as_ref());
    let len = (out.len() - key - 4) as u32;
    out[key..key + 4].copy_from_slice(&len.to_le_bytes());
    match s.span {
        Some((start, end)) => {
            out.push(1);
            put_u32(out, start);
            put_u32(out, end);
        }
        None => out.push(0),
    }
    put_u32(out, s.pairs.len() as u32);
    for (start, end, kind) in &s.pairs {
        put_u32(out, *start);
        put_u32(out, *end);
        match InterpolationType::NAMES
            .iter()
            .position(|n| *n == kind.as_str())
        {
            Some(i) => out.push(i as u8),
            None => {
                out.push(OTHER);
                put_str(out, kind.as_str());
            }
        }
    }
}

/// The id and the owner key of a record, and the fields after them.
fn parts(record: &[u8]) -> io::Result<(&[u8], &[u8], Fields<'_>)> {
    let mut f = Fields(record);
    let id = f.bytes()?;
    let key = f.bytes()?;
    Ok((id, key, f))
}

/// The id of record `r` (empty should it not read).
fn id_at<'a>(arena: &'a [u8], at: &[usize], r: u32) -> &'a [u8] {
    parts(&arena[at[r as usize]..]).map_or(&[], |(id, _, _)| id)
}

/// The owner key of record `r` (empty should it not read).
fn key_at<'a>(arena: &'a [u8], at: &[usize], r: u32) -> &'a [u8] {
    parts(&arena[at[r as usize]..]).map_or(&[], |(_, key, _)| key)
}

fn decode(record: &[u8]) -> io::Result<AnnotationSummary> {
    let (id, key, mut f) = parts(record)?;
    let mut k = Fields(key);
    let video_id = k.str()?.into_owned();
    let owner = k.owner()?;
    let span = match f.u8()? {
        1 => Some((f.u32()?, f.u32()?)),
        _ => None,
    };
    let n = f.u32()? as usize;
    let mut pairs = Vec::with_capacity(n.min(f.0.len() / 9));
    for _ in 0..n {
        let (start, end) = (f.u32()?, f.u32()?);
        let kind = match f.u8()? {
            OTHER => InterpolationType::parse(&f.str()?),
            i => InterpolationType::parse(
                InterpolationType::NAMES
                    .get(usize::from(i))
                    .copied()
                    .unwrap_or_default(),
            ),
        };
        pairs.push((start, end, kind));
    }
    Ok(AnnotationSummary {
        id: String::from_utf8_lossy(id).into_owned(),
        video_id,
        owner,
        span,
        pairs,
    })
}

impl Summaries {
    fn record(&self, r: u32) -> &[u8] {
        &self.arena[self.at[r as usize]..]
    }

    fn id(&self, r: u32) -> &[u8] {
        id_at(&self.arena, &self.at, r)
    }

    fn key(&self, r: u32) -> &[u8] {
        key_at(&self.arena, &self.at, r)
    }

    /// Number of annotations.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Adds a summary, replacing the one with the same id (which leaves its chain). O(1)
    /// expected; a replacement walks the old summary's chain.
    pub(crate) fn add(&mut self, s: &AnnotationSummary) {
        let r = self.at.len() as u32;
        self.at.push(self.arena.len());
        self.next.push(NONE);
        encode(&mut self.arena, s);
        let (arena, at, hasher) = (&self.arena, &self.at, &self.hasher);
        let hash = hasher.hash_one(s.id.as_bytes());
        let old = match self
            .by_id
            .find_mut(hash, |&other| id_at(arena, at, other) == s.id.as_bytes())
        {
            Some(slot) => Some(std::mem::replace(slot, r)),
            None => {
                self.by_id
                    .insert_unique(hash, r, |&other| hasher.hash_one(id_at(arena, at, other)));
                None
            }
        };
        if let Some(old) = old {
            self.unchain(old);
        }
        if s.owner.is_some() {
            self.chain(r);
        }
    }

    fn owner_hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Appends record `r` to the chain of its owner key.
    fn chain(&mut self, r: u32) {
        let hash = self.owner_hash(self.key(r));
        let (arena, at, hasher) = (&self.arena, &self.at, &self.hasher);
        let key = key_at(arena, at, r);
        match self
            .by_owner
            .find_mut(hash, |(head, _)| key_at(arena, at, *head) == key)
        {
            Some((_, tail)) => {
                let last = std::mem::replace(tail, r);
                self.next[last as usize] = r;
            }
            None => {
                self.by_owner.insert_unique(hash, (r, r), |(head, _)| {
                    hasher.hash_one(key_at(arena, at, *head))
                });
            }
        }
    }

    /// Takes record `r` out of its owner's chain (if it is in one). O(chain).
    fn unchain(&mut self, r: u32) {
        let hash = self.owner_hash(self.key(r));
        let (arena, at) = (&self.arena, &self.at);
        let key = key_at(arena, at, r);
        let Ok(entry) = self
            .by_owner
            .find_entry(hash, |(head, _)| key_at(arena, at, *head) == key)
        else {
            return;
        };
        let (head, tail) = *entry.get();
        let after = self.next[r as usize];
        if head == r {
            if after == NONE {
                entry.remove();
            } else {
                // Rehashing is not needed: the new head has the same key.
                *entry.into_mut() = (after, tail);
            }
            return;
        }
        let mut before = head;
        while self.next[before as usize] != r {
            before = self.next[before as usize];
            if before == NONE {
                return;
            }
        }
        self.next[before as usize] = after;
        if tail == r {
            *entry.into_mut() = (head, before);
        }
    }

    /// The live record of `id`.
    fn find(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id.as_bytes());
        self.by_id
            .find(hash, |&r| self.id(r) == id.as_bytes())
            .copied()
    }

    /// The summary of `id`. O(1) expected, plus decoding.
    pub(crate) fn get(&self, id: &str) -> Option<AnnotationSummary> {
        decode(self.record(self.find(id)?)).ok()
    }

    /// The record numbers chained under an owner key, in insertion order.
    fn chain_of(&self, key: &[u8]) -> impl Iterator<Item = u32> + '_ {
        let hash = self.owner_hash(key);
        let head = self
            .by_owner
            .find(hash, |(head, _)| self.key(*head) == key)
            .map_or(NONE, |(head, _)| *head);
        std::iter::successors((head != NONE).then_some(head), |r| {
            let n = self.next[*r as usize];
            (n != NONE).then_some(n)
        })
    }

    /// The summaries of `owner` on `video_id`, in insertion order. O(1) expected plus their
    /// decoding.
    pub(crate) fn of_owner(&self, video_id: &str, owner: &Owner) -> Vec<AnnotationSummary> {
        let mut key = Vec::new();
        put_owner_key(&mut key, video_id, Some(owner));
        self.chain_of(&key)
            .filter_map(|r| decode(self.record(r)).ok())
            .collect()
    }
}

impl PartialEq for Summaries {
    /// The same summaries, and the same chains in the same order (not the same bytes: replaced
    /// records may differ).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.by_id.iter().all(|&r| {
                let id = String::from_utf8_lossy(self.id(r));
                let mine = decode(self.record(r)).ok();
                mine.is_some() && other.get(&id) == mine && {
                    let key = self.key(r);
                    self.chain_of(key)
                        .map(|r| self.id(r))
                        .eq(other.chain_of(key).map(|r| other.id(r)))
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Owner;

    fn summary(id: &str, video: &str, track: Option<&str>, span: u32) -> AnnotationSummary {
        AnnotationSummary {
            id: id.into(),
            video_id: video.into(),
            owner: track.map(|t| Owner::Type {
                persona_id: "p".into(),
                type_id: "t".into(),
                track: t.into(),
            }),
            span: Some((span, span + 10)),
            pairs: vec![
                (span, span + 5, InterpolationType::Hold),
                (
                    span + 5,
                    span + 10,
                    InterpolationType::Other("wobble".into()),
                ),
            ],
        }
    }

    fn ids(s: &Summaries, video: &str, track: &str) -> Vec<String> {
        let owner = Owner::Type {
            persona_id: "p".into(),
            type_id: "t".into(),
            track: track.into(),
        };
        s.of_owner(video, &owner)
            .into_iter()
            .map(|a| a.id)
            .collect()
    }

    #[test]
    fn summaries_read_back_whole_and_chains_keep_insertion_order() {
        let mut s = Summaries::default();
        let all = [
            summary("a", "v", Some("1"), 0),
            summary("b", "v", Some("1"), 5),
            summary("c", "v", Some("2"), 0),
            summary("d", "w", Some("1"), 0),
            summary("e", "v", None, 0),
            summary("f", "v", Some("1"), 9),
        ];
        for a in &all {
            s.add(a);
        }
        assert_eq!(s.len(), 6);
        for a in &all {
            assert_eq!(s.get(&a.id).as_ref(), Some(a));
        }
        assert_eq!(s.get("zz"), None);
        assert_eq!(ids(&s, "v", "1"), ["a", "b", "f"]);
        assert_eq!(ids(&s, "v", "2"), ["c"]);
        assert_eq!(ids(&s, "w", "1"), ["d"]);
        assert!(ids(&s, "w", "2").is_empty());
    }

    #[test]
    fn a_replaced_summary_leaves_its_chain_wherever_it_was() {
        for (moved, want_1) in [
            ("a", vec!["b", "c"]),
            ("b", vec!["a", "c"]),
            ("c", vec!["a", "b"]),
        ] {
            let mut s = Summaries::default();
            for id in ["a", "b", "c"] {
                s.add(&summary(id, "v", Some("1"), 0));
            }
            s.add(&summary(moved, "v", Some("2"), 50));
            assert_eq!(s.len(), 3);
            assert_eq!(ids(&s, "v", "1"), want_1, "{moved}");
            assert_eq!(ids(&s, "v", "2"), [moved]);
            // Replaced on the same owner: it moves to the end.
            s.add(&summary(want_1[0], "v", Some("1"), 70));
            assert_eq!(ids(&s, "v", "1"), [want_1[1], want_1[0]]);
            assert_eq!(s.get(want_1[0]).unwrap().span, Some((70, 80)));
            // The last of a chain replaced by an annotation without owner: the chain is gone.
            s.add(&summary(moved, "v", None, 0));
            assert!(ids(&s, "v", "2").is_empty());
            s.add(&summary(moved, "v", Some("2"), 1));
            assert_eq!(ids(&s, "v", "2"), [moved]);
        }
    }

    #[test]
    fn equality_is_of_contents_not_of_bytes() {
        let mut a = Summaries::default();
        let mut b = Summaries::default();
        a.add(&summary("x", "v", Some("1"), 0));
        a.add(&summary("x", "v", Some("1"), 3));
        b.add(&summary("x", "v", Some("1"), 3));
        assert_eq!(a, b);
        b.add(&summary("y", "v", Some("1"), 3));
        assert_ne!(a, b);
    }
}

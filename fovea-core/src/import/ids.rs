//! The ids seen so far in an incoming file, stored compactly: one arena holds, per id, its
//! kind, first line, length and text; a hash table holds only each id's offset in the arena
//! (8 bytes). About 25 bytes plus the id's length per id, and twice the table's share while it
//! grows, against ~90 for a `HashMap<String, _>`; no allocation per id.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// The kinds an id can be claimed by, as named in messages.
const KINDS: [&str; 10] = [
    "annotation",
    "persona",
    "video",
    "entity",
    "event",
    "time",
    "entityCollection",
    "eventCollection",
    "timeCollection",
    "relation",
];

/// Bytes before an id's text in the arena: kind (1), line (8), length (8).
const HEADER: usize = 17;

/// A set of ids with the line and kind that first claimed each.
#[derive(Default)]
pub(crate) struct IdTable {
    arena: Vec<u8>,
    table: HashTable<usize>,
    hasher: DefaultHashBuilder,
}

/// The id stored at `at` in `arena`, with its kind and line.
fn stored(arena: &[u8], at: usize) -> (&[u8], u8, usize) {
    let word = |from: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&arena[from..from + 8]);
        u64::from_le_bytes(bytes) as usize
    };
    let len = word(at + 9);
    (
        &arena[at + HEADER..at + HEADER + len],
        arena[at],
        word(at + 1),
    )
}

impl IdTable {
    /// Claims `id` for a `kind` on `line`; returns the line and kind of an earlier claim (the
    /// id is then left as it was). O(1) expected, O(len) to hash.
    ///
    /// # Panics
    /// When `kind` is not one of [`KINDS`] (a programming error).
    pub(crate) fn claim(
        &mut self,
        id: &str,
        line: usize,
        kind: &'static str,
    ) -> Option<(usize, &'static str)> {
        let hash = self.hasher.hash_one(id.as_bytes());
        let arena = &self.arena;
        if let Some(&at) = self
            .table
            .find(hash, |&at| stored(arena, at).0 == id.as_bytes())
        {
            let (_, kind, line) = stored(arena, at);
            return Some((line, KINDS[usize::from(kind)]));
        }
        let kind = KINDS
            .iter()
            .position(|k| *k == kind)
            .expect("ids are claimed by known kinds") as u8;
        let at = self.arena.len();
        self.arena.push(kind);
        self.arena.extend_from_slice(&(line as u64).to_le_bytes());
        self.arena
            .extend_from_slice(&(id.len() as u64).to_le_bytes());
        self.arena.extend_from_slice(id.as_bytes());
        let (arena, hasher) = (&self.arena, &self.hasher);
        self.table
            .insert_unique(hash, at, |&at| hasher.hash_one(stored(arena, at).0));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_claim_wins_and_is_reported() {
        let mut t = IdTable::default();
        assert_eq!(t.claim("a", 1, "video"), None);
        assert_eq!(t.claim("b", 2, "annotation"), None);
        assert_eq!(t.claim("a", 3, "annotation"), Some((1, "video")));
        assert_eq!(t.claim("a", 4, "persona"), Some((1, "video")));
        assert_eq!(t.claim("", 5, "persona"), None);
        assert_eq!(t.claim("", 6, "relation"), Some((5, "persona")));
        // Ids that share a prefix or are prefixes of each other stay distinct.
        for (i, id) in ["ab", "abc", "ba", "a b", "é"].iter().enumerate() {
            assert_eq!(t.claim(id, 10 + i, "entity"), None, "{id}");
        }
    }

    #[test]
    fn many_ids_survive_growth() {
        let mut t = IdTable::default();
        for i in 0..50_000 {
            assert_eq!(t.claim(&format!("id-{i}"), i + 1, "annotation"), None);
        }
        for i in (0..50_000).step_by(997) {
            assert_eq!(
                t.claim(&format!("id-{i}"), 0, "video"),
                Some((i + 1, "annotation"))
            );
        }
    }
}

//! The ids seen so far in an incoming file, stored compactly: every id's text in one arena
//! and a hash table of 32-byte entries pointing into it — about 32 bytes plus the id's length
//! per id, against ~90 for a `HashMap<String, _>`, with no allocation per id.

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

/// Where one id's text lies in the arena, and who claimed it first.
struct Entry {
    start: usize,
    len: usize,
    line: usize,
    kind: u8,
}

/// A set of ids with the line and kind that first claimed each.
#[derive(Default)]
pub(crate) struct IdTable {
    text: String,
    table: HashTable<Entry>,
    hasher: DefaultHashBuilder,
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
        let hash = self.hasher.hash_one(id);
        let text = &self.text;
        let at = |e: &Entry| &text[e.start..e.start + e.len];
        if let Some(e) = self.table.find(hash, |e| at(e) == id) {
            return Some((e.line, KINDS[usize::from(e.kind)]));
        }
        let kind = KINDS
            .iter()
            .position(|k| *k == kind)
            .expect("ids are claimed by known kinds") as u8;
        let entry = Entry {
            start: self.text.len(),
            len: id.len(),
            line,
            kind,
        };
        self.text.push_str(id);
        let (text, hasher) = (&self.text, &self.hasher);
        self.table.insert_unique(hash, entry, |e| {
            hasher.hash_one(&text[e.start..e.start + e.len])
        });
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

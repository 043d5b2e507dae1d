//! Tapes: values crossing between Rust and a host (JavaScript) as a few flat arrays instead of
//! one host call per property, which costs several times what the host's own `JSON.parse`
//! does. A host's binding only moves the arrays across and runs the host's half of the codec.
//!
//! Rust → host ([`Tape`]): 32-bit words, each a tag (low 3 bits) and a payload — a small
//! non-negative integer, a string's index, or an object's or array's count of entries (the
//! entries follow, each key a string index shifted left once, with bit 0 set for
//! `__proto__`, which must become an own property) — beside the numbers that are not small
//! integers, and the distinct strings once each, joined, with their ends in UTF-16 units.
//! Numbers follow JSON: a non-finite one is `null`, `-0` is `0`.
//!
//! Host → Rust ([`Cursor`]): one tag byte per value, a size per string (UTF-16 units), object
//! (entries) and array (items), the numbers, and the strings joined; a value with no JSON
//! meaning (a function, a symbol, a bigint, too deep a nesting) has its own tag, so the reader
//! names it. An integral number reads as an integer, as `JSON.parse` of its text would.

mod read;
mod write;

pub use read::Cursor;
pub use write::{Open, SerFail, Tape};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_value_is_written_once_per_string_with_small_integers_inline() {
        let tape = Tape::of(&json!({"a": [1, 2.5, "a", null], "b": -0.0})).unwrap();
        let (ops, nums, text, units, many) = tape.parts();
        // object of 2 entries; key "a" (string 0); array of 4: int 1, a number, string 0, null;
        // key "b" (string 1); `-0` as the integer 0.
        assert_eq!(ops, [2 | 2 << 3, 0, 3 | 4 << 3, 7 | 1 << 3, 0, 1, 6, 2, 7]);
        assert_eq!(
            (nums, text, units, many),
            (&[2.5][..], "ab", &[0, 1, 2][..], false)
        );
    }

    #[test]
    fn a_host_tape_reads_as_json_and_names_what_is_not() {
        // {"k": [3, "é"]}: tags object, string, array, number, string.
        let tags = [2, 1, 3, 0, 1];
        let sizes = [1, 1, 2, 1];
        let value: Value = crate::host::read(|| Cursor::new(&tags, &sizes, &[3.0], "ké")).unwrap();
        assert_eq!(value, json!({"k": [3, "é"]}));
        let e = crate::host::read::<Value, _>(|| Cursor::new(&[8], &[0], &[], "")).unwrap_err();
        assert_eq!(e.code(), "invalid-type");
        assert!(e.to_string().contains("a function"), "{e}");
    }
}

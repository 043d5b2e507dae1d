//! Text a store cannot hold: Postgres refuses the NUL character (U+0000) in `text` and `jsonb`
//! values, so a line holding one is invalid for it (SQLite stores it as it is).

use crate::jsonl::LineData;
use serde_json::Value;
use std::cell::RefCell;

thread_local! {
    /// The JSON text of the last record looked at, reused (no allocation per record).
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The JSON path of the first string (value or key) of `data` that holds a NUL character, or
/// `None`. O(size of the record): the record is written as JSON once and searched for the
/// `\u0000` escape; only a record that has one is walked for the path.
pub(crate) fn find_nul(data: &LineData) -> Option<String> {
    let hit = TEXT.with_borrow_mut(|text| {
        text.clear();
        // Writing into a Vec fails only for a value JSON cannot hold; such a record is
        // refused elsewhere, and this check then passes.
        crate::json::to_writer(&mut *text, data).is_ok() && has_nul_escape(text)
    });
    if !hit {
        return None;
    }
    let value = serde_json::to_value(data).ok()?;
    let mut path = String::new();
    walk(&value, &mut path)?;
    // Paths are relative to the line's `data`, as every issue's is.
    Some(match path.strip_prefix("data.") {
        Some(inner) => inner.to_owned(),
        None => path,
    })
}

/// Whether JSON text holds the escape `\u0000` (not an escaped backslash followed by `u0000`).
fn has_nul_escape(text: &[u8]) -> bool {
    memchr::memmem::find_iter(text, b"\\u0000").any(|at| {
        let backslashes = text[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        backslashes % 2 == 0
    })
}

/// Walks `value` depth first; on the first string holding NUL, leaves its path in `path` and
/// returns `Some`.
fn walk(value: &Value, path: &mut String) -> Option<()> {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = walk(item, path).is_some();
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Object(fields) => fields.iter().any(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key.replace('\0', "\\u0000"));
            let found = key.contains('\0') || walk(item, path).is_some();
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    }
    .then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonl::Reader;

    fn data(line: &str) -> LineData {
        Reader::new(line.as_bytes()).next().unwrap().unwrap().data
    }

    #[test]
    fn the_first_string_holding_nul_is_named_by_its_path() {
        let a = r#"{"type":"annotation","data":{"id":"a\u0000","videoId":"v","boundingBoxSequence":{"boxes":[]}}}"#;
        assert_eq!(find_nul(&data(a)).as_deref(), Some("id"));
        let deep = r#"{"type":"persona","data":{"id":"p","tags":["ok",{"note":"x\u0000y"}]}}"#;
        assert_eq!(find_nul(&data(deep)).as_deref(), Some("tags[1].note"));
        let key = r#"{"type":"video","data":{"id":"v","ex\u0000tra":1}}"#;
        assert_eq!(find_nul(&data(key)).as_deref(), Some("ex\\u0000tra"));
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_no_nul() {
        let text = r#"{"type":"video","data":{"id":"C:\\u0000"}}"#;
        assert_eq!(find_nul(&data(text)), None);
        assert!(has_nul_escape(br#""\\\u0000""#));
        assert!(!has_nul_escape(br#""\\u0000""#));
    }
}

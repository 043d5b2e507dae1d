//! A hand-written reader for the common shape of annotation lines: compact JSON (no whitespace
//! between tokens), keys and strings without escapes, `type` before `data` — what fovea's
//! writer and FOVEA's `JSON.stringify` produce. It builds the same [`RawAnnotation`] serde
//! would, several times faster (no visitor layers, no large values moved through `Result`s).
//!
//! It never decides anything serde would decide differently: on whatever it does not handle
//! (whitespace, an escape, a control character, a value of an unexpected JSON type, an unusual
//! number) it gives up and returns `None`, and the caller reads the line with serde. Nested
//! objects it does not model (`metadata`, curves, unknown fields) are delimited here and read
//! by serde. `fast_and_serde_agree` (a property test) holds the two to the same output.
//! O(line length).

use crate::jsonl::AnnotationRecord;
use crate::model::raw::{RawBox, RawRange, RawSegment, RawSequence};
use crate::model::{InterpolationType, RawAnnotation};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A segment's `type`: the known names borrowed, others owned.
fn interpolation_name(name: &str) -> std::borrow::Cow<'static, str> {
    match InterpolationType::NAMES.iter().find(|k| **k == name) {
        Some(k) => std::borrow::Cow::Borrowed(k),
        None => std::borrow::Cow::Owned(name.to_owned()),
    }
}

/// Deepest nesting of a value handed to serde (serde refuses 128 levels counted from the
/// line's top; the modelled levels above a delegated value are fewer than 8).
const MAX_DEPTH: usize = 100;

/// The prefix every line this reader takes starts with.
const PREFIX: &[u8] = b"{\"type\":\"annotation\",\"data\":";

/// Reads an annotation line, or `None` when it is not in the shape this reader handles.
/// The record is built where it stays, on the heap (it is several hundred bytes).
pub(crate) fn annotation_line(text: &str) -> Option<Box<AnnotationRecord>> {
    let rest = text.as_bytes().strip_prefix(PREFIX)?;
    let mut c = Cursor {
        text,
        pos: text.len() - rest.len(),
    };
    let mut record = Box::<AnnotationRecord>::default();
    c.annotation(&mut record.0)?;
    c.byte(b'}')?;
    (c.pos == text.len()).then_some(record)
}

/// Reads an annotation object alone (no envelope), as stores hold it: compact, or in
/// Postgres's `jsonb` text form (one space after each `:` and `,`).
pub(crate) fn annotation_object(text: &str) -> Option<Box<AnnotationRecord>> {
    let mut c = Cursor { text, pos: 0 };
    let mut record = Box::<AnnotationRecord>::default();
    c.annotation(&mut record.0)?;
    (c.pos == text.len()).then_some(record)
}

/// A position in the line.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips the one space Postgres's `jsonb` text form writes after `:` and `,` (any other
    /// whitespace makes the reader give up).
    fn space(&mut self) {
        if self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Consumes `b`, or fails.
    fn byte(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Consumes `word` (`true`, `false`, `null`), or fails.
    fn word(&mut self, word: &str) -> Option<()> {
        self.text[self.pos..]
            .starts_with(word)
            .then(|| self.pos += word.len())
    }

    /// A string without escapes or control characters, borrowed.
    fn str(&mut self) -> Option<&'a str> {
        self.byte(b'"')?;
        let bytes = &self.text.as_bytes()[self.pos..];
        // Strings here are short: a plain loop beats a vectorised search.
        let end = bytes
            .iter()
            .position(|b| matches!(b, b'"' | b'\\' | 0..=0x1f))?;
        if bytes[end] != b'"' {
            return None;
        }
        let s = &self.text[self.pos..self.pos + end];
        self.pos += end + 1;
        Some(s)
    }

    /// `null` (then `None`), or what `f` reads.
    fn nullable<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.word("null")?;
            Some(None)
        } else {
            f(self).map(Some)
        }
    }

    fn string(&mut self) -> Option<Option<String>> {
        self.nullable(|c| c.str().map(str::to_owned))
    }

    fn boolean(&mut self) -> Option<Option<bool>> {
        self.nullable(|c| match c.peek()? {
            b't' => c.word("true").map(|()| true),
            b'f' => c.word("false").map(|()| false),
            _ => None,
        })
    }

    /// A JSON number read as `f64`. Only the plain forms are taken (optional minus, digits
    /// without a leading zero, optional fraction and exponent; not `-0`), and `str::parse`
    /// rounds correctly, as serde_json's `float_roundtrip` does.
    fn number(&mut self) -> Option<Option<f64>> {
        self.nullable(|c| {
            if let Some((value, len)) = short_decimal(&c.text.as_bytes()[c.pos..]) {
                c.pos += len;
                return Some(value);
            }
            let bytes = &c.text.as_bytes()[c.pos..];
            let len = bytes
                .iter()
                .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .unwrap_or(bytes.len());
            let token = &c.text[c.pos..c.pos + len];
            if !plain_number(token.as_bytes()) {
                return None;
            }
            c.pos += len;
            // Out of range (`1e400`) is an error for serde.
            exact_decimal(token.as_bytes())
                .or_else(|| token.parse().ok())
                .filter(|v: &f64| v.is_finite())
        })
    }

    /// The extent of the JSON value here, skipped without being checked (serde checks it).
    /// Strings may hold escapes. Fails on values nested deeper than [`MAX_DEPTH`], which
    /// serde, counting from the line's top, might refuse.
    fn skip_value(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        match *bytes.get(start)? {
            // Whitespace is not this reader's (`"k": null` would read as a JSON null).
            b' ' | b'\t' | b'\n' | b'\r' => return None,
            b'"' => self.skip_string()?,
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *bytes.get(self.pos)? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'{' | b'[' => {
                            depth += 1;
                            if depth > MAX_DEPTH {
                                return None;
                            }
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                // A scalar: up to the next delimiter.
                let rest = &bytes[start..];
                self.pos += rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']'))
                    .unwrap_or(rest.len());
            }
        }
        self.text.get(start..self.pos)
    }

    /// Skips the string that starts here, escapes included.
    fn skip_string(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        self.pos += 1;
        loop {
            let i = memchr::memchr2(b'"', b'\\', bytes.get(self.pos..)?)?;
            if bytes[self.pos + i] == b'"' {
                self.pos += i + 1;
                return Some(());
            }
            // The backslash and the character it escapes.
            self.pos += i + 2;
        }
    }

    /// The value here read by serde (nested objects this reader does not model).
    fn by_serde<T: DeserializeOwned>(&mut self) -> Option<T> {
        serde_json::from_str(self.skip_value()?).ok()
    }

    /// An object: `field` is called with each key, positioned on its value, and returns
    /// whether it read it; unknown keys go to `extra`.
    fn object(
        &mut self,
        extra: &mut Map<String, Value>,
        mut field: impl FnMut(&mut Self, &str) -> Option<bool>,
    ) -> Option<()> {
        self.byte(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.str()?;
            self.byte(b':')?;
            self.space();
            if !field(self, key)? {
                let value: Value = self.by_serde()?;
                extra.insert(key.to_owned(), value);
            }
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.space();
                }
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array of objects, each read in place by `fill` (no object is moved once built).
    fn array<T: Default>(
        &mut self,
        mut fill: impl FnMut(&mut Self, &mut T) -> Option<()>,
    ) -> Option<Option<Vec<T>>> {
        self.nullable(|c| {
            c.byte(b'[')?;
            let mut out: Vec<T> = Vec::new();
            if c.peek()? == b']' {
                c.pos += 1;
                return Some(out);
            }
            loop {
                out.push(T::default());
                fill(c, out.last_mut()?)?;
                match c.peek()? {
                    b',' => {
                        c.pos += 1;
                        c.space();
                    }
                    b']' => {
                        c.pos += 1;
                        return Some(out);
                    }
                    _ => return None,
                }
            }
        })
    }

    /// A scalar kept as a JSON value (`trackId`, the counters); containers are left to serde.
    fn scalar(&mut self) -> Option<Option<Value>> {
        match self.peek()? {
            b'{' | b'[' => None,
            b'n' => self.word("null").map(|()| None),
            b'1'..=b'9' => {
                // A plain positive integer (the counters): what serde_json makes of it.
                let bytes = &self.text.as_bytes()[self.pos..];
                let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
                let delimited = matches!(bytes.get(len), Some(b',' | b'}' | b']'));
                match std::str::from_utf8(&bytes[..len]).ok()?.parse::<u64>() {
                    Ok(n) if delimited => {
                        self.pos += len;
                        Some(Some(Value::from(n)))
                    }
                    _ => self.by_serde().map(Some),
                }
            }
            _ => self.by_serde().map(Some),
        }
    }

    fn annotation(&mut self, a: &mut RawAnnotation) -> Option<()> {
        let mut extra = Map::new();
        self.object(&mut extra, |c, key| {
            match key {
                "id" => a.id = c.string()?,
                "videoId" => a.video_id = c.string()?,
                "annotationType" => a.annotation_type = c.string()?,
                "boundingBoxSequence" => a.bounding_box_sequence = c.nullable(Cursor::sequence)?,
                "personaId" => a.persona_id = c.string()?,
                "typeCategory" => a.type_category = c.string()?,
                "typeId" => a.type_id = c.string()?,
                "linkedEntityId" => a.linked_entity_id = c.string()?,
                "linkedEventId" => a.linked_event_id = c.string()?,
                "linkedTimeId" => a.linked_time_id = c.string()?,
                "linkedLocationId" => a.linked_location_id = c.string()?,
                "linkedCollectionId" => a.linked_collection_id = c.string()?,
                "linkedCollectionType" => a.linked_collection_type = c.string()?,
                "confidence" => a.confidence = c.number()?,
                "notes" => a.notes = c.string()?,
                "metadata" => a.metadata = c.by_serde()?,
                "createdBy" => a.created_by = c.string()?,
                "createdAt" => a.created_at = c.string()?,
                "updatedAt" => a.updated_at = c.string()?,
                _ => return Some(false),
            }
            Some(true)
        })?;
        a.extra = extra;
        Some(())
    }

    fn sequence(&mut self) -> Option<RawSequence> {
        let mut s = RawSequence::default();
        let mut extra = Map::new();
        self.object(&mut extra, |c, key| {
            match key {
                "boxes" => s.boxes = c.array(Cursor::bounding_box)?,
                "interpolationSegments" => s.interpolation_segments = c.array(Cursor::segment)?,
                "visibilityRanges" => s.visibility_ranges = c.array(Cursor::range)?,
                "trackId" => s.track_id = c.scalar()?,
                "trackingSource" => s.tracking_source = c.string()?,
                "trackingConfidence" => s.tracking_confidence = c.number()?,
                "totalFrames" => s.total_frames = c.scalar()?,
                "keyframeCount" => s.keyframe_count = c.scalar()?,
                "interpolatedFrameCount" => s.interpolated_frame_count = c.scalar()?,
                _ => return Some(false),
            }
            Some(true)
        })?;
        s.extra = extra;
        Some(s)
    }

    fn bounding_box(&mut self, b: &mut RawBox) -> Option<()> {
        let mut extra = Map::new();
        self.object(&mut extra, |c, key| {
            match key {
                "x" => b.x = c.number()?,
                "y" => b.y = c.number()?,
                "width" => b.width = c.number()?,
                "height" => b.height = c.number()?,
                "frameNumber" => b.frame_number = c.number()?,
                "confidence" => b.confidence = c.number()?,
                "isKeyframe" => b.is_keyframe = c.boolean()?,
                "metadata" => b.metadata = c.by_serde()?,
                _ => return Some(false),
            }
            Some(true)
        })?;
        b.extra = extra;
        Some(())
    }

    fn segment(&mut self, s: &mut RawSegment) -> Option<()> {
        let mut extra = Map::new();
        self.object(&mut extra, |c, key| {
            match key {
                "startFrame" => s.start_frame = c.number()?,
                "endFrame" => s.end_frame = c.number()?,
                "type" => s.kind = c.nullable(|c| c.str().map(interpolation_name))?,
                "controlPoints" => s.control_points = c.by_serde()?,
                "parametric" => s.parametric = c.by_serde()?,
                _ => return Some(false),
            }
            Some(true)
        })?;
        s.extra = extra;
        Some(())
    }

    fn range(&mut self, r: &mut RawRange) -> Option<()> {
        let mut extra = Map::new();
        self.object(&mut extra, |c, key| {
            match key {
                "startFrame" => r.start_frame = c.number()?,
                "endFrame" => r.end_frame = c.number()?,
                "visible" => r.visible = c.boolean()?,
                _ => return Some(false),
            }
            Some(true)
        })?;
        r.extra = extra;
        Some(())
    }
}

/// The commonest numbers in one pass: `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 15 digits
/// in all, ended by a delimiter, not starting with `-0`. Its digits as an integer are below
/// 10^15 < 2^53, so the division by a power of ten rounds correctly (as in [`exact_decimal`]).
/// Returns the value and the length read, or `None` to take the general path.
fn short_decimal(bytes: &[u8]) -> Option<(f64, usize)> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let negative = bytes.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let start = i;
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        mantissa = mantissa * 10 + u64::from(d - b'0');
        digits += 1;
        i += 1;
        if digits > 15 {
            return None;
        }
    }
    let int_digits = i - start;
    // No digits, a leading zero (`01`), or a negative zero's sign: the general path decides.
    if int_digits == 0 || (bytes[start] == b'0' && (int_digits > 1 || negative)) {
        return None;
    }
    let mut fraction = 0usize;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            mantissa = mantissa * 10 + u64::from(d - b'0');
            digits += 1;
            fraction += 1;
            i += 1;
            if digits > 15 {
                return None;
            }
        }
        if fraction == 0 {
            return None;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E' | b'.' | b'+' | b'-')) {
        return None;
    }
    let value = mantissa as f64 / POW10[fraction];
    Some((if negative { -value } else { value }, i))
}

/// The value of a plain decimal (`-?digits(.digits)?`, no exponent) whose digits, as an
/// integer, are below 2^53 and whose fraction has at most 22 digits: both that integer and the
/// power of ten are exact doubles, so one division rounds correctly (Clinger's fast path) and
/// agrees with any correct parser. `None` for anything else.
fn exact_decimal(token: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (negative, digits) = match token.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, token),
    };
    let mut mantissa: u64 = 0;
    let mut fraction: Option<usize> = None;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                if let Some(f) = &mut fraction {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if mantissa >= 1 << 53 {
        return None;
    }
    let value = mantissa as f64 / *POW10.get(fraction.unwrap_or(0))?;
    Some(if negative { -value } else { value })
}

/// Whether `token` is a JSON number in a form read the same by `str::parse` and serde_json:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, at most 40 characters, not starting with
/// `-0` (where the two could disagree on the sign of zero).
fn plain_number(token: &[u8]) -> bool {
    if token.is_empty() || token.len() > 40 || token.starts_with(b"-0") {
        return false;
    }
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = usize::from(token[0] == b'-');
    let int = digits(&token[i..]);
    if int == 0 || (int > 1 && token[i] == b'0') {
        return false;
    }
    i += int;
    if token.get(i) == Some(&b'.') {
        let frac = digits(&token[i + 1..]);
        if frac == 0 {
            return false;
        }
        i += 1 + frac;
    }
    if matches!(token.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(token.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = digits(&token[i..]);
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == token.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonl::LineData;
    use crate::jsonl::read::parse_line_serde;
    use proptest::prelude::*;

    /// What serde reads of `text`, as JSON text (so that `-0.0` and `0.0` differ).
    fn serde_reading(text: &str) -> Option<String> {
        match parse_line_serde(text) {
            Ok(LineData::Annotation(a)) => Some(serde_json::to_string(&a.0).unwrap()),
            _ => None,
        }
    }

    fn fast_reading(text: &str) -> Option<String> {
        annotation_line(text).map(|a| serde_json::to_string(&a.0).unwrap())
    }

    #[test]
    fn lines_written_here_take_the_fast_path_and_read_as_serde_reads_them() {
        let opts = crate::interp::InterpOptions::default();
        let mut text = Vec::new();
        let mut w = crate::jsonl::Writer::new(&mut text);
        for i in 0..200 {
            let mut a = crate::synth::annotation(i, 1 + i % 6);
            if i % 3 == 0 {
                a.bounding_box_sequence.track_id = Some(Value::from(i));
                a.notes = Some(format!("line \"{i}\"\n\tend"));
                a.metadata = Some(serde_json::from_str(r#"{"k":[1,{"z":"\""}],"e":{}}"#).unwrap());
            }
            w.write_annotation(&a, crate::jsonl::ExportMode::Keyframes, &opts)
                .unwrap();
        }
        let text = String::from_utf8(text).unwrap();
        for line in text.lines() {
            let fast = fast_reading(line);
            assert!(
                fast.is_some() || line.contains('\\'),
                "not taken by the fast path: {line}"
            );
            if fast.is_some() {
                assert_eq!(fast, serde_reading(line), "{line}");
            }
        }
        // FOVEA's golden export reads the same both ways, and takes the fast path.
        let golden = include_str!("../../../testdata/export/fovea-keyframes-only.jsonl");
        for line in golden
            .lines()
            .filter(|l| l.contains("\"type\":\"annotation\""))
        {
            let fast = fast_reading(line);
            assert!(fast.is_some() || line.contains('\\'), "{line}");
            if fast.is_some() {
                assert_eq!(fast, serde_reading(line), "{line}");
            }
        }
    }

    #[test]
    fn unusual_numbers_and_strings_are_left_to_serde() {
        for token in [
            "-0", "-0.0", "-0e1", "01", "1.", ".5", "1e", "+1", "1.5e+", "--1",
        ] {
            assert!(!plain_number(token.as_bytes()), "{token}");
        }
        for token in ["0", "-1", "1.25", "1e5", "1E-5", "-12.5e+3", "0.0"] {
            assert!(plain_number(token.as_bytes()), "{token}");
        }
        assert_eq!(exact_decimal(b"176.59"), Some(176.59));
        assert_eq!(exact_decimal(b"-0.1"), Some(-0.1));
        assert_eq!(exact_decimal(b"9007199254740993"), None);
        assert_eq!(exact_decimal(b"1e5"), None);
        assert_eq!(short_decimal(b"176.59,"), Some((176.59, 6)));
        assert_eq!(short_decimal(b"-12}"), Some((-12.0, 3)));
        for general in ["-0.5", "01", "1.", "1e5", "1234567890123456", "-", ".5"] {
            assert_eq!(short_decimal(general.as_bytes()), None, "{general}");
        }
        let line = |data: &str| format!("{{\"type\":\"annotation\",\"data\":{data}}}");
        assert!(annotation_line(&line(r#"{"id":"a\nb"}"#)).is_none());
        assert!(annotation_line(&line("{\"id\":\"a\tb\"}")).is_none());
        // One space after `:` and `,` (Postgres's jsonb text) is read here, other whitespace
        // is left to serde.
        let spaced = line(r#"{"id": "a", "x": [1, {"k": null}]}"#);
        assert!(annotation_line(&spaced).is_some());
        assert_eq!(fast_reading(&spaced), serde_reading(&spaced));
        for other in [
            r#"{"id" : "a"}"#,
            r#"{"id":  "a"}"#,
            r#"{ "id":"a"}"#,
            "{\"id\":\n\"a\"}",
        ] {
            assert!(annotation_line(&line(other)).is_none(), "{other}");
        }
        assert!(annotation_line(&line(r#"{"id":5}"#)).is_none());
        assert!(annotation_line(&line(r#"{"id":"a"} "#)).is_none());
        let deep = format!(
            "{{\"metadata\":{{\"d\":{}1{}}}}}",
            "[".repeat(120),
            "]".repeat(120)
        );
        assert!(annotation_line(&line(&deep)).is_none());
        assert_eq!(
            fast_reading(&line(r#"{"id":"a","id":"b","x":{"s":"q\"}"},"x":2}"#)),
            serde_reading(&line(r#"{"id":"a","id":"b","x":{"s":"q\"}"},"x":2}"#))
        );
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => any::<i64>().prop_map(|n| n.to_string()),
            1 => any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| format!("{f}")),
            2 => any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| format!("{f:e}")),
            8 => (0u32..100_000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
            1 => prop::sample::select(vec![
                "-0", "-0.0", "0", "1E+2", "01", "1.", "-", "1e400", "-1e-400",
                "123456789012345678901234567890", "18446744073709551616",
                "9007199254740993", "2.2250738585072011e-308", "0.1e1",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            number(),
            "[a-zé0-9 ]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            prop::sample::select(vec![
                "true",
                "false",
                "null",
                "\"a\\\"b\"",
                "\"\\u00e9\"",
                "\"tab\there\"",
                "{}",
                "[]",
                "{\"k\":[1,{\"z\":\"}\"}]}",
                "[1,[2,[3]]]",
                "{\"a\":1,}",
                "nul",
            ])
            .prop_map(str::to_owned),
        ]
    }

    /// A value of the kind a key expects (`n`umber, `s`tring, `b`oolean, `a`nything), or
    /// now and then anything else.
    fn value(kind: char) -> BoxedStrategy<String> {
        let usual = match kind {
            'n' => number().boxed(),
            's' => "[a-zé0-9 ]{0,6}"
                .prop_map(|s| serde_json::to_string(&s).unwrap())
                .boxed(),
            'b' => prop::sample::select(vec!["true", "false"])
                .prop_map(str::to_owned)
                .boxed(),
            _ => scalar().boxed(),
        };
        prop_oneof![40 => usual, 1 => scalar(), 1 => Just("null".to_owned())].boxed()
    }

    /// An object with some of `keys` (`name:kind`), sometimes with a space.
    fn object(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop::collection::vec(
            (
                prop::sample::select(keys).prop_flat_map(|k| {
                    let (name, kind) = k.split_once(':').unwrap();
                    (Just(name), value(kind.chars().next().unwrap()))
                }),
                prop::bool::weighted(0.01),
            ),
            0..6,
        )
        .prop_map(|fields| {
            let body: Vec<String> = fields
                .into_iter()
                .map(|((k, v), space)| format!("\"{k}\":{}{v}", if space { " " } else { "" }))
                .collect();
            format!("{{{}}}", body.join(","))
        })
    }

    fn line() -> impl Strategy<Value = String> {
        let boxes = prop::collection::vec(
            object(&[
                "x:n",
                "y:n",
                "width:n",
                "height:n",
                "frameNumber:n",
                "confidence:n",
                "isKeyframe:b",
                "metadata:a",
                "z:a",
            ]),
            0..4,
        );
        let segments = prop::collection::vec(
            object(&[
                "startFrame:n",
                "endFrame:n",
                "type:s",
                "controlPoints:a",
                "parametric:a",
                "q:a",
            ]),
            0..3,
        );
        let ranges =
            prop::collection::vec(object(&["startFrame:n", "endFrame:n", "visible:b"]), 0..2);
        let top = object(&[
            "id:s",
            "videoId:s",
            "annotationType:s",
            "personaId:s",
            "confidence:n",
            "notes:s",
            "metadata:a",
            "createdAt:s",
            "w:a",
        ]);
        let seq_scalars = object(&[
            "trackId:a",
            "trackingSource:s",
            "trackingConfidence:n",
            "totalFrames:n",
        ]);
        (boxes, segments, ranges, top, seq_scalars).prop_map(|(b, s, r, top, ss)| {
            let seq = format!(
                "{{\"boxes\":[{}],\"interpolationSegments\":[{}],\"visibilityRanges\":[{}],{}",
                b.join(","),
                s.join(","),
                r.join(","),
                &ss[1..]
            )
            .replace(",}", "}");
            let data = format!("{{\"boundingBoxSequence\":{seq},{}", &top[1..]).replace(",}", "}");
            format!("{{\"type\":\"annotation\",\"data\":{data}}}")
        })
    }

    #[test]
    fn the_generated_lines_exercise_both_paths() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut fast, mut agreed, n) = (0, 0, 1000);
        for _ in 0..n {
            let text = line().new_tree(&mut runner).unwrap().current();
            if let Some(f) = fast_reading(&text) {
                fast += 1;
                let serde = serde_reading(&text);
                assert_eq!(Some(f), serde, "{text}");
                agreed += 1;
            }
        }
        assert_eq!(agreed, fast);
        assert!(
            fast > n / 10 && fast < n * 9 / 10,
            "{fast} of {n} took the fast path"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_short_decimal_path_reads_as_the_standard_parser(
            int in 0u64..10_000_000,
            frac in prop::option::of("[0-9]{1,9}"),
            negative in any::<bool>(),
            end in prop::sample::select(vec!["", ",", "}", "]", "e5", "E-2", "x"]),
        ) {
            let number = match &frac {
                Some(f) => format!("{}{int}.{f}", if negative { "-" } else { "" }),
                None => format!("{}{int}", if negative { "-" } else { "" }),
            };
            let text = format!("{number}{end}");
            if let Some((value, len)) = short_decimal(text.as_bytes()) {
                prop_assert_eq!(len, number.len());
                prop_assert!(matches!(end, "" | "," | "}" | "]" | "x"), "{}", text);
                let want: f64 = number.parse().unwrap();
                prop_assert_eq!(value.to_bits(), want.to_bits(), "{}", text);
            }
        }

        #[test]
        fn the_decimal_fast_path_rounds_as_the_standard_parser(
            mantissa in 0u64..(1 << 53),
            point in 0usize..25,
            negative in any::<bool>(),
        ) {
            let digits = mantissa.to_string();
            let text = if point == 0 || point >= digits.len() {
                digits.clone()
            } else {
                format!("{}.{}", &digits[..digits.len() - point], &digits[digits.len() - point..])
            };
            let text = if negative { format!("-{text}") } else { text };
            let want: f64 = text.parse().unwrap();
            if let Some(got) = exact_decimal(text.as_bytes()) {
                prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
            }
        }

        #[test]
        fn fast_and_serde_agree(text in line()) {
            if let Some(fast) = fast_reading(&text) {
                prop_assert_eq!(Some(fast), serde_reading(&text), "{}", text);
            }
        }
    }
}

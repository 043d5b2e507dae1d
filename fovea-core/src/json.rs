//! JSON output that formats numbers as JavaScript does.
//!
//! FOVEA is written in TypeScript, so every number it writes goes through
//! `Number.prototype.toString`: `50`, not `50.0`; `0.000001`, not `1e-6`; `1e+21`. Writing through
//! [`JsFormatter`] makes fovea's output byte-compatible with FOVEA's for the same values.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// A `serde_json` formatter that writes compact JSON with JavaScript number formatting.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsFormatter;

/// Writes `value` as JavaScript prints it. Fast paths, no allocation: integers as integers,
/// one to three decimals directly, other values as ryu writes them whenever that already is
/// JavaScript's form (no exponent); the rare rest is re-laid out.
#[inline]
pub(crate) fn write_number<W: ?Sized + Write>(writer: &mut W, value: f64) -> io::Result<()> {
    // Integral and small: the cast back is exact (a cast, not a libm call to test the fraction).
    let int = value as i64;
    if int as f64 == value && value.abs() < 1e15 {
        return writer.write_all(itoa::Buffer::new().format(int).as_bytes());
    }
    if let Some((digits, len)) = short_decimal(value) {
        return writer.write_all(&digits[..len]);
    }
    if value.is_finite() {
        let mut ryu = ryu::Buffer::new();
        let text = ryu.format_finite(value);
        if !text.contains('e') && !text.ends_with(".0") {
            return writer.write_all(text.as_bytes());
        }
    }
    writer.write_all(NumberBuffer::new().format(value).as_bytes())
}

/// Appends JSON text to a buffer directly — keys, strings, numbers, nested values — for the
/// model's own writers, which skip serde's per-field machinery on the export hot path. With a
/// [`Spill`], arrays hand the text written so far to it every [`SPILL_BYTES`], so a value of any
/// size is written in bounded memory.
pub(crate) struct JsonBuf<'a>(pub &'a mut Vec<u8>, pub Option<&'a mut dyn Spill>);

/// Takes the text of a value being written, a piece at a time (see [`JsonBuf`]).
pub(crate) trait Spill {
    /// Takes what `buf` holds and empties it.
    fn spill(&mut self, buf: &mut Vec<u8>);
}

/// Bytes of text after which an array's items are spilled.
pub(crate) const SPILL_BYTES: usize = 1 << 20;

impl<'a> JsonBuf<'a> {
    /// Hands the text written so far to the spill, if there is one and enough is written.
    #[inline]
    pub(crate) fn maybe_spill(&mut self) {
        if let Some(spill) = self.1.as_deref_mut()
            && self.0.len() >= SPILL_BYTES
        {
            spill.spill(self.0);
        }
    }

    /// A JSON string, quoted and escaped.
    #[inline]
    pub(crate) fn str(&mut self, s: &str) {
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
        } else {
            // Writing into a Vec cannot fail.
            let _ = to_writer(&mut *self.0, s);
        }
    }

    /// A number, as JavaScript prints it.
    #[inline]
    pub(crate) fn num(&mut self, v: f64) {
        // Writing into a Vec cannot fail.
        let _ = write_number(self.0, v);
    }

    /// An unsigned integer.
    #[inline]
    pub(crate) fn uint(&mut self, v: u64) {
        self.0
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    /// Any serde value (metadata, unknown fields), with JavaScript number formatting.
    pub(crate) fn value<T: Serialize + ?Sized>(&mut self, v: &T) {
        // Writing into a Vec cannot fail, and JSON values always serialize.
        let _ = to_writer(&mut *self.0, v);
    }

    /// Opens an object; the returned writer closes it on [`JsonObj::end`].
    #[inline]
    pub(crate) fn obj<'b>(&'b mut self) -> JsonObj<'b, 'a> {
        self.0.push(b'{');
        JsonObj {
            buf: self,
            first: true,
        }
    }
}

/// An open JSON object.
pub(crate) struct JsonObj<'b, 'a> {
    buf: &'b mut JsonBuf<'a>,
    first: bool,
}

impl<'a> JsonObj<'_, 'a> {
    /// Writes `"key":` (a separator before it when needed) for one of the model's own field
    /// names (plain ASCII, nothing to escape) and returns the buffer for the value.
    #[inline]
    pub(crate) fn key(&mut self, key: &'static str) -> &mut JsonBuf<'a> {
        debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        let out = &mut *self.buf.0;
        out.push(if self.first { b'"' } else { b',' });
        if !self.first {
            out.push(b'"');
        }
        self.first = false;
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        self.buf
    }

    /// Writes the entries of a map of unknown fields (keys escaped as needed).
    pub(crate) fn extras(&mut self, extra: &serde_json::Map<String, serde_json::Value>) {
        for (k, v) in extra {
            if !self.first {
                self.buf.0.push(b',');
            }
            self.first = false;
            self.buf.str(k);
            self.buf.0.push(b':');
            self.buf.value(v);
        }
    }

    /// Closes the object.
    #[inline]
    pub(crate) fn end(self) {
        self.buf.0.push(b'}');
    }
}

impl Formatter for JsFormatter {
    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        write_number(writer, value)
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

/// The shortest decimal of `value` when it has one to three decimal places (sub-pixel
/// coordinates, confidences) — the common case, written without the general algorithm.
///
/// If `k / 1000` (with `k = round(value * 1000)`) is exactly `value`, the decimal `k·10^-3` reads
/// back as `value` (both are the double nearest to that decimal), and with its trailing zeros
/// trimmed it has the fewest digits, which is what JavaScript prints. `|value| < 1e12` keeps `k`
/// exact and the output in JavaScript's non-exponential range.
fn short_decimal(value: f64) -> Option<([u8; 24], usize)> {
    if !value.is_finite() || value.abs() >= 1e12 || value == 0.0 {
        return None;
    }
    // One scale covers one to three decimals: trimming the trailing zeros of `k / 1000` gives
    // the shortest form, because `k / 1000` and `(k / 10) / 100` are the same double.
    let scaled = value * 1000.0;
    let k = (scaled + if scaled >= 0.0 { 0.5 } else { -0.5 }) as i64;
    if k as f64 / 1000.0 != value {
        return None;
    }
    let mut out = [0u8; 24];
    let mut n = 0;
    if k < 0 {
        out[0] = b'-';
        n = 1;
    }
    let k = k.unsigned_abs();
    let (int_part, frac) = (k / 1000, k % 1000);
    let mut int = itoa::Buffer::new();
    let digits = int.format(int_part).as_bytes();
    out[n..n + digits.len()].copy_from_slice(digits);
    n += digits.len();
    if frac != 0 {
        // Three decimals, trailing zeros dropped.
        let three = [
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ];
        let len = if frac % 100 == 0 {
            1
        } else if frac % 10 == 0 {
            2
        } else {
            3
        };
        out[n] = b'.';
        out[n + 1..n + 1 + len].copy_from_slice(&three[..len]);
        n += 1 + len;
    }
    Some((out, n))
}

/// Writes `value` as compact JSON with JavaScript number formatting.
pub fn to_writer<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, JsFormatter);
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// `value` as a compact JSON string with JavaScript number formatting.
///
/// ```
/// let s = fovea_core::json::to_string(&serde_json::json!([50.0, 0.5, 1e21, 1e-7]));
/// assert_eq!(s, "[50,0.5,1e+21,1e-7]");
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(128);
    // Writing into a Vec cannot fail, and the model's Serialize impls never fail.
    to_writer(&mut out, value).expect("serializing to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// A reusable buffer that formats one `f64` as JavaScript's `Number.prototype.toString` would.
/// Non-finite values (which JSON cannot hold) are written as `null`, like `JSON.stringify`.
pub struct NumberBuffer {
    ryu: ryu::Buffer,
    out: String,
}

impl Default for NumberBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl NumberBuffer {
    /// A new buffer.
    pub fn new() -> Self {
        NumberBuffer {
            ryu: ryu::Buffer::new(),
            out: String::with_capacity(32),
        }
    }

    /// Formats `value`; the result lives until the next call.
    pub fn format(&mut self, value: f64) -> &str {
        self.out.clear();
        if !value.is_finite() {
            self.out.push_str("null");
            return &self.out;
        }
        if value == 0.0 {
            self.out.push('0');
            return &self.out;
        }
        // Shortest round-trip digits from ryu, re-laid out by ECMAScript's rules.
        let text = self.ryu.format_finite(value);
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match text.split_once('e') {
            Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
            None => (text, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
        // value = 0.DIGITS × 10^n
        let mut n = int_part.len() as i32 + exp;
        let leading = digits.iter().take_while(|&&d| d == b'0').count();
        digits.drain(..leading);
        n -= leading as i32;
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        let k = digits.len() as i32;
        let digits = std::str::from_utf8(&digits).unwrap_or("0");
        if negative {
            self.out.push('-');
        }
        if k <= n && n <= 21 {
            self.out.push_str(digits);
            self.out.extend(std::iter::repeat_n('0', (n - k) as usize));
        } else if 0 < n && n <= 21 {
            self.out.push_str(&digits[..n as usize]);
            self.out.push('.');
            self.out.push_str(&digits[n as usize..]);
        } else if -6 < n && n <= 0 {
            self.out.push_str("0.");
            self.out.extend(std::iter::repeat_n('0', (-n) as usize));
            self.out.push_str(digits);
        } else {
            let e = n - 1;
            self.out.push_str(&digits[..1]);
            if k > 1 {
                self.out.push('.');
                self.out.push_str(&digits[1..]);
            }
            self.out.push('e');
            self.out.push(if e > 0 { '+' } else { '-' });
            self.out.push_str(&e.abs().to_string());
        }
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short-decimal path agrees with ryu (shortest round trip) on every value it takes.
    #[test]
    fn short_decimals_agree_with_ryu() {
        let mut ryu = ryu::Buffer::new();
        for i in -200_000i64..200_000 {
            for scale in [10.0, 100.0, 1000.0] {
                let v = i as f64 / scale * 7.3;
                if let Some((d, n)) = short_decimal(v) {
                    let short = std::str::from_utf8(&d[..n]).unwrap();
                    assert_eq!(short.parse::<f64>().unwrap(), v, "{short}");
                    let general = ryu.format_finite(v);
                    assert_eq!(short, general.strip_suffix(".0").unwrap_or(general), "{v}");
                }
            }
        }
    }

    #[test]
    fn matches_javascript_number_to_string() {
        let mut b = NumberBuffer::new();
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (50.0, "50"),
            (-7.075590249890751, "-7.075590249890751"),
            (245.01041666666666, "245.01041666666666"),
            (0.1, "0.1"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (9007199254740993.0, "9007199254740992"),
            (0.98, "0.98"),
            (100.5, "100.5"),
            (f64::NAN, "null"),
            (0.00001, "0.00001"),
            (1234.5e13, "12345000000000000"),
            (-3.0, "-3"),
            (123.45, "123.45"),
            (-0.05, "-0.05"),
            (0.001, "0.001"),
            (0.2, "0.2"),
            (1.005, "1.005"),
            (0.3, "0.3"),
            (100.10, "100.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (999999999999.999, "999999999999.999"),
        ];
        for &(v, want) in cases {
            if let Some((d, n)) = short_decimal(v) {
                assert_eq!(std::str::from_utf8(&d[..n]).unwrap(), want, "short {v:e}");
            }
            assert_eq!(b.format(v), want, "{v:e}");
            let mut fast = Vec::new();
            JsFormatter.write_f64(&mut fast, v).unwrap();
            assert_eq!(String::from_utf8(fast).unwrap(), want, "formatter {v:e}");
        }
    }
}

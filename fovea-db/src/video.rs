//! FOVEA's video ids.

use md5::{Digest, Md5};

/// The id FOVEA's video sync gives a video: the first 16 hex characters of the MD5 of its
/// file name, so fovea's ids match the rows FOVEA made.
///
/// ```
/// assert_eq!(fovea_db::video_id("dust-storm.mp4").len(), 16);
/// ```
pub fn video_id(filename: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Md5::digest(filename.as_bytes());
    digest[..8]
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_sixteen_hex_digits_of_md5() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e; MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        assert_eq!(super::video_id(""), "d41d8cd98f00b204");
        assert_eq!(super::video_id("abc"), "900150983cd24fb0");
    }
}

//! The byte encoding of the import's compact tables (the previewer's spilled in-file tables,
//! the snapshot's annotation summaries): little-endian integers and length-prefixed strings,
//! so that concatenations are unambiguous and compare as bytes.

use super::summary::Owner;
use std::borrow::Cow;
use std::io;

/// The links an object annotation's owner can have ([`crate::model::Annotation::linked_ids`]).
const LINKS: [&str; 5] = ["entity", "event", "time", "location", "collection"];

pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A length-prefixed string.
///
/// # Panics
/// When `s` is 4 GiB or longer (the tables hold ids).
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(
        out,
        u32::try_from(s.len()).expect("ids are shorter than 4 GiB"),
    );
    out.extend_from_slice(s.as_bytes());
}

/// An owner (or none), after the video it is on: the key of overlap detection.
pub(crate) fn put_owner_key(out: &mut Vec<u8>, video: &str, owner: Option<&Owner>) {
    put_str(out, video);
    match owner {
        None => out.push(0),
        Some(Owner::Type {
            persona_id,
            type_id,
            track,
        }) => {
            out.push(1);
            put_str(out, persona_id);
            put_str(out, type_id);
            put_str(out, track);
        }
        Some(Owner::Object { link, id }) => {
            out.push(2);
            put_str(out, link);
            put_str(out, id);
        }
    }
}

/// Reads back fields written by the `put_` functions; a field cut short is an
/// [`io::ErrorKind::InvalidData`] error.
pub(crate) struct Fields<'a>(pub(crate) &'a [u8]);

impl<'a> Fields<'a> {
    pub(crate) fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a record of an import table is cut short",
            ));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u64(&mut self) -> io::Result<u64> {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(w))
    }

    pub(crate) fn u32(&mut self) -> io::Result<u32> {
        let mut w = [0u8; 4];
        w.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(w))
    }

    /// A length-prefixed string's bytes.
    pub(crate) fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    pub(crate) fn str(&mut self) -> io::Result<Cow<'a, str>> {
        Ok(String::from_utf8_lossy(self.bytes()?))
    }

    /// The owner of [`put_owner_key`] (after its video). A link fovea does not know reads
    /// back as `entity` (links come from [`crate::model::Annotation::linked_ids`]).
    pub(crate) fn owner(&mut self) -> io::Result<Option<Owner>> {
        Ok(match self.u8()? {
            1 => Some(Owner::Type {
                persona_id: self.str()?.into_owned(),
                type_id: self.str()?.into_owned(),
                track: self.str()?.into_owned(),
            }),
            2 => {
                let link = self.str()?;
                let link = LINKS.iter().find(|l| **l == link).unwrap_or(&LINKS[0]);
                Some(Owner::Object {
                    link,
                    id: self.str()?.into_owned(),
                })
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_round_trip_and_a_short_record_is_an_error() {
        for owner in [
            None,
            Some(Owner::Type {
                persona_id: "p".into(),
                type_id: "".into(),
                track: "\"7\"".into(),
            }),
            Some(Owner::Object {
                link: "location",
                id: "l-1".into(),
            }),
        ] {
            let mut out = Vec::new();
            put_owner_key(&mut out, "vid", owner.as_ref());
            let mut f = Fields(&out);
            assert_eq!(f.str().unwrap(), "vid");
            assert_eq!(f.owner().unwrap(), owner);
            assert!(f.0.is_empty());
            let mut short = Fields(&out[..out.len() - 1]);
            short.str().unwrap();
            if owner.is_some() {
                assert!(short.owner().is_err());
            }
        }
    }
}

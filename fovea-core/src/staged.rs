//! Output files that appear whole or not at all.
//!
//! Every front end (CLI, Python, Node) writes exports through a [`StagedFile`]: the data goes
//! to a new temporary file beside the destination, which is synced and renamed into place
//! only when the caller commits. A failure, an abort or a panic drops the stage, and the
//! temporary file is removed, so a half-written export never takes the destination's name.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the temporary files of this process, so concurrent writers never share one.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A temporary file standing in for `dest` until [`StagedFile::commit`] renames it into place.
///
/// Dropping an uncommitted stage removes the temporary file (best effort).
#[derive(Debug)]
pub struct StagedFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl StagedFile {
    /// Creates a new temporary file in `dest`'s folder (`.<name>.<pid>-<n>.tmp`) and returns
    /// the stage with the open file to write to.
    pub fn create(dest: &Path) -> io::Result<(StagedFile, File)> {
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(
            ".{name}.{}-{}.tmp",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let stage = StagedFile {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        };
        Ok((stage, file))
    }

    /// The path the file will have once committed.
    pub fn destination(&self) -> &Path {
        &self.dest
    }

    /// Syncs `file` (the one [`StagedFile::create`] returned, fully written and flushed) and
    /// renames it over the destination. On failure the temporary file is removed.
    pub fn commit(mut self, file: File) -> io::Result<()> {
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            // The temporary file is ours; removing it is best effort.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fovea-staged-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_replaces_the_destination_and_leaves_no_temporary_file() {
        let dir = scratch("commit");
        let dest = dir.join("out.jsonl");
        std::fs::write(&dest, b"old").unwrap();
        let (stage, mut file) = StagedFile::create(&dest).unwrap();
        assert_eq!(stage.destination(), dest);
        file.write_all(b"new").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        stage.commit(file).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert_eq!(entries(&dir), ["out.jsonl"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dropping_an_uncommitted_stage_keeps_the_old_file_and_removes_the_temporary_one() {
        let dir = scratch("drop");
        let dest = dir.join("out.jsonl");
        std::fs::write(&dest, b"old").unwrap();
        let (stage, mut file) = StagedFile::create(&dest).unwrap();
        file.write_all(b"half").unwrap();
        assert_eq!(entries(&dir).len(), 2);
        drop(file);
        drop(stage);
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(entries(&dir), ["out.jsonl"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_stages_for_one_destination_use_different_temporary_files() {
        let dir = scratch("two");
        let dest = dir.join("out.jsonl");
        let (a, _fa) = StagedFile::create(&dest).unwrap();
        let (b, _fb) = StagedFile::create(&dest).unwrap();
        assert_ne!(a.tmp, b.tmp);
        assert_eq!(entries(&dir).len(), 2);
        drop((a, b));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        let dir = scratch("missing");
        let dest = dir.join("no-such-folder").join("out.jsonl");
        let err = StagedFile::create(&dest).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

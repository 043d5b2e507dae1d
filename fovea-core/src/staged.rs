//! Output files that appear whole or not at all, and leave nothing behind.
//!
//! Every front end (CLI, Python, Node) writes exports through a [`StagedFile`]. On Linux the
//! data goes to an unnamed file in the destination's folder (`O_TMPFILE`), given a name only
//! when the caller commits — linked in beside the destination, synced, and renamed over it —
//! so a kill -9 or an abort while writing leaves no file at all. Elsewhere, or on a file system
//! without unnamed files, it goes to `.<name>.<pid>-<n>.tmp` beside the destination: a failure
//! or a panic removes it, and a later stage for the same destination removes those whose
//! process is gone (what a kill left). A half-written export never takes the destination's
//! name.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the temporary names of this process, so concurrent writers never share one.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A temporary file standing in for `dest` until [`StagedFile::commit`] renames it into place.
///
/// Dropping an uncommitted stage removes the temporary file (an unnamed one vanishes with its
/// last descriptor).
#[derive(Debug)]
pub struct StagedFile {
    dest: PathBuf,
    dir: PathBuf,
    /// The temporary file's name, when it has one (the named fallback, or an unnamed file
    /// linked in during a commit).
    tmp: Option<PathBuf>,
    unnamed: bool,
    committed: bool,
}

impl StagedFile {
    /// Creates the temporary file for `dest` (unnamed where the system allows, else
    /// `.<name>.<pid>-<n>.tmp` in `dest`'s folder) and returns the stage with the open file to
    /// write to. Temporary files of earlier stages for `dest` whose process is gone are removed
    /// first. O(entries of the folder) for that sweep.
    pub fn create(dest: &Path) -> io::Result<(StagedFile, File)> {
        StagedFile::create_with(dest, true)
    }

    fn create_with(dest: &Path, allow_unnamed: bool) -> io::Result<(StagedFile, File)> {
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut stage = StagedFile {
            dest: dest.to_path_buf(),
            dir,
            tmp: None,
            unnamed: false,
            committed: false,
        };
        stage.sweep();
        if allow_unnamed && let Some(file) = unnamed::create(&stage.dir)? {
            stage.unnamed = true;
            return Ok((stage, file));
        }
        let tmp = stage.temporary_name();
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        stage.tmp = Some(tmp);
        Ok((stage, file))
    }

    /// The path the file will have once committed.
    pub fn destination(&self) -> &Path {
        &self.dest
    }

    /// Whether the temporary file has no name (it cannot outlive this process).
    pub fn is_unnamed(&self) -> bool {
        self.unnamed
    }

    fn name_prefix(&self) -> String {
        let name = self
            .dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!(".{name}.")
    }

    /// A new `.<name>.<pid>-<n>.tmp` in the destination's folder.
    fn temporary_name(&self) -> PathBuf {
        self.dir.join(format!(
            "{}{}-{}.tmp",
            self.name_prefix(),
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// Removes the temporary files of earlier stages for this destination whose process is no
    /// longer running (best effort: a folder that cannot be listed is left as it is).
    fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = self.name_prefix();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(prefix.as_str()))
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .and_then(|rest| rest.split_once('-'))
                .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|(pid, _)| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if !process_alive(pid) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Syncs `file` (the one [`StagedFile::create`] returned, fully written and flushed) and
    /// renames it over the destination (an unnamed file is first linked in beside it). On
    /// failure the temporary file is removed.
    pub fn commit(mut self, file: File) -> io::Result<()> {
        file.sync_all()?;
        if self.unnamed {
            let tmp = self.temporary_name();
            unnamed::link(&file, &tmp)?;
            self.tmp = Some(tmp);
        }
        drop(file);
        let tmp = self.tmp.as_ref().expect("a named temporary file by now");
        std::fs::rename(tmp, &self.dest)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed
            && let Some(tmp) = &self.tmp
        {
            // The temporary file is ours; removing it is best effort.
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Whether a process with this id is running (on a system that cannot tell: yes, so that
/// nothing of a live writer is removed).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 checks only that the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Unnamed files (Linux's `O_TMPFILE`), linked into the folder at commit.
#[cfg(target_os = "linux")]
mod unnamed {
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    use std::path::Path;

    /// An unnamed file in `dir`, or `None` where the file system (or `/proc`, needed to link
    /// it) does not allow one.
    pub fn create(dir: &Path) -> io::Result<Option<File>> {
        if !Path::new("/proc/self/fd").is_dir() {
            return Ok(None);
        }
        let opened = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .mode(0o666)
            .open(dir);
        match opened {
            Ok(file) => Ok(Some(file)),
            // A missing or unwritable folder is the caller's error, as for a named file.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
                ) =>
            {
                Err(e)
            }
            // Not supported here (EOPNOTSUPP, EISDIR on old kernels, EINVAL…): use a name.
            Err(_) => Ok(None),
        }
    }

    /// Gives the unnamed `file` the name `to`.
    pub fn link(file: &File, to: &Path) -> io::Result<()> {
        let from = format!("/proc/self/fd/{}\0", file.as_raw_fd());
        let mut target = to.as_os_str().as_bytes().to_vec();
        if target.contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a file name cannot hold a NUL character",
            ));
        }
        target.push(0);
        // SAFETY: both paths are NUL-terminated and live across the call.
        let r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr().cast(),
                libc::AT_FDCWD,
                target.as_ptr().cast(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

/// Elsewhere every temporary file has a name.
#[cfg(not(target_os = "linux"))]
mod unnamed {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    pub fn create(_dir: &Path) -> io::Result<Option<File>> {
        Ok(None)
    }

    pub fn link(_file: &File, _to: &Path) -> io::Result<()> {
        unreachable!("no unnamed files here")
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

    /// Both kinds of stage: unnamed where the system allows, and named.
    fn both(dest: &Path) -> [(StagedFile, File); 2] {
        [
            StagedFile::create(dest).unwrap(),
            StagedFile::create_with(dest, false).unwrap(),
        ]
    }

    #[test]
    fn commit_replaces_the_destination_and_leaves_no_temporary_file() {
        let dir = scratch("commit");
        let dest = dir.join("out.jsonl");
        std::fs::write(&dest, b"old").unwrap();
        for (i, (stage, mut file)) in both(&dest).into_iter().enumerate() {
            assert_eq!(stage.destination(), dest);
            file.write_all(format!("new {i}").as_bytes()).unwrap();
            stage.commit(file).unwrap();
            assert_eq!(std::fs::read(&dest).unwrap(), format!("new {i}").as_bytes());
        }
        assert_eq!(entries(&dir), ["out.jsonl"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_the_file_being_written_has_no_name() {
        let dir = scratch("unnamed");
        let dest = dir.join("out.jsonl");
        let (stage, mut file) = StagedFile::create(&dest).unwrap();
        assert!(stage.is_unnamed(), "the temporary folder allows O_TMPFILE");
        file.write_all(b"half").unwrap();
        assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
        drop((stage, file));
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dropping_an_uncommitted_stage_keeps_the_old_file_and_removes_the_temporary_one() {
        let dir = scratch("drop");
        let dest = dir.join("out.jsonl");
        std::fs::write(&dest, b"old").unwrap();
        let (stage, mut file) = StagedFile::create_with(&dest, false).unwrap();
        file.write_all(b"half").unwrap();
        assert_eq!(entries(&dir).len(), 2);
        drop(file);
        drop(stage);
        let (stage, mut file) = StagedFile::create(&dest).unwrap();
        file.write_all(b"half").unwrap();
        drop((stage, file));
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(entries(&dir), ["out.jsonl"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_named_stages_for_one_destination_use_different_temporary_files() {
        let dir = scratch("two");
        let dest = dir.join("out.jsonl");
        let (a, _fa) = StagedFile::create_with(&dest, false).unwrap();
        let (b, _fb) = StagedFile::create_with(&dest, false).unwrap();
        assert_ne!(a.tmp, b.tmp);
        assert_eq!(entries(&dir).len(), 2);
        drop((a, b));
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temporary_files_of_gone_processes_are_removed_by_the_next_stage() {
        let dir = scratch("sweep");
        let dest = dir.join("out.jsonl");
        // A process that has ended (and been waited for) left its temporary file.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        let gone = child.id();
        let me = std::process::id();
        let left = [
            format!(".out.jsonl.{gone}-3.tmp"), // removed: its process is gone
            format!(".out.jsonl.{me}-999.tmp"), // kept: a live process's
            format!(".other.jsonl.{gone}-0.tmp"), // kept: another destination's
            format!(".out.jsonl.{gone}-x.tmp"), // kept: not a name a stage gives
            "out.jsonl".to_owned(),
        ];
        for name in &left {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let (stage, file) = StagedFile::create(&dest).unwrap();
        drop((stage, file));
        let mut kept = left[1..].to_vec();
        kept.sort();
        assert_eq!(entries(&dir), kept);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        let dir = scratch("missing");
        let dest = dir.join("no-such-folder").join("out.jsonl");
        for allow_unnamed in [true, false] {
            let err = StagedFile::create_with(&dest, allow_unnamed).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

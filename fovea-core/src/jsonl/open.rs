//! Opening a JSON Lines file for reading.

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens the file at `path` for reading. A directory is refused here: opening one succeeds on
/// Linux and only the first read fails, which a reader that counts failed lines would report
/// as a file of one unreadable line.
pub fn open_file(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(is_a_directory());
    }
    Ok(file)
}

/// The error reading a directory would give (EISDIR where there is one), so hosts see the
/// error number and kind they know (Python raises `IsADirectoryError` with its `errno`).
fn is_a_directory() -> io::Error {
    #[cfg(unix)]
    {
        io::Error::from_raw_os_error(libc::EISDIR)
    }
    #[cfg(not(unix))]
    {
        io::Error::new(io::ErrorKind::IsADirectory, "Is a directory")
    }
}

#[cfg(test)]
mod tests {
    use super::open_file;

    #[test]
    fn a_directory_is_refused_when_opened() {
        let dir = std::env::temp_dir();
        let e = open_file(&dir).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::IsADirectory);
        assert!(e.to_string().contains("Is a directory"), "{e}");
        #[cfg(unix)]
        assert_eq!(e.raw_os_error(), Some(libc::EISDIR));
        let missing = open_file(&dir.join("fovea-no-such-file.jsonl")).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    }
}

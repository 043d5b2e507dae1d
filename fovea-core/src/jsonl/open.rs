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
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory, not a file",
        ));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::open_file;

    #[test]
    fn a_directory_is_refused_when_opened() {
        let dir = std::env::temp_dir();
        let e = open_file(&dir).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::IsADirectory);
        assert!(e.to_string().contains("is a directory"), "{e}");
        let missing = open_file(&dir.join("fovea-no-such-file.jsonl")).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    }
}

//! Writes the generated type declarations into the repository.

use std::process::ExitCode;

fn main() -> ExitCode {
    let files = match fovea_surface::generate() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let root = fovea_surface::repository();
    for file in files {
        let path = root.join(file.path);
        if let Err(e) = std::fs::write(&path, &file.text) {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", file.path);
    }
    ExitCode::SUCCESS
}

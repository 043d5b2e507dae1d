//! The generated declarations in the repository are what the Rust types give today.

#[test]
fn generated_files_are_current() {
    let root = fovea_surface::repository();
    for file in fovea_surface::generate().expect("the schemas render") {
        let path = root.join(file.path);
        let on_disk =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == file.text,
            "{} is stale: run `cargo run -p fovea-surface` and commit the result",
            file.path
        );
    }
}

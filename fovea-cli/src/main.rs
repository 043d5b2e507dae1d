//! The `fovea` command line (grows with each capability).
fn main() {}

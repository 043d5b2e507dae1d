//! Build script: napi-rs linker setup for the addon.

fn main() {
    napi_build::setup();
}

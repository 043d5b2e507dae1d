//! Frame numbers, which every part of the core (the model, its errors, the engine) shares.

/// A frame index: 0-based, inclusive in ranges.
pub type Frame = u32;

/// The largest accepted frame number (`2^31 - 1`, so frames fit JavaScript's `Int32Array`).
pub const MAX_FRAME: Frame = i32::MAX as Frame;

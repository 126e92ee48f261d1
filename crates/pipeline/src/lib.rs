//! Image Service upload pipeline: sniff → check limits from the header → decode → orient/colour → resize → encode WebP.
//!
//! Attacker bytes are parsed only by pure-Rust decoders (zune-jpeg, png, image-webp, moxcms);
//! libwebp only ever sees pixels we decoded ourselves.

pub mod bench;
mod color;
mod decode;
mod encode;
mod error;
mod fault;
mod format;
mod jpeg_segments;
mod orient;
mod pixels;
mod probe;
mod process;
mod resize;
mod settings;

pub use error::PipelineError;
pub use format::{SourceFormat, sniff};
pub use probe::{Probe, decode_cost_bytes, probe};
pub use process::{Encoded, Processed, process, process_with};
pub use settings::{MAX_EFFORT, Settings};

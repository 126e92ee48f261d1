//! An 8-bit interleaved pixel buffer, the one currency between decode, colour, resize and encode.

use crate::PipelineError;
use crate::fault::{self, Fault};

/// A zeroed buffer of `size` bytes for decoded pixels; running out of memory
/// is an internal fault (500), not a process abort. The size itself was
/// already bounded by the header check and the memory budget.
pub(crate) fn zeroed(size: usize) -> Result<Vec<u8>, PipelineError> {
    if fault::injected(Fault::OutOfMemory) {
        return Err(PipelineError::internal(format!(
            "out of memory allocating {size} bytes (injected)"
        )));
    }
    let mut buf = Vec::new();
    buf.try_reserve_exact(size)
        .map_err(|_| PipelineError::internal(format!("out of memory allocating {size} bytes")))?;
    buf.resize(size, 0);
    Ok(buf)
}

/// Channel layout of a [`Pixels`] buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
}

impl Layout {
    pub(crate) fn channels(self) -> usize {
        match self {
            Self::Gray => 1,
            Self::GrayAlpha => 2,
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }

    pub(crate) fn has_alpha(self) -> bool {
        matches!(self, Self::GrayAlpha | Self::Rgba)
    }
}

/// Row-major, tightly packed 8-bit pixels.
#[derive(Clone, Debug)]
pub(crate) struct Pixels {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub layout: Layout,
}

impl Pixels {
    pub(crate) fn new(data: Vec<u8>, width: u32, height: u32, layout: Layout) -> Self {
        debug_assert_eq!(
            data.len(),
            width as usize * height as usize * layout.channels()
        );
        Self {
            data,
            width,
            height,
            layout,
        }
    }

    /// Drops an alpha channel that is fully opaque, so opaque images encode as plain RGB.
    pub(crate) fn drop_opaque_alpha(self) -> Self {
        let n = self.layout.channels();
        if !self.layout.has_alpha() || self.data.chunks_exact(n).any(|p| p[n - 1] != 255) {
            return self;
        }
        let data = self
            .data
            .chunks_exact(n)
            .flat_map(|p| &p[..n - 1])
            .copied()
            .collect();
        let layout = match self.layout {
            Layout::GrayAlpha => Layout::Gray,
            _ => Layout::Rgb,
        };
        Self::new(data, self.width, self.height, layout)
    }

    /// Expands gray to RGB (keeping alpha) for the encoder, which takes only RGB or RGBA.
    pub(crate) fn into_rgb_family(self) -> Self {
        let layout = match self.layout {
            Layout::Rgb | Layout::Rgba => return self,
            Layout::Gray => Layout::Rgb,
            Layout::GrayAlpha => Layout::Rgba,
        };
        let data = match self.layout {
            Layout::Gray => self.data.iter().flat_map(|&g| [g, g, g]).collect(),
            _ => self
                .data
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
        };
        Self::new(data, self.width, self.height, layout)
    }
}

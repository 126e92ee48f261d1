//! The pipeline's error type: what is wrong with the upload, or that the
//! fault is ours ([`PipelineError::Internal`]), which the server answers with
//! 500 and never blames on the client.

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Not JPEG, PNG or WebP by magic number (`UNSUPPORTED_FILE_TYPE`).
    #[error("not a JPEG, PNG or WebP image")]
    UnsupportedType,
    /// Over the pixel or side limit, from the header (`IMAGE_TOO_LARGE`).
    #[error("image of {width}x{height} pixels is over the size limit")]
    TooLarge { width: u32, height: u32 },
    /// A valid file in a form deliberately not taken: animated PNG or WebP,
    /// a JPEG that is not 8-bit, or arithmetic-coded, lossless or
    /// hierarchical (`INVALID_IMAGE`, saying which).
    #[error("{0} is not supported")]
    Unsupported(&'static str),
    /// Empty, truncated, corrupt or undecodable (`INVALID_IMAGE`).
    #[error("invalid image: {0}")]
    Invalid(String),
    /// Our fault, whatever the upload was: the encoder or resizer failed,
    /// memory ran out, a worker panicked (`INTERNAL_ERROR`).
    #[error("internal fault: {0}")]
    Internal(String),
}

impl PipelineError {
    pub(crate) fn invalid(what: impl std::fmt::Display) -> Self {
        Self::Invalid(what.to_string())
    }

    pub(crate) fn internal(what: impl std::fmt::Display) -> Self {
        Self::Internal(what.to_string())
    }
}

//! The pipeline's one integration-test binary; every image is generated in code or by a committed script.

mod fixtures;
mod helpers;
mod hostile;
mod limits;
mod metadata;
mod orientation;
mod sniffing;
mod variants;

//! The blobs crate's one integration-test binary: the conformance suite run
//! against every store, plus file-store, encryption and key-store specifics.

mod encryption;
mod file_store;
mod key_store;
mod open_url;
mod s3;
mod s3_wire;
mod stores;
mod suite;

//! Test support: the spawned app, test tokens, test images.

pub mod app;
pub mod backends;
pub mod browser;
pub mod control;
pub mod identity_provider;
pub mod images;
pub mod outage;
pub mod poll;
pub mod tokens;

pub use app::{
    TestApp, assert_error, spawn_app, spawn_with, spawn_with_open_files, spawn_with_umask,
};

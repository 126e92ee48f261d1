//! The rate limiter's integration tests: one binary, a module per backend.

mod local;
mod recovery;
mod redis;

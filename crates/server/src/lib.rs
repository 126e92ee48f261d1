//! Image Service: the HTTP API, its configuration and its command line.

pub mod auth;

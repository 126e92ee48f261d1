//! The HTTP API test suite: one binary, every test against a spawned
//! `image-service` process over real TCP, with real keys and real images.

mod albums;
mod audit;
mod auth;
mod errors;
mod files;
mod headers;
mod images;
mod pagination;
mod pipeline;
mod support;
mod tls;
mod users;

//! Image Service: the HTTP API, its configuration and its command line.

pub mod admin;
pub mod audit;
pub mod audit_anchor;
pub mod auth;
pub mod cli;
pub mod config;
pub mod connections;
pub mod erasure;
pub mod http;
pub mod incident;
pub mod limits;
pub mod memory_budget;
pub mod origin;
pub mod processing;
pub mod readiness;
pub mod request_context;
pub mod secrets;
pub mod serve;
pub mod signing;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tls;
pub mod web;

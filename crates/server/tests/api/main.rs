//! The HTTP API test suite: one binary, every test against a spawned
//! `image-service` process over real TCP, with real keys and real images.

mod albums;
mod api_doc;
mod audit;
mod audit_verify;
mod auth;
mod body_reading;
mod config_errors;
mod crash;
mod encryption;
mod erasure_lookup;
mod errors;
mod faults;
mod file_modes;
mod files;
mod headers;
mod identity_provider;
mod images;
mod incident;
mod internal_faults;
mod limits;
mod memory_budget;
mod migrate;
mod overload;
mod pagination;
mod pipeline;
mod playbook;
mod provider_outage;
mod replicas;
mod s3_faults;
mod support;
mod tls;
mod token_claims;
mod url_key_rotation;
mod users;

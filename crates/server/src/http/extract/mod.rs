//! Extractors that parse requests at the edge into typed values, answering
//! with the contract's errors instead of the framework's.

mod body_error;
mod caller;
mod field_name;
mod json;
mod query;
pub mod upload_form;

pub use caller::Caller;
pub use json::StrictJson;
pub use query::StrictQuery;

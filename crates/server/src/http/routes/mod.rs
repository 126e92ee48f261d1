//! One module per resource; one file per operation.

pub mod albums;
pub mod audit;
pub mod fallback;
pub mod files;
pub mod health;
pub mod images;
pub mod incident;
pub mod list;
pub mod openapi;
pub mod users;

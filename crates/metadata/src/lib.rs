//! Image Service metadata stores: SQLite (the embedded default), PostgreSQL and DynamoDB,
//! all behind `domain::MetadataStore` and chosen by URL at start-up.

mod chain;
mod dynamodb;
mod error;
mod postgres;
mod sql;
mod sqlite;

use std::sync::Arc;

use domain::MetadataStore;

pub use error::{Cause, OpenError};
use sql::SqlStore;

/// The backend a metadata URL names.
enum Engine {
    Sqlite,
    Postgres,
    DynamoDb,
}

impl Engine {
    fn of(url: &str) -> Result<Self, OpenError> {
        // Only the scheme is ever echoed: the rest may hold a password.
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "dynamodb" => Ok(Self::DynamoDb),
            _ => Err(OpenError::UnsupportedScheme(
                scheme.chars().take(32).collect(),
            )),
        }
    }
}

/// Opens the metadata store at `url` and returns it ready for use.
///
/// `url` is `sqlite://PATH` (file and directory are created if missing),
/// `postgres://…` or `dynamodb://TABLE?region=R&endpoint=URL`. `open` also
/// migrates: it creates or upgrades the schema (or creates the DynamoDB table)
/// before returning, so calling [`migrate`] first is never required.
pub async fn open(url: &str) -> Result<Arc<dyn MetadataStore>, OpenError> {
    match Engine::of(url)? {
        Engine::Sqlite => {
            let exec = sqlite::connect(url).await?;
            sqlite::migrate(&exec).await?;
            Ok(Arc::new(SqlStore::new(exec)))
        }
        Engine::Postgres => {
            let exec = postgres::connect(url).await?;
            postgres::migrate(&exec).await?;
            Ok(Arc::new(SqlStore::new(exec)))
        }
        Engine::DynamoDb => {
            let store = dynamodb::connect(url).await?;
            dynamodb::migrate(&store).await?;
            Ok(Arc::new(store))
        }
    }
}

/// Creates or upgrades the schema at `url` (`image-service migrate`), then
/// closes its connections. Safe to run while the service runs.
pub async fn migrate(url: &str) -> Result<(), OpenError> {
    match Engine::of(url)? {
        Engine::Sqlite => {
            let exec = sqlite::connect(url).await?;
            sqlite::migrate(&exec).await?;
            sqlite::close(exec).await;
        }
        Engine::Postgres => {
            let exec = postgres::connect(url).await?;
            postgres::migrate(&exec).await?;
            postgres::close(exec).await;
        }
        Engine::DynamoDb => {
            let store = dynamodb::connect(url).await?;
            dynamodb::migrate(&store).await?;
        }
    }
    Ok(())
}

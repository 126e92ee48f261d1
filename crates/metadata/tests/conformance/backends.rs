//! Test backends: a fresh, empty store per case, cleaned up even when the case panics.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use domain::MetadataStore;
use futures::FutureExt;
use sqlx::Connection;

use crate::dynamo;

pub enum Kind {
    Sqlite,
    Postgres,
    DynamoDb,
}

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn postgres_url() -> String {
    std::env::var("IMAGE_SERVICE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Runs `case` against a fresh store of `kind`, then removes what it created.
pub async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Arc<dyn MetadataStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            // A nested path also checks that `open` creates missing directories.
            let url = format!("sqlite://{}/nested/metadata.db", dir.path().display());
            let store = metadata::open(&url).await.expect("open sqlite");
            case(store).await;
        }
        Kind::Postgres => {
            let base = postgres_url();
            let schema = format!(
                "conformance_{}",
                ulid::Ulid::new().to_string().to_lowercase()
            );
            admin(&base, &format!("CREATE SCHEMA {schema}")).await;
            let separator = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
            let outcome = AssertUnwindSafe(async {
                let store = metadata::open(&url).await.expect("open postgres");
                case(store).await;
            })
            .catch_unwind()
            .await;
            admin(&base, &format!("DROP SCHEMA {schema} CASCADE")).await;
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
        Kind::DynamoDb => {
            let endpoint = dynamo::endpoint();
            if !dynamo::available(&endpoint).await {
                return;
            }
            let table = format!(
                "conformance_{}",
                ulid::Ulid::new().to_string().to_lowercase()
            );
            let url = dynamo::url(&table, &endpoint);
            let outcome = AssertUnwindSafe(async {
                // `open` migrates, which creates the table.
                let store = metadata::open(&url).await.expect("open dynamodb");
                case(store).await;
            })
            .catch_unwind()
            .await;
            dynamo::drop_table(&table, &endpoint).await;
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

async fn admin(url: &str, statement: &str) {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to the test PostgreSQL (set IMAGE_SERVICE_TEST_POSTGRES_URL)");
    sqlx::raw_sql(statement)
        .execute(&mut conn)
        .await
        .expect(statement);
    conn.close().await.ok();
}

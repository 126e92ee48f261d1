//! Table creation for `migrate`: keys, the two indexes, on-demand billing.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableDescription, TableStatus,
};
use domain::{StoreError, StoreResult};

use super::DynamoStore;
use super::items::{GSI1, GSI2};
use super::retry::{send, store_error};
use crate::error::OpenError;

/// How long `migrate` waits for a new table to become usable.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

fn build_error(e: impl std::fmt::Display) -> OpenError {
    OpenError::Migrate {
        target: "dynamodb table".into(),
        source: e.to_string().into(),
    }
}

fn key_element(name: &str, kind: KeyType) -> Result<KeySchemaElement, OpenError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(build_error)
}

fn index(name: &str) -> Result<GlobalSecondaryIndex, OpenError> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key_element(&format!("{name}PK"), KeyType::Hash)?)
        .key_schema(key_element(&format!("{name}SK"), KeyType::Range)?)
        // Whole items, so a page is one query and no per-item reads.
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(build_error)
}

impl DynamoStore {
    pub(super) async fn describe(&self) -> StoreResult<TableDescription> {
        let out = send(|| self.client.describe_table().table_name(&self.table).send())
            .await
            .map_err(store_error)?;
        out.table
            .ok_or_else(|| StoreError::Internal("DescribeTable returned no table".into()))
    }
}

/// Creates the table and its indexes if missing, then waits until it is active.
pub(crate) async fn migrate(store: &DynamoStore) -> Result<(), OpenError> {
    let mut request = store
        .client
        .create_table()
        .table_name(&store.table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element("PK", KeyType::Hash)?)
        .key_schema(key_element("SK", KeyType::Range)?)
        .global_secondary_indexes(index(GSI1)?)
        .global_secondary_indexes(index(GSI2)?);
    for name in ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"] {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(e) => {
            return Err(build_error(aws_sdk_dynamodb::error::DisplayErrorContext(
                &e,
            )));
        }
    }
    let deadline = tokio::time::Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let table = store.describe().await.map_err(build_error)?;
        let indexes_active = table
            .global_secondary_indexes()
            .iter()
            .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"));
        if table.table_status() == Some(&TableStatus::Active) && indexes_active {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(build_error("table did not become ACTIVE in time"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

//! The append-only audit trail on DynamoDB: conditional puts, filtered pages by id.

use std::collections::HashMap;

use domain::{AuditEvent, AuditFilter, PageRequest, SortOrder, StoreError, StoreResult};

use super::DynamoStore;
use super::items::{AUDIT_PARTITION, GSI1, audit_item, n, record, s};
use super::query::IndexPage;
use super::retry::{send, store_error};

impl DynamoStore {
    pub(super) async fn append(&self, event: &AuditEvent) -> StoreResult<()> {
        let item = audit_item(event)?;
        let outcome = send(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                // Never overwrite: the trail is append-only.
                .condition_expression("attribute_not_exists(PK)")
                .send()
        })
        .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Internal(format!(
                    "audit event {} already exists",
                    event.id
                )))
            }
            Err(e) => Err(store_error(e)),
        }
    }

    pub(super) async fn audit_page(
        &self,
        filter: &AuditFilter,
        page: &PageRequest<String>,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut clauses = Vec::new();
        let equalities = [
            ("actor", &filter.actor),
            ("target", &filter.target),
            ("action", &filter.action),
        ];
        for (field, value) in equalities {
            if let Some(value) = value {
                // `action` is a DynamoDB reserved word, so every name is aliased.
                names.insert(format!("#{field}"), field.to_owned());
                values.insert(format!(":{field}"), s(value.clone()));
                clauses.push(format!("#{field} = :{field}"));
            }
        }
        if let Some(since) = filter.since {
            names.insert("#at".into(), "at".into());
            values.insert(":since".into(), n(since.timestamp_micros()));
            clauses.push("#at >= :since".into());
        }
        let items = self
            .query_page(IndexPage {
                index: GSI1,
                partition: AUDIT_PARTITION.into(),
                after: page.after.clone(),
                forward: page.order == SortOrder::Asc,
                limit: page.limit,
                filter: (!clauses.is_empty()).then(|| clauses.join(" AND ")),
                names,
                values,
            })
            .await?;
        items.iter().map(record).collect()
    }
}

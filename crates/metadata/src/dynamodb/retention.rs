//! Audit retention on DynamoDB: the checkpoint is one item
//! (`AUDIT#CHECKPOINT` / `METADATA`, `value` = its JSON, `seq`), put only
//! forward (a condition on its `seq`); pruning then deletes the chain items
//! up to it, oldest first. DynamoDB has no triggers: that only these
//! deletes happen is up to the table's IAM policy (see docs/deployment.md).

use domain::audit_chain::Checkpoint;
use domain::{StoreError, StoreResult};

use super::DynamoStore;
use super::items::{Item, n, s};
use super::retry::{send, store_error};

const PARTITION: &str = "AUDIT#CHECKPOINT";
/// The chain partition (see `audit`).
const CHAIN_PARTITION: &str = "AUDIT#CHAIN";
/// Chain items read per page while pruning.
const BATCH: u32 = 100;

fn checkpoint_key() -> Item {
    Item::from([("PK".into(), s(PARTITION)), ("SK".into(), s("METADATA"))])
}

impl DynamoStore {
    pub(super) async fn checkpoint(&self) -> StoreResult<Option<Checkpoint>> {
        let out = send(|| {
            self.client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(checkpoint_key()))
                .consistent_read(true)
                .send()
        })
        .await
        .map_err(store_error)?;
        let Some(value) = out.item().and_then(|i| i.get("value")?.as_s().ok()) else {
            return Ok(None);
        };
        serde_json::from_str(value)
            .map(Some)
            .map_err(|e| StoreError::Internal(format!("audit checkpoint: {e}")))
    }

    pub(super) async fn prune(&self, checkpoint: &Checkpoint) -> StoreResult<u64> {
        let value = serde_json::to_string(checkpoint)
            .map_err(|e| StoreError::Internal(format!("audit checkpoint: {e}")))?;
        let mut item = checkpoint_key();
        item.insert("seq".into(), n(checkpoint.seq));
        item.insert("value".into(), s(value));
        let put = send(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(PK) OR seq <= :seq")
                .expression_attribute_values(":seq", n(checkpoint.seq))
                .send()
        })
        .await;
        match put {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                return Err(StoreError::Internal(
                    "the audit checkpoint only moves forward".to_owned(),
                ));
            }
            Err(e) => return Err(store_error(e)),
        }
        let mut deleted = 0;
        loop {
            let page = self.chain_page(0, BATCH).await?;
            let behind: Vec<i64> = page
                .iter()
                .map(|link| link.seq)
                .take_while(|seq| *seq <= checkpoint.seq)
                .collect();
            if behind.is_empty() {
                return Ok(deleted);
            }
            for seq in behind {
                let key = Item::from([
                    ("PK".into(), s(CHAIN_PARTITION)),
                    ("SK".into(), s(format!("{:020}", seq.max(0)))),
                ]);
                send(|| {
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .set_key(Some(key.clone()))
                        .send()
                })
                .await
                .map_err(store_error)?;
                deleted += 1;
            }
        }
    }
}

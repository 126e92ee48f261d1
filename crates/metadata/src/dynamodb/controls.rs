//! Incident controls on DynamoDB: one item per control in the partition
//! `CONTROLS` (sort key = the control's key, `value` = its JSON), read whole
//! with one strongly consistent query, so a switch set through one replica
//! is seen by the next poll of every other.

use domain::{ControlEntry, StoreResult};

use super::DynamoStore;
use super::items::{Item, corrupt, s};
use super::retry::{send, store_error};

const PARTITION: &str = "CONTROLS";

fn control_key(key: &str) -> Item {
    Item::from([("PK".into(), s(PARTITION)), ("SK".into(), s(key))])
}

impl DynamoStore {
    pub(super) async fn controls(&self) -> StoreResult<Vec<ControlEntry>> {
        let mut entries = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = send(|| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("PK = :pk")
                    .expression_attribute_values(":pk", s(PARTITION))
                    .consistent_read(true)
                    .set_exclusive_start_key(start.clone())
                    .send()
            })
            .await
            .map_err(store_error)?;
            for item in out.items() {
                let text = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .ok_or_else(|| corrupt(format!("control item without {name}")))
                };
                entries.push((text("SK")?, text("value")?));
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(entries),
            }
        }
    }

    pub(super) async fn put_control(&self, key: &str, value: Option<&str>) -> StoreResult<()> {
        match value {
            Some(value) => {
                let mut item = control_key(key);
                item.insert("value".into(), s(value));
                send(|| {
                    self.client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(item.clone()))
                        .send()
                })
                .await
                .map_err(store_error)?;
            }
            None => {
                send(|| {
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .set_key(Some(control_key(key)))
                        .send()
                })
                .await
                .map_err(store_error)?;
            }
        }
        Ok(())
    }
}

//! The one keyset page of every DynamoDB list (images, albums, the audit
//! trail and its chain), and counts over the table's secondary indexes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Select};

use super::DynamoStore;
use super::items::{Item, s};
use super::retry::{send, store_error};
use domain::StoreResult;

/// A page of one partition, sort keys strictly after `after`.
pub(super) struct PartitionPage {
    /// A secondary index (`GSI1`, `GSI2`), or `None` for the table's own key,
    /// which is then read strongly consistent (indexes cannot be).
    pub index: Option<&'static str>,
    pub partition: String,
    pub after: Option<String>,
    pub forward: bool,
    pub limit: u32,
    /// A filter over the partition, with its `#name`s and `:value`s.
    pub filter: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

/// Reads up to `limit` items past a filter, a round trip per DynamoDB page.
/// DynamoDB reads are bounded per page, so a sparse filter costs more pages.
const FILTERED_PAGE: i32 = 100;

impl DynamoStore {
    pub(super) async fn query_page(&self, page: PartitionPage) -> StoreResult<Vec<Item>> {
        let limit = page.limit as usize;
        let mut names = page.names;
        let mut values = page.values;
        let prefix = page.index.unwrap_or_default();
        names.insert("#pk".into(), format!("{prefix}PK"));
        values.insert(":pk".into(), s(page.partition));
        let mut condition = String::from("#pk = :pk");
        if let Some(after) = page.after {
            // Only with a cursor: DynamoDB refuses names the expressions do not use.
            names.insert("#sk".into(), format!("{prefix}SK"));
            condition.push_str(if page.forward {
                " AND #sk > :after"
            } else {
                " AND #sk < :after"
            });
            values.insert(":after".into(), s(after));
        }
        let mut found: Vec<Item> = Vec::new();
        let mut start: Option<Item> = None;
        while found.len() < limit {
            let want = i32::try_from(limit - found.len()).unwrap_or(i32::MAX);
            let batch = if page.filter.is_some() {
                want.max(FILTERED_PAGE)
            } else {
                want
            };
            let out = send(|| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .set_index_name(page.index.map(str::to_owned))
                    .set_consistent_read(page.index.is_none().then_some(true))
                    .key_condition_expression(&condition)
                    .set_filter_expression(page.filter.clone())
                    .set_expression_attribute_names(Some(names.clone()))
                    .set_expression_attribute_values(Some(values.clone()))
                    .scan_index_forward(page.forward)
                    .limit(batch)
                    .set_exclusive_start_key(start.clone())
                    .send()
            })
            .await
            .map_err(store_error)?;
            found.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(next) => start = Some(next.clone()),
                None => break,
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    /// How many images an album holds, counted from its `GSI2` partition.
    pub(super) async fn count_album(&self, partition: String) -> StoreResult<u64> {
        let mut total = 0_u64;
        let mut start: Option<Item> = None;
        loop {
            let out = send(|| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(super::items::GSI2)
                    .key_condition_expression("GSI2PK = :pk")
                    .expression_attribute_values(":pk", s(partition.clone()))
                    .select(Select::Count)
                    .set_exclusive_start_key(start.clone())
                    .send()
            })
            .await
            .map_err(store_error)?;
            total += u64::try_from(out.count()).unwrap_or_default();
            match out.last_evaluated_key() {
                Some(next) => start = Some(next.clone()),
                None => return Ok(total),
            }
        }
    }
}

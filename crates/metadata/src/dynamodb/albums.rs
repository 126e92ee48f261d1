//! Albums on DynamoDB: counts from the album index, keyset by `(created_at, id)`,
//! and deletion that marks the album, detaches every image, then removes it.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use domain::{
    AlbumCursor, AlbumId, AlbumRecord, ImageRecord, PageRequest, SortOrder, StoreError,
    StoreResult, UserId,
};

use super::DynamoStore;
use super::items::{
    GSI1, GSI2, album_item, album_pk, album_sort_key, key, n, record, s, user_albums, version,
};
use super::query::PartitionPage;
use super::retry::{send, store_error};

/// Images detached per round of `delete`.
const DETACH_BATCH: u32 = 100;
/// Rounds in a row that may make no progress (every detach lost a race) before giving up.
const STALLED_ROUNDS: u32 = 20;

fn is_conditional<E>(
    e: &aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    matches!(e, aws_sdk_dynamodb::error::SdkError::ServiceError(inner)
        if inner.err().code() == Some("ConditionalCheckFailedException"))
}

impl DynamoStore {
    pub(super) async fn with_count(&self, item: &super::items::Item) -> StoreResult<AlbumRecord> {
        let mut album: AlbumRecord = record(item)?;
        album.image_count = self.count_album(album_pk(album.id)).await?;
        Ok(album)
    }

    pub(super) async fn insert_album(&self, album: &AlbumRecord) -> StoreResult<()> {
        let item = album_item(&AlbumRecord {
            image_count: 0,
            ..album.clone()
        })?;
        let outcome = send(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(PK)")
                .send()
        })
        .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if is_conditional(&e) => Err(StoreError::Internal(format!(
                "album {} already exists",
                album.id
            ))),
            Err(e) => Err(store_error(e)),
        }
    }

    pub(super) async fn get_album(&self, id: AlbumId) -> StoreResult<Option<AlbumRecord>> {
        match self.get_item(album_pk(id)).await? {
            Some(item) => Ok(Some(self.with_count(&item).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn list_albums(
        &self,
        owner: &UserId,
        page: &PageRequest<AlbumCursor>,
    ) -> StoreResult<Vec<AlbumRecord>> {
        let items = self
            .query_page(PartitionPage {
                index: Some(GSI1),
                partition: user_albums(owner.as_str()),
                after: page
                    .after
                    .as_ref()
                    .map(|c| album_sort_key(c.created_at, c.id)),
                forward: page.order == SortOrder::Asc,
                limit: page.limit,
                filter: None,
                names: HashMap::new(),
                values: HashMap::new(),
            })
            .await?;
        let mut albums = Vec::with_capacity(items.len());
        for item in &items {
            albums.push(self.with_count(item).await?);
        }
        Ok(albums)
    }

    /// Rewrites `data` and `version` only: owner, creation time and the
    /// deletion mark stay as stored.
    pub(super) async fn update_album(&self, album: &AlbumRecord, expected: i64) -> StoreResult<()> {
        let data = serde_json::to_string(&AlbumRecord {
            image_count: 0,
            ..album.clone()
        })
        .map_err(super::items::corrupt)?;
        let outcome = send(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(album_pk(album.id))))
                .update_expression("SET #data = :data, version = :version")
                .condition_expression("version = :expected")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":data", s(data.clone()))
                .expression_attribute_values(":version", n(album.version))
                .expression_attribute_values(":expected", n(expected))
                .send()
        })
        .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if is_conditional(&e) => Err(match self.get_item(album_pk(album.id)).await? {
                Some(item) => StoreError::VersionConflict {
                    current: version(&item)?,
                },
                None => StoreError::NotFound,
            }),
            Err(e) => Err(store_error(e)),
        }
    }

    pub(super) async fn delete_album(&self, id: AlbumId, now: DateTime<Utc>) -> StoreResult<bool> {
        // 1. Mark it: from now on no image can be attached (see images.rs).
        let marked = send(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(album_pk(id))))
                .update_expression("SET deleting = :yes")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .send()
        })
        .await;
        match marked {
            Ok(_) => {}
            Err(e) if is_conditional(&e) => return Ok(false),
            Err(e) => return Err(store_error(e)),
        }
        // 2. Detach until the album's index partition is empty.
        self.detach_all(id, now).await?;
        // 3. Remove it; of two concurrent deletes only one sees the old item.
        let out = send(|| {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(album_pk(id))))
                .return_values(ReturnValue::AllOld)
                .send()
        })
        .await
        .map_err(store_error)?;
        Ok(out.attributes.is_some_and(|old| !old.is_empty()))
    }

    async fn detach_all(&self, id: AlbumId, now: DateTime<Utc>) -> StoreResult<()> {
        let mut stalled = 0;
        loop {
            let items = self
                .query_page(PartitionPage {
                    index: Some(GSI2),
                    partition: album_pk(id),
                    after: None,
                    forward: true,
                    limit: DETACH_BATCH,
                    filter: None,
                    names: HashMap::new(),
                    values: HashMap::new(),
                })
                .await?;
            if items.is_empty() {
                return Ok(());
            }
            let mut progressed = false;
            for item in &items {
                let image: ImageRecord = record(item)?;
                if image.album_id != Some(id) {
                    continue;
                }
                let detached = ImageRecord {
                    album_id: None,
                    version: image.version + 1,
                    updated_at: now,
                    ..image.clone()
                };
                let values = HashMap::from([
                    (":v".to_owned(), n(image.version)),
                    (":album".to_owned(), s(id.to_string())),
                ]);
                // Lost races (a concurrent update) show up again in the next round.
                progressed |= self
                    .put_image_if(&detached, "version = :v AND album_id = :album", values)
                    .await?;
            }
            if !progressed {
                stalled += 1;
                if stalled >= STALLED_ROUNDS {
                    return Err(StoreError::Unavailable(
                        "album images keep changing during delete".into(),
                    ));
                }
                // Index reads lag writes a little on DynamoDB; give them time.
                tokio::time::sleep(Duration::from_millis(50 * u64::from(stalled))).await;
            }
        }
    }
}

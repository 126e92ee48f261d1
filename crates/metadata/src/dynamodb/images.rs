//! Images on DynamoDB: conditional writes carry the optimistic lock; album
//! references are checked before and re-checked after each write, since
//! DynamoDB has no foreign keys.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::ReturnValue;
use domain::{
    AlbumId, ImageId, ImageRecord, PageRequest, SortOrder, StoreError, StoreResult, UserId,
};

use super::DynamoStore;
use super::items::{
    GSI1, GSI2, album_pk, image_item, image_pk, is_deleting, key, n, record, s, user_images,
    version,
};
use super::query::PartitionPage;
use super::retry::{send, store_error};

impl DynamoStore {
    pub(super) async fn get_item(&self, pk: String) -> StoreResult<Option<super::items::Item>> {
        let out = send(|| {
            self.client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key(pk.clone())))
                .consistent_read(true)
                .send()
        })
        .await
        .map_err(store_error)?;
        Ok(out.item)
    }

    /// Whether images may point at `album`: it exists and is not being deleted.
    async fn album_usable(&self, album: AlbumId) -> StoreResult<bool> {
        Ok(self
            .get_item(album_pk(album))
            .await?
            .is_some_and(|item| !is_deleting(&item)))
    }

    /// Writes `image` if `condition` holds; `Ok(false)` when it did not.
    pub(super) async fn put_image_if(
        &self,
        image: &ImageRecord,
        condition: &str,
        values: HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    ) -> StoreResult<bool> {
        let item = image_item(image)?;
        let outcome = send(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression(condition)
                .set_expression_attribute_values((!values.is_empty()).then(|| values.clone()))
                .send()
        })
        .await;
        match outcome {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(store_error(e)),
        }
    }

    /// Undoes an attachment that raced with the album's deletion.
    async fn detach_after_race(&self, image: &ImageRecord) -> StoreResult<()> {
        let mut detached = image.clone();
        detached.album_id = None;
        detached.version += 1;
        let values = HashMap::from([(":v".to_owned(), n(image.version))]);
        self.put_image_if(&detached, "version = :v", values).await?;
        Ok(())
    }

    pub(super) async fn insert(&self, image: &ImageRecord) -> StoreResult<()> {
        if let Some(album) = image.album_id
            && !self.album_usable(album).await?
        {
            return Err(StoreError::MissingReference("albumId"));
        }
        if !self
            .put_image_if(image, "attribute_not_exists(PK)", HashMap::new())
            .await?
        {
            return Err(StoreError::Internal(format!(
                "image {} already exists",
                image.id
            )));
        }
        if let Some(album) = image.album_id {
            // The album may have been deleted between the check and the put.
            if !self.album_usable(album).await? {
                self.delete(image.id).await?;
                return Err(StoreError::MissingReference("albumId"));
            }
        }
        Ok(())
    }

    pub(super) async fn get(&self, id: ImageId) -> StoreResult<Option<ImageRecord>> {
        self.get_item(image_pk(id))
            .await?
            .as_ref()
            .map(record)
            .transpose()
    }

    pub(super) async fn update(&self, image: &ImageRecord, expected: i64) -> StoreResult<()> {
        if let Some(album) = image.album_id
            && !self.album_usable(album).await?
        {
            return Err(StoreError::MissingReference("albumId"));
        }
        let values = HashMap::from([(":expected".to_owned(), n(expected))]);
        // A missing item has no version, so the same condition covers "gone".
        if !self
            .put_image_if(image, "version = :expected", values)
            .await?
        {
            return Err(match self.get_item(image_pk(image.id)).await? {
                Some(item) => StoreError::VersionConflict {
                    current: version(&item)?,
                },
                None => StoreError::NotFound,
            });
        }
        if let Some(album) = image.album_id
            && !self.album_usable(album).await?
        {
            self.detach_after_race(image).await?;
            return Err(StoreError::MissingReference("albumId"));
        }
        Ok(())
    }

    pub(super) async fn delete(&self, id: ImageId) -> StoreResult<bool> {
        let out = send(|| {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(image_pk(id))))
                .return_values(ReturnValue::AllOld)
                .send()
        })
        .await
        .map_err(store_error)?;
        Ok(out.attributes.is_some_and(|old| !old.is_empty()))
    }

    /// From `GSI1` (a user's images) or, with an album, `GSI2` filtered by owner.
    pub(super) async fn list(
        &self,
        owner: &UserId,
        album: Option<AlbumId>,
        page: &PageRequest<ImageId>,
    ) -> StoreResult<Vec<ImageRecord>> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let (index, partition, filter) = match album {
            None => (GSI1, user_images(owner.as_str()), None),
            Some(album) => {
                names.insert("#owner".to_owned(), "user_id".to_owned());
                values.insert(":owner".to_owned(), s(owner.as_str()));
                (GSI2, album_pk(album), Some("#owner = :owner".to_owned()))
            }
        };
        let items = self
            .query_page(PartitionPage {
                index: Some(index),
                partition,
                after: page.after.map(|id| id.to_string()),
                forward: page.order == SortOrder::Asc,
                limit: page.limit,
                filter,
                names,
                values,
            })
            .await?;
        items.iter().map(record).collect()
    }
}

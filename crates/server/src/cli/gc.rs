//! `image-service gc`: removes variant blobs that no metadata points at and
//! that are older than `--min-age`, so it is safe while the service runs (an
//! upload in progress writes its blobs moments before its metadata row).
//! With a file store it also removes the temp files of writes a crash cut off
//! before their rename (`.tmp-*`, which are never objects), by the same age.

use std::time::Duration;

use chrono::Utc;
use domain::ImageId;
use domain::keys::BlobKey;

use crate::config::Config;

pub struct GcReport {
    pub orphans: usize,
    pub removed: usize,
    /// Abandoned temp files found (file store only); removed unless a dry run.
    pub temp_files: usize,
}

pub async fn run(config: &Config, dry_run: bool, min_age: Duration) -> anyhow::Result<GcReport> {
    let metadata = metadata::open(&config.metadata_url).await?;
    let blobs = crate::storage::open_blobs(config).await?;
    let cutoff = Utc::now() - chrono::Duration::from_std(min_age)?;
    let mut report = GcReport {
        orphans: 0,
        removed: 0,
        temp_files: 0,
    };
    for prefix in ["images/", "thumbnails/"] {
        for (key, modified) in blobs.list(prefix).await? {
            if modified > cutoff || is_referenced(&*metadata, &key).await? {
                continue;
            }
            report.orphans += 1;
            if dry_run {
                println!("would remove {key}");
            } else {
                blobs.delete(&key).await?;
                report.removed += 1;
                println!("removed {key}");
            }
        }
    }
    if let Some(root) = config.blob_url.strip_prefix("file://") {
        let files = blobs::FileBlobStore::new(root)?;
        for prefix in ["images", "thumbnails"] {
            for path in files
                .sweep_abandoned_writes(prefix, cutoff, dry_run)
                .await?
            {
                report.temp_files += 1;
                if dry_run {
                    println!("would remove temp file {path}");
                } else {
                    println!("removed temp file {path}");
                }
            }
        }
    }
    Ok(report)
}

/// Whether the image a variant key names still exists, for the same user.
async fn is_referenced(
    metadata: &dyn domain::MetadataStore,
    key: &BlobKey,
) -> anyhow::Result<bool> {
    let mut parts = key.as_str().split('/');
    let (Some(_), Some(user), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(false);
    };
    let Some(id) = file
        .strip_suffix(".webp")
        .and_then(|s| s.parse::<ImageId>().ok())
    else {
        return Ok(false);
    };
    Ok(metadata
        .get_image(id)
        .await?
        .is_some_and(|image| image.user_id.storage_segment() == user))
}

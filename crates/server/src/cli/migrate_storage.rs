//! `image-service migrate-storage --from META,BLOBS[,KEYS] --to META,BLOBS[,KEYS]`:
//! copies every album, image (both variants) and audit event from one
//! deployment's stores to another's, e.g. from the embedded SQLite + files to
//! PostgreSQL + S3. Resumable: anything already at the destination and
//! identical is left alone, so after an interruption the same command is
//! simply run again.
//!
//! Blobs go through the public `BlobStore` port: read (decrypted) from the
//! source, written (sealed under the destination's own per-user data keys) to
//! the destination, then read back and compared by SHA-256 of the plaintext.
//! Copying ciphertext and wrapped data keys as raw objects would be cheaper,
//! but it would tie this tool to the key layout (which has already moved once,
//! into `IMAGE_SERVICE_KEY_URL`), force both sides onto the same master key,
//! and could not verify what a reader of the destination will actually get.
//! Wrapped data keys are therefore never copied: the destination makes its
//! own on first write. Orphan blobs (no image row) are not copied: `gc`
//! would remove them anyway.
//!
//! Order keeps the service's invariant at the destination at every instant:
//! albums, then for each image its blobs and only then its row (a kill leaves
//! at most blobs without a row, never a row without blobs), then the audit
//! trail in id order (re-chained by the destination as it is appended).

use std::collections::HashSet;

use anyhow::Context as _;
use bytes::Bytes;
use domain::keys::{BlobKey, Variant};
use domain::{AuditFilter, ImageRecord, PageRequest, SortOrder, StoreError};
use futures::{StreamExt as _, TryStreamExt as _};

use crate::config::Config;

mod sides;

use sides::Side;
pub use sides::Target;

/// Rows read per round trip.
const PAGE: u32 = 200;

/// Counts for one kind of item.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub copied: u64,
    /// Already at the destination and identical.
    pub present: u64,
    /// Already at the destination with other contents: kept, never overwritten.
    pub differ: u64,
}

#[derive(Debug, Default)]
pub struct Report {
    pub albums: Tally,
    pub images: Tally,
    pub blobs: Tally,
    pub audit: Tally,
    /// Images whose variant blobs are missing in the source (not copied).
    pub broken: Vec<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = |t: &Tally| {
            format!(
                "{} copied, {} already present, {} differ",
                t.copied, t.present, t.differ
            )
        };
        writeln!(f, "albums: {}", line(&self.albums))?;
        writeln!(f, "images: {}", line(&self.images))?;
        writeln!(
            f,
            "blobs: {} copied (each read back and its SHA-256 checked), {} already present",
            self.blobs.copied, self.blobs.present
        )?;
        // Audit events are matched by id only: the trail is append-only.
        writeln!(
            f,
            "audit: {} copied, {} already present",
            self.audit.copied, self.audit.present
        )?;
        write!(
            f,
            "skipped: {} images with blobs missing in the source",
            self.broken.len()
        )
    }
}

/// Runs the migration, prints the report, and fails if anything was skipped.
pub async fn command(
    config: &Config,
    from: &Target,
    to: &Target,
    concurrency: usize,
) -> anyhow::Result<()> {
    let report = run(config, from, to, concurrency).await?;
    println!("{report}");
    anyhow::ensure!(
        report.broken.is_empty(),
        "{} images were not copied because their blobs are missing in the source ({}): \
         restore the blobs or delete the images there, then run again",
        report.broken.len(),
        report.broken.join(", ")
    );
    Ok(())
}

pub async fn run(
    config: &Config,
    from: &Target,
    to: &Target,
    concurrency: usize,
) -> anyhow::Result<Report> {
    // One store may be shared (moving only the metadata, or only the blobs):
    // what is already there is found identical and left alone.
    anyhow::ensure!(
        from.metadata_url != to.metadata_url || from.blob_url != to.blob_url,
        "--from and --to name the same stores"
    );
    if to.blob_url.starts_with("s3://") && config.encryption_key.is_none() {
        eprintln!(
            "note: no IMAGE_SERVICE_ENCRYPTION_KEY, so the S3 blobs are written with SSE-S3 only; \
             replicas must then run without it too"
        );
    }
    let source = sides::open(config, from, "from").await?;
    let dest = sides::open(config, to, "to").await?;
    let mut report = Report::default();
    copy_albums(&source, &dest, &mut report).await?;
    copy_images(&source, &dest, concurrency.max(1), &mut report).await?;
    copy_audit(&source, &dest, &mut report).await?;
    Ok(report)
}

async fn copy_albums(source: &Side, dest: &Side, report: &mut Report) -> anyhow::Result<()> {
    let mut cursor = None;
    loop {
        let page = source
            .metadata
            .list_all_albums(cursor.as_deref(), PAGE)
            .await?;
        for album in page.items {
            match dest.metadata.get_album(album.id).await? {
                // `image_count` is derived from the images, which come later.
                Some(there)
                    if (domain::AlbumRecord {
                        image_count: 0,
                        ..there.clone()
                    }) == (domain::AlbumRecord {
                        image_count: 0,
                        ..album.clone()
                    }) =>
                {
                    report.albums.present += 1;
                }
                Some(_) => {
                    eprintln!(
                        "album {} differs at the destination; kept as it is",
                        album.id
                    );
                    report.albums.differ += 1;
                }
                None => {
                    dest.metadata
                        .insert_album(&album)
                        .await
                        .with_context(|| format!("album {}", album.id))?;
                    report.albums.copied += 1;
                }
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// What happened to one image.
enum Outcome {
    Copied,
    Present,
    Differ,
    /// A variant is missing in the source: nothing written for the row.
    Broken,
}

async fn copy_images(
    source: &Side,
    dest: &Side,
    concurrency: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut cursor = None;
    loop {
        let page = source
            .metadata
            .list_all_images(cursor.as_deref(), PAGE)
            .await?;
        let outcomes: Vec<(String, Outcome, Tally)> = futures::stream::iter(page.items)
            .map(|image| async move {
                let mut blobs = Tally::default();
                let outcome = copy_image(source, dest, &image, &mut blobs)
                    .await
                    .with_context(|| format!("image {}", image.id))?;
                anyhow::Ok((image.id.to_string(), outcome, blobs))
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        for (id, outcome, blobs) in outcomes {
            report.blobs.copied += blobs.copied;
            report.blobs.present += blobs.present;
            match outcome {
                Outcome::Copied => report.images.copied += 1,
                Outcome::Present => report.images.present += 1,
                Outcome::Differ => report.images.differ += 1,
                Outcome::Broken => report.broken.push(id),
            }
        }
        let done = report.images.copied + report.images.present + report.images.differ;
        eprintln!("… {done} images done");
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

async fn copy_image(
    source: &Side,
    dest: &Side,
    image: &ImageRecord,
    blobs: &mut Tally,
) -> anyhow::Result<Outcome> {
    // Blobs first, every time: a row at the destination is only ever written
    // after both of its blobs are there and verified.
    for variant in Variant::ALL {
        let key = BlobKey::for_variant(&image.user_id, image.id, variant);
        match copy_blob(source, dest, &key).await? {
            Some(true) => blobs.copied += 1,
            Some(false) => blobs.present += 1,
            None => {
                eprintln!(
                    "image {}: {key} is missing in the source; skipped",
                    image.id
                );
                return Ok(Outcome::Broken);
            }
        }
    }
    Ok(match dest.metadata.get_image(image.id).await? {
        Some(there) if there == *image => Outcome::Present,
        Some(_) => {
            eprintln!(
                "image {} differs at the destination; kept as it is",
                image.id
            );
            Outcome::Differ
        }
        None => {
            dest.metadata.insert_image(image).await?;
            eprintln!("image {}: copied", image.id);
            Outcome::Copied
        }
    })
}

fn sha256(bytes: &[u8]) -> ring::digest::Digest {
    ring::digest::digest(&ring::digest::SHA256, bytes)
}

/// `Some(true)` copied, `Some(false)` already identical, `None` missing in the
/// source. A destination copy that differs (e.g. cut short by an earlier
/// crash of a store without atomic writes) is overwritten: blobs, unlike rows,
/// are only ever written whole by this tool or by an upload of the same image.
async fn copy_blob(source: &Side, dest: &Side, key: &BlobKey) -> anyhow::Result<Option<bool>> {
    let Some(plain) = source.blobs.get(key).await? else {
        return Ok(None);
    };
    let want = sha256(&plain);
    let same = |there: &Option<Bytes>| {
        there
            .as_ref()
            .is_some_and(|b| sha256(b).as_ref() == want.as_ref())
    };
    match dest.blobs.get(key).await {
        Ok(there) if same(&there) => return Ok(Some(false)),
        Ok(_) => {}
        // Unreadable at the destination (sealed under a key it no longer
        // has): replaced below, like any other wrong copy.
        Err(StoreError::Internal(reason)) => {
            eprintln!("{key}: unreadable at the destination ({reason}); rewriting");
        }
        Err(e) => return Err(e.into()),
    }
    dest.blobs.put(key, plain).await?;
    let back = dest.blobs.get(key).await?;
    anyhow::ensure!(
        same(&back),
        "{key}: read back with a different SHA-256 than the source's"
    );
    Ok(Some(true))
}

/// In id (time) order, skipping ids the destination already holds.
async fn copy_audit(source: &Side, dest: &Side, report: &mut Report) -> anyhow::Result<()> {
    let everything = AuditFilter::default();
    let page_after = |after: Option<String>| PageRequest {
        after,
        limit: PAGE,
        order: SortOrder::Asc,
    };
    let mut there = HashSet::new();
    let mut after = None;
    loop {
        let page = dest
            .metadata
            .list_audit(&everything, &page_after(after))
            .await?;
        after = page.last().map(|e| e.id.clone());
        there.extend(page.into_iter().map(|e| e.id));
        if after.is_none() {
            break;
        }
    }
    let mut after = None;
    loop {
        let page = source
            .metadata
            .list_audit(&everything, &page_after(after))
            .await?;
        after = page.last().map(|e| e.id.clone());
        for event in page {
            if there.contains(&event.id) {
                report.audit.present += 1;
            } else {
                dest.metadata
                    .append_audit(&event)
                    .await
                    .with_context(|| format!("audit event {}", event.id))?;
                report.audit.copied += 1;
            }
        }
        if after.is_none() {
            return Ok(());
        }
    }
}

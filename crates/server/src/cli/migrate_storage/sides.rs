//! The two sides of `migrate-storage`: parsing `META,BLOBS[,KEYS]`, and
//! opening each side's stores exactly as the service would.

use std::sync::Arc;

use anyhow::Context as _;
use domain::{BlobStore, MetadataStore};

use crate::config::Config;

const BLOB_SCHEMES: [&str; 3] = ["file://", "s3://", "memory://"];

/// One side of the migration: where its metadata, blobs and data keys live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub metadata_url: String,
    pub blob_url: String,
    /// `None`: as the service would choose (see `key_url_for`).
    pub key_url: Option<String>,
}

impl std::str::FromStr for Target {
    type Err = String;

    /// `META,BLOBS[,KEYS]`. Metadata URLs may contain commas of their own (a
    /// PostgreSQL `options=`), so the split is at each comma that starts a
    /// blob-store URL.
    fn from_str(text: &str) -> Result<Self, String> {
        let cuts: Vec<usize> = text
            .match_indices(',')
            .map(|(at, _)| at)
            .filter(|at| BLOB_SCHEMES.iter().any(|s| text[at + 1..].starts_with(s)))
            .collect();
        let (meta, blobs, keys) = match cuts[..] {
            [b] => (&text[..b], &text[b + 1..], None),
            [b, k] => (&text[..b], &text[b + 1..k], Some(&text[k + 1..])),
            _ => {
                return Err(
                    "expected METADATA_URL,BLOB_URL[,KEY_URL] (blob and key URLs: file://, s3://)"
                        .into(),
                );
            }
        };
        if meta.is_empty() {
            return Err("the metadata URL is empty".into());
        }
        for url in std::iter::once(blobs).chain(keys) {
            if url.starts_with("memory://") {
                return Err("memory:// holds nothing to copy from and keeps nothing copied".into());
            }
        }
        Ok(Self {
            metadata_url: meta.to_owned(),
            blob_url: blobs.to_owned(),
            key_url: keys.map(str::to_owned),
        })
    }
}

/// The key store the service would use with these blobs: the configured one
/// for the configured blob URL; else `keys` beside a file blob directory (the
/// embedded layout, `<data>/blobs` + `<data>/keys`), or the bucket itself.
fn key_url_for(config: &Config, target: &Target) -> String {
    if let Some(url) = &target.key_url {
        return url.clone();
    }
    if target.blob_url == config.blob_url {
        return config.key_url.clone();
    }
    match target.blob_url.strip_prefix("file://") {
        Some(dir) => {
            let parent = std::path::Path::new(dir.trim_end_matches('/'))
                .parent()
                .unwrap_or(std::path::Path::new("/"));
            format!("file://{}", parent.join("keys").display())
        }
        None => target.blob_url.clone(),
    }
}

pub(super) struct Side {
    pub(super) metadata: Arc<dyn MetadataStore>,
    pub(super) blobs: Arc<dyn BlobStore>,
}

/// Opens a side exactly as the service would with these URLs and this
/// process's encryption settings (current and previous master keys).
pub(super) async fn open(config: &Config, target: &Target, name: &str) -> anyhow::Result<Side> {
    let metadata = metadata::open(&target.metadata_url)
        .await
        .with_context(|| format!("--{name}: cannot open the metadata store"))?;
    let side = Config {
        blob_url: target.blob_url.clone(),
        key_url: key_url_for(config, target),
        ..config.clone()
    };
    let blobs = crate::storage::open_blobs(&side)
        .await
        .with_context(|| format!("--{name}: cannot open the blob store"))?;
    Ok(Side { metadata, blobs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_at_blob_urls() {
        let t: Target = "sqlite:///d/metadata.db,file:///d/blobs".parse().unwrap();
        assert_eq!(t.metadata_url, "sqlite:///d/metadata.db");
        assert_eq!(t.blob_url, "file:///d/blobs");
        assert_eq!(t.key_url, None);
        let pg = "postgres://u@h/db?options=-c%20search_path%3Dx,y";
        let t: Target = format!("{pg},s3://b?region=r&endpoint=http://e:1,file:///keys")
            .parse()
            .unwrap();
        assert_eq!(t.metadata_url, pg);
        assert_eq!(t.blob_url, "s3://b?region=r&endpoint=http://e:1");
        assert_eq!(t.key_url.as_deref(), Some("file:///keys"));
        for bad in [
            "sqlite:///x",
            ",file:///b",
            "m,file:///b,file:///k,file:///z",
            "m,memory://",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }
}

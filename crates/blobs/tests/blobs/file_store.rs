//! File-store specifics: atomic writes and staying inside the root.

use bytes::Bytes;
use domain::ids::{ImageId, UserId};
use domain::keys::{BlobKey, Variant};
use domain::ports::BlobStore;

use blobs::FileBlobStore;

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            out.extend(files_under(&entry.path()));
        } else {
            out.push(entry.path().display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn atomic_write_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBlobStore::new(dir.path()).unwrap();
    let key = BlobKey::parse("images/u/a.webp").unwrap();
    store.put(&key, Bytes::from_static(b"one")).await.unwrap();
    store.put(&key, Bytes::from_static(b"two")).await.unwrap();
    store.ping().await.unwrap();
    let files = files_under(store.root());
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        std::fs::read(store.root().join("images/u/a.webp")).unwrap(),
        b"two"
    );
}

#[tokio::test]
async fn leftover_temp_files_are_invisible() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBlobStore::new(dir.path()).unwrap();
    // What a crash between create and rename leaves behind.
    std::fs::create_dir_all(dir.path().join("images/u")).unwrap();
    std::fs::write(dir.path().join("images/u/.tmp-0123abcd"), b"partial").unwrap();
    assert!(store.list("").await.unwrap().is_empty());
    let temp = BlobKey::parse("images/u/.tmp-0123abcd").unwrap();
    assert!(
        store.get(&temp).await.is_err(),
        "temp names are not objects"
    );
}

#[tokio::test]
async fn hostile_names_stay_inside_the_root() {
    for bad in [
        "images/..%2F/x",
        "images/../x",
        "/etc/passwd",
        "images//x",
        "images/./x",
        "images/a b/x",
    ] {
        assert!(BlobKey::parse(bad).is_none(), "{bad} must not parse");
    }
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("blobs");
    let store = FileBlobStore::new(&root).unwrap();
    let user = UserId::new("../../etc").unwrap();
    let key = BlobKey::for_variant(&user, ImageId::new(), Variant::Display);
    store.put(&key, Bytes::from_static(b"x")).await.unwrap();
    let files = files_under(parent.path());
    assert_eq!(files.len(), 1);
    assert!(
        files[0].starts_with(&store.root().display().to_string()),
        "{files:?}"
    );
    assert_eq!(store.list("images/").await.unwrap()[0].0, key);
}

#[tokio::test]
async fn ping_fails_when_the_root_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileBlobStore::new(dir.path().join("blobs")).unwrap();
    std::fs::remove_dir(dir.path().join("blobs")).unwrap();
    assert!(store.ping().await.is_err());
}

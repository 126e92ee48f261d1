//! Blocking filesystem primitives behind `FileBlobStore`: atomic writes, safe paths, the walk.

use std::fs::{self, File};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use domain::keys::BlobKey;
use domain::private_fs;
use ring::rand::{SecureRandom, SystemRandom};

/// Names starting with this are in-flight writes: never listed, never read.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Maps a validated key below `root`, refusing any existing symlink on the way
/// so a link planted inside the store can never lead reads or writes outside it.
pub(crate) fn resolve(root: &Path, key: &BlobKey) -> io::Result<PathBuf> {
    let mut path = root.to_path_buf();
    for segment in key.as_str().split('/') {
        if segment.starts_with(TEMP_PREFIX) {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                "key names a temporary file",
            ));
        }
        path.push(segment);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(io::Error::new(
                    ErrorKind::InvalidInput,
                    format!("refusing to follow symlink {}", path.display()),
                ));
            }
            Ok(_) => {}
            // Nothing further down exists either; the caller sees NotFound itself.
            Err(e) if is_missing(&e) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(root.join(key.as_str()))
}

/// A missing object, or a path through something that is not a directory.
pub(crate) fn is_missing(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// Writes via a temp file in the target's directory, fsyncs it, moves it into
/// place and fsyncs the directory, so a crash leaves the old object or the new
/// one, never a torn one. With `replace == false` an existing object is kept
/// (a hard link fails if the name exists) and `Ok(false)` is returned.
pub(crate) fn write_atomic(
    root: &Path,
    key: &BlobKey,
    bytes: &[u8],
    replace: bool,
) -> io::Result<bool> {
    let target = resolve(root, key)?;
    let dir = target.parent().unwrap_or(root).to_path_buf();
    let temp = dir.join(format!("{TEMP_PREFIX}{}", random_suffix()?));
    let mut attempt = 0;
    let created = loop {
        private_fs::create_dir_all(&dir)?;
        // Re-check: the directories may have been created (or swapped) just now.
        resolve(root, key)?;
        match write_temp(&temp, bytes) {
            // A concurrent `remove` pruned the (then empty) directory; once the
            // temp file is in it, it is no longer empty and stays.
            Err(e) if e.kind() == ErrorKind::NotFound && attempt < 3 => {
                attempt += 1;
            }
            other => break other,
        }
    };
    let result = created.and_then(|()| {
        if replace {
            fs::rename(&temp, &target).map(|()| true)
        } else {
            let linked = match fs::hard_link(&temp, &target) {
                Ok(()) => true,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => false,
                Err(e) => return Err(e),
            };
            fs::remove_file(&temp)?;
            Ok(linked)
        }
    });
    if result.is_err() {
        // Best effort: the temp name is ignored by listings anyway.
        let _ = fs::remove_file(&temp);
    }
    let written = result?;
    sync_dir(&dir)?;
    // New directory entries are only durable once their parents are synced.
    // Always, not only when this call saw the directory missing: a concurrent
    // `remove` can prune it and `create_dir_all` silently make it again, and
    // syncing a parent with nothing new in it costs next to nothing.
    let mut parent = dir.parent();
    while let Some(p) = parent.filter(|p| p.starts_with(root)) {
        sync_dir(p)?;
        parent = p.parent();
    }
    Ok(written)
}

fn write_temp(temp: &Path, bytes: &[u8]) -> io::Result<()> {
    // create_new: never reuse or follow an existing name. Private (0600) from
    // the start, and the rename keeps the mode for the object itself.
    let mut file = private_fs::file_options()
        .write(true)
        .create_new(true)
        .open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn random_suffix() -> io::Result<String> {
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| io::Error::other("system random number generator failed"))?;
    Ok(crate::crypto::hex(&bytes))
}

pub(crate) fn read(root: &Path, key: &BlobKey) -> io::Result<Option<Vec<u8>>> {
    let path = resolve(root, key)?;
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if is_missing(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

pub(crate) fn remove(root: &Path, key: &BlobKey) -> io::Result<()> {
    let path = resolve(root, key)?;
    match fs::remove_file(&path) {
        Ok(()) => {
            let dir = path.parent().unwrap_or(root);
            sync_dir(dir)?;
            prune_empty_dirs(root, dir);
            Ok(())
        }
        Err(e) if is_missing(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes `dir` and then its parents, up to (not including) `root`, while they
/// are empty: directories are named after users (`images/{user}/`), so an
/// erased user's name must not outlive their last object. Best effort; a
/// directory a concurrent write has just put something in is not empty, and
/// one it is about to use is created again (see `write_atomic`).
fn prune_empty_dirs(root: &Path, dir: &Path) {
    let mut current = Some(dir);
    while let Some(dir) = current.filter(|d| *d != root && d.starts_with(root)) {
        if fs::remove_dir(dir).is_err() {
            return;
        }
        let parent = dir.parent().unwrap_or(root);
        let _ = sync_dir(parent);
        current = Some(parent);
    }
}

/// Temp files (`.tmp-*`) under `prefix` (a directory below `root`, e.g.
/// `images`) last modified before `cutoff`: writes a crash cut off between
/// creating the temp file and renaming it into place. They are never objects
/// (not listed, not read), so only this finds them. Unless `dry_run`, each is
/// removed, with the directories it leaves empty. Returns their paths below
/// `root`, sorted. Symlinks are never followed.
pub(crate) fn sweep_temps(
    root: &Path,
    prefix: &str,
    cutoff: SystemTime,
    dry_run: bool,
) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    let start = root.join(prefix);
    match fs::symlink_metadata(&start) {
        Ok(meta) if meta.is_dir() => sweep_dir(&start, prefix, cutoff, &mut found)?,
        Ok(_) => return Ok(found),
        Err(e) if is_missing(&e) => return Ok(found),
        Err(e) => return Err(e),
    }
    found.sort();
    if !dry_run {
        for rel in &found {
            let path = root.join(rel);
            match fs::remove_file(&path) {
                Ok(()) => {
                    let dir = path.parent().unwrap_or(root);
                    sync_dir(dir)?;
                    prune_empty_dirs(root, dir);
                }
                Err(e) if is_missing(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(found)
}

fn sweep_dir(dir: &Path, rel: &str, cutoff: SystemTime, out: &mut Vec<String>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if is_missing(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let child = format!("{rel}/{name}");
        if file_type.is_dir() {
            sweep_dir(&entry.path(), &child, cutoff, out)?;
        } else if file_type.is_file() && name.starts_with(TEMP_PREFIX) {
            let modified = match entry.metadata() {
                Ok(meta) => meta.modified()?,
                Err(e) if is_missing(&e) => continue,
                Err(e) => return Err(e),
            };
            if modified < cutoff {
                out.push(child);
            }
        }
    }
    Ok(())
}

/// Writes and removes a scratch file: proves the root exists and is writable.
pub(crate) fn probe(root: &Path) -> io::Result<()> {
    let temp = root.join(format!("{TEMP_PREFIX}ping-{}", random_suffix()?));
    let result = write_temp(&temp, b"ping");
    let _ = fs::remove_file(&temp);
    result
}

/// Every object under `prefix` (a plain string prefix of the key), sorted by key.
pub(crate) fn walk(root: &Path, prefix: &str) -> io::Result<Vec<(BlobKey, DateTime<Utc>)>> {
    let mut out = Vec::new();
    walk_dir(root, "", prefix, &mut out)?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn walk_dir(
    dir: &Path,
    rel: &str,
    prefix: &str,
    out: &mut Vec<(BlobKey, DateTime<Utc>)>,
) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        // Removed while we walked: it simply holds nothing any more.
        Err(e) if is_missing(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        // DirEntry::file_type does not follow symlinks, so links are skipped.
        let file_type = entry.file_type()?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with(TEMP_PREFIX) || file_type.is_symlink() {
            continue;
        }
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if file_type.is_dir() {
            let as_dir = format!("{child}/");
            if prefix.starts_with(&as_dir) || as_dir.starts_with(prefix) {
                walk_dir(&entry.path(), &child, prefix, out)?;
            }
        } else if file_type.is_file() && child.starts_with(prefix) {
            let Some(key) = BlobKey::parse(&child) else {
                continue;
            };
            let modified = match entry.metadata() {
                Ok(meta) => meta.modified()?,
                Err(e) if is_missing(&e) => continue,
                Err(e) => return Err(e),
            };
            out.push((key, DateTime::<Utc>::from(modified)));
        }
    }
    Ok(())
}

//! Reading what is on disk and what `gc` printed, for the crash test's
//! orphan checks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub(super) fn walk(dir: &Path, rel: &str, blobs: &mut BTreeSet<String>, temps: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = format!("{rel}/{name}");
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&entry.path(), &child, blobs, temps);
        } else if name.starts_with('.') {
            temps.push(entry.path());
        } else if name.ends_with(".webp") {
            blobs.insert(child);
        }
    }
}

/// `N` from gc's last line, `N orphan blobs; …`.
pub(super) fn orphan_count(gc_output: &str) -> usize {
    gc_output
        .lines()
        .find_map(|l| l.split_once(" orphan blobs; ")?.0.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in gc output:\n{gc_output}"))
}

/// The keys gc printed after `prefix` (`would remove ` / `removed `), blobs
/// and temp files apart.
pub(super) fn gc_keys(gc_output: &str, prefix: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut blobs, mut temps) = (BTreeSet::new(), BTreeSet::new());
    for line in gc_output.lines() {
        let Some(rest) = line.strip_prefix(prefix) else {
            continue;
        };
        match rest.strip_prefix("temp file ") {
            Some(temp) => temps.insert(temp.to_owned()),
            None => blobs.insert(rest.to_owned()),
        };
    }
    (blobs, temps)
}

/// Paths below `root`, as gc prints them.
pub(super) fn relative(root: &Path, paths: &[PathBuf]) -> BTreeSet<String> {
    paths
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .collect()
}

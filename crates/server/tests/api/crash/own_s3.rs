//! The crash test's own S3 server.

use std::path::PathBuf;
use std::process::Command;

use crate::support::backends;

/// An s3s-fs of this test's own: gc sweeps a whole bucket, and in the shared
/// one every other test's blobs would look like orphans of this schema.
pub(super) struct OwnS3 {
    dir: PathBuf,
    endpoint: String,
}

impl OwnS3 {
    pub(super) fn start() -> Option<Self> {
        let dir = std::env::temp_dir().join(format!(
            "crash-s3-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ));
        let endpoint = backends::launch_s3s_fs(&dir)?;
        Some(Self { dir, endpoint })
    }

    pub(super) fn bucket(&self) -> PathBuf {
        self.dir.join("buckets").join("image-service-test")
    }

    pub(super) fn blob_url(&self) -> String {
        let endpoint = self.endpoint.replace(':', "%3A").replace('/', "%2F");
        format!("s3://image-service-test?region=us-east-1&endpoint={endpoint}&path_style=true")
    }
}

impl Drop for OwnS3 {
    fn drop(&mut self) {
        // The script's watcher would stop it when this test binary exits; the
        // server is ours, so stop it now, by its recorded pid.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("s3s-fs.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

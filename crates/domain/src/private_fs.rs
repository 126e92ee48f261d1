//! Everything the service writes to local disk is private to the user it runs
//! as: directories `0700`, files `0600` — the database and its `-wal`/`-shm`
//! files, wrapped data keys, blobs and their temp files, generated secrets.
//! Images, titles and keys of every user are in there; no other account on
//! the machine should read them.
//!
//! The modes are set when a file or directory is created, so there is no
//! moment at which it is more open. A umask can only take permission bits
//! away, never add them, so whatever the umask the result is never broader
//! than these.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// Owner only: read, write, enter.
pub const DIR_MODE: u32 = 0o700;
/// Owner only: read, write.
pub const FILE_MODE: u32 = 0o600;

/// `create_dir_all` where every directory it creates is `0700`; existing
/// ones are left as they are.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)
}

/// `OpenOptions` whose newly created file is `0600`; the caller adds how it opens.
pub fn file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(FILE_MODE);
    options
}

/// Sets an existing directory to `0700` (the data directory at start, which
/// an older version or the operator may have made readable to others).
pub fn restrict_dir(path: &Path) -> io::Result<()> {
    std::fs::set_permissions(path, Permissions::from_mode(DIR_MODE))
}

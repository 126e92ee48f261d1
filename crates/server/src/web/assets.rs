//! The gallery's files, embedded in the binary. They are served under
//! `/assets/{hash}/`, where the hash covers every file: a new build with any
//! change gets new URLs, so the files can be cached for a year, and ES
//! modules import each other by relative paths within one version.

use std::sync::LazyLock;

/// `(name, content type, bytes)` of every file but `index.html`.
pub const FILES: [(&str, &str, &str); 8] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/api.js"),
    ),
    (
        "image.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/image.js"),
    ),
    (
        "account.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/account.js"),
    ),
    (
        "oidc.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/oidc.js"),
    ),
    (
        "albums.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/albums.js"),
    ),
    (
        "audit.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/audit.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../web/style.css"),
    ),
];

const INDEX_TEMPLATE: &str = include_str!("../../web/index.html");

/// The first 16 hex digits of SHA-256 over every file, index included.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
    hasher.update(INDEX_TEMPLATE.as_bytes());
    for (name, _, body) in FILES {
        hasher.update(name.as_bytes());
        hasher.update(body.as_bytes());
    }
    let digest = hasher.finish();
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// `index.html` pointing at this version's files.
pub static INDEX: LazyLock<String> = LazyLock::new(|| INDEX_TEMPLATE.replace("{{HASH}}", &VERSION));

pub fn file(name: &str) -> Option<(&'static str, &'static str)> {
    FILES
        .iter()
        .find(|(file, _, _)| *file == name)
        .map(|(_, kind, body)| (*kind, *body))
}

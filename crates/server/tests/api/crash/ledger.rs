//! The ledger: what the service acknowledged to the request tasks, and the
//! answers a healthy service must never give.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

/// What a client was told about an image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fate {
    /// 201, and no DELETE sent: must survive every crash.
    Live,
    /// A DELETE was sent and no answer came before the kill: either fully
    /// there or fully gone.
    Deleting,
    /// 204: must stay gone.
    Deleted,
}

pub(super) struct Known {
    pub(super) user: usize,
    /// The display variant as read after the 201, if that read finished.
    pub(super) display: Option<Bytes>,
    /// The highest version a response showed (201, PATCH 200, 409).
    pub(super) version: i64,
    pub(super) fate: Fate,
}

#[derive(Default)]
pub(super) struct Ledger {
    pub(super) images: HashMap<String, Known>,
    /// Answers a healthy service must never give; reported all at once.
    pub(super) problems: Vec<String>,
    pub(super) uploads: usize,
    pub(super) patches: usize,
    pub(super) deletes: usize,
}

pub(super) type Shared = Arc<Mutex<Ledger>>;

pub(super) fn problem(ledger: &Shared, text: String) {
    ledger.lock().unwrap().problems.push(text);
}

//! A small bounded, expiring cache of unwrapped data keys, keyed by user segment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::envelope::DataKey;

/// Bounded so memory stays flat however many users exist; entries expire so a
/// `forget_user` on another replica takes effect here within `ttl` too.
pub(crate) struct DekCache {
    entries: Mutex<HashMap<String, (Arc<DataKey>, Instant)>>,
    capacity: usize,
    ttl: Duration,
}

impl DekCache {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    pub(crate) fn get(&self, segment: &str) -> Option<Arc<DataKey>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(segment) {
            Some((key, at)) if at.elapsed() < self.ttl => Some(Arc::clone(key)),
            Some(_) => {
                entries.remove(segment);
                None
            }
            None => None,
        }
    }

    pub(crate) fn insert(&self, segment: &str, key: Arc<DataKey>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(segment) {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            // Still full: drop the oldest. A linear scan is fine at cache sizes.
            if entries.len() >= self.capacity
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(segment.to_owned(), (key, Instant::now()));
    }

    pub(crate) fn remove(&self, segment: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(segment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_expires() {
        let cache = DekCache::new(2, Duration::from_secs(60));
        for user in ["a", "b", "c"] {
            cache.insert(user, Arc::new(DataKey::generate().unwrap()));
        }
        assert!(cache.get("a").is_none(), "oldest entry evicted");
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
        let expiring = DekCache::new(2, Duration::ZERO);
        expiring.insert("a", Arc::new(DataKey::generate().unwrap()));
        assert!(expiring.get("a").is_none());
    }
}

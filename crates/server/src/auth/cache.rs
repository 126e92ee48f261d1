//! A bounded cache of verified tokens, keyed by their SHA-256, so a client
//! sending the same token on every request pays for one signature check.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::Principal;

/// Enough for every active user of a busy instance; a few MB at most.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

struct Cached {
    principal: Principal,
    /// The key that verified the token: a hit counts only while the key set
    /// still holds it, so a withdrawn key's tokens stop working with it.
    kid: String,
    /// Last second (Unix time) the token is acceptable: `exp` plus leeway.
    valid_until: u64,
}

pub(crate) struct TokenCache {
    entries: Mutex<HashMap<[u8; 32], Cached>>,
    capacity: usize,
}

fn digest(token: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl TokenCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The principal and the verifying key's `kid` of a token seen before.
    pub fn get(&self, token: &str, now: u64) -> Option<(Principal, String)> {
        let key = digest(token);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(&key) {
            Some(hit) if now <= hit.valid_until => Some((hit.principal.clone(), hit.kid.clone())),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    pub fn insert(&self, token: &str, kid: &str, principal: Principal, valid_until: u64, now: u64) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.retain(|_, cached| cached.valid_until >= now);
            // Still full of live tokens: start over rather than track recency;
            // the cost is one signature check per active token.
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            digest(token),
            Cached {
                principal,
                kid: kid.to_owned(),
                valid_until,
            },
        );
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use domain::UserId;

    fn alice() -> Principal {
        Principal {
            user: UserId::new("alice").unwrap(),
            role: Role::User,
            access: crate::auth::grants::Access::ALL,
            issued_at: None,
        }
    }

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let cache = TokenCache::new(2);
        cache.insert("a", "k", alice(), 100, 0);
        assert_eq!(cache.get("a", 100), Some((alice(), "k".to_owned())));
        assert_eq!(cache.get("a", 101), None);
        assert_eq!(cache.len(), 0);

        cache.insert("a", "k", alice(), 10, 0);
        cache.insert("b", "k", alice(), 1000, 0);
        // "a" has expired by now and is evicted to make room.
        cache.insert("c", "k", alice(), 1000, 50);
        assert_eq!(cache.len(), 2);
        assert!(cache.get("b", 50).is_some());
        cache.insert("d", "k", alice(), 1000, 50);
        assert!(cache.len() <= 2);
    }
}

//! The seeded PRNG that times the kills, and its seed (printed, so a failing
//! run can be repeated).

use std::time::{SystemTime, UNIX_EPOCH};

/// splitmix64: small, seedable, good enough to spread kill times.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(super) fn fork(&mut self) -> Rng {
        Rng(self.next())
    }
}

pub(super) fn seed() -> u64 {
    let seed = std::env::var("IMAGE_SERVICE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    eprintln!("crash test seed: {seed} (rerun with IMAGE_SERVICE_CRASH_SEED={seed})");
    seed
}

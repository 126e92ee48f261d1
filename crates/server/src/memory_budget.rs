//! The memory budget uploads are admitted through, in units of what decoding
//! them will cost.
//!
//! First fit, not first come: an upload that fits in what is free starts even
//! when a larger one that does not fit is waiting ahead of it, so small images
//! keep flowing while a 40-megapixel one waits for room. A FIFO semaphore
//! would hold them all behind it. So that a stream of small uploads cannot
//! starve a large one, a waiter that has been overtaken for [`MAX_OVERTAKEN`]
//! holds back everything behind it until it fits.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// How long later, smaller uploads may overtake a waiting one.
pub const MAX_OVERTAKEN: Duration = Duration::from_secs(2);

pub struct MemoryBudget {
    total: u64,
    max_overtaken: Duration,
    state: Mutex<State>,
}

struct State {
    available: u64,
    waiting: VecDeque<Waiter>,
}

struct Waiter {
    cost: u64,
    since: Instant,
    grant: oneshot::Sender<Reservation>,
}

/// A share of the budget, given back when dropped.
#[must_use]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    cost: u64,
}

impl MemoryBudget {
    pub fn new(total: u64) -> Arc<Self> {
        Self::with_max_overtaken(total, MAX_OVERTAKEN)
    }

    fn with_max_overtaken(total: u64, max_overtaken: Duration) -> Arc<Self> {
        Arc::new(Self {
            total,
            max_overtaken,
            state: Mutex::new(State {
                available: total,
                waiting: VecDeque::new(),
            }),
        })
    }

    /// Waits until `cost` (at most the whole budget) fits, then holds it.
    /// Cancelling the wait (the client went away) gives back whatever it got.
    pub async fn reserve(self: &Arc<Self>, cost: u64) -> Reservation {
        let cost = cost.min(self.total);
        let granted = {
            let mut state = self.lock();
            let (grant, granted) = oneshot::channel();
            state.waiting.push_back(Waiter {
                cost,
                since: Instant::now(),
                grant,
            });
            self.dispatch(&mut state);
            granted
        };
        // The sender is only dropped after a send, so this never fails; a
        // reservation of nothing is the harmless answer if it ever did.
        granted.await.unwrap_or_else(|_| Reservation {
            budget: self.clone(),
            cost: 0,
        })
    }

    #[cfg(test)]
    fn available(&self) -> u64 {
        self.lock().available
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every await-free step; a panic
        // elsewhere while holding the lock leaves nothing half-done.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn release(self: &Arc<Self>, cost: u64) {
        let mut state = self.lock();
        state.available += cost;
        self.dispatch(&mut state);
    }

    /// Grants, in arrival order, every waiter that fits, skipping those that
    /// do not, until one that has waited `max_overtaken` does not fit.
    fn dispatch(self: &Arc<Self>, state: &mut State) {
        let mut i = 0;
        while i < state.waiting.len() {
            let waiter = &state.waiting[i];
            if waiter.grant.is_closed() {
                state.waiting.remove(i);
                continue;
            }
            if waiter.cost <= state.available {
                let Some(waiter) = state.waiting.remove(i) else {
                    break;
                };
                state.available -= waiter.cost;
                let reservation = Reservation {
                    budget: self.clone(),
                    cost: waiter.cost,
                };
                if let Err(mut unclaimed) = waiter.grant.send(reservation) {
                    // Gone since the check above: take the cost back here,
                    // not in `Drop`, which would need the lock we hold.
                    state.available += std::mem::take(&mut unclaimed.cost);
                }
                continue;
            }
            if waiter.since.elapsed() >= self.max_overtaken {
                break;
            }
            i += 1;
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.cost > 0 {
            self.budget.release(self.cost);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn pending(
        budget: &Arc<MemoryBudget>,
        cost: u64,
    ) -> tokio::task::JoinHandle<Reservation> {
        let budget = budget.clone();
        let handle = tokio::spawn(async move { budget.reserve(cost).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        handle
    }

    #[tokio::test]
    async fn a_small_reservation_overtakes_a_large_one_that_does_not_fit() {
        let budget = MemoryBudget::new(100);
        let running = budget.reserve(90).await;
        let large = pending(&budget, 90).await;
        let small = budget.reserve(10).await;
        assert_eq!(budget.available(), 0);
        assert!(!large.is_finished());
        drop((running, small));
        let large = large.await.unwrap();
        assert_eq!(budget.available(), 10);
        drop(large);
        assert_eq!(budget.available(), 100);
    }

    #[tokio::test]
    async fn a_long_wait_holds_back_later_reservations() {
        let budget = MemoryBudget::with_max_overtaken(100, Duration::from_millis(50));
        let running = budget.reserve(60).await;
        let large = pending(&budget, 90).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        let small = pending(&budget, 10).await;
        assert!(!small.is_finished(), "overtook a waiter past its limit");
        drop(running);
        drop(large.await.unwrap());
        let small = small.await.unwrap();
        assert_eq!(budget.available(), 90);
        drop(small);
    }

    #[tokio::test]
    async fn a_cancelled_wait_gives_everything_back() {
        let budget = MemoryBudget::new(100);
        let running = budget.reserve(80).await;
        let waiting = pending(&budget, 50).await;
        waiting.abort();
        let _ = waiting.await;
        drop(running);
        assert_eq!(budget.available(), 100);
        assert_eq!(
            budget.reserve(200).await.cost,
            100,
            "clamped to the whole budget"
        );
    }
}

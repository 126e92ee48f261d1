//! Open connections, counted against caps that keep the process below its
//! open-file limit, and closed when idle.
//!
//! Every accepted connection is registered here. When a cap is reached
//! (in total, or for one client address) the oldest *idle* connection —
//! no request in flight — is asked to close to make room, so a flood of
//! idle connections cannot lock out a new client, not even one from the same
//! address (a load balancer's health check). Only when none is idle is the
//! new connection refused. A connection idle for `idle_timeout` is closed
//! too. A connection closed to make room is idle, so it is dropped at once
//! (its file descriptor is the point); otherwise closing is graceful.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// File descriptors kept free of client connections: the stores' pools,
/// files being written, the admin listener, logs.
const RESERVED_FILES: u64 = 128;

/// The caps, from the configuration and the process's open-file limit.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub total: usize,
    pub per_ip: usize,
    pub idle_timeout: Duration,
}

impl ConnectionLimits {
    /// `total` unset: three quarters of the open-file limit, less a reserve
    /// (and never more than that when set).
    pub fn new(total: Option<usize>, per_ip: usize, idle_timeout: Duration) -> Self {
        let ceiling = open_file_limit()
            .map(|files| files.saturating_sub(RESERVED_FILES).max(16) * 3 / 4)
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let total = total.unwrap_or(ceiling).min(ceiling).max(1);
        Self {
            total,
            per_ip: per_ip.clamp(1, total),
            idle_timeout,
        }
    }
}

/// The soft `RLIMIT_NOFILE` (the one `accept` fails at); `None` when unlimited.
fn open_file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// What a connection's task and its requests share.
pub struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds since `Connections::epoch` of the last request's end.
    last_active: AtomicU64,
    closing: AtomicBool,
    /// Closed to make room at a cap, rather than at shutdown.
    shed: AtomicBool,
    close: Notify,
    epoch: Instant,
}

impl Activity {
    pub fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// How long no request has been in flight; zero while one is.
    pub fn idle_for(&self) -> Duration {
        if !self.idle() {
            return Duration::ZERO;
        }
        let last = Duration::from_millis(self.last_active.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(last)
    }

    /// A request has started; it ends when the guard drops.
    pub fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(self))
    }

    /// Resolves once the connection has been asked to close.
    pub async fn closed(&self) {
        if !self.closing() {
            self.close.notified().await;
        }
    }

    /// Whether it has been asked to close (shed, or shutdown).
    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Whether it was asked to close to make room for another connection.
    pub fn was_shed(&self) -> bool {
        self.shed.load(Ordering::Acquire)
    }

    fn ask_to_close(&self, shed: bool) {
        self.shed.fetch_or(shed, Ordering::AcqRel);
        self.closing.store(true, Ordering::Release);
        // A stored permit, so a task not waiting yet (mid-handshake) sees it.
        self.close.notify_one();
    }
}

/// A request in flight on a connection.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let now = self.0.epoch.elapsed().as_millis();
        self.0
            .last_active
            .store(u64::try_from(now).unwrap_or(u64::MAX), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Open {
    ip: IpAddr,
    opened: Instant,
    activity: Arc<Activity>,
}

#[derive(Default)]
struct Books {
    next_id: u64,
    open: HashMap<u64, Open>,
    per_ip: HashMap<IpAddr, usize>,
}

impl Books {
    fn remove(&mut self, id: u64) -> Option<Open> {
        let open = self.open.remove(&id)?;
        if let Some(count) = self.per_ip.get_mut(&open.ip) {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&open.ip);
            }
        }
        metrics::gauge!("http_connections_open").set(self.open.len() as f64);
        Some(open)
    }

    /// Asks the oldest idle connection (of `ip`, when given) to close and
    /// takes it off the books; false when every candidate is busy.
    fn shed_oldest_idle(&mut self, ip: Option<IpAddr>, reason: &'static str) -> bool {
        let oldest = self
            .open
            .iter()
            .filter(|(_, o)| ip.is_none_or(|ip| o.ip == ip) && o.activity.idle())
            .min_by_key(|(_, o)| o.opened)
            .map(|(id, _)| *id);
        let Some(open) = oldest.and_then(|id| self.remove(id)) else {
            return false;
        };
        open.activity.ask_to_close(true);
        metrics::counter!("http_connections_shed_total", "reason" => reason).increment(1);
        true
    }
}

pub struct Connections {
    limits: ConnectionLimits,
    /// Addresses exempt from the per-address cap: every client behind a
    /// trusted proxy arrives from the proxy's address.
    proxies: Vec<IpAddr>,
    books: Mutex<Books>,
    epoch: Instant,
}

/// A connection's place on the books, given back when dropped.
pub struct Admitted {
    connections: Arc<Connections>,
    id: u64,
    pub activity: Arc<Activity>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.connections.books().remove(self.id);
    }
}

impl Connections {
    pub fn new(limits: ConnectionLimits, proxies: Vec<IpAddr>) -> Arc<Self> {
        tracing::info!(
            max_connections = limits.total,
            max_connections_per_ip = limits.per_ip,
            idle_timeout_secs = limits.idle_timeout.as_secs(),
            "connection limits"
        );
        Arc::new(Self {
            limits,
            proxies,
            books: Mutex::default(),
            epoch: Instant::now(),
        })
    }

    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection from `ip`, making room by closing an idle
    /// one if a cap is reached; `None` when there is no room.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let mut books = self.books();
        let capped_ip = !self.proxies.contains(&ip);
        if capped_ip
            && books.per_ip.get(&ip).copied().unwrap_or(0) >= self.limits.per_ip
            && !books.shed_oldest_idle(Some(ip), "per_ip")
        {
            metrics::counter!("http_connections_shed_total", "reason" => "refused").increment(1);
            return None;
        }
        if books.open.len() >= self.limits.total && !books.shed_oldest_idle(None, "total") {
            metrics::counter!("http_connections_shed_total", "reason" => "refused").increment(1);
            return None;
        }
        let id = books.next_id;
        books.next_id += 1;
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(
                u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX),
            ),
            closing: AtomicBool::new(false),
            shed: AtomicBool::new(false),
            close: Notify::new(),
            epoch: self.epoch,
        });
        books.open.insert(
            id,
            Open {
                ip,
                opened: Instant::now(),
                activity: Arc::clone(&activity),
            },
        );
        *books.per_ip.entry(ip).or_default() += 1;
        metrics::gauge!("http_connections_open").set(books.open.len() as f64);
        Some(Admitted {
            connections: Arc::clone(self),
            id,
            activity,
        })
    }

    /// Asks every connection to close (shutdown).
    pub fn close_all(&self) {
        for open in self.books().open.values() {
            open.activity.ask_to_close(false);
        }
    }

    pub fn open_count(&self) -> usize {
        self.books().open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_ip: usize) -> ConnectionLimits {
        ConnectionLimits {
            total,
            per_ip,
            idle_timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_full_address_makes_room_by_closing_its_oldest_idle_connection() {
        let connections = Connections::new(limits(10, 2), Vec::new());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let first = connections.admit(ip).unwrap();
        let second = connections.admit(ip).unwrap();
        let _busy = second.activity.busy();
        let third = connections.admit(ip).expect("room made");
        assert!(first.activity.closing.load(Ordering::Acquire));
        assert!(first.activity.was_shed());
        assert!(!second.activity.closing.load(Ordering::Acquire));
        // Now both held connections are busy: no room.
        let _busy_third = third.activity.busy();
        assert!(connections.admit(ip).is_none());
        // Another address is not affected.
        assert!(connections.admit("192.0.2.2".parse().unwrap()).is_some());
    }

    #[test]
    fn the_total_cap_sheds_anyones_oldest_idle_connection() {
        let connections = Connections::new(limits(2, 2), Vec::new());
        let a = connections.admit("192.0.2.1".parse().unwrap()).unwrap();
        let _b = connections.admit("192.0.2.2".parse().unwrap()).unwrap();
        let _c = connections.admit("192.0.2.3".parse().unwrap()).unwrap();
        assert!(a.activity.closing.load(Ordering::Acquire));
        assert_eq!(connections.open_count(), 2);
    }

    #[test]
    fn trusted_proxies_are_not_capped_per_address() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let connections = Connections::new(limits(10, 1), vec![proxy]);
        let held: Vec<_> = (0..5).map(|_| connections.admit(proxy).unwrap()).collect();
        assert!(
            held.iter()
                .all(|c| !c.activity.closing.load(Ordering::Acquire))
        );
    }

    #[test]
    fn the_open_file_limit_bounds_the_total() {
        let derived = ConnectionLimits::new(None, 100, Duration::from_secs(1));
        let files = open_file_limit().expect("a limit is set");
        assert!(
            (derived.total as u64) < files,
            "{} vs {files}",
            derived.total
        );
        let asked = ConnectionLimits::new(Some(usize::MAX), 100, Duration::from_secs(1));
        assert_eq!(asked.total, derived.total);
    }
}

//! The kill rounds: each starts the service, lets the request tasks run for a
//! random moment, then SIGKILLs it with requests in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::ledger::{Ledger, Shared, problem};
use super::rng::{Rng, seed};
use super::setup::Setup;
use super::traffic::{Api, deleter, patcher, uploader};
use super::{MAX_KILL_DELAY_MS, UPLOADERS, USERS};

/// What the kill rounds leave behind for the checks.
pub(super) struct Aftermath {
    /// Everything the service acknowledged before each kill.
    pub(super) ledger: Ledger,
    /// One bearer token per user in `USERS`.
    pub(super) tokens: Arc<Vec<String>>,
    /// Rounds in which at least one upload was acknowledged before the kill.
    pub(super) kills_with_work: usize,
}

pub(super) async fn kill_rounds(setup: &Setup<'_>, rounds: usize) -> Aftermath {
    let mut rng = Rng(seed());
    let ledger: Shared = Arc::default();
    let mut tokens: Option<Arc<Vec<String>>> = None;
    let mut kills_with_work = 0;

    for round in 0..rounds {
        let mut app = setup.spawn().await;
        let tokens = tokens
            .get_or_insert_with(|| Arc::new(USERS.iter().map(|u| app.token(u)).collect()))
            .clone();
        let api = Api::new(&app, &tokens);
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..UPLOADERS {
            let task = uploader(api.clone(), ledger.clone(), rng.fork(), stop.clone(), round);
            tasks.push(tokio::spawn(task));
        }
        let task = patcher(api.clone(), ledger.clone(), rng.fork(), stop.clone());
        tasks.push(tokio::spawn(task));
        let task = deleter(api.clone(), ledger.clone(), rng.fork(), stop.clone());
        tasks.push(tokio::spawn(task));

        let before = ledger.lock().unwrap().uploads;
        tokio::time::sleep(Duration::from_millis(rng.below(MAX_KILL_DELAY_MS + 1))).await;
        // No new requests from here; those in flight are cut off by the kill.
        stop.store(true, Ordering::Relaxed);
        app.stop(); // SIGKILL, then reaped
        for task in tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .is_err()
            {
                abort.abort();
                problem(
                    &ledger,
                    format!("round {round}: a request hung after the kill"),
                );
            }
        }
        if ledger.lock().unwrap().uploads > before {
            kills_with_work += 1;
        }
    }

    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    Aftermath {
        ledger,
        tokens: tokens.expect("at least one round"),
        kills_with_work,
    }
}

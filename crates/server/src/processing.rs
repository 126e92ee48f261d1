//! The bounded image-processing pool: a memory budget weighted by what
//! decoding will cost (pixels × channels, first fit so small images pass
//! large ones waiting for room), one worker per core, and a bounded queue past
//! which uploads get 503 `OVERLOADED` instead of piling up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use pipeline::{PipelineError, Processed, Settings};
use tokio::sync::Semaphore;

use crate::http::error::ApiError;
use crate::memory_budget::MemoryBudget;

const MIB: u64 = 1024 * 1024;

pub struct Processor {
    settings: Arc<Settings>,
    workers: Arc<Semaphore>,
    /// In MiB.
    memory: Arc<MemoryBudget>,
    in_flight: AtomicUsize,
    max_in_flight: usize,
}

impl Processor {
    pub fn new(settings: Settings, workers: usize, queue: usize, budget_bytes: u64) -> Self {
        Self {
            settings: Arc::new(settings),
            workers: Arc::new(Semaphore::new(workers)),
            memory: MemoryBudget::new((budget_bytes / MIB).max(1)),
            in_flight: AtomicUsize::new(0),
            max_in_flight: workers + queue,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Uploads waiting or being processed now.
    pub fn depth(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Validates from the header, waits for budget and a worker, then runs the
    /// pipeline on the blocking pool. Every outcome is counted in
    /// `uploads_processed_total`.
    pub async fn process(&self, bytes: Bytes) -> Result<Processed, ApiError> {
        let result = self.admit_and_run(bytes).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(ApiError::Overloaded) => "overloaded",
            Err(ApiError::Internal(_)) => "failed",
            Err(_) => "refused",
        };
        metrics::counter!("uploads_processed_total", "outcome" => outcome).increment(1);
        result
    }

    async fn admit_and_run(&self, bytes: Bytes) -> Result<Processed, ApiError> {
        let probe = pipeline::probe(&bytes, &self.settings).map_err(map_error)?;
        let cost_mib = pipeline::decode_cost_bytes(&probe).div_ceil(MIB).max(1);

        let queued = Instant::now();
        let _slot =
            InFlight::enter(&self.in_flight, self.max_in_flight).ok_or(ApiError::Overloaded)?;
        let _memory = self.memory.reserve(cost_mib).await;
        let _worker = self
            .workers
            .acquire()
            .await
            .map_err(|_| ApiError::Overloaded)?;
        metrics::histogram!("processing_wait_seconds").record(queued.elapsed().as_secs_f64());

        let settings = self.settings.clone();
        let span = tracing::Span::current();
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let _enter = span.enter();
            pipeline::process(&bytes, &settings)
        })
        .await;
        metrics::histogram!("processing_duration_seconds").record(started.elapsed().as_secs_f64());
        result
            .map_err(|e| ApiError::internal(format!("pipeline task failed: {e}")))?
            .map_err(map_error)
    }
}

/// Counts an upload in the pool for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a AtomicUsize, max: usize) -> Option<Self> {
        let previous = counter.fetch_add(1, Ordering::AcqRel);
        if previous >= max {
            counter.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Self(counter))
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub fn map_error(err: PipelineError) -> ApiError {
    match err {
        PipelineError::UnsupportedType => ApiError::UnsupportedFileType,
        PipelineError::TooLarge { width, height } => ApiError::ImageTooLarge(format!(
            "The image is {width}x{height}; at most 50,000,000 pixels and 16384 px a side are accepted"
        )),
        PipelineError::Animated => {
            ApiError::InvalidImage("animated images are not accepted".into())
        }
        PipelineError::Invalid(why) => ApiError::InvalidImage(why),
    }
}

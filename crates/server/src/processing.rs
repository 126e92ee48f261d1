//! The bounded image-processing pool: a memory budget weighted by what
//! decoding will cost (pixels × channels, first fit so small images pass
//! large ones waiting for room), one worker per core, and a bounded queue past
//! which uploads get 503 `OVERLOADED` instead of piling up.
//!
//! Failures are a [`ProcessingError`]: what the client sent is refused, the
//! pool is full, or something failed on our side. The HTTP layer maps each
//! to its status and code.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use pipeline::{Encoded, PipelineError, Processed, Settings};
use tokio::sync::Semaphore;

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
    /// `uploads_processed_total`. `thumbnail_ready` gets the thumbnail while
    /// the display variant is still being encoded (see [`pipeline::process_with`]).
    pub async fn process(
        &self,
        bytes: Bytes,
        thumbnail_ready: impl FnOnce(&Encoded) + Send + 'static,
    ) -> Result<Processed, ProcessingError> {
        let result = self.admit_and_run(bytes, thumbnail_ready).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(ProcessingError::Overloaded) => "overloaded",
            Err(ProcessingError::Internal(_)) => "failed",
            Err(_) => "refused",
        };
        metrics::counter!("uploads_processed_total", "outcome" => outcome).increment(1);
        result
    }

    async fn admit_and_run(
        &self,
        bytes: Bytes,
        thumbnail_ready: impl FnOnce(&Encoded) + Send + 'static,
    ) -> Result<Processed, ProcessingError> {
        let probe = pipeline::probe(&bytes, &self.settings).map_err(|e| self.refusal(e))?;
        let cost_mib = pipeline::decode_cost_bytes(&probe).div_ceil(MIB).max(1);

        let queued = Instant::now();
        let _slot = InFlight::enter(&self.in_flight, self.max_in_flight)
            .ok_or(ProcessingError::Overloaded)?;
        let _memory = self.memory.reserve(cost_mib).await;
        let _worker = self
            .workers
            .acquire()
            .await
            .map_err(|_| ProcessingError::Overloaded)?;
        metrics::histogram!("processing_wait_seconds").record(queued.elapsed().as_secs_f64());

        let settings = self.settings.clone();
        let span = tracing::Span::current();
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let _enter = span.enter();
            pipeline::process_with(&bytes, &settings, thumbnail_ready)
        })
        .await;
        metrics::histogram!("processing_duration_seconds").record(started.elapsed().as_secs_f64());
        // A worker that panicked is our fault, whatever the image was.
        result
            .map_err(|e| ProcessingError::Internal(format!("pipeline task failed: {e}")))?
            .map_err(|e| self.refusal(e))
    }
}

impl Processor {
    fn refusal(&self, err: PipelineError) -> ProcessingError {
        ProcessingError::classify(err, &self.settings)
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

/// Why an upload was not processed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessingError {
    /// Not JPEG, PNG or WebP by its bytes.
    #[error("not a JPEG, PNG or WebP image")]
    UnsupportedType,
    /// Over the configured pixel or side limit, from the header; carries
    /// the limits in force so the client can be told them.
    #[error("image of {width}x{height} pixels is over the size limit")]
    TooLarge {
        width: u32,
        height: u32,
        max_pixels: u64,
        max_side: u32,
    },
    /// Empty, truncated, corrupt or lying about itself.
    #[error("invalid image: {0}")]
    Invalid(String),
    /// Valid, but in a form not taken (animated, 12-bit JPEG …): named.
    #[error("{0} is not supported")]
    Unsupported(&'static str),
    /// The pool and its queue are full.
    #[error("processing pool full")]
    Overloaded,
    /// Our fault, not the upload's.
    #[error("processing failed: {0}")]
    Internal(String),
}

impl ProcessingError {
    /// Whose fault a pipeline failure is: the upload's, or ours.
    fn classify(err: PipelineError, settings: &Settings) -> Self {
        match err {
            PipelineError::UnsupportedType => Self::UnsupportedType,
            PipelineError::TooLarge { width, height } => Self::TooLarge {
                width,
                height,
                max_pixels: settings.max_pixels,
                max_side: settings.max_side,
            },
            PipelineError::Unsupported(what) => Self::Unsupported(what),
            PipelineError::Invalid(why) => Self::Invalid(why),
            PipelineError::Internal(why) => Self::Internal(why),
        }
    }
}

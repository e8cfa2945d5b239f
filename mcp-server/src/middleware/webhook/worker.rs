//! The workers: they take events off the queue (one at a time, or in batches), hand them to
//! `delivery.rs`, keep the counters, and flush the queue at shutdown.

use super::config::{Batch, Config};
use super::delivery::{deliver, BodyPool, LogLimiter};
use super::queue::{EventQueue, Push};
use super::record::Record;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// State shared by the middleware handle and its workers.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) client: reqwest::Client,
    pub(crate) bodies: Arc<BodyPool>,
    queue: EventQueue,
    /// Held by the one worker taking events off the queue; the others are delivering meanwhile.
    turn: tokio::sync::Mutex<()>,
    started: OnceLock<bool>,
    tracker: TaskTracker,
    /// The shutdown deadline passed: give up on what is left.
    pub(crate) abandon: CancellationToken,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: AtomicU64,
    drop_log: LogLimiter,
    pub(crate) fail_log: LogLimiter,
}

/// Why an event was not delivered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DropReason {
    QueueFull,
    ShutDown,
    NoRuntime,
}

impl Shared {
    pub(crate) fn new(config: Config, client: reqwest::Client) -> Self {
        // Calibrates the event clock here, at build time, rather than on the first tool call.
        let _ = super::record::now();
        Self {
            queue: EventQueue::new(config.queue_capacity),
            bodies: BodyPool::new(config.workers + 1),
            config,
            client,
            turn: tokio::sync::Mutex::new(()),
            started: OnceLock::new(),
            tracker: TaskTracker::new(),
            abandon: CancellationToken::new(),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            drop_log: LogLimiter::new(),
            fail_log: LogLimiter::new(),
        }
    }

    /// Events waiting in the queue (a worker gathering a batch holds some more).
    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Queues the record `make` builds, holding `events` events, without waiting. A full (or
    /// closed) queue is seen before the record is built, so overload costs no allocation: the
    /// events are dropped, counted, and logged (rate-limited).
    pub(crate) fn enqueue(self: &Arc<Self>, events: usize, make: impl FnOnce() -> Record) {
        if self.queue.is_closed() {
            return self.count_drop(DropReason::ShutDown, events);
        }
        if !*self.started.get_or_init(|| Self::start(self)) {
            return self.count_drop(DropReason::NoRuntime, events);
        }
        match self.queue.push(make) {
            Push::Queued => {}
            refused => self.count_drop(refused.into(), events),
        }
    }

    /// Spawns the workers on the current runtime (the first event's).
    fn start(this: &Arc<Self>) -> bool {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return false };
        for _ in 0..this.config.workers {
            this.tracker.spawn_on(run_worker(Arc::clone(this)), &rt);
        }
        true
    }

    pub(crate) fn count_drop(&self, reason: DropReason, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        let before = self.dropped.fetch_add(n, Ordering::Relaxed);
        let total = before + n;
        // Under overload this runs for every call: look at the clock only for the first drop and
        // whenever the total crosses a multiple of 256.
        if before == 0 || before / 256 != total / 256 {
            if let Some(suppressed) = self.drop_log.allow() {
                tracing::warn!(?reason, dropped_total = total, suppressed, "webhook events dropped");
            }
        }
    }

    /// Stops accepting events, then delivers what is queued within the shutdown timeout; events
    /// still undelivered after it are dropped (and counted).
    pub(crate) async fn shutdown(&self) {
        self.queue.close();
        if self.started.get().is_none() {
            return;
        }
        self.tracker.close();
        let deadline = self.config.shutdown_timeout;
        if tokio::time::timeout(deadline, self.tracker.wait()).await.is_err() {
            self.abandon.cancel();
            // Abandoning is prompt: every await in a worker races `abandon`.
            self.tracker.wait().await;
            tracing::warn!(?deadline, dropped_total = self.dropped.load(Ordering::Relaxed), "webhook flush timed out");
        }
    }
}

impl From<Push> for DropReason {
    fn from(p: Push) -> Self {
        match p {
            Push::Full => Self::QueueFull,
            Push::Closed | Push::Queued => Self::ShutDown,
        }
    }
}

async fn run_worker(shared: Arc<Shared>) {
    let batch = shared.config.batch;
    let max = batch.map_or(1, |b| b.max_events);
    // Buffers reused for every request this worker sends.
    let mut records = Vec::with_capacity(max.min(4096));
    let mut runs = Vec::new();
    loop {
        let mut taken = 0;
        {
            let _turn = tokio::select! {
                biased;
                t = shared.turn.lock() => t,
                () = shared.abandon.cancelled() => return,
            };
            loop {
                taken += shared.queue.take(&mut records, &mut runs, max);
                if taken > 0 {
                    break;
                }
                if shared.queue.is_finished() {
                    return;
                }
                tokio::select! {
                    biased;
                    _ = shared.queue.wait_for(1, None) => {}
                    () = shared.abandon.cancelled() => return,
                }
            }
            if let Some(batch) = batch {
                taken += fill(&shared, &mut records, &mut runs, batch, taken).await;
            }
        }
        if shared.abandon.is_cancelled() {
            shared.count_drop(DropReason::ShutDown, taken);
        } else {
            tokio::select! {
                () = deliver(&shared, &records, &runs) => {}
                () = shared.abandon.cancelled() => shared.count_drop(DropReason::ShutDown, taken),
            }
        }
        records.clear();
        runs.clear();
    }
}

/// Adds queued records to `records` (which holds `taken` events) until they hold `max_events`
/// events, `max_delay` has passed since the first one, or shutdown began (a partial batch then
/// goes at once). Returns how many events it added.
async fn fill(shared: &Shared, records: &mut Vec<Record>, runs: &mut Vec<usize>, batch: Batch, taken: usize) -> usize {
    let deadline = tokio::time::Instant::now() + batch.max_delay;
    let mut held = taken;
    loop {
        held += shared.queue.take(records, runs, batch.max_events.saturating_sub(held));
        let missing = batch.max_events.saturating_sub(held);
        if missing == 0 || shared.queue.is_closed() {
            return held - taken;
        }
        // Woken by half a queue at most: a batch larger than the queue is gathered in several
        // takes, before the queue overflows.
        let need = missing.min(shared.queue.capacity() / 2);
        let woken = tokio::select! {
            biased;
            w = shared.queue.wait_for(need, Some(deadline)) => w,
            () = shared.abandon.cancelled() => false,
        };
        if !woken {
            // Deadline: take what is there and go.
            held += shared.queue.take(records, runs, batch.max_events.saturating_sub(held));
            return held - taken;
        }
    }
}

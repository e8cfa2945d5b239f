//! The queue and its one consumer: calls `try_send` events into a bounded channel (never
//! waiting); a single dispatcher task takes them off, forms batches (full, or `max_delay` after
//! their first event, whoever queued them), and hands each to a delivery, at most `workers` at
//! once. At shutdown the queue closes and what it holds is delivered within the timeout.

use super::config::Config;
use super::delivery::{deliver, worth_logging};
use super::WebhookPayload;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Where batches go: the endpoint, or (in unit tests) a channel.
pub(crate) enum Sink {
    Http(reqwest::Client),
    #[cfg(test)]
    Channel(mpsc::UnboundedSender<Vec<WebhookPayload>>),
}

/// State shared by the middleware handle, its dispatcher and its deliveries.
pub(crate) struct Shared {
    pub(crate) url: reqwest::Url,
    pub(crate) config: Config,
    pub(crate) sink: Sink,
    tx: mpsc::Sender<WebhookPayload>,
    rx: Mutex<Option<mpsc::Receiver<WebhookPayload>>>,
    started: OnceLock<bool>,
    tracker: TaskTracker,
    /// Shutdown began: new events are dropped, the queue is flushed.
    closing: CancellationToken,
    /// The shutdown timeout passed: give up on what is left.
    abandon: CancellationToken,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

impl Shared {
    pub(crate) fn new(url: reqwest::Url, config: Config, sink: Sink) -> Self {
        let (tx, rx) = mpsc::channel(config.queue_capacity);
        Self {
            url,
            config,
            sink,
            tx,
            rx: Mutex::new(Some(rx)),
            started: OnceLock::new(),
            tracker: TaskTracker::new(),
            closing: CancellationToken::new(),
            abandon: CancellationToken::new(),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Events waiting in the queue (a batch being formed or delivered holds some more).
    pub(crate) fn queued(&self) -> usize {
        self.config.queue_capacity - self.tx.capacity()
    }

    /// Queues an event without waiting; a full queue (or a server shutting down) drops it,
    /// counted and logged at a bounded rate.
    pub(crate) fn enqueue(self: &Arc<Self>, event: WebhookPayload) {
        if self.closing.is_cancelled() {
            return self.count_drop("the server is shutting down", 1);
        }
        if !*self.started.get_or_init(|| Self::start(self)) {
            return self.count_drop("no Tokio runtime", 1);
        }
        if self.tx.try_send(event).is_err() {
            self.count_drop("the queue is full", 1);
        }
    }

    /// Spawns the dispatcher on the current runtime (the first event's).
    fn start(this: &Arc<Self>) -> bool {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return false };
        let Some(rx) = this.rx.lock().unwrap_or_else(PoisonError::into_inner).take() else { return false };
        this.tracker.spawn_on(run(Arc::clone(this), rx), &rt);
        true
    }

    pub(crate) fn count_drop(&self, reason: &'static str, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        let before = self.dropped.fetch_add(n, Ordering::Relaxed);
        if (before + 1..=before + n).any(worth_logging) {
            tracing::warn!(reason, dropped_total = before + n, "webhook events dropped");
        }
    }

    /// Stops accepting events, then delivers what is queued within the shutdown timeout; what is
    /// still undelivered after it is dropped (and counted).
    pub(crate) async fn shutdown(&self) {
        self.closing.cancel();
        if self.started.get().is_none() {
            return;
        }
        self.tracker.close();
        // Should the caller stop waiting (an outer timeout dropping this future), what is left is
        // abandoned and counted as dropped rather than delivered behind its back.
        let abandon_if_dropped = self.abandon.clone().drop_guard();
        let deadline = self.config.shutdown_timeout;
        if tokio::time::timeout(deadline, self.tracker.wait()).await.is_err() {
            self.abandon.cancel();
            // Abandoning is prompt: every await in the dispatcher and the deliveries races it.
            self.tracker.wait().await;
            tracing::warn!(?deadline, dropped_total = self.dropped.load(Ordering::Relaxed), "webhook flush timed out");
        }
        abandon_if_dropped.disarm();
    }
}

/// A deadline that never comes (about 30 years), for delays too large to add to `Instant::now()`.
const FAR_FUTURE: std::time::Duration = std::time::Duration::from_secs(86_400 * 365 * 30);

/// The dispatcher: batches in arrival order, hands them to at most `workers` deliveries at once.
async fn run(shared: Arc<Shared>, mut rx: mpsc::Receiver<WebhookPayload>) {
    let max = shared.config.batch.map_or(1, |b| b.max_events);
    let workers = Arc::new(Semaphore::new(shared.config.workers));
    loop {
        let mut events = Vec::with_capacity(max.min(1024));
        tokio::select! {
            biased;
            () = shared.abandon.cancelled() => break,
            n = rx.recv_many(&mut events, max) => if n == 0 { break },
            () = shared.closing.cancelled(), if !rx.is_closed() => {
                rx.close();
                continue;
            }
        }
        if let Some(batch) = shared.config.batch {
            // A `max_delay` too large to add (`Duration::MAX`: "only when full") never passes.
            let now = tokio::time::Instant::now();
            let deadline = now.checked_add(batch.max_delay).unwrap_or_else(|| now + FAR_FUTURE);
            fill(&shared, &mut rx, &mut events, max, deadline).await;
            // Oldest first: events are stamped just before they are queued, so calls on other
            // threads can queue slightly out of order. The sort is stable: a call's `tool.call`
            // stays before its outcome.
            events.sort_by(|a, b| a.timestamp.total_cmp(&b.timestamp));
        }
        let permit = tokio::select! {
            biased;
            () = shared.abandon.cancelled() => {
                shared.count_drop("the shutdown timeout passed", events.len());
                break;
            }
            p = Arc::clone(&workers).acquire_owned() => p,
        };
        let delivery = Arc::clone(&shared);
        shared.tracker.spawn(async move {
            let _permit = permit;
            let n = events.len();
            tokio::select! {
                () = deliver(&delivery, events) => {}
                () = delivery.abandon.cancelled() => delivery.count_drop("the shutdown timeout passed", n),
            }
        });
    }
    // Abandoned: whatever is still queued is dropped.
    rx.close();
    let mut left = 0;
    while rx.try_recv().is_ok() {
        left += 1;
    }
    if left > 0 {
        shared.count_drop("the shutdown timeout passed", left);
    }
}

/// Adds queued events to the batch until it holds `max`, `deadline` passes, or shutdown begins
/// (a partial batch then goes at once).
async fn fill(
    shared: &Shared,
    rx: &mut mpsc::Receiver<WebhookPayload>,
    events: &mut Vec<WebhookPayload>,
    max: usize,
    deadline: tokio::time::Instant,
) {
    while events.len() < max && !shared.closing.is_cancelled() {
        tokio::select! {
            biased;
            n = rx.recv_many(events, max - events.len()) => if n == 0 { return },
            () = tokio::time::sleep_until(deadline) => return,
            () = shared.closing.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{WebhookBuilder, WebhookEvent};
    use super::*;
    use std::time::Duration;

    fn event(n: usize) -> WebhookPayload {
        WebhookPayload {
            event: WebhookEvent::ToolCall,
            tool: "t".into(),
            client_id: None,
            request_id: n.to_string(),
            timestamp: 0.0,
            error: None,
        }
    }

    fn webhook(b: WebhookBuilder) -> (Arc<Shared>, mpsc::UnboundedReceiver<Vec<WebhookPayload>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (url, config) = b.config().unwrap_or_else(|e| panic!("{e}"));
        (Arc::new(Shared::new(url, config, Sink::Channel(tx))), rx)
    }

    fn ids(batch: &[WebhookPayload]) -> Vec<String> {
        batch.iter().map(|e| e.request_id.clone()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_goes_when_full_or_max_delay_after_its_first_event() {
        let (shared, mut out) = webhook(WebhookBuilder::new("http://x/").batch(3, Duration::from_millis(100)));
        for n in 0..4 {
            shared.enqueue(event(n));
        }
        assert_eq!(out.recv().await.map(|b| ids(&b)), Some(vec!["0".into(), "1".into(), "2".into()]));
        let started = tokio::time::Instant::now();
        let partial = out.recv().await.unwrap_or_default();
        assert_eq!(ids(&partial), ["3"]);
        assert_eq!(started.elapsed(), Duration::from_millis(100), "a partial batch waits exactly max_delay");
        assert_eq!(shared.delivered.load(Ordering::Relaxed), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn events_from_many_tasks_fill_one_batch() {
        let (shared, mut out) = webhook(WebhookBuilder::new("http://x/").batch(64, Duration::from_secs(1)));
        let tasks: Vec<_> = (0..64)
            .map(|n| {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move { shared.enqueue(event(n)) })
            })
            .collect();
        for t in tasks {
            t.await.unwrap_or_default();
        }
        let batch = out.recv().await.unwrap_or_default();
        assert_eq!(batch.len(), 64, "one full batch, whichever task queued each event");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_drops_and_counts() {
        let (shared, mut out) =
            webhook(WebhookBuilder::new("http://x/").queue_capacity(4).batch(100, Duration::from_secs(1)));
        for n in 0..10 {
            shared.enqueue(event(n));
        }
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 6);
        assert_eq!(out.recv().await.map(|b| b.len()), Some(4));
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_sends_a_partial_batch_at_once_and_drops_later_events() {
        let (shared, mut out) = webhook(WebhookBuilder::new("http://x/").batch(100, Duration::from_secs(60)));
        for n in 0..3 {
            shared.enqueue(event(n));
        }
        tokio::task::yield_now().await;
        let started = tokio::time::Instant::now();
        shared.shutdown().await;
        assert_eq!(started.elapsed(), Duration::ZERO, "no wait for max_delay at shutdown");
        assert_eq!(out.recv().await.map(|b| b.len()), Some(3));
        shared.enqueue(event(9));
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unbounded_max_delay_sends_only_full_batches_until_shutdown() {
        let (shared, mut out) = webhook(WebhookBuilder::new("http://x/").batch(2, Duration::MAX));
        for n in 0..3 {
            shared.enqueue(event(n));
        }
        assert_eq!(out.recv().await.map(|b| ids(&b)), Some(vec!["0".into(), "1".into()]));
        tokio::time::sleep(Duration::from_secs(86_400)).await;
        assert!(out.try_recv().is_err(), "a partial batch waits for more events");
        shared.shutdown().await;
        assert_eq!(out.recv().await.map(|b| ids(&b)), Some(vec!["2".into()]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shutdown_given_up_on_abandons_what_is_left() {
        let (shared, _out) = webhook(WebhookBuilder::new("http://x/"));
        shared.enqueue(event(0));
        // A delivery stuck on a slow endpoint: it ends only when abandoned, as real ones do.
        let abandon = shared.abandon.clone();
        shared.tracker.spawn(async move { abandon.cancelled().await });
        let gave_up = tokio::time::timeout(Duration::from_millis(1), shared.shutdown()).await;
        assert!(gave_up.is_err(), "the flush outlasts the caller's patience");
        assert!(shared.abandon.is_cancelled(), "deliveries stop rather than outlive the shutdown");
        shared.tracker.wait().await;
    }

    #[tokio::test(start_paused = true)]
    async fn one_event_per_delivery_without_batching() {
        let (shared, mut out) = webhook(WebhookBuilder::new("http://x/").workers(1));
        for n in 0..3 {
            shared.enqueue(event(n));
        }
        for n in 0..3 {
            assert_eq!(out.recv().await.map(|b| ids(&b)), Some(vec![n.to_string()]));
        }
    }
}

//! The bounded queue between the call path and the workers.
//!
//! Not a channel: one short `VecDeque` per core ("shard"), each behind its own mutex. A thread
//! always pushes to the same shard, so on the call path the lock and the slots stay in that core's
//! cache: a push is an uncontended lock, a move into preallocated space and an unlock (no
//! per-event allocation, semaphore or waker call). A worker takes a batch shard by shard, copying
//! the events out under the lock. The call path wakes a worker only when that worker asked for
//! it, once a shard holds its share of the events it waits for, so a worker gathering a batch
//! costs the call path nothing per event.

use super::event::QueuedEvent;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Most shards a queue has, whatever the core count.
const MAX_SHARDS: usize = 16;

/// Threads that have pushed to any webhook queue; each takes the next number as its shard index.
static THREADS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_INDEX: Cell<Option<usize>> = const { Cell::new(None) };
}

/// This thread's number (given at its first push).
fn thread_index() -> usize {
    THREAD_INDEX.with(|i| {
        i.get().unwrap_or_else(|| {
            let n = THREADS.fetch_add(1, Ordering::Relaxed);
            i.set(Some(n));
            n
        })
    })
}

/// What [`EventQueue::push`] did with the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    Queued,
    Full,
    Closed,
}

struct ShardState {
    events: VecDeque<QueuedEvent>,
    closed: bool,
}

/// One core's part of the queue, alone on its cache lines.
#[repr(align(128))]
struct Shard {
    state: Mutex<ShardState>,
    /// Mirror of `events.len()`, for lock-free reads.
    len: AtomicUsize,
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, ShardState> {
        // No code panics while holding the lock; should one, the queue's data is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct EventQueue {
    shards: Box<[Shard]>,
    shard_capacity: usize,
    capacity: usize,
    /// Mirror of the shards' `closed`, for the call path's early exit.
    closed: AtomicBool,
    /// The waiting worker wants a notification once a shard holds this many events (0: no
    /// worker waits).
    wake_at: AtomicUsize,
    ready: Notify,
    /// Where the next take starts, so no shard waits behind the others.
    next_take: AtomicUsize,
}

impl EventQueue {
    /// A queue of `capacity` events in all, split evenly between one shard per core.
    pub(crate) fn new(capacity: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_shards(capacity, cores.clamp(1, MAX_SHARDS))
    }

    fn with_shards(capacity: usize, shards: usize) -> Self {
        let shards = shards.clamp(1, capacity.max(1));
        let shard_capacity = capacity.div_ceil(shards);
        let shard = || Shard {
            // Preallocated up to a point; a larger shard grows on demand (and then stays).
            state: Mutex::new(ShardState { events: VecDeque::with_capacity(shard_capacity.min(512)), closed: false }),
            len: AtomicUsize::new(0),
        };
        Self {
            shards: (0..shards).map(|_| shard()).collect(),
            shard_capacity,
            capacity,
            closed: AtomicBool::new(false),
            wake_at: AtomicUsize::new(0),
            ready: Notify::new(),
            next_take: AtomicUsize::new(0),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The shard this thread pushes to first.
    fn own_shard(&self) -> &Shard {
        &self.shards[thread_index() % self.shards.len()]
    }

    /// Events queued (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len.load(Ordering::Relaxed)).sum()
    }

    /// Whether a push from this thread would fail now (a snapshot; [`push`](Self::push) decides
    /// under the lock).
    pub(crate) fn refuses(&self) -> Option<Push> {
        if self.closed.load(Ordering::Acquire) {
            Some(Push::Closed)
        } else if self.own_shard().len.load(Ordering::Relaxed) >= self.shard_capacity && self.len() >= self.capacity {
            Some(Push::Full)
        } else {
            None
        }
    }

    /// Appends `event` to this thread's shard, or when that one is full to another with room,
    /// unless the queue is full or closed: the whole capacity serves even a single thread. Never
    /// waits beyond a short critical section; wakes the waiting worker if this event completes
    /// what it waits for.
    pub(crate) fn push(&self, event: QueuedEvent) -> Push {
        let own = thread_index() % self.shards.len();
        let mut event = Some(event);
        for i in 0..self.shards.len() {
            match self.push_to(&self.shards[(own + i) % self.shards.len()], &mut event) {
                Push::Full => continue,
                done => return done,
            }
        }
        Push::Full
    }

    /// Moves the event out of `event` into `shard` if it has room.
    fn push_to(&self, shard: &Shard, event: &mut Option<QueuedEvent>) -> Push {
        let wake = {
            let mut s = shard.lock();
            if s.closed {
                return Push::Closed;
            }
            if s.events.len() >= self.shard_capacity {
                return Push::Full;
            }
            if let Some(e) = event.take() {
                s.events.push_back(e);
            }
            let n = s.events.len();
            shard.len.store(n, Ordering::Relaxed);
            // Read under the shard lock: a worker sets `wake_at` before it looks at the shards
            // (each under its lock), so either it sees this event or this push sees its request.
            let wake_at = self.wake_at.load(Ordering::Relaxed);
            wake_at != 0 && n >= wake_at && self.wake_at.swap(0, Ordering::AcqRel) != 0
        };
        if wake {
            self.ready.notify_one();
        }
        Push::Queued
    }

    /// Moves up to `max` events to `out`, shard by shard (each shard's oldest first); returns
    /// how many.
    ///
    /// The events are copied out and every buffer keeps its capacity: no shard ever grows from
    /// empty again on the call path, and no large block is freed per batch (which would cost the
    /// whole process, as glibc answers it by consolidating its fast bins). Copying a slot is a
    /// few ns, against hundreds for reallocating.
    pub(crate) fn take(&self, out: &mut Vec<QueuedEvent>, max: usize) -> usize {
        let first = self.next_take.fetch_add(1, Ordering::Relaxed);
        let mut taken = 0;
        for i in 0..self.shards.len() {
            if taken == max {
                break;
            }
            let shard = &self.shards[(first + i) % self.shards.len()];
            if shard.len.load(Ordering::Relaxed) == 0 {
                continue;
            }
            let mut s = shard.lock();
            let n = (max - taken).min(s.events.len());
            out.extend(s.events.drain(..n));
            shard.len.store(s.events.len(), Ordering::Relaxed);
            taken += n;
        }
        taken
    }

    /// Whether the queue is closed and nothing is left in it.
    pub(crate) fn is_finished(&self) -> bool {
        self.is_closed() && self.shards.iter().all(|s| s.lock().events.is_empty())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Waits until about `need` events are queued or the queue is closed (`true`), or `deadline`
    /// passes (`false`). One worker waits at a time. A wake-up comes when one shard holds its
    /// share of `need`, so callers take what is there and wait again for the rest. Cancellation
    /// safe: a wake-up that arrives as the wait is dropped is kept for the next wait.
    pub(crate) async fn wait_for(&self, need: usize, deadline: Option<Instant>) -> bool {
        // The shards in use: as many as threads have pushed so far, at most all of them.
        let active = THREADS.load(Ordering::Relaxed).clamp(1, self.shards.len());
        let per_shard = need.div_ceil(active).max(1);
        self.wake_at.store(per_shard, Ordering::SeqCst);
        let ready =
            self.is_closed() || self.shards.iter().any(|s| s.lock().events.len() >= per_shard) || self.len() >= need;
        if ready {
            self.wake_at.store(0, Ordering::SeqCst);
            return true;
        }
        let woken = match deadline {
            None => {
                self.ready.notified().await;
                true
            }
            Some(d) => tokio::select! {
                biased;
                () = self.ready.notified() => true,
                () = tokio::time::sleep_until(d) => false,
            },
        };
        if !woken {
            self.wake_at.store(0, Ordering::SeqCst);
        }
        // A wake-up can be stale (sent for an earlier wait): callers look at the queue again.
        woken
    }

    /// Refuses further events and wakes the waiting worker; what is queued stays to be taken.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        for shard in self.shards.iter() {
            shard.lock().closed = true;
        }
        self.wake_at.store(0, Ordering::SeqCst);
        self.ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::WebhookEvent;
    use std::sync::Arc;
    use std::time::Duration;

    fn event() -> QueuedEvent {
        QueuedEvent {
            event: WebhookEvent::ToolCall,
            tool: "t".into(),
            request_id: 1.into(),
            client_id: None,
            unix_ms: 0,
            error: None,
        }
    }

    #[test]
    fn bounded_fifo() {
        let q = EventQueue::with_shards(2, 1);
        assert_eq!(q.push(event()), Push::Queued);
        assert_eq!(q.push(event()), Push::Queued);
        assert_eq!(q.refuses(), Some(Push::Full));
        assert_eq!(q.push(event()), Push::Full);
        let mut out = Vec::new();
        assert_eq!(q.take(&mut out, 5), 2);
        assert_eq!((out.len(), q.len()), (2, 0));
        q.close();
        assert_eq!(q.push(event()), Push::Closed);
        assert!(q.is_finished());
    }

    #[test]
    fn takes_part_or_all_oldest_first() {
        let q = EventQueue::with_shards(10, 1);
        for n in 0..5 {
            q.push(QueuedEvent { request_id: n.into(), ..event() });
        }
        let mut out = Vec::new();
        assert_eq!(q.take(&mut out, 2), 2, "part of the queue");
        assert_eq!(q.take(&mut out, 9), 3, "the rest");
        let ids: Vec<String> = out.iter().map(|e| e.request_id.to_string()).collect();
        assert_eq!(ids, ["0", "1", "2", "3", "4"]);
        assert_eq!(q.len(), 0);
        let capacity = q.shards[0].lock().events.capacity();
        assert!(capacity >= 5, "a take leaves the shard's buffer allocated: {capacity}");
        assert_eq!(q.push(event()), Push::Queued);
        assert_eq!(q.take(&mut out, 9), 1);
    }

    #[test]
    fn the_whole_capacity_serves_one_thread_or_many() {
        let q = EventQueue::with_shards(8, 4);
        let queued = (0..20).map(|_| q.push(event())).filter(|p| *p == Push::Queued).count();
        assert_eq!(queued, 8, "a full shard spills into the others");
        assert_eq!(q.refuses(), Some(Push::Full));
        let mut out = Vec::new();
        assert_eq!(q.take(&mut out, 100), 8);

        let q = Arc::new(EventQueue::with_shards(8, 4));
        let pushers: Vec<_> = (0..4)
            .map(|_| {
                let q = Arc::clone(&q);
                std::thread::spawn(move || (0..5).map(|_| q.push(event())).filter(|p| *p == Push::Queued).count())
            })
            .collect();
        let queued: usize = pushers.into_iter().map(|t| t.join().unwrap_or_default()).sum();
        assert_eq!(queued, 8);
        assert_eq!(q.len(), 8);
        out.clear();
        assert_eq!(q.take(&mut out, 100), 8);
        assert_eq!(q.len(), 0);
    }

    #[tokio::test]
    async fn a_waiting_worker_is_woken_once_enough_is_queued() {
        let q = Arc::new(EventQueue::with_shards(100, 1));
        let waiter = tokio::spawn({
            let q = Arc::clone(&q);
            async move { q.wait_for(3, None).await }
        });
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!waiter.is_finished());
            q.push(event());
        }
        assert!(tokio::time::timeout(Duration::from_secs(5), waiter).await.is_ok_and(|r| r.is_ok_and(|w| w)));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_ends_at_the_deadline_or_on_close() {
        let q = EventQueue::with_shards(100, 1);
        q.push(event());
        assert!(!q.wait_for(2, Some(Instant::now() + Duration::from_millis(50))).await);
        q.close();
        assert!(q.wait_for(2, None).await);
    }
}

//! The bounded queue between the call path and the workers.
//!
//! Not a channel: one short `VecDeque` per core ("shard"), each behind its own mutex. A thread
//! always pushes to the same shard, so on the call path the lock and the slots stay in that core's
//! cache: a push is an uncontended lock, a move into preallocated space and an unlock (no
//! per-event allocation, semaphore or waker call). A worker takes a batch shard by shard, copying
//! the events out under the lock. The call path wakes a worker only when that worker asked for
//! it, once a shard holds its share of the events it waits for, so a worker gathering a batch
//! costs the call path nothing per event.

use super::record::Record;
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
    events: VecDeque<Record>,
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

    /// Events queued (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len.load(Ordering::Relaxed)).sum()
    }

    /// Appends the record `make` builds to this thread's shard, or when that one is full to
    /// another with room, unless the queue is full or closed: the whole capacity serves even a
    /// single thread. The record is built in its slot, under the lock (a few copies), rather than
    /// moved there. Never waits beyond a short critical section; wakes the waiting worker if this
    /// record completes what it waits for. A full queue is seen without taking a lock.
    pub(crate) fn push(&self, make: impl FnOnce() -> Record) -> Push {
        let own = thread_index() % self.shards.len();
        if self.is_closed() {
            return Push::Closed;
        }
        if self.shards[own].len.load(Ordering::Relaxed) >= self.shard_capacity && self.len() >= self.capacity {
            return Push::Full;
        }
        let mut make = Some(make);
        for i in 0..self.shards.len() {
            match self.push_to(&self.shards[(own + i) % self.shards.len()], &mut make) {
                Push::Full => continue,
                done => return done,
            }
        }
        Push::Full
    }

    /// Builds the record in `shard` if it has room.
    fn push_to(&self, shard: &Shard, make: &mut Option<impl FnOnce() -> Record>) -> Push {
        let wake = {
            let mut s = shard.lock();
            if s.closed {
                return Push::Closed;
            }
            if s.events.len() >= self.shard_capacity {
                return Push::Full;
            }
            if let Some(make) = make.take() {
                s.events.push_back(make());
            }
            let n = s.events.len();
            shard.len.store(n, Ordering::Relaxed);
            // Read under the shard lock: a worker sets `wake_at` before it looks at the shards
            // (each under its lock), so either it sees this record or this push sees its request.
            let wake_at = self.wake_at.load(Ordering::Relaxed);
            wake_at != 0 && n >= wake_at && self.wake_at.swap(0, Ordering::AcqRel) != 0
        };
        if wake {
            self.ready.notify_one();
        }
        Push::Queued
    }

    /// Moves records holding up to `max` events to `out`, shard by shard (each shard's oldest
    /// first), and notes in `runs` where each shard's records start; returns how many events.
    /// When a two-event record does not fit, its `tool.call` is taken and its outcome stays.
    ///
    /// The records are moved out and every buffer keeps its capacity: no shard ever grows from
    /// empty again on the call path, and no large block is freed per batch (which would cost the
    /// whole process, as glibc answers it by consolidating its fast bins). Moving a slot is a
    /// few ns, against hundreds for reallocating.
    pub(crate) fn take(&self, out: &mut Vec<Record>, runs: &mut Vec<usize>, max: usize) -> usize {
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
            let start = out.len();
            let mut s = shard.lock();
            while let Some(front) = s.events.front_mut() {
                let n = front.len();
                if taken + n <= max {
                    out.extend(s.events.pop_front());
                    taken += n;
                } else {
                    if taken < max {
                        out.extend(front.split_call());
                        taken += 1;
                    }
                    break;
                }
            }
            shard.len.store(s.events.len(), Ordering::Relaxed);
            drop(s);
            if out.len() > start {
                runs.push(start);
            }
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
    use crate::middleware::webhook::record::tests::call;
    use crate::middleware::webhook::record::Parts;
    use crate::middleware::WebhookEvent;
    use std::sync::Arc;
    use std::time::Duration;

    fn event() -> Record {
        call(1)
    }

    /// Takes up to `max` events; returns (events, runs).
    fn take(q: &EventQueue, out: &mut Vec<Record>, max: usize) -> (usize, Vec<usize>) {
        let mut runs = Vec::new();
        let n = q.take(out, &mut runs, max);
        (n, runs)
    }

    #[test]
    fn bounded_fifo() {
        let q = EventQueue::with_shards(2, 1);
        assert_eq!(q.push(event), Push::Queued);
        assert_eq!(q.push(event), Push::Queued);
        assert_eq!(q.push(event), Push::Full);
        let mut out = Vec::new();
        assert_eq!(take(&q, &mut out, 5).0, 2);
        assert_eq!((out.len(), q.len()), (2, 0));
        q.close();
        assert_eq!(q.push(event), Push::Closed);
        assert!(q.is_finished());
    }

    #[test]
    fn takes_part_or_all_oldest_first() {
        let q = EventQueue::with_shards(10, 1);
        for n in 0..5 {
            q.push(|| Record { request_id: n.into(), ..event() });
        }
        let mut out = Vec::new();
        assert_eq!(take(&q, &mut out, 2).0, 2, "part of the queue");
        assert_eq!(take(&q, &mut out, 9).0, 3, "the rest");
        let ids: Vec<String> = out.iter().map(|e| e.request_id.to_string()).collect();
        assert_eq!(ids, ["0", "1", "2", "3", "4"]);
        assert_eq!(q.len(), 0);
        let capacity = q.shards[0].lock().events.capacity();
        assert!(capacity >= 5, "a take leaves the shard's buffer allocated: {capacity}");
        assert_eq!(q.push(event), Push::Queued);
        assert_eq!(take(&q, &mut out, 9).0, 1);
    }

    #[test]
    fn a_two_event_record_is_split_when_only_one_event_fits() {
        let q = EventQueue::with_shards(10, 1);
        for n in 0..3 {
            q.push(|| Record { parts: Parts::Both(WebhookEvent::ToolSuccess), ..call(n) });
        }
        let mut out = Vec::new();
        assert_eq!(take(&q, &mut out, 3), (3, vec![0]), "one record and a half");
        let parts: Vec<(String, Parts)> = out.iter().map(|r| (r.request_id.to_string(), r.parts)).collect();
        assert_eq!(parts, [("0".into(), Parts::Both(WebhookEvent::ToolSuccess)), ("1".into(), Parts::Call)]);
        out.clear();
        assert_eq!(take(&q, &mut out, 1), (1, vec![0]));
        assert_eq!(
            (out[0].request_id.to_string(), out[0].parts),
            ("1".into(), Parts::Outcome(WebhookEvent::ToolSuccess))
        );
        assert_eq!(take(&q, &mut out, 10), (2, vec![1]), "the rest; the run starts after what `out` held");
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn the_whole_capacity_serves_one_thread_or_many() {
        let q = EventQueue::with_shards(8, 4);
        let queued = (0..20).map(|_| q.push(event)).filter(|p| *p == Push::Queued).count();
        assert_eq!(queued, 8, "a full shard spills into the others");
        let mut out = Vec::new();
        assert_eq!(take(&q, &mut out, 100).0, 8);

        let q = Arc::new(EventQueue::with_shards(8, 4));
        let pushers: Vec<_> = (0..4)
            .map(|_| {
                let q = Arc::clone(&q);
                std::thread::spawn(move || (0..5).map(|_| q.push(event)).filter(|p| *p == Push::Queued).count())
            })
            .collect();
        let queued: usize = pushers.into_iter().map(|t| t.join().unwrap_or_default()).sum();
        assert_eq!(queued, 8);
        assert_eq!(q.len(), 8);
        out.clear();
        assert_eq!(take(&q, &mut out, 100).0, 8);
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
            q.push(event);
        }
        assert!(tokio::time::timeout(Duration::from_secs(5), waiter).await.is_ok_and(|r| r.is_ok_and(|w| w)));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_ends_at_the_deadline_or_on_close() {
        let q = EventQueue::with_shards(100, 1);
        q.push(event);
        assert!(!q.wait_for(2, Some(Instant::now() + Duration::from_millis(50))).await);
        q.close();
        assert!(q.wait_for(2, None).await);
    }
}

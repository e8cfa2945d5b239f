//! One tool's circuit: the state machine behind [`CircuitBreakerMiddleware`](super::CircuitBreakerMiddleware).
//!
//! Every transition happens under one short `std::sync::Mutex` (never held across an await), and
//! every admitted call carries the *generation* it was admitted in. A result is applied only when
//! its generation is still current: opening, probing, closing and resetting each start a new
//! generation, so a slow call admitted before the circuit opened can neither count against nor
//! close a circuit that has moved on (in particular it cannot close the circuit while the probe is
//! in flight).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// While a probe is in flight, rejected callers are told to retry after this (capped by the
/// recovery timeout): the probe usually settles the question quickly either way.
const PROBE_RETRY_HINT: Duration = Duration::from_secs(1);

/// The state of one tool's circuit, as [`CircuitBreakerMiddleware::get_state`](super::CircuitBreakerMiddleware::get_state) reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitState {
    /// Normal operation: calls pass, consecutive failures are counted.
    Closed,
    /// Calls are rejected at once with [`CircuitOpenError`](super::CircuitOpenError).
    Open,
    /// The recovery timeout has elapsed: the next call (or the one in flight) is the single probe.
    HalfOpen,
}

impl CircuitState {
    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

impl std::fmt::Display for CircuitState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The thresholds a circuit applies.
#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    pub(super) failure_threshold: u32,
    pub(super) recovery_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Closed,
    /// Rejecting until `until`; from then on the next call becomes the probe.
    Open {
        until: Instant,
    },
    /// The probe of the current generation is in flight.
    Probing,
}

#[derive(Debug)]
struct Core {
    phase: Phase,
    consecutive_failures: u32,
    opened_at: Option<Instant>,
    generation: u64,
}

/// What a call may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    /// Pass through; report the result with this generation.
    Pass { generation: u64 },
    /// Pass through as the half-open probe; report the result with this generation.
    Probe { generation: u64 },
    /// Reject at once.
    Reject { retry_after: Duration },
}

/// How a finished call is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The dependency worked: resets the count, closes a probing circuit.
    Success,
    /// Counts towards opening; re-opens a probing circuit.
    Failure,
    /// No evidence either way (cancelled, rejected before the tool ran, a domain error, a dropped
    /// probe): leaves the count alone, and hands the probe slot to the next call.
    Neutral,
}

/// A state change worth logging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transition {
    Opened { failures: u32 },
    Reopened,
    Closed,
}

/// One tool's circuit.
#[derive(Debug)]
pub(super) struct Circuit {
    core: Mutex<Core>,
}

impl Circuit {
    pub(super) fn new() -> Self {
        Self {
            core: Mutex::new(Core { phase: Phase::Closed, consecutive_failures: 0, opened_at: None, generation: 0 }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // No code panics while holding the lock, so a poisoned state is still consistent.
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides whether a call starting at `now` may pass.
    pub(super) fn admit(&self, now: Instant, policy: Policy) -> Admission {
        let mut core = self.lock();
        match core.phase {
            Phase::Closed => Admission::Pass { generation: core.generation },
            Phase::Open { until } if now >= until => {
                core.generation += 1;
                core.phase = Phase::Probing;
                Admission::Probe { generation: core.generation }
            }
            Phase::Open { until } => Admission::Reject { retry_after: until - now },
            Phase::Probing => Admission::Reject { retry_after: PROBE_RETRY_HINT.min(policy.recovery_timeout) },
        }
    }

    /// Applies the result of a call admitted in `generation`; stale results are ignored.
    pub(super) fn record(&self, generation: u64, verdict: Verdict, now: Instant, policy: Policy) -> Option<Transition> {
        let mut core = self.lock();
        if core.generation != generation {
            return None;
        }
        match (core.phase, verdict) {
            (Phase::Closed, Verdict::Success) => {
                core.consecutive_failures = 0;
                None
            }
            (Phase::Closed, Verdict::Failure) => {
                core.consecutive_failures = core.consecutive_failures.saturating_add(1);
                if core.consecutive_failures < policy.failure_threshold {
                    return None;
                }
                let failures = core.consecutive_failures;
                core.open(now, policy.recovery_timeout);
                Some(Transition::Opened { failures })
            }
            (Phase::Probing, Verdict::Success) => {
                core.generation += 1;
                core.phase = Phase::Closed;
                core.consecutive_failures = 0;
                core.opened_at = None;
                Some(Transition::Closed)
            }
            (Phase::Probing, Verdict::Failure) => {
                core.open(now, policy.recovery_timeout);
                Some(Transition::Reopened)
            }
            (Phase::Probing, Verdict::Neutral) => {
                // The probe proved nothing: the very next call probes instead. A new generation
                // makes sure this probe's ticket can never act again.
                core.generation += 1;
                core.phase = Phase::Open { until: now };
                None
            }
            (Phase::Closed, Verdict::Neutral) | (Phase::Open { .. }, _) => None,
        }
    }

    /// The state as seen at `now`.
    pub(super) fn state(&self, now: Instant) -> CircuitState {
        match self.lock().phase {
            Phase::Closed => CircuitState::Closed,
            Phase::Open { until } if now < until => CircuitState::Open,
            Phase::Open { .. } | Phase::Probing => CircuitState::HalfOpen,
        }
    }

    /// Consecutive failures counted while closed (kept while open, for diagnostics).
    pub(super) fn consecutive_failures(&self) -> u32 {
        self.lock().consecutive_failures
    }

    /// When the circuit last opened, if it is not closed.
    pub(super) fn opened_at(&self) -> Option<Instant> {
        self.lock().opened_at
    }

    /// Closes the circuit; results of calls in flight are ignored.
    pub(super) fn reset(&self) {
        let mut core = self.lock();
        core.generation += 1;
        core.phase = Phase::Closed;
        core.consecutive_failures = 0;
        core.opened_at = None;
    }
}

impl Core {
    fn open(&mut self, now: Instant, recovery: Duration) {
        self.generation += 1;
        self.phase = Phase::Open { until: now + recovery };
        self.opened_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { failure_threshold: 3, recovery_timeout: Duration::from_secs(10) };

    fn pass_generation(a: Admission) -> u64 {
        match a {
            Admission::Pass { generation } => generation,
            other => panic!("expected Pass, got {other:?}"),
        }
    }

    fn probe_generation(a: Admission) -> u64 {
        match a {
            Admission::Probe { generation } => generation,
            other => panic!("expected Probe, got {other:?}"),
        }
    }

    fn open(c: &Circuit, now: Instant) {
        for _ in 0..POLICY.failure_threshold {
            let g = pass_generation(c.admit(now, POLICY));
            c.record(g, Verdict::Failure, now, POLICY);
        }
        assert_eq!(c.state(now), CircuitState::Open);
    }

    #[test]
    fn consecutive_failures_open_and_success_resets() {
        let c = Circuit::new();
        let now = Instant::now();
        for _ in 0..2 {
            let g = pass_generation(c.admit(now, POLICY));
            assert_eq!(c.record(g, Verdict::Failure, now, POLICY), None);
        }
        let g = pass_generation(c.admit(now, POLICY));
        c.record(g, Verdict::Success, now, POLICY);
        assert_eq!(c.consecutive_failures(), 0);
        for i in 0..3 {
            let g = pass_generation(c.admit(now, POLICY));
            let t = c.record(g, Verdict::Failure, now, POLICY);
            assert_eq!(t, (i == 2).then_some(Transition::Opened { failures: 3 }));
        }
        assert_eq!(c.state(now), CircuitState::Open);
        assert_eq!(c.opened_at(), Some(now));
    }

    #[test]
    fn neutral_results_neither_count_nor_reset() {
        let c = Circuit::new();
        let now = Instant::now();
        for verdict in [Verdict::Failure, Verdict::Neutral, Verdict::Failure, Verdict::Neutral] {
            let g = pass_generation(c.admit(now, POLICY));
            c.record(g, verdict, now, POLICY);
        }
        assert_eq!(c.consecutive_failures(), 2);
        assert_eq!(c.state(now), CircuitState::Closed);
    }

    #[test]
    fn open_rejects_with_remaining_time_then_admits_one_probe() {
        let c = Circuit::new();
        let t0 = Instant::now();
        open(&c, t0);
        let later = t0 + Duration::from_secs(4);
        assert_eq!(c.admit(later, POLICY), Admission::Reject { retry_after: Duration::from_secs(6) });
        let due = t0 + POLICY.recovery_timeout;
        assert_eq!(c.state(due), CircuitState::HalfOpen);
        let probe = probe_generation(c.admit(due, POLICY));
        for _ in 0..5 {
            assert_eq!(c.admit(due, POLICY), Admission::Reject { retry_after: Duration::from_secs(1) });
        }
        assert_eq!(c.state(due), CircuitState::HalfOpen);
        assert_eq!(c.record(probe, Verdict::Success, due, POLICY), Some(Transition::Closed));
        assert_eq!(c.state(due), CircuitState::Closed);
        assert_eq!(c.opened_at(), None);
    }

    #[test]
    fn failed_probe_reopens_for_a_full_timeout() {
        let c = Circuit::new();
        let t0 = Instant::now();
        open(&c, t0);
        let due = t0 + POLICY.recovery_timeout;
        let probe = probe_generation(c.admit(due, POLICY));
        let failed_at = due + Duration::from_secs(3);
        assert_eq!(c.record(probe, Verdict::Failure, failed_at, POLICY), Some(Transition::Reopened));
        assert_eq!(c.admit(failed_at, POLICY), Admission::Reject { retry_after: POLICY.recovery_timeout });
        assert_eq!(c.state(failed_at + POLICY.recovery_timeout), CircuitState::HalfOpen);
    }

    #[test]
    fn stale_success_cannot_close_while_the_probe_is_in_flight() {
        let c = Circuit::new();
        let t0 = Instant::now();
        let slow = pass_generation(c.admit(t0, POLICY));
        open(&c, t0);
        let due = t0 + POLICY.recovery_timeout;
        let probe = probe_generation(c.admit(due, POLICY));
        // The call admitted before the circuit opened now succeeds: it must not close the circuit.
        assert_eq!(c.record(slow, Verdict::Success, due, POLICY), None);
        assert_eq!(c.state(due), CircuitState::HalfOpen);
        assert!(matches!(c.admit(due, POLICY), Admission::Reject { .. }));
        assert_eq!(c.record(probe, Verdict::Failure, due, POLICY), Some(Transition::Reopened));
        // A stale failure cannot re-open a circuit that closed either.
        let due2 = due + POLICY.recovery_timeout;
        let probe2 = probe_generation(c.admit(due2, POLICY));
        assert_eq!(c.record(probe2, Verdict::Success, due2, POLICY), Some(Transition::Closed));
        assert_eq!(c.record(probe, Verdict::Failure, due2, POLICY), None);
        assert_eq!(c.consecutive_failures(), 0);
    }

    #[test]
    fn neutral_probe_hands_the_slot_to_the_next_call() {
        let c = Circuit::new();
        let t0 = Instant::now();
        open(&c, t0);
        let due = t0 + POLICY.recovery_timeout;
        let probe = probe_generation(c.admit(due, POLICY));
        assert_eq!(c.record(probe, Verdict::Neutral, due, POLICY), None);
        assert_eq!(c.state(due), CircuitState::HalfOpen);
        let next = probe_generation(c.admit(due, POLICY));
        assert_ne!(next, probe);
        // The released probe's ticket is dead: a late result from it changes nothing.
        assert_eq!(c.record(probe, Verdict::Success, due, POLICY), None);
        assert_eq!(c.state(due), CircuitState::HalfOpen);
    }

    #[test]
    fn reset_closes_and_orphans_calls_in_flight() {
        let c = Circuit::new();
        let t0 = Instant::now();
        open(&c, t0);
        let due = t0 + POLICY.recovery_timeout;
        let probe = probe_generation(c.admit(due, POLICY));
        c.reset();
        assert_eq!(c.state(due), CircuitState::Closed);
        assert_eq!(c.record(probe, Verdict::Failure, due, POLICY), None);
        assert_eq!(c.consecutive_failures(), 0);
    }

    #[test]
    fn threshold_of_one_opens_on_the_first_failure() {
        let c = Circuit::new();
        let now = Instant::now();
        let policy = Policy { failure_threshold: 1, ..POLICY };
        let g = pass_generation(c.admit(now, policy));
        assert_eq!(c.record(g, Verdict::Failure, now, policy), Some(Transition::Opened { failures: 1 }));
    }
}

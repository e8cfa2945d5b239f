//! One tool call seen by the middleware: stamped before it runs, its events queued as it goes.
//!
//! A call that finishes before it first yields (most calls that do not wait on I/O) queues its
//! `tool.call` and its outcome together, as one record: one queue slot, one short lock, one copy
//! of the names, instead of two of each. A call that yields queues `tool.call` right then, while
//! it runs, and its outcome when it ends. Either way `tool.call` carries the time the call
//! started, before execution, and a batch holds it before its outcome.

use super::record::{now, Parts, Record, Stamp};
use super::{WebhookErrorInfo, WebhookEvent, WebhookMiddleware};
use crate::error::{CallError, FailureKind};
use crate::extract::RequestContext;
use crate::middleware::{CallOutcome, CallRequest, Next};
use futures_util::future::BoxFuture;
use smol_str::SmolStr;
use std::future::Future;

/// Runs `req` down the chain, queuing the events `hook` wants.
pub(super) fn observe<'a>(hook: &'a WebhookMiddleware, req: CallRequest, next: Next) -> BoxFuture<'a, CallOutcome> {
    let wants_outcome = hook.wants(WebhookEvent::ToolSuccess) || hook.wants(WebhookEvent::ToolError);
    // Copied, not shared: inline for usual names, so queuing allocates nothing and the worker
    // never frees (or touches the reference count of) the call path's memory.
    let tool = inline(req.name());
    let ctx = req.context();
    let started = hook.wants(WebhookEvent::ToolCall).then(|| Started { at: now(), client_id: client_id(ctx) });
    if !wants_outcome {
        if let Some(started) = started {
            queue_call(hook, &tool, ctx, started);
        }
        return next.run(req);
    }
    let mut call = Observed { hook, ctx: ctx.clone(), tool, started };
    // One allocation for this layer and the rest of the chain's first step, not two. The inner
    // future is made inside the block, so the block holds it once (not also as a capture).
    Box::pin(async move {
        let mut inner = std::pin::pin!(next.run_inline(req));
        let outcome = std::future::poll_fn(|cx| {
            let poll = inner.as_mut().poll(cx);
            if poll.is_pending() {
                // The call is running and will take a while: its `tool.call` goes now.
                call.queue_started();
            }
            poll
        })
        .await;
        call.finish(&outcome);
        outcome
    })
}

/// The caller as of now (an auth middleware inside this one sets it while the call runs).
fn client_id(ctx: &RequestContext) -> Option<SmolStr> {
    ctx.client_id().map(inline)
}

/// `s` as a `SmolStr`: a short one (the usual tool name or client id) is copied inline directly.
fn inline(s: &str) -> SmolStr {
    if s.len() <= 23 {
        SmolStr::new_inline(s)
    } else {
        SmolStr::new(s)
    }
}

/// A call's `tool.call`, not queued yet.
struct Started {
    at: Stamp,
    client_id: Option<SmolStr>,
}

fn queue_call(hook: &WebhookMiddleware, tool: &SmolStr, ctx: &RequestContext, started: Started) {
    hook.shared.enqueue(1, || Record {
        parts: Parts::Call,
        tool: tool.clone(),
        request_id: ctx.request_id().clone(),
        client_id: started.client_id,
        called_at: started.at,
        finished_at: started.at,
        error: None,
    });
}

/// One call's events still to queue.
struct Observed<'a> {
    hook: &'a WebhookMiddleware,
    ctx: RequestContext,
    tool: SmolStr,
    /// Until queued: at the first `Pending`, with the outcome, or when dropped unfinished.
    started: Option<Started>,
}

impl Observed<'_> {
    fn queue_started(&mut self) {
        if let Some(started) = self.started.take() {
            queue_call(self.hook, &self.tool, &self.ctx, started);
        }
    }

    /// Queues the outcome event (if wanted), together with `tool.call` when that is still here.
    fn finish(&mut self, outcome: &CallOutcome) {
        let Some((event, error)) = self.outcome_event(outcome) else { return self.queue_started() };
        let finished_at = now();
        let error = || {
            error.map(|e| {
                // The mapped wire error, never the raw internal text.
                let e = &e.error;
                Box::new(WebhookErrorInfo { code: e.code.clone(), message: e.message.clone(), retryable: e.retryable })
            })
        };
        let (hook, ctx) = (self.hook, &self.ctx);
        match self.started.take() {
            Some(started) if started.client_id.as_deref() == ctx.client_id() => {
                hook.shared.enqueue(2, || Record {
                    parts: Parts::Both(event),
                    tool: std::mem::take(&mut self.tool),
                    request_id: ctx.request_id().clone(),
                    client_id: started.client_id,
                    called_at: started.at,
                    finished_at,
                    error: error(),
                });
            }
            started => {
                if let Some(started) = started {
                    queue_call(hook, &self.tool, ctx, started);
                }
                hook.shared.enqueue(1, || Record {
                    parts: Parts::Outcome(event),
                    tool: std::mem::take(&mut self.tool),
                    request_id: ctx.request_id().clone(),
                    client_id: client_id(ctx),
                    called_at: finished_at,
                    finished_at,
                    error: error(),
                });
            }
        }
    }

    /// `tool.success` or `tool.error` (with the failure) if this outcome is one and it is wanted.
    /// A cancelled call gets no response: it is neither a success nor a failure.
    fn outcome_event<'o>(&self, outcome: &'o CallOutcome) -> Option<(WebhookEvent, Option<&'o CallError>)> {
        if self.ctx.is_cancelled() {
            return None;
        }
        let event = match outcome {
            Ok(_) => (WebhookEvent::ToolSuccess, None),
            Err(e) if e.kind != FailureKind::Cancelled => (WebhookEvent::ToolError, Some(e)),
            Err(_) => return None,
        };
        self.hook.wants(event.0).then_some(event)
    }
}

impl Drop for Observed<'_> {
    /// A call dropped before it finished (its connection went away, or it panicked) was still
    /// called.
    fn drop(&mut self) {
        self.queue_started();
    }
}

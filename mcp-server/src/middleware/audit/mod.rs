//! `AuditMiddleware`: one JSON Lines entry per call, optionally signed as an HMAC hash chain.

mod chain;
mod entry;
mod error;
mod verify;
mod writer;

pub use chain::{AuditKey, AuditKeyError};
pub use error::{AuditError, UnresumableLog};
pub use verify::{verify_audit_log, BreakReason, BrokenEntry, VerifyReport};

use super::{CallToolRequest, GetPromptRequest, Middleware, Next, Outcome, ReadResourceRequest};
use crate::call::{RequestContext, ToolDefinition};
use crate::error::{BuildError, CallError, FailureKind, ToolError};
use entry::{Finished, Kind};
use futures_util::future::BoxFuture;
use serde_json::value::RawValue;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};
use writer::{Writer, WriterOptions};

/// The environment variable read for the signing key when none is configured.
pub const AUDIT_KEY_ENV: &str = "MCP_AUDIT_KEY";

/// Writes one JSON Lines entry per tool call: `timestamp, tool, client_id, authenticated,
/// request_id, status, duration_ms`, plus `error_code` on failure and `args` when
/// [`include_args`](Self::include_args) is on. `authenticated` tells a verified `client_id` from
/// the name a client merely declared at initialize.
///
/// With [`signed`](Self::signed), every entry also carries `seq`, `prev_hash` (SHA-256 of the
/// previous entry, a run of zeros for the first) and `hmac` (HMAC-SHA256 over the entry's
/// canonical JSON — sorted keys, no whitespace, without `hmac`), forming a hash chain that
/// [`verify_audit_log`] checks: a modified, deleted, reordered or inserted line breaks it. The
/// key comes from [`key`](Self::key) or the `MCP_AUDIT_KEY` environment variable (hex, or raw
/// text); `signed` without a key fails at build with a message saying what to set. After a
/// restart the chain resumes from the file's last entry (which must verify with the key).
///
/// One thread owns the file handle and the chain: calls hand entries over a bounded channel and
/// never block the async runtime. By default a call does not wait for its entry to be written;
/// with [`fail_closed`](Self::fail_closed) it does, and a call whose entry cannot be written
/// returns `AUDIT_UNAVAILABLE` instead of its result. Shutdown flushes and syncs the file.
///
/// Added first, it sits outside the auth middleware and still records the authenticated
/// `client_id`: the identity established inside is visible once the inner chain has run.
///
/// ```no_run
/// use mcp_server::middleware::AuditMiddleware;
/// use mcp_server::McpServer;
///
/// // Reads the key from MCP_AUDIT_KEY (e.g. `export MCP_AUDIT_KEY=$(openssl rand -hex 32)`).
/// let server = McpServer::new("payment-api")
///     .middleware(AuditMiddleware::new("audit.jsonl").signed(true))
///     .build()?;
/// # Ok::<(), mcp_server::BuildError>(())
/// ```
pub struct AuditMiddleware {
    path: PathBuf,
    signed: bool,
    key: Option<AuditKey>,
    key_env: String,
    include_args: bool,
    fail_closed: bool,
    fsync: bool,
    capacity: usize,
    resources: bool,
    prompts: bool,
    writer: OnceLock<Writer>,
    open_failed: AtomicBool,
}

impl std::fmt::Debug for AuditMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditMiddleware")
            .field("path", &self.path)
            .field("signed", &self.signed)
            .field("key_env", &self.key_env)
            .field("include_args", &self.include_args)
            .field("fail_closed", &self.fail_closed)
            .finish_non_exhaustive()
    }
}

impl AuditMiddleware {
    /// Audits tool calls to the JSON Lines file at `path` (created if missing, appended to).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            signed: false,
            key: None,
            key_env: AUDIT_KEY_ENV.into(),
            include_args: false,
            fail_closed: false,
            fsync: false,
            capacity: 1024,
            resources: false,
            prompts: false,
            writer: OnceLock::new(),
            open_failed: AtomicBool::new(false),
        }
    }

    /// Signs entries into an HMAC hash chain (needs a key: [`key`](Self::key) or `MCP_AUDIT_KEY`).
    #[must_use]
    pub fn signed(mut self, on: bool) -> Self {
        self.signed = on;
        self
    }

    /// The signing key (takes precedence over the environment).
    #[must_use]
    pub fn key(mut self, key: AuditKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The environment variable holding the key when none is configured (default `MCP_AUDIT_KEY`).
    #[must_use]
    pub fn key_env(mut self, var: impl Into<String>) -> Self {
        self.key_env = var.into();
        self
    }

    /// Records each call's arguments as `args` (default: off — arguments may hold personal data).
    #[must_use]
    pub fn include_args(mut self, on: bool) -> Self {
        self.include_args = on;
        self
    }

    /// Waits for each entry to be written before answering; a call whose entry cannot be written
    /// (or that arrives after a write failed) returns `AUDIT_UNAVAILABLE` instead.
    #[must_use]
    pub fn fail_closed(mut self, on: bool) -> Self {
        self.fail_closed = on;
        self
    }

    /// Syncs the file to disk after every batch of entries (default: only at flush and shutdown).
    #[must_use]
    pub fn fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    /// How many entries may wait for the writer before calls wait for room (default 1024).
    #[must_use]
    pub fn channel_capacity(mut self, n: usize) -> Self {
        self.capacity = n.max(1);
        self
    }

    /// Also audits `resources/read` (entries carry `"kind": "resource"`; `tool` is the URI).
    #[must_use]
    pub fn audit_resources(mut self, on: bool) -> Self {
        self.resources = on;
        self
    }

    /// Also audits `prompts/get` (entries carry `"kind": "prompt"`).
    #[must_use]
    pub fn audit_prompts(mut self, on: bool) -> Self {
        self.prompts = on;
        self
    }

    /// The log file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Waits until every entry queued so far is written and synced to disk.
    ///
    /// # Cancellation safety
    /// Dropping the future stops waiting; the entries are still written.
    pub async fn flush(&self) -> Result<(), AuditError> {
        match self.writer.get() {
            Some(w) => w.flush().await,
            None => Ok(()),
        }
    }

    fn resolve_key(&self) -> Result<AuditKey, AuditError> {
        if let Some(key) = &self.key {
            return Ok(key.clone());
        }
        let var = &self.key_env;
        match AuditKey::from_env(var) {
            Ok(Some(key)) => Ok(key),
            Ok(None) => Err(AuditError::MissingKey { var: var.clone() }),
            Err(source) => Err(AuditError::Key { var: var.clone(), source }),
        }
    }

    fn open(&self) -> Result<Writer, AuditError> {
        let key = if self.signed { Some(self.resolve_key()?) } else { None };
        let opts = WriterOptions { path: self.path.clone(), key, fsync: self.fsync, capacity: self.capacity };
        Writer::start(opts)
    }

    /// The writer, opened at build (`validate`) or, failing that, on first use.
    fn writer(&self) -> Option<&Writer> {
        if let Some(w) = self.writer.get() {
            return Some(w);
        }
        match self.open() {
            Ok(w) => {
                let _ = self.writer.set(w);
                self.writer.get()
            }
            Err(e) => {
                if !self.open_failed.swap(true, Ordering::Relaxed) {
                    tracing::error!(error = %e, "audit log unavailable");
                }
                None
            }
        }
    }

    /// Runs `call` and writes its entry (waiting for the write when fail-closed).
    async fn audited<T>(
        &self,
        kind: Kind,
        name: &str,
        ctx: &RequestContext,
        args: Option<&RawValue>,
        call: impl Future<Output = Result<T, CallError>>,
    ) -> Result<T, CallError> {
        let Some(writer) = self.writer() else {
            return if self.fail_closed { Err(unavailable()) } else { call.await };
        };
        if self.fail_closed && writer.has_failed() {
            return Err(unavailable());
        }
        let args = args.filter(|_| self.include_args).and_then(|raw| serde_json::from_str(raw.get()).ok());
        let (started, clock) = (SystemTime::now(), Instant::now());
        let outcome = call.await;
        let entry = entry::build(Finished {
            kind,
            name,
            ctx,
            started,
            elapsed: clock.elapsed(),
            outcome: outcome.as_ref().map(|_| ()),
            args,
        });
        if !self.fail_closed {
            if let Err(e) = writer.append(entry, None).await {
                tracing::error!(error = %e, name, "audit entry lost");
            }
            return outcome;
        }
        let (ack, written) = tokio::sync::oneshot::channel();
        let result = match writer.append(entry, Some(ack)).await {
            Ok(()) => written.await.unwrap_or(Err(AuditError::Stopped)),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => outcome,
            Err(e) => {
                tracing::error!(error = %e, name, "audit entry not written: withholding the result");
                Err(unavailable())
            }
        }
    }
}

fn unavailable() -> CallError {
    CallError::new(
        FailureKind::Internal,
        ToolError::new("AUDIT_UNAVAILABLE", "The audit log is unavailable, so the call was refused."),
    )
}

impl Middleware for AuditMiddleware {
    fn on_call_tool(
        &self,
        req: CallToolRequest,
        next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
        Box::pin(async move {
            let call = req.clone();
            self.audited(Kind::Tool, call.name(), call.context(), Some(call.arguments()), next.run_inline(req)).await
        })
    }

    fn on_read_resource(
        &self,
        req: ReadResourceRequest,
        next: Next<ReadResourceRequest>,
    ) -> BoxFuture<'_, Outcome<ReadResourceRequest>> {
        if !self.resources {
            return next.run(req);
        }
        Box::pin(async move {
            let call = req.clone();
            self.audited(Kind::Resource, call.uri(), call.context(), None, next.run_inline(req)).await
        })
    }

    fn on_get_prompt(
        &self,
        req: GetPromptRequest,
        next: Next<GetPromptRequest>,
    ) -> BoxFuture<'_, Outcome<GetPromptRequest>> {
        if !self.prompts {
            return next.run(req);
        }
        Box::pin(async move {
            let call = req.clone();
            let args = self.include_args.then(|| serde_json::value::to_raw_value(call.arguments()).ok()).flatten();
            self.audited(Kind::Prompt, call.name(), call.context(), args.as_deref(), next.run_inline(req)).await
        })
    }

    fn validate(&self, _tools: &[Arc<ToolDefinition>]) -> Result<(), BuildError> {
        // Open at build: a missing key, an unwritable path or a log signed with another key
        // stops the server before it serves anything.
        if self.writer.get().is_none() {
            let writer = self
                .open()
                .map_err(|e| BuildError::Middleware { middleware: "AuditMiddleware", source: Box::new(e) })?;
            let _ = self.writer.set(writer);
        }
        Ok(())
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.flush().await {
                tracing::error!(error = %e, path = %self.path.display(), "audit log flush failed at shutdown");
            }
        })
    }
}

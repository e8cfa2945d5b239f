use super::RequestContext;
use crate::jsonrpc::ErrorObject;
use serde_json::{json, Value};
use std::time::Duration;

/// Why a server→client request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PeerError {
    /// The client answered with a JSON-RPC error.
    #[error("client returned an error: {0}")]
    Rpc(ErrorObject),
    /// The client did not declare the capability the request needs.
    #[error("the client does not support `{0}`")]
    Unsupported(&'static str),
    /// The session closed before an answer came.
    #[error("the session closed before the client answered")]
    Closed,
    /// No answer in time.
    #[error("the client did not answer within {0:?}")]
    Timeout(Duration),
    /// The request that made the call was cancelled.
    #[error("the request was cancelled")]
    Cancelled,
}

/// Server→client requests from inside a tool: sampling, elicitation, roots.
///
/// They travel on the calling request's stream (on HTTP, its POST response stream).
#[derive(Debug, Clone)]
pub struct Peer {
    ctx: RequestContext,
    timeout: Duration,
}

impl Peer {
    pub(crate) fn new(ctx: RequestContext) -> Self {
        Self { ctx, timeout: Duration::from_secs(300) }
    }

    /// The same handle with another answer timeout (default 300 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends `method` with `params` to the client and waits for its result.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, PeerError> {
        let session = &self.ctx.inner.session;
        let (id, rx) = session.register_peer_request();
        let frame = crate::jsonrpc::encode_request(&id, method, Some(&params));
        self.ctx.inner.reply.send(frame);
        let outcome = tokio::select! {
            r = tokio::time::timeout(self.timeout, rx) => r,
            () = self.ctx.inner.cancel.cancelled() => {
                session.forget_peer_request(&id);
                return Err(PeerError::Cancelled);
            }
        };
        match outcome {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => Err(PeerError::Rpc(e)),
            Ok(Err(_)) => Err(PeerError::Closed),
            Err(_) => {
                session.forget_peer_request(&id);
                Err(PeerError::Timeout(self.timeout))
            }
        }
    }

    fn require(&self, capability: &'static str) -> Result<(), PeerError> {
        let caps = self.ctx.client_capabilities();
        let has = match capability {
            "sampling" => caps.is_some_and(|c| c.sampling.is_some()),
            "elicitation" => caps.is_some_and(|c| c.elicitation.is_some()),
            "roots" => caps.is_some_and(|c| c.roots.is_some()),
            _ => true,
        };
        if has {
            Ok(())
        } else {
            Err(PeerError::Unsupported(capability))
        }
    }

    /// `sampling/createMessage`: asks the client's model for a completion. `params` is the
    /// request's params object (`messages`, `maxTokens`, …).
    pub async fn create_message(&self, params: Value) -> Result<Value, PeerError> {
        self.require("sampling")?;
        self.request("sampling/createMessage", params).await
    }

    /// `elicitation/create` in form mode: asks the user for input matching `requested_schema`.
    /// The result holds `action` (`accept`, `decline`, `cancel`) and, on accept, `content`.
    pub async fn elicit(&self, message: &str, requested_schema: Value) -> Result<Value, PeerError> {
        self.require("elicitation")?;
        self.request("elicitation/create", json!({ "message": message, "requestedSchema": requested_schema })).await
    }

    /// `roots/list`: the client's filesystem roots.
    pub async fn list_roots(&self) -> Result<Value, PeerError> {
        self.require("roots")?;
        self.request("roots/list", json!({})).await
    }
}

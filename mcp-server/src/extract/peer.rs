use super::RequestContext;
use crate::jsonrpc::ErrorObject;
use crate::protocol::{CreateMessageRequest, CreateMessageResult, ElicitResult, ElicitationSchema, Root};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::time::Duration;

/// Why a server→client request failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
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
    /// The client's answer does not have the expected shape.
    #[error("the client's answer is malformed: {0}")]
    InvalidResponse(String),
}

/// Server→client requests from inside a tool: sampling, elicitation, roots.
///
/// They travel on the calling request's stream (on HTTP, its POST response stream), so they work
/// on every transport. Each checks first that the client declared the capability.
///
/// ```
/// use mcp_server::protocol::{ElicitationSchema, FormField};
/// use mcp_server::{tool, Peer, PeerError};
///
/// /// Ask the user where to ship.
/// #[tool]
/// async fn ship(peer: Peer) -> Result<String, PeerError> {
///     let form = ElicitationSchema::new()
///         .required("region", FormField::titled_choice([("eu", "Europe"), ("us", "United States")]));
///     let answer = peer.elicit_form("Where should we ship?", &form).await?;
///     Ok(match answer.get::<String>("region") {
///         Some(region) if answer.is_accepted() => format!("shipping to {region}"),
///         _ => "not shipping".to_string(),
///     })
/// }
/// ```
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
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends `method` with `params` to the client and waits for its result.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, PeerError> {
        let client = self.ctx.client();
        let (id, rx) = client.register_request();
        // Forgets the request however this ends: answered, timed out, cancelled or dropped.
        struct Forget<'a>(&'a crate::call::ClientLink, &'a crate::jsonrpc::RequestId);
        impl Drop for Forget<'_> {
            fn drop(&mut self) {
                self.0.forget_request(self.1);
            }
        }
        let _forget = Forget(client, &id);
        let frame = crate::jsonrpc::encode_request(&id, method, Some(&params));
        let exchange = async {
            if !self.ctx.reply().send(frame).await {
                return Err(PeerError::Closed);
            }
            match rx.await {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(PeerError::Rpc(e)),
                Err(_) => Err(PeerError::Closed),
            }
        };
        tokio::select! {
            r = tokio::time::timeout(self.timeout, exchange) => r.unwrap_or(Err(PeerError::Timeout(self.timeout))),
            () = self.ctx.cancel_token().cancelled() => Err(PeerError::Cancelled),
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
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn create_message(&self, params: Value) -> Result<Value, PeerError> {
        self.require("sampling")?;
        self.request("sampling/createMessage", params).await
    }

    /// `elicitation/create` in form mode: asks the user for input matching `requested_schema`.
    /// The result holds `action` (`accept`, `decline`, `cancel`) and, on accept, `content`.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn elicit(&self, message: &str, requested_schema: Value) -> Result<Value, PeerError> {
        self.require("elicitation")?;
        self.request("elicitation/create", json!({ "message": message, "requestedSchema": requested_schema })).await
    }

    /// `roots/list`: the client's filesystem roots.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn list_roots(&self) -> Result<Value, PeerError> {
        self.require("roots")?;
        self.request("roots/list", json!({})).await
    }

    /// `sampling/createMessage` with typed params and result.
    ///
    /// ```
    /// use mcp_server::protocol::CreateMessageRequest;
    /// use mcp_server::{tool, Peer, PeerError};
    ///
    /// /// Summarise a text with the client's model.
    /// #[tool]
    /// async fn summarise(text: String, peer: Peer) -> Result<String, PeerError> {
    ///     let answer = peer.sample(CreateMessageRequest::new(200).user(format!("Summarise: {text}"))).await?;
    ///     Ok(answer.text().unwrap_or_default())
    /// }
    /// ```
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn sample(&self, request: CreateMessageRequest) -> Result<CreateMessageResult, PeerError> {
        let params = serde_json::to_value(&request).map_err(|e| PeerError::InvalidResponse(e.to_string()))?;
        typed(self.create_message(params).await?)
    }

    /// `elicitation/create` in form mode with a typed schema and result.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn elicit_form(&self, message: &str, schema: &ElicitationSchema) -> Result<ElicitResult, PeerError> {
        typed(self.elicit(message, schema.to_value()).await?)
    }

    /// `roots/list`, typed.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; a late answer is ignored.
    pub async fn roots(&self) -> Result<Vec<Root>, PeerError> {
        #[derive(serde::Deserialize)]
        struct Roots {
            roots: Vec<Root>,
        }
        Ok(typed::<Roots>(self.list_roots().await?)?.roots)
    }
}

/// A tool may return `PeerError` directly (`?`): the model sees a structured error saying what
/// the client could not do; the client's own error text is not passed on.
impl crate::error::ToolErrorSpec for PeerError {
    fn to_tool_error(&self) -> crate::error::ToolError {
        use crate::error::ToolError;
        match self {
            Self::Unsupported(cap) => ToolError::new(
                "CLIENT_CAPABILITY_MISSING",
                format!("This tool needs the client's `{cap}` capability, which it did not declare."),
            ),
            Self::Rpc(_) | Self::InvalidResponse(_) => {
                ToolError::new("CLIENT_REQUEST_FAILED", "The client could not complete the request.")
            }
            Self::Timeout(_) => ToolError::new("CLIENT_TIMEOUT", "The client did not answer in time.").retryable(true),
            Self::Closed | Self::Cancelled => {
                ToolError::new("CANCELLED", "The request ended before the client answered.")
            }
        }
    }
}

fn typed<T: DeserializeOwned>(value: Value) -> Result<T, PeerError> {
    serde_json::from_value(value).map_err(|e| PeerError::InvalidResponse(e.to_string()))
}

//! The examples of `docs/testing.md`, verbatim (one module per code block), so that the guide's
//! code keeps compiling and passing. Edit both together.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code as the guide shows it")]

mod first_test {
    use mcp_server::testing::TestClient;
    use mcp_server::{tool, McpServer};
    use serde_json::json;

    /// Echo the text back.
    #[tool]
    async fn echo(text: String) -> String {
        text
    }

    #[tokio::test]
    async fn echo_answers() -> Result<(), Box<dyn std::error::Error>> {
        // Builds the server, connects, and completes `initialize` (latest revision).
        let client = TestClient::connect(McpServer::new("t").tool(EchoTool)).await?;
        let result = client.call_tool("echo", json!({"text": "hi"})).await?;
        assert_eq!(result, json!({"content": [{"type": "text", "text": "hi"}]}));
        Ok(())
    }
}

mod errors {
    use mcp_server::testing::{ClientError, TestClient};
    use mcp_server::{tool, McpServer, ToolError};
    use serde_json::json;

    /// Always over quota.
    #[tool]
    async fn quota() -> Result<String, ToolError> {
        Err(ToolError::new("QUOTA_EXCEEDED", "You used all 100 calls today.").retryable(true))
    }

    #[tokio::test]
    async fn errors() {
        let client = TestClient::connect(McpServer::new("t").tool(QuotaTool)).await.unwrap();

        let result = client.call_tool("quota", json!({})).await.unwrap();
        assert_eq!(result["isError"], true);
        assert_eq!(result["structuredContent"]["error"]["code"], "QUOTA_EXCEEDED");

        match client.call_tool("nope", json!({})).await {
            Err(ClientError::Rpc(e)) => assert_eq!(e.code, -32602),
            other => panic!("expected invalid params, got {other:?}"),
        }
    }
}

mod cancellation {
    use mcp_server::testing::TestClient;
    use mcp_server::{tool, CancellationToken, Cancelled, McpServer, ProgressReporter};
    use serde_json::json;
    use std::time::Duration;

    /// Report progress once, then wait to be cancelled.
    #[tool]
    async fn hang(progress: ProgressReporter, cancel: CancellationToken) -> Result<String, Cancelled> {
        progress.report(1.0, None, Some("started")).await;
        cancel.cancelled().await;
        cancel.check()?;
        Ok("unreachable".into())
    }

    // The paused clock moves only when every task waits: "no response within 300 ms" then means
    // "none once the server had nothing left to do", however loaded the machine.
    #[tokio::test(start_paused = true)]
    async fn a_cancelled_request_gets_no_response() {
        let client = TestClient::connect(McpServer::new("t").tool(HangTool)).await.unwrap();
        let mut call = client.start_tool_call("hang", json!({})).await;
        let first = call.next_progress().await.unwrap();
        assert_eq!(first["message"], "started");
        call.cancel("user pressed stop").await;
        assert!(call.response_within(Duration::from_millis(300)).await.is_none());
        assert_eq!(client.request("ping", json!({})).await.unwrap(), json!({}));
    }
}

mod notifications {
    use mcp_server::testing::TestClient;
    use mcp_server::{tool, Logger, McpServer};
    use serde_json::json;

    /// Log at two levels.
    #[tool]
    async fn chatty(logger: Logger) -> String {
        logger.debug("details");
        logger.warning("careful");
        "done".into()
    }

    #[tokio::test]
    async fn log_messages_are_filtered_by_level() {
        let client = TestClient::connect(McpServer::new("t").tool(ChattyTool)).await.unwrap();
        client.call_tool("chatty", json!({})).await.unwrap();
        let logs: Vec<_> = client.messages().into_iter().filter(|m| m["method"] == "notifications/message").collect();
        // The default level is `info`: the debug message was filtered out.
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0]["params"], json!({"level": "warning", "data": "careful"}));
    }
}

mod byte_exact {
    use mcp_server::McpServer;

    #[tokio::test]
    async fn ids_keep_their_type() {
        let handle = McpServer::new("t").build().unwrap();
        let mut transport = handle.connect_memory();
        transport.tx.send(r#"{"jsonrpc":"2.0","id":"abc","method":"ping"}"#.into()).await.unwrap();
        assert_eq!(transport.rx.recv().await.unwrap(), r#"{"jsonrpc":"2.0","id":"abc","result":{}}"#);
        transport.tx.send("{oops".into()).await.unwrap();
        let error: serde_json::Value = serde_json::from_str(&transport.rx.recv().await.unwrap()).unwrap();
        assert_eq!((error["id"].clone(), error["error"]["code"].clone()), (serde_json::Value::Null, (-32700).into()));
    }
}

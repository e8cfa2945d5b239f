//! The canonical example: an argument with a description, an injected reporter, an annotation.

use mcp_server::{tool, ProgressReporter, Tool};

/// Echo text back.
#[tool(read_only)]
async fn echo(#[arg(description = "Text to echo")] text: String, progress: ProgressReporter) -> String {
    let _ = progress;
    text
}

fn main() {
    let definition = EchoTool.definition();
    let info = &definition.info;
    assert_eq!(&*info.name, "echo");
    assert_eq!(info.description, "Echo text back.");
    assert_eq!(info.annotations.read_only_hint, Some(true));
    assert_eq!(info.annotations.destructive_hint, None);
    assert!(info.output_schema.is_none());
    let schema = serde_json::to_value(&*info.input_schema).expect("schema");
    assert_eq!(schema["properties"]["text"]["description"], "Text to echo");
    assert_eq!(schema["required"], serde_json::json!(["text"]));
    assert!(schema["properties"].get("progress").is_none());

    // The function itself is unchanged and the companion is an ordinary value type.
    let _: fn(String, ProgressReporter) -> _ = echo;
    let copy = EchoTool;
    let _ = (copy, EchoTool::default(), format!("{copy:?}"));
}

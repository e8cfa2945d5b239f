//! Procedural macros for `mcp-server`: [`#[tool]`](macro@tool),
//! [`#[exception_handler]`](macro@exception_handler) and [`#[derive(ToolError)]`](derive@ToolError).
//!
//! Use them through `mcp_server`, which re-exports them. They only wire things up: the function
//! you write is emitted unchanged (apart from the `#[arg]` / `#[inject]` helper attributes on its
//! parameters), and a small companion type implements a runtime trait by delegating to runtime
//! code. Generated code names runtime items only through the hidden `::mcp_server::__private`
//! module, so nothing has to be imported for it.
//!
//! # Which parameters are arguments and which are injected
//!
//! A `#[tool]` parameter is **injected** when
//!
//! - its type, or the referent of its `&T` type, has a last path segment named one of
//!   `RequestContext`, `ProgressReporter`, `CancellationToken`, `BackgroundTasks`, `State`,
//!   `Logger` or `Peer` (so `State<AppState>`, `&RequestContext` and
//!   `mcp_server::ProgressReporter` are all injected), or
//! - it carries `#[inject]` (for your own `FromContext` types).
//!
//! Every other parameter is a **JSON argument**: it is a field of the tool's input schema and is
//! deserialized from the call's `arguments`. Arguments are owned (`String`, not `&str`);
//! `Option<T>` arguments and `#[arg(default = EXPR)]` arguments are optional. The rule looks at
//! names only, so a type of yours called `State` is injected too: import it under another name
//! (`use crate::job::State as JobState;`) to make it an argument.
//!
//! ```
//! use mcp_server::{tool, RequestContext, State};
//!
//! struct Db;
//!
//! /// Look an employee up.
//! #[tool]
//! async fn get_employee(
//!     id: u64,                    // argument: `{"id": 7}`
//!     department: Option<String>, // optional argument
//!     db: State<Db>,              // injected (`State`)
//!     ctx: &RequestContext,       // injected (`&RequestContext`)
//! ) -> String {
//!     let _ = (db, ctx);
//!     format!("employee {id} of {department:?}")
//! }
//! ```
//!
//! Mistakes are reported on the offending token, all of them in one compile.

mod attr;
mod case;
mod docs;
mod errors;
mod exception_handler;
mod tool;
mod tool_error;

use proc_macro::TokenStream;

/// Turns an `async fn` into an MCP tool.
///
/// The function stays as written (and callable in unit tests); beside it the macro emits a unit
/// struct named after it in `PascalCase` with a `Tool` suffix (`get_employee` → `GetEmployeeTool`)
/// that implements the runtime's `Tool` trait. Register that struct:
/// `McpServer::new("hr-api").tool(GetEmployeeTool)`.
///
/// ```
/// use mcp_server::{tool, McpServer, ProgressReporter};
///
/// /// Echo text back.
/// #[tool(read_only)]
/// async fn echo(#[arg(description = "Text to echo")] text: String, progress: ProgressReporter) -> String {
///     let _ = progress; // injected: not part of the input schema
///     text
/// }
///
/// let server = McpServer::new("echo-server").tool(EchoTool);
/// ```
///
/// The companion struct has the function's visibility, so a `pub` tool gets a `pub` companion.
///
/// # Keys
///
/// Each at most once; flags may be written bare (`read_only`) or as `read_only = true/false`.
///
/// | key | meaning |
/// | --- | --- |
/// | `name = "..."` | wire name; default: the function's name. 1–128 characters of `A-Z a-z 0-9 _ - .` |
/// | `title = "..."` | human-readable title |
/// | `description = "..."` | overrides the doc comment |
/// | `read_only`, `destructive`, `idempotent`, `open_world` | the tool annotations (hints) |
/// | `auth` | the caller must be authenticated |
/// | `roles = ["a", ...]`, `scopes = ["x", ...]` | what the caller needs |
///
/// # Description
///
/// The doc comment is the description (dedented and trimmed, paragraphs kept), without its
/// rustdoc `# Arguments` section. A tool must have one: a `///` comment or `description = "..."`.
///
/// # Parameters
///
/// Parameters are injected or JSON arguments by the rule in the [crate docs](crate):
/// injected when the type (or the `&T` referent) is named `RequestContext`, `ProgressReporter`,
/// `CancellationToken`, `BackgroundTasks`, `State`, `Logger` or `Peer`, or when the parameter
/// carries `#[inject]`; an argument otherwise. An injected type must implement the runtime's
/// `FromContext`; an argument type must implement `Deserialize` and `JsonSchema`.
///
/// An argument's description comes from `#[arg(description = "...")]` or from the doc comment's
/// `# Arguments` section (`` * `name` - text ``, `` - `name`: text `` or `` * `name`: text ``).
/// `#[arg(default = EXPR)]` makes it optional with that default (converted with `Into`),
/// `#[arg(rename = "wireName")]` changes its JSON name, and `Option<T>` arguments are optional.
///
/// # Output
///
/// The return type gives the output schema and is converted to the tool result by the runtime;
/// `Result<T, E>` errors go through the exception handlers and `ToolErrorSpec`.
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    tool::tool(args.into(), item.into()).into()
}

/// Turns `async fn name(ctx: &RequestContext, error: &MyError) -> ToolError` into an exception
/// handler for `MyError`.
///
/// The function stays as written; beside it the macro emits a unit struct named after it in
/// `PascalCase` with a `Handler` suffix (`handle_not_found` → `HandleNotFoundHandler`) that
/// implements the runtime's `ExceptionHandler` with `type Error = MyError`. Register it with
/// `server.exception_handler(HandleNotFoundHandler)`. The struct has the function's visibility,
/// and names the error type in its impl: the error type must be at least as visible as the
/// function (a `pub` handler for a private error type does not compile).
///
/// ```
/// use mcp_server::{exception_handler, McpServer, RequestContext, ToolError};
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("employee {0} not found")]
/// struct NotFound(u64);
///
/// #[exception_handler]
/// async fn handle_not_found(_ctx: &RequestContext, error: &NotFound) -> ToolError {
///     ToolError::new("EMPLOYEE_NOT_FOUND", error.to_string()).suggestion("List the employees first.")
/// }
///
/// let server = McpServer::new("hr-api").exception_handler(HandleNotFoundHandler);
/// ```
#[proc_macro_attribute]
pub fn exception_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    exception_handler::exception_handler(args.into(), item.into()).into()
}

/// Implements the runtime's `ToolErrorSpec` for an error enum or struct, so a tool returning
/// `Result<T, ThisError>` reports a coded `ToolError`.
///
/// Put `#[tool_error(...)]` on the type (defaults for every variant) and/or on variants:
///
/// | key | meaning |
/// | --- | --- |
/// | `code = "..."` | required (on the variant or the enum) |
/// | `retryable` / `retryable = bool` | default `false` |
/// | `message = "..."` | default: the type's `Display` |
/// | `suggestion = "..."` | a hint for the model |
/// | `transparent` | on a variant (or a struct) that wraps one error: see below |
///
/// `message` and `suggestion` may use `{field}` and `{0}` placeholders, as in thiserror.
///
/// ```
/// use mcp_server::{ToolError, ToolErrorSpec};
///
/// #[derive(Debug, thiserror::Error, ToolError)]
/// #[tool_error(code = "PAYMENT_FAILED")]
/// enum PaymentError {
///     #[error("card ending {last4} was declined")]
///     #[tool_error(code = "CARD_DECLINED", suggestion = "Ask for a card other than the one ending {last4}.")]
///     Declined { last4: String },
///     #[error("the payment provider timed out")]
///     #[tool_error(retryable)]
///     Timeout,
/// }
///
/// let error = PaymentError::Declined { last4: "4242".into() }.to_tool_error();
/// assert_eq!(error.code, "CARD_DECLINED");
/// assert_eq!(error.message, "card ending 4242 was declined");
/// assert_eq!(error.suggestion.as_deref(), Some("Ask for a card other than the one ending 4242."));
/// assert!(PaymentError::Timeout.to_tool_error().retryable);
/// ```
///
/// # Wrapper enums
///
/// A variant that only wraps another error is **transparent** when it carries thiserror's
/// `#[error(transparent)]` or `#[tool_error(transparent)]`. It needs no `code`, and the wrapped
/// error is reported as if the tool had returned it: an `#[exception_handler]` registered for the
/// wrapped error's type (or for an error along its `source()` chain) applies, else the wrapped
/// error's own `#[derive(ToolError)]` mapping, else the masked `INTERNAL_ERROR` (logged at `warn`).
/// A handler registered for the enum itself still wins over all of these.
///
/// A transparent variant has exactly one field (the wrapped error: a type implementing
/// `std::error::Error`, or a `Box<dyn Error + Send + Sync>`), and takes none of `code`,
/// `retryable`, `message` or `suggestion`: to give it a code of its own, give it a message of its
/// own instead of `#[error(transparent)]`. The enum's defaults do not apply to it.
///
/// ```
/// use mcp_server::{ToolError, ToolErrorSpec};
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("employee {0} not found")]
/// struct EmployeeNotFound(u64); // mapped by an `#[exception_handler]`
///
/// #[derive(Debug, thiserror::Error, ToolError)]
/// #[error("the database is unavailable")]
/// #[tool_error(code = "DB_UNAVAILABLE", retryable)]
/// struct DbError; // maps itself
///
/// #[derive(Debug, thiserror::Error, ToolError)]
/// enum AppError {
///     #[error(transparent)]
///     NotFound(#[from] EmployeeNotFound),
///     #[error(transparent)]
///     Db(#[from] DbError),
///     #[error("bad input: {0}")]
///     #[tool_error(code = "BAD_INPUT")]
///     Bad(String),
/// }
///
/// assert_eq!(AppError::Db(DbError).to_tool_error().code, "DB_UNAVAILABLE");
/// assert!(AppError::NotFound(EmployeeNotFound(7)).wrapped().is_some());
/// assert_eq!(AppError::Bad("x".into()).to_tool_error().code, "BAD_INPUT");
/// ```
///
/// The wrapped error's own mapping is found only when the field's type is known: a transparent
/// field of a generic type parameter is masked unless an exception handler maps it.
#[proc_macro_derive(ToolError, attributes(tool_error))]
pub fn derive_tool_error(input: TokenStream) -> TokenStream {
    tool_error::derive(input.into()).into()
}

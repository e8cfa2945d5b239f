//! The seed's HR story: exception handlers and background tasks.
//!
//! - `get_employee(employee_id)` looks an employee up; an unknown id raises
//!   `EmployeeNotFoundError`, which the `handle_not_found` exception handler turns into
//!   `EMPLOYEE_NOT_FOUND`.
//! - `create_employee(name, email, department)` — `auth = true`, as in the seed — stores a new
//!   employee and answers at once; the welcome email and the audit event run as background tasks
//!   *after* the response is written. Without valid credentials it answers
//!   `AUTHENTICATION_ERROR`. Creating someone in a restricted department without the `hr-admin`
//!   role (from the caller's token) raises `InsufficientPermissionsError`, mapped to `FORBIDDEN`
//!   by `handle_permissions`. `get_employee` needs no credentials.
//!
//! ```text
//! cargo run --example hr_api            # stdio; logs (welcome mail, audit) go to stderr
//! ```
//! Credentials: JWT (HS256) from `MCP_AUTH_TOKEN` on stdio, verified with `MCP_JWT_SECRET`; with
//! neither set, a demo secret and a demo token (role `hr-admin`) are generated and printed on
//! stderr (see `examples/security/mod.rs` and `docs/security.md`).
//! Environment: `HR_EMAIL_LATENCY_MS` (default 200) is how long the simulated mail server takes;
//! `HR_EMAIL_FAIL=1` makes it fail, to see a failed background task logged while the audit task
//! still runs and the response is unaffected.

#[path = "common/mod.rs"]
mod common;
#[path = "security/mod.rs"]
mod security;

use mcp_server::auth::AuthMiddleware;
use mcp_server::{exception_handler, tool, BackgroundTasks, Json, McpServer, RequestContext, State, ToolError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An employee record.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Employee {
    /// Employee id, e.g. `E001`.
    pub(crate) id: String,
    /// Full name.
    pub(crate) name: String,
    /// Work email.
    pub(crate) email: String,
    /// Department.
    pub(crate) department: String,
}

/// What `create_employee` answers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Created {
    /// The new employee's id.
    pub(crate) id: String,
    /// Their name.
    pub(crate) name: String,
    /// Always `created`.
    pub(crate) status: &'static str,
}

/// An entry of the (simulated) external audit system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuditEvent {
    /// What happened, e.g. `CREATE_EMPLOYEE`.
    pub(crate) action: String,
    /// Who did it (the caller's client id).
    pub(crate) actor: String,
    /// The subject's id.
    pub(crate) employee_id: String,
}

/// The in-memory HR database, plus what the simulated mail and audit services received.
#[derive(Debug, Default)]
pub(crate) struct HrStore {
    employees: Mutex<BTreeMap<String, Employee>>,
    /// Welcome emails sent: `(employee_id, email)`.
    pub(crate) outbox: Mutex<Vec<(String, String)>>,
    /// Audit events logged.
    pub(crate) audit: Mutex<Vec<AuditEvent>>,
    email_latency: Duration,
    email_fails: bool,
}

/// Departments only an `hr-admin` may add people to.
const RESTRICTED_DEPARTMENTS: &[&str] = &["Executive"];

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HrStore {
    /// A store with two employees, a mail server taking `email_latency`, failing if `email_fails`.
    pub(crate) fn seeded(email_latency: Duration, email_fails: bool) -> Self {
        let store = Self { email_latency, email_fails, ..Self::default() };
        store.insert("Ada Lovelace", "ada@example.com", "Engineering");
        store.insert("Grace Hopper", "grace@example.com", "Research");
        store
    }

    fn get(&self, id: &str) -> Option<Employee> {
        lock(&self.employees).get(id).cloned()
    }

    fn insert(&self, name: &str, email: &str, department: &str) -> Employee {
        let mut employees = lock(&self.employees);
        let id = format!("E{:03}", employees.len() + 1);
        let employee =
            Employee { id: id.clone(), name: name.into(), email: email.into(), department: department.into() };
        employees.insert(id, employee.clone());
        employee
    }
}

/// No employee has this id.
#[derive(Debug, thiserror::Error)]
#[error("Employee {employee_id} not found")]
pub(crate) struct EmployeeNotFoundError {
    /// The id that was looked up.
    pub(crate) employee_id: String,
}

/// The caller may not perform this action.
#[derive(Debug, thiserror::Error)]
#[error("{actor} may not {action}")]
pub(crate) struct InsufficientPermissionsError {
    /// Who tried.
    pub(crate) actor: String,
    /// What they tried.
    pub(crate) action: String,
}

/// Maps `EmployeeNotFoundError` to a structured, actionable error.
#[exception_handler]
async fn handle_not_found(_ctx: &RequestContext, exc: &EmployeeNotFoundError) -> ToolError {
    ToolError::new("EMPLOYEE_NOT_FOUND", format!("Employee '{}' does not exist.", exc.employee_id))
}

/// Maps `InsufficientPermissionsError` without revealing who may do what.
#[exception_handler]
async fn handle_permissions(_ctx: &RequestContext, _exc: &InsufficientPermissionsError) -> ToolError {
    ToolError::new("FORBIDDEN", "You don't have permission for this action.")
}

/// Get an employee by ID.
#[tool(read_only, idempotent)]
async fn get_employee(
    #[arg(description = "The employee id, e.g. E001")] employee_id: String,
    db: State<Arc<HrStore>>,
) -> Result<Json<Employee>, EmployeeNotFoundError> {
    db.get(&employee_id).map(Json).ok_or(EmployeeNotFoundError { employee_id })
}

/// Send the welcome email (runs after the response is sent).
async fn send_welcome_email(db: Arc<HrStore>, employee_id: String, email: String) -> Result<(), String> {
    tokio::time::sleep(db.email_latency).await;
    if db.email_fails {
        return Err(format!("mail server rejected the welcome email to {email}"));
    }
    tracing::info!(%employee_id, %email, "welcome email sent");
    lock(&db.outbox).push((employee_id, email));
    Ok(())
}

/// Log to the external audit system.
async fn log_audit_event(db: Arc<HrStore>, action: &str, actor: String, employee_id: String) {
    tracing::info!(action, %actor, %employee_id, "audit event logged");
    lock(&db.audit).push(AuditEvent { action: action.into(), actor, employee_id });
}

/// Create an employee.
///
/// The welcome email and the audit log run in the background after the response is returned.
/// If they fail, it's logged but doesn't affect the response.
#[tool(destructive, auth = true)]
async fn create_employee(
    #[arg(description = "Full name")] name: String,
    #[arg(description = "Work email")] email: String,
    #[arg(description = "Department, e.g. Engineering")] department: String,
    ctx: RequestContext,
    db: State<Arc<HrStore>>,
    bg: BackgroundTasks,
) -> Result<Json<Created>, InsufficientPermissionsError> {
    let actor = ctx.client_id().unwrap_or("anonymous").to_string();
    let is_admin = ctx.identity().is_some_and(|id| id.has_role("hr-admin"));
    if RESTRICTED_DEPARTMENTS.contains(&department.as_str()) && !is_admin {
        return Err(InsufficientPermissionsError { actor, action: format!("create employees in {department}") });
    }
    let employee = db.insert(&name, &email, &department);
    bg.add(send_welcome_email(Arc::clone(&db), employee.id.clone(), email));
    bg.add(log_audit_event(Arc::clone(&db), "CREATE_EMPLOYEE", actor, employee.id.clone()));
    Ok(Json(Created { id: employee.id, name, status: "created" }))
}

/// The HR server: both tools, both exception handlers, the store as shared state, and `auth`
/// (required: `create_employee` is `auth = true`, and the server refuses to build without it).
pub(crate) fn server(db: Arc<HrStore>, auth: AuthMiddleware) -> McpServer {
    McpServer::new("hr-api")
        .version(env!("CARGO_PKG_VERSION"))
        .instructions("Look up and create employees. Welcome emails and audit events are sent in the background.")
        .state(db)
        .tool(GetEmployeeTool)
        .tool(CreateEmployeeTool)
        .exception_handler(HandleNotFoundHandler)
        .exception_handler(HandlePermissionsHandler)
        .middleware(auth)
}

fn env_ms(name: &str, default: u64) -> Duration {
    Duration::from_millis(std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    let fails = std::env::var("HR_EMAIL_FAIL").is_ok_and(|v| v == "1" || v == "true");
    let db = Arc::new(HrStore::seeded(env_ms("HR_EMAIL_LATENCY_MS", 200), fails));
    let auth = security::jwt_auth("hr_api", "hr-api", &["hr-admin"])?;
    common::serve(server(db, auth)).await
}

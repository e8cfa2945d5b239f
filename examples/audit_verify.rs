//! Verifies a signed audit log written by `AuditMiddleware`: prints `OK` with the entry count, or
//! the first broken entry (line number and reason). Exit code 0 when the log verifies, 1 when it
//! does not, 2 on a usage error or an unreadable file.
//!
//! ```text
//! MCP_AUDIT_KEY=<hex key the log was written with> cargo run --example audit_verify -- audit.jsonl
//! ```
#![allow(clippy::print_stdout, reason = "a command-line tool prints its verdict")]

use mcp_server::middleware::{verify_audit_log, AuditKey, AUDIT_KEY_ENV};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: {AUDIT_KEY_ENV}=<key> cargo run --example audit_verify -- FILE");
        return ExitCode::from(2);
    };
    let key = match AuditKey::from_env(AUDIT_KEY_ENV) {
        Ok(Some(key)) => key,
        Ok(None) => {
            eprintln!("set {AUDIT_KEY_ENV} to the key the log was written with (hex, as the server announced it)");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{AUDIT_KEY_ENV}: {e}");
            return ExitCode::from(2);
        }
    };
    match verify_audit_log(&path, &key) {
        Ok(report) => {
            println!("{}: {report}", path.to_string_lossy());
            if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.to_string_lossy());
            ExitCode::from(2)
        }
    }
}

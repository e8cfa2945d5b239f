//! Builds an example binary for the tests that run it as a child process over stdio.

use std::path::PathBuf;
use std::process::Command;

/// Variables `cargo test` sets for the test process that a nested `cargo build` must not see:
/// build scripts track some of them (ring's tracks `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`), and
/// inheriting them would make the nested build, and the next `cargo test`, rebuild half the
/// dependency tree.
fn set_by_cargo_for_tests(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_BIN_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "OUT_DIR"
        )
}

/// `target/<profile>/examples/<name>`, next to this test's `target/<profile>/deps/` directory,
/// built first so that it is never stale (a no-op when it is up to date; `cargo test --test X`
/// alone does not build examples).
pub(crate) fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.current_dir(env!("CARGO_MANIFEST_DIR")).args(["build", "--quiet", "--example", name, "--target-dir"]);
    build.arg(target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    for (var, _) in std::env::vars_os() {
        if var.to_str().is_some_and(set_by_cargo_for_tests) {
            build.env_remove(var);
        }
    }
    let status = build.status().unwrap();
    assert!(status.success(), "cargo build --example {name} failed: {status}");
    let binary = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}

//! Colourful narration when stdout is a terminal, plain text otherwise.

use std::io::IsTerminal;
use std::sync::OnceLock;

fn colour() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none())
}

fn paint(code: &str, text: &str) -> String {
    if colour() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub(crate) fn section(n: u32, title: &str) {
    println!("\n{}", paint("1;36", &format!("── {n}. {title} ──")));
}

pub(crate) fn step(text: &str) {
    println!("  {text}");
}

pub(crate) fn good(text: &str) -> String {
    paint("32", text)
}

pub(crate) fn bad(text: &str) -> String {
    paint("31", text)
}

pub(crate) fn note(text: &str) -> String {
    paint("2", text)
}

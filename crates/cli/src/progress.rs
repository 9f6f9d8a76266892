//! Progress bars for long work.

use indicatif::{ProgressBar, ProgressStyle};

pub fn bar(total: u64, what: &str) -> ProgressBar {
    let pb = if total == 0 { ProgressBar::new_spinner() } else { ProgressBar::new(total) };
    let template = if total == 0 {
        "{spinner} {msg}: {pos} rows ({per_sec}) {elapsed}"
    } else {
        "{msg:>10} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})"
    };
    pb.set_style(ProgressStyle::with_template(template).expect("a valid template").progress_chars("=> "));
    pb.set_message(what.to_string());
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    pb
}

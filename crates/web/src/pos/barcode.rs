//! Code 128 barcodes as SVG, for receipts (the encoding is the `barcoders` crate's).

use barcoders::sym::code128::Code128;
use maud::{Markup, html};

/// The barcode of `text` (printable ASCII, character set B) as bars of one module each.
pub fn code128(text: &str) -> Option<Markup> {
    let modules = Code128::new(format!("\u{0181}{text}")).ok()?.encode();
    let width = modules.len() + 20;
    let mut path = String::new();
    let mut x = 10;
    for run in modules.chunk_by(|a, b| a == b) {
        if run[0] == 1 {
            path.push_str(&format!("M{x} 0h{}v60h-{}z", run.len(), run.len()));
        }
        x += run.len();
    }
    Some(html! {
        svg.barcode xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {width} 60")) preserveAspectRatio="none"
            role="img" aria-label=(text) data-code=(text) {
            path d=(path) {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_code_draws_bars_that_start_and_stop_as_code128_does() {
        let modules = Code128::new("\u{0181}R1042").unwrap().encode();
        // Start B is 11010010000; every symbol is 11 modules and the stop 13.
        assert_eq!(&modules[..11], &[1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(modules.len(), 11 * (1 + 5 + 1) + 13);
        assert_eq!(&modules[modules.len() - 13..], &[1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1]);
        let svg = code128("R1042").unwrap().into_string();
        assert!(svg.contains("data-code=\"R1042\"") && svg.contains("M10 0h2v60"));
    }
}

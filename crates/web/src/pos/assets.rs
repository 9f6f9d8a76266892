//! The till's stylesheet and script.

use crate::assets::Bundle;

pub static ASSETS: Bundle =
    Bundle::new("/pos-assets/pos.css", include_str!("assets/pos.css"), "/pos-assets/pos.js", include_str!("assets/pos.js"));

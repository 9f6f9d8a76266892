//! The club's stylesheet and script.

use crate::assets::Bundle;

pub static ASSETS: Bundle =
    Bundle::new("/club-assets/club.css", include_str!("assets/club.css"), "/club-assets/club.js", include_str!("assets/club.js"));

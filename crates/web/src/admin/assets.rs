//! The panel's stylesheet and script.

use crate::assets::Bundle;

pub static ASSETS: Bundle = Bundle::new(
    "/admin/assets/admin.css",
    include_str!("assets/admin.css"),
    "/admin/assets/admin.js",
    include_str!("assets/admin.js"),
);

//! WooCommerce writes the same field as a string in one place and a number in another (a line's
//! `price` is documented as a string and sent as a number). A [`Loose`] value takes either.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Loose {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    #[default]
    Null,
}

impl Loose {
    /// The value as text; empty for null.
    pub fn text(&self) -> String {
        match self {
            Loose::Text(s) => s.trim().to_string(),
            Loose::Int(i) => i.to_string(),
            Loose::Float(f) => format!("{f}"),
            Loose::Bool(b) => b.to_string(),
            Loose::Null => String::new(),
        }
    }

    pub fn is_blank(&self) -> bool {
        self.text().is_empty()
    }
}

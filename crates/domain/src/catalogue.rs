//! Catalogue (SPEC A6): categories in a tree, products by SKU, branches by code.

use crate::issue::{Checker, Invalid, Issue, optional_text, required_text};
use crate::money::check_amount;
use serde::{Deserialize, Serialize};

/// A code chosen by the business (SKU, category or branch code): 1–64 visible characters.
pub fn parse_code(input: &str) -> Result<String, Issue> {
    let s = crate::digits::ascii_digits(input.trim());
    if s.is_empty() {
        Err(Issue::required())
    } else if s.chars().count() > 64 {
        Err(Issue::too_long(64))
    } else if s.chars().any(|c| c.is_control() || c == '/') {
        Err(Issue::new("invalid_code", "may not contain / or control characters", "نباید / یا نویسه کنترلی داشته باشد"))
    } else {
        Ok(s)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: String,
    /// Code of the parent category; absent for a top-level category.
    pub parent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ValidCategory {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

impl CategoryInput {
    pub fn parse(&self, code: &str) -> Result<ValidCategory, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(code));
        let name = c.check("name", required_text(Some(&self.name), 200));
        let parent = self.parent.as_deref().filter(|p| !p.trim().is_empty()).and_then(|p| c.check("parent", parse_code(p)));
        if let (Some(code), Some(parent)) = (&code, &parent)
            && code == parent
        {
            c.push(Issue::new("cycle", "a category cannot be its own parent", "دسته نمی‌تواند والد خودش باشد").at("parent"));
        }
        c.finish(|| ValidCategory { code: code.unwrap(), name: name.unwrap(), parent })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub name: String,
    /// Category code.
    pub category: Option<String>,
    /// Price in the tenant currency's smallest unit.
    pub price: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone)]
pub struct ValidProduct {
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub price: i64,
    pub active: bool,
}

impl ProductInput {
    pub fn parse(&self, sku: &str) -> Result<ValidProduct, Invalid> {
        let mut c = Checker::new();
        let sku = c.check("sku", parse_code(sku));
        let name = c.check("name", required_text(Some(&self.name), 300));
        let category = self.category.as_deref().filter(|p| !p.trim().is_empty()).and_then(|p| c.check("category", parse_code(p)));
        let price = c.check("price", check_amount(self.price));
        c.finish(|| ValidProduct { sku: sku.unwrap(), name: name.unwrap(), category, price: price.unwrap(), active: self.active })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchInput {
    pub name: String,
    pub city: Option<String>,
    pub address: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct ValidBranch {
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub address: Option<String>,
    pub active: bool,
}

impl BranchInput {
    pub fn parse(&self, code: &str) -> Result<ValidBranch, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(code));
        let name = c.check("name", required_text(Some(&self.name), 200));
        let city = c.check("city", optional_text(self.city.as_deref(), 100));
        let address = c.check("address", optional_text(self.address.as_deref(), 500));
        c.finish(|| ValidBranch {
            code: code.unwrap(),
            name: name.unwrap(),
            city: city.unwrap(),
            address: address.unwrap(),
            active: self.active,
        })
    }
}

/// A change of stock at a branch: set to a counted value, or move by a delta.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockInput {
    /// Set the stock to this count (a stock take).
    pub quantity: Option<i64>,
    /// Or move it by this amount (receipt: positive, loss: negative).
    pub delta: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockChange {
    Set(i64),
    Move(i64),
}

impl StockInput {
    pub fn parse(&self) -> Result<(StockChange, Option<String>), Invalid> {
        let mut c = Checker::new();
        let reason = c.check("reason", optional_text(self.reason.as_deref(), 300));
        let change = match (self.quantity, self.delta) {
            (Some(q), None) => c.check("quantity", check_amount(q)).map(StockChange::Set),
            (None, Some(d)) => Some(StockChange::Move(d)),
            _ => {
                c.push(
                    Issue::new("one_of", "give exactly one of quantity or delta", "دقیقاً یکی از quantity یا delta را بدهید")
                        .at("quantity"),
                );
                None
            }
        };
        c.finish(|| (change.unwrap(), reason.unwrap()))
    }
}

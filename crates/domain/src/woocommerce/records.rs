//! WooCommerce customers and products, read into a customer patch and a catalogue product.

use super::Loose;
use super::order::{gmt, identity};
use crate::catalogue::ValidProduct;
use crate::customer::{CustomerInput, CustomerPatch, ExternalIdInput};
use crate::issue::{Checker, Invalid, Issue};
use crate::money::{minor_units, parse_decimal_amount};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WooCustomer {
    pub id: Loose,
    pub date_modified_gmt: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub billing: super::order::Billing,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WooProduct {
    pub id: Loose,
    pub name: String,
    pub sku: Loose,
    pub price: Loose,
    pub regular_price: Loose,
    pub status: String,
    pub date_modified_gmt: Option<String>,
    pub categories: Vec<WooCategory>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WooCategory {
    pub name: String,
    pub slug: String,
}

fn text(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl WooCustomer {
    /// `date_modified_gmt` in milliseconds.
    pub fn version(&self) -> Option<i64> {
        gmt(self.date_modified_gmt.as_deref()).map(|t| t.as_millisecond())
    }

    /// The customer as a patch under the connection's source: the shop's id, the mobile (billing
    /// phone) and email when valid, names and address. Invalid phones and emails are left out and
    /// noted rather than refusing the customer.
    pub fn patch(&self, source: &str) -> Result<(CustomerPatch, Vec<String>), Invalid> {
        let id = self.id.text();
        if id.is_empty() || id == "0" {
            return Err(Issue::required().at("id").into());
        }
        let mut notes = Vec::new();
        let email = if self.email.trim().is_empty() { &self.billing.email } else { &self.email };
        let (_, mobile, email) = identity(&self.id, &self.billing.phone, email, &mut notes);
        let first = text(&self.first_name).or_else(|| text(&self.billing.first_name));
        let last = text(&self.last_name).or_else(|| text(&self.billing.last_name));
        let input = CustomerInput {
            external_ids: Some(vec![ExternalIdInput { source: source.to_string(), id }]),
            mobile,
            email,
            first_name: first,
            last_name: last,
            province: text(&self.billing.state),
            city: text(&self.billing.city),
            address_line: text(&self.billing.address_1),
            postal_code: text(&self.billing.postcode),
            ..Default::default()
        };
        Ok((input.parse()?, notes))
    }
}

impl WooProduct {
    pub fn version(&self) -> Option<i64> {
        gmt(self.date_modified_gmt.as_deref()).map(|t| t.as_millisecond())
    }

    /// The product in the catalogue under its SKU (`woo-{id}` when the shop gave none, as order
    /// lines name it), priced in the tenant's currency (shop prices are in the shop's currency,
    /// which must be the tenant's or the other of rial/toman), in its first category.
    pub fn product(&self, shop_currency: &str, tenant_currency: &str) -> Result<ValidProduct, Invalid> {
        let mut c = Checker::new();
        let id = self.id.text();
        let sku = Some(self.sku.text()).filter(|s| !s.is_empty()).unwrap_or_else(|| format!("woo-{id}"));
        let price_text = if self.price.is_blank() { self.regular_price.text() } else { self.price.text() };
        let price = c.check("price", parse_decimal_amount(&price_text, minor_units(shop_currency)));
        let factor = c.check("currency", crate::invoice::currency_factor(shop_currency, tenant_currency));
        let name = text(&self.name).unwrap_or_else(|| sku.clone());
        let category = self.categories.first().and_then(|c| text(&c.slug));
        if id.is_empty() {
            c.push(Issue::required().at("id"));
        }
        c.finish(|| {
            let (mul, div) = factor.unwrap_or((1, 1));
            ValidProduct {
                sku,
                name: name.chars().take(300).collect(),
                category,
                price: price.unwrap_or(0).max(0) * mul / div,
                active: self.status.is_empty() || self.status == "publish",
            }
        })
    }

    /// The categories the product names, as (code, name) for the catalogue's tree.
    pub fn categories(&self) -> Vec<(String, String)> {
        self.categories.iter().filter_map(|c| Some((text(&c.slug)?, text(&c.name).unwrap_or_else(|| c.slug.clone())))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woocommerce");

    #[test]
    fn the_documented_customer_becomes_a_patch_under_the_shop() {
        let c: WooCustomer = serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/customer.json")).unwrap()).unwrap();
        let (patch, notes) = c.patch("woo-shop").unwrap();
        let keys: Vec<String> = patch.identities.iter().map(|k| k.key()).collect();
        assert_eq!(keys, ["x:woo-shop:25", "e:john.doe@example.com"]);
        assert_eq!(notes.len(), 1);
        assert!(c.version().is_some());
    }

    #[test]
    fn the_documented_product_takes_an_id_sku_and_its_first_category() {
        let p: WooProduct = serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/product.json")).unwrap()).unwrap();
        let v = p.product("USD", "USD").unwrap();
        assert_eq!((v.sku.as_str(), v.price, v.category.as_deref(), v.active), ("woo-794", 2199, Some("clothing"), true));
        assert_eq!(p.categories().len(), 2);
        assert!(p.product("USD", "IRT").is_err());
    }
}

//! A Shopify customer (the body of `customers/create` and `customers/update`).

use super::shopify_time;
use crate::customer::{CustomerInput, CustomerPatch, ExternalIdInput};
use crate::issue::{Invalid, Issue};
use crate::woocommerce::{Loose, identity};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShopifyCustomer {
    pub id: Loose,
    pub updated_at: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Comma-separated, as Shopify keeps them.
    pub tags: Option<String>,
    pub default_address: Option<super::order::Address>,
    pub email_marketing_consent: Option<Consent>,
    pub sms_marketing_consent: Option<Consent>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Consent {
    /// `subscribed`, `not_subscribed`, `unsubscribed`, `pending`, `redacted`…
    pub state: String,
}

fn text(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A consent state the shop knows for sure: subscribed or unsubscribed; others leave it alone.
fn consent(c: &Option<Consent>) -> Option<bool> {
    match c.as_ref()?.state.trim() {
        "subscribed" => Some(true),
        "unsubscribed" | "not_subscribed" => Some(false),
        _ => None,
    }
}

impl ShopifyCustomer {
    /// `updated_at` in milliseconds.
    pub fn version(&self) -> Option<i64> {
        shopify_time(self.updated_at.as_deref()).map(|t| t.as_millisecond())
    }

    /// The customer as a patch under the connection's source; invalid phones and emails are left
    /// out and noted rather than refusing the customer.
    pub fn patch(&self, source: &str) -> Result<(CustomerPatch, Vec<String>), Invalid> {
        let id = self.id.text();
        if id.is_empty() || id == "0" {
            return Err(Issue::required().at("id").into());
        }
        let address = self.default_address.clone().unwrap_or_default();
        let phone = text(self.phone.as_deref()).or(text(address.phone.as_deref())).unwrap_or_default();
        let mut notes = Vec::new();
        let (_, mobile, email) = identity(&self.id, &phone, self.email.as_deref().unwrap_or(""), &mut notes);
        let tags: Vec<String> =
            self.tags.as_deref().unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
        let input = CustomerInput {
            external_ids: Some(vec![ExternalIdInput { source: source.to_string(), id }]),
            mobile,
            email,
            first_name: text(self.first_name.as_deref()).or(text(address.first_name.as_deref())),
            last_name: text(self.last_name.as_deref()).or(text(address.last_name.as_deref())),
            province: text(address.province.as_deref()),
            city: text(address.city.as_deref()),
            address_line: text(address.address1.as_deref()),
            postal_code: text(address.zip.as_deref()),
            tags: (!tags.is_empty()).then_some(tags),
            email_opt_in: consent(&self.email_marketing_consent),
            sms_opt_in: consent(&self.sms_marketing_consent),
            ..Default::default()
        };
        Ok((input.parse()?, notes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_becomes_a_patch_with_consents_and_tags() {
        let c: ShopifyCustomer = serde_json::from_value(serde_json::json!({
            "id": 207119551, "updated_at": "2026-03-01T10:00:00+03:30", "email": "bob@",
            "phone": null, "first_name": "Bob", "last_name": "Norman", "tags": "vip, tea",
            "default_address": { "phone": "09121234567", "city": "Shiraz" },
            "email_marketing_consent": { "state": "subscribed" },
            "sms_marketing_consent": { "state": "pending" }
        }))
        .unwrap();
        let (patch, notes) = c.patch("shopify-shop").unwrap();
        let keys: Vec<String> = patch.identities.iter().map(|k| k.key()).collect();
        assert_eq!(keys, ["x:shopify-shop:207119551", "m:+989121234567"], "the address's phone when the profile has none");
        assert_eq!(notes.len(), 1, "the broken email is left out and said so");
        assert_eq!((patch.email_opt_in, patch.sms_opt_in), (Some(true), None));
        assert_eq!(patch.tags.as_deref(), Some(&["vip".to_string(), "tea".to_string()][..]));
        assert!(c.version().is_some());
        assert!(ShopifyCustomer::default().patch("s").is_err());
    }
}

//! Sepidar's customers, items and invoices as its web service writes them (PascalCase fields,
//! amounts as numbers in the currency's units), read into Philia's records.

use super::record_digest;
use crate::catalogue::ValidProduct;
use crate::customer::{CustomerInput, CustomerPatch, ExternalIdInput};
use crate::invoice::{CustomerRefInput, InvoiceInput, LineInput, currency_factor};
use crate::issue::{Checker, Invalid, Issue};
use crate::money::{minor_units, parse_decimal_amount};
use crate::woocommerce::{Loose, OrderPhase, OrderSnapshot, identity};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn text(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SepidarCustomer {
    #[serde(rename = "CustomerID")]
    pub customer_id: Loose,
    pub title: Option<String>,
    pub name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub birth_date: Option<String>,
}

impl SepidarCustomer {
    /// The customer as a patch under the connection's source: names (the title when no name
    /// is kept, as for companies), the phone when it is a mobile number, the birthday.
    pub fn patch(&self, source: &str) -> Result<(CustomerPatch, Vec<String>), Invalid> {
        let id = self.customer_id.text();
        if id.is_empty() {
            return Err(Issue::required().at("CustomerID").into());
        }
        let mut notes = Vec::new();
        let (_, mobile, _) = identity(&self.customer_id, self.phone_number.as_deref().unwrap_or(""), "", &mut notes);
        let first = text(self.name.as_deref()).or_else(|| text(self.title.as_deref()).filter(|_| self.last_name.is_none()));
        let input = CustomerInput {
            external_ids: Some(vec![ExternalIdInput { source: source.to_string(), id }]),
            mobile,
            first_name: first,
            last_name: text(self.last_name.as_deref()),
            birth_date: text(self.birth_date.as_deref()).map(|d| d.chars().take(10).collect()),
            ..Default::default()
        };
        Ok((input.parse()?, notes))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SepidarItem {
    #[serde(rename = "ItemID")]
    pub item_id: Loose,
    pub code: Option<String>,
    pub title: Option<String>,
    pub is_active: Option<bool>,
    pub is_sellable: Option<bool>,
    pub consumer_fee: Loose,
}

impl SepidarItem {
    /// The catalogue's SKU for an item: its code, or `sepidar-{ItemID}` without one.
    pub fn sku(&self) -> String {
        text(self.code.as_deref()).unwrap_or_else(|| format!("sepidar-{}", self.item_id.text()))
    }

    pub fn name(&self) -> ItemName {
        ItemName { sku: self.sku(), title: text(self.title.as_deref()) }
    }

    /// The item in the catalogue, priced at its consumer price in the tenant's currency.
    pub fn product(&self, shop_currency: &str, tenant_currency: &str) -> Result<ValidProduct, Invalid> {
        let mut c = Checker::new();
        if self.item_id.is_blank() {
            c.push(Issue::required().at("ItemID"));
        }
        let price = c.check("ConsumerFee", parse_decimal_amount(&self.consumer_fee.text(), minor_units(shop_currency)));
        let factor = c.check("currency", currency_factor(shop_currency, tenant_currency));
        let sku = self.sku();
        c.finish(|| {
            let (mul, div) = factor.unwrap();
            ValidProduct {
                name: text(self.title.as_deref()).unwrap_or_else(|| sku.clone()).chars().take(300).collect(),
                sku,
                category: None,
                price: price.unwrap_or(0).max(0) * mul / div,
                active: self.is_active.unwrap_or(true) && self.is_sellable.unwrap_or(true),
            }
        })
    }
}

/// How an invoice line names its item: the invoice carries only `ItemRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemName {
    pub sku: String,
    pub title: Option<String>,
}

/// An invoice as queued: Sepidar's record with the items its lines refer to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceWithItems {
    pub invoice: serde_json::Value,
    pub items: BTreeMap<String, ItemName>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SepidarInvoice {
    #[serde(rename = "InvoiceID")]
    pub invoice_id: Loose,
    pub number: Loose,
    pub date: Option<String>,
    pub customer_ref: Loose,
    pub net_price: Loose,
    pub invoice_items: Vec<SepidarLine>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SepidarLine {
    pub item_ref: Loose,
    pub quantity: Loose,
    pub price: Loose,
    pub discount: Loose,
    pub tax: Loose,
    pub duty: Loose,
    pub addition: Loose,
    pub net_price: Loose,
    pub description: Option<String>,
}

impl InvoiceWithItems {
    /// The invoice as a sale: each line at what was charged for it (price with tax, duty and
    /// additions, less its discount), the total Sepidar's `NetPrice`, the buyer Sepidar's
    /// customer. Its digest is the record's content, so an edited invoice is recorded anew.
    pub fn snapshot(
        &self,
        source: &str,
        zone: &TimeZone,
        shop_currency: &str,
        tenant_currency: &str,
    ) -> Result<OrderSnapshot, Invalid> {
        let mut c = Checker::new();
        let inv: SepidarInvoice = match serde_json::from_value(self.invoice.clone()) {
            Ok(i) => i,
            Err(e) => {
                return Err(Issue::new("invalid_json", format!("is not a Sepidar invoice: {e}"), "فاکتور سپیدار معتبر نیست")
                    .at("invoice")
                    .into());
            }
        };
        let id = inv.invoice_id.text();
        if id.is_empty() {
            c.push(Issue::required().at("InvoiceID"));
        }
        let minor = minor_units(shop_currency);
        let money = |c: &mut Checker, field: &str, v: &Loose| c.check(field, parse_decimal_amount(&v.text(), minor)).unwrap_or(0);
        let mut lines = Vec::new();
        for (i, l) in inv.invoice_items.iter().enumerate() {
            let at = |f: &str| format!("InvoiceItems[{i}].{f}");
            let Some(quantity) = l.quantity.text().parse::<f64>().ok().filter(|q| *q > 0.0) else {
                c.push(Issue::new("invalid_quantity", "must be a positive number", "تعداد معتبر نیست").at(at("Quantity")));
                continue;
            };
            let gross = money(&mut c, &at("Price"), &l.price)
                + money(&mut c, &at("Tax"), &l.tax)
                + money(&mut c, &at("Duty"), &l.duty)
                + money(&mut c, &at("Addition"), &l.addition);
            let net = money(&mut c, &at("NetPrice"), &l.net_price);
            let whole = quantity.fract() == 0.0;
            let units = if whole { quantity as i64 } else { 1 };
            let unit = (gross.max(net) + units - 1) / units;
            let item = self.items.get(&l.item_ref.text());
            lines.push(LineInput {
                sku: Some(item.map(|n| n.sku.clone()).unwrap_or_else(|| format!("sepidar-{}", l.item_ref.text()))),
                product_name: item.and_then(|n| n.title.clone()).or_else(|| text(l.description.as_deref())),
                category: None,
                quantity: Some(units as f64),
                unit_price: unit,
                discount: Some(unit * units - net),
            });
        }
        let total = money(&mut c, "NetPrice", &inv.net_price);
        let customer = Some(inv.customer_ref.text())
            .filter(|r| !r.is_empty())
            .map(|r| CustomerRefInput { external_id: Some(r), ..Default::default() });
        let input = InvoiceInput {
            source: Some(source.to_string()),
            external_id: id.clone(),
            issued_at: inv.date.clone().unwrap_or_default(),
            customer,
            channel: Some("pos".into()),
            branch: None,
            status: Some("completed".into()),
            currency: Some(shop_currency.to_string()),
            lines,
            discount: Some(0),
            shipping: Some(0),
            total: Some(total),
            checkout: None,
        };
        let mut invoice = None;
        if c.is_ok() {
            match input.parse(zone, tenant_currency) {
                Ok(v) => invoice = Some(v),
                Err(e) => c.extend("invoice", e),
            }
        }
        c.finish(|| OrderSnapshot {
            id,
            version: None,
            phase: OrderPhase::Sale,
            status: "invoice".into(),
            invoice,
            refunds: vec![],
            digest: record_digest(&self.invoice),
            notes: vec![],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An invoice in the service's shape (`/api/Invoices`), amounts in rials.
    fn invoice() -> InvoiceWithItems {
        InvoiceWithItems {
            invoice: serde_json::json!({
                "InvoiceID": 501, "OrderRef": null, "QuotationRef": null, "Number": 1201, "Date": "2026-11-20T00:00:00",
                "CustomerRef": 77, "CurrencyRef": 1, "Rate": 1.0, "SaleTypeRef": 1, "AddressRef": null,
                "Price": 3000000.0, "Tax": 270000.0, "Duty": 0.0, "Discount": 200000.0, "Addition": 0.0, "NetPrice": 3070000.0,
                "InvoiceItems": [
                    { "InvoiceItemID": 1, "ItemRef": 9, "Quantity": 2.0, "Fee": 1000000.0, "Price": 2000000.0,
                      "Discount": 200000.0, "Tax": 180000.0, "Duty": 0.0, "Addition": 0.0, "NetPrice": 1980000.0 },
                    { "InvoiceItemID": 2, "ItemRef": 10, "Quantity": 1.5, "Fee": 666666.67, "Price": 1000000.0,
                      "Discount": 0.0, "Tax": 90000.0, "Duty": 0.0, "Addition": 0.0, "NetPrice": 1090000.0 }
                ]
            }),
            items: [("9".to_string(), ItemName { sku: "TEA-1".into(), title: Some("چای".into()) })].into(),
        }
    }

    #[test]
    fn an_invoice_is_a_sale_in_tomans_with_its_customer_and_items() {
        let zone = TimeZone::get("Asia/Tehran").unwrap();
        let snap = invoice().snapshot("sepidar-acc", &zone, "IRR", "IRT").unwrap();
        let inv = snap.invoice.unwrap();
        assert_eq!((inv.total, inv.lines.len()), (307_000, 2));
        assert_eq!(inv.lines.iter().map(|l| l.total).collect::<Vec<_>>(), [198_000, 109_000]);
        assert_eq!(inv.lines[0].sku.as_deref(), Some("TEA-1"));
        assert_eq!(inv.lines[1].sku.as_deref(), Some("sepidar-10"), "an item not listed keeps its reference");
        assert_eq!(inv.lines[1].quantity, crate::money::Quantity::ONE, "a weighed quantity is one line unit");
        assert_eq!(snap.id, "501");
        assert_eq!(snap.digest, record_digest(&invoice().invoice));
    }

    #[test]
    fn bad_fields_are_named() {
        let mut bad = invoice();
        bad.invoice["InvoiceItems"][1]["Quantity"] = serde_json::json!(0);
        bad.invoice["NetPrice"] = serde_json::json!("x");
        let err = bad.snapshot("s", &TimeZone::UTC, "IRR", "IRT").unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["InvoiceItems[1].Quantity", "NetPrice"]);
        assert_eq!(invoice().snapshot("s", &TimeZone::UTC, "USD", "IRT").unwrap_err().0[0].field, "invoice.currency");
    }

    #[test]
    fn customers_and_items_read_into_profiles_and_products() {
        let c: SepidarCustomer = serde_json::from_value(serde_json::json!({
            "CustomerID": 77, "GUID": null, "Title": "مریم رحیمی", "Code": "C-77", "PhoneNumber": "۰۹۳۵۱۱۱۲۲۳۳",
            "CustomerType": 1, "Name": "مریم", "LastName": "رحیمی", "BirthDate": "1990-05-17T00:00:00", "Version": 3
        }))
        .unwrap();
        let (patch, notes) = c.patch("sepidar-acc").unwrap();
        let keys: Vec<String> = patch.identities.iter().map(|k| k.key()).collect();
        assert_eq!(keys, ["x:sepidar-acc:77", "m:+989351112233"]);
        assert!(notes.is_empty());
        let item: SepidarItem = serde_json::from_value(serde_json::json!({
            "ItemID": 9, "Code": "TEA-1", "Barcode": "626", "Title": "چای", "IsActive": true, "IsSellable": true,
            "Type": 1, "ConsumerFee": 1200000.0
        }))
        .unwrap();
        let p = item.product("IRR", "IRT").unwrap();
        assert_eq!((p.sku.as_str(), p.price, p.active), ("TEA-1", 120_000, true));
    }
}

//! Loading demo data into a tenant through the same use cases the API uses.

use crate::demo::Demo;
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::invoice::RefundInput;

/// Two segments a shop like the demo's would define.
fn demo_segments() -> Vec<philia_domain::segments::SegmentInput> {
    let segment = |code: &str, name: &str, rule: serde_json::Value| philia_domain::segments::SegmentInput {
        code: code.into(),
        name: name.into(),
        description: None,
        rule,
    };
    vec![
        segment(
            "tehran_regulars",
            "مشتریان ثابت تهران",
            serde_json::json!({"all": [{"field": "city", "op": "eq", "value": "تهران"}, {"field": "invoices", "op": "gte", "value": 3}]}),
        ),
        segment(
            "slipping_coffee_lovers",
            "کافه‌دوستانی که دور شده‌اند",
            serde_json::json!({"all": [
                {"field": "categories", "op": "contains", "value": "coffee"},
                {"not": {"field": "last_purchase_at", "op": "within_last_days", "value": 60}},
                {"field": "rfm_segment", "op": "in", "value": ["at_risk", "cant_lose_them", "hibernating", "about_to_sleep"]}
            ]}),
        ),
    ]
}

/// Progress of a demo load: (stage, done, total).
pub type DemoProgress<'a> = &'a mut (dyn FnMut(&str, u64, u64) + Send);

impl Engine {
    pub async fn load_demo(&self, ctx: &TenantContext, demo: &Demo, progress: DemoProgress<'_>) -> Result<()> {
        let spec = demo.spec();
        for (code, c) in demo.categories() {
            self.put_category(ctx, &code, &c).await?;
        }
        for (sku, p) in demo.products() {
            self.put_product(ctx, &sku, &p).await?;
        }
        let products = demo.products();
        for (n, (code, b)) in demo.branches().into_iter().enumerate() {
            self.put_branch(ctx, &code, &b).await?;
            // Every branch holds some of everything, so the till shows and counts stock.
            for (k, (sku, _)) in products.iter().enumerate() {
                let quantity = 5 + ((k * 7 + n * 13) % 40) as i64;
                let input =
                    philia_domain::catalogue::StockInput { quantity: Some(quantity), delta: None, reason: Some("demo".into()) };
                self.change_stock(ctx, &code, sku, &input).await?;
            }
        }
        self.setup_demo_programme(ctx).await?;
        let batch = 5_000u64;
        let mut i = 0;
        while i < spec.customers {
            let end = (i + batch).min(spec.customers);
            let patches = (i..end).map(|k| demo.customer(k).parse()).collect::<std::result::Result<Vec<_>, _>>()?;
            self.upsert_customers(ctx, "demo", &patches).await?;
            i = end;
            progress("customers", i, spec.customers);
        }
        let mut j = 0;
        let mut refunds = Vec::new();
        while j < spec.invoices {
            let end = (j + batch).min(spec.invoices);
            let inputs: Vec<_> = (j..end).map(|k| demo.invoice(k)).collect();
            let results = self.record_invoices(ctx, &inputs).await?;
            for (k, r) in (j..end).zip(results) {
                if let (Some(share), Some(id)) = (demo.refund_of(k), r.id) {
                    refunds.push((k, id, share));
                }
                if r.status == "invalid" {
                    return Err(EngineError::Io(format!("demo invoice {k} was refused: {:?}", r.errors)));
                }
            }
            j = end;
            progress("invoices", j, spec.invoices);
        }
        let total = refunds.len() as u64;
        for (n, (k, id, share)) in refunds.into_iter().enumerate() {
            let invoice = self.invoice(ctx, id).await?;
            let issued: jiff::Timestamp = invoice.issued_at.parse().map_err(|e| EngineError::Io(format!("{e}")))?;
            let input = RefundInput {
                external_id: format!("RF-{k:09}"),
                source: Some("demo".into()),
                amount: share.map(|s| ((invoice.total as f64 * s) as i64).max(1)),
                reason: Some(if share.is_some() { "مرجوعی بخشی از سفارش" } else { "انصراف از خرید" }.into()),
                refunded_at: Some((issued + jiff::SignedDuration::from_hours(72)).to_string()),
            };
            if invoice.total > 0 {
                self.refund_invoice(ctx, id, &input).await?;
            }
            if n % 500 == 0 || n as u64 + 1 == total {
                progress("refunds", n as u64 + 1, total);
            }
        }
        let mut events = Vec::new();
        for c in 0..spec.customers {
            events.extend(demo.events(c));
            if events.len() >= 5_000 || c + 1 == spec.customers {
                self.record_events(ctx, &events).await?;
                events.clear();
                progress("events", c + 1, spec.customers);
            }
        }
        // Cut points from the whole loaded population, not from the first batch.
        self.refresh_rfm(ctx).await?;
        // Segments after the data, so loading does not re-evaluate them batch by batch.
        for s in demo_segments() {
            self.create_segment(ctx, &s).await?;
        }
        // Automations after the data too: they react to what happens from now on.
        self.setup_demo_messaging(ctx).await?;
        Ok(())
    }
}

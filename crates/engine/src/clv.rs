//! Predictive CLV per tenant: BG/NBD and Gamma-Gamma fitted on every customer's purchase days
//! (kept as the tenant's `clv_model` setting, refitted daily and on demand), and each customer's
//! chance of still being a customer, expected purchases and 12-month value from them.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::calendar::{from_millis, local_day};
use philia_domain::clv::{BgNbd, GammaGamma, Summary, fit_bg_nbd, fit_gamma_gamma, lifetime_value};
use philia_store::clv::PurchaseDay;
use serde::{Deserialize, Serialize};

const SETTING: &str = "clv_model";
/// Above this many customers the models are fitted on an even sample of them: the fit's figures
/// settle long before, and its time grows with the customers.
const FIT_SAMPLE: usize = 200_000;
/// The value horizon and discount the SPEC names: 12 months, 1 % a month.
const MONTHS: u32 = 12;
const MONTHLY_DISCOUNT: f64 = 0.01;

/// A tenant's fitted models.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClvModel {
    /// When the models were fitted, and the date their customers were summarised at.
    pub fitted_at: String,
    pub as_of: String,
    /// Customers with a purchase, those with a repeat purchase day, and how many the fit read.
    pub customers: usize,
    pub repeat_customers: usize,
    pub fitted_on: usize,
    pub bg_nbd: BgNbd,
    /// Absent until at least two customers have bought on more than one day.
    pub gamma_gamma: Option<GammaGamma>,
}

/// One customer's predictions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerClv {
    pub customer_id: i64,
    /// Purchase days after the first, days from the first to the last, days since the first.
    pub frequency: f64,
    pub recency_days: f64,
    pub age_days: f64,
    /// Average net spend of the repeat purchase days (0 without one).
    pub average_spend: f64,
    /// The chance they are still a customer (0–1).
    pub probability_alive: f64,
    pub expected_purchases_30: f64,
    pub expected_purchases_90: f64,
    pub expected_purchases_365: f64,
    /// Expected net spend over the next 12 months, discounted 1 % a month; absent without a
    /// spend model.
    pub clv_12_months: Option<f64>,
    pub model_fitted_at: String,
}

/// Days since 1970-01-01.
fn day_index(date: jiff::civil::Date) -> i64 {
    date.since(jiff::civil::date(1970, 1, 1)).map_or(0, |s| i64::from(s.get_days()))
}

/// Day number of a stored `YYYY-MM-DD` day.
fn day_number(day: &str) -> Option<i64> {
    day.parse().ok().map(day_index)
}

/// Summaries per customer from their purchase days (ordered by customer), at day `end`.
fn summaries(days: &[PurchaseDay], end: i64) -> Vec<(i64, Summary)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < days.len() {
        let customer = days[at].customer_id;
        let mut purchases = Vec::new();
        while at < days.len() && days[at].customer_id == customer {
            if let Some(n) = day_number(&days[at].day) {
                purchases.push((n, days[at].net as f64));
            }
            at += 1;
        }
        if let Some(s) = Summary::of(&purchases, end) {
            out.push((customer, s));
        }
    }
    out
}

fn predict(customer_id: i64, s: &Summary, model: &ClvModel) -> CustomerClv {
    let bg = &model.bg_nbd;
    CustomerClv {
        customer_id,
        frequency: s.frequency,
        recency_days: s.recency,
        age_days: s.age,
        average_spend: s.monetary,
        probability_alive: bg.probability_alive(s),
        expected_purchases_30: bg.expected_purchases(s, 30.0),
        expected_purchases_90: bg.expected_purchases(s, 90.0),
        expected_purchases_365: bg.expected_purchases(s, 365.0),
        clv_12_months: model.gamma_gamma.as_ref().map(|gg| lifetime_value(bg, gg, s, MONTHS, MONTHLY_DISCOUNT)),
        model_fitted_at: model.fitted_at.clone(),
    }
}

impl Engine {
    /// Every customer's summary from their purchases up to now.
    async fn all_summaries(&self, ctx: &TenantContext, now: i64) -> Result<Vec<(i64, Summary)>> {
        let days = {
            let mut tx = self.store.begin_read().await?;
            self.store.clv_purchase_days(&mut tx, ctx.id, now).await?
        };
        Ok(summaries(&days, day_index(local_day(from_millis(now), &ctx.zone))))
    }

    async fn stored_clv_model(&self, ctx: &TenantContext) -> Result<Option<ClvModel>> {
        let mut tx = self.store.begin_read().await?;
        self.load_setting::<ClvModel>(&mut tx, ctx, SETTING).await
    }

    /// Fits both models on the tenant's purchases up to now and keeps them.
    pub async fn fit_clv(&self, ctx: &TenantContext) -> Result<ClvModel> {
        let now = now_ms();
        let all = self.all_summaries(ctx, now).await?;
        self.fit_clv_on(ctx, &all, now).await
    }

    /// Fits both models on these summaries and keeps them.
    async fn fit_clv_on(&self, ctx: &TenantContext, all: &[(i64, Summary)], now: i64) -> Result<ClvModel> {
        let all: Vec<Summary> = all.iter().map(|(_, s)| *s).collect();
        let step = all.len().div_ceil(FIT_SAMPLE).max(1);
        let sample: Vec<Summary> = all.iter().step_by(step).copied().collect();
        let fitted = tokio::task::spawn_blocking(move || (fit_bg_nbd(&sample), fit_gamma_gamma(&sample), sample.len()))
            .await
            .map_err(|e| EngineError::Io(format!("fitting: {e}")))?;
        let (Some(bg_nbd), gamma_gamma, fitted_on) = fitted else {
            return Err(EngineError::field(
                philia_domain::Issue::new(
                    "not_enough_purchases",
                    "needs at least two customers with a purchase, one of them on more than one day",
                    "دست‌کم دو مشتری با خرید لازم است که یکی از آن‌ها در بیش از یک روز خرید کرده باشد",
                )
                .at("customers"),
            ));
        };
        let model = ClvModel {
            fitted_at: from_millis(now).to_string(),
            as_of: local_day(from_millis(now), &ctx.zone).to_string(),
            customers: all.len(),
            repeat_customers: all.iter().filter(|s| s.frequency > 0.0).count(),
            fitted_on,
            bg_nbd,
            gamma_gamma,
        };
        let mut tx = self.store.begin_write().await?;
        self.save_setting(&mut tx, ctx, SETTING, &model).await?;
        philia_store::commit(tx).await?;
        Ok(model)
    }

    /// The tenant's models, fitted now when they never were.
    pub async fn clv_model(&self, ctx: &TenantContext) -> Result<ClvModel> {
        match self.stored_clv_model(ctx).await? {
            Some(m) => Ok(m),
            None => self.fit_clv(ctx).await,
        }
    }

    /// One customer's predictions from the tenant's models and their purchases up to now.
    pub async fn customer_clv(&self, ctx: &TenantContext, customer_id: i64) -> Result<Option<CustomerClv>> {
        let model = self.clv_model(ctx).await?;
        self.predict_customer(ctx, customer_id, &model).await
    }

    /// Like [`Engine::customer_clv`] but only with models already fitted (a page must not wait
    /// for a fit): `None` before the first.
    pub async fn customer_clv_if_fitted(&self, ctx: &TenantContext, customer_id: i64) -> Result<Option<CustomerClv>> {
        match self.stored_clv_model(ctx).await? {
            Some(model) => self.predict_customer(ctx, customer_id, &model).await,
            None => Ok(None),
        }
    }

    async fn predict_customer(&self, ctx: &TenantContext, customer_id: i64, model: &ClvModel) -> Result<Option<CustomerClv>> {
        let now = now_ms();
        let days = {
            let mut tx = self.store.begin_read().await?;
            let id = self.live_customer(&mut tx, ctx, customer_id).await?;
            self.store.clv_customer_days(&mut tx, ctx.id, id, now).await?
        };
        let end = day_index(local_day(from_millis(now), &ctx.zone));
        Ok(summaries(&days, end).first().map(|(id, s)| predict(*id, s, model)))
    }

    /// Every customer's predictions, for an export: the purchases are read once, and fitted on
    /// when the tenant has no models yet.
    pub async fn all_customer_clv(&self, ctx: &TenantContext) -> Result<Vec<CustomerClv>> {
        let now = now_ms();
        let all = self.all_summaries(ctx, now).await?;
        let model = match self.stored_clv_model(ctx).await? {
            Some(m) => m,
            None => self.fit_clv_on(ctx, &all, now).await?,
        };
        Ok(all.iter().map(|(id, s)| predict(*id, s, &model)).collect())
    }
}

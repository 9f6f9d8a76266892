//! The loyalty programme of the demo tenant: what a café-and-fashion club would switch on, so the
//! demo shows points, tiers, rewards, codes, cashback and referrals from its first minute.

use crate::{Engine, EngineError, Result, TenantContext};
use serde::de::DeserializeOwned;
use serde_json::json;

pub(crate) fn parse<T: DeserializeOwned>(v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| EngineError::Io(format!("demo programme: {e}")))
}

impl Engine {
    pub async fn setup_demo_programme(&self, ctx: &TenantContext) -> Result<()> {
        self.update_point_type(
            ctx,
            "purchase",
            &parse(json!({"code": "purchase", "name": "امتیاز خرید", "expiry": {"kind": "after_days", "days": 365}, "warn_days": 14, "cash_value": 100}))?,
        )
        .await?;
        self.create_point_type(
            ctx,
            &parse(json!({"code": "engagement", "name": "امتیاز تعامل", "counts_for_tiers": false, "spendable": true}))?,
        )
        .await?;
        let rules = [
            json!({"name": "هر ۱۰ هزار تومان یک امتیاز", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 10000,
                   "line_multipliers": [{"category": "coffee", "factor": 2}], "starts_at": "2000-01-01"}),
            json!({"name": "هدیه اولین خرید", "trigger": "invoice", "point_type": "purchase", "points": 50, "starts_at": "2000-01-01",
                   "condition": {"field": "customer.previous_invoices", "op": "eq", "value": 0}}),
            json!({"name": "جمعه‌ها ۱.۵ برابر", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 20000, "starts_at": "2000-01-01",
                   "condition": {"field": "invoice.weekday", "op": "eq", "value": "friday"}, "caps": {"per_day": 100}}),
            json!({"name": "اشتراک‌گذاری محتوا", "trigger": "event", "event_type": "content_shared", "point_type": "engagement", "points": 10,
                   "caps": {"per_day": 20}, "starts_at": "2000-01-01"}),
            json!({"name": "تکمیل نظرسنجی", "trigger": "event", "event_type": "survey_completed", "point_type": "engagement", "points": 30,
                   "starts_at": "2000-01-01"}),
        ];
        for r in rules {
            self.create_rule(ctx, &parse(r)?, "demo").await?;
        }
        let mut tiers = self.tier_programme(ctx).await?;
        tiers.tiers[1].benefits =
            Some(parse(json!({"earn_multiplier": 1.2, "cashback_percent": 1, "perks": ["قهوه رایگان در روز تولد"]}))?);
        tiers.tiers[2].benefits = Some(parse(
            json!({"earn_multiplier": 1.5, "cashback_percent": 2, "discount_percent": 5, "perks": ["ارسال رایگان", "دسترسی زودهنگام به حراج"]}),
        )?);
        self.store_tier_programme_input(ctx, &tiers).await?;
        let rewards = [
            json!({"code": "coffee10", "name": "۱۰٪ تخفیف کافه", "kind": "discount_code", "discount": "percent", "value": 10, "max_discount": 100000,
                   "valid_days": 30, "point_type": "purchase", "cost": 300}),
            json!({"code": "cash50", "name": "۵۰ هزار تومان اعتبار کیف پول", "kind": "wallet_credit", "amount": 50000, "point_type": "purchase", "cost": 500}),
            json!({"code": "vip-lounge", "name": "ورود به سالن ویژه", "kind": "vip_access", "target": "content:vip-lounge", "days": 30,
                   "point_type": "purchase", "cost": 800, "tiers": ["gold"]}),
            json!({"code": "mug", "name": "ماگ سرامیکی باشگاه", "kind": "physical_gift", "point_type": "purchase", "cost": 1200, "stock": 50,
                   "per_customer_limit": 1}),
            json!({"code": "spins3", "name": "۳ بار گردونه شانس", "kind": "game_spins", "game": "wheel", "spins": 3, "point_type": "engagement", "cost": 60}),
        ];
        for r in rewards {
            self.create_reward(ctx, &parse(r)?).await?;
        }
        self.create_promotion(
            ctx,
            &parse(
                json!({"code": "yalda-1405", "name": "جشنواره یلدا", "discount": "percent", "value": 15, "max_discount": 200000,
                "min_amount": 500000, "per_customer_limit": 1, "shared_code": "YALDA"}),
            )?,
        )
        .await?;
        self.create_promotion(
            ctx,
            &parse(
                json!({"code": "nowruz-1405", "name": "عیدی نوروز", "discount": "fixed", "value": 100000, "min_amount": 400000}),
            )?,
        )
        .await?;
        self.generate_codes(ctx, "nowruz-1405", &parse(json!({"count": 500, "prefix": "NWZ-", "length": 6}))?).await?;
        let games = [
            json!({"code": "wheel", "name": "گردونه شانس", "kind": "wheel", "plays_per_day": 3,
            "cost": {"spins": true, "point_type": "engagement", "points": 20},
            "look": {"primary_colour": "#7b2cbf", "secondary_colour": "#ffd60a", "button_label": "بچرخان!"},
            "prizes": [
                {"code": "p50", "label": "۵۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 50, "weight": 30,
                 "tier_weights": {"gold": 25}, "colour": "#ffd60a"},
                {"code": "p200", "label": "۲۰۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 200, "weight": 5,
                 "tier_weights": {"silver": 8, "gold": 15}, "colour": "#f77f00"},
                {"code": "cash20", "label": "۲۰ هزار تومان", "kind": "wallet", "amount": 20000, "weight": 5, "daily_limit": 20,
                 "colour": "#06d6a0"},
                {"code": "nowruz", "label": "۱۰۰ هزار تومان تخفیف", "kind": "discount_code", "promotion": "nowruz-1405",
                 "valid_days": 14, "weight": 4, "colour": "#118ab2"},
                {"code": "mug", "label": "ماگ باشگاه", "kind": "reward", "reward": "mug", "weight": 1, "stock": 10,
                 "tier_weights": {"gold": 3}, "colour": "#ef476f"},
                {"code": "again", "label": "یک بار دیگر", "kind": "spins", "spins": 1, "weight": 15, "colour": "#8338ec"},
                {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 40, "tier_weights": {"gold": 36}, "colour": "#adb5bd"}
            ]}),
            json!({"code": "slot", "name": "ماشین شانس", "kind": "slot", "plays_per_day": 5,
            "cost": {"point_type": "purchase", "points": 30},
            "prizes": [
                {"code": "cherry", "label": "۴۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 40, "weight": 20, "symbol": "🍒"},
                {"code": "lemon", "label": "۵ هزار تومان", "kind": "wallet", "amount": 5000, "weight": 8, "symbol": "🍋"},
                {"code": "diamond", "label": "۱۰۰۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 1000, "weight": 1,
                 "symbol": "💎"},
                {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 71}
            ]}),
        ];
        for g in games {
            self.create_game(ctx, &parse(g)?).await?;
        }
        for template in ["first-purchase", "third-purchase-this-month", "invite-a-friend", "visit-two-branches"] {
            self.enable_template(ctx, template).await?;
        }
        self.create_mission(
            ctx,
            &parse(json!({"code": "coffee-journey", "name": "سفر قهوه", "deadline_days": 30, "steps": [
                {"label": "یک قهوه بخرید", "fact": "invoice", "target": 1,
                 "filter": {"field": "invoice.categories", "op": "contains", "value": "coffee"}},
                {"label": "در نظرسنجی شرکت کنید", "fact": "event", "event_type": "survey_completed", "target": 1,
                 "reward": {"point_type": "engagement", "points": 20}},
                {"label": "۵۰۰ هزار تومان خرید کنید", "fact": "invoice", "measure": "amount", "target": 500000}
            ], "reward": {"reward": "spins3"}}))?,
        )
        .await?;
        self.set_cashback_programme(ctx, &parse(json!({"enabled": true, "credit_as": "wallet", "category_rates": [{"category": "cake", "percent": 5}], "maturity_days": 7}))?)
            .await?;
        self.set_referral_programme(
            ctx,
            &parse(json!({"enabled": true, "point_type": "purchase", "referrer_points": 200, "referee_points": 100, "min_first_invoice": 500000,
                "within_days": 30}))?,
        )
        .await?;
        self.set_loyalty_classes(
            ctx,
            &parse(json!({"classes": [
                {"code": "mumtaz", "name": "ممتاز", "window_days": 90, "min_invoices": 3, "min_spend": 5000000},
                {"code": "vafadar", "name": "وفادار", "window_days": 90, "min_invoices": 2}]}))?,
        )
        .await?;
        Ok(())
    }

    /// Message templates, automations and a draft campaign. No provider is set: messages wait in
    /// the delivery log, saying so, until the tenant connects one.
    pub async fn setup_demo_messaging(&self, ctx: &TenantContext) -> Result<()> {
        use crate::message_templates::EnableLibraryInput;
        for (template, promotion) in [
            ("welcome", None),
            ("purchase_thanks", None),
            ("birthday", None),
            ("win_back", Some("nowruz-1405")),
            ("points_expiring", None),
            ("welcome_email", None),
        ] {
            self.enable_library_template(ctx, template, &EnableLibraryInput { promotion: promotion.map(str::to_string) }).await?;
        }
        let automations = [
            json!({"code": "welcome", "name": "خوش‌آمد به عضو تازه", "trigger": {"kind": "signup"},
                   "actions": [{"kind": "send", "template": "welcome"}]}),
            json!({"code": "big-purchase-thanks", "name": "تشکر از خرید بزرگ", "trigger": {"kind": "invoice"},
                   "conditions": {"field": "spend", "op": "gte", "value": 5000000}, "delay_minutes": 30,
                   "actions": [{"kind": "points", "point_type": "engagement", "points": 20}, {"kind": "send", "template": "purchase_thanks"}]}),
            json!({"code": "birthday", "name": "تبریک تولد", "trigger": {"kind": "birthday", "days_before": 3},
                   "actions": [{"kind": "code", "promotion": "yalda-1405", "valid_days": 10}, {"kind": "send", "template": "birthday"},
                               {"kind": "tag", "add": ["birthday-gift"]}]}),
            json!({"code": "win-back-45", "name": "بازگرداندن پس از ۴۵ روز", "trigger": {"kind": "inactive", "days": 45},
                   "actions": [{"kind": "send", "template": "win_back"}]}),
            json!({"code": "expiring-reminder", "name": "یادآوری انقضای امتیاز", "trigger": {"kind": "event", "event_type": "points_expiring"},
                   "actions": [{"kind": "send", "template": "points_expiring"}]}),
        ];
        for a in automations {
            self.create_automation(ctx, &parse(a)?).await?;
        }
        self.create_campaign(
            ctx,
            &parse(json!({"code": "coffee-comeback", "name": "بازگشت کافه‌دوستان", "template": "win_back",
                          "segment": "slipping_coffee_lovers", "holdout_percent": 10}))?,
        )
        .await?;
        Ok(())
    }
}

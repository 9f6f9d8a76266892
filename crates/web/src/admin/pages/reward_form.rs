//! The form of a catalogue reward, shared by "new reward" and a reward's edit page: the fields
//! every reward has, and a group per kind of which only the chosen kind's shows (CSS, no script).

use crate::admin::forms::{FormState, count, decimal, number, required};
use crate::admin::layout::{self, csrf_field, field};
use crate::admin::text::T;
use crate::admin::view::View;
use maud::{Markup, html};
use philia_domain::Issue;
use philia_domain::records::PointTypeRecord;
use philia_domain::rewards::{RewardInput, RewardKind};
use philia_engine::EngineError;
use serde::Deserialize;

/// The kinds in the order the select offers them, with their names.
const KINDS: [(&str, T); 6] = [
    ("discount_code", T::KindDiscountCode),
    ("wallet_credit", T::KindWalletCredit),
    ("vip_access", T::KindVipAccess),
    ("early_access", T::KindEarlyAccess),
    ("physical_gift", T::KindPhysicalGift),
    ("game_spins", T::KindGameSpins),
];

#[derive(Deserialize, Default)]
pub struct RewardForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    point_type: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    per_customer_limit: String,
    #[serde(default)]
    tiers: String,
    #[serde(default)]
    segments: String,
    #[serde(default)]
    discount: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    max_discount: String,
    #[serde(default)]
    min_amount: String,
    #[serde(default)]
    valid_days: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    game: String,
    #[serde(default)]
    spins: String,
}

impl RewardForm {
    /// The form filled from a stored reward.
    pub fn of(r: &RewardInput) -> RewardForm {
        let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let mut f = RewardForm {
            code: r.code.clone(),
            name: r.name.clone(),
            description: r.description.clone().unwrap_or_default(),
            kind: r.kind.name().to_string(),
            point_type: r.point_type.clone(),
            cost: r.cost.to_string(),
            stock: opt(r.stock),
            per_customer_limit: opt(r.per_customer_limit),
            tiers: r.tiers.as_deref().unwrap_or_default().join(", "),
            segments: r.segments.as_deref().unwrap_or_default().join(", "),
            ..RewardForm::default()
        };
        match &r.kind {
            RewardKind::DiscountCode { discount, value, max_discount, min_amount, valid_days } => {
                f.discount = discount.clone();
                f.value = value.to_string();
                f.max_discount = opt(*max_discount);
                f.min_amount = opt(*min_amount);
                f.valid_days = valid_days.to_string();
            }
            RewardKind::VipAccess { target, days } | RewardKind::EarlyAccess { target, days } => {
                f.target = target.clone();
                f.days = days.to_string();
            }
            RewardKind::WalletCredit { amount } => f.amount = amount.to_string(),
            RewardKind::PhysicalGift {} => {}
            RewardKind::GameSpins { game, spins } => {
                f.game = game.clone();
                f.spins = spins.to_string();
            }
        }
        f
    }

    /// What was typed, to show again beside the errors of a refused save.
    pub fn typed(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("code", &self.code),
            ("name", &self.name),
            ("description", &self.description),
            ("kind", &self.kind),
            ("point_type", &self.point_type),
            ("cost", &self.cost),
            ("stock", &self.stock),
            ("per_customer_limit", &self.per_customer_limit),
            ("tiers", &self.tiers),
            ("segments", &self.segments),
            ("discount", &self.discount),
            ("value", &self.value),
            ("max_discount", &self.max_discount),
            ("min_amount", &self.min_amount),
            ("valid_days", &self.valid_days),
            ("amount", &self.amount),
            ("target", &self.target),
            ("days", &self.days),
            ("game", &self.game),
            ("spins", &self.spins),
        ]
    }

    /// The reward the form describes; `active` and the dates are kept from `before` on an edit.
    pub fn input(&self, before: Option<&RewardInput>) -> Result<RewardInput, EngineError> {
        let kind = match self.kind.as_str() {
            "discount_code" => RewardKind::DiscountCode {
                discount: if self.discount == "fixed" { "fixed".into() } else { "percent".into() },
                value: required(decimal(&self.value, "value")?, "value")?,
                max_discount: number(&self.max_discount, "max_discount")?,
                min_amount: number(&self.min_amount, "min_amount")?,
                valid_days: required(count(&self.valid_days, "valid_days")?, "valid_days")?,
            },
            "wallet_credit" => RewardKind::WalletCredit { amount: required(number(&self.amount, "amount")?, "amount")? },
            "vip_access" => RewardKind::VipAccess {
                target: self.target.trim().to_string(),
                days: required(count(&self.days, "days")?, "days")?,
            },
            "early_access" => RewardKind::EarlyAccess {
                target: self.target.trim().to_string(),
                days: required(count(&self.days, "days")?, "days")?,
            },
            "physical_gift" => RewardKind::PhysicalGift {},
            "game_spins" => RewardKind::GameSpins {
                game: self.game.trim().to_string(),
                spins: required(count(&self.spins, "spins")?, "spins")?,
            },
            _ => {
                let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
                return Err(EngineError::field(Issue::one_of(&names).at("kind")));
            }
        };
        let codes = |typed: &str| -> Option<Vec<String>> {
            let list: Vec<String> =
                typed.split([',', '،']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
            Some(list).filter(|l| !l.is_empty())
        };
        Ok(RewardInput {
            code: self.code.trim().to_string(),
            name: self.name.trim().to_string(),
            description: Some(self.description.trim().to_string()).filter(|d| !d.is_empty()),
            kind,
            point_type: self.point_type.clone(),
            cost: required(number(&self.cost, "cost")?, "cost")?,
            stock: number(&self.stock, "stock")?,
            per_customer_limit: number(&self.per_customer_limit, "per_customer_limit")?,
            tiers: codes(&self.tiers),
            segments: codes(&self.segments),
            available_from: before.and_then(|b| b.available_from.clone()),
            available_until: before.and_then(|b| b.available_until.clone()),
            active: before.map_or(Some(true), |b| b.active),
        })
    }
}

/// The form: `action` is where it posts; on an edit the code is shown, not typed.
pub fn render(v: &View, form: &FormState, types: &[PointTypeRecord], action: &str, editing: bool) -> Markup {
    let chosen = if form.value("kind").is_empty() { "discount_code" } else { form.value("kind") };
    html! {
        form.reward-form #reward-form method="post" action=(action) {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.inline {
                (layout::name_and_code(v, form, editing))
            }
            (field(v.t(T::Description), "description", "text", form.value("description"), form.error("description")))
            div.inline {
                div.field.invalid[form.error("kind").is_some()] {
                    label for="f-kind" { (v.t(T::RewardKindLabel)) }
                    select #f-kind name="kind" {
                        @for (k, name) in KINDS { option value=(k) selected[chosen == k] { (v.t(name)) } }
                    }
                    @if let Some(e) = form.error("kind") { p.error role="alert" { (e) } }
                }
                div.field.invalid[form.error("point_type").is_some()] {
                    label for="f-point_type" { (v.t(T::PointType)) }
                    select #f-point_type name="point_type" {
                        @for t in types { option value=(t.code) selected[form.value("point_type") == t.code] { (t.name) } }
                    }
                    @if let Some(e) = form.error("point_type") { p.error role="alert" { (e) } }
                }
                (field(v.t(T::Cost), "cost", "text", form.value("cost"), form.error("cost")))
            }
            div.inline {
                (field(&format!("{} ({})", v.t(T::Stock), v.t(T::StockHint)), "stock", "text", form.value("stock"), form.error("stock")))
                (field(v.t(T::PerCustomerLimit), "per_customer_limit", "text", form.value("per_customer_limit"), form.error("per_customer_limit")))
                (field(&format!("{} ({})", v.t(T::Tiers), v.t(T::TierCodesHint)), "tiers", "text", form.value("tiers"), form.error("tiers")))
                (field(v.t(T::SegmentCodes), "segments", "text", form.value("segments"), form.error("segments")))
            }
            fieldset.kind data-kind="discount_code" {
                legend { (v.t(T::KindFields)) ": " (v.t(T::KindDiscountCode)) }
                div.inline {
                    div.field {
                        label for="f-discount" { (v.t(T::DiscountKindLabel)) }
                        select #f-discount name="discount" {
                            option value="percent" selected[form.value("discount") != "fixed"] { (v.t(T::Percent)) }
                            option value="fixed" selected[form.value("discount") == "fixed"] { (v.t(T::Fixed)) }
                        }
                    }
                    (field(v.t(T::Value), "value", "text", form.value("value"), form.error("value")))
                    (field(v.t(T::MaxDiscount), "max_discount", "text", form.value("max_discount"), form.error("max_discount")))
                    (field(v.t(T::MinAmount), "min_amount", "text", form.value("min_amount"), form.error("min_amount")))
                    (field(v.t(T::ValidDays), "valid_days", "text", form.value("valid_days"), form.error("valid_days")))
                }
            }
            fieldset.kind data-kind="wallet_credit" {
                legend { (v.t(T::KindFields)) ": " (v.t(T::KindWalletCredit)) }
                (field(v.t(T::Amount), "amount", "text", form.value("amount"), form.error("amount")))
            }
            fieldset.kind data-kind="access" {
                legend { (v.t(T::KindFields)) ": " (v.t(T::KindVipAccess)) " / " (v.t(T::KindEarlyAccess)) }
                div.inline {
                    (field(v.t(T::AccessTarget), "target", "text", form.value("target"), form.error("target")))
                    (field(v.t(T::AccessDays), "days", "text", form.value("days"), form.error("days")))
                }
            }
            fieldset.kind data-kind="game_spins" {
                legend { (v.t(T::KindFields)) ": " (v.t(T::KindGameSpins)) }
                div.inline {
                    (field(v.t(T::GameCode), "game", "text", form.value("game"), form.error("game")))
                    (field(v.t(T::SpinCount), "spins", "text", form.value("spins"), form.error("spins")))
                }
            }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

//! The rewards catalogue (SPEC C3): what customers buy with points, and the rules of buying.

use crate::calendar::parse_instant;
use crate::issue::{Checker, Invalid, Issue, optional_text, required_text};
use crate::points::parse_code;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// What a reward gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RewardKind {
    /// A personal discount code, valid `valid_days` from redemption.
    DiscountCode {
        /// `percent` or `fixed`.
        discount: String,
        value: f64,
        /// Largest discount of a percentage code.
        max_discount: Option<i64>,
        min_amount: Option<i64>,
        valid_days: u32,
    },
    /// Access to content or products for `days` (VIP).
    VipAccess { target: String, days: u32 },
    /// Early access to a product or category before its release.
    EarlyAccess { target: String, days: u32 },
    /// Points converted to wallet cash.
    WalletCredit { amount: i64 },
    /// A physical gift, fulfilled by staff: requested → approved → shipped → delivered.
    PhysicalGift {},
    /// Spins of a game.
    GameSpins { game: String, spins: u32 },
}

impl RewardKind {
    pub fn name(&self) -> &'static str {
        match self {
            RewardKind::DiscountCode { .. } => "discount_code",
            RewardKind::VipAccess { .. } => "vip_access",
            RewardKind::EarlyAccess { .. } => "early_access",
            RewardKind::WalletCredit { .. } => "wallet_credit",
            RewardKind::PhysicalGift {} => "physical_gift",
            RewardKind::GameSpins { .. } => "game_spins",
        }
    }
}

/// Unknown fields are refused by the kind's own fields (the struct passes on what it does not
/// know to them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RewardInput {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    #[serde(flatten)]
    pub kind: RewardKind,
    /// Code of the point type paid with.
    pub point_type: String,
    pub cost: i64,
    /// How many can be redeemed in all (absent: unlimited).
    pub stock: Option<i64>,
    /// How many times one customer may redeem it (absent: unlimited).
    pub per_customer_limit: Option<i64>,
    /// Only customers in these tiers (absent: everyone).
    pub tiers: Option<Vec<String>>,
    /// Only members of at least one of these stored segments (absent: everyone).
    pub segments: Option<Vec<String>>,
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    /// Whether it is offered (default true).
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reward {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: RewardKind,
    pub point_type: String,
    pub cost: i64,
    pub stock: Option<i64>,
    pub per_customer_limit: Option<i64>,
    pub tiers: Vec<String>,
    pub segments: Vec<String>,
    pub available_from: Option<Timestamp>,
    pub available_until: Option<Timestamp>,
    pub active: bool,
}

fn days(c: &mut Checker, field: &str, d: u32) {
    if !(1..=3650).contains(&d) {
        c.push(Issue::new("out_of_range", "must be between 1 and 3650 days", "بین ۱ تا ۳۶۵۰ روز").at(field));
    }
}

fn target(c: &mut Checker, t: &str) {
    let ok = ["content:", "product:", "category:"].iter().any(|p| t.len() > p.len() && t.starts_with(p));
    if !ok {
        c.push(
            Issue::new(
                "invalid_target",
                "must be content:ID, product:SKU or category:CODE",
                "هدف باید content:، product: یا category: باشد",
            )
            .at("target"),
        );
    }
}

impl RewardInput {
    pub fn parse(&self, zone: &TimeZone) -> Result<Reward, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(&self.code));
        let name = c.check("name", required_text(Some(&self.name), 200));
        let description = c.check("description", optional_text(self.description.as_deref(), 2000)).flatten();
        let point_type = c.check("point_type", parse_code(&self.point_type));
        if self.cost <= 0 {
            c.push(Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد").at("cost"));
        }
        for (field, v) in [("stock", self.stock), ("per_customer_limit", self.per_customer_limit)] {
            if v.is_some_and(|v| v < 0) {
                c.push(Issue::negative().at(field));
            }
        }
        match &self.kind {
            RewardKind::DiscountCode { discount, value, max_discount, min_amount, valid_days } => {
                match discount.as_str() {
                    "percent" if !(*value > 0.0 && *value <= 100.0) => c.push(
                        Issue::new("out_of_range", "a percentage is above 0 and at most 100", "درصد باید بین ۰ و ۱۰۰ باشد")
                            .at("value"),
                    ),
                    "fixed" if !(*value >= 1.0 && value.fract() == 0.0) => c.push(
                        Issue::new(
                            "out_of_range",
                            "a fixed discount is a whole positive amount",
                            "مبلغ تخفیف باید عدد صحیح مثبت باشد",
                        )
                        .at("value"),
                    ),
                    "percent" | "fixed" => {}
                    _ => c.push(Issue::one_of(&["percent", "fixed"]).at("discount")),
                }
                if max_discount.is_some_and(|m| m <= 0) || min_amount.is_some_and(|m| m < 0) {
                    c.push(Issue::negative().at(if max_discount.is_some_and(|m| m <= 0) {
                        "max_discount"
                    } else {
                        "min_amount"
                    }));
                }
                days(&mut c, "valid_days", *valid_days);
            }
            RewardKind::VipAccess { target: t, days: d } | RewardKind::EarlyAccess { target: t, days: d } => {
                target(&mut c, t);
                days(&mut c, "days", *d);
            }
            RewardKind::WalletCredit { amount } if *amount <= 0 => {
                c.push(Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد").at("amount"))
            }
            RewardKind::GameSpins { game, spins } => {
                c.check("game", parse_code(game));
                if !(1..=1000).contains(spins) {
                    c.push(Issue::new("out_of_range", "must be between 1 and 1000", "بین ۱ و ۱۰۰۰").at("spins"));
                }
            }
            _ => {}
        }
        let mut tiers = Vec::new();
        for (i, t) in self.tiers.iter().flatten().enumerate() {
            tiers.extend(c.check(&format!("tiers[{i}]"), parse_code(t)));
        }
        let mut segments = Vec::new();
        for (i, t) in self.segments.iter().flatten().enumerate() {
            segments.extend(c.check(&format!("segments[{i}]"), parse_code(t)));
        }
        let available_from = self.available_from.as_deref().and_then(|s| c.check("available_from", parse_instant(s, zone)));
        let available_until = self.available_until.as_deref().and_then(|s| c.check("available_until", parse_instant(s, zone)));
        if let (Some(f), Some(u)) = (available_from, available_until)
            && u <= f
        {
            c.push(
                Issue::new("invalid_window", "must be after available_from", "پایان باید بعد از شروع باشد").at("available_until"),
            );
        }
        c.finish(|| Reward {
            code: code.unwrap(),
            name: name.unwrap(),
            description,
            kind: self.kind.clone(),
            point_type: point_type.unwrap(),
            cost: self.cost,
            stock: self.stock,
            per_customer_limit: self.per_customer_limit,
            tiers,
            segments,
            available_from,
            available_until,
            active: self.active.unwrap_or(true),
        })
    }
}

impl Reward {
    pub fn to_input(&self) -> RewardInput {
        RewardInput {
            code: self.code.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            kind: self.kind.clone(),
            point_type: self.point_type.clone(),
            cost: self.cost,
            stock: self.stock,
            per_customer_limit: self.per_customer_limit,
            tiers: (!self.tiers.is_empty()).then(|| self.tiers.clone()),
            segments: (!self.segments.is_empty()).then(|| self.segments.clone()),
            available_from: self.available_from.map(|t| t.to_string()),
            available_until: self.available_until.map(|t| t.to_string()),
            active: Some(self.active),
        }
    }

    /// Why a customer in `tier` and the stored `segments` cannot redeem this at `now` (before
    /// stock, limits and points).
    pub fn refusal(&self, tier: Option<&str>, segments: &[String], now: Timestamp) -> Option<Issue> {
        if !self.active || self.available_from.is_some_and(|f| now < f) || self.available_until.is_some_and(|u| now >= u) {
            return Some(Issue::new("reward_unavailable", "this reward is not offered now", "این جایزه اکنون ارائه نمی‌شود"));
        }
        if !self.tiers.is_empty() && !tier.is_some_and(|t| self.tiers.iter().any(|x| x == t)) {
            let list = self.tiers.join(", ");
            return Some(Issue::new("tier_required", format!("only for the tiers {list}"), format!("فقط برای سطح‌های {list}")));
        }
        if !self.segments.is_empty() && !self.segments.iter().any(|s| segments.contains(s)) {
            let list = self.segments.join(", ");
            return Some(Issue::new(
                "segment_required",
                format!("only for members of the segments {list}"),
                format!("فقط برای اعضای بخش‌های {list}"),
            ));
        }
        None
    }
}

/// Fulfilment states of a redemption. Only physical gifts move after they are created.
pub const GIFT_STATES: [&str; 5] = ["requested", "approved", "shipped", "delivered", "cancelled"];

/// Whether a physical gift may move from `from` to `to`.
pub fn gift_transition_allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("requested", "approved" | "cancelled") | ("approved", "shipped" | "cancelled") | ("shipped", "delivered")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn zone() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    #[test]
    fn rewards_parse_with_their_kind() {
        let r: RewardInput = serde_json::from_value(json!({
            "code": "coffee10", "name": "۱۰٪ تخفیف قهوه", "kind": "discount_code", "discount": "percent", "value": 10,
            "max_discount": 50000, "valid_days": 30, "point_type": "purchase", "cost": 200, "stock": 100, "tiers": ["gold"]
        }))
        .unwrap();
        let reward = r.parse(&zone()).unwrap();
        assert_eq!(reward.kind.name(), "discount_code");
        assert_eq!(reward.to_input().parse(&zone()).unwrap(), reward);
        let now = Timestamp::now();
        assert_eq!(reward.refusal(Some("silver"), &[], now).unwrap().code, "tier_required");
        assert!(reward.refusal(Some("gold"), &[], now).is_none());
    }

    #[test]
    fn segment_restricted_rewards_need_one_of_their_segments() {
        let r: RewardInput = serde_json::from_value(json!({
            "code": "lounge", "name": "Lounge", "kind": "physical_gift", "point_type": "purchase", "cost": 5,
            "tiers": ["gold"], "segments": ["vip", "champions"]
        }))
        .unwrap();
        let reward = r.parse(&zone()).unwrap();
        assert_eq!(reward.to_input().parse(&zone()).unwrap(), reward);
        let now = Timestamp::now();
        let member = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(reward.refusal(Some("gold"), &[], now).unwrap().code, "segment_required");
        assert_eq!(reward.refusal(Some("gold"), &member(&["lost"]), now).unwrap().code, "segment_required");
        assert!(reward.refusal(Some("gold"), &member(&["lost", "champions"]), now).is_none());
        // The tier is judged first.
        assert_eq!(reward.refusal(Some("silver"), &member(&["vip"]), now).unwrap().code, "tier_required");
        let bad: RewardInput = serde_json::from_value(json!({
            "code": "g", "name": "g", "kind": "physical_gift", "point_type": "purchase", "cost": 5, "segments": ["ok", "not ok"]
        }))
        .unwrap();
        let fields: Vec<String> = bad.parse(&zone()).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["segments[1]"]);
    }

    #[test]
    fn bad_rewards_name_their_fields() {
        let r: RewardInput = serde_json::from_value(json!({
            "code": "x y", "name": "", "kind": "vip_access", "target": "lounge", "days": 0, "point_type": "purchase", "cost": 0, "stock": -1
        }))
        .unwrap();
        let fields: Vec<String> = r.parse(&zone()).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["code", "name", "cost", "stock", "target", "days"]);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r = serde_json::from_value::<RewardInput>(json!({
            "code": "g", "name": "g", "kind": "physical_gift", "point_type": "purchase", "cost": 5, "colour": "red"
        }));
        assert!(r.unwrap_err().to_string().contains("colour"));
    }

    #[test]
    fn gifts_move_forward_or_are_cancelled_before_shipping() {
        assert!(gift_transition_allowed("requested", "approved"));
        assert!(gift_transition_allowed("approved", "cancelled"));
        assert!(!gift_transition_allowed("shipped", "cancelled"));
        assert!(!gift_transition_allowed("delivered", "requested"));
    }
}

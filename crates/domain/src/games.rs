//! Chance games (SPEC D3): the wheel of fortune and the slot machine, their prizes, odds per tier,
//! costs and limits. The draw itself is in [`crate::draw`]; this module decides what may be drawn.

use crate::calendar::parse_instant;
use crate::issue::{Checker, Invalid, Issue, optional_text, required_text};
use crate::points::parse_code;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most prizes a game may have: a wheel with more slices is unreadable on a phone.
pub const MAX_PRIZES: usize = 24;
/// Largest weight of one prize; the sum of all stays far below `u64`.
pub const MAX_WEIGHT: u32 = 1_000_000;

/// What a prize gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PrizeKind {
    /// Points of a type.
    Points { point_type: String, points: i64 },
    /// Cash in the wallet (in the tenant's currency).
    Wallet { amount: i64 },
    /// A reward from the catalogue, given without its point cost.
    Reward { reward: String },
    /// A personal single-use code of a promotion, valid `valid_days`.
    DiscountCode { promotion: String, valid_days: u32 },
    /// More plays of this game.
    Spins { spins: u32 },
    /// Nothing ("try again").
    Nothing {},
}

impl PrizeKind {
    pub fn name(&self) -> &'static str {
        match self {
            PrizeKind::Points { .. } => "points",
            PrizeKind::Wallet { .. } => "wallet",
            PrizeKind::Reward { .. } => "reward",
            PrizeKind::DiscountCode { .. } => "discount_code",
            PrizeKind::Spins { .. } => "spins",
            PrizeKind::Nothing {} => "nothing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrizeInput {
    pub code: String,
    /// What the slice or the reel line says.
    pub label: String,
    #[serde(flatten)]
    pub kind: PrizeKind,
    /// Relative chance for customers of tiers without their own weight (and without a tier).
    pub weight: u32,
    /// Weight per tier code, e.g. `{"gold": 30}`: better odds for better tiers.
    pub tier_weights: Option<BTreeMap<String, u32>>,
    /// How many can be won in all (absent: unlimited).
    pub stock: Option<i64>,
    /// How many can be won per day of the tenant's calendar (absent: unlimited).
    pub daily_limit: Option<i64>,
    /// What the prize is worth in money, for the cost-versus-prize report (default: the wallet
    /// amount, or the points at their point type's cash value).
    pub value: Option<i64>,
    /// Slice or symbol colour, `#RRGGBB`.
    pub colour: Option<String>,
    /// Image URL (https).
    pub image: Option<String>,
    /// Slot machine: the reel symbol of this prize (three in a row win it).
    pub symbol: Option<String>,
}

/// What a play costs: a spin token first when the game takes them and the customer has one,
/// otherwise points; neither set means the game is free (limits still apply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlayCost {
    /// Whether spin tokens (from rewards or prizes) pay for a play.
    #[serde(default)]
    pub spins: bool,
    pub point_type: Option<String>,
    pub points: Option<i64>,
}

/// Colours and words of a game's page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GameLook {
    pub primary_colour: Option<String>,
    pub secondary_colour: Option<String>,
    pub background_image: Option<String>,
    /// The play button's text.
    pub button_label: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GameKind {
    Wheel,
    Slot,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GameInput {
    /// Also the game's public link: `/club/{tenant}/games/{code}`.
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: GameKind,
    pub prizes: Vec<PrizeInput>,
    /// Code of the prize that takes the weight of prizes out of stock or over their daily limit
    /// (default: the first `nothing` prize).
    pub fallback: Option<String>,
    #[serde(default)]
    pub cost: PlayCost,
    /// Plays per customer per day of the tenant's calendar.
    pub plays_per_day: Option<u32>,
    /// Plays per customer in all.
    pub plays_per_customer: Option<u32>,
    /// Only customers in these tiers may play (absent: everyone).
    pub tiers: Option<Vec<String>>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    #[serde(default)]
    pub look: GameLook,
    pub active: Option<bool>,
}

/// A game whose every part was checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Game {
    pub input: GameInput,
    pub fallback: Option<usize>,
    pub tiers: Vec<String>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub active: bool,
}

fn colour(c: &mut Checker, field: &str, value: Option<&str>) {
    let ok = |v: &str| v.len() == 7 && v.starts_with('#') && v[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if value.is_some_and(|v| !ok(v)) {
        c.push(Issue::new("invalid_colour", "must be #RRGGBB", "رنگ باید به شکل #RRGGBB باشد").at(field));
    }
}

fn image(c: &mut Checker, field: &str, value: Option<&str>) {
    if value.is_some_and(|v| !v.starts_with("https://") || v.len() > 500 || v.contains(char::is_whitespace)) {
        c.push(Issue::new("invalid_url", "must be an https:// address", "نشانی باید با https:// شروع شود").at(field));
    }
}

fn not_positive(field: String) -> crate::issue::FieldError {
    Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد").at(field)
}

impl PrizeInput {
    fn check(&self, c: &mut Checker, at: &str, slot: bool) {
        c.check(&format!("{at}.code"), parse_code(&self.code));
        c.check(&format!("{at}.label"), required_text(Some(&self.label), 60));
        match &self.kind {
            PrizeKind::Points { point_type, points } => {
                c.check(&format!("{at}.point_type"), parse_code(point_type));
                if *points <= 0 {
                    c.push(not_positive(format!("{at}.points")));
                }
            }
            PrizeKind::Wallet { amount } if *amount <= 0 => c.push(not_positive(format!("{at}.amount"))),
            PrizeKind::Reward { reward } => {
                c.check(&format!("{at}.reward"), parse_code(reward));
            }
            PrizeKind::DiscountCode { promotion, valid_days } => {
                c.check(&format!("{at}.promotion"), parse_code(promotion));
                if !(1..=3650).contains(valid_days) {
                    c.push(
                        Issue::new("out_of_range", "must be between 1 and 3650 days", "بین ۱ تا ۳۶۵۰ روز")
                            .at(format!("{at}.valid_days")),
                    );
                }
            }
            PrizeKind::Spins { spins } if !(1..=100).contains(spins) => {
                c.push(Issue::new("out_of_range", "must be between 1 and 100", "بین ۱ و ۱۰۰").at(format!("{at}.spins")))
            }
            _ => {}
        }
        if self.weight > MAX_WEIGHT {
            c.push(weight_too_big().at(format!("{at}.weight")));
        }
        for (tier, w) in self.tier_weights.iter().flatten() {
            c.check(&format!("{at}.tier_weights"), parse_code(tier));
            if *w > MAX_WEIGHT {
                c.push(weight_too_big().at(format!("{at}.tier_weights.{tier}")));
            }
        }
        for (field, v) in [("stock", self.stock), ("daily_limit", self.daily_limit), ("value", self.value)] {
            if v.is_some_and(|v| v < 0) {
                c.push(Issue::negative().at(format!("{at}.{field}")));
            }
        }
        colour(c, &format!("{at}.colour"), self.colour.as_deref());
        image(c, &format!("{at}.image"), self.image.as_deref());
        let winning = !matches!(self.kind, PrizeKind::Nothing {});
        match (&self.symbol, slot && winning) {
            (Some(s), _) if s.trim().is_empty() || s.chars().count() > 8 => c.push(
                Issue::new("invalid_symbol", "must be 1–8 characters (an emoji or a short word)", "نماد باید ۱ تا ۸ نویسه باشد")
                    .at(format!("{at}.symbol")),
            ),
            (None, true) => c.push(
                Issue::new("required", "a slot machine prize needs its reel symbol", "جایزهٔ ماشین اسلات نماد لازم دارد")
                    .at(format!("{at}.symbol")),
            ),
            _ => {}
        }
    }

    /// This prize's weight for a customer in `tier`.
    pub fn weight_for(&self, tier: Option<&str>) -> u64 {
        let own = tier.and_then(|t| self.tier_weights.as_ref()?.get(t));
        own.copied().unwrap_or(self.weight) as u64
    }

    pub fn limited(&self) -> bool {
        self.stock.is_some() || self.daily_limit.is_some()
    }
}

fn weight_too_big() -> Issue {
    Issue::new("out_of_range", format!("must be at most {MAX_WEIGHT}"), format!("حداکثر {MAX_WEIGHT}"))
}

impl GameInput {
    pub fn parse(&self, zone: &TimeZone) -> Result<Game, Invalid> {
        let mut c = Checker::new();
        c.check("code", parse_code(&self.code));
        c.check("name", required_text(Some(&self.name), 200));
        c.check("description", optional_text(self.description.as_deref(), 2000));
        let slot = self.kind == GameKind::Slot;
        if !(2..=MAX_PRIZES).contains(&self.prizes.len()) {
            c.push(
                Issue::new(
                    "out_of_range",
                    format!("a game has 2 to {MAX_PRIZES} prizes"),
                    format!("بازی باید ۲ تا {MAX_PRIZES} جایزه داشته باشد"),
                )
                .at("prizes"),
            );
        }
        for (i, p) in self.prizes.iter().enumerate() {
            p.check(&mut c, &format!("prizes[{i}]"), slot);
            let earlier = &self.prizes[..i];
            if earlier.iter().any(|q| q.code.trim().eq_ignore_ascii_case(p.code.trim())) {
                c.push(
                    Issue::new("duplicate", "two prizes have this code", "دو جایزه این کد را دارند")
                        .at(format!("prizes[{i}].code")),
                );
            }
            if slot
                && p.symbol.is_some()
                && !matches!(p.kind, PrizeKind::Nothing {})
                && earlier.iter().any(|q| q.symbol == p.symbol && !matches!(q.kind, PrizeKind::Nothing {}))
            {
                c.push(
                    Issue::new("duplicate", "two prizes show this symbol", "دو جایزه این نماد را دارند")
                        .at(format!("prizes[{i}].symbol")),
                );
            }
        }
        if !self.prizes.is_empty() && self.prizes.iter().all(|p| p.weight == 0) {
            c.push(
                Issue::new("zero_odds", "at least one prize needs a weight above zero", "دست‌کم یک جایزه باید شانس داشته باشد")
                    .at("prizes"),
            );
        }
        let fallback = match &self.fallback {
            Some(code) => match self.prizes.iter().position(|p| p.code.trim().eq_ignore_ascii_case(code.trim())) {
                Some(i) if self.prizes[i].limited() => {
                    c.push(
                        Issue::new(
                            "limited_fallback",
                            "the fallback prize must have no stock or daily limit",
                            "جایزهٔ جایگزین نباید موجودی یا سقف روزانه داشته باشد",
                        )
                        .at("fallback"),
                    );
                    None
                }
                Some(i) => Some(i),
                None => {
                    c.push(Issue::new("unknown_prize", "is not one of the prizes", "جزو جایزه‌ها نیست").at("fallback"));
                    None
                }
            },
            None => self.prizes.iter().position(|p| matches!(p.kind, PrizeKind::Nothing {}) && !p.limited()),
        };
        match (&self.cost.point_type, self.cost.points) {
            (Some(t), Some(n)) => {
                c.check("cost.point_type", parse_code(t));
                if n <= 0 {
                    c.push(not_positive("cost.points".into()));
                }
            }
            (None, None) => {}
            (None, Some(_)) => c.push(Issue::required().at("cost.point_type")),
            (Some(_), None) => c.push(Issue::required().at("cost.points")),
        }
        for (field, v) in [("plays_per_day", self.plays_per_day), ("plays_per_customer", self.plays_per_customer)] {
            if v == Some(0) {
                c.push(not_positive(field.into()));
            }
        }
        let mut tiers = Vec::new();
        for (i, t) in self.tiers.iter().flatten().enumerate() {
            tiers.extend(c.check(&format!("tiers[{i}]"), parse_code(t)));
        }
        let starts_at = self.starts_at.as_deref().and_then(|s| c.check("starts_at", parse_instant(s, zone)));
        let ends_at = self.ends_at.as_deref().and_then(|s| c.check("ends_at", parse_instant(s, zone)));
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            c.push(Issue::new("invalid_window", "must be after starts_at", "پایان باید بعد از شروع باشد").at("ends_at"));
        }
        colour(&mut c, "look.primary_colour", self.look.primary_colour.as_deref());
        colour(&mut c, "look.secondary_colour", self.look.secondary_colour.as_deref());
        image(&mut c, "look.background_image", self.look.background_image.as_deref());
        c.check("look.button_label", optional_text(self.look.button_label.as_deref(), 40));
        c.check("look.title", optional_text(self.look.title.as_deref(), 120));
        let mut input = self.clone();
        input.code = self.code.trim().to_lowercase();
        for p in &mut input.prizes {
            p.code = p.code.trim().to_lowercase();
        }
        if let Some(f) = fallback {
            input.fallback = Some(input.prizes[f].code.clone());
        }
        c.finish(|| Game { input, fallback, tiers, starts_at, ends_at, active: self.active.unwrap_or(true) })
    }
}

/// Why a prize cannot be drawn now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    OutOfStock,
    DailyLimit,
}

impl Game {
    pub fn code(&self) -> &str {
        &self.input.code
    }

    pub fn prizes(&self) -> &[PrizeInput] {
        &self.input.prizes
    }

    /// Why a customer in `tier` cannot play at `now` (before limits and cost).
    pub fn refusal(&self, tier: Option<&str>, now: Timestamp) -> Option<Issue> {
        if !self.active || self.starts_at.is_some_and(|s| now < s) || self.ends_at.is_some_and(|e| now >= e) {
            return Some(Issue::new("game_unavailable", "this game is not open now", "این بازی اکنون فعال نیست"));
        }
        if !self.tiers.is_empty() && !tier.is_some_and(|t| self.tiers.iter().any(|x| x == t)) {
            let list = self.tiers.join(", ");
            return Some(Issue::new("tier_required", format!("only for the tiers {list}"), format!("فقط برای سطح‌های {list}")));
        }
        None
    }

    /// The weights a customer in `tier` plays with, in prize order, when the prizes marked in
    /// `unavailable` cannot be won: each such prize's weight moves to the fallback prize, or,
    /// without a fallback, is dropped so the others' odds grow in proportion.
    pub fn odds(&self, tier: Option<&str>, unavailable: &[Option<Unavailable>]) -> Vec<u64> {
        let mut weights: Vec<u64> = self.prizes().iter().map(|p| p.weight_for(tier)).collect();
        for (i, why) in unavailable.iter().enumerate() {
            if why.is_some() && Some(i) != self.fallback {
                let w = std::mem::take(&mut weights[i]);
                if let Some(f) = self.fallback {
                    weights[f] += w;
                }
            }
        }
        weights
    }

    /// Whether prize `i` can be won, given how many are left and how many were won today.
    pub fn availability(&self, i: usize, stock_left: Option<i64>, won_today: i64) -> Option<Unavailable> {
        let p = &self.prizes()[i];
        if stock_left.is_some_and(|s| s <= 0) {
            Some(Unavailable::OutOfStock)
        } else if p.daily_limit.is_some_and(|l| won_today >= l) {
            Some(Unavailable::DailyLimit)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prize(code: &str, kind: PrizeKind, weight: u32) -> PrizeInput {
        PrizeInput {
            code: code.into(),
            label: code.into(),
            kind,
            weight,
            tier_weights: None,
            stock: None,
            daily_limit: None,
            value: None,
            colour: None,
            image: None,
            symbol: None,
        }
    }

    fn wheel(prizes: Vec<PrizeInput>) -> GameInput {
        GameInput {
            code: "wheel".into(),
            name: "Wheel".into(),
            description: None,
            kind: GameKind::Wheel,
            prizes,
            fallback: None,
            cost: PlayCost::default(),
            plays_per_day: None,
            plays_per_customer: None,
            tiers: None,
            starts_at: None,
            ends_at: None,
            look: GameLook::default(),
            active: None,
        }
    }

    #[test]
    fn unavailable_weight_moves_to_the_first_nothing_prize() {
        let mut gold = prize("p100", PrizeKind::Points { point_type: "purchase".into(), points: 100 }, 10);
        gold.stock = Some(1);
        gold.tier_weights = Some(BTreeMap::from([("gold".into(), 40)]));
        let game = wheel(vec![gold, prize("none", PrizeKind::Nothing {}, 50), prize("w", PrizeKind::Wallet { amount: 5 }, 5)])
            .parse(&TimeZone::UTC)
            .unwrap();
        assert_eq!(game.fallback, Some(1));
        assert_eq!(game.odds(None, &[None, None, None]), vec![10, 50, 5]);
        assert_eq!(game.odds(Some("gold"), &[None, None, None]), vec![40, 50, 5]);
        assert_eq!(game.odds(Some("gold"), &[Some(Unavailable::OutOfStock), None, None]), vec![0, 90, 5]);
    }

    #[test]
    fn without_a_fallback_the_weight_is_dropped() {
        let game = wheel(vec![prize("a", PrizeKind::Wallet { amount: 5 }, 3), prize("b", PrizeKind::Spins { spins: 1 }, 1)])
            .parse(&TimeZone::UTC)
            .unwrap();
        assert_eq!(game.fallback, None);
        assert_eq!(game.odds(None, &[Some(Unavailable::DailyLimit), None]), vec![0, 1]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut p = prize("A B", PrizeKind::Points { point_type: "x".into(), points: 0 }, MAX_WEIGHT + 1);
        p.colour = Some("red".into());
        p.stock = Some(1);
        let mut g = wheel(vec![p, prize("n", PrizeKind::Spins { spins: 0 }, 0)]);
        g.kind = GameKind::Slot;
        g.fallback = Some("a b".into());
        g.cost.points = Some(5);
        g.plays_per_day = Some(0);
        let fields: Vec<String> = g.parse(&TimeZone::UTC).unwrap_err().0.into_iter().map(|e| e.field).collect();
        for f in [
            "prizes[0].code",
            "prizes[0].points",
            "prizes[0].weight",
            "prizes[0].colour",
            "prizes[0].symbol",
            "prizes[1].spins",
            "fallback",
            "cost.point_type",
            "plays_per_day",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
    }
}

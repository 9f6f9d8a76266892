//! Coalition networks (SPEC I1–I4): brands that share a currency. A member's customer exchanges
//! the brand's own points for network points and back at the member's rate; network points keep
//! the member that issued them, and a brand that takes in points another member issued is owed
//! their value by that member. Reports over the network show only groups of at least
//! [`MIN_GROUP`] people.

use crate::calendar::{CalendarKind, parse_time_zone};
use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::tenant::{Slug, parse_currency};
use std::collections::BTreeMap;

/// The smallest group of people a network report shows a figure for.
pub const MIN_GROUP: i64 = 10;

/// A validated request to create a network.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNetwork {
    pub slug: Slug,
    pub name: String,
    /// What customers call the shared points, e.g. "Mall points".
    pub point_name: String,
    /// What one network point is worth in `currency` (its smallest unit): the amount a member
    /// owes for each point it issued that another member took in.
    pub point_value: i64,
    pub currency: String,
    /// Where the network's months begin and end (settlement statements, reports).
    pub time_zone: String,
    pub calendar: CalendarKind,
}

impl NewNetwork {
    pub fn parse(
        slug: &str,
        name: &str,
        point_name: &str,
        point_value: i64,
        currency: Option<&str>,
        time_zone: Option<&str>,
        calendar: Option<&str>,
    ) -> Result<NewNetwork, Invalid> {
        let mut c = Checker::new();
        let slug = c.check("slug", Slug::parse(slug));
        let name = c.check("name", required_text(Some(name), 120));
        let point_name = c.check("point_name", required_text(Some(point_name), 60));
        let point_value = c.check("point_value", positive(point_value, 1_000_000_000));
        let currency = c.check("currency", parse_currency(currency.unwrap_or("IRT")));
        let time_zone = time_zone.unwrap_or("Asia/Tehran").trim().to_string();
        c.check("time_zone", parse_time_zone(&time_zone));
        let calendar = c.check("calendar", CalendarKind::parse(calendar.unwrap_or("jalali")));
        c.finish(|| NewNetwork {
            slug: slug.unwrap(),
            name: name.unwrap(),
            point_name: point_name.unwrap(),
            point_value: point_value.unwrap(),
            currency: currency.unwrap(),
            time_zone,
            calendar: calendar.unwrap(),
        })
    }
}

fn positive(n: i64, max: i64) -> Result<i64, Issue> {
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(Issue::new("out_of_range", format!("must be from 1 to {max}"), format!("باید از ۱ تا {max} باشد")))
    }
}

/// A member's exchange rate: `own` of its points are worth `network` network points. Exchanges
/// happen in whole steps of the rate in both directions, so no fraction of a point is ever
/// rounded away and a round trip at one brand gives back exactly what went in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeRate {
    pub own: i64,
    pub network: i64,
}

impl ExchangeRate {
    pub fn new(own: i64, network: i64) -> Result<ExchangeRate, Issue> {
        positive(own, 1_000_000)?;
        positive(network, 1_000_000)?;
        Ok(ExchangeRate { own, network })
    }

    /// Reads `10:1` (ten own points for one network point); a bare number means `N:1`.
    pub fn parse(input: &str) -> Result<ExchangeRate, Issue> {
        let text = crate::digits::ascii_digits(input.trim());
        let bad = || {
            Issue::new(
                "invalid_rate",
                "must be OWN:NETWORK in whole points, e.g. 10:1",
                "نرخ باید به شکل «امتیاز فروشگاه:امتیاز شبکه» باشد، مثلاً 10:1",
            )
        };
        let (own, network) = text.split_once(':').unwrap_or((text.as_str(), "1"));
        let own: i64 = own.trim().parse().map_err(|_| bad())?;
        let network: i64 = network.trim().parse().map_err(|_| bad())?;
        ExchangeRate::new(own, network).map_err(|_| bad())
    }

    /// The member's own points worth `network_points`, when it is a whole number of steps.
    pub fn own_for(self, network_points: i64) -> Result<i64, Issue> {
        if network_points <= 0 {
            return Err(Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد"));
        }
        if network_points % self.network != 0 {
            return Err(Issue::new(
                "not_a_step",
                format!("must be a multiple of {} at this brand's rate of {self}", self.network),
                format!("باید مضربی از {} باشد (نرخ این فروشگاه {self})", self.network),
            ));
        }
        (network_points / self.network)
            .checked_mul(self.own)
            .ok_or_else(|| Issue::new("too_large", "is too large", "بیش از حد بزرگ است"))
    }
}

impl std::fmt::Display for ExchangeRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.own, self.network)
    }
}

/// Network points a member issued that a person still holds, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkLot {
    pub id: i64,
    pub issuer: i64,
    pub remaining: i64,
}

/// Not enough network points: what the person holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short {
    pub available: i64,
}

/// Takes `points` from the oldest lots first: `(lot, issuer, points)` per lot drawn.
pub fn draw(lots: &[NetworkLot], points: i64) -> Result<Vec<(i64, i64, i64)>, Short> {
    let available: i64 = lots.iter().map(|l| l.remaining).sum();
    if points > available {
        return Err(Short { available });
    }
    let mut left = points;
    let mut takes = Vec::new();
    for lot in lots.iter().filter(|l| l.remaining > 0) {
        if left == 0 {
            break;
        }
        let n = lot.remaining.min(left);
        takes.push((lot.id, lot.issuer, n));
        left -= n;
    }
    Ok(takes)
}

/// One settlement: `debtor` issued `points` that `creditor` took in and owes their value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    pub debtor: i64,
    pub creditor: i64,
    pub points: i64,
    pub amount: i64,
}

/// The settlements of one exchange into `redeemer`'s points: one per other issuer drawn from.
/// Points a member takes back that it issued itself settle nothing.
pub fn settlements(takes: &[(i64, i64, i64)], redeemer: i64, point_value: i64) -> Vec<Settlement> {
    let mut by_issuer: BTreeMap<i64, i64> = BTreeMap::new();
    for &(_, issuer, n) in takes {
        if issuer != redeemer {
            *by_issuer.entry(issuer).or_default() += n;
        }
    }
    by_issuer
        .into_iter()
        .map(|(debtor, points)| Settlement { debtor, creditor: redeemer, points, amount: points * point_value })
        .collect()
}

/// A member's position against one other member over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Points the other member took in that this member issued, and their value (owed by us).
    pub owed_points: i64,
    pub owed_amount: i64,
    /// Points this member took in that the other member issued (owed to us).
    pub due_points: i64,
    pub due_amount: i64,
}

impl Position {
    /// Positive when the other member owes this one.
    pub fn net(&self) -> i64 {
        self.due_amount - self.owed_amount
    }
}

/// A member's statement: its position against each other member, from the period's settlements.
pub fn statement(member: i64, rows: &[Settlement]) -> BTreeMap<i64, Position> {
    let mut out: BTreeMap<i64, Position> = BTreeMap::new();
    for s in rows {
        if s.debtor == member {
            let p = out.entry(s.creditor).or_default();
            p.owed_points += s.points;
            p.owed_amount += s.amount;
        } else if s.creditor == member {
            let p = out.entry(s.debtor).or_default();
            p.due_points += s.points;
            p.due_amount += s.amount;
        }
    }
    out
}

/// A figure about `people` distinct people, shown only when the group is large enough that no
/// member can learn about another member's individual customers from it.
pub fn shown(people: i64, value: i64) -> Option<i64> {
    (people >= MIN_GROUP).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rates_read_and_step() {
        let r = ExchangeRate::parse("۱۰:۱").unwrap();
        assert_eq!(r, ExchangeRate { own: 10, network: 1 });
        assert_eq!(r.own_for(7).unwrap(), 70);
        assert_eq!(ExchangeRate::parse("5").unwrap(), ExchangeRate { own: 5, network: 1 });
        let r = ExchangeRate::parse("2:3").unwrap();
        assert_eq!(r.own_for(9).unwrap(), 6);
        assert_eq!(r.own_for(10).unwrap_err().code, "not_a_step");
        assert_eq!(r.own_for(0).unwrap_err().code, "not_positive");
        for bad in ["", "0:1", "1:0", "a:b", "-3:1", "10:1:2"] {
            assert_eq!(ExchangeRate::parse(bad).unwrap_err().code, "invalid_rate", "{bad}");
        }
    }

    #[test]
    fn a_new_network_names_every_bad_field() {
        let err = NewNetwork::parse("X", " ", "", 0, Some("toman"), Some("Mars/Base"), Some("lunar")).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["slug", "name", "point_name", "point_value", "currency", "time_zone", "calendar"]);
    }

    #[test]
    fn oldest_lots_are_drawn_first_and_own_points_settle_nothing() {
        let lots = [
            NetworkLot { id: 1, issuer: 7, remaining: 5 },
            NetworkLot { id: 2, issuer: 8, remaining: 0 },
            NetworkLot { id: 3, issuer: 9, remaining: 10 },
        ];
        let takes = draw(&lots, 8).unwrap();
        assert_eq!(takes, vec![(1, 7, 5), (3, 9, 3)]);
        assert_eq!(draw(&lots, 16), Err(Short { available: 15 }));
        let s = settlements(&takes, 9, 1_000);
        assert_eq!(s, vec![Settlement { debtor: 7, creditor: 9, points: 5, amount: 5_000 }]);
    }

    #[test]
    fn small_groups_are_hidden() {
        assert_eq!(shown(9, 123), None);
        assert_eq!(shown(10, 123), Some(123));
    }

    proptest! {
        /// Whatever is drawn is exactly what was asked, never more than a lot holds; and across
        /// any run of exchanges the statements of all members net to zero.
        #[test]
        fn draws_are_exact_and_statements_balance(
            lots in proptest::collection::vec((1i64..5, 0i64..50), 1..12),
            asks in proptest::collection::vec((1i64..5, 1i64..80), 1..12),
        ) {
            let mut lots: Vec<NetworkLot> =
                lots.into_iter().enumerate().map(|(i, (issuer, remaining))| NetworkLot { id: i as i64, issuer, remaining }).collect();
            let mut all = Vec::new();
            for (redeemer, points) in asks {
                let held: i64 = lots.iter().map(|l| l.remaining).sum();
                match draw(&lots, points) {
                    Err(short) => prop_assert!(points > held && short.available == held),
                    Ok(takes) => {
                        prop_assert_eq!(takes.iter().map(|t| t.2).sum::<i64>(), points);
                        for (lot, _, n) in &takes {
                            let l = lots.iter_mut().find(|l| l.id == *lot).unwrap();
                            prop_assert!(*n > 0 && *n <= l.remaining);
                            l.remaining -= n;
                        }
                        all.extend(settlements(&takes, redeemer, 250));
                    }
                }
            }
            let net: i64 = (1..5).map(|m| statement(m, &all).values().map(Position::net).sum::<i64>()).sum();
            prop_assert_eq!(net, 0);
            for s in &all {
                prop_assert!(s.debtor != s.creditor && s.amount == s.points * 250);
            }
        }

        /// A round trip at one brand gives back exactly the points that went in.
        #[test]
        fn a_round_trip_is_neutral(own in 1i64..1000, network in 1i64..1000, steps in 1i64..1000) {
            let r = ExchangeRate::new(own, network).unwrap();
            let points = steps * network;
            prop_assert_eq!(r.own_for(points).unwrap(), steps * own);
        }
    }
}

//! 100,000 simulated plays per case follow the configured weights (chi-square at p > 0.001), per
//! tier and after a prize runs out of stock.

use jiff::tz::TimeZone;
use philia_domain::draw::{commitment, draw};
use philia_domain::games::{GameInput, Unavailable};
use sha2::{Digest, Sha256};

const PLAYS: usize = 100_000;

/// Upper 0.1 % points of the chi-square distribution by degrees of freedom (published tables).
const CRITICAL_P001: [f64; 8] = [10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124];

fn game() -> philia_domain::games::Game {
    let input: GameInput = serde_json::from_value(serde_json::json!({
        "code": "wheel", "name": "Wheel", "kind": "wheel",
        "prizes": [
            {"code": "p50", "label": "50", "kind": "points", "point_type": "purchase", "points": 50, "weight": 30,
             "tier_weights": {"gold": 45}},
            {"code": "p500", "label": "500", "kind": "points", "point_type": "purchase", "points": 500, "weight": 5,
             "tier_weights": {"gold": 15}, "stock": 2000},
            {"code": "cash", "label": "cash", "kind": "wallet", "amount": 10000, "weight": 10},
            {"code": "spin", "label": "again", "kind": "spins", "spins": 1, "weight": 15},
            {"code": "none", "label": "none", "kind": "nothing", "weight": 40, "tier_weights": {"gold": 15}}
        ]
    }))
    .unwrap();
    input.parse(&TimeZone::UTC).unwrap()
}

/// A distinct seed per play, as the server would draw at random.
fn seed(case: &str, i: usize) -> [u8; 32] {
    Sha256::digest(format!("{case}:{i}")).into()
}

fn chi_square(counts: &[u64], weights: &[u64]) -> (f64, usize) {
    let n: u64 = counts.iter().sum();
    let total: u64 = weights.iter().sum();
    let mut stat = 0.0;
    let mut cells = 0;
    for (c, w) in counts.iter().zip(weights) {
        if *w == 0 {
            assert_eq!(*c, 0, "a prize with weight 0 was drawn");
            continue;
        }
        let expected = n as f64 * *w as f64 / total as f64;
        stat += (*c as f64 - expected).powi(2) / expected;
        cells += 1;
    }
    (stat, cells - 1)
}

fn assert_fits(case: &str, counts: &[u64], weights: &[u64]) {
    let (stat, df) = chi_square(counts, weights);
    let critical = CRITICAL_P001[df - 1];
    assert!(
        stat < critical,
        "{case}: chi-square {stat:.2} with {df} df is beyond {critical} (counts {counts:?}, weights {weights:?})"
    );
}

#[test]
fn plays_follow_the_weights_of_each_tier() {
    let g = game();
    let all = vec![None; g.prizes().len()];
    for tier in [None, Some("gold"), Some("silver")] {
        let weights = g.odds(tier, &all);
        let mut counts = vec![0u64; weights.len()];
        for i in 0..PLAYS {
            let d = draw(&seed(&format!("{tier:?}"), i), "client", i as i64, &weights).unwrap();
            counts[d.prize] += 1;
        }
        assert_fits(&format!("tier {tier:?}"), &counts, &weights);
    }
    // Gold's own weights are in force, not the default ones.
    assert_eq!(g.odds(Some("gold"), &all), vec![45, 15, 10, 15, 15]);
    assert_eq!(g.odds(Some("silver"), &all), vec![30, 5, 10, 15, 40]);
}

#[test]
fn an_out_of_stock_prize_gives_its_weight_to_the_fallback() {
    let g = game();
    let mut stock = g.prizes()[1].stock.unwrap();
    let mut before = vec![0u64; 5];
    let mut after = vec![0u64; 5];
    let full = g.odds(Some("gold"), &[None; 5]);
    for i in 0..PLAYS {
        let unavailable: Vec<Option<Unavailable>> =
            (0..5).map(|p| if p == 1 { g.availability(1, Some(stock), 0) } else { None }).collect();
        let weights = g.odds(Some("gold"), &unavailable);
        let d = draw(&seed("stock", i), "", i as i64, &weights).unwrap();
        if unavailable[1].is_some() {
            after[d.prize] += 1;
        } else {
            before[d.prize] += 1;
        }
        if d.prize == 1 {
            stock -= 1;
        }
    }
    assert_eq!(stock, 0);
    assert_eq!(before[1] + after[1], 2000, "exactly the stock was won");
    assert_eq!(after[1], 0);
    let moved = g.odds(Some("gold"), &[None, Some(Unavailable::OutOfStock), None, None, None]);
    assert_eq!(moved, vec![45, 0, 10, 15, 30], "the 15 of the prize moved to `none`");
    assert!(after.iter().sum::<u64>() > 80_000);
    assert_fits("after stock-out", &after, &moved);
    assert_fits("before stock-out", &before, &full);
}

#[test]
fn the_commitment_binds_the_seed() {
    let s = seed("c", 1);
    assert_eq!(commitment(&s).len(), 64);
    assert_ne!(commitment(&s), commitment(&seed("c", 2)));
}

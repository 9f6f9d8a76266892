//! Predictive CLV against the reference implementation: the CDNOW sample (2,357 customers'
//! purchases, 1997-01 to 1998-06) summarised by day, fitted with BG/NBD and Gamma-Gamma, and every
//! customer's predictions compared with what the `lifetimes` package gives on the same data
//! (`scripts/check_clv.py` wrote them). Parameters and predictions must agree within 1 %.

use philia_domain::clv::{Summary, fit_bg_nbd, fit_gamma_gamma, lifetime_value};
use serde_json::Value;
use std::collections::BTreeMap;

fn day_number(yyyymmdd: &str) -> i64 {
    let date: jiff::civil::Date = format!("{}-{}-{}", &yyyymmdd[..4], &yyyymmdd[4..6], &yyyymmdd[6..]).parse().unwrap();
    i64::from(date.since(jiff::civil::date(1970, 1, 1)).unwrap().get_days())
}

fn close(what: &str, ours: f64, theirs: f64, worst: &mut (f64, String)) {
    // Relative difference, with an absolute floor for values near zero.
    let diff = (ours - theirs).abs() / theirs.abs().max(1e-3);
    if diff > worst.0 {
        *worst = (diff, format!("{what}: ours {ours}, lifetimes {theirs}"));
    }
}

#[test]
fn fits_and_predicts_as_lifetimes_does_on_cdnow() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cdnow/CDNOW_sample.txt")).unwrap();
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cdnow/lifetimes_reference.json")).unwrap(),
    )
    .unwrap();
    let mut purchases: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        purchases.entry(cols[0].parse().unwrap()).or_default().push((day_number(cols[2]), cols[4].parse().unwrap()));
    }
    let end = day_number("19980630");
    let summaries: BTreeMap<i64, Summary> = purchases.iter().map(|(c, p)| (*c, Summary::of(p, end).unwrap())).collect();
    let customers = reference["customers"].as_array().unwrap();
    assert_eq!(summaries.len(), customers.len());

    // The same summaries as lifetimes' `summary_data_from_transaction_data(freq="D")`.
    for c in customers {
        let s = summaries[&c["customer"].as_i64().unwrap()];
        assert_eq!(
            (s.frequency, s.recency, s.age),
            (c["frequency"].as_f64().unwrap(), c["recency"].as_f64().unwrap(), c["age"].as_f64().unwrap())
        );
        assert!((s.monetary - c["monetary"].as_f64().unwrap()).abs() < 1e-9, "{c}");
    }

    let all: Vec<Summary> = summaries.values().copied().collect();
    let bg = fit_bg_nbd(&all).unwrap();
    let gg = fit_gamma_gamma(&all).unwrap();
    let mut worst = (0.0, String::new());
    let theirs = &reference["bg_nbd"];
    for (name, ours) in [("r", bg.r), ("alpha", bg.alpha), ("a", bg.a), ("b", bg.b)] {
        close(name, ours, theirs[name].as_f64().unwrap(), &mut worst);
    }
    let theirs = &reference["gamma_gamma"];
    for (name, ours) in [("p", gg.p), ("q", gg.q), ("v", gg.v)] {
        close(name, ours, theirs[name].as_f64().unwrap(), &mut worst);
    }
    println!("parameters: BG/NBD {bg:?}, Gamma-Gamma {gg:?}; worst difference {:.5} % ({})", worst.0 * 100.0, worst.1);
    assert!(worst.0 < 0.01, "parameters within 1 %: {}", worst.1);

    let mut worst = (0.0, String::new());
    for c in customers {
        let id = c["customer"].as_i64().unwrap();
        let s = summaries[&id];
        let f = |k: &str| c[k].as_f64().unwrap();
        close(&format!("{id} p_alive"), bg.probability_alive(&s), f("p_alive"), &mut worst);
        for days in [30, 90, 365] {
            close(
                &format!("{id} purchases_{days}"),
                bg.expected_purchases(&s, f64::from(days)),
                f(&format!("purchases_{days}")),
                &mut worst,
            );
        }
        close(&format!("{id} clv_12"), lifetime_value(&bg, &gg, &s, 12, 0.01), f("clv_12"), &mut worst);
    }
    println!("predictions of {} customers: worst difference {:.5} % ({})", customers.len(), worst.0 * 100.0, worst.1);
    assert!(worst.0 < 0.01, "every prediction within 1 %: {}", worst.1);
}

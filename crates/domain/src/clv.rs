//! Predictive customer lifetime value: the BG/NBD model of how often a customer buys and whether
//! they are still a customer (Fader, Hardie & Lee 2005), and the Gamma-Gamma model of how much
//! they spend per purchase (Fader & Hardie 2013), both fitted by maximum likelihood. Time is in
//! days. A customer is summarised as in the models' papers: `frequency` = repeat purchase days
//! (purchase days − 1), `recency` = days from the first to the last purchase day, `age` (T) =
//! days from the first purchase day to the date of the figures, `monetary` = average spend of
//! the repeat purchase days (the first day's is left out: it is often unlike the rest).

use serde::{Deserialize, Serialize};

/// One customer as the models see them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub frequency: f64,
    pub recency: f64,
    pub age: f64,
    pub monetary: f64,
}

impl Summary {
    /// A customer's summary from their purchases: (day number, amount) in any order, several on
    /// a day counting as one purchase of their sum, up to `end` (a day number; later purchases
    /// are left out). `None` for a customer with no purchase by then.
    pub fn of(purchases: &[(i64, f64)], end: i64) -> Option<Summary> {
        let mut days: Vec<(i64, f64)> = Vec::new();
        let mut sorted: Vec<(i64, f64)> = purchases.iter().copied().filter(|(d, _)| *d <= end).collect();
        sorted.sort_by_key(|(d, _)| *d);
        for (day, amount) in sorted {
            match days.last_mut() {
                Some((last, sum)) if *last == day => *sum += amount,
                _ => days.push((day, amount)),
            }
        }
        let (first, last) = (days.first()?.0, days.last()?.0);
        let repeat = &days[1..];
        let monetary = if repeat.is_empty() { 0.0 } else { repeat.iter().map(|(_, a)| a).sum::<f64>() / repeat.len() as f64 };
        Some(Summary { frequency: repeat.len() as f64, recency: (last - first) as f64, age: (end - first) as f64, monetary })
    }
}

/// BG/NBD: purchases come as a Poisson process whose rate is Gamma(r, α) across customers; after
/// each purchase a customer drops out with a probability that is Beta(a, b) across customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Gamma-Gamma: a customer's spend per purchase is Gamma(p, ν), with ν Gamma(q, γ) across
/// customers (`v` is γ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub v: f64,
}

fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// ln(e^x + e^y) without overflow.
fn log_add(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return y;
    }
    let m = x.max(y);
    m + ((x - m).exp() + (y - m).exp()).ln()
}

/// The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its series, summed until
/// the terms no longer change the sum.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 0..1_000_000 {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() <= sum.abs() * 1e-15 {
            break;
        }
    }
    sum
}

impl BgNbd {
    /// The log-likelihood of one customer's history.
    pub fn log_likelihood(&self, s: &Summary) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let (x, tx, t) = (s.frequency, s.recency, s.age);
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + t).ln();
        let a4 = if x > 0.0 { a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln() } else { f64::NEG_INFINITY };
        a1 + a2 + log_add(a4, a3)
    }

    /// The chance the customer has not dropped out by the date of the figures.
    pub fn probability_alive(&self, s: &Summary) -> f64 {
        if s.frequency == 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let (x, tx, t) = (s.frequency, s.recency, s.age);
        let odds = (a.ln() - (b + x - 1.0).ln() + (r + x) * ((alpha + t).ln() - (alpha + tx).ln())).exp();
        1.0 / (1.0 + odds)
    }

    /// Purchases expected in the next `days`, given the customer's history.
    pub fn expected_purchases(&self, s: &Summary, days: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let (x, tx, t) = (s.frequency, s.recency, s.age);
        let hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, days / (alpha + t + days));
        let first = (a + b + x - 1.0) / (a - 1.0);
        let second = 1.0 - ((alpha + t) / (alpha + t + days)).powf(r + x) * hyp;
        let dead = if x > 0.0 { a / (b + x - 1.0) * ((alpha + t) / (alpha + tx)).powf(r + x) } else { 0.0 };
        first * second / (1.0 + dead)
    }

    fn from_logs(p: &[f64]) -> BgNbd {
        BgNbd { r: p[0].exp(), alpha: p[1].exp(), a: p[2].exp(), b: p[3].exp() }
    }
}

impl GammaGamma {
    /// The log-likelihood of one repeat customer's average spend.
    pub fn log_likelihood(&self, s: &Summary) -> f64 {
        let GammaGamma { p, q, v } = *self;
        let (x, m) = (s.frequency, s.monetary);
        ln_gamma(p * x + q) - ln_gamma(q) + (p * x - 1.0) * m.ln() + q * v.ln() + p * x * x.ln()
            - ln_gamma(p * x)
            - (p * x + q) * (x * m + v).ln()
    }

    /// The spend per purchase expected of this customer: their own average weighed against the
    /// population's by how many purchases it rests on.
    pub fn expected_spend(&self, s: &Summary) -> f64 {
        let GammaGamma { p, q, v } = *self;
        let population = v * p / (q - 1.0);
        if s.frequency == 0.0 {
            return population;
        }
        let weight = p * s.frequency / (p * s.frequency + q - 1.0);
        (1.0 - weight) * population + weight * s.monetary
    }

    fn from_logs(p: &[f64]) -> GammaGamma {
        GammaGamma { p: p[0].exp(), q: p[1].exp(), v: p[2].exp() }
    }
}

/// Summaries with their counts: customers with the same history count once, weighed.
fn grouped(customers: &[Summary], key: impl Fn(&Summary) -> [u64; 4]) -> Vec<(Summary, f64)> {
    let mut map: std::collections::HashMap<[u64; 4], (Summary, f64)> = std::collections::HashMap::new();
    for s in customers {
        map.entry(key(s)).or_insert((*s, 0.0)).1 += 1.0;
    }
    let mut out: Vec<(Summary, f64)> = map.into_values().collect();
    // A fixed order keeps the sums, and so the fit, the same from run to run.
    out.sort_by_key(|x| key(&x.0));
    out
}

/// Minimises `f` from `start` by Nelder and Mead's simplex, restarted at its answer until a
/// restart no longer improves it (a collapsed simplex can stop short of the minimum).
fn minimise(f: &dyn Fn(&[f64]) -> f64, start: &[f64]) -> Vec<f64> {
    // Parameters are searched as logarithms within ±20 (e^20 ≈ 5·10^8): data that would push one
    // further (no one ever drops out, say) is as well described at the edge, and the search ends.
    let bounded = |p: &[f64]| if p.iter().all(|x| x.abs() <= 20.0) { f(p) } else { f64::INFINITY };
    let f = &bounded;
    let mut best = start.to_vec();
    let mut best_value = f(&best);
    for _ in 0..10 {
        let (point, value) = nelder_mead(f, &best);
        let improved = best_value - value > 1e-12 * best_value.abs().max(1.0);
        if value < best_value {
            best = point;
            best_value = value;
        }
        if !improved {
            break;
        }
    }
    best
}

fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, start: &[f64]) -> (Vec<f64>, f64) {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = vec![(start.to_vec(), f(start))];
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += if p[i].abs() > 1e-3 { 0.05 * p[i].abs().max(0.5) } else { 0.25 };
        let v = f(&p);
        simplex.push((p, v));
    }
    let value = |v: f64| if v.is_finite() { v } else { f64::INFINITY };
    for _ in 0..5_000 {
        simplex.sort_by(|x, y| value(x.1).total_cmp(&value(y.1)));
        let spread = simplex.iter().map(|(_, v)| value(*v)).fold(f64::NEG_INFINITY, f64::max) - value(simplex[0].1);
        let size =
            simplex.iter().skip(1).flat_map(|(p, _)| p.iter().zip(&simplex[0].0).map(|(x, y)| (x - y).abs())).fold(0.0, f64::max);
        if spread.abs() < 1e-13 && size < 1e-10 {
            break;
        }
        let centroid: Vec<f64> = (0..n).map(|i| simplex[..n].iter().map(|(p, _)| p[i]).sum::<f64>() / n as f64).collect();
        let worst = simplex[n].clone();
        let towards = |t: f64| -> Vec<f64> { centroid.iter().zip(&worst.0).map(|(c, w)| c + t * (w - c)).collect() };
        let reflected = towards(-1.0);
        let fr = value(f(&reflected));
        if fr < value(simplex[0].1) {
            let expanded = towards(-2.0);
            let fe = value(f(&expanded));
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < value(simplex[n - 1].1) {
            simplex[n] = (reflected, fr);
        } else {
            let (contracted, fc) = if fr < value(worst.1) {
                let c = towards(-0.5);
                let v = value(f(&c));
                (c, v)
            } else {
                let c = towards(0.5);
                let v = value(f(&c));
                (c, v)
            };
            if fc < value(worst.1).min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                let best = simplex[0].0.clone();
                for (p, v) in simplex.iter_mut().skip(1) {
                    *p = best.iter().zip(p.iter()).map(|(b, x)| b + 0.5 * (x - b)).collect();
                    *v = value(f(p));
                }
            }
        }
    }
    simplex.sort_by(|x, y| value(x.1).total_cmp(&value(y.1)));
    simplex.swap_remove(0)
}

/// Fits BG/NBD by maximum likelihood over every customer's history. `None` without at least two
/// customers, one of them with a repeat purchase (the model cannot be told apart otherwise).
pub fn fit_bg_nbd(customers: &[Summary]) -> Option<BgNbd> {
    if customers.len() < 2 || !customers.iter().any(|s| s.frequency > 0.0) {
        return None;
    }
    let groups = grouped(customers, |s| [s.frequency.to_bits(), s.recency.to_bits(), s.age.to_bits(), 0]);
    let total: f64 = groups.iter().map(|(_, w)| w).sum();
    let objective = |p: &[f64]| -> f64 {
        let model = BgNbd::from_logs(p);
        -groups.iter().map(|(s, w)| w * model.log_likelihood(s)).sum::<f64>() / total
    };
    // Start from a model of customers who buy about as often as these do.
    let mean_rate = customers.iter().map(|s| s.frequency / s.age.max(1.0)).sum::<f64>() / customers.len() as f64;
    let start = [0.0, (1.0 / mean_rate.max(1e-6)).ln(), 0.0, 0.0];
    let best = minimise(&objective, &start);
    Some(BgNbd::from_logs(&best))
}

/// Fits Gamma-Gamma over the customers with a repeat purchase and a positive spend.
pub fn fit_gamma_gamma(customers: &[Summary]) -> Option<GammaGamma> {
    let repeat: Vec<Summary> = customers.iter().copied().filter(|s| s.frequency > 0.0 && s.monetary > 0.0).collect();
    if repeat.len() < 2 {
        return None;
    }
    let groups = grouped(&repeat, |s| [s.frequency.to_bits(), s.monetary.to_bits(), 0, 0]);
    let total: f64 = groups.iter().map(|(_, w)| w).sum();
    let objective = |p: &[f64]| -> f64 {
        let model = GammaGamma::from_logs(p);
        -groups.iter().map(|(s, w)| w * model.log_likelihood(s)).sum::<f64>() / total
    };
    let mean = repeat.iter().map(|s| s.monetary).sum::<f64>() / repeat.len() as f64;
    let start = [0.0, 0.0, mean.max(1.0).ln()];
    Some(GammaGamma::from_logs(&minimise(&objective, &start)))
}

/// Lifetime value over `months` months of 30 days, each month's expected purchases times the
/// expected spend, discounted by `monthly_discount` per month.
pub fn lifetime_value(purchases: &BgNbd, spend: &GammaGamma, s: &Summary, months: u32, monthly_discount: f64) -> f64 {
    let per_purchase = spend.expected_spend(s);
    let mut total = 0.0;
    let mut before = 0.0;
    for month in 1..=months {
        let upto = purchases.expected_purchases(s, 30.0 * f64::from(month));
        total += per_purchase * (upto - before) / (1.0 + monthly_discount).powi(month as i32);
        before = upto;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z; ₂F₁(a, b; b; z) = (1 − z)^−a.
        for z in [0.1, 0.5, 0.9, 0.99] {
            assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0f64 - z).ln() / z)).abs() < 1e-9, "{z}");
            assert!((hyp2f1(2.5, 3.0, 3.0, z) - (1.0f64 - z).powf(-2.5)).abs() < 1e-7 * (1.0f64 - z).powf(-2.5), "{z}");
        }
    }

    #[test]
    fn the_simplex_finds_a_known_minimum() {
        let rosenbrock = |p: &[f64]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let found = minimise(&rosenbrock, &[-1.2, 1.0]);
        assert!((found[0] - 1.0).abs() < 1e-5 && (found[1] - 1.0).abs() < 1e-5, "{found:?}");
        // A minimum beyond the bounds stops at them.
        let runaway = |p: &[f64]| (-p[0]).exp();
        assert!((minimise(&runaway, &[0.0])[0] - 20.0).abs() < 1e-3);
    }

    #[test]
    fn predictions_behave() {
        let m = BgNbd { r: 0.243, alpha: 4.414 * 7.0, a: 0.793, b: 2.426 };
        let recent = Summary { frequency: 5.0, recency: 200.0, age: 210.0, monetary: 100.0 };
        let lapsed = Summary { frequency: 5.0, recency: 20.0, age: 210.0, monetary: 100.0 };
        let once = Summary { frequency: 0.0, recency: 0.0, age: 210.0, monetary: 0.0 };
        assert!(m.probability_alive(&recent) > m.probability_alive(&lapsed));
        assert_eq!(m.probability_alive(&once), 1.0);
        assert!(m.expected_purchases(&recent, 365.0) > m.expected_purchases(&lapsed, 365.0));
        assert!(m.expected_purchases(&recent, 90.0) < m.expected_purchases(&recent, 365.0));
        let g = GammaGamma { p: 6.25, q: 3.74, v: 15.44 };
        // More purchases pull the estimate towards the customer's own average.
        let few = Summary { frequency: 1.0, ..recent };
        assert!((g.expected_spend(&recent) - 100.0).abs() < (g.expected_spend(&few) - 100.0).abs());
        assert!(lifetime_value(&m, &g, &recent, 12, 0.01) > lifetime_value(&m, &g, &lapsed, 12, 0.01));
        assert_eq!(fit_bg_nbd(&[once]), None);
    }
}

//! Charts drawn on the server as SVG: a line over time, bars and a pie. Every point carries its
//! number in a tooltip, and pies list their numbers beside them, so nothing needs a script.

use maud::{Markup, html};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 220.0;
const PAD_X: f64 = 12.0;
const PAD_TOP: f64 = 16.0;
const PAD_BOTTOM: f64 = 28.0;
const COLOURS: usize = 8;

/// One value with its label, already written for the reader.
pub struct Point {
    pub label: String,
    pub value: i64,
    pub shown: String,
}

fn top_of(points: &[Point]) -> f64 {
    points.iter().map(|p| p.value).max().unwrap_or(0).max(1) as f64
}

fn y_of(value: i64, top: f64) -> f64 {
    PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (1.0 - value.max(0) as f64 / top)
}

/// First, middle and last labels along the bottom.
fn x_labels(points: &[Point], x_of: impl Fn(usize) -> f64) -> Markup {
    let n = points.len();
    let mut picks = vec![0, n / 2, n.saturating_sub(1)];
    picks.dedup();
    html! {
        @for i in picks {
            @if let Some(p) = points.get(i) {
                text x=(format!("{:.1}", x_of(i))) y=(HEIGHT - 8.0) text-anchor="middle" { (p.label) }
            }
        }
    }
}

/// A line over buckets (days, weeks, months).
pub fn line(title: &str, points: &[Point], max_shown: &str) -> Markup {
    let top = top_of(points);
    let n = points.len().max(1);
    let step = if n > 1 { (WIDTH - 2.0 * PAD_X) / (n - 1) as f64 } else { 0.0 };
    let x_of = |i: usize| if n > 1 { PAD_X + step * i as f64 } else { WIDTH / 2.0 };
    let path: Vec<String> = points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x_of(i), y_of(p.value, top))).collect();
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(title) {
            line.axis x1=(PAD_X) y1=(HEIGHT - PAD_BOTTOM) x2=(WIDTH - PAD_X) y2=(HEIGHT - PAD_BOTTOM) {}
            text x=(PAD_X) y="11" { (max_shown) }
            polyline.series points=(path.join(" ")) {}
            @for (i, p) in points.iter().enumerate() {
                circle.dot cx=(format!("{:.1}", x_of(i))) cy=(format!("{:.1}", y_of(p.value, top))) r=(if n > 60 { 2.0 } else { 3.5 }) {
                    title { (p.label) ": " (p.shown) }
                }
            }
            (x_labels(points, x_of))
        }
    }
}

/// Vertical bars, one per label, the number above each.
pub fn bars(title: &str, points: &[Point]) -> Markup {
    let top = top_of(points);
    let n = points.len().max(1) as f64;
    let slot = (WIDTH - 2.0 * PAD_X) / n;
    let x_of = |i: usize| PAD_X + slot * (i as f64 + 0.5);
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(title) {
            line.axis x1=(PAD_X) y1=(HEIGHT - PAD_BOTTOM) x2=(WIDTH - PAD_X) y2=(HEIGHT - PAD_BOTTOM) {}
            @for (i, p) in points.iter().enumerate() {
                @let y = y_of(p.value, top);
                rect.bar x=(format!("{:.1}", x_of(i) - slot * 0.35)) y=(format!("{y:.1}")) width=(format!("{:.1}", slot * 0.7))
                    height=(format!("{:.1}", HEIGHT - PAD_BOTTOM - y)) {
                    title { (p.label) ": " (p.shown) }
                }
                text x=(format!("{:.1}", x_of(i))) y=(format!("{:.1}", y - 4.0)) text-anchor="middle" { (p.shown) }
                text x=(format!("{:.1}", x_of(i))) y=(HEIGHT - 8.0) text-anchor="middle" { (p.label) }
            }
        }
    }
}

/// A pie with its legend: label, number and share of each slice.
pub fn pie(title: &str, slices: &[Point], share: impl Fn(f64) -> String) -> Markup {
    let total: i64 = slices.iter().map(|s| s.value.max(0)).sum();
    let (cx, cy, r) = (50.0_f64, 50.0_f64, 48.0_f64);
    let mut start = -std::f64::consts::FRAC_PI_2;
    let mut arcs = Vec::new();
    for (i, s) in slices.iter().enumerate() {
        let fraction = if total == 0 { 0.0 } else { s.value.max(0) as f64 / total as f64 };
        let end = start + fraction * std::f64::consts::TAU;
        let d = if fraction >= 0.9999 {
            None
        } else {
            let (x0, y0) = (cx + r * start.cos(), cy + r * start.sin());
            let (x1, y1) = (cx + r * end.cos(), cy + r * end.sin());
            let large = if end - start > std::f64::consts::PI { 1 } else { 0 };
            Some(format!("M{cx},{cy} L{x0:.2},{y0:.2} A{r},{r} 0 {large} 1 {x1:.2},{y1:.2} Z"))
        };
        arcs.push((i, d, fraction));
        start = end;
    }
    html! {
        div.pie-wrap {
            svg.chart viewBox="0 0 100 100" role="img" aria-label=(title) {
                @if total == 0 { circle cx=(cx) cy=(cy) r=(r) style="fill: var(--line)" {} }
                @for (i, d, fraction) in &arcs {
                    @let colour = format!("fill: var(--c{})", i % COLOURS + 1);
                    @let label = format!("{}: {} ({})", slices[*i].label, slices[*i].shown, share(fraction * 100.0));
                    @if *fraction > 0.0 {
                        @if let Some(d) = d {
                            path.slice d=(d) style=(colour) { title { (label) } }
                        } @else {
                            circle.slice cx=(cx) cy=(cy) r=(r) style=(colour) { title { (label) } }
                        }
                    }
                }
            }
            ul.legend {
                @for (i, _, fraction) in &arcs {
                    li {
                        span.swatch style=(format!("background: var(--c{})", i % COLOURS + 1)) {}
                        span { (slices[*i].label) }
                        span.value { (slices[*i].shown) " · " (share(fraction * 100.0)) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[i64]) -> Vec<Point> {
        values.iter().enumerate().map(|(i, &v)| Point { label: format!("d{i}"), value: v, shown: v.to_string() }).collect()
    }

    #[test]
    fn a_line_has_one_dot_per_point_with_its_number() {
        let svg = line("sales", &points(&[5, 0, 10]), "10").into_string();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<title>d2: 10</title>"));
        // The highest point touches the top margin, zero lies on the axis.
        assert!(svg.contains(&format!("cy=\"{:.1}\"", PAD_TOP)));
        assert!(svg.contains(&format!("cy=\"{:.1}\"", HEIGHT - PAD_BOTTOM)));
    }

    #[test]
    fn pie_slices_share_the_whole_circle() {
        let svg = pie("tiers", &points(&[1, 1, 2]), |p| format!("{p:.0}%")).into_string();
        assert_eq!(svg.matches("<path").count(), 3);
        assert!(svg.contains("d2: 2 (50%)"));
        let single = pie("one", &points(&[7]), |p| format!("{p:.0}%")).into_string();
        assert!(single.contains("<circle class=\"slice\""), "{single}");
        let empty = pie("none", &points(&[0, 0]), |p| format!("{p:.0}%")).into_string();
        assert!(!empty.contains("<path"));
    }
}

//! Report periods (SPEC G): a range of tenant-local days cut into buckets of a day, week, month or
//! year in the tenant's calendar (Jalali by default: weeks start on Saturday, months and years
//! are Solar Hijri).

use crate::calendar::{CalendarKind, parse_date};
use crate::issue::{Checker, Invalid, Issue};
use crate::points::{month_start, week_start, year_month};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The longest range a report covers.
pub const MAX_DAYS: i64 = 3653;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Day,
    Week,
    Month,
    Year,
}

impl Grouping {
    pub fn parse(text: &str) -> Result<Grouping, Issue> {
        match text.trim() {
            "day" => Ok(Grouping::Day),
            "week" => Ok(Grouping::Week),
            "month" => Ok(Grouping::Month),
            "year" => Ok(Grouping::Year),
            _ => Err(Issue::one_of(&["day", "week", "month", "year"])),
        }
    }
}

/// What a caller asks for; every part optional.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `7d`, `10d`, `14d`, `30d` (the last N days up to today), `month` or `year` (the current
    /// month or year of the tenant's calendar, up to today), or `custom` (with `from` and `to`).
    /// Default `30d`; `from`/`to` alone mean `custom`.
    pub period: Option<String>,
    /// First day (Gregorian `2024-03-20` or Jalali `1403/01/01`).
    pub from: Option<String>,
    /// Last day, included.
    pub to: Option<String>,
    /// `day`, `week`, `month` or `year`; default `day` up to 62 days, `month` beyond.
    pub group: Option<String>,
}

/// A checked range of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
    pub grouping: Grouping,
}

/// One bucket of a period: its first and last day (clipped to the period) and its label in the
/// tenant's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub label: String,
    pub from: String,
    pub to: String,
}

fn days_between(a: Date, b: Date) -> i64 {
    (b - a).get_days() as i64
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap_or(d)
}

impl PeriodQuery {
    pub fn parse(&self, today: Date, calendar: CalendarKind) -> Result<Period, Invalid> {
        let mut c = Checker::new();
        let from = self.from.as_deref().and_then(|t| c.check("from", parse_date(t)));
        let to = self.to.as_deref().and_then(|t| c.check("to", parse_date(t)));
        let kind = self.period.as_deref().unwrap_or(if self.from.is_some() || self.to.is_some() { "custom" } else { "30d" });
        let range = match kind.trim() {
            "7d" | "10d" | "14d" | "30d" => {
                let n: i64 = kind.trim().trim_end_matches('d').parse().expect("listed above");
                Some((add_days(today, 1 - n), today))
            }
            "month" => {
                let (y, m) = year_month(calendar, today);
                month_start(calendar, y, m, 0).map(|s| (s, today))
            }
            "year" => {
                let (y, _) = year_month(calendar, today);
                month_start(calendar, y, 1, 0).map(|s| (s, today))
            }
            "custom" => match (from, to) {
                (Some(f), Some(t)) => Some((f, t)),
                _ => {
                    if self.from.is_none() {
                        c.push(Issue::required().at("from"));
                    }
                    if self.to.is_none() {
                        c.push(Issue::required().at("to"));
                    }
                    None
                }
            },
            _ => {
                c.push(Issue::one_of(&["7d", "10d", "14d", "30d", "month", "year", "custom"]).at("period"));
                None
            }
        };
        let grouping = self.group.as_deref().and_then(|g| c.check("group", Grouping::parse(g)));
        if let Some((f, t)) = range {
            if f > t {
                c.push(Issue::new("from_after_to", "is after `to`", "تاریخ شروع بعد از تاریخ پایان است").at("from"));
            } else if days_between(f, t) + 1 > MAX_DAYS {
                c.push(Issue::new("range_too_long", "the range may cover at most 10 years", "بازه حداکثر ۱۰ سال است").at("to"));
            }
        }
        let range = range.unwrap_or((today, today));
        c.finish(|| {
            let grouping = grouping.unwrap_or(if days_between(range.0, range.1) < 62 { Grouping::Day } else { Grouping::Month });
            Period { from: range.0, to: range.1, grouping }
        })
    }
}

impl Period {
    pub fn days(&self) -> i64 {
        days_between(self.from, self.to) + 1
    }

    /// The first day of the bucket holding `day`.
    fn bucket_start(&self, day: Date, calendar: CalendarKind) -> Date {
        match self.grouping {
            Grouping::Day => day,
            Grouping::Week => match calendar {
                CalendarKind::Jalali => week_start(day),
                CalendarKind::Gregorian => add_days(day, -(day.weekday().to_monday_zero_offset() as i64)),
            },
            Grouping::Month => {
                let (y, m) = year_month(calendar, day);
                month_start(calendar, y, m, 0).unwrap_or(day)
            }
            Grouping::Year => {
                let (y, _) = year_month(calendar, day);
                month_start(calendar, y, 1, 0).unwrap_or(day)
            }
        }
    }

    fn label(&self, start: Date, calendar: CalendarKind) -> String {
        let full = calendar.format_date(start, false).replace('/', "-");
        match self.grouping {
            Grouping::Day | Grouping::Week => full,
            Grouping::Month => full[..7].to_string(),
            Grouping::Year => full[..4].to_string(),
        }
    }

    /// The buckets covering the period, in order; the first and last are clipped to it.
    pub fn buckets(&self, calendar: CalendarKind) -> Vec<Bucket> {
        let mut out = Vec::new();
        let mut start = self.bucket_start(self.from, calendar);
        while start <= self.to {
            let next = self.next_start(start, calendar);
            let last = add_days(next, -1).min(self.to);
            out.push(Bucket { label: self.label(start, calendar), from: start.max(self.from).to_string(), to: last.to_string() });
            start = next;
        }
        out
    }

    fn next_start(&self, start: Date, calendar: CalendarKind) -> Date {
        match self.grouping {
            Grouping::Day => add_days(start, 1),
            Grouping::Week => add_days(start, 7),
            Grouping::Month | Grouping::Year => {
                let (y, m) = year_month(calendar, start);
                let months = if self.grouping == Grouping::Month { 1 } else { 12 };
                month_start(calendar, y, m, months).unwrap_or(add_days(start, 28))
            }
        }
    }

    /// The equal-length period just before this one.
    pub fn previous(&self) -> Period {
        let n = self.days();
        Period { from: add_days(self.from, -n), to: add_days(self.from, -1), grouping: self.grouping }
    }
}

/// G7: what the campaign-effect report compares, as the API takes it: a date (or a campaign,
/// whose launch day the engine looks up) and the length of the windows before and after it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EffectQuery {
    /// The first day of the "after" window (`2026-12-01` or `1405/09/10`).
    pub date: Option<String>,
    /// Or a campaign's code: its launch day.
    pub campaign: Option<String>,
    /// Days in each window, 1–365 (default 14).
    pub days: Option<i64>,
}

/// The two equal windows around a day: the `days` before it, and `days` from it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectWindows {
    pub before: (Date, Date),
    pub after: (Date, Date),
}

impl EffectQuery {
    /// Checks the query; `Ok(None)` for the date means "the campaign's launch day", which only
    /// the engine knows.
    pub fn parse(&self) -> Result<(Option<Date>, i64), Invalid> {
        let mut c = Checker::new();
        let date = self.date.as_deref().and_then(|t| c.check("date", parse_date(t)));
        match (&self.date, &self.campaign) {
            (None, None) => c.push(Issue::required().at("date")),
            (Some(_), Some(_)) => {
                c.push(Issue::new("one_of_two", "give a date or a campaign, not both", "تاریخ یا کمپین، نه هر دو").at("campaign"))
            }
            _ => {}
        }
        let days = self.days.unwrap_or(14);
        if !(1..=365).contains(&days) {
            c.push(Issue::new("out_of_range", "must be between 1 and 365 days", "باید بین ۱ و ۳۶۵ روز باشد").at("days"));
        }
        c.finish(|| (date, days))
    }
}

/// The windows of `days` days before and from `at`.
pub fn effect_windows(at: Date, days: i64) -> EffectWindows {
    EffectWindows { before: (add_days(at, -days), add_days(at, -1)), after: (at, add_days(at, days - 1)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(period: Option<&str>, from: Option<&str>, to: Option<&str>, group: Option<&str>) -> PeriodQuery {
        PeriodQuery {
            period: period.map(Into::into),
            from: from.map(Into::into),
            to: to.map(Into::into),
            group: group.map(Into::into),
        }
    }

    fn today() -> Date {
        "2024-05-10".parse().unwrap()
    }

    #[test]
    fn named_periods_end_today() {
        let p = q(Some("7d"), None, None, None).parse(today(), CalendarKind::Jalali).unwrap();
        assert_eq!((p.from.to_string(), p.to.to_string(), p.days()), ("2024-05-04".into(), "2024-05-10".into(), 7));
        // 1403/02/21 is 2024-05-10: the Jalali month began on 1403/02/01 = 2024-04-20.
        let m = q(Some("month"), None, None, None).parse(today(), CalendarKind::Jalali).unwrap();
        assert_eq!(m.from.to_string(), "2024-04-20");
        let y = q(Some("year"), None, None, None).parse(today(), CalendarKind::Gregorian).unwrap();
        assert_eq!((y.from.to_string(), y.grouping), ("2024-01-01".into(), Grouping::Month));
    }

    #[test]
    fn jalali_months_and_saturday_weeks() {
        let p = q(None, Some("1403/01/20"), Some("1403/03/05"), Some("month")).parse(today(), CalendarKind::Jalali).unwrap();
        let b = p.buckets(CalendarKind::Jalali);
        assert_eq!(b.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(), ["1403-01", "1403-02", "1403-03"]);
        assert_eq!((b[0].from.as_str(), b[0].to.as_str()), ("2024-04-08", "2024-04-19"));
        let w = q(None, Some("2024-05-01"), Some("2024-05-10"), Some("week")).parse(today(), CalendarKind::Jalali).unwrap();
        let b = w.buckets(CalendarKind::Jalali);
        // 2024-05-04 is a Saturday.
        assert_eq!(b.iter().map(|b| b.from.as_str()).collect::<Vec<_>>(), ["2024-05-01", "2024-05-04"]);
        assert_eq!(b[1].to, "2024-05-10");
    }

    #[test]
    fn bad_periods_name_the_field() {
        let field = |r: Result<Period, Invalid>| r.unwrap_err().0[0].field.clone();
        assert_eq!(field(q(None, Some("2024-05-02"), Some("2024-05-01"), None).parse(today(), CalendarKind::Jalali)), "from");
        assert_eq!(field(q(None, Some("2010-01-01"), Some("2024-05-01"), None).parse(today(), CalendarKind::Jalali)), "to");
        assert_eq!(field(q(Some("7d"), None, None, Some("hour")).parse(today(), CalendarKind::Jalali)), "group");
        assert_eq!(field(q(Some("fortnight"), None, None, None).parse(today(), CalendarKind::Jalali)), "period");
        assert_eq!(field(q(Some("custom"), Some("2024-01-01"), None, None).parse(today(), CalendarKind::Jalali)), "to");
        let prev = q(Some("7d"), None, None, None).parse(today(), CalendarKind::Jalali).unwrap().previous();
        assert_eq!((prev.from.to_string(), prev.to.to_string()), ("2024-04-27".into(), "2024-05-03".into()));
    }

    #[test]
    fn effect_windows_are_equal_and_touch() {
        let q = EffectQuery { date: Some("1405/09/10".into()), campaign: None, days: Some(7) };
        let (date, days) = q.parse().unwrap();
        let w = effect_windows(date.unwrap(), days);
        assert_eq!(w.after.0, date.unwrap());
        assert_eq!(days_between(w.before.0, w.before.1) + 1, 7);
        assert_eq!(days_between(w.after.0, w.after.1) + 1, 7);
        assert_eq!(add_days(w.before.1, 1), w.after.0);
        let bad = EffectQuery { date: Some("2026-13-40".into()), campaign: Some("x".into()), days: Some(0) }.parse().unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["date", "campaign", "days"]);
        assert_eq!(EffectQuery::default().parse().unwrap_err().0[0].field, "date");
    }
}

//! What every page renders with: the reader's language, the tenant's calendar, zone and
//! currency, and the session's CSRF token; numbers, money and dates written for that reader.

use super::text::T;
use philia_domain::calendar::{CalendarKind, local_day};
use philia_domain::digits::{group_thousands, persian_digits};
use philia_domain::roles::{Access, StaffRole};
use philia_domain::staff_auth::Lang;
use philia_engine::staff_sessions::StaffSession;

#[derive(Debug, Clone)]
pub struct View {
    pub lang: Lang,
    pub calendar: CalendarKind,
    pub zone: jiff::tz::TimeZone,
    pub currency: String,
    pub csrf: String,
    /// Who is signed in, with their brand; `None` on the sign-in page.
    pub staff: Option<StaffLine>,
}

#[derive(Debug, Clone)]
pub struct StaffLine {
    pub name: String,
    pub role: StaffRole,
    pub tenant_name: String,
}

impl View {
    pub fn for_session(s: &StaffSession) -> View {
        View {
            lang: s.lang,
            calendar: s.ctx.calendar,
            zone: s.ctx.zone.clone(),
            currency: s.ctx.currency.clone(),
            csrf: s.csrf.clone(),
            staff: Some(StaffLine { name: s.name.clone(), role: s.role, tenant_name: s.ctx.name.clone() }),
        }
    }

    /// The sign-in page: no tenant yet, so the default calendar and zone.
    pub fn anonymous(lang: Lang, csrf: String) -> View {
        View {
            lang,
            calendar: CalendarKind::Jalali,
            zone: jiff::tz::TimeZone::get("Asia/Tehran").unwrap_or(jiff::tz::TimeZone::UTC),
            currency: "IRT".into(),
            csrf,
            staff: None,
        }
    }

    pub fn t(&self, key: T) -> &'static str {
        key.get(self.lang)
    }

    fn persian(&self) -> bool {
        self.lang == Lang::Fa
    }

    /// Digits in the reader's script.
    pub fn digits(&self, text: impl ToString) -> String {
        if self.persian() { persian_digits(&text.to_string()) } else { text.to_string() }
    }

    pub fn num(&self, n: i64) -> String {
        group_thousands(n, self.persian())
    }

    /// A stored mobile (`+98912…`) as Iranians write it (`0912…`), in the reader's digits.
    pub fn mobile(&self, stored: &str) -> String {
        match stored.strip_prefix("+98") {
            Some(rest) => self.digits(format!("0{rest}")),
            None => self.digits(stored),
        }
    }

    pub fn money(&self, amount: i64) -> String {
        let unit = match (self.currency.as_str(), self.lang) {
            ("IRT", Lang::Fa) => "تومان",
            ("IRT", Lang::En) => "toman",
            ("IRR", Lang::Fa) => "ریال",
            ("IRR", Lang::En) => "rial",
            (other, _) => other,
        };
        format!("{} {unit}", self.num(amount))
    }

    /// A number with at most one decimal, e.g. a percentage or a count of days.
    pub fn decimal(&self, x: f64) -> String {
        let text = if (x - x.round()).abs() < 0.05 { format!("{}", x.round() as i64) } else { format!("{x:.1}") };
        if self.persian() { persian_digits(&text).replace('.', "٫") } else { text }
    }

    pub fn percent(&self, x: f64) -> String {
        if self.persian() { format!("{}٪", self.decimal(x)) } else { format!("{}%", self.decimal(x)) }
    }

    /// A day in the tenant's calendar (`1403/01/15`, or `2024-04-03`).
    pub fn day(&self, day: jiff::civil::Date) -> String {
        self.calendar.format_date(day, self.persian())
    }

    /// A stored instant (RFC 3339) as a day in the tenant's zone and calendar.
    pub fn date(&self, instant: &str) -> String {
        match instant.parse::<jiff::Timestamp>() {
            Ok(ts) => self.day(local_day(ts, &self.zone)),
            Err(_) => self.digits(instant),
        }
    }

    /// A stored instant as day and time of day.
    pub fn date_time(&self, instant: &str) -> String {
        match instant.parse::<jiff::Timestamp>() {
            Ok(ts) => {
                let local = ts.to_zoned(self.zone.clone());
                let time = format!("{:02}:{:02}", local.hour(), local.minute());
                format!("{} {}", self.day(local.date()), self.digits(time))
            }
            Err(_) => self.digits(instant),
        }
    }

    /// A plain day given as `YYYY-MM-DD` (birthdays, report buckets).
    pub fn civil(&self, text: &str) -> String {
        match text.parse::<jiff::civil::Date>() {
            Ok(d) => self.day(d),
            Err(_) => self.digits(text),
        }
    }

    pub fn may(&self, needed: Access) -> bool {
        self.staff.as_ref().is_some_and(|s| s.role.allows(needed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_numbers_money_and_dates_for_each_reader() {
        let mut v = View::anonymous(Lang::Fa, String::new());
        assert_eq!(v.money(1_250_000), "۱٬۲۵۰٬۰۰۰ تومان");
        assert_eq!(v.percent(12.34), "۱۲٫۳٪");
        assert_eq!(v.date("2024-03-20T12:00:00Z"), "۱۴۰۳/۰۱/۰۱");
        assert_eq!(v.mobile("+989121234567"), "۰۹۱۲۱۲۳۴۵۶۷");
        v.lang = Lang::En;
        v.calendar = CalendarKind::Gregorian;
        assert_eq!(v.money(1_250_000), "1,250,000 toman");
        assert_eq!(v.percent(50.0), "50%");
        assert_eq!(v.date_time("2024-03-20T12:00:00Z"), "2024-03-20 15:30");
    }
}

//! Time as people write it. Instants are UTC ([`jiff::Timestamp`]); a tenant sees them in its own
//! time zone and calendar. Input may be ISO 8601 (with or without an offset; without one it is
//! read in the tenant's zone) or Solar Hijri (Jalali) such as `1403/01/15 14:30`.

use crate::digits::{ascii_digits, persian_digits};
use crate::issue::Issue;
use icu_calendar::Date;
use icu_calendar::cal::{Iso, Persian};
use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;

fn invalid_datetime() -> Issue {
    Issue::new(
        "invalid_datetime",
        "is not a valid date and time (ISO 8601 such as 2024-04-03T14:30:00+03:30, or Jalali such as 1403/01/15 14:30)",
        "تاریخ و زمان معتبر نیست (مثلاً ۱۴۰۳/۰۱/۱۵ ۱۴:۳۰)",
    )
}

fn invalid_date() -> Issue {
    Issue::new("invalid_date", "is not a valid date (2024-04-03 or Jalali 1403/01/15)", "تاریخ معتبر نیست (مثلاً ۱۴۰۳/۰۱/۱۵)")
}

/// Converts a Solar Hijri date to the Gregorian civil date.
pub fn jalali_to_gregorian(year: i32, month: u8, day: u8) -> Option<civil::Date> {
    let persian = Date::try_new_persian(year, month, day).ok()?;
    // icu clamps nothing here: a day beyond the month's length is refused above.
    let iso = persian.to_calendar(Iso);
    civil::Date::new(iso.year().extended_year().try_into().ok()?, iso.month().ordinal as i8, iso.day_of_month().0 as i8).ok()
}

/// Converts a Gregorian civil date to Solar Hijri (year, month, day).
pub fn gregorian_to_jalali(date: civil::Date) -> (i32, u8, u8) {
    let iso =
        Date::try_new_iso(date.year() as i32, date.month() as u8, date.day() as u8).expect("a jiff date is a valid ISO date");
    let persian = iso.to_calendar(Persian::new());
    (persian.year().extended_year(), persian.month().ordinal, persian.day_of_month().0)
}

/// Parses a calendar date: `2024-04-03`, `2024/04/03`, or Jalali `1403/01/15` / `1403-01-15`
/// (a year below 1700 is read as Solar Hijri).
pub fn parse_date(input: &str) -> Result<civil::Date, Issue> {
    let text = ascii_digits(input.trim());
    if text.is_empty() {
        return Err(Issue::required());
    }
    let parts: Vec<&str> = text.split(['-', '/']).collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(invalid_date());
    };
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return Err(invalid_date());
    };
    if year < 1700 {
        jalali_to_gregorian(year, month, day).ok_or_else(invalid_date)
    } else {
        civil::Date::new(year.try_into().map_err(|_| invalid_date())?, month as i8, day as i8).map_err(|_| invalid_date())
    }
}

fn parse_clock(text: &str) -> Option<civil::Time> {
    let parts: Vec<&str> = text.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (h, m, "0"),
        [h, m, s] => (h, m, *s),
        _ => return None,
    };
    let seconds: f64 = s.parse().ok()?;
    civil::Time::new(h.parse().ok()?, m.parse().ok()?, seconds.trunc() as i8, 0).ok()
}

/// Parses an instant. Accepts RFC 3339 / ISO 8601 with `Z` or an offset; a civil date-time or a
/// date alone (read in `zone`); and Jalali dates with an optional `HH:MM[:SS]`.
pub fn parse_instant(input: &str, zone: &TimeZone) -> Result<Timestamp, Issue> {
    let text = ascii_digits(input.trim());
    if text.is_empty() {
        return Err(Issue::required());
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let (date_part, time_part) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text.as_str(), None),
    };
    let date = parse_date(date_part).map_err(|_| invalid_datetime())?;
    let time = match time_part {
        None | Some("") => civil::Time::midnight(),
        Some(t) => parse_clock(t).ok_or_else(invalid_datetime)?,
    };
    date.to_datetime(time).to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|_| invalid_datetime())
}

/// Parses an IANA time zone name such as `Asia/Tehran`.
pub fn parse_time_zone(input: &str) -> Result<TimeZone, Issue> {
    TimeZone::get(input.trim()).map_err(|_| {
        Issue::new("invalid_time_zone", "is not a known IANA time zone such as Asia/Tehran", "منطقه زمانی شناخته‌شده نیست")
    })
}

/// The tenant-local calendar day (Gregorian `YYYY-MM-DD`) an instant falls on: the key of every
/// per-day statistic.
pub fn local_day(ts: Timestamp, zone: &TimeZone) -> civil::Date {
    ts.to_zoned(zone.clone()).date()
}

/// Milliseconds since the Unix epoch: how instants are stored.
pub fn to_millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Which calendar a tenant shows dates in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarKind {
    Jalali,
    Gregorian,
}

impl CalendarKind {
    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().as_str() {
            "jalali" | "persian" | "solar_hijri" | "shamsi" => Ok(Self::Jalali),
            "gregorian" | "iso" => Ok(Self::Gregorian),
            _ => Err(Issue::one_of(&["jalali", "gregorian"])),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jalali => "jalali",
            Self::Gregorian => "gregorian",
        }
    }

    /// Formats a civil date in this calendar, `1403/01/15` or `2024-04-03`; Persian digits on request.
    pub fn format_date(self, date: civil::Date, persian: bool) -> String {
        let text = match self {
            Self::Jalali => {
                let (y, m, d) = gregorian_to_jalali(date);
                format!("{y:04}/{m:02}/{d:02}")
            }
            Self::Gregorian => date.to_string(),
        };
        if persian { persian_digits(&text) } else { text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tehran() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    #[test]
    fn nowruz_and_leap_esfand() {
        // Nowruz 1403 was 20 March 2024; 1403 is a leap year, so 30 Esfand 1403 exists (20 March 2025).
        assert_eq!(jalali_to_gregorian(1403, 1, 1).unwrap(), civil::date(2024, 3, 20));
        assert_eq!(jalali_to_gregorian(1403, 12, 30).unwrap(), civil::date(2025, 3, 20));
        assert_eq!(jalali_to_gregorian(1404, 1, 1).unwrap(), civil::date(2025, 3, 21));
        // 1402 is not a leap year: 30 Esfand 1402 does not exist.
        assert!(jalali_to_gregorian(1402, 12, 30).is_none());
        // Yalda night, 30 Azar 1402 = 21 December 2023.
        assert_eq!(jalali_to_gregorian(1402, 9, 30).unwrap(), civil::date(2023, 12, 21));
        assert_eq!(gregorian_to_jalali(civil::date(2024, 3, 20)), (1403, 1, 1));
    }

    #[test]
    fn instants_in_every_accepted_writing() {
        let z = tehran();
        let expected: Timestamp = "2024-04-03T11:00:00Z".parse().unwrap();
        for input in [
            "2024-04-03T11:00:00Z",
            "2024-04-03T14:30:00+03:30",
            "2024-04-03T14:30",
            "2024-04-03 14:30",
            "1403/01/15 14:30",
            "۱۴۰۳/۰۱/۱۵ ۱۴:۳۰",
            "1403-01-15T14:30:00",
        ] {
            assert_eq!(parse_instant(input, &z).unwrap(), expected, "{input}");
        }
        assert_eq!(parse_instant("1403/01/15", &z).unwrap(), "2024-04-02T20:30:00Z".parse::<Timestamp>().unwrap());
        for bad in ["", "yesterday", "1403/13/01", "2024-02-30", "2024-04-03 25:00"] {
            assert!(parse_instant(bad, &z).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_day_follows_the_zone() {
        let ts: Timestamp = "2024-04-02T21:00:00Z".parse().unwrap();
        assert_eq!(local_day(ts, &tehran()), civil::date(2024, 4, 3));
        assert_eq!(local_day(ts, &TimeZone::UTC), civil::date(2024, 4, 2));
    }

    #[test]
    fn formats_in_the_tenant_calendar() {
        let d = civil::date(2024, 4, 3);
        assert_eq!(CalendarKind::Jalali.format_date(d, false), "1403/01/15");
        assert_eq!(CalendarKind::Jalali.format_date(d, true), "۱۴۰۳/۰۱/۱۵");
        assert_eq!(CalendarKind::Gregorian.format_date(d, false), "2024-04-03");
    }

    proptest! {
        #[test]
        fn jalali_round_trips(days in 0i32..60_000) {
            let date = civil::date(1950, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let (y, m, d) = gregorian_to_jalali(date);
            prop_assert_eq!(jalali_to_gregorian(y, m, d), Some(date));
        }
    }
}

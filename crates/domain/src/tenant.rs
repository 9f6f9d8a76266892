//! Tenants (brands): each has its own slug, currency, time zone and calendar.

use crate::calendar::{CalendarKind, parse_time_zone};
use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::plans::Plan;

/// A URL-safe tenant name: lower-case letters, digits and dashes, 2–40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Self, Issue> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(Issue::required());
        }
        let ok = (2..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Slug(s))
        } else {
            Err(Issue::new(
                "invalid_slug",
                "must be 2–40 characters of a–z, 0–9 and dashes",
                "باید ۲ تا ۴۰ نویسه از حروف انگلیسی کوچک، رقم و خط تیره باشد",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 4217 currency code; IRT (toman) is the default, IRR (rial) is common.
pub fn parse_currency(input: &str) -> Result<String, Issue> {
    let c = input.trim().to_uppercase();
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(Issue::new("invalid_currency", "must be a three-letter currency code such as IRT or IRR", "کد ارز سه‌حرفی معتبر نیست"))
    }
}

/// A validated request to create a tenant, with defaults filled in.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: Slug,
    pub name: String,
    pub currency: String,
    pub time_zone: String,
    pub calendar: CalendarKind,
    /// Prime unless said otherwise: a tenant the operator makes is set up by hand; self-serve
    /// sign-ups start on Economic.
    pub plan: Plan,
}

impl NewTenant {
    pub fn parse(
        slug: &str,
        name: &str,
        currency: Option<&str>,
        time_zone: Option<&str>,
        calendar: Option<&str>,
    ) -> Result<Self, Invalid> {
        let mut c = Checker::new();
        let slug = c.check("slug", Slug::parse(slug));
        let name = c.check("name", required_text(Some(name), 120));
        let currency = c.check("currency", parse_currency(currency.unwrap_or("IRT")));
        let time_zone = time_zone.unwrap_or("Asia/Tehran").trim().to_string();
        c.check("time_zone", parse_time_zone(&time_zone));
        let calendar = c.check("calendar", CalendarKind::parse(calendar.unwrap_or("jalali")));
        c.finish(|| NewTenant {
            slug: slug.unwrap(),
            name: name.unwrap(),
            currency: currency.unwrap(),
            time_zone,
            calendar: calendar.unwrap(),
            plan: Plan::Prime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_iranian() {
        let t = NewTenant::parse("cafe-roya", "کافه رویا", None, None, None).unwrap();
        assert_eq!((t.currency.as_str(), t.time_zone.as_str(), t.calendar), ("IRT", "Asia/Tehran", CalendarKind::Jalali));
    }

    #[test]
    fn names_every_bad_field() {
        let err = NewTenant::parse("A", "", Some("toman"), Some("Mars/Base"), Some("lunar")).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["slug", "name", "currency", "time_zone", "calendar"]);
    }
}

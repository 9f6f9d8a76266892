//! The customer club: how one-time sign-in codes are limited, how long a customer's session
//! lives, and the brand a tenant gives its club (name, logo, colours, font, layout).

use crate::issue::{Checker, Invalid, Issue};
use serde::{Deserialize, Serialize};

/// A sign-in code is good for five minutes…
pub const CODE_TTL_MS: i64 = 5 * 60_000;
/// …and for five guesses; after that a new code must be asked for.
pub const CODE_MAX_ATTEMPTS: i64 = 5;
/// Digits in a sign-in code.
pub const CODE_DIGITS: usize = 6;

/// A customer stays signed in on their phone for 90 days of use, at most a year.
pub const CLUB_SESSION_IDLE_MS: i64 = 90 * 86_400_000;
pub const CLUB_SESSION_MAX_MS: i64 = 365 * 86_400_000;
/// How often the last-seen time of a session is written.
pub const CLUB_SESSION_TOUCH_MS: i64 = 10 * 60_000;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// How many codes may be sent: to one number at most one a minute and five an hour; from one
/// network address at most twenty an hour (across numbers and brands), so nobody can use the
/// club to flood a phone or run up a brand's SMS bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLimits {
    pub number_gap_ms: i64,
    pub number_per_hour: usize,
    pub address_per_hour: usize,
}

impl Default for CodeLimits {
    fn default() -> Self {
        CodeLimits { number_gap_ms: MINUTE, number_per_hour: 5, address_per_hour: 20 }
    }
}

impl CodeLimits {
    /// Whether another code may be sent now, given the send times of the last hour to the number
    /// and from the address; when not, how many seconds to wait.
    pub fn wait_secs(&self, to_number: &[i64], from_address: &[i64], now: i64) -> Option<i64> {
        let in_hour = |times: &[i64]| {
            let mut t: Vec<i64> = times.iter().copied().filter(|t| now - t < HOUR).collect();
            t.sort_unstable();
            t
        };
        let number = in_hour(to_number);
        let address = in_hour(from_address);
        let mut until = now;
        if let Some(last) = number.last() {
            until = until.max(last + self.number_gap_ms);
        }
        if number.len() >= self.number_per_hour {
            until = until.max(number[number.len() - self.number_per_hour] + HOUR);
        }
        if address.len() >= self.address_per_hour {
            until = until.max(address[address.len() - self.address_per_hour] + HOUR);
        }
        (until > now).then(|| (until - now + 999) / 1000)
    }
}

/// What a code someone typed looks like after cleaning: six ASCII digits (Persian or Arabic
/// digits and spaces are accepted).
pub fn clean_code(input: &str) -> Option<String> {
    let digits: String = crate::digits::ascii_digits(input).chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The look of a tenant's club.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Branding {
    /// The club's name as customers see it (default: the brand's name).
    pub club_name: Option<String>,
    /// Address of the logo image (https, or a path on this server).
    pub logo_url: Option<String>,
    /// Main colour, `#rrggbb`.
    pub primary_colour: String,
    /// Second colour (buttons, progress), `#rrggbb`.
    pub accent_colour: String,
    /// `system`, `vazirmatn`, `sahel` or `serif`: the font families asked for, with the
    /// system's fonts behind them.
    pub font: String,
    /// `cards` (tiles) or `list` (rows) on the home page.
    pub layout: String,
    /// A host name of the brand's own that serves the club (e.g. `club.example.com`).
    pub custom_domain: Option<String>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            club_name: None,
            logo_url: None,
            primary_colour: "#5b3cc4".into(),
            accent_colour: "#e8a317".into(),
            font: "system".into(),
            layout: "cards".into(),
            custom_domain: None,
        }
    }
}

/// The branding form as sent: every field optional, missing ones keep their defaults.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingInput {
    pub club_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_colour: Option<String>,
    pub accent_colour: Option<String>,
    pub font: Option<String>,
    pub layout: Option<String>,
    pub custom_domain: Option<String>,
}

pub const FONTS: [&str; 4] = ["system", "vazirmatn", "sahel", "serif"];
pub const LAYOUTS: [&str; 2] = ["cards", "list"];

fn colour(input: &str) -> Result<String, Issue> {
    let c = input.trim().to_lowercase();
    let hex = c.strip_prefix('#').unwrap_or(&c);
    if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(format!("#{hex}"))
    } else {
        Err(Issue::new("invalid_colour", "must be a colour like #5b3cc4", "باید رنگی مانند ‎#5b3cc4 باشد"))
    }
}

fn logo(input: &str) -> Result<String, Issue> {
    let url = input.trim();
    let allowed = url.starts_with("https://") || (url.starts_with('/') && !url.starts_with("//"));
    if !allowed || url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c == '"' || c == '\'') {
        return Err(Issue::new(
            "invalid_url",
            "must be an https:// address or a path on this server",
            "باید نشانی https:// یا مسیری روی همین سرور باشد",
        ));
    }
    Ok(url.to_string())
}

fn host(input: &str) -> Result<String, Issue> {
    let h = input.trim().trim_end_matches('.').to_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if h.len() <= 253 && h.contains('.') && h.split('.').all(label_ok) {
        Ok(h)
    } else {
        Err(Issue::new(
            "invalid_host",
            "must be a host name like club.example.com",
            "باید نام دامنه‌ای مانند club.example.com باشد",
        ))
    }
}

fn one_of(input: &str, allowed: &[&str]) -> Result<String, Issue> {
    let v = input.trim().to_lowercase();
    if allowed.contains(&v.as_str()) { Ok(v) } else { Err(Issue::one_of(allowed)) }
}

impl BrandingInput {
    pub fn parse(&self) -> Result<Branding, Invalid> {
        let mut errors = Checker::new();
        let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let defaults = Branding::default();
        let club_name = blank(&self.club_name);
        if club_name.as_ref().is_some_and(|n| n.chars().count() > 80) {
            errors.push(Issue::too_long(80).at("club_name"));
        }
        let logo_url = blank(&self.logo_url).and_then(|u| errors.check("logo_url", logo(&u)));
        let primary_colour =
            blank(&self.primary_colour).map_or(Some(defaults.primary_colour), |c| errors.check("primary_colour", colour(&c)));
        let accent_colour =
            blank(&self.accent_colour).map_or(Some(defaults.accent_colour), |c| errors.check("accent_colour", colour(&c)));
        let font = blank(&self.font).map_or(Some(defaults.font), |f| errors.check("font", one_of(&f, &FONTS)));
        let layout = blank(&self.layout).map_or(Some(defaults.layout), |l| errors.check("layout", one_of(&l, &LAYOUTS)));
        let custom_domain = blank(&self.custom_domain).and_then(|h| errors.check("custom_domain", host(&h)));
        errors.finish(|| Branding {
            club_name,
            logo_url,
            primary_colour: primary_colour.unwrap_or_default(),
            accent_colour: accent_colour.unwrap_or_default(),
            font: font.unwrap_or_default(),
            layout: layout.unwrap_or_default(),
            custom_domain,
        })
    }
}

impl Branding {
    /// The CSS font stack of the chosen font, always ending in fonts every phone has.
    pub fn font_stack(&self) -> &'static str {
        match self.font.as_str() {
            "vazirmatn" => "Vazirmatn, Vazir, Tahoma, system-ui, sans-serif",
            "sahel" => "Sahel, Vazirmatn, Tahoma, system-ui, sans-serif",
            "serif" => "'Noto Naskh Arabic', 'Times New Roman', serif",
            _ => "system-ui, -apple-system, 'Segoe UI', Tahoma, sans-serif",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_code_a_minute_and_five_an_hour_per_number() {
        let l = CodeLimits::default();
        let now = 10 * HOUR;
        assert_eq!(l.wait_secs(&[], &[], now), None);
        assert_eq!(l.wait_secs(&[now - 20_000], &[], now), Some(40));
        assert_eq!(l.wait_secs(&[now - 61_000], &[], now), None);
        let five: Vec<i64> = (1..=5).map(|i| now - i * 5 * MINUTE).collect();
        // The oldest of the five was 25 minutes ago: 35 minutes to wait.
        assert_eq!(l.wait_secs(&five, &[], now), Some(35 * 60));
        // Sends older than an hour do not count.
        let old: Vec<i64> = (1..=9).map(|i| now - HOUR - i * MINUTE).collect();
        assert_eq!(l.wait_secs(&old, &[], now), None);
    }

    #[test]
    fn twenty_codes_an_hour_per_address() {
        let l = CodeLimits::default();
        let now = 10 * HOUR;
        let sends: Vec<i64> = (0..20).map(|i| now - 50 * MINUTE + i * 1000).collect();
        assert_eq!(l.wait_secs(&[], &sends, now), Some(10 * 60));
        assert_eq!(l.wait_secs(&[], &sends[1..], now), None);
    }

    #[test]
    fn codes_are_six_digits_in_any_script() {
        assert_eq!(clean_code(" ۱۲۳ ۴۵۶ ").as_deref(), Some("123456"));
        assert_eq!(clean_code("١٢٣٤٥٦").as_deref(), Some("123456"));
        assert_eq!(clean_code("12345"), None);
        assert_eq!(clean_code("12345a"), None);
    }

    #[test]
    fn branding_names_each_bad_field() {
        let input = BrandingInput {
            primary_colour: Some("purple".into()),
            logo_url: Some("javascript:alert(1)".into()),
            font: Some("comic".into()),
            custom_domain: Some("not a host".into()),
            ..Default::default()
        };
        let err = input.parse().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["logo_url", "primary_colour", "font", "custom_domain"]);
    }

    #[test]
    fn branding_defaults_and_normalises() {
        let input = BrandingInput {
            club_name: Some(" باشگاه رویا ".into()),
            primary_colour: Some("#AABBCC".into()),
            accent_colour: Some("112233".into()),
            custom_domain: Some("Club.Roya.example.".into()),
            logo_url: Some("/static/logo.png".into()),
            ..Default::default()
        };
        let b = input.parse().unwrap();
        assert_eq!(b.club_name.as_deref(), Some("باشگاه رویا"));
        assert_eq!(b.primary_colour, "#aabbcc");
        assert_eq!(b.accent_colour, "#112233");
        assert_eq!(b.custom_domain.as_deref(), Some("club.roya.example"));
        assert_eq!(b.font, "system");
        assert_eq!(b.layout, "cards");
    }
}

//! Staff sign-in rules: the language a staff member reads the panel in, how long a session
//! lives, and when repeated wrong passwords lock an address.

use crate::issue::Issue;

/// The language of the admin panel (and of a customer's club), Persian by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fa,
    En,
}

impl Lang {
    pub const NAMES: [&'static str; 2] = ["fa", "en"];

    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().as_str() {
            "fa" | "fa-ir" | "persian" => Ok(Self::Fa),
            "en" | "en-us" | "en-gb" | "english" => Ok(Self::En),
            _ => Err(Issue::one_of(&Self::NAMES)),
        }
    }

    /// Reads a stored value; anything unknown is the default.
    pub fn or_default(input: &str) -> Self {
        Self::parse(input).unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fa => "fa",
            Self::En => "en",
        }
    }

    pub fn is_rtl(self) -> bool {
        self == Self::Fa
    }
}

/// A session ends after this long without a request…
pub const SESSION_IDLE_MS: i64 = 12 * 3_600_000;
/// …and in any case this long after sign-in.
pub const SESSION_MAX_MS: i64 = 7 * 86_400_000;
/// A session's last-seen time is written at most this often (reads stay reads).
pub const SESSION_TOUCH_MS: i64 = 5 * 60_000;

/// Wrong passwords allowed for one address within [`FAILURE_WINDOW_MS`]…
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MS: i64 = 15 * 60_000;
/// …before it is locked for this long (even the right password is refused meanwhile).
pub const LOCK_MS: i64 = 15 * 60_000;

/// Wrong passwords recorded for one email address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub window_start: i64,
    pub locked_until: Option<i64>,
}

impl Failures {
    /// When the address is locked at `now`, the time the lock ends.
    pub fn locked_at(state: Option<Failures>, now: i64) -> Option<i64> {
        state.and_then(|f| f.locked_until).filter(|&until| until > now)
    }

    /// The state after one more wrong password at `now`.
    pub fn after_failure(state: Option<Failures>, now: i64) -> Failures {
        let fresh = Failures { count: 1, window_start: now, locked_until: None };
        let next = match state {
            Some(f) if now - f.window_start < FAILURE_WINDOW_MS && Self::locked_at(state, now).is_none() => {
                Failures { count: f.count + 1, ..f }
            }
            _ => fresh,
        };
        if next.count >= MAX_FAILURES { Failures { locked_until: Some(now + LOCK_MS), ..next } } else { next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_and_default_to_persian() {
        assert_eq!(Lang::parse("EN").unwrap(), Lang::En);
        assert_eq!(Lang::or_default("de"), Lang::Fa);
        assert!(Lang::parse("de").is_err());
        assert!(Lang::Fa.is_rtl() && !Lang::En.is_rtl());
    }

    #[test]
    fn five_failures_within_the_window_lock_the_address() {
        let mut state = None;
        for i in 0..MAX_FAILURES - 1 {
            state = Some(Failures::after_failure(state, i * 1000));
            assert_eq!(Failures::locked_at(state, i * 1000), None);
        }
        let now = 10_000;
        state = Some(Failures::after_failure(state, now));
        assert_eq!(Failures::locked_at(state, now), Some(now + LOCK_MS));
        assert_eq!(Failures::locked_at(state, now + LOCK_MS), None, "the lock ends");
        let after = Failures::after_failure(state, now + LOCK_MS + 1);
        assert_eq!(after.count, 1, "a wrong password after the lock starts a new count");
    }

    #[test]
    fn failures_spread_beyond_the_window_never_lock() {
        let mut state = None;
        for i in 0..20 {
            state = Some(Failures::after_failure(state, i * (FAILURE_WINDOW_MS / 2)));
            assert_eq!(Failures::locked_at(state, i * (FAILURE_WINDOW_MS / 2)), None, "failure {i}");
        }
    }
}

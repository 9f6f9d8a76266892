//! Mobile numbers. Iranian numbers arrive as `0912…`, `+98912…`, `0098912…`, `98912…`, `912…`,
//! in Persian or Arabic digits, with spaces, dashes, dots or parentheses; all become the E.164
//! form `+989121234567`. Numbers of other countries are accepted in international form only.

use crate::digits::ascii_digits;
use crate::issue::Issue;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

fn invalid() -> Issue {
    Issue::new(
        "invalid_mobile",
        "is not a valid mobile number (e.g. 09121234567 or +989121234567)",
        "شماره موبایل معتبر نیست (مثلاً ۰۹۱۲۱۲۳۴۵۶۷)",
    )
}

impl Mobile {
    pub fn parse(input: &str) -> Result<Self, Issue> {
        let cleaned: String = ascii_digits(input)
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{200c}' | '\u{a0}' | '\t' | '_'))
            .collect();
        if cleaned.is_empty() {
            return Err(Issue::required());
        }
        let (international, digits) = if let Some(rest) = cleaned.strip_prefix('+') {
            (true, rest)
        } else if let Some(rest) = cleaned.strip_prefix("00") {
            (true, rest)
        } else {
            (false, cleaned.as_str())
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let national = if international {
            match digits.strip_prefix("98") {
                // "+98 0912…" is a common way of writing it; the trunk zero is dropped.
                Some(rest) => rest.strip_prefix('0').unwrap_or(rest),
                None if (8..=15).contains(&digits.len()) && !digits.starts_with('0') => {
                    return Ok(Mobile(format!("+{digits}")));
                }
                None => return Err(invalid()),
            }
        } else if digits.len() == 12 && digits.starts_with("989") {
            &digits[2..]
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else {
            digits
        };
        if national.len() == 10 && national.starts_with('9') { Ok(Mobile(format!("+98{national}"))) } else { Err(invalid()) }
    }

    /// The canonical E.164 form, e.g. `+989121234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form people in Iran write: `09121234567`; foreign numbers stay international.
    pub fn national(&self) -> String {
        match self.0.strip_prefix("+98") {
            Some(rest) => format!("0{rest}"),
            None => self.0.clone(),
        }
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Mobile {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Mobile::parse(&value).map_err(|e| e.message)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_common_form_is_one_number() {
        for input in [
            "09121234567",
            "+989121234567",
            "00989121234567",
            "989121234567",
            "9121234567",
            "۰۹۱۲۱۲۳۴۵۶۷",
            "٠٩١٢١٢٣٤٥٦٧",
            "0912 123 4567",
            "0912-123-4567",
            "+98 (912) 123-4567",
            "+98 0912 123 4567",
        ] {
            assert_eq!(Mobile::parse(input).unwrap().as_str(), "+989121234567", "{input}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_mobile() {
        for input in ["", "abc", "0212345678", "091212345", "091212345678", "+98212345678", "12", "0912x234567"] {
            assert!(Mobile::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn keeps_foreign_numbers_in_international_form() {
        assert_eq!(Mobile::parse("+44 7911 123456").unwrap().as_str(), "+447911123456");
        assert_eq!(Mobile::parse("0044 7911 123456").unwrap().as_str(), "+447911123456");
    }

    proptest! {
        #[test]
        fn national_form_round_trips(n in 9_000_000_000u64..10_000_000_000u64) {
            let canonical = Mobile::parse(&format!("0{n}")).unwrap();
            prop_assert_eq!(Mobile::parse(&canonical.national()).unwrap(), canonical.clone());
            prop_assert_eq!(Mobile::parse(canonical.as_str()).unwrap(), canonical);
        }
    }
}

//! Email addresses, normalised to lower case with surrounding space removed.

use crate::issue::Issue;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

fn invalid() -> Issue {
    Issue::new("invalid_email", "is not a valid email address", "نشانی ایمیل معتبر نیست")
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, Issue> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(Issue::required());
        }
        if value.len() > 254 {
            return Err(Issue::too_long(254));
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok { Ok(Email(value)) } else { Err(invalid()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value).map_err(|e| e.message)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(Email::parse("  Sara.Ahmadi@Example.COM ").unwrap().as_str(), "sara.ahmadi@example.com");
    }

    #[test]
    fn refuses_malformed() {
        for input in ["", "a", "a@", "@b.com", "a@b", "a b@c.com", "a@@b.com", "a@b..com", ".a@b.com", "a@-b.com"] {
            assert!(Email::parse(input).is_err(), "{input}");
        }
    }
}

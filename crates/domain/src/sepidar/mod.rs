//! Sepidar (SPEC H2): the accounting system's e-commerce web service, read for customers, items
//! and the current fiscal year's invoices. Sepidar keeps no modification time, so a record is
//! news when its content differs from what was last applied ([`record_digest`]); an invoice that
//! was counted and no longer appears in the year's list was revoked.

mod records;

pub use records::{InvoiceWithItems, ItemName, SepidarCustomer, SepidarInvoice, SepidarItem};

use crate::issue::{Checker, Invalid, Issue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where and as whom to read a Sepidar service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SepidarAccess {
    /// e.g. `http://192.168.1.5:7373`.
    pub server_url: String,
    /// The device's serial (registration code): its first four digits are the integration id.
    pub device_serial: String,
    pub username: String,
    pub password: String,
}

/// A device serial: 8 or 16 characters whose first four are the integration id (1000–9999).
pub fn parse_device_serial(input: &str) -> Result<String, Issue> {
    let s = input.trim();
    let id_ok = s.get(..4).and_then(|p| p.parse::<u16>().ok()).is_some_and(|n| (1000..=9999).contains(&n));
    if id_ok && (s.len() == 8 || s.len() == 16) && s.is_ascii() {
        Ok(s.to_string())
    } else {
        Err(Issue::new(
            "invalid_device_serial",
            "must be the device's 8- or 16-character serial starting with its four-digit integration id",
            "سریال دستگاه سپیدار معتبر نیست",
        ))
    }
}

impl SepidarAccess {
    /// Reads the settings as typed: every one is needed.
    pub fn parse(
        server_url: Option<&str>,
        device_serial: Option<&str>,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<SepidarAccess, Invalid> {
        let mut c = Checker::new();
        let given = |c: &mut Checker, field: &str, v: Option<&str>| -> Option<String> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => Some(s.to_string()),
                None => {
                    c.push(Issue::required().at(field));
                    None
                }
            }
        };
        let url =
            given(&mut c, "store_url", server_url).and_then(|u| c.check("store_url", crate::connections::parse_store_url(&u)));
        let serial =
            given(&mut c, "device_serial", device_serial).and_then(|s| c.check("device_serial", parse_device_serial(&s)));
        let username = given(&mut c, "username", username);
        let password = given(&mut c, "password", password);
        c.finish(|| SepidarAccess {
            server_url: url.unwrap(),
            device_serial: serial.unwrap(),
            username: username.unwrap(),
            password: password.unwrap(),
        })
    }
}

/// The content digest of a record as Sepidar sent it: the same record read twice gives the same
/// digest, a changed one another.
pub fn record_digest(record: &serde_json::Value) -> String {
    let text = serde_json::to_string(record).expect("a JSON value serialises");
    Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The source name of a Sepidar connection's records.
pub fn source_of(connection_code: &str) -> String {
    format!("sepidar-{connection_code}")
}

/// Which counted invoices were revoked: held ones missing from the year's list, among ids at
/// or above the list's smallest (ids only grow, so lower ones belong to an earlier fiscal year
/// the list no longer covers). Nothing is revoked when the list is empty.
pub fn revoked<'a>(held: impl IntoIterator<Item = &'a str>, listed: &std::collections::HashSet<i64>) -> Vec<String> {
    let Some(first) = listed.iter().min() else { return Vec::new() };
    held.into_iter()
        .filter(|id| id.parse::<i64>().is_ok_and(|n| n >= *first && !listed.contains(&n)))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_carry_the_integration_id() {
        assert_eq!(parse_device_serial(" 10051234 ").unwrap(), "10051234");
        assert!(parse_device_serial("1005123410051234").is_ok());
        for bad in ["0999abcd", "1005123", "abcd1234", "100512345"] {
            assert!(parse_device_serial(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn access_names_every_missing_or_bad_setting() {
        let err = SepidarAccess::parse(Some("ftp://x"), Some("12"), None, Some("p")).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["store_url", "device_serial", "username"]);
        let ok = SepidarAccess::parse(Some("http://10.0.0.5:7373/"), Some("10051234"), Some("u"), Some("p")).unwrap();
        assert_eq!(ok.server_url, "http://10.0.0.5:7373");
    }

    #[test]
    fn only_missing_invoices_of_this_year_are_revoked() {
        let listed: std::collections::HashSet<i64> = [10, 11, 13].into();
        let held = ["3", "10", "12", "13", "14", "x"];
        assert_eq!(revoked(held, &listed), ["12", "14"]);
        assert!(revoked(held, &Default::default()).is_empty());
    }

    #[test]
    fn digests_follow_content() {
        let a = serde_json::json!({"InvoiceID": 1, "NetPrice": 10.0});
        let b = serde_json::json!({"InvoiceID": 1, "NetPrice": 11.0});
        assert_eq!(record_digest(&a), record_digest(&a.clone()));
        assert_ne!(record_digest(&a), record_digest(&b));
    }
}

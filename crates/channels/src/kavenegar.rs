//! Kavenegar (kavenegar.com): `POST {base}/v1/{key}/sms/send.json` and `verify/lookup.json`,
//! form-encoded; every answer is JSON with `return.status` (200 on success, else an error code)
//! and `entries` (a list for send, one object or a list for lookup).

use crate::{Accepted, Delivery, Secret, SendError, SmsMessage, by_status, national_form, unreachable};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Kavenegar {
    pub api_key: Secret,
    /// The sender line, e.g. `10004346`; absent: the account's default line.
    pub sender: Option<String>,
    /// Default `https://api.kavenegar.com`.
    pub base_url: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "return")]
    result: Return,
    #[serde(default)]
    entries: Entries,
}

#[derive(Deserialize)]
struct Return {
    status: i64,
    message: String,
}

/// Lookup answers carry one object where send answers carry a list; both occur.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Entries {
    Many(Vec<Entry>),
    One(Entry),
    #[default]
    None,
}

#[derive(Deserialize)]
struct Entry {
    messageid: i64,
    #[serde(default)]
    status: i64,
    #[serde(default)]
    statustext: String,
    #[serde(default)]
    cost: Option<i64>,
}

impl Entries {
    fn first(self) -> Option<Entry> {
        match self {
            Entries::Many(v) => v.into_iter().next(),
            Entries::One(e) => Some(e),
            Entries::None => None,
        }
    }

    fn all(self) -> Vec<Entry> {
        match self {
            Entries::Many(v) => v,
            Entries::One(e) => vec![e],
            Entries::None => Vec::new(),
        }
    }
}

/// Kavenegar's error codes, sorted (the list is in its API documentation).
fn classify(code: i64, message: &str) -> SendError {
    let text = format!("kavenegar {code}: {message}");
    match code {
        411 => SendError::BadRecipient(text),
        // Account disabled, bad key, unknown sender line, IP not allowed, no credit, template
        // missing, advanced service needed, line needs permission, test-only account.
        401 | 403 | 412 | 416 | 418 | 424 | 426 | 427 | 501 => SendError::Misconfigured(text),
        // Server busy, IP throttled, too many calls.
        409 | 429 | 451 => SendError::Unavailable(text),
        _ => SendError::Refused(text),
    }
}

impl Kavenegar {
    /// The address requests go to.
    pub(crate) fn base(&self) -> &str {
        self.base_url.as_deref().unwrap_or("https://api.kavenegar.com")
    }

    fn url(&self, method: &str) -> String {
        let base = self.base().trim_end_matches('/');
        format!("{base}/v1/{}/{method}.json", self.api_key.expose())
    }

    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.api_key.is_empty() {
            out.push(("api_key", "is required".to_string()));
        }
        out
    }

    async fn call(&self, http: &reqwest::Client, method: &str, form: &[(&str, &str)]) -> Result<Answer, SendError> {
        let res = http.post(self.url(method)).form(form).send().await.map_err(unreachable)?;
        let status = res.status();
        let body = res.text().await.map_err(unreachable)?;
        let answer: Answer = match serde_json::from_str(&body) {
            Ok(a) => a,
            // Never echo the URL: it carries the key.
            Err(_) => return Err(by_status(status, &body)),
        };
        if answer.result.status != 200 {
            return Err(classify(answer.result.status, &answer.result.message));
        }
        Ok(answer)
    }

    pub(crate) async fn send(&self, http: &reqwest::Client, m: &SmsMessage) -> Result<Accepted, SendError> {
        let receptor = national_form(&m.to);
        let answer = match &m.lookup {
            Some(lookup) => {
                let mut form = vec![("receptor", receptor.as_str()), ("template", lookup.template.as_str())];
                for (name, token) in ["token", "token2", "token3"].into_iter().zip(&lookup.tokens) {
                    form.push((name, token.as_str()));
                }
                self.call(http, "verify/lookup", &form).await?
            }
            None => {
                let mut form = vec![("receptor", receptor.as_str()), ("message", m.text.as_str())];
                if let Some(sender) = &self.sender {
                    form.push(("sender", sender));
                }
                self.call(http, "sms/send", &form).await?
            }
        };
        let entry = answer.entries.first();
        Ok(Accepted { provider_id: entry.as_ref().map(|e| e.messageid.to_string()), cost: entry.and_then(|e| e.cost) })
    }

    /// `sms/status.json`: 1, 2, 4, 5 on the way; 10 delivered; 6, 11, 13, 14, 100 not delivered.
    pub(crate) async fn status(&self, http: &reqwest::Client, ids: &[String]) -> Result<Vec<(String, Delivery)>, SendError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let joined = ids.join(",");
        let answer = self.call(http, "sms/status", &[("messageid", joined.as_str())]).await?;
        Ok(answer
            .entries
            .all()
            .into_iter()
            .map(|e| {
                let delivery = match e.status {
                    10 => Delivery::Delivered,
                    6 | 11 | 13 | 14 | 100 => Delivery::Failed(format!("kavenegar {}: {}", e.status, e.statustext)),
                    _ => Delivery::Pending,
                };
                (e.messageid.to_string(), delivery)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_shapes_of_entries() {
        let send: Answer = serde_json::from_str(include_str!("../tests/fixtures/kavenegar/sms_send_response.json")).unwrap();
        assert_eq!(send.result.status, 200);
        assert_eq!(send.entries.first().map(|e| (e.messageid, e.cost)), Some((8792343, Some(120))));
        let lookup: Answer =
            serde_json::from_str(include_str!("../tests/fixtures/kavenegar/verify_lookup_response.json")).unwrap();
        assert_eq!(lookup.entries.first().map(|e| e.status), Some(5));
    }

    #[test]
    fn sorts_error_codes() {
        assert!(matches!(classify(411, "x"), SendError::BadRecipient(_)));
        assert!(matches!(classify(418, "x"), SendError::Misconfigured(_)));
        assert!(matches!(classify(451, "x"), SendError::Unavailable(_)));
        assert!(matches!(classify(413, "x"), SendError::Refused(_)));
    }
}

//! Mailgun: `POST {base}/v3/{domain}/messages`, form-encoded, basic auth `api:KEY`; the answer is
//! `{"id": "<…>", "message": "Queued. Thank you."}`.

use crate::{Accepted, EmailMessage, Secret, SendError, by_status, unreachable};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mailgun {
    pub domain: String,
    pub api_key: Secret,
    /// The sender, e.g. `Café Lale <club@example.com>`.
    pub from: String,
    /// Default `https://api.mailgun.net` (`https://api.eu.mailgun.net` for the EU region).
    pub base_url: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    id: Option<String>,
    #[serde(default)]
    message: String,
}

impl Mailgun {
    /// The address requests go to.
    pub(crate) fn base(&self) -> &str {
        self.base_url.as_deref().unwrap_or("https://api.mailgun.net")
    }

    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.domain.trim().is_empty() {
            out.push(("domain", "is required".to_string()));
        }
        if self.api_key.is_empty() {
            out.push(("api_key", "is required".to_string()));
        }
        if !self.from.contains('@') {
            out.push(("from", "must be an email address".to_string()));
        }
        out
    }

    pub(crate) async fn send(&self, http: &reqwest::Client, m: &EmailMessage) -> Result<Accepted, SendError> {
        let base = self.base().trim_end_matches('/');
        let mut form =
            vec![("from", self.from.as_str()), ("to", m.to.as_str()), ("subject", m.subject.as_str()), ("text", m.text.as_str())];
        if let Some(html) = &m.html {
            form.push(("html", html));
        }
        let res = http
            .post(format!("{base}/v3/{}/messages", self.domain))
            .basic_auth("api", Some(self.api_key.expose()))
            .form(&form)
            .send()
            .await
            .map_err(unreachable)?;
        let status = res.status();
        let text = res.text().await.map_err(unreachable)?;
        let answer = serde_json::from_str::<Answer>(&text).ok();
        if status.is_success() {
            return Ok(Accepted { provider_id: answer.and_then(|a| a.id), cost: None });
        }
        let message = answer.map(|a| a.message).unwrap_or(text);
        // Mailgun answers 400 with a message naming the parameter when an address is unusable.
        if status.as_u16() == 400 && message.contains("'to'") {
            return Err(SendError::BadRecipient(format!("mailgun: {message}")));
        }
        Err(by_status(status, &message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_answer() {
        let a: Answer = serde_json::from_str(include_str!("../tests/fixtures/mailgun/send_response.json")).unwrap();
        assert_eq!(a.id.as_deref(), Some("<20111114174239.25659.5817@samples.mailgun.org>"));
        assert_eq!(a.message, "Queued. Thank you.");
    }
}

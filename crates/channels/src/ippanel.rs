//! IPPanel Edge (also sold as FarazSMS): `POST {base}/api/send` with JSON and the API key in the
//! `Authorization` header. Answers carry `meta.status` (true or false), `meta.message_code` such
//! as `200-1` or `400-1`, and on success `data.message_outbox_ids`.

use crate::{Accepted, Secret, SendError, SmsMessage, by_status, unreachable};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ippanel {
    pub api_key: Secret,
    /// The sender line in international form, e.g. `+983000505`.
    pub from_number: String,
    /// Default `https://edge.ippanel.com/v1`.
    pub base_url: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    data: Option<serde_json::Value>,
    meta: Meta,
}

#[derive(Deserialize)]
struct Meta {
    status: bool,
    #[serde(default)]
    message: String,
    #[serde(default)]
    message_code: String,
    #[serde(default)]
    errors: serde_json::Value,
}

impl Ippanel {
    /// The address requests go to.
    pub(crate) fn base(&self) -> &str {
        self.base_url.as_deref().unwrap_or("https://edge.ippanel.com/v1")
    }

    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.api_key.is_empty() {
            out.push(("api_key", "is required".to_string()));
        }
        if !self.from_number.starts_with('+') || self.from_number.len() < 5 {
            out.push(("from_number", "must be the sender line in international form, e.g. +983000505".to_string()));
        }
        out
    }

    pub(crate) async fn send(&self, http: &reqwest::Client, m: &SmsMessage) -> Result<Accepted, SendError> {
        let body = match &m.lookup {
            Some(lookup) => json!({
                "sending_type": "pattern",
                "from_number": self.from_number,
                "code": lookup.template,
                "recipients": [m.to],
                "params": lookup.tokens.first().map(|t| json!({"code": t})).unwrap_or(json!({})),
            }),
            None => json!({
                "sending_type": "webservice",
                "from_number": self.from_number,
                "message": m.text,
                "params": {"recipients": [m.to]},
            }),
        };
        let base = self.base().trim_end_matches('/');
        let res = http
            .post(format!("{base}/api/send"))
            .header("Authorization", self.api_key.expose())
            .json(&body)
            .send()
            .await
            .map_err(unreachable)?;
        let status = res.status();
        let text = res.text().await.map_err(unreachable)?;
        let Ok(answer) = serde_json::from_str::<Answer>(&text) else {
            return Err(by_status(status, &text));
        };
        if !answer.meta.status {
            let detail = format!("ippanel {} ({}): {}", answer.meta.message_code, status.as_u16(), answer.meta.message);
            return Err(match status.as_u16() {
                401 | 403 => SendError::Misconfigured(detail),
                429 => SendError::Unavailable(detail),
                s if s >= 500 => SendError::Unavailable(detail),
                // A validation failure about the recipients means the number is unusable.
                _ if answer.meta.errors.get("recipients").is_some() => SendError::BadRecipient(detail),
                _ => SendError::Refused(detail),
            });
        }
        let id = answer.data.as_ref().and_then(|d| d.get("message_outbox_ids")).and_then(|ids| ids.get(0)).map(|id| match id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        Ok(Accepted { provider_id: id, cost: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_answers() {
        let ok: Answer = serde_json::from_str(include_str!("../tests/fixtures/ippanel/edge_send_success_response.json")).unwrap();
        assert!(ok.meta.status);
        assert_eq!(ok.data.unwrap()["message_outbox_ids"][0], 1123544244);
        let bad: Answer = serde_json::from_str(include_str!("../tests/fixtures/ippanel/edge_error_422_response.json")).unwrap();
        assert!(!bad.meta.status);
        assert_eq!(bad.meta.message_code, "400-2");
    }
}

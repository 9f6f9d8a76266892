//! Any HTTP SMS panel: the URL, method, body format and fields are settings, with placeholders
//! `{to}`, `{text}`, `{from}` and `{api_key}` filled per message. A 2xx answer means accepted; the
//! message id is read from the JSON answer when a pointer to it is set.

use crate::{Accepted, Secret, SendError, SmsMessage, by_status, national_form, unreachable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HttpSmsFormat {
    /// `application/x-www-form-urlencoded` body.
    Form,
    /// JSON object body (values are strings).
    Json,
    /// Fields in the query string (with GET or POST).
    Query,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpSms {
    pub url: String,
    /// `POST` (default) or `GET`.
    pub method: Option<String>,
    pub format: HttpSmsFormat,
    /// Field name → value with placeholders, e.g. `{"receptor": "{to}", "message": "{text}"}`.
    pub fields: BTreeMap<String, String>,
    /// Extra headers, e.g. `{"Authorization": "Bearer …"}`; their values are secret.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Filled in for `{api_key}`.
    pub api_key: Option<Secret>,
    /// Filled in for `{from}`.
    pub sender: Option<String>,
    /// `{to}` as `+98912…` (`international`, the default) or `0912…` (`national`).
    pub number_form: Option<String>,
    /// JSON pointer to the message id in the answer, e.g. `/data/id`.
    pub id_pointer: Option<String>,
}

impl HttpSms {
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            out.push(("url", "must start with http:// or https://".to_string()));
        }
        if let Some(m) = &self.method
            && !matches!(m.as_str(), "GET" | "POST")
        {
            out.push(("method", "must be GET or POST".to_string()));
        }
        if !self.fields.values().any(|v| v.contains("{text}")) && !self.url.contains("{text}") {
            out.push(("fields", "must place {text} somewhere".to_string()));
        }
        if !self.fields.values().any(|v| v.contains("{to}")) && !self.url.contains("{to}") {
            out.push(("fields", "must place {to} somewhere".to_string()));
        }
        if let Some(form) = &self.number_form
            && !matches!(form.as_str(), "international" | "national")
        {
            out.push(("number_form", "must be international or national".to_string()));
        }
        out
    }

    fn fill(&self, template: &str, to: &str, text: &str) -> String {
        template
            .replace("{api_key}", self.api_key.as_ref().map(Secret::expose).unwrap_or(""))
            .replace("{from}", self.sender.as_deref().unwrap_or(""))
            .replace("{to}", to)
            // Last, so a message that contains a placeholder's name is sent as written.
            .replace("{text}", text)
    }

    pub(crate) async fn send(&self, http: &reqwest::Client, m: &SmsMessage) -> Result<Accepted, SendError> {
        let to = if self.number_form.as_deref() == Some("national") { national_form(&m.to) } else { m.to.clone() };
        let fields: Vec<(String, String)> = self.fields.iter().map(|(k, v)| (k.clone(), self.fill(v, &to, &m.text))).collect();
        let url = {
            let encode = |s: &str| serde_urlencoded::to_string([("", s)]).unwrap_or_default().trim_start_matches('=').to_string();
            self.url
                .replace("{api_key}", &encode(self.api_key.as_ref().map(Secret::expose).unwrap_or("")))
                .replace("{from}", &encode(self.sender.as_deref().unwrap_or("")))
                .replace("{to}", &encode(&to))
                .replace("{text}", &encode(&m.text))
        };
        let mut req = if self.method.as_deref() == Some("GET") { http.get(&url) } else { http.post(&url) };
        for (name, value) in &self.headers {
            req = req.header(name, value.expose());
        }
        req = match self.format {
            HttpSmsFormat::Form => req.form(&fields),
            HttpSmsFormat::Json => req.json(&fields.into_iter().collect::<BTreeMap<_, _>>()),
            HttpSmsFormat::Query => req.query(&fields),
        };
        let res = req.send().await.map_err(unreachable)?;
        let status = res.status();
        let text = res.text().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(by_status(status, &text));
        }
        let provider_id = self.id_pointer.as_deref().and_then(|p| {
            let answer: serde_json::Value = serde_json::from_str(&text).ok()?;
            match answer.pointer(p)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        });
        Ok(Accepted { provider_id, cost: None })
    }
}

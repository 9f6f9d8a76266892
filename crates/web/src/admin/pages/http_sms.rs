//! The settings of any HTTP SMS panel on the messaging page: address, method, body format, the
//! fields with their placeholders, secret headers, the number's form and where the message id is
//! in the answer. Shown only while "Any HTTP panel" is the chosen provider (CSS, no script).

use super::messaging::{optional, select};
use crate::admin::forms::FormState;
use crate::admin::layout::field;
use crate::admin::text::T;
use crate::admin::view::View;
use maud::{Markup, html};
use philia_domain::Issue;
use philia_engine::EngineError;
use philia_engine::messaging::ChannelView;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// What the form posts for an HTTP panel (beside the key and sender every provider has).
#[derive(Deserialize, Default)]
pub struct HttpSmsForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    format: String,
    /// One `name=value` per line.
    #[serde(default)]
    fields: String,
    /// One `Name: value` per line; secret, never shown back.
    #[serde(default)]
    headers: String,
    #[serde(default)]
    number_form: String,
    #[serde(default)]
    id_pointer: String,
}

impl HttpSmsForm {
    /// The values to show again when the form is refused (headers are secret).
    pub fn typed(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("url", &self.url),
            ("method", &self.method),
            ("format", &self.format),
            ("fields", &self.fields),
            ("headers", ""),
            ("number_form", &self.number_form),
            ("id_pointer", &self.id_pointer),
        ]
    }
}

/// Lines of `name{sep}value`; empty lines are skipped, a line without the separator is refused
/// with its number.
fn pairs(text: &str, sep: char, field: &str) -> Result<BTreeMap<String, String>, EngineError> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match line.split_once(sep) {
            Some((name, value)) if !name.trim().is_empty() => {
                out.insert(name.trim().to_string(), value.trim().to_string());
            }
            _ => {
                return Err(EngineError::field(
                    Issue::new(
                        "invalid_line",
                        format!("line {} must be written as name{sep}value", n + 1),
                        format!("سطر {} باید به شکل نام{sep}مقدار باشد", n + 1),
                    )
                    .at(field),
                ));
            }
        }
    }
    Ok(out)
}

/// The provider's settings from the form, in the form the channel settings take.
pub fn settings(f: &HttpSmsForm, api_key: &str, sender: &str) -> Result<serde_json::Value, EngineError> {
    let fields = pairs(&f.fields, '=', "fields")?;
    let headers = pairs(&f.headers, ':', "headers")?;
    let format = if f.format.is_empty() { "form" } else { f.format.as_str() };
    Ok(json!({
        "provider": "http", "url": f.url.trim(), "method": optional(&f.method), "format": format,
        "fields": fields, "headers": headers, "api_key": optional(api_key), "sender": optional(sender),
        "number_form": optional(&f.number_form), "id_pointer": optional(&f.id_pointer),
    }))
}

/// The HTTP panel's own fields: what was typed, else what is stored (`stored` is the tenant's
/// own HTTP provider, if that is the one saved).
pub fn fields(v: &View, form: &FormState, stored: Option<&ChannelView>) -> Markup {
    let kept = |key: &str| -> String {
        match form.value(key) {
            "" => stored.and_then(|c| c.settings.get(key)).and_then(|x| x.as_str()).unwrap_or("").to_string(),
            typed => typed.to_string(),
        }
    };
    let kept_fields = match form.value("fields") {
        "" => stored
            .and_then(|c| c.settings.get("fields"))
            .and_then(|f| f.as_object())
            .map(|m| m.iter().map(|(k, x)| format!("{k}={}", x.as_str().unwrap_or(""))).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default(),
        typed => typed.to_string(),
    };
    let header_names: Vec<String> = stored
        .and_then(|c| c.settings.get("header_names"))
        .and_then(|h| h.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let area = |name: &str, label: &str, rows: u8, text: &str, placeholder: &str| {
        let error = form.error(name);
        html! {
            div.field.invalid[error.is_some()] {
                label for=(format!("f-{name}")) { (label) }
                textarea id=(format!("f-{name}")) name=(name) rows=(rows) dir="ltr" placeholder=(placeholder) { (text) }
                @if let Some(e) = error { p.error role="alert" { (e) } }
            }
        }
    };
    html! {
        fieldset.http-panel {
            legend { (v.t(T::AnyHttpPanel)) }
            (field(v.t(T::Address), "url", "url", &kept("url"), form.error("url")))
            div.inline {
                (select(v.t(T::Method), "method", &[("POST", "POST"), ("GET", "GET")], &kept("method")))
                (select(v.t(T::BodyFormat), "format", &[("form", "form"), ("json", "JSON"), ("query", "query")], &kept("format")))
            }
            (area("fields", v.t(T::RequestFields), 4, &kept_fields, "receptor={to}\nmessage={text}\nsender={from}"))
            p.muted { small { (v.t(T::HttpPlaceholders)) } }
            (area("headers", v.t(T::SecretHeaders), 2, "", "Authorization: Bearer …"))
            @if !header_names.is_empty() {
                p.muted { small { (v.t(T::HeadersKept)) ": " @for (i, h) in header_names.iter().enumerate() { @if i > 0 { ", " } code { (h) } } } }
            }
            (select(v.t(T::NumberForm), "number_form", &[("international", "+98912…"), ("national", "0912…")], &kept("number_form")))
            (field(v.t(T::IdPointer), "id_pointer", "text", &kept("id_pointer"), form.error("id_pointer")))
        }
    }
}

//! A form sent back to its page: what was typed, and each field's error in the reader's language.

use super::failure::PanelError;
use super::view::View;
use philia_domain::Issue;
use philia_domain::digits::ascii_digits;
use philia_domain::staff_auth::Lang;
use philia_engine::EngineError;
use serde::Deserialize;
use std::collections::HashMap;

/// `?saved=1`: the page was reached right after a save, and says so.
#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

impl SavedQuery {
    pub fn is_saved(&self) -> bool {
        self.saved.is_some()
    }
}

#[derive(Debug, Default, Clone)]
pub struct FormState {
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    /// An error that belongs to no one field.
    pub general: Option<String>,
}

impl FormState {
    /// The form as typed, with the errors of a refused save placed by field.
    pub fn refused(view: &View, values: &[(&str, &str)], error: EngineError) -> FormState {
        let mut state =
            FormState { values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..FormState::default() };
        let fa = view.lang == Lang::Fa;
        match error {
            EngineError::Invalid(invalid) => {
                for f in invalid.0 {
                    // A field the form has by its whole path (`tiers[1].threshold`) takes its own error;
                    // otherwise a nested path (`rule.all[0].field`) belongs to the field it starts with.
                    let first = f.field.split(['.', '[']).next().unwrap_or(&f.field).to_string();
                    let name = if state.values.contains_key(&f.field) { f.field.clone() } else { first };
                    let text = if fa { f.message_fa } else { f.message };
                    if state.values.contains_key(&name) {
                        state.errors.entry(name).or_insert(text);
                    } else {
                        state.general.get_or_insert(format!("{}: {text}", f.field));
                    }
                }
            }
            other => {
                state.general = Some(PanelError::from(other).message(view.lang).to_string());
            }
        }
        state
    }

    /// A form filled with stored values and no errors (an edit page's first view).
    pub fn filled(values: &[(&str, &str)]) -> FormState {
        FormState { values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..FormState::default() }
    }

    /// The form as typed, without errors yet.
    pub fn typed(values: &[(&str, &str)]) -> FormState {
        FormState { values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..FormState::default() }
    }

    pub fn with_general(mut self, text: &str) -> FormState {
        self.general = Some(text.to_string());
        self
    }

    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }
}

/// A whole number typed in either script, with thousands separators allowed; empty is `None`.
pub fn number(text: &str, field: &str) -> Result<Option<i64>, EngineError> {
    let clean = ascii_digits(text.trim()).replace([',', '٬'], "");
    if clean.is_empty() {
        return Ok(None);
    }
    clean
        .parse::<i64>()
        .map(Some)
        .map_err(|_| EngineError::field(Issue::new("not_a_number", "must be a whole number", "باید عدد صحیح باشد").at(field)))
}

/// A count (0 or more, at most `u32::MAX`) typed in either script; empty is `None`.
pub fn count(text: &str, field: &str) -> Result<Option<u32>, EngineError> {
    match number(text, field)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| EngineError::field(Issue::new("out_of_range", "must be 0 or more", "باید صفر یا بیشتر باشد").at(field))),
    }
}

/// A decimal typed in either script; empty is `None`.
pub fn decimal(text: &str, field: &str) -> Result<Option<f64>, EngineError> {
    let clean = ascii_digits(text.trim()).replace('٫', ".");
    if clean.is_empty() {
        return Ok(None);
    }
    clean
        .parse::<f64>()
        .map(Some)
        .map_err(|_| EngineError::field(Issue::new("not_a_number", "must be a number", "باید عدد باشد").at(field)))
}

/// A value the form must have: absent, it is refused as required on `field`.
pub fn required<V>(value: Option<V>, field: &str) -> Result<V, EngineError> {
    value.ok_or_else(|| EngineError::field(Issue::required().at(field)))
}

/// A rule as the condition builder writes it (JSON); text that is not JSON is refused on `field`.
pub fn rule_json(text: &str, field: &str) -> Result<serde_json::Value, EngineError> {
    serde_json::from_str(text)
        .map_err(|_| EngineError::field(Issue::new("not_json", "is not a valid rule", "شرط‌ها خوانا نیستند").at(field)))
}

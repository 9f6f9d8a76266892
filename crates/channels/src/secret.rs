//! A secret setting (an API key, a password): kept in memory as given, never printed.

use serde::{Deserialize, Serialize};

/// A value that `Debug` never shows. It serialises as its value, for the encrypted store only;
/// anything shown to people goes through [`redact`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl utoipa::PartialSchema for Secret {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        String::schema()
    }
}

impl utoipa::ToSchema for Secret {}

/// Replaces every secret of serialised settings: keys and passwords by whether they are set,
/// HTTP headers by their names.
pub(crate) fn redact(v: &mut serde_json::Value) {
    let serde_json::Value::Object(map) = v else { return };
    for field in ["api_key", "password", "private_key"] {
        if let Some(value) = map.remove(field) {
            let set = value.as_str().is_some_and(|s| !s.is_empty());
            map.insert(format!("{field}_set"), set.into());
        }
    }
    if let Some(serde_json::Value::Object(headers)) = map.remove("headers") {
        map.insert("header_names".into(), headers.keys().cloned().collect::<Vec<_>>().into());
    }
}

//! Validation outcomes. A parser reports an [`Issue`] (what is wrong); the caller that knows where
//! the value came from turns it into a [`FieldError`] (which field, row or column).

use serde::Serialize;

/// What is wrong with one value, in English and Persian, with a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub code: &'static str,
    pub message: String,
    pub message_fa: String,
}

impl Issue {
    pub fn new(code: &'static str, message: impl Into<String>, message_fa: impl Into<String>) -> Self {
        Self { code, message: message.into(), message_fa: message_fa.into() }
    }

    pub fn required() -> Self {
        Self::new("required", "is required", "الزامی است")
    }

    pub fn too_long(max: usize) -> Self {
        Self::new("too_long", format!("must be at most {max} characters"), format!("حداکثر {max} نویسه مجاز است"))
    }

    pub fn negative() -> Self {
        Self::new("negative", "must not be negative", "نباید منفی باشد")
    }

    pub fn one_of(allowed: &[&str]) -> Self {
        let list = allowed.join(", ");
        Self::new("not_allowed", format!("must be one of: {list}"), format!("باید یکی از این‌ها باشد: {list}"))
    }

    /// Attaches the field path this issue belongs to.
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), code: self.code.to_string(), message: self.message, message_fa: self.message_fa }
    }
}

/// A validation failure tied to a field path such as `lines[2].quantity` or `row 7, mobile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
    pub message_fa: String,
}

impl FieldError {
    /// Prefixes the path, e.g. `quantity` inside item 3 becomes `invoices[3].quantity`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() { prefix.to_string() } else { format!("{prefix}.{}", self.field) };
        self
    }
}

/// One or more field errors: the input was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct Invalid(pub Vec<FieldError>);

impl From<FieldError> for Invalid {
    fn from(e: FieldError) -> Self {
        Invalid(vec![e])
    }
}

/// Collects field errors while a whole input is checked, so the caller hears of every problem at once.
#[derive(Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result` (if any) under `field` and gives back the value.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Issue>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(issue) => {
                self.errors.push(issue.at(field));
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    pub fn extend(&mut self, prefix: &str, invalid: Invalid) {
        self.errors.extend(invalid.0.into_iter().map(|e| e.within(prefix)));
    }

    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Invalid> {
        if self.errors.is_empty() { Ok(value()) } else { Err(Invalid(self.errors)) }
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Trims a free-text field, refusing it above `max` characters; empty text means absent.
pub fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, Issue> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(Issue::too_long(max)),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// Like [`optional_text`] but the value must be present.
pub fn required_text(value: Option<&str>, max: usize) -> Result<String, Issue> {
    optional_text(value, max)?.ok_or_else(Issue::required)
}

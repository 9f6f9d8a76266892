use philia_domain::{FieldError, Invalid};
use philia_store::StoreError;

/// Every way a use case can fail. The web layer maps each to one HTTP status in one place.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String, message_fa: String },
    #[error("missing or invalid API key")]
    Unauthenticated,
    #[error("this key's role may not do this")]
    Forbidden,
    /// A concurrent writer claimed a key this transaction needed; the caller tries again.
    #[error("lost a race to a concurrent writer")]
    Race,
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Io(String),
}

impl From<StoreError> for EngineError {
    /// A deadlock or serialization failure is a lost race: the transaction runs again.
    fn from(e: StoreError) -> Self {
        if e.is_transient() { EngineError::Race } else { EngineError::Store(e) }
    }
}

impl EngineError {
    /// A refusal the domain explained (a rule said no): 409 with its code and messages.
    pub fn refused(issue: philia_domain::Issue) -> Self {
        EngineError::Conflict { code: issue.code, message: issue.message, message_fa: issue.message_fa }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>, message_fa: impl Into<String>) -> Self {
        EngineError::Conflict { code, message: message.into(), message_fa: message_fa.into() }
    }

    pub fn field(error: FieldError) -> Self {
        EngineError::Invalid(Invalid(vec![error]))
    }

    /// Prefixes the field paths of a validation error (`point_type` → `metric.point_type`).
    pub fn within_field(self, prefix: &str) -> Self {
        match self {
            EngineError::Invalid(Invalid(errors)) => {
                EngineError::Invalid(Invalid(errors.into_iter().map(|e| e.within(prefix)).collect()))
            }
            other => other,
        }
    }
}

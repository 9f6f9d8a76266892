#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("unsupported database url {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the transaction lost to a concurrent one and may simply run again (PostgreSQL
    /// deadlock or serialization failure).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("40P01" | "40001")))
    }

    /// Whether the error is a unique-key violation (a concurrent writer got there first).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

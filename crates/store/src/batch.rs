//! Writes sent together. Each statement handed to SQLite through sqlx travels to the
//! connection's worker thread and back; inside the one write transaction those round trips, not
//! SQLite, are most of the time the writer lock is held (a redemption's writes took ~60 µs each
//! on two busy cores while SQLite spent ~10 µs on them). A batch of writes whose results are not
//! read is one multi-statement call on SQLite, in order, and plain statements in order on
//! PostgreSQL.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Backend, Conn, Store};

/// Statements written in the query set both databases share (`$n` placeholders, or the anonymous
/// ones of [`bulk::insert_statements`] on SQLite), run in the order they were added.
pub struct Batch {
    sqlite: bool,
    statements: Vec<(String, Vec<Val>)>,
}

impl Store {
    /// An empty batch for this store's database.
    pub fn batch(&self) -> Batch {
        Batch { sqlite: self.backend() == Backend::Sqlite, statements: Vec::new() }
    }
}

impl Batch {
    pub fn push(&mut self, sql: impl Into<String>, values: Vec<Val>) {
        self.statements.push((sql.into(), values));
    }

    /// A multi-row insert (see [`bulk::insert`]); nothing when `rows` is empty.
    pub fn insert(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Val>>, suffix: &str) {
        self.statements.extend(bulk::insert_statements(self.sqlite, table, columns, rows, suffix));
    }

    /// Runs every statement; returns the rows they changed together.
    pub async fn run(self, conn: &mut Conn) -> Result<u64> {
        if !self.sqlite || self.statements.len() <= 1 {
            let mut changed = 0;
            for (sql, values) in self.statements {
                changed += bulk::query(sql, values).execute(&mut *conn).await?.rows_affected();
            }
            return Ok(changed);
        }
        // SQLite numbers `$n` across the whole text, so each statement's own `$n` become anonymous
        // placeholders, which sqlx binds in order across the statements.
        let mut text = String::with_capacity(self.statements.iter().map(|(sql, _)| sql.len() + 2).sum());
        let mut all = Vec::with_capacity(self.statements.iter().map(|(_, values)| values.len()).sum());
        for (sql, values) in self.statements {
            let (sql, values) = if sql.contains('$') { bulk::in_text_order(&sql, &values) } else { (sql, values) };
            text.push_str(&sql);
            text.push_str(";\n");
            all.extend(values);
        }
        Ok(bulk::query(text, all).execute(&mut *conn).await?.rows_affected())
    }
}

//! Multi-row statements: one round trip per few hundred rows instead of one per row.

use crate::Result;
use crate::db::Conn;
use sqlx::any::AnyRow;

/// A value to bind.
#[derive(Debug, Clone)]
pub enum Val {
    I(i64),
    OI(Option<i64>),
    T(String),
    OT(Option<String>),
    F(f64),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::OI(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::T(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::T(v.to_string())
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::OT(v)
    }
}

pub type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Builds a query from `sql` with `vals` bound in order. The arguments are sized once up front:
/// a multi-row statement binds thousands of values, and growing their list by doubling copied it
/// again and again while the writer waited.
pub fn query(sql: String, vals: Vec<Val>) -> AnyQuery<'static> {
    use sqlx::Arguments;
    let mut args = sqlx::any::AnyArguments::default();
    args.reserve(vals.len(), 0);
    for v in vals {
        // Integers, floats and text always encode; a failure would only come from a type the
        // Any driver does not know, which `Val` cannot hold.
        let added = match v {
            Val::I(x) => args.add(x),
            Val::OI(x) => args.add(x),
            Val::T(x) => args.add(x),
            Val::OT(x) => args.add(x),
            Val::F(x) => args.add(x),
        };
        added.expect("plain values encode");
    }
    sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
}

/// A query whose text was assembled here from fixed fragments and placeholders; values are
/// always bound, never spliced into the text.
pub fn dynamic(sql: String) -> AnyQuery<'static> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
}

/// Rows per multi-row statement. SQLite caps a statement at 32,766 parameters and is fastest near
/// 500 rows. Through sqlx, a PostgreSQL statement's cost grows faster than its parameter count
/// (measured: 50 rows of 17 columns ran 40 times faster per row than 200), so it gets small ones.
const SQLITE_MAX_PARAMS: usize = 30_000;
const SQLITE_MAX_ROWS: usize = 500;
const POSTGRES_MAX_PARAMS: usize = 1_000;
const POSTGRES_MAX_ROWS: usize = 50;
/// Values per `IN (…)` list: long lists measured fastest on both.
const SQLITE_IN_CHUNK: usize = 5_000;
const POSTGRES_IN_CHUNK: usize = 5_000;

/// Placeholders for `n` values numbered from `start`: `$start, …` on PostgreSQL; anonymous `?` on
/// SQLite, whose lookup of a numbered parameter walks the list of all of them, which makes binding
/// a statement of thousands of values quadratic.
fn value_list(sqlite: bool, start: usize, n: usize) -> String {
    if sqlite { vec!["?"; n].join(", ") } else { crate::db::placeholders(start, n) }
}

pub fn is_sqlite(conn: &Conn) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// `INSERT INTO table (columns) VALUES (…), (…) {suffix}`, in chunks. Rows returned by a
/// `RETURNING` suffix are collected across chunks.
pub async fn insert(conn: &mut Conn, table: &str, columns: &[&str], rows: Vec<Vec<Val>>, suffix: &str) -> Result<Vec<AnyRow>> {
    Ok(insert_inner(conn, table, columns, rows, suffix).await?.0)
}

/// Like [`insert`] without `RETURNING`: the number of rows written (rows skipped by
/// `ON CONFLICT DO NOTHING` do not count), without reading any back.
pub async fn insert_counted(conn: &mut Conn, table: &str, columns: &[&str], rows: Vec<Vec<Val>>, suffix: &str) -> Result<u64> {
    Ok(insert_inner(conn, table, columns, rows, suffix).await?.1)
}

async fn insert_inner(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
    suffix: &str,
) -> Result<(Vec<AnyRow>, u64)> {
    let mut out = Vec::new();
    let mut written = 0;
    for (sql, vals) in insert_statements(is_sqlite(conn), table, columns, rows, suffix) {
        let q = query(sql, vals);
        if suffix.contains("RETURNING") {
            out.extend(q.fetch_all(&mut *conn).await?);
        } else {
            written += q.execute(&mut *conn).await?.rows_affected();
        }
    }
    Ok((out, written))
}

/// Texts per PostgreSQL statement of [`insert_texts_skipping_repeats`].
pub const POSTGRES_TEXTS_PER_STATEMENT: usize = 100_000;

/// Inserts one row per text of `texts`, each led by the same `fixed` values, skipping texts whose
/// row would repeat the unique key `conflict_key` (e.g. `tenant_id, code`); returns how many rows
/// were written. No text may hold a comma.
///
/// On PostgreSQL the texts travel as one comma-joined parameter split by `string_to_array`,
/// `postgres_per_statement` to a statement ([`POSTGRES_TEXTS_PER_STATEMENT`]: statements of 50
/// rows spent most of a million-row insert on round trips). Each statement is first tried as a
/// plain insert under a savepoint, because `ON CONFLICT` makes every row a speculative insertion,
/// which cost about a third of a million-row insert while collisions are rare. A statement that
/// does collide is rolled back to its savepoint and run again with `ON CONFLICT … DO NOTHING`, as
/// is every statement after it (collisions come in crowds, and each savepoint that wrote stays
/// in the transaction's list until it ends). On SQLite, where skipping costs nothing extra, the
/// texts go as multi-row `VALUES` with `ON CONFLICT … DO NOTHING`.
pub async fn insert_texts_skipping_repeats(
    conn: &mut Conn,
    table: &str,
    fixed_columns: &[&str],
    fixed: Vec<Val>,
    text_column: &str,
    texts: Vec<String>,
    conflict_key: &str,
    postgres_per_statement: usize,
) -> Result<u64> {
    debug_assert!(texts.iter().all(|t| !t.contains(',')));
    let skip_repeats = format!("ON CONFLICT ({conflict_key}) DO NOTHING");
    if is_sqlite(conn) {
        let mut columns = fixed_columns.to_vec();
        columns.push(text_column);
        let rows = texts.into_iter().map(|t| fixed.iter().cloned().chain(std::iter::once(Val::T(t))).collect()).collect();
        return insert_counted(conn, table, &columns, rows, &skip_repeats).await;
    }
    let n = fixed.len();
    let plain = format!(
        "INSERT INTO {table} ({}, {text_column}) SELECT {}, t FROM unnest(string_to_array(${}, ',')) AS t",
        fixed_columns.join(", "),
        crate::db::placeholders(1, n),
        n + 1
    );
    let skipping = format!("{plain} {skip_repeats}");
    let mut written = 0;
    let mut collided = false;
    for chunk in texts.chunks(postgres_per_statement.max(1)) {
        let vals: Vec<Val> = fixed.iter().cloned().chain(std::iter::once(Val::T(chunk.join(",")))).collect();
        if !collided {
            sqlx::query("SAVEPOINT insert_texts").execute(&mut *conn).await?;
            match query(plain.clone(), vals.clone()).execute(&mut *conn).await.map_err(crate::StoreError::from) {
                Ok(done) => {
                    sqlx::query("RELEASE SAVEPOINT insert_texts").execute(&mut *conn).await?;
                    written += done.rows_affected();
                    continue;
                }
                Err(e) if e.is_unique_violation() => {
                    sqlx::query("ROLLBACK TO SAVEPOINT insert_texts").execute(&mut *conn).await?;
                    sqlx::query("RELEASE SAVEPOINT insert_texts").execute(&mut *conn).await?;
                    collided = true;
                }
                Err(e) => return Err(e),
            }
        }
        written += query(skipping.clone(), vals).execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// The statements of [`insert`], each with its values, for the placeholders of SQLite (`sqlite`)
/// or PostgreSQL.
pub(crate) fn insert_statements(
    sqlite: bool,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
    suffix: &str,
) -> Vec<(String, Vec<Val>)> {
    let width = columns.len();
    let (max_params, max_rows) =
        if sqlite { (SQLITE_MAX_PARAMS, SQLITE_MAX_ROWS) } else { (POSTGRES_MAX_PARAMS, POSTGRES_MAX_ROWS) };
    let per_stmt = (max_params / width).clamp(1, max_rows);
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_stmt).collect();
        let sql =
            format!("INSERT INTO {table} ({}) VALUES {} {suffix}", columns.join(", "), tuples(sqlite, 1, chunk.len(), width));
        let mut vals = Vec::with_capacity(chunk.len() * width);
        chunk.into_iter().for_each(|row| vals.extend(row));
        out.push((sql, vals));
    }
    out
}

/// Runs `SELECT … WHERE tenant_id = $1 AND {column} IN (…)` over `values` in chunks. `sql` holds
/// `{in}` where the placeholder list goes and uses no parameter but `$1`.
pub async fn select_in(conn: &mut Conn, sql: &str, tenant_id: i64, values: Vec<Val>) -> Result<Vec<AnyRow>> {
    select_in_with(conn, sql, tenant_id, Vec::new(), values).await
}

/// Like [`select_in`] with further parameters `$2, $3, …` (in any order and as often as needed).
pub async fn select_in_with(
    conn: &mut Conn,
    sql: &str,
    tenant_id: i64,
    extra: Vec<Val>,
    values: Vec<Val>,
) -> Result<Vec<AnyRow>> {
    let mut out = Vec::new();
    for q in in_chunks(conn, sql, tenant_id, extra, values, 1) {
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Like [`select_in`] where `{in}` stands for a list of rows, `(…), (…)`, e.g. in
/// `WITH b (x, y) AS (VALUES {in})`; every row has the same width.
pub async fn select_in_rows(conn: &mut Conn, sql: &str, tenant_id: i64, rows: Vec<Vec<Val>>) -> Result<Vec<AnyRow>> {
    let width = rows.first().map_or(1, Vec::len);
    let mut out = Vec::new();
    for q in in_chunks(conn, sql, tenant_id, Vec::new(), rows.into_iter().flatten().collect(), width) {
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Runs an `UPDATE` or `DELETE … WHERE tenant_id = $1 AND {column} IN (…)` written as for
/// [`select_in_with`]; returns the rows it changed.
pub async fn execute_in_with(conn: &mut Conn, sql: &str, tenant_id: i64, extra: Vec<Val>, values: Vec<Val>) -> Result<u64> {
    let mut changed = 0;
    for q in in_chunks(conn, sql, tenant_id, extra, values, 1) {
        changed += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(changed)
}

/// One query per chunk of `values` (rows of `width` values), with the placeholders each database
/// wants.
fn in_chunks(conn: &Conn, sql: &str, tenant_id: i64, extra: Vec<Val>, values: Vec<Val>, width: usize) -> Vec<AnyQuery<'static>> {
    let sqlite = is_sqlite(conn);
    let mut fixed = vec![Val::I(tenant_id)];
    fixed.extend(extra);
    let chunk = (if sqlite { SQLITE_IN_CHUNK } else { POSTGRES_IN_CHUNK } / width).max(1) * width;
    values
        .chunks(chunk)
        .map(|rows| {
            let (text, vals) = with_list(sqlite, sql, &fixed, rows, width);
            query(text, vals)
        })
        .collect()
}

/// `sql` with `{in}` made the list of `values` (in rows of `width`), and every value to bind in
/// order. SQLite gets anonymous `?` (see `value_list`), bound in the order they stand in the text;
/// PostgreSQL numbers the list after the fixed values.
fn with_list(sqlite: bool, sql: &str, fixed: &[Val], values: &[Val], width: usize) -> (String, Vec<Val>) {
    let (head, tail) = sql.split_once("{in}").unwrap_or((sql, ""));
    let list = row_list(sqlite, fixed.len() + 1, values.len() / width, width);
    if !sqlite {
        return (format!("{head}{list}{tail}"), fixed.iter().chain(values).cloned().collect());
    }
    let (head, mut vals) = in_text_order(head, fixed);
    let (tail, after) = in_text_order(tail, fixed);
    vals.extend(values.iter().cloned());
    vals.extend(after);
    (format!("{head}{list}{tail}"), vals)
}

/// Placeholders for `rows` values, or rows of values when `width` > 1, numbered from `start`.
fn row_list(sqlite: bool, start: usize, rows: usize, width: usize) -> String {
    if width == 1 { value_list(sqlite, start, rows) } else { tuples(sqlite, start, rows, width) }
}

/// `(…), (…)`: `rows` rows of `width` placeholders numbered from `start`.
fn tuples(sqlite: bool, start: usize, rows: usize, width: usize) -> String {
    (0..rows).map(|i| format!("({})", value_list(sqlite, start + i * width, width))).collect::<Vec<_>>().join(", ")
}

/// `sql` with each `$n` made `?`, and the values those stand for in the order they appear.
pub(crate) fn in_text_order(sql: &str, fixed: &[Val]) -> (String, Vec<Val>) {
    let mut text = String::with_capacity(sql.len());
    let mut vals = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        text.push_str(&rest[..at]);
        match rest[at + 1..at + 1 + digits].parse::<usize>() {
            Ok(n) if (1..=fixed.len()).contains(&n) => {
                text.push('?');
                vals.push(fixed[n - 1].clone());
            }
            _ => text.push_str(&rest[at..at + 1 + digits]),
        }
        rest = &rest[at + 1 + digits..];
    }
    text.push_str(rest);
    (text, vals)
}

/// Ids as values to bind.
pub fn ids(ids: &[i64]) -> Vec<Val> {
    ids.iter().copied().map(Val::I).collect()
}

/// Epoch milliseconds as RFC 3339 UTC text.
pub fn ts(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

pub fn ts_opt(ms: Option<i64>) -> Option<String> {
    ms.map(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_bound_in_the_order_they_stand() {
        let fixed = [Val::I(7), Val::T("Champions".into())];
        let (text, vals) = in_text_order("UPDATE c SET s = $2 WHERE t = $1 AND u = $1 AND id IN ({in})", &fixed);
        assert_eq!(text, "UPDATE c SET s = ? WHERE t = ? AND u = ? AND id IN ({in})");
        let shown: Vec<String> = vals.iter().map(|v| format!("{v:?}")).collect();
        assert_eq!(shown, ["T(\"Champions\")", "I(7)", "I(7)"]);
        // The list may stand before the fixed values; rows of two for a `VALUES` list.
        let (text, vals) =
            with_list(true, "WITH b (c, d) AS (VALUES {in}) SELECT 1 WHERE t = $1", &fixed[..1], &[Val::I(1), Val::I(2)], 2);
        assert_eq!(text, "WITH b (c, d) AS (VALUES (?, ?)) SELECT 1 WHERE t = ?");
        assert_eq!(format!("{vals:?}"), "[I(1), I(2), I(7)]");
        let (text, vals) =
            with_list(false, "UPDATE c SET s = $2 WHERE t = $1 AND id IN ({in})", &fixed, &[Val::I(1), Val::I(2)], 1);
        assert_eq!(text, "UPDATE c SET s = $2 WHERE t = $1 AND id IN ($3, $4)");
        assert_eq!(vals.len(), 4);
        assert_eq!(row_list(false, 2, 2, 2), "($2, $3), ($4, $5)");
        assert_eq!(tuples(true, 1, 2, 1), "(?), (?)");
        // A `$` that names no fixed value is text.
        assert_eq!(in_text_order("SELECT '$' || $3, $1", &fixed[..1]).0, "SELECT '$' || $3, ?");
    }
}

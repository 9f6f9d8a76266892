//! Static lists (SPEC B3): a file of mobiles, emails or external ids becomes a list of customers,
//! with every row that named no customer reported back; lists can be used in segment rules
//! (`{"field": "lists", "op": "contains", "value": CODE}`).

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::lists::{ListColumn, row_key};
use philia_domain::points::parse_code;
use philia_store::lists::ListRow;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListRecord {
    pub code: String,
    pub name: String,
    pub members: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn record(r: ListRow) -> ListRecord {
    let ts = |ms: i64| philia_domain::calendar::from_millis(ms).to_string();
    ListRecord { code: r.code, name: r.name, members: r.members, created_at: ts(r.created_at), updated_at: ts(r.updated_at) }
}

/// A row of the file that named no customer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnmatchedRow {
    /// 1 is the first row after the header.
    pub row: u64,
    pub value: String,
    /// `invalid`: not a valid mobile, email or id; `unknown`: no customer has it.
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListUpload {
    pub list: ListRecord,
    pub rows: u64,
    pub matched: u64,
    /// Matched customers who were not on the list before.
    pub added: u64,
    pub unmatched: Vec<UnmatchedRow>,
}

fn invalid(message: &str) -> EngineError {
    EngineError::field(philia_domain::Issue::new("invalid_file", message.to_string(), "فایل قابل خواندن نیست").at("file"))
}

impl Engine {
    /// Adds the customers a CSV file names to list `code`, creating the list (named `name`) when
    /// it does not exist. The file has a header with a `mobile`, `email` or `external_id` column
    /// (Persian names too) and, for external ids, an optional `source` column.
    pub async fn upload_list(&self, ctx: &TenantContext, code: &str, name: Option<&str>, file: &[u8]) -> Result<ListUpload> {
        let code = parse_code(code).map_err(|i| EngineError::field(i.at("code")))?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
        let header = reader.headers().map_err(|e| invalid(&e.to_string()))?.clone();
        let found = header.iter().enumerate().find_map(|(i, h)| ListColumn::from_header(h).map(|c| (i, c)));
        let Some((at, column)) = found else {
            return Err(invalid("the header needs a mobile, email or external_id column"));
        };
        let source_at = header.iter().position(|h| h.trim().eq_ignore_ascii_case("source"));
        let mut keys: Vec<(u64, String, String)> = Vec::new();
        let mut unmatched = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let row = n as u64 + 1;
            let record = record.map_err(|e| invalid(&e.to_string()))?;
            let value = record.get(at).unwrap_or("").to_string();
            match row_key(column, &value, source_at.and_then(|s| record.get(s)).filter(|s| !s.trim().is_empty())) {
                Ok(key) => keys.push((row, value, key.key())),
                Err(issue) => unmatched.push(UnmatchedRow { row, value, reason: "invalid".into(), message: issue.message }),
            }
        }
        let rows = keys.len() as u64 + unmatched.len() as u64;
        let now = now_ms();
        let (list, matched, added) = in_write_tx!(self, |conn| async {
            let list = match self.store.list_by_code(conn, ctx.id, &code).await? {
                Some(l) => l,
                None => {
                    let id = self.store.allocate_ids(conn, 1).await?[0];
                    let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&code).to_string();
                    self.store.insert_list(conn, ctx.id, id, &code, &name, now).await?;
                    self.store.list_by_code(conn, ctx.id, &code).await?.ok_or(EngineError::NotFound("list"))?
                }
            };
            let wanted: Vec<String> = keys.iter().map(|k| k.2.clone()).collect();
            let found: HashMap<String, i64> = self.store.resolve_identities(conn, ctx.id, &wanted).await?;
            let customers: BTreeSet<i64> = found.values().copied().collect();
            let customers: Vec<i64> = customers.into_iter().collect();
            let added = self.store.add_list_members(conn, ctx.id, list.id, &customers, now).await?;
            self.segments_in(conn, ctx, &customers).await?;
            let list = self.store.list_by_code(conn, ctx.id, &code).await?.ok_or(EngineError::NotFound("list"))?;
            Ok::<_, EngineError>((list, found, added))
        }
        .await)?;
        for (row, value, key) in &keys {
            if !matched.contains_key(key) {
                unmatched.push(UnmatchedRow {
                    row: *row,
                    value: value.clone(),
                    reason: "unknown".into(),
                    message: "no customer has this identifier".into(),
                });
            }
        }
        unmatched.sort_by_key(|u| u.row);
        Ok(ListUpload { list: record(list), rows, matched: rows - unmatched.len() as u64, added, unmatched })
    }

    pub async fn lists(&self, ctx: &TenantContext) -> Result<Vec<ListRecord>> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.lists(&mut tx, ctx.id).await?.into_iter().map(record).collect())
    }

    pub async fn list(&self, ctx: &TenantContext, code: &str) -> Result<ListRecord> {
        let mut tx = self.store.begin_read().await?;
        Ok(record(self.store.list_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("list"))?))
    }

    /// Live members of a list (customers merged away are left out), by id after `after`.
    pub async fn list_members(&self, ctx: &TenantContext, code: &str, after: i64, limit: i64) -> Result<Vec<i64>> {
        let mut tx = self.store.begin_read().await?;
        let list = self.store.list_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("list"))?;
        Ok(self.store.list_member_ids(&mut tx, ctx.id, list.id, after, limit.clamp(1, 1000)).await?)
    }

    pub async fn delete_list(&self, ctx: &TenantContext, code: &str) -> Result<()> {
        in_write_tx!(self, |conn| async {
            let list = self.store.list_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("list"))?;
            let mut members = Vec::new();
            let mut after = i64::MIN;
            loop {
                let page = self.store.list_member_ids(conn, ctx.id, list.id, after, 5000).await?;
                let Some(&last) = page.last() else { break };
                members.extend(page);
                after = last;
            }
            self.store.delete_list(conn, ctx.id, list.id).await?;
            self.segments_in(conn, ctx, &members).await?;
            let gone = serde_json::json!({ "members": members.len() });
            self.audit_in(conn, ctx, "list.delete", "list", code, Some(&gone), crate::audit::NOTHING).await?;
            Ok::<_, EngineError>(())
        }
        .await)
    }
}

//! The accounting feed: an accounting or sales system posts its invoice export (CSV or JSON in
//! its own column names) to its connection; the saved mapping turns it into Philia's invoice
//! rows (those of the import), each invoice is kept as a delivery before the answer and applied
//! from the queue under the order rules every connection shares, so a file sent twice counts
//! once, an edited invoice is recorded anew and a cancelled one taken back. A preview shows
//! what a sample would become, with every refusal, before the mapping is used.

use crate::import::{Row, RowError, invoice_input, locate_invoice_error};
use crate::inbound::Applied;
use crate::shop_orders::read;
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::feed::{FIELDS, FeedMapping, same_column, source_of, status_phase};
use philia_domain::invoice::ValidInvoice;
use philia_domain::woocommerce::{OrderPhase, OrderSnapshot};
use philia_domain::{FieldError, Issue};
use philia_store::Conn;
use philia_store::connections::ConnectionRow;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Invoices shown by a preview.
const PREVIEW_INVOICES: usize = 20;
/// Refusals listed in an answer.
const MAX_ERRORS: usize = 500;

/// One invoice as the feed carries it: its rows in Philia's fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FeedInvoice {
    invoice_id: String,
    /// The currency the amounts are written in.
    currency: String,
    rows: Vec<FeedRow>,
}

/// What a sample would become.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedPreview {
    /// The columns (CSV) or keys (JSON, first record) the sample has, for choosing a mapping.
    pub columns: Vec<String>,
    pub rows: u64,
    pub invoices: u64,
    /// The first invoices as they would be recorded.
    pub sample: Vec<PreviewInvoice>,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewInvoice {
    pub invoice_id: String,
    pub issued_at: String,
    /// The customer as named: external id, mobile or email.
    pub customer: Option<String>,
    pub lines: usize,
    pub total: i64,
    /// `sale`, `not_yet` (pending) or `take_back` (cancelled).
    pub effect: String,
}

/// What a posted file did: invoices kept for applying, and refusals found while reading.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedReceipt {
    pub rows: u64,
    pub invoices_queued: u64,
    pub errors: Vec<RowError>,
}

fn row_error(row: u64, column: &str, e: &FieldError) -> RowError {
    RowError { row, column: column.into(), code: e.code.clone(), message: e.message.clone(), message_fa: e.message_fa.clone() }
}

fn invalid_file(message: String, message_fa: String) -> EngineError {
    EngineError::field(Issue::new("unreadable", message, message_fa).at("file"))
}

/// A JSON value as cell text; objects and lists are not cells.
fn cell(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `a.b.c` inside a JSON object.
fn lookup<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(v, |at, key| at.get(key)).filter(|x| !x.is_null())
}

/// Reads a file into rows of Philia's fields, by the mapping. The column names found come back
/// too. A mapped column the file lacks refuses the file, naming the field.
/// One file row: its number and its cells by Philia's field.
type FeedRow = (u64, BTreeMap<String, String>);

/// A file read: the columns it has, its rows, and the rows that could not be read.
type ReadFile = (Vec<String>, Vec<FeedRow>, Vec<RowError>);

fn read_rows(text: &str, mapping: &FeedMapping) -> Result<ReadFile> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        return read_json(trimmed, mapping);
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(trimmed.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(invalid_file(format!("the header row cannot be read: {e}"), "سطر عنوان خوانا نیست".into())),
        None => return Err(invalid_file("the file is empty".into(), "فایل خالی است".into())),
    };
    let columns: Vec<String> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_string()).collect();
    let mut positions = Vec::new();
    let mut missing = Vec::new();
    for (field, column) in &mapping.columns {
        match columns.iter().position(|c| same_column(c, column)) {
            Some(i) => positions.push((field.clone(), i)),
            None => missing.push(
                Issue::new(
                    "missing_column",
                    format!("the file has no column {column:?}"),
                    format!("ستون «{column}» در فایل نیست"),
                )
                .at(format!("columns.{field}")),
            ),
        }
    }
    if !missing.is_empty() {
        return Err(EngineError::Invalid(philia_domain::Invalid(missing)));
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for (i, record) in records.enumerate() {
        let number = i as u64 + 2;
        match record {
            Ok(r) if r.iter().all(|c| c.trim().is_empty()) => {}
            Ok(r) => rows
                .push((number, positions.iter().map(|(f, p)| (f.clone(), r.get(*p).unwrap_or("").trim().to_string())).collect())),
            Err(e) => errors.push(row_error(
                number,
                "",
                &Issue::new("unreadable_row", format!("cannot be read: {e}"), "سطر خوانا نیست").at(""),
            )),
        }
    }
    Ok((columns, rows, errors))
}

fn read_json(text: &str, mapping: &FeedMapping) -> Result<ReadFile> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid_file(format!("is not JSON: {e}"), "JSON معتبر نیست".into()))?;
    let list = match (&doc, mapping.records.as_deref()) {
        (serde_json::Value::Array(items), _) => items.clone(),
        (_, Some(key)) => match lookup(&doc, key) {
            Some(serde_json::Value::Array(items)) => items.clone(),
            _ => {
                return Err(EngineError::field(
                    Issue::new("not_a_list", format!("{key:?} is not a list"), "فهرست فاکتورها پیدا نشد").at("records"),
                ));
            }
        },
        _ => {
            return Err(EngineError::field(
                Issue::new("not_a_list", "the document is an object: name its list in records", "کلید فهرست فاکتورها را بگویید")
                    .at("records"),
            ));
        }
    };
    let columns: Vec<String> = list.first().and_then(|r| r.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let mut rows = Vec::new();
    let mut number = 0u64;
    for record in &list {
        let lines: Vec<&serde_json::Value> = match mapping.lines.as_deref().and_then(|k| lookup(record, k)) {
            Some(serde_json::Value::Array(lines)) if !lines.is_empty() => lines.iter().collect(),
            _ => vec![record],
        };
        for line in lines {
            number += 1;
            let cells = mapping
                .columns
                .iter()
                .filter_map(|(field, key)| {
                    Some((field.clone(), lookup(line, key).or_else(|| lookup(record, key)).and_then(cell)?))
                })
                .collect();
            rows.push((number, cells));
        }
    }
    Ok((columns, rows, Vec::new()))
}

/// Groups rows by invoice id, in the order invoices first appear; rows without one are refused.
fn group(rows: Vec<FeedRow>, currency: &str, errors: &mut Vec<RowError>) -> Vec<FeedInvoice> {
    let mut order: Vec<FeedInvoice> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (number, cells) in rows {
        let Some(id) = cells.get("invoice_id").map(|s| philia_domain::digits::ascii_digits(s.trim())).filter(|s| !s.is_empty())
        else {
            errors.push(row_error(number, "invoice_id", &Issue::required().at("invoice_id")));
            continue;
        };
        match index.get(&id) {
            Some(&i) => order[i].rows.push((number, cells)),
            None => {
                index.insert(id.clone(), order.len());
                order.push(FeedInvoice { invoice_id: id, currency: currency.to_string(), rows: vec![(number, cells)] });
            }
        }
    }
    order
}

impl FeedInvoice {
    /// The invoice as recorded, and what its status means; field errors located in the file.
    fn parse(&self, ctx: &TenantContext, source: &str) -> std::result::Result<(ValidInvoice, OrderPhase), Vec<RowError>> {
        let rows: Vec<Row> = self
            .rows
            .iter()
            .map(|(number, cells)| Row {
                number: *number,
                cells: cells.iter().filter_map(|(k, v)| FIELDS.iter().find(|f| **f == k).map(|f| (*f, v.clone()))).collect(),
            })
            .collect();
        let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
        let located = |errors: Vec<FieldError>| {
            errors
                .iter()
                .map(|e| {
                    let (row, column) = locate_invoice_error(&e.field, &numbers);
                    row_error(row, &column, e)
                })
                .collect::<Vec<_>>()
        };
        let mut input = invoice_input(&rows, source).map_err(located)?;
        let phase = status_phase(input.status.as_deref());
        (input.status, input.currency) = (None, Some(self.currency.clone()));
        // Accounting and till systems record sales made in the shop unless a column says otherwise.
        if rows[0].cells.get("channel").is_none_or(|c| c.trim().is_empty()) {
            input.channel = Some("pos".into());
        }
        let valid = input.parse(&ctx.zone, &ctx.currency).map_err(|e| located(e.0))?;
        Ok((valid, phase))
    }

    fn digest(&self) -> String {
        let text = serde_json::to_string(&self.rows).expect("rows serialise");
        Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

impl Engine {
    async fn feed_row(&self, ctx: &TenantContext, code: &str) -> Result<ConnectionRow> {
        let row = self.connection_row(ctx, code).await?;
        if row.kind != "feed" {
            return Err(EngineError::conflict(
                "not_a_feed",
                "this connection is not an accounting feed",
                "این اتصال فید حسابداری نیست",
            ));
        }
        Ok(row)
    }

    /// Saves a feed's mapping.
    pub async fn set_feed_mapping(&self, ctx: &TenantContext, code: &str, mapping: &FeedMapping) -> Result<FeedMapping> {
        let mapping = mapping.parse()?;
        let mut row = self.feed_row(ctx, code).await?;
        let before = self.feed_mapping(ctx.id, &row)?;
        row.settings_sealed = Some(self.seal_feed_mapping(ctx.id, &row.code, &mapping)?);
        let mut tx = self.store.begin_write().await?;
        self.store.update_connection(&mut tx, ctx.id, &row).await?;
        self.audit_in(&mut tx, ctx, "connection.mapping", "connection", &row.code, before.as_ref(), Some(&mapping)).await?;
        philia_store::commit(tx).await?;
        Ok(mapping)
    }

    /// A feed's saved mapping.
    pub async fn feed_mapping_of(&self, ctx: &TenantContext, code: &str) -> Result<Option<FeedMapping>> {
        let row = self.feed_row(ctx, code).await?;
        self.feed_mapping(ctx.id, &row)
    }

    fn mapping_or_saved(&self, ctx: &TenantContext, row: &ConnectionRow, given: Option<&FeedMapping>) -> Result<FeedMapping> {
        match given {
            Some(m) => Ok(m.parse()?),
            None => self.feed_mapping(ctx.id, row)?.ok_or_else(|| {
                EngineError::conflict("no_mapping", "the feed has no mapping yet", "نگاشت ستون‌های این فید هنوز تعیین نشده است")
            }),
        }
    }

    /// What a sample would become under `mapping` (or the saved one), writing nothing.
    pub async fn preview_feed(
        &self,
        ctx: &TenantContext,
        code: &str,
        text: &str,
        mapping: Option<&FeedMapping>,
    ) -> Result<FeedPreview> {
        let row = self.feed_row(ctx, code).await?;
        let mapping = self.mapping_or_saved(ctx, &row, mapping)?;
        let currency = mapping.currency.clone().unwrap_or_else(|| row.currency.clone());
        let (columns, rows, mut errors) = read_rows(text, &mapping)?;
        let row_count = rows.len() as u64;
        let invoices = group(rows, &currency, &mut errors);
        let source = source_of(&row.code);
        let mut sample = Vec::new();
        for inv in &invoices {
            match inv.parse(ctx, &source) {
                Ok((v, phase)) if sample.len() < PREVIEW_INVOICES => sample.push(PreviewInvoice {
                    invoice_id: v.external_id.clone(),
                    issued_at: v.issued_at.to_string(),
                    customer: v.customer.as_ref().and_then(|c| c.identities.first().map(|k| k.key())),
                    lines: v.lines.len(),
                    total: v.total,
                    effect: match phase {
                        OrderPhase::Sale => "sale",
                        OrderPhase::Open => "not_yet",
                        OrderPhase::Reversed => "take_back",
                    }
                    .into(),
                }),
                Ok(_) => {}
                Err(e) => errors.extend(e),
            }
        }
        errors.truncate(MAX_ERRORS);
        Ok(FeedPreview { columns, rows: row_count, invoices: invoices.len() as u64, sample, errors })
    }

    /// Takes a file the system posts: every invoice in it is kept before the answer and applied
    /// from the queue; refusals found while reading are answered at once (and fail again, with
    /// the same reason, in the delivery log).
    pub async fn receive_feed(&self, ctx: &TenantContext, code: &str, text: &str) -> Result<FeedReceipt> {
        let row = self.feed_row(ctx, code).await?;
        if row.status != "active" {
            return Err(EngineError::conflict(
                "paused",
                "the connection is paused; send the file again when it is resumed",
                "این اتصال متوقف است؛ پس از ازسرگیری دوباره بفرستید",
            ));
        }
        let mapping = self.mapping_or_saved(ctx, &row, None)?;
        let currency = mapping.currency.clone().unwrap_or_else(|| row.currency.clone());
        let (_, rows, mut errors) = read_rows(text, &mapping)?;
        let row_count = rows.len() as u64;
        let invoices = group(rows, &currency, &mut errors);
        let source = source_of(&row.code);
        for inv in &invoices {
            if let Err(e) = inv.parse(ctx, &source) {
                errors.extend(e);
            }
        }
        errors.truncate(MAX_ERRORS);
        let bodies: Vec<String> = invoices.iter().map(|i| serde_json::to_string(i).expect("an invoice serialises")).collect();
        self.queue_pulled(ctx.id, row.id, "feed.invoice", &bodies, "file", &row.sync_state).await?;
        Ok(FeedReceipt { rows: row_count, invoices_queued: invoices.len() as u64, errors })
    }

    pub(crate) async fn apply_feed_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        topic: &str,
        body: &str,
    ) -> Result<Applied> {
        if topic != "feed.invoice" {
            return Ok(Applied::skipped(format!("{topic}: nothing to apply")));
        }
        let inv: FeedInvoice = read(body)?;
        let source = source_of(&row.code);
        let (valid, phase) = inv.parse(ctx, &source).map_err(|errors| {
            EngineError::Invalid(philia_domain::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        field: format!("row {} {}", e.row, e.column),
                        code: e.code,
                        message: e.message,
                        message_fa: e.message_fa,
                    })
                    .collect(),
            ))
        })?;
        let snap = OrderSnapshot {
            id: inv.invoice_id.clone(),
            version: None,
            phase,
            status: match phase {
                OrderPhase::Sale => "sale",
                OrderPhase::Open => "pending",
                OrderPhase::Reversed => "cancelled",
            }
            .into(),
            invoice: (phase == OrderPhase::Sale).then_some(valid),
            refunds: vec![],
            digest: inv.digest(),
            notes: vec![],
        };
        self.apply_order_in(conn, ctx, row, &source, &snap).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> FeedMapping {
        FeedMapping {
            columns: [
                ("invoice_id", "شماره سند"),
                ("issued_at", "تاریخ"),
                ("unit_price", "فی"),
                ("quantity", "تعداد"),
                ("customer_mobile", "موبایل"),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn csv_rows_take_the_mapped_columns_and_group_by_invoice() {
        let text = "\u{feff}شماره سند,تاریخ,کالا,فی,تعداد,موبایل\n7,1403/09/01,چای,120000,2,09121234567\n,,,,,\n7,1403/09/01,قند,30000,1,09121234567\n8,1403/09/02,چای,120000,1,\n";
        let (columns, rows, errors) = read_rows(text, &mapping()).unwrap();
        assert_eq!(columns[0], "شماره سند");
        assert!(errors.is_empty());
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4, 5], "spreadsheet row numbers, empty rows skipped");
        let mut errors = Vec::new();
        let invoices = group(rows, "IRT", &mut errors);
        assert_eq!(invoices.iter().map(|i| (i.invoice_id.as_str(), i.rows.len())).collect::<Vec<_>>(), [("7", 2), ("8", 1)]);
        let mut wrong = mapping();
        wrong.columns.insert("total".into(), "جمع".into());
        let err = read_rows(text, &wrong).unwrap_err();
        assert!(err.to_string().contains("columns.total"), "{err}");
    }

    #[test]
    fn json_records_with_lines_reach_into_objects() {
        let m = FeedMapping {
            columns: [
                ("invoice_id", "no"),
                ("issued_at", "date"),
                ("unit_price", "fee"),
                ("sku", "code"),
                ("customer_mobile", "buyer.mobile"),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            records: Some("data".into()),
            lines: Some("items".into()),
            ..Default::default()
        };
        let text = r#"{"data": [{"no": 31, "date": "2026-11-20", "buyer": {"mobile": "09121234567"},
            "items": [{"code": "A", "fee": 1000}, {"code": "B", "fee": 2500.5}]}]}"#;
        let (_, rows, _) = read_rows(text, &m).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].1["unit_price"], "2500.5");
        assert_eq!(rows[1].1["customer_mobile"], "09121234567", "invoice fields reach every line");
        assert_eq!(rows[0].1["invoice_id"], "31");
        assert!(read_rows(r#"{"x": 1}"#, &FeedMapping { records: None, ..m }).is_err());
    }
}

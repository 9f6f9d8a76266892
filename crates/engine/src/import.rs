//! CSV import (SPEC A5) of customers, products, categories and invoices. Files are streamed in
//! chunks, never read whole; each bad row is reported with its row number, column and reason.
//! By default the valid rows are imported; `atomic` imports all or nothing. Importing the same
//! file twice changes nothing. Column names may be English or Persian (see docs/IMPORT.md).

use crate::invoices::ItemResult;
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::catalogue::{CategoryInput, ProductInput};
use philia_domain::customer::{CustomerInput, ExternalIdInput};
use philia_domain::digits::ascii_digits;
use philia_domain::invoice::{CustomerRefInput, InvoiceInput, LineInput, ValidInvoice};
use philia_domain::money::{Quantity, parse_amount};
use philia_domain::{FieldError, Issue};
use philia_store::Conn;
use philia_store::staging::StagedRow;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Customers,
    Products,
    Categories,
    Invoices,
}

impl ImportKind {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "customers" => Ok(Self::Customers),
            "products" => Ok(Self::Products),
            "categories" => Ok(Self::Categories),
            "invoices" => Ok(Self::Invoices),
            _ => Err(EngineError::field(Issue::one_of(&["customers", "products", "categories", "invoices"]).at("kind"))),
        }
    }

    /// Canonical column names, each with the Persian and alternative headers that mean it.
    fn columns(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Self::Customers => &[
                ("external_id", &["id", "customer_id", "شناسه", "کد مشتری", "شناسه مشتری"]),
                ("external_source", &["source", "منبع"]),
                ("mobile", &["phone", "cell", "موبایل", "تلفن همراه", "شماره موبایل", "شماره همراه"]),
                ("email", &["e-mail", "ایمیل", "پست الکترونیک"]),
                ("first_name", &["firstname", "name", "نام"]),
                ("last_name", &["lastname", "surname", "family", "نام خانوادگی", "فامیلی"]),
                ("gender", &["sex", "جنسیت"]),
                ("birth_date", &["birthday", "birthdate", "تاریخ تولد"]),
                ("province", &["state", "استان"]),
                ("city", &["شهر"]),
                ("address_line", &["address", "آدرس", "نشانی"]),
                ("postal_code", &["postcode", "zip", "کد پستی"]),
                ("tags", &["برچسب", "برچسب‌ها", "برچسب ها"]),
                ("interests", &["علاقه‌مندی‌ها", "علاقه مندی ها"]),
                ("sms_opt_in", &["sms_consent", "رضایت پیامک"]),
                ("email_opt_in", &["email_consent", "رضایت ایمیل"]),
            ],
            Self::Products => &[
                ("sku", &["code", "کد کالا", "کد"]),
                ("name", &["product_name", "نام کالا", "نام"]),
                ("category", &["category_code", "دسته", "دسته‌بندی", "دسته بندی"]),
                ("price", &["unit_price", "قیمت"]),
                ("active", &["فعال"]),
            ],
            Self::Categories => &[
                ("code", &["category", "کد", "کد دسته"]),
                ("name", &["نام", "نام دسته"]),
                ("parent", &["parent_code", "والد", "دسته والد"]),
            ],
            Self::Invoices => &[
                ("invoice_id", &["invoice", "invoice_number", "شماره فاکتور", "شناسه فاکتور"]),
                ("issued_at", &["date", "invoice_date", "تاریخ", "تاریخ فاکتور"]),
                ("source", &["منبع"]),
                ("customer_external_id", &["customer_id", "شناسه مشتری", "کد مشتری"]),
                ("customer_mobile", &["mobile", "موبایل مشتری", "موبایل"]),
                ("customer_email", &["email", "ایمیل مشتری"]),
                ("customer_name", &["name", "نام مشتری"]),
                ("sku", &["کد کالا"]),
                ("product_name", &["product", "نام کالا"]),
                ("category", &["دسته", "دسته‌بندی"]),
                ("quantity", &["qty", "تعداد", "مقدار"]),
                ("unit_price", &["price", "قیمت واحد", "فی", "قیمت"]),
                ("line_discount", &["discount", "تخفیف", "تخفیف ردیف"]),
                ("branch", &["store", "شعبه"]),
                ("channel", &["کانال"]),
                ("status", &["وضعیت"]),
                ("invoice_discount", &["تخفیف فاکتور"]),
                ("shipping", &["هزینه ارسال"]),
                ("total", &["invoice_total", "جمع کل", "مبلغ کل"]),
            ],
        }
    }
}

/// One refused cell or row. Rows are numbered as in a spreadsheet: the header is row 1.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, PartialEq)]
pub struct RowError {
    pub row: u64,
    pub column: String,
    pub code: String,
    pub message: String,
    pub message_fa: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, PartialEq)]
pub struct ImportReport {
    pub kind: String,
    /// Data rows read.
    pub rows: u64,
    /// Records created or changed.
    pub imported: u64,
    /// Records already present exactly as in the file.
    pub unchanged: u64,
    /// Rows refused (see `errors`).
    pub invalid_rows: u64,
    /// True when `atomic` was asked and errors stopped the whole import.
    pub rolled_back: bool,
    /// The first 1,000 errors; all of them go to the error callback.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// The refused rows as a CSV file: row, column, code and the message in both languages.
    pub fn errors_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["row", "column", "code", "message", "message_fa"]);
        for e in &self.errors {
            let _ = w.write_record([e.row.to_string().as_str(), &e.column, &e.code, &e.message, &e.message_fa]);
        }
        w.into_inner().unwrap_or_default()
    }
}

pub struct ImportOptions {
    pub atomic: bool,
    /// Source of external ids in the file (`csv` by default).
    pub source: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { atomic: false, source: "csv".into() }
    }
}

const CHUNK: usize = 5_000;
const MAX_REPORTED: usize = 1_000;

/// Maps a header cell to its canonical column.
fn canonical(kind: ImportKind, header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').trim().to_lowercase().replace(['\u{200c}'], " ");
    let h_compact = h.replace(' ', "_");
    kind.columns().iter().find_map(|(name, aliases)| {
        (h_compact == *name || aliases.iter().any(|a| a.replace('\u{200c}', " ").to_lowercase() == h)).then_some(*name)
    })
}

/// One data row: its number and its cells by canonical column.
pub(crate) struct Row {
    pub(crate) number: u64,
    pub(crate) cells: HashMap<&'static str, String>,
}

impl Row {
    fn get(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(String::as_str).filter(|v| !v.trim().is_empty())
    }
}

fn parse_bool(s: &str) -> std::result::Result<bool, Issue> {
    match ascii_digits(s.trim()).to_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "بله" | "آری" | "اری" | "بلی" => Ok(true),
        "0" | "no" | "n" | "false" | "خیر" | "نه" => Ok(false),
        _ => Err(Issue::new("invalid_boolean", "must be yes or no", "باید بله یا خیر باشد")),
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([';', '|', '،', ',']).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()
}

/// Accumulates the outcome while chunks are applied.
struct Tally<'a> {
    report: ImportReport,
    on_error: &'a mut (dyn FnMut(&RowError) + Send),
}

impl Tally<'_> {
    fn error(&mut self, row: u64, column: &str, issue: &FieldError) {
        let e = RowError {
            row,
            column: column.to_string(),
            code: issue.code.clone(),
            message: issue.message.clone(),
            message_fa: issue.message_fa.clone(),
        };
        (self.on_error)(&e);
        if self.report.errors.len() < MAX_REPORTED {
            self.report.errors.push(e);
        }
    }
}

impl Engine {
    /// Imports a CSV stream. `on_progress` hears the number of rows read so far; `on_error` every
    /// refused row.
    pub async fn import_csv<R: Read + Send>(
        &self,
        ctx: &TenantContext,
        kind: ImportKind,
        input: R,
        options: &ImportOptions,
        on_progress: &mut (dyn FnMut(u64) + Send),
        on_error: &mut (dyn FnMut(&RowError) + Send),
    ) -> Result<ImportReport> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(input);
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => {
                return Err(EngineError::field(
                    Issue::new("unreadable", format!("the header row cannot be read: {e}"), "سطر عنوان خوانا نیست").at("file"),
                ));
            }
            None => return Err(EngineError::field(Issue::new("empty", "the file is empty", "فایل خالی است").at("file"))),
        };
        let columns: Vec<Option<&'static str>> = header.iter().map(|h| canonical(kind, h)).collect();
        let required: &[&str] = match kind {
            ImportKind::Customers => &[],
            ImportKind::Products => &["sku", "name", "price"],
            ImportKind::Categories => &["code", "name"],
            ImportKind::Invoices => &["invoice_id", "issued_at", "unit_price"],
        };
        let missing: Vec<&str> = required.iter().filter(|r| !columns.contains(&Some(**r))).copied().collect();
        if !missing.is_empty() {
            return Err(EngineError::field(
                Issue::new(
                    "missing_columns",
                    format!("the header lacks the columns: {}", missing.join(", ")),
                    format!("این ستون‌ها در سطر عنوان نیستند: {}", missing.join(", ")),
                )
                .at("header"),
            ));
        }
        let mut tally = Tally {
            report: ImportReport {
                kind: format!("{kind:?}").to_lowercase(),
                rows: 0,
                imported: 0,
                unchanged: 0,
                invalid_rows: 0,
                rolled_back: false,
                errors: Vec::new(),
            },
            on_error,
        };
        let import_id = if kind == ImportKind::Invoices { self.fresh_id().await? } else { 0 };
        let mut atomic_tx =
            if options.atomic && kind != ImportKind::Invoices { Some(self.store.begin_write().await?) } else { None };
        let mut number = 1u64;
        loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            for rec in records.by_ref() {
                number += 1;
                match rec {
                    Ok(r) => {
                        if r.iter().all(|c| c.trim().is_empty()) {
                            continue;
                        }
                        let cells =
                            columns.iter().zip(r.iter()).filter_map(|(c, v)| c.map(|c| (c, v.trim().to_string()))).collect();
                        chunk.push(Row { number, cells });
                    }
                    Err(e) => {
                        tally.report.invalid_rows += 1;
                        let issue = Issue::new("unreadable_row", format!("cannot be read: {e}"), "سطر خوانا نیست").at("");
                        tally.error(number, "", &issue);
                    }
                }
                if chunk.len() == CHUNK {
                    break;
                }
            }
            if chunk.is_empty() {
                break;
            }
            tally.report.rows += chunk.len() as u64;
            match kind {
                ImportKind::Invoices => self.stage_invoice_rows(ctx, import_id, chunk, &mut tally).await?,
                _ => {
                    let prepared = prepare(kind, &chunk, &options.source, &mut tally);
                    let (imported, unchanged) = match atomic_tx.as_mut() {
                        Some(tx) => self.apply_prepared(tx, ctx, &options.source, &prepared).await?,
                        None => in_write_tx!(self, |conn| self.apply_prepared(conn, ctx, &options.source, &prepared).await)?,
                    };
                    tally.report.imported += imported;
                    tally.report.unchanged += unchanged;
                }
            }
            on_progress(tally.report.rows);
        }
        if kind == ImportKind::Invoices {
            let result = self.import_staged_invoices(ctx, import_id, options, &mut tally).await;
            self.store.clear_staging(ctx.id, import_id).await?;
            result?;
        } else if let Some(tx) = atomic_tx {
            if tally.report.invalid_rows > 0 {
                tx.rollback().await?;
                tally.report.rolled_back = true;
                tally.report.imported = 0;
                tally.report.unchanged = 0;
            } else {
                philia_store::commit(tx).await?;
            }
        }
        Ok(tally.report)
    }

    /// Applies validated rows inside the caller's transaction; returns (imported, unchanged).
    async fn apply_prepared(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        source: &str,
        prepared: &Prepared,
    ) -> Result<(u64, u64)> {
        match prepared {
            Prepared::Customers(patches) => {
                let outcomes = self.upsert_in(conn, ctx, source, patches, None).await?;
                let imported = outcomes.iter().filter(|o| o.changed).count() as u64;
                Ok((imported, outcomes.len() as u64 - imported))
            }
            Prepared::Catalogue(products, categories) => {
                let now = crate::now_ms();
                self.store.upsert_products(conn, ctx.id, products, now).await?;
                self.store.upsert_categories(conn, ctx.id, categories, now).await?;
                Ok(((products.len() + categories.len()) as u64, 0))
            }
        }
    }

    async fn stage_invoice_rows(&self, ctx: &TenantContext, import_id: i64, rows: Vec<Row>, tally: &mut Tally<'_>) -> Result<()> {
        let mut staged = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(key) = row.get("invoice_id").map(ascii_digits) else {
                tally.report.invalid_rows += 1;
                tally.error(row.number, "invoice_id", &Issue::required().at("invoice_id"));
                continue;
            };
            let data = serde_json::to_string(&row.cells).unwrap_or_default();
            staged.push(StagedRow { group_key: key, row_no: row.number as i64, data });
        }
        let mut tx = self.store.begin_write().await?;
        self.store.stage_rows(&mut tx, ctx.id, import_id, staged).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    async fn import_staged_invoices(
        &self,
        ctx: &TenantContext,
        import_id: i64,
        options: &ImportOptions,
        tally: &mut Tally<'_>,
    ) -> Result<()> {
        let mut after: Option<String> = None;
        let mut atomic_tx = if options.atomic { Some(self.store.begin_write().await?) } else { None };
        let atomic_blocked = tally.report.invalid_rows > 0;
        loop {
            let page = self.store.staged_rows(ctx.id, import_id, after.as_deref(), 20_000).await?;
            if page.is_empty() {
                break;
            }
            let full = page.len() == 20_000;
            let mut groups: Vec<(String, Vec<Row>)> = Vec::new();
            for s in page {
                let cells: HashMap<String, String> = serde_json::from_str(&s.data).unwrap_or_default();
                let cells = cells
                    .into_iter()
                    .filter_map(|(k, v)| ImportKind::Invoices.columns().iter().find(|c| c.0 == k).map(|c| (c.0, v)))
                    .collect();
                let row = Row { number: s.row_no as u64, cells };
                match groups.last_mut() {
                    Some((k, rows)) if *k == s.group_key => rows.push(row),
                    _ => groups.push((s.group_key, vec![row])),
                }
            }
            // The last group of a full page may continue on the next page.
            if full && groups.len() > 1 {
                groups.pop();
            }
            after = groups.last().map(|g| g.0.clone());
            let mut parsed: Vec<std::result::Result<ValidInvoice, Vec<FieldError>>> = Vec::with_capacity(groups.len());
            let mut first_rows = Vec::with_capacity(groups.len());
            for (_, rows) in &groups {
                first_rows.push(rows.iter().map(|r| r.number).collect::<Vec<_>>());
                parsed
                    .push(invoice_input(rows, &options.source).and_then(|i| i.parse(&ctx.zone, &ctx.currency).map_err(|e| e.0)));
            }
            let results: Vec<ItemResult> = match atomic_tx.as_mut() {
                Some(tx) => self.record_invoices_in(tx, ctx, &parsed).await?,
                None => self.record_valid_invoices(ctx, parsed).await?,
            };
            for (r, rows) in results.iter().zip(&first_rows) {
                match r.status.as_str() {
                    "created" => tally.report.imported += 1,
                    "duplicate" => tally.report.unchanged += 1,
                    "conflict" => {
                        tally.report.invalid_rows += 1;
                        let issue = Issue::new(
                            "conflict",
                            "an invoice with this id was imported with different content",
                            "فاکتوری با این شماره و محتوای دیگر قبلاً ثبت شده است",
                        );
                        tally.error(rows[0], "invoice_id", &issue.at("invoice_id"));
                    }
                    _ => {
                        tally.report.invalid_rows += 1;
                        for e in &r.errors {
                            let (row, column) = locate_invoice_error(&e.field, rows);
                            tally.error(row, &column, e);
                        }
                    }
                }
            }
            if !full {
                break;
            }
        }
        if let Some(tx) = atomic_tx {
            if tally.report.invalid_rows > 0 || atomic_blocked {
                tx.rollback().await?;
                tally.report.rolled_back = true;
                tally.report.imported = 0;
                tally.report.unchanged = 0;
            } else {
                philia_store::commit(tx).await?;
            }
        }
        Ok(())
    }
}

/// Validated rows of a customers, products or categories chunk.
enum Prepared {
    Customers(Vec<philia_domain::customer::CustomerPatch>),
    Catalogue(Vec<philia_domain::catalogue::ValidProduct>, Vec<philia_domain::catalogue::ValidCategory>),
}

/// Validates a chunk, reporting every refused row with its column.
fn prepare(kind: ImportKind, rows: &[Row], source: &str, tally: &mut Tally<'_>) -> Prepared {
    let refuse = |tally: &mut Tally<'_>, row: &Row, errors: Vec<FieldError>| {
        tally.report.invalid_rows += 1;
        for e in errors {
            let column = match e.field.split(['.', '[']).next().unwrap_or("") {
                "external_ids" => "external_id".to_string(),
                other => other.to_string(),
            };
            tally.error(row.number, &column, &e);
        }
    };
    match kind {
        ImportKind::Customers => {
            let mut patches = Vec::with_capacity(rows.len());
            for row in rows {
                match customer_input(row, source).and_then(|i| i.parse().map_err(|e| e.0)) {
                    Ok(p) => patches.push(p),
                    Err(errors) => refuse(tally, row, errors),
                }
            }
            Prepared::Customers(patches)
        }
        ImportKind::Products => {
            let mut products = Vec::with_capacity(rows.len());
            for row in rows {
                match product_input(row).map_err(|e| vec![e]).and_then(|(sku, p)| p.parse(&sku).map_err(|e| e.0)) {
                    Ok(p) => products.push(p),
                    Err(errors) => refuse(tally, row, errors),
                }
            }
            Prepared::Catalogue(products, Vec::new())
        }
        ImportKind::Categories | ImportKind::Invoices => {
            let mut categories = Vec::with_capacity(rows.len());
            for row in rows {
                let input =
                    CategoryInput { name: row.get("name").unwrap_or("").into(), parent: row.get("parent").map(Into::into) };
                match input.parse(row.get("code").unwrap_or("")) {
                    Ok(c) => categories.push(c),
                    Err(e) => refuse(tally, row, e.0),
                }
            }
            Prepared::Catalogue(Vec::new(), categories)
        }
    }
}

fn customer_input(row: &Row, default_source: &str) -> std::result::Result<CustomerInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut boolean = |column: &str| {
        row.get(column).and_then(|v| match parse_bool(v) {
            Ok(b) => Some(b),
            Err(i) => {
                errors.push(i.at(column));
                None
            }
        })
    };
    let sms_opt_in = boolean("sms_opt_in");
    let email_opt_in = boolean("email_opt_in");
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = |c: &str| row.get(c).map(str::to_string);
    Ok(CustomerInput {
        external_ids: row.get("external_id").map(|id| {
            vec![ExternalIdInput { source: row.get("external_source").unwrap_or(default_source).to_string(), id: id.to_string() }]
        }),
        mobile: text("mobile"),
        email: text("email"),
        first_name: text("first_name"),
        last_name: text("last_name"),
        gender: text("gender"),
        birth_date: text("birth_date"),
        province: text("province"),
        city: text("city"),
        address_line: text("address_line"),
        postal_code: text("postal_code"),
        social: None,
        attributes: None,
        tags: row.get("tags").map(split_list),
        interests: row.get("interests").map(split_list),
        sms_opt_in,
        email_opt_in,
    })
}

fn product_input(row: &Row) -> std::result::Result<(String, ProductInput), FieldError> {
    let price = parse_amount(row.get("price").unwrap_or("")).map_err(|i| i.at("price"))?;
    let active = match row.get("active") {
        None => true,
        Some(v) => parse_bool(v).map_err(|i| i.at("active"))?,
    };
    Ok((
        row.get("sku").unwrap_or("").to_string(),
        ProductInput { name: row.get("name").unwrap_or("").into(), category: row.get("category").map(Into::into), price, active },
    ))
}

/// Builds an invoice from its rows (one per line); invoice-level cells come from the first row.
pub(crate) fn invoice_input(rows: &[Row], default_source: &str) -> std::result::Result<InvoiceInput, Vec<FieldError>> {
    let first = &rows[0];
    let mut errors = Vec::new();
    fn amount(row: &Row, column: &str, field: String, errors: &mut Vec<FieldError>) -> Option<i64> {
        row.get(column).and_then(|v| match parse_amount(v) {
            Ok(a) => Some(a),
            Err(issue) => {
                errors.push(issue.at(field));
                None
            }
        })
    }
    let mut lines = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let unit_price = amount(row, "unit_price", format!("lines[{i}].unit_price"), &mut errors);
        let discount = amount(row, "line_discount", format!("lines[{i}].discount"), &mut errors);
        let quantity = match row.get("quantity").map(Quantity::parse) {
            None => None,
            Some(Ok(q)) => Some(q.as_f64()),
            Some(Err(issue)) => {
                errors.push(issue.at(format!("lines[{i}].quantity")));
                None
            }
        };
        if row.get("unit_price").is_none() {
            errors.push(Issue::required().at(format!("lines[{i}].unit_price")));
        }
        lines.push(LineInput {
            sku: row.get("sku").map(Into::into),
            product_name: row.get("product_name").map(Into::into),
            category: row.get("category").map(Into::into),
            quantity,
            unit_price: unit_price.unwrap_or(0),
            discount,
        });
    }
    let discount = amount(first, "invoice_discount", "discount".into(), &mut errors);
    let shipping = amount(first, "shipping", "shipping".into(), &mut errors);
    let total = amount(first, "total", "total".into(), &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let has_customer = ["customer_external_id", "customer_mobile", "customer_email"].iter().any(|c| first.get(c).is_some());
    Ok(InvoiceInput {
        source: Some(first.get("source").unwrap_or(default_source).to_string()),
        external_id: first.get("invoice_id").unwrap_or("").to_string(),
        issued_at: first.get("issued_at").unwrap_or("").to_string(),
        customer: has_customer.then(|| CustomerRefInput {
            id: None,
            external_id: first.get("customer_external_id").map(Into::into),
            mobile: first.get("customer_mobile").map(Into::into),
            email: first.get("customer_email").map(Into::into),
            first_name: None,
            last_name: None,
            name: first.get("customer_name").map(Into::into),
        }),
        channel: Some(first.get("channel").unwrap_or("import").to_string()),
        branch: first.get("branch").map(Into::into),
        status: first.get("status").map(Into::into),
        currency: None,
        lines,
        discount,
        shipping,
        total,
        checkout: None,
    })
}

/// The file row and column a field error of an invoice belongs to.
pub(crate) fn locate_invoice_error(field: &str, rows: &[u64]) -> (u64, String) {
    if let Some(rest) = field.strip_prefix("lines[") {
        let (index, column) = rest.split_once("].").unwrap_or((rest.trim_end_matches(']'), ""));
        let row = index.parse::<usize>().ok().and_then(|i| rows.get(i)).copied().unwrap_or(rows[0]);
        let column = match column {
            "discount" => "line_discount",
            other => other,
        };
        return (row, column.to_string());
    }
    let column = match field {
        "external_id" => "invoice_id",
        "customer.mobile" => "customer_mobile",
        "customer.email" => "customer_email",
        "customer.external_id" => "customer_external_id",
        "customer.name" | "customer.first_name" | "customer.last_name" => "customer_name",
        "discount" => "invoice_discount",
        "lines" => "sku",
        other => other,
    };
    (rows[0], column.to_string())
}

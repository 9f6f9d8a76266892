//! Promotions and discount codes: definitions, bulk generation, validation with reasons,
//! reservation at checkout, redemption with an invoice and release.

use crate::audit::{NOTHING, stored};
use crate::points::{key_reused, unique_as_race};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::discounts::{CartLine, Promotion, PromotionInput, code_space, generate_codes, normalise_code};
use philia_domain::records::PromotionRecord;
use philia_store::Conn;
use philia_store::codes::{CodeRow, PromotionRow, UsageRow};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Most codes one generation may create, and the shortest and longest random part.
pub const MAX_GENERATE: usize = 5_000_000;
const MIN_LENGTH: usize = 4;
const MAX_LENGTH: usize = 20;
/// How long a reservation holds a use of a code.
pub const RESERVATION_MINUTES: i64 = 15;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateInput {
    pub count: usize,
    /// Put before each code, e.g. `YALDA-`.
    pub prefix: Option<String>,
    /// Random characters per code (default 8).
    pub length: Option<usize>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Generated {
    pub created: usize,
    pub prefix: String,
    pub length: usize,
}

/// The verdict on a typed code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct CodeCheck {
    pub code: String,
    pub valid: bool,
    pub promotion: Option<String>,
    /// The discount it gives on the cart (0 when not valid).
    pub discount: i64,
    /// Why not, in English and Persian.
    pub reason: Option<CodeReason>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct CodeReason {
    pub code: String,
    pub message: String,
    pub message_fa: String,
}

impl From<Issue> for CodeReason {
    fn from(i: Issue) -> Self {
        CodeReason { code: i.code.into(), message: i.message, message_fa: i.message_fa }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct Reservation {
    pub id: i64,
    pub code: String,
    pub status: String,
    pub discount: i64,
    pub expires_at: Option<String>,
    pub invoice_id: Option<i64>,
}

fn reservation(u: &UsageRow) -> Reservation {
    Reservation {
        id: u.id,
        code: u.code.clone(),
        status: u.status.clone(),
        discount: u.amount,
        expires_at: u.expires_at.map(philia_store::bulk::ts),
        invoice_id: u.invoice_id,
    }
}

/// A code that passed every check, with what taking a use of it needs.
pub(crate) struct UsableCode {
    pub code: CodeRow,
    pub promotion: Promotion,
    pub code_limit: Option<i64>,
}

fn parse_promotion(row: &PromotionRow, ctx: &TenantContext) -> Result<Promotion> {
    let input: PromotionInput =
        serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("promotion {}: {e}", row.code)))?;
    input.parse(&ctx.zone).map_err(|e| EngineError::Io(format!("promotion {}: {e}", row.code)))
}

fn record(row: &PromotionRow) -> Result<PromotionRecord> {
    let promotion = serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("promotion {}: {e}", row.code)))?;
    Ok(PromotionRecord { id: row.id, promotion, used: row.used })
}

impl Engine {
    pub async fn create_promotion(&self, ctx: &TenantContext, input: &PromotionInput) -> Result<PromotionRecord> {
        let mut tx = self.store.begin_write().await?;
        let made = self.create_promotion_in(&mut tx, ctx, input).await?;
        philia_store::commit(tx).await?;
        Ok(made)
    }

    /// Creates a promotion inside the caller's transaction (a shop's coupon mirrored with its
    /// delivery).
    pub(crate) async fn create_promotion_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        input: &PromotionInput,
    ) -> Result<PromotionRecord> {
        let p = input.parse(&ctx.zone)?;
        let now = now_ms();
        let id = self.store.allocate_ids(conn, 1).await?[0];
        let body = serde_json::to_string(&p.input).expect("a promotion serialises");
        if !self.store.insert_promotion(conn, ctx.id, id, &p.code, &body, p.total_limit, now).await? {
            return Err(EngineError::conflict(
                "code_taken",
                "a promotion with this code exists",
                "طرح تخفیفی با این کد وجود دارد",
            ));
        }
        if let Some(shared) = &p.shared_code
            && self.store.insert_codes(conn, ctx.id, id, vec![shared.clone()], None).await? == 0
        {
            return Err(EngineError::field(
                Issue::new("code_taken", "this code is already in use", "این کد قبلاً استفاده شده است").at("shared_code"),
            ));
        }
        self.audit_in(conn, ctx, "promotion.create", "promotion", &p.code, NOTHING, Some(&stored(&body))).await?;
        record(&PromotionRow { id, code: p.code, body, used: 0 })
    }

    /// Replaces a promotion's rules; its codes and the uses counted so far stay.
    pub async fn update_promotion(&self, ctx: &TenantContext, code: &str, input: &PromotionInput) -> Result<PromotionRecord> {
        let mut tx = self.store.begin_write().await?;
        let changed = self.update_promotion_in(&mut tx, ctx, code, input).await?;
        philia_store::commit(tx).await?;
        Ok(changed)
    }

    pub(crate) async fn update_promotion_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        code: &str,
        input: &PromotionInput,
    ) -> Result<PromotionRecord> {
        let p = input.parse(&ctx.zone)?;
        if p.code != code {
            return Err(EngineError::field(
                Issue::new("code_mismatch", "must match the code in the path", "کد باید با مسیر یکی باشد").at("code"),
            ));
        }
        let row = self.store.promotion_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("promotion"))?;
        let before = parse_promotion(&row, ctx)?;
        if before.shared_code != p.shared_code {
            return Err(EngineError::field(
                Issue::new(
                    "immutable",
                    "a promotion keeps its shared code; create a new promotion for a new code",
                    "کد مشترک طرح قابل تغییر نیست",
                )
                .at("shared_code"),
            ));
        }
        let body = serde_json::to_string(&p.input).expect("a promotion serialises");
        self.store.update_promotion(conn, ctx.id, row.id, &body, p.total_limit, now_ms()).await?;
        self.audit_in(conn, ctx, "promotion.update", "promotion", code, Some(&stored(&row.body)), Some(&stored(&body))).await?;
        record(&PromotionRow { body, ..row })
    }

    /// A stored promotion's rules, when there is one under `code`.
    pub(crate) async fn promotion_input_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        code: &str,
    ) -> Result<Option<PromotionInput>> {
        match self.store.promotion_by_code(conn, ctx.id, code).await? {
            Some(row) => Ok(Some(record(&row)?.promotion)),
            None => Ok(None),
        }
    }

    pub async fn promotions(&self, ctx: &TenantContext) -> Result<Vec<PromotionRecord>> {
        self.store.list_promotions(ctx.id).await?.iter().map(record).collect()
    }

    pub async fn promotion(&self, ctx: &TenantContext, code: &str) -> Result<PromotionRecord> {
        let mut tx = self.store.begin_read().await?;
        record(&self.store.promotion_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("promotion"))?)
    }

    /// Generates `count` unique codes for a promotion in one transaction (all or none).
    pub async fn generate_codes(&self, ctx: &TenantContext, promotion: &str, input: &GenerateInput) -> Result<Generated> {
        let length = input.length.unwrap_or(8);
        let prefix = match input.prefix.as_deref().filter(|p| !p.trim().is_empty()) {
            None => String::new(),
            Some(p) => normalise_code(p).map_err(|i| EngineError::field(i.at("prefix")))?,
        };
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
            return Err(EngineError::field(
                Issue::new(
                    "out_of_range",
                    format!("must be between {MIN_LENGTH} and {MAX_LENGTH}"),
                    format!("بین {MIN_LENGTH} و {MAX_LENGTH}"),
                )
                .at("length"),
            ));
        }
        if prefix.len() > 16 {
            return Err(EngineError::field(Issue::too_long(16).at("prefix")));
        }
        // Keep codes hard to guess: at most one in 1,000 of the possible codes is ever issued.
        if input.count == 0 || input.count > MAX_GENERATE || input.count as f64 > code_space(length) / 1000.0 {
            return Err(EngineError::field(
                Issue::new(
                    "out_of_range",
                    format!(
                        "must be between 1 and {MAX_GENERATE}, and at most a thousandth of the codes {length} characters can make"
                    ),
                    "تعداد کد خارج از محدوده است؛ طول کد را بیشتر کنید",
                )
                .at("count"),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let row = self.store.promotion_by_code(&mut tx, ctx.id, promotion).await?.ok_or(EngineError::NotFound("promotion"))?;
        let mut created = 0usize;
        while created < input.count {
            let want = input.count - created;
            let mut codes = generate_codes(want, &prefix, length, |b| rand::rng().fill_bytes(b));
            // In key order, each insert lands beside the last one in the index instead of on a
            // random page (a million codes on SQLite: 7.6 s unsorted, 3.1 s sorted).
            codes.sort_unstable();
            // Codes that exist already (another promotion's, or an earlier run's) are skipped and drawn again.
            created += self.store.insert_codes(&mut tx, ctx.id, row.id, codes, None).await? as usize;
        }
        let generated = serde_json::json!({ "created": created, "prefix": prefix, "length": length });
        self.audit_in(&mut tx, ctx, "codes.generate", "promotion", promotion, NOTHING, Some(&generated)).await?;
        philia_store::commit(tx).await?;
        Ok(Generated { created, prefix, length })
    }

    /// Every code of a promotion as CSV (`code,customer_id,used`).
    pub async fn codes_csv(&self, ctx: &TenantContext, promotion: &str) -> Result<String> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.promotion_by_code(&mut tx, ctx.id, promotion).await?.ok_or(EngineError::NotFound("promotion"))?;
        drop(tx);
        let mut out = String::from("code,customer_id,used\n");
        let mut after = String::new();
        loop {
            let page = self.store.codes_of_promotion(ctx.id, row.id, &after, 10_000).await?;
            let Some(last) = page.last() else { break };
            after = last.code.clone();
            for c in &page {
                out.push_str(&format!("{},{},{}\n", c.code, c.customer_id.map(|i| i.to_string()).unwrap_or_default(), c.used));
            }
        }
        Ok(out)
    }

    /// Looks a code up and checks everything but whether a use can still be taken; returns the
    /// code, its promotion and the discount on `lines`, or why it cannot be used.
    pub(crate) async fn usable_code(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        typed: &str,
        customer: Option<i64>,
        lines: &[CartLine],
        now: i64,
        reserved: bool,
    ) -> Result<std::result::Result<(UsableCode, i64), Issue>> {
        let Ok(code) = normalise_code(typed) else {
            return Ok(Err(Issue::new("code_unknown", "there is no such code", "چنین کدی وجود ندارد")));
        };
        let Some(row) = self.store.code(conn, ctx.id, &code).await? else {
            return Ok(Err(Issue::new("code_unknown", "there is no such code", "چنین کدی وجود ندارد")));
        };
        let promotion_row = self
            .store
            .promotions_by_ids(conn, ctx.id, &[row.promotion_id])
            .await?
            .pop()
            .ok_or(EngineError::NotFound("promotion"))?;
        let promotion = parse_promotion(&promotion_row, ctx)?;
        if row.customer_id.is_some() && row.customer_id != customer {
            return Ok(Err(Issue::new(
                "code_not_yours",
                "this code belongs to another customer",
                "این کد متعلق به مشتری دیگری است",
            )));
        }
        if row.expires_at.is_some_and(|e| e <= now) {
            return Ok(Err(Issue::new("code_expired", "this code has expired", "مهلت استفاده از این کد تمام شده است")));
        }
        let tier = match customer {
            Some(c) => self.tier_of(conn, ctx, c).await?,
            None => None,
        };
        let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
        if let Some(issue) = promotion.refusal(lines, tier.as_deref(), at) {
            return Ok(Err(issue));
        }
        let shared = promotion.shared_code.as_deref() == Some(code.as_str());
        let code_limit = if shared { None } else { Some(promotion.uses_per_code) };
        let used_up = code_limit.is_some_and(|l| row.used >= l) || promotion.total_limit.is_some_and(|l| promotion_row.used >= l);
        // A reservation already holds one of the uses counted.
        if used_up && !reserved {
            return Ok(Err(Issue::new(
                "code_used_up",
                "this code has been used as often as allowed",
                "ظرفیت استفاده از این کد تمام شده است",
            )));
        }
        if promotion.per_customer_limit.is_some() && customer.is_none() {
            return Ok(Err(Issue::new(
                "code_needs_customer",
                "this code needs a known customer",
                "این کد فقط برای مشتری شناخته‌شده است",
            )));
        }
        let discount = promotion.discount(lines);
        Ok(Ok((UsableCode { code: row, promotion, code_limit }, discount)))
    }

    /// Takes one use of a checked code (the limits decide atomically); a refusal is an error.
    pub(crate) async fn take_use(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        u: &UsableCode,
        customer: Option<i64>,
    ) -> Result<()> {
        let customer_limit = customer.map(|c| (c, u.promotion.per_customer_limit));
        let refused =
            self.store.take_code_use(conn, ctx.id, &u.code.code, u.code_limit, u.code.promotion_id, customer_limit).await?;
        match refused {
            None => Ok(()),
            Some("code_customer_limit") => Err(EngineError::refused(Issue::new(
                "code_customer_limit",
                "you have used this code as often as allowed",
                "سقف استفاده شما از این کد پر شده است",
            ))),
            Some(_) => Err(EngineError::refused(Issue::new(
                "code_used_up",
                "this code has been used as often as allowed",
                "ظرفیت استفاده از این کد تمام شده است",
            ))),
        }
    }

    /// Says whether a code can be used on a cart by a customer, and for how much.
    pub async fn check_code(
        &self,
        ctx: &TenantContext,
        typed: &str,
        customer: Option<i64>,
        lines: &[CartLine],
    ) -> Result<CodeCheck> {
        let mut tx = self.store.begin_read().await?;
        let customer = match customer {
            Some(c) => Some(self.live_customer(&mut tx, ctx, c).await?),
            None => None,
        };
        let code = normalise_code(typed).unwrap_or_else(|_| typed.trim().to_string());
        Ok(match self.usable_code(&mut tx, ctx, typed, customer, lines, now_ms(), false).await? {
            Ok((u, discount)) => CodeCheck { code, valid: true, promotion: Some(u.promotion.code), discount, reason: None },
            Err(issue) => CodeCheck { code, valid: false, promotion: None, discount: 0, reason: Some(issue.into()) },
        })
    }

    /// Reserves a use of a code for a checkout in progress (15 minutes). A retry with the same
    /// key returns the first reservation.
    pub async fn reserve_code(
        &self,
        ctx: &TenantContext,
        typed: &str,
        customer: Option<i64>,
        lines: &[CartLine],
        key: Option<&str>,
        header_key: Option<&str>,
    ) -> Result<(Reservation, bool)> {
        let key = crate::points::idempotency_key(key, header_key)?;
        in_write_tx!(self, |conn| {
            async {
                if let Some(existing) = self.store.usage_by_key(conn, ctx.id, &key).await? {
                    if normalise_code(typed).ok().as_deref() != Some(existing.code.as_str()) {
                        return Err(key_reused());
                    }
                    return Ok((reservation(&existing), false));
                }
                let now = now_ms();
                let customer = match customer {
                    Some(c) => Some(self.live_customer(conn, ctx, c).await?),
                    None => None,
                };
                let (usable, discount) =
                    self.usable_code(conn, ctx, typed, customer, lines, now, false).await?.map_err(EngineError::refused)?;
                self.take_use(conn, ctx, &usable, customer).await?;
                let id = self.store.allocate_ids(conn, 1).await?[0];
                let u = UsageRow {
                    id,
                    code: usable.code.code.clone(),
                    promotion_id: usable.code.promotion_id,
                    customer_id: customer,
                    status: "reserved".into(),
                    invoice_id: None,
                    amount: discount,
                    expires_at: Some(now + RESERVATION_MINUTES * 60_000),
                };
                self.store.insert_code_usage(conn, ctx.id, &u, Some(&key), now).await?;
                Ok((reservation(&u), true))
            }
            .await
            .map_err(unique_as_race)
        })
    }

    /// Releases a reservation (a cancelled checkout): its use is given back.
    pub async fn release_reservation(&self, ctx: &TenantContext, id: i64) -> Result<Reservation> {
        in_write_tx!(self, |conn| {
            async {
                let u = self.store.lock_usage(conn, ctx.id, id).await?.ok_or(EngineError::NotFound("reservation"))?;
                match u.status.as_str() {
                    "released" => Ok(reservation(&u)),
                    "reserved" => {
                        self.store.give_back_code_use(conn, ctx.id, &u).await?;
                        self.store.set_usage(conn, ctx.id, id, "released", None, now_ms()).await?;
                        Ok(Reservation { status: "released".into(), expires_at: None, ..reservation(&u) })
                    }
                    _ => Err(EngineError::conflict(
                        "already_redeemed",
                        "this code was redeemed with an invoice",
                        "این کد با یک فاکتور استفاده شده است",
                    )),
                }
            }
            .await
        })
    }

    /// Gives back the uses of reservations whose time ran out. Returns how many.
    pub async fn release_expired_reservations(&self, now: i64) -> Result<usize> {
        let mut released = 0;
        for (tenant_id, id) in self.store.expired_reservations(now, 1000).await? {
            let ctx = self.tenant_by_id(tenant_id).await?;
            let r = self.release_reservation(&ctx, id).await;
            if matches!(r, Ok(ref r) if r.status == "released") {
                released += 1;
            }
        }
        Ok(released)
    }
}

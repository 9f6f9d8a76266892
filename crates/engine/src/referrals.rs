//! Referrals: joining with a friend's code, and rewarding both when the newcomer's first
//! purchase qualifies. Rewards are earnings of that invoice, so refunding it takes them back.

use crate::points::unknown_point_type;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::invoice::ValidInvoice;
use philia_domain::records::{ReferralInfo, ReferralRecord};
use philia_domain::referrals::{ReferralProgramme, referral_code, referral_customer};
use philia_store::Conn;

const REFERRALS: &str = "referrals";

impl Engine {
    pub async fn referral_programme(&self, ctx: &TenantContext) -> Result<Option<ReferralProgramme>> {
        let mut tx = self.store.begin_read().await?;
        self.load_referrals(&mut tx, ctx).await
    }

    pub(crate) async fn load_referrals(&self, conn: &mut Conn, ctx: &TenantContext) -> Result<Option<ReferralProgramme>> {
        self.load_setting(conn, ctx, REFERRALS).await
    }

    pub async fn set_referral_programme(&self, ctx: &TenantContext, p: &ReferralProgramme) -> Result<ReferralProgramme> {
        p.check()?;
        let mut tx = self.store.begin_write().await?;
        if !self.point_type_map(&mut tx, ctx).await?.contains_key(&p.point_type) {
            return Err(unknown_point_type(&p.point_type));
        }
        self.save_chosen_setting(&mut tx, ctx, REFERRALS, p).await?;
        philia_store::commit(tx).await?;
        Ok(p.clone())
    }

    /// A customer's code and link, who referred them and whom they referred.
    pub async fn referral_info(&self, ctx: &TenantContext, customer_id: i64) -> Result<ReferralInfo> {
        let mut tx = self.store.begin_read().await?;
        let id = self.live_customer(&mut tx, ctx, customer_id).await?;
        let programme = self.load_referrals(&mut tx, ctx).await?;
        let referred_by = self.store.referral_of(&mut tx, ctx.id, id).await?;
        drop(tx);
        let code = referral_code(ctx.id, id);
        Ok(ReferralInfo {
            link: programme.and_then(|p| p.link_base).map(|b| format!("{b}{code}")),
            code,
            referred_by,
            referrals: self.store.referrals_by(ctx.id, id).await?,
        })
    }

    /// Links a new customer to the friend whose code they used. Refused for oneself (also by the
    /// same mobile or email), for a customer already referred, and for a customer who has bought
    /// before (referrals bring new customers).
    pub async fn join_with_code(&self, ctx: &TenantContext, referee: i64, code: &str) -> Result<ReferralRecord> {
        let now = now_ms();
        in_write_tx!(self, |conn| {
            async {
                let referee = self.live_customer(conn, ctx, referee).await?;
                let unknown = || {
                    EngineError::field(
                        Issue::new("unknown_referral_code", "is not a referral code of this club", "کد معرف معتبر نیست")
                            .at("code"),
                    )
                };
                let referrer_id = referral_customer(ctx.id, code).ok_or_else(unknown)?;
                let profiles = self.store.load_profiles(conn, ctx.id, &[referrer_id, referee]).await?;
                let referrer = profiles.get(&referrer_id).filter(|p| p.merged_into.is_none()).ok_or_else(unknown)?;
                let me = &profiles[&referee];
                let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
                if referrer.id == referee || same(&referrer.mobile, &me.mobile) || same(&referrer.email, &me.email) {
                    return Err(EngineError::conflict(
                        "self_referral",
                        "a customer cannot refer themselves",
                        "معرفی خود مجاز نیست",
                    ));
                }
                let stats = self.store.lock_customer_stats(conn, ctx.id, &[referee]).await?;
                if stats.get(&referee).is_some_and(|s| s.invoice_count > 0) {
                    return Err(EngineError::conflict(
                        "not_new",
                        "only customers who have not bought yet can join with a code",
                        "فقط مشتری جدید می‌تواند با کد معرف عضو شود",
                    ));
                }
                if !self.store.insert_referral(conn, ctx.id, referee, referrer_id, now).await? {
                    return Err(EngineError::conflict(
                        "already_referred",
                        "this customer was referred already",
                        "این مشتری قبلاً معرفی شده است",
                    ));
                }
                self.store.referral_of(conn, ctx.id, referee).await?.ok_or(EngineError::NotFound("referral"))
            }
            .await
        })
    }

    /// Decides pending referrals on the first purchases of a batch (inside its transaction);
    /// returns each rewarded referrer with the time and id of the purchase that decided it.
    pub(crate) async fn settle_referrals(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        purchases: &[(i64, i64, &ValidInvoice)],
        now: i64,
    ) -> Result<Vec<(i64, jiff::Timestamp, i64)>> {
        let mut rewarded = Vec::new();
        if purchases.is_empty() {
            return Ok(rewarded);
        }
        let customers: Vec<i64> = purchases.iter().map(|p| p.1).collect();
        let pending = self.store.pending_referrals(conn, ctx.id, &customers).await?;
        if pending.is_empty() {
            return Ok(rewarded);
        }
        let Some(p) = self.load_referrals(conn, ctx).await? else { return Ok(rewarded) };
        let types = self.point_type_map(conn, ctx).await?;
        let (type_id, t) = types.get(&p.point_type).ok_or_else(|| unknown_point_type(&p.point_type))?;
        for (referee, referrer, joined) in pending {
            // The referee's first purchase in this batch decides.
            let Some((invoice_id, _, inv)) = purchases.iter().find(|x| x.1 == referee) else { continue };
            let in_time = p.within_days == 0 || inv.issued_at.as_millisecond() - joined <= p.within_days as i64 * 86_400_000;
            let qualifies = p.enabled && in_time && inv.charged() >= p.min_first_invoice;
            if !qualifies {
                self.store.decide_referral(conn, ctx.id, referee, "not_qualified", Some(*invoice_id), now).await?;
                continue;
            }
            for (who, side, points) in [(referrer, "referrer", p.referrer_points), (referee, "referee", p.referee_points)] {
                if points <= 0 {
                    continue;
                }
                let credit = crate::points::Credit {
                    customer_id: who,
                    point_type_id: *type_id,
                    kind: "earn",
                    points,
                    at: inv.issued_at.as_millisecond(),
                    expires_at: t.expiry.expires_at(inv.issued_at, &ctx.zone, ctx.calendar).map(|x| x.as_millisecond()),
                    source_kind: "invoice",
                    source_id: *invoice_id,
                    ref_entry_id: None,
                    idem_key: format!("referral:{referee}:{side}"),
                    reason: format!("referral ({side})"),
                    actor: None,
                };
                self.credit_lot(conn, ctx, credit, now).await?;
            }
            self.store.decide_referral(conn, ctx.id, referee, "rewarded", Some(*invoice_id), now).await?;
            rewarded.push((referrer, inv.issued_at, *invoice_id));
        }
        Ok(rewarded)
    }
}

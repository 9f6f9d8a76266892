//! Customer profiles: create-or-update by identity, read, search, merge, timeline.

use crate::audit::NOTHING;
use crate::resolve::new_profile;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::customer::{Change, CustomerPatch, IdentityKey};
use philia_domain::invoice::CustomerRef;
use philia_domain::records::{Customer, Event, Invoice};
use philia_domain::rollup::DailyDeltas;
use philia_store::Conn;
pub use philia_store::customers::CustomerFilter;
use philia_store::customers::ProfileRow;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// What happened to one customer record sent for create-or-update.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UpsertOutcome {
    pub customer_id: i64,
    /// True when no existing customer matched and one was created.
    pub created: bool,
    /// True when the stored profile changed.
    pub changed: bool,
    /// Identifiers that belong to another customer: recorded for review, not applied.
    pub conflicting_identifiers: Vec<String>,
}

/// A page of results and the cursor of the next page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn set_text(target: &mut Option<String>, change: &Change<String>) {
    match change {
        Change::Keep => {}
        Change::Clear => *target = None,
        Change::Set(v) => *target = Some(v.clone()),
    }
}

/// Applies a validated patch to a profile; returns the consent changes to log.
fn apply_patch(p: &mut ProfileRow, patch: &CustomerPatch, now: i64) -> Vec<(&'static str, bool)> {
    if let Some(m) = &patch.mobile {
        p.mobile = Some(m.as_str().to_string());
    }
    if let Some(e) = &patch.email {
        p.email = Some(e.as_str().to_string());
    }
    set_text(&mut p.first_name, &patch.first_name);
    set_text(&mut p.last_name, &patch.last_name);
    set_text(&mut p.province, &patch.province);
    set_text(&mut p.city, &patch.city);
    set_text(&mut p.address_line, &patch.address_line);
    set_text(&mut p.postal_code, &patch.postal_code);
    match &patch.gender {
        Change::Keep => {}
        Change::Clear => p.gender = None,
        Change::Set(g) => p.gender = Some(g.as_str().to_string()),
    }
    match &patch.birth_date {
        Change::Keep => {}
        Change::Clear => p.birth_date = None,
        Change::Set(d) => p.birth_date = Some(d.to_string()),
    }
    if let Some(social) = &patch.social {
        p.social = serde_json::to_string(social).unwrap_or_else(|_| "{}".into());
    }
    if let Some(attrs) = &patch.attributes {
        let mut current: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&p.attributes).unwrap_or_default();
        for (k, v) in attrs {
            if v.is_null() {
                current.remove(k);
            } else {
                current.insert(k.clone(), v.clone());
            }
        }
        p.attributes = serde_json::Value::Object(current).to_string();
    }
    if let Some(tags) = &patch.tags {
        p.tags = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
    }
    if let Some(interests) = &patch.interests {
        p.interests = serde_json::to_string(interests).unwrap_or_else(|_| "[]".into());
    }
    let mut consents = Vec::new();
    for (channel, wanted, opt, at) in [
        ("sms", patch.sms_opt_in, &mut p.sms_opt_in, &mut p.sms_consent_at),
        ("email", patch.email_opt_in, &mut p.email_opt_in, &mut p.email_consent_at),
    ] {
        if let Some(w) = wanted
            && *opt != Some(i64::from(w))
        {
            *opt = Some(i64::from(w));
            *at = Some(now);
            consents.push((channel, w));
        }
    }
    consents
}

/// Fills the empty fields of `survivor` from `merged` (a merge keeps the survivor's data first).
fn absorb_profile(survivor: &mut ProfileRow, merged: &ProfileRow) {
    for (s, m) in [
        (&mut survivor.first_name, &merged.first_name),
        (&mut survivor.last_name, &merged.last_name),
        (&mut survivor.gender, &merged.gender),
        (&mut survivor.birth_date, &merged.birth_date),
        (&mut survivor.province, &merged.province),
        (&mut survivor.city, &merged.city),
        (&mut survivor.address_line, &merged.address_line),
        (&mut survivor.postal_code, &merged.postal_code),
        (&mut survivor.mobile, &merged.mobile),
        (&mut survivor.email, &merged.email),
    ] {
        if s.is_none() {
            s.clone_from(m);
        }
    }
    let union = |a: &str, b: &str| {
        let mut list: Vec<String> = serde_json::from_str(a).unwrap_or_default();
        for t in serde_json::from_str::<Vec<String>>(b).unwrap_or_default() {
            if !list.contains(&t) {
                list.push(t);
            }
        }
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
    };
    survivor.tags = union(&survivor.tags, &merged.tags);
    survivor.interests = union(&survivor.interests, &merged.interests);
    for (s, m) in [(&mut survivor.attributes, &merged.attributes), (&mut survivor.social, &merged.social)] {
        let mut base: serde_json::Map<String, serde_json::Value> = serde_json::from_str(s).unwrap_or_default();
        for (k, v) in serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(m).unwrap_or_default() {
            base.entry(k).or_insert(v);
        }
        *s = serde_json::Value::Object(base).to_string();
    }
    if survivor.sms_opt_in.is_none() {
        (survivor.sms_opt_in, survivor.sms_consent_at) = (merged.sms_opt_in, merged.sms_consent_at);
    }
    if survivor.email_opt_in.is_none() {
        (survivor.email_opt_in, survivor.email_consent_at) = (merged.email_opt_in, merged.email_consent_at);
    }
}

impl Engine {
    /// Creates or updates customers by identity, all in one transaction. Each patch attaches to
    /// the customer its identifiers match; identifiers held by another customer are reported and
    /// recorded as conflicts; a patch that matches nobody creates a customer.
    pub async fn upsert_customers(
        &self,
        ctx: &TenantContext,
        source: &str,
        patches: &[CustomerPatch],
    ) -> Result<Vec<UpsertOutcome>> {
        self.upsert_anchored(ctx, source, patches, None).await
    }

    async fn upsert_anchored(
        &self,
        ctx: &TenantContext,
        source: &str,
        patches: &[CustomerPatch],
        anchor: Option<i64>,
    ) -> Result<Vec<UpsertOutcome>> {
        in_write_tx!(self, |conn| self.upsert_in(conn, ctx, source, patches, anchor).await)
    }

    /// `anchor`: the customer every patch belongs to, whatever its identifiers say (update by id).
    pub(crate) async fn upsert_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        source: &str,
        patches: &[CustomerPatch],
        anchor: Option<i64>,
    ) -> Result<Vec<UpsertOutcome>> {
        let now = now_ms();
        let keys: Vec<String> =
            patches.iter().flat_map(|p| p.identities.iter().map(IdentityKey::key)).collect::<BTreeSet<_>>().into_iter().collect();
        let mut owners = self.store.resolve_identities(conn, ctx.id, &keys).await?;
        let known: Vec<i64> = owners.values().copied().chain(anchor).collect::<BTreeSet<_>>().into_iter().collect();
        let mut profiles: HashMap<i64, ProfileRow> = self.store.load_profiles(conn, ctx.id, &known).await?;
        let originals = profiles.clone();
        let mut created: BTreeSet<i64> = BTreeSet::new();
        let mut claims: Vec<(String, i64)> = Vec::new();
        let mut drops: Vec<(i64, &'static str, String)> = Vec::new();
        let mut consents: Vec<(i64, &'static str, bool)> = Vec::new();
        let mut outcomes = Vec::with_capacity(patches.len());
        let fresh_ids = self.store.allocate_ids(conn, patches.len()).await?;
        for (patch, fresh_id) in patches.iter().zip(fresh_ids) {
            let mut candidates: Vec<(u8, i64)> =
                patch.identities.iter().filter_map(|k| owners.get(&k.key()).map(|o| (1 + k.precedence(), *o))).collect();
            candidates.extend(anchor.map(|a| (0, a)));
            candidates.sort();
            let (customer_id, is_new) = match candidates.first() {
                Some(&(_, id)) => (id, false),
                None => (fresh_id, true),
            };
            if is_new {
                profiles.insert(
                    customer_id,
                    new_profile(
                        customer_id,
                        &CustomerRef {
                            id: None,
                            identities: vec![],
                            mobile: None,
                            email: None,
                            first_name: None,
                            last_name: None,
                        },
                        now,
                    ),
                );
                created.insert(customer_id);
            }
            let conflicting: Vec<String> = patch
                .identities
                .iter()
                .map(IdentityKey::key)
                .filter(|k| owners.get(k).is_some_and(|o| *o != customer_id))
                .collect();
            if !conflicting.is_empty() {
                let ids: Vec<i64> = candidates.iter().map(|c| c.1).collect::<BTreeSet<_>>().into_iter().collect();
                let keys: Vec<String> = patch.identities.iter().map(IdentityKey::key).collect();
                self.store.record_identity_conflict(conn, ctx.id, source, &keys, &ids, customer_id, now).await?;
            }
            let profile = profiles.get_mut(&customer_id).ok_or(EngineError::NotFound("customer"))?;
            let mut effective = patch.clone();
            // A conflicting mobile or email stays where it is; the rest of the record still applies.
            if effective.mobile.as_ref().is_some_and(|m| conflicting.contains(&IdentityKey::Mobile(m.clone()).key())) {
                effective.mobile = None;
            }
            if effective.email.as_ref().is_some_and(|e| conflicting.contains(&IdentityKey::Email(e.clone()).key())) {
                effective.email = None;
            }
            let before = (profile.mobile.clone(), profile.email.clone());
            for (channel, opted) in apply_patch(profile, &effective, now) {
                consents.push((customer_id, channel, opted));
            }
            // A customer has one mobile and one email: a new one replaces the old identifier.
            if let (Some(old), Some(new)) = (&before.0, &effective.mobile)
                && old != new.as_str()
            {
                drops.push((customer_id, "m:", IdentityKey::Mobile(new.clone()).key()));
            }
            if let (Some(old), Some(new)) = (&before.1, &effective.email)
                && old != new.as_str()
            {
                drops.push((customer_id, "e:", IdentityKey::Email(new.clone()).key()));
            }
            for k in patch.identities.iter().map(IdentityKey::key) {
                if !owners.contains_key(&k) {
                    owners.insert(k.clone(), customer_id);
                    claims.push((k, customer_id));
                }
            }
            outcomes.push(UpsertOutcome { customer_id, created: is_new, changed: false, conflicting_identifiers: conflicting });
        }
        let claimed = self.store.claim_identities(conn, ctx.id, &claims, now).await?;
        if claimed != claims.len() as u64 {
            return Err(EngineError::Race);
        }
        for (customer_id, prefix, keep) in drops {
            self.store.drop_identities_with_prefix(conn, ctx.id, customer_id, prefix, &keep).await?;
        }
        let new_profiles: Vec<ProfileRow> = created.iter().filter_map(|id| profiles.get(id).cloned()).collect();
        self.store.insert_profiles(conn, ctx.id, &new_profiles).await?;
        let mut changed: BTreeSet<i64> = created.clone();
        for (id, p) in profiles.iter_mut() {
            if created.contains(id) {
                continue;
            }
            if originals.get(id) != Some(p) {
                p.updated_at = now;
                self.store.update_profile(conn, ctx.id, p).await?;
                changed.insert(*id);
            }
        }
        self.store.log_consents(conn, ctx.id, &consents, now).await?;
        // A new city, tag or consent may move a profile into or out of a segment.
        self.segments_in(conn, ctx, &changed.iter().copied().collect::<Vec<_>>()).await?;
        for o in &mut outcomes {
            o.changed = changed.contains(&o.customer_id);
        }
        Ok(outcomes)
    }

    /// Updates one customer by id (fields only; identifiers in the patch are applied the same way
    /// as on create-or-update).
    pub async fn update_customer(&self, ctx: &TenantContext, id: i64, patch: CustomerPatch) -> Result<UpsertOutcome> {
        let current = self.customer(ctx, id).await?;
        let key = current.id.to_string();
        let out = in_write_tx!(self, |conn| async {
            let out = self.upsert_in(conn, ctx, "api", std::slice::from_ref(&patch), Some(current.id)).await?;
            let after = self.store.customer_views(conn, ctx.id, &[current.id]).await?;
            self.audit_in(conn, ctx, "customer.update", "customer", &key, Some(&current), after.first()).await?;
            Ok(out)
        }
        .await)?;
        out.into_iter().next().ok_or(EngineError::NotFound("customer"))
    }

    /// A customer's profile; the id of a customer merged into another finds the survivor.
    pub async fn customer(&self, ctx: &TenantContext, id: i64) -> Result<Customer> {
        let mut tx = self.store.begin_read().await?;
        let profiles = self.store.load_profiles(&mut tx, ctx.id, &[id]).await?;
        let p = profiles.get(&id).ok_or(EngineError::NotFound("customer"))?;
        let effective = p.merged_into.unwrap_or(id);
        let views = self.store.customer_views(&mut tx, ctx.id, &[effective]).await?;
        views.into_iter().next().ok_or(EngineError::NotFound("customer"))
    }

    pub async fn customers_by_ids(&self, ctx: &TenantContext, ids: &[i64]) -> Result<Vec<Customer>> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.customer_views(&mut tx, ctx.id, ids).await?)
    }

    /// Searches customers. `q` matches a mobile or email exactly (in any writing), an external id,
    /// or the start of a first name, last name or full name.
    pub async fn search_customers(
        &self,
        ctx: &TenantContext,
        q: Option<&str>,
        mut filter: CustomerFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<Customer>> {
        let limit = limit.clamp(1, 500);
        let after = parse_cursor(cursor)?;
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            if let Ok(m) = philia_domain::mobile::Mobile::parse(q) {
                filter.identity_keys.push(IdentityKey::Mobile(m).key());
            } else if let Ok(e) = philia_domain::email::Email::parse(q) {
                filter.identity_keys.push(IdentityKey::Email(e).key());
            } else {
                filter.text = Some(philia_domain::digits::ascii_digits(q));
            }
        }
        let ids = self.store.search_customer_ids(ctx.id, &filter, after, limit + 1).await?;
        let next_cursor = (ids.len() as i64 > limit).then(|| ids[limit as usize - 1].to_string());
        let ids = &ids[..ids.len().min(limit as usize)];
        Ok(Page { items: self.customers_by_ids(ctx, ids).await?, next_cursor })
    }

    /// Merges `merged` into `survivor`: all history moves, the merged id keeps resolving to the
    /// survivor, and the merged profile is kept in the merge history.
    pub async fn merge_customers(&self, ctx: &TenantContext, survivor: i64, merged: i64) -> Result<Customer> {
        if survivor == merged {
            return Err(EngineError::field(
                Issue::new("same_customer", "cannot merge a customer into itself", "ادغام مشتری با خودش ممکن نیست")
                    .at("merge_id"),
            ));
        }
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let profiles = self.store.load_profiles(&mut tx, ctx.id, &[survivor, merged]).await?;
        let (Some(s), Some(m)) = (profiles.get(&survivor), profiles.get(&merged)) else {
            return Err(EngineError::NotFound("customer"));
        };
        if s.merged_into.is_some() || m.merged_into.is_some() {
            return Err(EngineError::conflict(
                "already_merged",
                "one of the customers was already merged",
                "یکی از مشتریان قبلاً ادغام شده است",
            ));
        }
        let mut stats = self.store.lock_customer_stats(&mut tx, ctx.id, &[survivor, merged]).await?;
        let s_stats = stats.remove(&survivor).unwrap_or_default();
        let m_stats = stats.remove(&merged).unwrap_or_default();
        let mut combined = s_stats.clone();
        combined.merge(&m_stats);
        let mut deltas = DailyDeltas::default();
        deltas.move_first_purchase(m_stats.first_purchase_day.as_deref(), None);
        deltas.move_first_purchase(s_stats.first_purchase_day.as_deref(), combined.first_purchase_day.as_deref());
        self.store.move_customer_facts(&mut tx, ctx.id, merged, survivor).await?;
        self.store.merge_points(&mut tx, ctx.id, merged, survivor).await?;
        for day in self.store.merge_customer_rollups(&mut tx, ctx.id, merged, survivor).await? {
            deltas.day(&day).active_customers -= 1;
        }
        self.store.write_customer_stats(&mut tx, ctx.id, &[(survivor, combined), (merged, Default::default())]).await?;
        self.store.apply_daily_deltas(&mut tx, ctx.id, &deltas).await?;
        let mut s = s.clone();
        absorb_profile(&mut s, m);
        s.updated_at = now;
        self.store.update_profile(&mut tx, ctx.id, &s).await?;
        self.store.mark_merged(&mut tx, ctx.id, m, survivor, now).await?;
        self.store.resolve_conflicts_of(&mut tx, ctx.id, merged).await?;
        self.evaluate_tiers_in(&mut tx, ctx, &[survivor], philia_domain::tiers::Evaluation::AfterPurchase, "merge", now).await?;
        self.rfm_in(&mut tx, ctx, &[survivor, merged], now).await?;
        self.segments_in(&mut tx, ctx, &[survivor, merged]).await?;
        let merged_note = serde_json::json!({ "merged": merged });
        self.audit_in(&mut tx, ctx, "customer.merge", "customer", &survivor.to_string(), NOTHING, Some(&merged_note)).await?;
        philia_store::commit(tx).await?;
        self.customer(ctx, survivor).await
    }

    /// The activity timeline (SPEC A3): invoices, refunds and events, newest first.
    pub async fn timeline(&self, ctx: &TenantContext, id: i64, limit: i64) -> Result<Vec<TimelineItem>> {
        self.timeline_upto(ctx, id, limit.clamp(1, 500), true).await
    }

    /// The timeline with up to `limit` items of each kind (an export asks for all of them, and
    /// reads the messages on its own, every one of them).
    pub(crate) async fn timeline_upto(
        &self,
        ctx: &TenantContext,
        id: i64,
        limit: i64,
        with_messages: bool,
    ) -> Result<Vec<TimelineItem>> {
        let customer = self.customer(ctx, id).await?;
        let ids = self.store.invoice_ids(ctx.id, Some(customer.id), None, limit).await?;
        let mut tx = self.store.begin_read().await?;
        let invoices = self.store.invoices_by_ids(&mut tx, ctx.id, &ids).await?;
        let mut items: Vec<TimelineItem> = Vec::new();
        for inv in invoices {
            for r in self.store.refunds_of_invoice(&mut tx, ctx.id, inv.id).await? {
                items.push(TimelineItem {
                    at: r.refunded_at.clone(),
                    kind: "refund".into(),
                    refund: Some(r),
                    ..Default::default()
                });
            }
            items.push(TimelineItem {
                at: inv.issued_at.clone(),
                kind: "invoice".into(),
                invoice: Some(inv),
                ..Default::default()
            });
        }
        for e in self.store.customer_events(ctx.id, customer.id, limit).await? {
            items.push(TimelineItem { at: e.occurred_at.clone(), kind: "event".into(), event: Some(e), ..Default::default() });
        }
        for n in self.notes(ctx, customer.id, limit).await? {
            items.push(TimelineItem { at: n.created_at.clone(), kind: "note".into(), note: Some(n), ..Default::default() });
        }
        if with_messages {
            for m in self.message_log(ctx, Some(customer.id), None, None, limit).await? {
                items.push(TimelineItem {
                    at: m.created_at.clone(),
                    kind: "message".into(),
                    message: Some(m),
                    ..Default::default()
                });
            }
        }
        items.sort_by(|a, b| b.at.cmp(&a.at));
        items.truncate(limit as usize);
        Ok(items)
    }
}

/// One entry of a customer's timeline.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TimelineItem {
    pub at: String,
    /// `invoice`, `refund`, `event`, `note` or `message`.
    pub kind: String,
    pub invoice: Option<Invoice>,
    pub refund: Option<philia_domain::records::Refund>,
    pub event: Option<Event>,
    pub note: Option<crate::notes::NoteRecord>,
    /// A message sent (or held, or skipped) to the customer, with its delivery status.
    pub message: Option<crate::message_queue::MessageRecord>,
}

/// A cursor handed out by a list (an id), or a field error naming `cursor`.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>> {
    cursor
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                EngineError::field(
                    Issue::new("invalid_cursor", "is not a cursor from this list", "نشانگر صفحه معتبر نیست").at("cursor"),
                )
            })
        })
        .transpose()
}

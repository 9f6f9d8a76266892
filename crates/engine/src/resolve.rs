//! Identity resolution (SPEC A2) for records that name a customer: invoices and events.
//! A record attaches to the customer its identifiers point at; a record whose identifiers point
//! at different customers attaches to the most specific match and the conflict is recorded for
//! review, never merged silently; a record that matches nobody creates a customer.

use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::invoice::CustomerRef;
use philia_domain::{FieldError, Issue};
use philia_store::Conn;
use philia_store::customers::ProfileRow;
use std::collections::{BTreeSet, HashMap};

/// A fresh profile with the identifiers and name a record carried.
pub(crate) fn new_profile(id: i64, r: &CustomerRef, now: i64) -> ProfileRow {
    ProfileRow {
        id,
        first_name: r.first_name.clone(),
        last_name: r.last_name.clone(),
        mobile: r.mobile.as_ref().map(|m| m.as_str().to_string()),
        email: r.email.as_ref().map(|e| e.as_str().to_string()),
        social: "{}".into(),
        attributes: "{}".into(),
        tags: "[]".into(),
        interests: "[]".into(),
        created_at: now,
        updated_at: now,
        ..Default::default()
    }
}

impl Engine {
    /// Resolves each record's customer inside the caller's transaction, creating customers that do
    /// not exist yet. Returns, per record, the customer id (or `None` for anonymous records) or the
    /// field error of a reference to a customer id that does not exist.
    pub(crate) async fn resolve_customers(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        refs: &[Option<&CustomerRef>],
        source: &str,
        now: i64,
    ) -> Result<Vec<std::result::Result<Option<i64>, FieldError>>> {
        let keys: BTreeSet<String> = refs.iter().flatten().flat_map(|r| r.identities.iter().map(|k| k.key())).collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let mut owners = self.store.resolve_identities(conn, ctx.id, &keys).await?;
        let explicit: Vec<i64> = refs.iter().flatten().filter_map(|r| r.id.map(|i| i.0)).collect();
        let current = self.store.current_customers(conn, ctx.id, &explicit).await?;

        let mut out = Vec::with_capacity(refs.len());
        let mut fresh: Vec<(usize, &CustomerRef)> = Vec::new();
        let mut new_claims: Vec<(String, usize)> = Vec::new();
        let mut extra_claims: Vec<(String, i64)> = Vec::new();
        let mut conflicts: Vec<(Vec<String>, Vec<i64>, i64)> = Vec::new();
        // Customers created earlier in this batch are referred to by a placeholder until ids are drawn.
        let mut pending: HashMap<String, usize> = HashMap::new();
        enum Found {
            Existing(i64),
            Pending(usize),
        }
        let mut found: Vec<Option<Found>> = Vec::with_capacity(refs.len());
        for r in refs {
            let Some(r) = r else {
                found.push(None);
                out.push(Ok(None));
                continue;
            };
            let mut candidates: Vec<(u8, i64)> = Vec::new();
            if let Some(id) = r.id {
                match current.get(&id.0) {
                    Some(&holder) => candidates.push((0, holder)),
                    None => {
                        found.push(None);
                        out.push(Err(Issue::new("unknown_customer", "no customer has this id", "مشتری با این شناسه وجود ندارد")
                            .at("customer.id")));
                        continue;
                    }
                }
            }
            for k in &r.identities {
                if let Some(owner) = owners.get(&k.key()) {
                    candidates.push((1 + k.precedence(), *owner));
                }
            }
            candidates.sort();
            let distinct: BTreeSet<i64> = candidates.iter().map(|c| c.1).collect();
            out.push(Ok(None));
            if let Some(&(_, chosen)) = candidates.first() {
                if distinct.len() > 1 {
                    conflicts.push((r.identities.iter().map(|k| k.key()).collect(), distinct.into_iter().collect(), chosen));
                } else {
                    // Identifiers seen for the first time join the customer: a new external id (the
                    // same person in another system) is the common case.
                    for k in &r.identities {
                        if !owners.contains_key(&k.key()) && matches!(k, philia_domain::customer::IdentityKey::External { .. }) {
                            owners.insert(k.key(), chosen);
                            extra_claims.push((k.key(), chosen));
                        }
                    }
                }
                found.push(Some(Found::Existing(chosen)));
                continue;
            }
            if let Some(slot) = r.identities.iter().find_map(|k| pending.get(&k.key())) {
                found.push(Some(Found::Pending(*slot)));
                continue;
            }
            let slot = fresh.len();
            fresh.push((out.len() - 1, r));
            for k in &r.identities {
                pending.insert(k.key(), slot);
                new_claims.push((k.key(), slot));
            }
            found.push(Some(Found::Pending(slot)));
        }

        let ids = self.store.allocate_ids(conn, fresh.len()).await?;
        let claims: Vec<(String, i64)> = new_claims.iter().map(|(k, slot)| (k.clone(), ids[*slot])).collect();
        let claimed = self.store.claim_identities(conn, ctx.id, &claims, now).await?;
        if claimed != claims.len() as u64 {
            // A concurrent transaction created one of these customers first: start over and find it.
            return Err(EngineError::Race);
        }
        self.store.claim_identities(conn, ctx.id, &extra_claims, now).await?;
        let profiles: Vec<ProfileRow> = fresh.iter().enumerate().map(|(slot, (_, r))| new_profile(ids[slot], r, now)).collect();
        self.store.insert_profiles(conn, ctx.id, &profiles).await?;
        for (keys, customers, chosen) in conflicts {
            self.store.record_identity_conflict(conn, ctx.id, source, &keys, &customers, chosen, now).await?;
        }
        for (slot, f) in out.iter_mut().zip(found) {
            if let Ok(v) = slot {
                *v = match f {
                    None => None,
                    Some(Found::Existing(id)) => Some(id),
                    Some(Found::Pending(s)) => Some(ids[s]),
                };
            }
        }
        Ok(out)
    }

    /// The existing customer a reference points at, without creating one or recording conflicts
    /// (for questions such as a dry run). The most specific identifier wins.
    pub(crate) async fn find_customer(&self, conn: &mut Conn, ctx: &TenantContext, r: &CustomerRef) -> Result<Option<i64>> {
        if let Some(id) = r.id {
            return Ok(self.store.current_customers(conn, ctx.id, &[id.0]).await?.get(&id.0).copied());
        }
        let mut keys = r.identities.clone();
        keys.sort_by_key(|k| k.precedence());
        let owners = self.store.resolve_identities(conn, ctx.id, &keys.iter().map(|k| k.key()).collect::<Vec<_>>()).await?;
        Ok(keys.iter().find_map(|k| owners.get(&k.key()).copied()))
    }
}

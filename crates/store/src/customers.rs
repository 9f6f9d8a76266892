//! Customer profiles: insert, load, update, search.

use crate::Result;
use crate::bulk::{self, Val, ts, ts_opt};
use crate::db::{Conn, Store};
use philia_domain::records::{Consent, Customer, ExternalId};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// Where a customer found by id stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrentCustomer {
    /// Not merged: its own history, with its tier.
    Itself { tier: Option<String> },
    /// Merged into another customer, which holds its history now.
    MergedInto(i64),
}

/// A profile as stored. Structured fields hold JSON text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileRow {
    pub id: i64,
    pub merged_into: Option<i64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub social: String,
    pub attributes: String,
    pub tags: String,
    pub interests: String,
    pub sms_opt_in: Option<i64>,
    pub sms_consent_at: Option<i64>,
    pub email_opt_in: Option<i64>,
    pub email_consent_at: Option<i64>,
    pub tier: Option<String>,
    pub loyalty_class: Option<String>,
    pub rfm_segment: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const PROFILE_COLUMNS: [&str; 25] = [
    "tenant_id",
    "id",
    "merged_into",
    "first_name",
    "last_name",
    "gender",
    "birth_date",
    "province",
    "city",
    "address_line",
    "postal_code",
    "mobile",
    "email",
    "social",
    "attributes",
    "tags",
    "interests",
    "sms_opt_in",
    "sms_consent_at",
    "email_opt_in",
    "email_consent_at",
    "tier",
    "loyalty_class",
    "rfm_segment",
    "created_at",
];

/// Profile columns kept by the loyalty and segment engines.
const DERIVED_COLUMNS: [&str; 3] = ["tier", "loyalty_class", "rfm_segment"];

impl ProfileRow {
    fn values(&self, tenant_id: i64) -> Vec<Val> {
        vec![
            Val::I(tenant_id),
            Val::I(self.id),
            self.merged_into.into(),
            self.first_name.clone().into(),
            self.last_name.clone().into(),
            self.gender.clone().into(),
            self.birth_date.clone().into(),
            self.province.clone().into(),
            self.city.clone().into(),
            self.address_line.clone().into(),
            self.postal_code.clone().into(),
            self.mobile.clone().into(),
            self.email.clone().into(),
            self.social.clone().into(),
            self.attributes.clone().into(),
            self.tags.clone().into(),
            self.interests.clone().into(),
            self.sms_opt_in.into(),
            self.sms_consent_at.into(),
            self.email_opt_in.into(),
            self.email_consent_at.into(),
            self.tier.clone().into(),
            self.loyalty_class.clone().into(),
            self.rfm_segment.clone().into(),
            Val::I(self.created_at),
        ]
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(ProfileRow {
            id: r.try_get("id")?,
            merged_into: r.try_get("merged_into")?,
            first_name: r.try_get("first_name")?,
            last_name: r.try_get("last_name")?,
            gender: r.try_get("gender")?,
            birth_date: r.try_get("birth_date")?,
            province: r.try_get("province")?,
            city: r.try_get("city")?,
            address_line: r.try_get("address_line")?,
            postal_code: r.try_get("postal_code")?,
            mobile: r.try_get("mobile")?,
            email: r.try_get("email")?,
            social: r.try_get("social")?,
            attributes: r.try_get("attributes")?,
            tags: r.try_get("tags")?,
            interests: r.try_get("interests")?,
            sms_opt_in: r.try_get("sms_opt_in")?,
            sms_consent_at: r.try_get("sms_consent_at")?,
            email_opt_in: r.try_get("email_opt_in")?,
            email_consent_at: r.try_get("email_consent_at")?,
            tier: r.try_get("tier")?,
            loyalty_class: r.try_get("loyalty_class")?,
            rfm_segment: r.try_get("rfm_segment")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
}

/// Filters for listing customers; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Free text: matched against names (prefix), and exactly against mobile, email and external ids.
    pub text: Option<String>,
    /// Identity keys any of which the customer must hold (from a parsed mobile/email/external id).
    pub identity_keys: Vec<String>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub gender: Option<String>,
    pub tier: Option<String>,
    pub rfm_segment: Option<String>,
    pub min_invoices: Option<i64>,
    pub min_spend: Option<i64>,
    pub sms_opt_in: Option<bool>,
}

impl Store {
    /// How many live (not merged away) customers a tenant has.
    pub async fn customer_count(&self, tenant_id: i64) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND merged_into IS NULL")
            .bind(tenant_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Inserts new profiles with their tags and empty statistics.
    pub async fn insert_profiles(&self, conn: &mut Conn, tenant_id: i64, profiles: &[ProfileRow]) -> Result<()> {
        let mut columns = PROFILE_COLUMNS.to_vec();
        columns.push("updated_at");
        let rows = profiles
            .iter()
            .map(|p| {
                let mut v = p.values(tenant_id);
                v.push(Val::I(p.updated_at));
                v
            })
            .collect();
        bulk::insert(conn, "customers", &columns, rows, "").await?;
        let stats = profiles.iter().map(|p| [tenant_id, p.id, 0, 0, 0, 0, 0, 0].into_iter().map(Val::I).collect()).collect();
        bulk::insert(conn, "customer_stats", &crate::rollups::STATS_COUNT_COLUMNS, stats, "").await?;
        let tags: Vec<Vec<Val>> = profiles
            .iter()
            .flat_map(|p| p.tag_list().into_iter().map(move |t| vec![Val::I(tenant_id), Val::T(t), Val::I(p.id)]))
            .collect();
        bulk::insert(conn, "customer_tags", &["tenant_id", "tag", "customer_id"], tags, "ON CONFLICT DO NOTHING").await?;
        Ok(())
    }

    /// Loads profiles by id (merged-away profiles included, with `merged_into` set).
    pub async fn load_profiles(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, ProfileRow>> {
        let rows = bulk::select_in(
            conn,
            &format!("SELECT {}, updated_at FROM customers WHERE tenant_id = $1 AND id IN ({{in}})", PROFILE_COLUMNS.join(", ")),
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter().map(|r| ProfileRow::from_row(r).map(|p| (p.id, p))).collect()
    }

    /// The customer `id` as it stands: who holds its history now and, when that is itself, its
    /// tier (read in the same statement; a merged customer's own tier is history).
    pub async fn current_customer(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<CurrentCustomer>> {
        let row = sqlx::query("SELECT merged_into, tier FROM customers WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| {
            let merged_into: Option<i64> = r.try_get(0)?;
            Ok(match merged_into {
                Some(survivor) => CurrentCustomer::MergedInto(survivor),
                None => CurrentCustomer::Itself { tier: r.try_get(1)? },
            })
        })
        .transpose()
    }

    /// For each of `ids` that is a customer, the customer that holds its history now: itself, or
    /// the one it was merged into.
    pub async fn current_customers(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = bulk::select_in(
            conn,
            "SELECT id, merged_into FROM customers WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let merged_into: Option<i64> = r.try_get(1)?;
                Ok((id, merged_into.unwrap_or(id)))
            })
            .collect()
    }

    /// Writes a changed profile back, with its tag index.
    /// Tier, loyalty class and RFM segment are not written here: their own engines own them, and
    /// a profile edit must not put back a value read before they changed it.
    pub async fn update_profile(&self, conn: &mut Conn, tenant_id: i64, p: &ProfileRow) -> Result<()> {
        let mut sets = Vec::new();
        let mut vals = vec![Val::I(tenant_id), Val::I(p.id)];
        for (c, v) in PROFILE_COLUMNS.iter().zip(p.values(tenant_id)).skip(2) {
            if !DERIVED_COLUMNS.contains(c) {
                vals.push(v);
                sets.push(format!("{c} = ${}", vals.len()));
            }
        }
        vals.push(Val::I(p.updated_at));
        let sql =
            format!("UPDATE customers SET {}, updated_at = ${} WHERE tenant_id = $1 AND id = $2", sets.join(", "), vals.len());
        bulk::query(sql, vals).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM customer_tags WHERE tenant_id = $1 AND customer_id = $2")
            .bind(tenant_id)
            .bind(p.id)
            .execute(&mut *conn)
            .await?;
        let tags = p.tag_list().into_iter().map(|t| vec![Val::I(tenant_id), Val::T(t), Val::I(p.id)]).collect();
        bulk::insert(conn, "customer_tags", &["tenant_id", "tag", "customer_id"], tags, "ON CONFLICT DO NOTHING").await?;
        Ok(())
    }

    /// Appends consent changes (customer, channel, opted in) to the consent history.
    pub async fn log_consents(&self, conn: &mut Conn, tenant_id: i64, changes: &[(i64, &str, bool)], at: i64) -> Result<()> {
        let ids = self.allocate_ids(conn, changes.len()).await?;
        let rows = changes
            .iter()
            .zip(ids)
            .map(|((customer, channel, opted), id)| {
                vec![
                    Val::I(tenant_id),
                    Val::I(id),
                    Val::I(*customer),
                    Val::T(channel.to_string()),
                    Val::I(i64::from(*opted)),
                    Val::I(at),
                ]
            })
            .collect();
        bulk::insert(conn, "consent_log", &["tenant_id", "id", "customer_id", "channel", "opted_in", "at"], rows, "").await?;
        Ok(())
    }

    /// One page of customer ids matching `filter`, in id order after `after`.
    pub async fn search_customer_ids(
        &self,
        tenant_id: i64,
        filter: &CustomerFilter,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let mut clauses = vec!["c.tenant_id = $1".to_string(), "c.merged_into IS NULL".to_string()];
        let mut vals = vec![Val::I(tenant_id)];
        let mut next = |v: Val, vals: &mut Vec<Val>| {
            vals.push(v);
            format!("${}", vals.len())
        };
        if let Some(after) = after {
            let p = next(Val::I(after), &mut vals);
            clauses.push(format!("c.id > {p}"));
        }
        let identity_match = |keys: &[String], vals: &mut Vec<Val>, next: &mut dyn FnMut(Val, &mut Vec<Val>) -> String| {
            let ps: Vec<String> = keys.iter().map(|k| next(Val::T(k.clone()), vals)).collect();
            // The keys name a handful of customers: found through the key index, not by testing
            // every customer in id order.
            format!(
                "c.id IN (SELECT i.customer_id FROM customer_identities i WHERE i.tenant_id = $1 AND i.key IN ({}))",
                ps.join(", ")
            )
        };
        if !filter.identity_keys.is_empty() {
            let clause = identity_match(&filter.identity_keys, &mut vals, &mut next);
            clauses.push(clause);
        }
        if let Some(text) = &filter.text {
            let prefix = next(Val::T(format!("{}%", text.to_lowercase())), &mut vals);
            let exact = next(Val::T(text.clone()), &mut vals);
            clauses.push(format!(
                "(LOWER(c.first_name) LIKE {prefix} OR LOWER(c.last_name) LIKE {prefix} \
                 OR LOWER(c.first_name || ' ' || c.last_name) LIKE {prefix} \
                 OR EXISTS (SELECT 1 FROM customer_identities i WHERE i.tenant_id = c.tenant_id AND i.customer_id = c.id \
                            AND i.key LIKE 'x:%' AND SUBSTR(i.key, LENGTH(i.key) - LENGTH({exact}) + 1) = {exact}))"
            ));
        }
        if let Some(tag) = &filter.tag {
            let p = next(Val::T(tag.to_lowercase()), &mut vals);
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM customer_tags t WHERE t.tenant_id = c.tenant_id AND t.customer_id = c.id AND t.tag = {p})"
            ));
        }
        for (column, value) in [
            ("city", &filter.city),
            ("province", &filter.province),
            ("gender", &filter.gender),
            ("tier", &filter.tier),
            ("rfm_segment", &filter.rfm_segment),
        ] {
            if let Some(v) = value {
                let p = next(Val::T(v.clone()), &mut vals);
                clauses.push(format!("c.{column} = {p}"));
            }
        }
        if let Some(opt) = filter.sms_opt_in {
            let p = next(Val::I(i64::from(opt)), &mut vals);
            clauses.push(format!("c.sms_opt_in = {p}"));
        }
        let mut join = String::new();
        if filter.min_invoices.is_some() || filter.min_spend.is_some() {
            join = " JOIN customer_stats s ON s.tenant_id = c.tenant_id AND s.customer_id = c.id".into();
            if let Some(n) = filter.min_invoices {
                let p = next(Val::I(n), &mut vals);
                clauses.push(format!("s.invoice_count >= {p}"));
            }
            if let Some(n) = filter.min_spend {
                let p = next(Val::I(n), &mut vals);
                clauses.push(format!("s.gross_spend - s.refund_total >= {p}"));
            }
        }
        let p = next(Val::I(limit), &mut vals);
        let sql = format!("SELECT c.id FROM customers c{join} WHERE {} ORDER BY c.id LIMIT {p}", clauses.join(" AND "));
        let rows = bulk::query(sql, vals).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Full profiles with identities and statistics, in the order of `ids`.
    pub async fn customer_views(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<Vec<Customer>> {
        let profiles = self.load_profiles(conn, tenant_id, ids).await?;
        let mut identities: HashMap<i64, Vec<ExternalId>> = HashMap::new();
        for (cid, key) in self.identities_of(conn, tenant_id, ids).await? {
            if let Some(rest) = key.strip_prefix("x:")
                && let Some((source, id)) = rest.split_once(':')
            {
                identities.entry(cid).or_default().push(ExternalId { source: source.into(), id: id.into() });
            }
        }
        let mut stats = self.stats_views(conn, tenant_id, ids).await?;
        let erased = self.erasure_times(conn, tenant_id, ids).await?;
        let consent = |opt: Option<i64>, at: Option<i64>| Consent { opted_in: opt.map(|v| v != 0), changed_at: ts_opt(at) };
        Ok(ids
            .iter()
            .filter_map(|id| profiles.get(id))
            .map(|p| Customer {
                id: p.id,
                external_ids: identities.remove(&p.id).unwrap_or_default(),
                mobile: p.mobile.clone(),
                email: p.email.clone(),
                first_name: p.first_name.clone(),
                last_name: p.last_name.clone(),
                gender: p.gender.clone(),
                birth_date: p.birth_date.clone(),
                province: p.province.clone(),
                city: p.city.clone(),
                address_line: p.address_line.clone(),
                postal_code: p.postal_code.clone(),
                social: serde_json::from_str(&p.social).unwrap_or_default(),
                attributes: serde_json::from_str(&p.attributes).unwrap_or_default(),
                tags: p.tag_list(),
                interests: serde_json::from_str(&p.interests).unwrap_or_default(),
                sms_consent: consent(p.sms_opt_in, p.sms_consent_at),
                email_consent: consent(p.email_opt_in, p.email_consent_at),
                tier: p.tier.clone(),
                loyalty_class: p.loyalty_class.clone(),
                rfm_segment: p.rfm_segment.clone(),
                stats: stats.remove(&p.id).unwrap_or_default(),
                created_at: ts(p.created_at),
                updated_at: ts(p.updated_at),
                erased_at: erased.get(&p.id).map(|at| ts(*at)),
            })
            .collect())
    }

    /// Marks `merged` as merged into `survivor`, and points earlier aliases of `merged` at `survivor`.
    pub async fn mark_merged(&self, conn: &mut Conn, tenant_id: i64, merged: &ProfileRow, survivor: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE customers SET merged_into = $3, updated_at = $4 WHERE tenant_id = $1 AND (id = $2 OR merged_into = $2)",
        )
        .bind(tenant_id)
        .bind(merged.id)
        .bind(survivor)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM customer_tags WHERE tenant_id = $1 AND customer_id = $2")
            .bind(tenant_id)
            .bind(merged.id)
            .execute(&mut *conn)
            .await?;
        let id = self.allocate_ids(conn, 1).await?[0];
        let snapshot = serde_json::json!({
            "first_name": merged.first_name, "last_name": merged.last_name, "mobile": merged.mobile, "email": merged.email,
            "gender": merged.gender, "birth_date": merged.birth_date, "city": merged.city, "province": merged.province,
            "attributes": merged.attributes, "tags": merged.tags, "created_at": merged.created_at,
        });
        sqlx::query(
            "INSERT INTO customer_merges (tenant_id, id, survivor_id, merged_id, merged_profile, merged_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(survivor)
        .bind(merged.id)
        .bind(snapshot.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Moves every fact and identity of `from` to `to`.
    pub async fn move_customer_facts(&self, conn: &mut Conn, tenant_id: i64, from: i64, to: i64) -> Result<()> {
        for table in ["invoices", "refunds", "events", "customer_identities", "consent_log", "push_subscriptions"] {
            crate::bulk::dynamic(format!("UPDATE {table} SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2"))
                .bind(tenant_id)
                .bind(from)
                .bind(to)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

//! Earning rules, kept as versions: a change closes the version in force and opens the next, so
//! a fact is always evaluated with the rules of its own time.

use crate::Result;
use crate::bulk::{Val, query, ts, ts_opt};
use crate::db::{Conn, Store};
use philia_domain::records::EarningRuleRecord;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One stored version: the rule's body is the normalised JSON of its input.
#[derive(Debug, Clone)]
pub struct RuleVersion {
    pub rule_id: i64,
    pub version: i64,
    pub trigger: String,
    pub body: String,
    pub effective_from: i64,
    pub effective_until: Option<i64>,
}

const COLUMNS: &str = "rule_id, version, trigger, body, effective_from, effective_until";

fn version(r: &AnyRow) -> Result<RuleVersion> {
    Ok(RuleVersion {
        rule_id: r.try_get("rule_id")?,
        version: r.try_get("version")?,
        trigger: r.try_get("trigger")?,
        body: r.try_get("body")?,
        effective_from: r.try_get("effective_from")?,
        effective_until: r.try_get("effective_until")?,
    })
}

impl RuleVersion {
    pub fn record(&self, now: i64) -> Result<EarningRuleRecord> {
        Ok(EarningRuleRecord {
            id: self.rule_id,
            version: self.version,
            effective_from: ts(self.effective_from),
            effective_until: ts_opt(self.effective_until),
            active: self.effective_until.is_none_or(|u| u > now),
            rule: serde_json::from_str(&self.body).map_err(|e| crate::StoreError::Corrupt(format!("earning rule body: {e}")))?,
        })
    }
}

impl Store {
    pub async fn insert_rule_version(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        v: &RuleVersion,
        actor: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO earning_rules (tenant_id, id, rule_id, version, trigger, body, effective_from, effective_until, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(v.rule_id)
        .bind(v.version)
        .bind(&v.trigger)
        .bind(&v.body)
        .bind(v.effective_from)
        .bind(v.effective_until)
        .bind(now)
        .bind(actor)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The latest version of a rule, locked until commit on PostgreSQL.
    pub async fn lock_latest_rule(&self, conn: &mut Conn, tenant_id: i64, rule_id: i64) -> Result<Option<RuleVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM earning_rules WHERE tenant_id = $1 AND rule_id = $2 ORDER BY version DESC LIMIT 1{}",
            self.lock_suffix()
        );
        query(sql, vec![Val::I(tenant_id), Val::I(rule_id)]).fetch_optional(&mut *conn).await?.map(|r| version(&r)).transpose()
    }

    /// Ends a version at `at` (it stays in the history).
    pub async fn close_rule_version(&self, conn: &mut Conn, tenant_id: i64, rule_id: i64, version: i64, at: i64) -> Result<()> {
        sqlx::query("UPDATE earning_rules SET effective_until = $4 WHERE tenant_id = $1 AND rule_id = $2 AND version = $3")
            .bind(tenant_id)
            .bind(rule_id)
            .bind(version)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Versions of a trigger in force at some instant of [from, to].
    pub async fn rules_in_force(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        trigger: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<RuleVersion>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM earning_rules WHERE tenant_id = $1 AND trigger = $2 AND effective_from <= $4
             AND (effective_until IS NULL OR effective_until > $3) ORDER BY rule_id, version"
        )))
        .bind(tenant_id)
        .bind(trigger)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(version).collect()
    }

    /// The latest version of every rule, or every version of one rule.
    pub async fn rule_versions(&self, tenant_id: i64, rule_id: Option<i64>) -> Result<Vec<RuleVersion>> {
        let sql = match rule_id {
            Some(_) => format!("SELECT {COLUMNS} FROM earning_rules WHERE tenant_id = $1 AND rule_id = $2 ORDER BY version DESC"),
            None => format!(
                "SELECT {COLUMNS} FROM earning_rules r WHERE tenant_id = $1 AND version =
                 (SELECT MAX(version) FROM earning_rules x WHERE x.tenant_id = r.tenant_id AND x.rule_id = r.rule_id) ORDER BY rule_id"
            ),
        };
        let mut vals = vec![Val::I(tenant_id)];
        vals.extend(rule_id.map(Val::I));
        let rows = query(sql, vals).fetch_all(self.pool()).await?;
        rows.iter().map(version).collect()
    }
}

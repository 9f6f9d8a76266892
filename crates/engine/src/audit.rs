//! The audit log (who changed what, when, from what to what) and who a request acts as.

use crate::tenancy::TenantContext;
use crate::{Engine, EngineError, Result, now_ms};
use philia_domain::Issue;
use philia_store::Conn;
use philia_store::audit::{AuditFilter, AuditRow};
use serde::Serialize;

/// Who makes a change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Actor {
    /// Background work and the product's own rules.
    #[default]
    System,
    /// The platform operator (command line or operator token).
    Operator,
    ApiKey {
        id: i64,
        name: String,
    },
    Staff {
        id: i64,
        email: String,
    },
    Customer {
        id: i64,
    },
}

impl Actor {
    /// `staff:12`, `api_key:5`, `customer:9`, `operator`, `system`.
    pub fn key(&self) -> String {
        match self {
            Actor::System => "system".into(),
            Actor::Operator => "operator".into(),
            Actor::ApiKey { id, .. } => format!("api_key:{id}"),
            Actor::Staff { id, .. } => format!("staff:{id}"),
            Actor::Customer { id } => format!("customer:{id}"),
        }
    }

    fn name(&self) -> String {
        match self {
            Actor::ApiKey { name, .. } => name.clone(),
            Actor::Staff { email, .. } => email.clone(),
            _ => String::new(),
        }
    }
}

/// One entry as the API and the panel show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339 instant.
    pub at: String,
    pub actor: String,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// What to look for; every part optional.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `customer`, `reward`, `mission`, …
    pub entity: Option<String>,
    /// The entity's code or id.
    pub key: Option<String>,
    /// `staff:12`, `api_key:5`, `operator`, `system`.
    pub actor: Option<String>,
    /// The start of the action: `reward` finds `reward.create`, `reward.update`, …
    pub action: Option<String>,
    /// First day (Gregorian or Jalali), tenant-local.
    pub from: Option<String>,
    /// Last day, included.
    pub to: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<i64>,
    /// At most 200; default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The cursor of the next (older) page, when there is one.
    pub next: Option<i64>,
}

fn json_of<T: Serialize + ?Sized>(value: Option<&T>) -> Option<String> {
    value.map(|v| serde_json::to_string(v).expect("audit values serialise"))
}

impl Engine {
    /// Records a change inside the transaction that makes it, so the log and the data agree.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit_in<B: Serialize + ?Sized, A: Serialize + ?Sized>(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        action: &str,
        entity: &str,
        key: &str,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<()> {
        let row = AuditRow {
            id: self.store.allocate_ids(conn, 1).await?[0],
            at: now_ms(),
            actor: ctx.actor.key(),
            actor_name: ctx.actor.name(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_key: key.to_string(),
            before: json_of(before),
            after: json_of(after),
        };
        self.store.insert_audit(conn, ctx.id, &row).await?;
        Ok(())
    }

    /// The audit log, newest first, filtered.
    pub async fn audit_log(&self, ctx: &TenantContext, q: &AuditQuery) -> Result<AuditPage> {
        let mut c = philia_domain::issue::Checker::new();
        let day = |d: &Option<String>, field: &str, c: &mut philia_domain::issue::Checker| {
            d.as_deref().and_then(|t| c.check(field, philia_domain::calendar::parse_date(t)))
        };
        let from = day(&q.from, "from", &mut c);
        let to = day(&q.to, "to", &mut c);
        let limit = q.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            c.push(Issue::new("out_of_range", "must be between 1 and 200", "باید بین ۱ و ۲۰۰ باشد").at("limit"));
        }
        c.finish(|| ())?;
        let start_of = |d: jiff::civil::Date| {
            d.to_zoned(ctx.zone.clone()).map(|z| z.timestamp().as_millisecond()).map_err(|e| EngineError::Io(e.to_string()))
        };
        let filter = AuditFilter {
            entity: q.entity.clone().filter(|s| !s.is_empty()),
            entity_key: q.key.clone().filter(|s| !s.is_empty()),
            actor: q.actor.clone().filter(|s| !s.is_empty()),
            action_prefix: q.action.clone().filter(|s| !s.is_empty()),
            from: from.map(start_of).transpose()?,
            to: to.and_then(|d| d.tomorrow().ok()).map(start_of).transpose()?,
            before_id: q.cursor,
            limit: limit + 1,
        };
        let mut rows = self.store.audit_entries(ctx.id, &filter).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        let parse =
            |v: &Option<String>| v.as_deref().map(|t| serde_json::from_str(t).unwrap_or(serde_json::Value::String(t.into())));
        let entries = rows
            .iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: philia_domain::calendar::from_millis(r.at).to_string(),
                actor: r.actor.clone(),
                actor_name: r.actor_name.clone(),
                action: r.action.clone(),
                entity: r.entity.clone(),
                entity_key: r.entity_key.clone(),
                before: parse(&r.before),
                after: parse(&r.after),
            })
            .collect();
        Ok(AuditPage { entries, next })
    }
}

/// A stored JSON body as a value for the log.
pub(crate) fn stored(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.to_string()))
}

/// No value: the "before" of a creation or the "after" of a removal.
pub(crate) const NOTHING: Option<&()> = None;

//! What coalition members owe each other (monthly settlement statements) and what the network
//! does together (SPEC I4). Reports give aggregates only: a figure about fewer than
//! [`MIN_GROUP`] people is left out, so no member learns about another member's customers.

use crate::coalition::network_months;
use crate::tenancy::TenantContext;
use crate::{Engine, Result};
use philia_domain::coalition::{MIN_GROUP, Position, shown, statement};
use philia_store::Conn;
use philia_store::networks::{MemberRow, NetworkRow};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A member's position against one other member.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub tenant: String,
    pub name: String,
    /// Points this member issued that the other took in, and what this member owes for them.
    pub owed_points: i64,
    pub owed_amount: i64,
    /// Points the other issued that this member took in, and what the other owes for them.
    pub due_points: i64,
    pub due_amount: i64,
    /// Positive when the other member owes this one.
    pub net: i64,
}

/// A member's settlement statement for a month of the network's calendar.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub network: String,
    pub tenant: String,
    pub name: String,
    pub month: String,
    pub currency: String,
    pub point_value: i64,
    pub lines: Vec<StatementLine>,
    pub owed_amount: i64,
    pub due_amount: i64,
    /// Positive when the network owes this member on balance.
    pub net: i64,
}

/// A member's figures in a network report; each absent when it covers fewer than the minimum
/// group of people.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberFigures {
    pub tenant: String,
    pub name: String,
    /// People who joined the network at this member.
    pub joined: Option<i64>,
    /// Network people who bought here in the period.
    pub shoppers: Option<i64>,
    /// Of those, people who also bought at another member.
    pub shared: Option<i64>,
    /// Network points issued here (brand points moved to the network) and taken in here.
    pub issued_points: Option<i64>,
    pub taken_points: Option<i64>,
}

/// People who bought at both members in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CrossShopping {
    pub a: String,
    pub b: String,
    pub people: Option<i64>,
}

/// Network points issued by one member and taken in at another in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PointsFlow {
    pub from: String,
    pub to: String,
    pub points: Option<i64>,
    pub amount: Option<i64>,
    pub people: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferFigure {
    pub id: i64,
    pub tenant: String,
    pub title: String,
    pub claims: Option<i64>,
    /// Claimed codes used at the offering member.
    pub used: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NetworkReport {
    pub network: String,
    pub name: String,
    /// The months covered (`1405-09`, or `1405-01..1405-09`).
    pub period: String,
    /// Figures about fewer people than this are left out (null).
    pub min_group: i64,
    /// People who joined the network at any member.
    pub people: Option<i64>,
    /// People who bought at two members or more in the period.
    pub shared_customers: Option<i64>,
    pub members: Vec<MemberFigures>,
    pub cross_shopping: Vec<CrossShopping>,
    pub flows: Vec<PointsFlow>,
    pub offers: Vec<OfferFigure>,
}

fn slug_of(members: &[MemberRow], id: i64) -> (String, String) {
    members.iter().find(|m| m.tenant_id == id).map(|m| (m.tenant_slug.clone(), m.tenant_name.clone())).unwrap_or_default()
}

impl Engine {
    /// A member's settlement statement for a month (default: the current one).
    pub async fn settlement_statement(&self, ctx: &TenantContext, network: &str, month: Option<&str>) -> Result<Statement> {
        let mut conn = self.store.begin_read().await?;
        let (n, m) = self.membership(&mut conn, ctx, network).await?;
        let members = self.store.network_members(&mut conn, n.id).await?;
        self.statement_of(&mut conn, &n, &members, &m, month).await
    }

    /// Every member's statement for a month (the operator's view).
    pub async fn settlement_statements(&self, network: &str, month: Option<&str>) -> Result<Vec<Statement>> {
        let mut conn = self.store.begin_read().await?;
        let n = self.network_row(&mut conn, network).await?;
        let mut out = Vec::new();
        let members = self.store.network_members(&mut conn, n.id).await?;
        for m in &members {
            out.push(self.statement_of(&mut conn, &n, &members, m, month).await?);
        }
        Ok(out)
    }

    async fn statement_of(
        &self,
        conn: &mut Conn,
        n: &NetworkRow,
        members: &[MemberRow],
        m: &MemberRow,
        month: Option<&str>,
    ) -> Result<Statement> {
        let (from, to, label) = network_months(n, month, 1)?;
        let rows = self.store.settlements(conn, n.id, Some(m.tenant_id), from, to).await?;
        let positions: BTreeMap<i64, Position> = statement(m.tenant_id, &rows);
        let lines: Vec<StatementLine> = positions
            .iter()
            .map(|(other, p)| {
                let (tenant, name) = slug_of(members, *other);
                StatementLine {
                    tenant,
                    name,
                    owed_points: p.owed_points,
                    owed_amount: p.owed_amount,
                    due_points: p.due_points,
                    due_amount: p.due_amount,
                    net: p.net(),
                }
            })
            .collect();
        let owed_amount = lines.iter().map(|l| l.owed_amount).sum();
        let due_amount = lines.iter().map(|l| l.due_amount).sum();
        Ok(Statement {
            network: n.slug.clone(),
            tenant: m.tenant_slug.clone(),
            name: m.tenant_name.clone(),
            month: label,
            currency: n.currency.clone(),
            point_value: n.point_value,
            lines,
            owed_amount,
            due_amount,
            net: due_amount - owed_amount,
        })
    }

    /// The network report a member sees: the same aggregates for every member.
    pub async fn network_report(
        &self,
        ctx: &TenantContext,
        network: &str,
        month: Option<&str>,
        months: i32,
    ) -> Result<NetworkReport> {
        let mut conn = self.store.begin_read().await?;
        let (n, _) = self.active_membership(&mut conn, ctx, network).await?;
        self.report_of(&mut conn, &n, month, months).await
    }

    /// The network report for the operator.
    pub async fn operator_network_report(&self, network: &str, month: Option<&str>, months: i32) -> Result<NetworkReport> {
        let mut conn = self.store.begin_read().await?;
        let n = self.network_row(&mut conn, network).await?;
        self.report_of(&mut conn, &n, month, months).await
    }

    async fn report_of(&self, conn: &mut Conn, n: &NetworkRow, month: Option<&str>, months: i32) -> Result<NetworkReport> {
        let (from, to, period) = network_months(n, month, months)?;
        let members: Vec<MemberRow> =
            self.store.network_members(conn, n.id).await?.into_iter().filter(|m| m.status != "invited").collect();
        let joined: BTreeMap<i64, i64> = self.store.joined_per_member(conn, n.id).await?.into_iter().collect();
        let mut brands_of: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (person, tenant) in self.store.network_shoppers(conn, n.id, from, to).await? {
            brands_of.entry(person).or_default().insert(tenant);
        }
        let people = self.store.network_people_count(conn, n.id).await?;
        let shared_customers = brands_of.values().filter(|b| b.len() >= 2).count() as i64;
        let totals = self.store.exchange_totals(conn, n.id, from, to).await?;
        let total = |tenant: i64, direction: &str| {
            totals.iter().find(|t| t.tenant_id == tenant && t.direction == direction).and_then(|t| shown(t.people, t.points))
        };
        let member_figures = members
            .iter()
            .map(|m| {
                let shoppers = brands_of.values().filter(|b| b.contains(&m.tenant_id)).count() as i64;
                let shared = brands_of.values().filter(|b| b.contains(&m.tenant_id) && b.len() >= 2).count() as i64;
                let j = joined.get(&m.tenant_id).copied().unwrap_or(0);
                MemberFigures {
                    tenant: m.tenant_slug.clone(),
                    name: m.tenant_name.clone(),
                    joined: shown(j, j),
                    shoppers: shown(shoppers, shoppers),
                    shared: shown(shared, shared),
                    issued_points: total(m.tenant_id, "to_network"),
                    taken_points: total(m.tenant_id, "to_brand"),
                }
            })
            .collect();
        let mut cross_shopping = Vec::new();
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                let both = brands_of.values().filter(|s| s.contains(&a.tenant_id) && s.contains(&b.tenant_id)).count() as i64;
                cross_shopping.push(CrossShopping {
                    a: a.tenant_slug.clone(),
                    b: b.tenant_slug.clone(),
                    people: shown(both, both),
                });
            }
        }
        let flows = self
            .store
            .network_flows(conn, n.id, from, to)
            .await?
            .into_iter()
            .map(|f| PointsFlow {
                from: slug_of(&members, f.debtor_id).0,
                to: slug_of(&members, f.creditor_id).0,
                points: shown(f.people, f.points),
                amount: shown(f.people, f.amount),
                people: shown(f.people, f.people),
            })
            .collect();
        let figures = self.store.offer_figures(conn, n.id).await?;
        let offers = self
            .store
            .offers(conn, n.id, true)
            .await?
            .into_iter()
            .map(|o| {
                let f = figures.iter().find(|f| f.offer_id == o.id);
                let (claims, used) = f.map(|f| (f.claims, f.used)).unwrap_or((0, 0));
                OfferFigure {
                    id: o.id,
                    tenant: slug_of(&members, o.tenant_id).0,
                    title: o.title,
                    claims: shown(claims, claims),
                    used: shown(used, used),
                }
            })
            .collect();
        Ok(NetworkReport {
            network: n.slug.clone(),
            name: n.name.clone(),
            period,
            min_group: MIN_GROUP,
            people: shown(people, people),
            shared_customers: shown(shared_customers, shared_customers),
            members: member_figures,
            cross_shopping,
            flows,
            offers,
        })
    }
}

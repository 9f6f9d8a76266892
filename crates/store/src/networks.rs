//! Coalition networks: members, the people who joined, network points, exchanges, settlements
//! and offers. The tables hold their network's id rather than a tenant's: a network spans tenants.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use philia_domain::coalition::{NetworkLot, Settlement};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub point_name: String,
    pub point_value: i64,
    pub currency: String,
    pub time_zone: String,
    pub calendar: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub network_id: i64,
    pub tenant_id: i64,
    pub tenant_slug: String,
    pub tenant_name: String,
    /// `invited`, `active` or `left`.
    pub status: String,
    pub rate_own: i64,
    pub rate_network: i64,
    /// The member's point type exchanged with network points (set when it accepts).
    pub point_type: Option<String>,
    pub invited_at: i64,
    pub joined_at: Option<i64>,
    pub left_at: Option<i64>,
}

/// One exchange between a brand's points and network points.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkEntryRow {
    pub id: i64,
    pub mobile: String,
    pub tenant_id: i64,
    pub customer_id: i64,
    /// `to_network` (brand points out, network points issued) or `to_brand`.
    pub direction: String,
    pub points: i64,
    pub own_points: i64,
    pub point_type: String,
    pub idem_key: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OfferRow {
    pub id: i64,
    pub network_id: i64,
    pub tenant_id: i64,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub promotion_code: String,
    pub title: String,
    pub description: Option<String>,
    pub valid_days: i64,
    pub published_at: i64,
    pub withdrawn_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRow {
    pub offer_id: i64,
    pub shown_by_id: i64,
    pub customer_id: i64,
    pub code: String,
    pub claimed_at: i64,
}

/// Figures of one offer: claims, the people who claimed it, and claimed codes used since.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferFigures {
    pub offer_id: i64,
    pub claims: i64,
    pub used: i64,
}

/// A flow between two members over a period: points, their value and the distinct people.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRow {
    pub debtor_id: i64,
    pub creditor_id: i64,
    pub points: i64,
    pub amount: i64,
    pub people: i64,
}

/// Exchanges of one member and direction over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeTotals {
    pub tenant_id: i64,
    pub direction: String,
    pub points: i64,
    pub people: i64,
}

fn network(r: &AnyRow) -> Result<NetworkRow> {
    network_at(r, 0)
}

/// A network whose columns start at `at` (after a member's, in a join).
fn network_at(r: &AnyRow, at: usize) -> Result<NetworkRow> {
    Ok(NetworkRow {
        id: r.try_get(at)?,
        slug: r.try_get(at + 1)?,
        name: r.try_get(at + 2)?,
        point_name: r.try_get(at + 3)?,
        point_value: r.try_get(at + 4)?,
        currency: r.try_get(at + 5)?,
        time_zone: r.try_get(at + 6)?,
        calendar: r.try_get(at + 7)?,
        created_at: r.try_get(at + 8)?,
    })
}

const NETWORK: &str = "SELECT id, slug, name, point_name, point_value, currency, time_zone, calendar, created_at FROM networks";

fn member(r: &AnyRow) -> Result<MemberRow> {
    Ok(MemberRow {
        network_id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        tenant_slug: r.try_get(2)?,
        tenant_name: r.try_get(3)?,
        status: r.try_get(4)?,
        rate_own: r.try_get(5)?,
        rate_network: r.try_get(6)?,
        point_type: r.try_get(7)?,
        invited_at: r.try_get(8)?,
        joined_at: r.try_get(9)?,
        left_at: r.try_get(10)?,
    })
}

const MEMBER: &str = "SELECT m.network_id, m.tenant_id, t.slug, t.name, m.status, m.rate_own, m.rate_network, m.point_type,
        m.invited_at, m.joined_at, m.left_at
     FROM network_members m JOIN tenants t ON t.id = m.tenant_id";

fn offer(r: &AnyRow) -> Result<OfferRow> {
    Ok(OfferRow {
        id: r.try_get(0)?,
        network_id: r.try_get(1)?,
        tenant_id: r.try_get(2)?,
        tenant_slug: r.try_get(3)?,
        tenant_name: r.try_get(4)?,
        promotion_code: r.try_get(5)?,
        title: r.try_get(6)?,
        description: r.try_get(7)?,
        valid_days: r.try_get(8)?,
        published_at: r.try_get(9)?,
        withdrawn_at: r.try_get(10)?,
    })
}

const OFFER: &str =
    "SELECT o.id, o.network_id, o.tenant_id, t.slug, t.name, o.promotion_code, o.title, o.description, o.valid_days,
        o.published_at, o.withdrawn_at
     FROM network_offers o JOIN tenants t ON t.id = o.tenant_id";

fn entry(r: &AnyRow) -> Result<NetworkEntryRow> {
    Ok(NetworkEntryRow {
        id: r.try_get(0)?,
        mobile: r.try_get(1)?,
        tenant_id: r.try_get(2)?,
        customer_id: r.try_get(3)?,
        direction: r.try_get(4)?,
        points: r.try_get(5)?,
        own_points: r.try_get(6)?,
        point_type: r.try_get(7)?,
        idem_key: r.try_get(8)?,
        at: r.try_get(9)?,
    })
}

const ENTRY: &str =
    "SELECT id, mobile, tenant_id, customer_id, direction, points, own_points, point_type, idem_key, at FROM network_entries";

impl Store {
    pub async fn insert_network(&self, conn: &mut Conn, n: &NetworkRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO networks (id, slug, name, point_name, point_value, currency, time_zone, calendar, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(n.id)
        .bind(&n.slug)
        .bind(&n.name)
        .bind(&n.point_name)
        .bind(n.point_value)
        .bind(&n.currency)
        .bind(&n.time_zone)
        .bind(&n.calendar)
        .bind(n.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn networks(&self) -> Result<Vec<NetworkRow>> {
        let rows = bulk::query(format!("{NETWORK} ORDER BY slug"), vec![]).fetch_all(self.pool()).await?;
        rows.iter().map(network).collect()
    }

    pub async fn network_by_slug(&self, conn: &mut Conn, slug: &str) -> Result<Option<NetworkRow>> {
        bulk::query(format!("{NETWORK} WHERE slug = $1"), vec![Val::T(slug.to_string())])
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| network(&r))
            .transpose()
    }

    /// Invites a tenant, or sets the rate of a member already invited or active; a member that
    /// left is invited again.
    pub async fn invite_member(
        &self,
        conn: &mut Conn,
        network_id: i64,
        tenant_id: i64,
        rate: (i64, i64),
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO network_members (network_id, tenant_id, status, rate_own, rate_network, invited_at)
             VALUES ($1, $2, 'invited', $3, $4, $5)
             ON CONFLICT (network_id, tenant_id) DO UPDATE SET rate_own = excluded.rate_own, rate_network = excluded.rate_network,
                status = CASE WHEN network_members.status = 'left' THEN 'invited' ELSE network_members.status END,
                invited_at = CASE WHEN network_members.status = 'left' THEN excluded.invited_at ELSE network_members.invited_at END",
        )
        .bind(network_id)
        .bind(tenant_id)
        .bind(rate.0)
        .bind(rate.1)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Moves a member to `status` (`active` with its point type, or `left`).
    pub async fn set_member_status(
        &self,
        conn: &mut Conn,
        network_id: i64,
        tenant_id: i64,
        status: &str,
        point_type: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE network_members SET status = $3, point_type = COALESCE($4, point_type),
                joined_at = CASE WHEN $3 = 'active' THEN $5 ELSE joined_at END,
                left_at = CASE WHEN $3 = 'left' THEN $5 ELSE NULL END
             WHERE network_id = $1 AND tenant_id = $2",
        )
        .bind(network_id)
        .bind(tenant_id)
        .bind(status)
        .bind(point_type)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn network_members(&self, conn: &mut Conn, network_id: i64) -> Result<Vec<MemberRow>> {
        let rows = bulk::query(format!("{MEMBER} WHERE m.network_id = $1 ORDER BY t.slug"), vec![Val::I(network_id)])
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(member).collect()
    }

    /// The networks a tenant was invited to or belongs to, with its membership.
    pub async fn memberships(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<(NetworkRow, MemberRow)>> {
        let rows = sqlx::query(
            "SELECT m.network_id, m.tenant_id, t.slug, t.name, m.status, m.rate_own, m.rate_network, m.point_type,
                m.invited_at, m.joined_at, m.left_at,
                n.id, n.slug, n.name, n.point_name, n.point_value, n.currency, n.time_zone, n.calendar, n.created_at
             FROM network_members m JOIN tenants t ON t.id = m.tenant_id JOIN networks n ON n.id = m.network_id
             WHERE m.tenant_id = $1 ORDER BY m.network_id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((network_at(r, 11)?, member(r)?))).collect()
    }

    /// Records that a customer joined the network at a brand (their consent to be matched by
    /// mobile across its members), or joined again after leaving.
    pub async fn join_network(
        &self,
        conn: &mut Conn,
        network_id: i64,
        tenant_id: i64,
        customer_id: i64,
        mobile: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO network_joins (network_id, tenant_id, customer_id, mobile, joined_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (network_id, tenant_id, customer_id) DO UPDATE SET mobile = excluded.mobile,
                joined_at = CASE WHEN network_joins.left_at IS NULL THEN network_joins.joined_at ELSE excluded.joined_at END,
                left_at = NULL",
        )
        .bind(network_id)
        .bind(tenant_id)
        .bind(customer_id)
        .bind(mobile)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn leave_network(
        &self,
        conn: &mut Conn,
        network_id: i64,
        tenant_id: i64,
        customer_id: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE network_joins SET left_at = $4 WHERE network_id = $1 AND tenant_id = $2 AND customer_id = $3 AND left_at IS NULL",
        )
        .bind(network_id)
        .bind(tenant_id)
        .bind(customer_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The mobile under which a customer joined the network at this brand, if they have.
    pub async fn joined_as(&self, conn: &mut Conn, network_id: i64, tenant_id: i64, customer_id: i64) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT mobile FROM network_joins WHERE network_id = $1 AND tenant_id = $2 AND customer_id = $3 AND left_at IS NULL",
        )
        .bind(network_id)
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| r.try_get(0).map_err(Into::into)).transpose()
    }

    /// Creates the person's network account if needed and locks it for this transaction;
    /// returns the balance.
    pub async fn lock_network_person(&self, conn: &mut Conn, network_id: i64, mobile: &str, now: i64) -> Result<i64> {
        sqlx::query(
            "INSERT INTO network_people (network_id, mobile, balance, created_at) VALUES ($1, $2, 0, $3)
             ON CONFLICT (network_id, mobile) DO NOTHING",
        )
        .bind(network_id)
        .bind(mobile)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let sql = format!("SELECT balance FROM network_people WHERE network_id = $1 AND mobile = $2{}", self.lock_suffix());
        let row = bulk::query(sql, vec![Val::I(network_id), Val::T(mobile.to_string())]).fetch_one(&mut *conn).await?;
        Ok(row.try_get(0)?)
    }

    pub async fn network_balance(&self, conn: &mut Conn, network_id: i64, mobile: &str) -> Result<i64> {
        let row = sqlx::query("SELECT balance FROM network_people WHERE network_id = $1 AND mobile = $2")
            .bind(network_id)
            .bind(mobile)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    pub async fn add_network_balance(&self, conn: &mut Conn, network_id: i64, mobile: &str, delta: i64) -> Result<()> {
        sqlx::query("UPDATE network_people SET balance = balance + $3 WHERE network_id = $1 AND mobile = $2")
            .bind(network_id)
            .bind(mobile)
            .bind(delta)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The person's lots with points left, oldest first.
    pub async fn network_lots(&self, conn: &mut Conn, network_id: i64, mobile: &str) -> Result<Vec<NetworkLot>> {
        let rows = sqlx::query(
            "SELECT id, issuer_id, remaining FROM network_lots WHERE network_id = $1 AND mobile = $2 AND remaining > 0 ORDER BY id",
        )
        .bind(network_id)
        .bind(mobile)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(NetworkLot { id: r.try_get(0)?, issuer: r.try_get(1)?, remaining: r.try_get(2)? })).collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_network_lot(
        &self,
        conn: &mut Conn,
        network_id: i64,
        id: i64,
        mobile: &str,
        issuer_id: i64,
        entry_id: i64,
        points: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO network_lots (network_id, id, mobile, issuer_id, entry_id, points, remaining, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        )
        .bind(network_id)
        .bind(id)
        .bind(mobile)
        .bind(issuer_id)
        .bind(entry_id)
        .bind(points)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Takes points from lots: `(lot, points taken)`.
    pub async fn take_from_network_lots(&self, conn: &mut Conn, network_id: i64, takes: &[(i64, i64)]) -> Result<()> {
        for (lot, n) in takes {
            sqlx::query("UPDATE network_lots SET remaining = remaining - $3 WHERE network_id = $1 AND id = $2")
                .bind(network_id)
                .bind(lot)
                .bind(n)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    pub async fn insert_network_entry(&self, conn: &mut Conn, network_id: i64, e: &NetworkEntryRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO network_entries (network_id, id, mobile, tenant_id, customer_id, direction, points, own_points,
                point_type, idem_key, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(network_id)
        .bind(e.id)
        .bind(&e.mobile)
        .bind(e.tenant_id)
        .bind(e.customer_id)
        .bind(&e.direction)
        .bind(e.points)
        .bind(e.own_points)
        .bind(&e.point_type)
        .bind(&e.idem_key)
        .bind(e.at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn network_entry_by_key(
        &self,
        conn: &mut Conn,
        network_id: i64,
        tenant_id: i64,
        key: &str,
    ) -> Result<Option<NetworkEntryRow>> {
        bulk::query(
            format!("{ENTRY} WHERE network_id = $1 AND tenant_id = $2 AND idem_key = $3"),
            vec![Val::I(network_id), Val::I(tenant_id), Val::T(key.to_string())],
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| entry(&r))
        .transpose()
    }

    /// A person's latest exchanges across the network, newest first.
    pub async fn network_entries_of(
        &self,
        conn: &mut Conn,
        network_id: i64,
        mobile: &str,
        limit: i64,
    ) -> Result<Vec<NetworkEntryRow>> {
        let rows = bulk::query(
            format!("{ENTRY} WHERE network_id = $1 AND mobile = $2 ORDER BY id DESC LIMIT $3"),
            vec![Val::I(network_id), Val::T(mobile.to_string()), Val::I(limit)],
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(entry).collect()
    }

    pub async fn insert_settlements(
        &self,
        conn: &mut Conn,
        network_id: i64,
        entry_id: i64,
        rows: &[Settlement],
        at: i64,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids = self.allocate_ids(conn, rows.len()).await?;
        let values = rows
            .iter()
            .zip(ids)
            .map(|(s, id)| {
                vec![
                    Val::I(network_id),
                    Val::I(id),
                    Val::I(entry_id),
                    Val::I(s.debtor),
                    Val::I(s.creditor),
                    Val::I(s.points),
                    Val::I(s.amount),
                    Val::I(at),
                ]
            })
            .collect();
        bulk::insert(
            conn,
            "network_settlements",
            &["network_id", "id", "entry_id", "debtor_id", "creditor_id", "points", "amount", "at"],
            values,
            "",
        )
        .await?;
        Ok(())
    }

    /// Settlements in `[from, to)` that involve `tenant_id` (every one when it is `None`).
    pub async fn settlements(
        &self,
        conn: &mut Conn,
        network_id: i64,
        tenant_id: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<Vec<Settlement>> {
        let rows = sqlx::query(
            "SELECT debtor_id, creditor_id, points, amount FROM network_settlements
             WHERE network_id = $1 AND at >= $2 AND at < $3 AND ($4 IS NULL OR debtor_id = $4 OR creditor_id = $4) ORDER BY id",
        )
        .bind(network_id)
        .bind(from)
        .bind(to)
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Settlement { debtor: r.try_get(0)?, creditor: r.try_get(1)?, points: r.try_get(2)?, amount: r.try_get(3)? })
            })
            .collect()
    }

    /// Settled flows between members in `[from, to)`, with the distinct people behind each.
    pub async fn network_flows(&self, conn: &mut Conn, network_id: i64, from: i64, to: i64) -> Result<Vec<FlowRow>> {
        let rows = sqlx::query(
            "SELECT s.debtor_id, s.creditor_id, CAST(SUM(s.points) AS BIGINT), CAST(SUM(s.amount) AS BIGINT),
                CAST(COUNT(DISTINCT e.mobile) AS BIGINT)
             FROM network_settlements s JOIN network_entries e ON e.network_id = s.network_id AND e.id = s.entry_id
             WHERE s.network_id = $1 AND s.at >= $2 AND s.at < $3 GROUP BY s.debtor_id, s.creditor_id ORDER BY s.debtor_id, s.creditor_id",
        )
        .bind(network_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FlowRow {
                    debtor_id: r.try_get(0)?,
                    creditor_id: r.try_get(1)?,
                    points: r.try_get(2)?,
                    amount: r.try_get(3)?,
                    people: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Exchanges per member and direction in `[from, to)`.
    pub async fn exchange_totals(&self, conn: &mut Conn, network_id: i64, from: i64, to: i64) -> Result<Vec<ExchangeTotals>> {
        let rows = sqlx::query(
            "SELECT tenant_id, direction, CAST(SUM(points) AS BIGINT), CAST(COUNT(DISTINCT mobile) AS BIGINT) FROM network_entries
             WHERE network_id = $1 AND at >= $2 AND at < $3 GROUP BY tenant_id, direction ORDER BY tenant_id, direction",
        )
        .bind(network_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExchangeTotals {
                    tenant_id: r.try_get(0)?,
                    direction: r.try_get(1)?,
                    points: r.try_get(2)?,
                    people: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// People who joined at each active member (and have not left).
    pub async fn joined_per_member(&self, conn: &mut Conn, network_id: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT tenant_id, CAST(COUNT(DISTINCT mobile) AS BIGINT) FROM network_joins
             WHERE network_id = $1 AND left_at IS NULL GROUP BY tenant_id",
        )
        .bind(network_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// People who joined the network at some member and have not left everywhere.
    pub async fn network_people_count(&self, conn: &mut Conn, network_id: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COUNT(DISTINCT mobile) AS BIGINT) FROM network_joins WHERE network_id = $1 AND left_at IS NULL",
        )
        .bind(network_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// For every person who joined the network anywhere, each active member where a customer
    /// with their mobile has a sale in `[from, to)`: `(person number, member)`. People are
    /// numbered in this answer only, so no identifier leaves the store.
    pub async fn network_shoppers(&self, conn: &mut Conn, network_id: i64, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.mobile, c.tenant_id
             FROM (SELECT DISTINCT mobile FROM network_joins WHERE network_id = $1 AND left_at IS NULL) p
             JOIN network_members m ON m.network_id = $1 AND m.status = 'active'
             JOIN customers c ON c.tenant_id = m.tenant_id AND c.mobile = p.mobile AND c.merged_into IS NULL
             WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = c.tenant_id AND i.customer_id = c.id
                AND i.status = 'completed' AND i.issued_at >= $2 AND i.issued_at < $3)
             ORDER BY p.mobile",
        )
        .bind(network_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        let mut numbers: std::collections::HashMap<String, i64> = Default::default();
        rows.iter()
            .map(|r| {
                let mobile: String = r.try_get(0)?;
                let next = numbers.len() as i64;
                let person = *numbers.entry(mobile).or_insert(next);
                Ok((person, r.try_get(1)?))
            })
            .collect()
    }

    pub async fn insert_offer(&self, conn: &mut Conn, o: &OfferRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO network_offers (network_id, id, tenant_id, promotion_code, title, description, valid_days, published_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(o.network_id)
        .bind(o.id)
        .bind(o.tenant_id)
        .bind(&o.promotion_code)
        .bind(&o.title)
        .bind(&o.description)
        .bind(o.valid_days)
        .bind(o.published_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Withdraws an offer of `tenant_id`; false when it has no such live offer.
    pub async fn withdraw_offer(&self, conn: &mut Conn, network_id: i64, tenant_id: i64, id: i64, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE network_offers SET withdrawn_at = $4 WHERE network_id = $1 AND tenant_id = $2 AND id = $3 AND withdrawn_at IS NULL",
        )
        .bind(network_id)
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Offers of a network, live ones only unless `all`; newest first.
    pub async fn offers(&self, conn: &mut Conn, network_id: i64, all: bool) -> Result<Vec<OfferRow>> {
        let live = if all { "" } else { " AND o.withdrawn_at IS NULL" };
        let rows = bulk::query(format!("{OFFER} WHERE o.network_id = $1{live} ORDER BY o.id DESC"), vec![Val::I(network_id)])
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(offer).collect()
    }

    pub async fn offer(&self, conn: &mut Conn, network_id: i64, id: i64) -> Result<Option<OfferRow>> {
        bulk::query(format!("{OFFER} WHERE o.network_id = $1 AND o.id = $2"), vec![Val::I(network_id), Val::I(id)])
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| offer(&r))
            .transpose()
    }

    pub async fn offer_claim(&self, conn: &mut Conn, network_id: i64, offer_id: i64, mobile: &str) -> Result<Option<ClaimRow>> {
        let row = sqlx::query(
            "SELECT offer_id, shown_by_id, customer_id, code, claimed_at FROM network_offer_claims
             WHERE network_id = $1 AND offer_id = $2 AND mobile = $3",
        )
        .bind(network_id)
        .bind(offer_id)
        .bind(mobile)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| {
            Ok(ClaimRow {
                offer_id: r.try_get(0)?,
                shown_by_id: r.try_get(1)?,
                customer_id: r.try_get(2)?,
                code: r.try_get(3)?,
                claimed_at: r.try_get(4)?,
            })
        })
        .transpose()
    }

    /// Records a claim; false when the person claimed this offer already (a concurrent claim).
    pub async fn insert_offer_claim(&self, conn: &mut Conn, network_id: i64, mobile: &str, c: &ClaimRow) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO network_offer_claims (network_id, offer_id, mobile, shown_by_id, customer_id, code, claimed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (network_id, offer_id, mobile) DO NOTHING",
        )
        .bind(network_id)
        .bind(c.offer_id)
        .bind(mobile)
        .bind(c.shown_by_id)
        .bind(c.customer_id)
        .bind(&c.code)
        .bind(c.claimed_at)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Claims per offer and how many of the claimed codes have been used at the offering member.
    pub async fn offer_figures(&self, conn: &mut Conn, network_id: i64) -> Result<Vec<OfferFigures>> {
        let rows = sqlx::query(
            "SELECT c.offer_id, CAST(COUNT(*) AS BIGINT),
                CAST(SUM(CASE WHEN d.used > 0 THEN 1 ELSE 0 END) AS BIGINT)
             FROM network_offer_claims c JOIN network_offers o ON o.network_id = c.network_id AND o.id = c.offer_id
             LEFT JOIN discount_codes d ON d.tenant_id = o.tenant_id AND d.code = c.code
             WHERE c.network_id = $1 GROUP BY c.offer_id ORDER BY c.offer_id",
        )
        .bind(network_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(OfferFigures { offer_id: r.try_get(0)?, claims: r.try_get(1)?, used: r.try_get(2)? })).collect()
    }
}

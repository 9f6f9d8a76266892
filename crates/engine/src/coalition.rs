//! Coalition networks (SPEC I1, I3): the operator creates a network and invites brands at an
//! exchange rate; a brand accepts with the point type it exchanges; its customers join (their
//! consent to be known across the network by mobile) and move points between the brand and the
//! network. Each exchange is one transaction over the person's network account and the brand's
//! ledger; taking in points another member issued records what that member owes.

use crate::audit::{Actor, NOTHING};
use crate::points::{Credit, Debit, insufficient_points, key_reused, unique_as_race, unknown_point_type};
use crate::tenancy::TenantContext;
use crate::{Engine, EngineError, Result, now_ms};
use philia_domain::Issue;
use philia_domain::calendar::{CalendarKind, parse_time_zone};
use philia_domain::coalition::{ExchangeRate, NewNetwork, draw, settlements};
use philia_domain::plans::BillingMonth;
use philia_store::Conn;
use philia_store::bulk::ts;
use philia_store::networks::{MemberRow, NetworkEntryRow, NetworkRow};
use serde::{Deserialize, Serialize};

/// A request to create a network.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkInput {
    pub slug: String,
    pub name: String,
    /// What customers call the shared points.
    pub point_name: String,
    /// What one network point is worth in the network's currency: what a member owes for each
    /// point it issued that another member took in.
    pub point_value: i64,
    pub currency: Option<String>,
    pub time_zone: Option<String>,
    pub calendar: Option<String>,
}

/// An invitation (or a new rate for a member).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    /// The brand's slug.
    pub tenant: String,
    /// `OWN:NETWORK`, e.g. `10:1` — ten of the brand's points for one network point.
    pub rate: String,
}

/// A brand's answer to an invitation.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The brand's point type exchanged with network points (default `purchase`).
    pub point_type: Option<String>,
}

/// A customer's exchange.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeInput {
    /// `to_network` (brand points become network points) or `to_brand`.
    pub direction: String,
    /// Network points moved; a whole number of the brand's rate steps.
    pub points: i64,
    /// A retry with the same key returns the first exchange; also the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub tenant: String,
    pub name: String,
    /// `invited`, `active` or `left`.
    pub status: String,
    pub rate: String,
    pub point_type: Option<String>,
    pub invited_at: String,
    pub joined_at: Option<String>,
    pub left_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Network {
    pub slug: String,
    pub name: String,
    pub point_name: String,
    pub point_value: i64,
    pub currency: String,
    pub time_zone: String,
    pub calendar: String,
    pub created_at: String,
    pub members: Vec<Member>,
}

/// A brand's place in a network, as the brand sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub network: String,
    pub name: String,
    pub point_name: String,
    pub point_value: i64,
    pub currency: String,
    pub status: String,
    pub rate: String,
    pub point_type: Option<String>,
    /// The other brands of the network (active ones).
    pub partners: Vec<String>,
}

/// One exchange as its customer sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Exchange {
    pub id: i64,
    pub network: String,
    /// The brand it happened at.
    pub brand: String,
    pub direction: String,
    /// Network points moved.
    pub points: i64,
    /// The brand's points moved.
    pub own_points: i64,
    pub point_type: String,
    pub at: String,
}

/// A network as one of its customers sees it at one brand.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerNetwork {
    pub network: String,
    pub name: String,
    pub point_name: String,
    pub joined: bool,
    /// Network points held (across every brand of the network).
    pub balance: i64,
    /// This brand's rate and point type.
    pub rate: String,
    pub point_type: String,
    /// The brand's points the whole balance would bring here (whole steps of the rate).
    pub worth_here: i64,
    pub partners: Vec<String>,
    pub history: Vec<Exchange>,
}

fn member_view(m: &MemberRow) -> Member {
    Member {
        tenant: m.tenant_slug.clone(),
        name: m.tenant_name.clone(),
        status: m.status.clone(),
        rate: format!("{}:{}", m.rate_own, m.rate_network),
        point_type: m.point_type.clone(),
        invited_at: ts(m.invited_at),
        joined_at: m.joined_at.map(ts),
        left_at: m.left_at.map(ts),
    }
}

fn network_view(n: &NetworkRow, members: &[MemberRow]) -> Network {
    Network {
        slug: n.slug.clone(),
        name: n.name.clone(),
        point_name: n.point_name.clone(),
        point_value: n.point_value,
        currency: n.currency.clone(),
        time_zone: n.time_zone.clone(),
        calendar: n.calendar.clone(),
        created_at: ts(n.created_at),
        members: members.iter().map(member_view).collect(),
    }
}

pub(crate) fn rate_of(m: &MemberRow) -> ExchangeRate {
    ExchangeRate { own: m.rate_own, network: m.rate_network }
}

fn not_joined() -> EngineError {
    EngineError::conflict(
        "not_joined",
        "the customer has not joined this network at this brand",
        "مشتری در این فروشگاه به شبکه نپیوسته است",
    )
}

/// The first and last instants (ms, end exclusive) of `months` months ending with `month` (the
/// current month when absent) in the network's calendar and time zone, and the months' label.
pub(crate) fn network_months(n: &NetworkRow, month: Option<&str>, months: i32) -> Result<(i64, i64, String)> {
    let calendar = CalendarKind::parse(&n.calendar).unwrap_or(CalendarKind::Jalali);
    let zone = parse_time_zone(&n.time_zone).map_err(|e| EngineError::Io(format!("network {}: {}", n.slug, e.message)))?;
    let last = match month {
        Some(text) => BillingMonth::parse(text, calendar).map_err(|e| EngineError::field(e.at("month")))?,
        None => BillingMonth::of(philia_domain::calendar::local_day(jiff::Timestamp::now(), &zone), calendar),
    };
    if !(1..=24).contains(&months) {
        return Err(EngineError::field(Issue::new("out_of_range", "must be from 1 to 24", "باید از ۱ تا ۲۴ باشد").at("months")));
    }
    let first = last.plus(1 - months);
    let start = |d: jiff::civil::Date| d.to_zoned(zone.clone()).map(|z| z.timestamp().as_millisecond());
    let from = start(first.days().0).map_err(|e| EngineError::Io(e.to_string()))?;
    let to = start(last.days().1.tomorrow().map_err(|e| EngineError::Io(e.to_string()))?)
        .map_err(|e| EngineError::Io(e.to_string()))?;
    let label = if months == 1 { last.label() } else { format!("{}..{}", first.label(), last.label()) };
    Ok((from, to, label))
}

impl Engine {
    /// Creates a network (the operator's).
    pub async fn create_network(&self, input: &NetworkInput) -> Result<Network> {
        let n = NewNetwork::parse(
            &input.slug,
            &input.name,
            &input.point_name,
            input.point_value,
            input.currency.as_deref(),
            input.time_zone.as_deref(),
            input.calendar.as_deref(),
        )?;
        let mut tx = self.store.begin_write().await?;
        if self.store.network_by_slug(&mut tx, n.slug.as_str()).await?.is_some() {
            return Err(EngineError::field(
                Issue::new("taken", "a network with this slug exists", "شبکه‌ای با این شناسه وجود دارد").at("slug"),
            ));
        }
        let row = NetworkRow {
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            slug: n.slug.as_str().to_string(),
            name: n.name,
            point_name: n.point_name,
            point_value: n.point_value,
            currency: n.currency,
            time_zone: n.time_zone,
            calendar: n.calendar.as_str().to_string(),
            created_at: now_ms(),
        };
        self.store.insert_network(&mut tx, &row).await?;
        philia_store::commit(tx).await?;
        Ok(network_view(&row, &[]))
    }

    pub async fn networks(&self) -> Result<Vec<Network>> {
        let mut conn = self.store.begin_read().await?;
        let mut out = Vec::new();
        for n in self.store.networks().await? {
            let members = self.store.network_members(&mut conn, n.id).await?;
            out.push(network_view(&n, &members));
        }
        Ok(out)
    }

    pub async fn network(&self, slug: &str) -> Result<Network> {
        let mut conn = self.store.begin_read().await?;
        let n = self.network_row(&mut conn, slug).await?;
        let members = self.store.network_members(&mut conn, n.id).await?;
        Ok(network_view(&n, &members))
    }

    pub(crate) async fn network_row(&self, conn: &mut Conn, slug: &str) -> Result<NetworkRow> {
        self.store.network_by_slug(conn, slug.trim()).await?.ok_or(EngineError::NotFound("network"))
    }

    /// Invites a brand at a rate, or sets a member's rate (the operator's). The brand must keep
    /// its books in the network's currency, so that settlements are in one money.
    pub async fn invite_to_network(&self, network: &str, input: &InviteInput) -> Result<Network> {
        let rate = ExchangeRate::parse(&input.rate).map_err(|i| EngineError::field(i.at("rate")))?;
        let ctx = self
            .tenant(input.tenant.trim())
            .await
            .map_err(|_| EngineError::field(Issue::new("unknown_tenant", "no such brand", "چنین برندی وجود ندارد").at("tenant")))?
            .acting_as(Actor::Operator);
        let mut tx = self.store.begin_write().await?;
        let n = self.network_row(&mut tx, network).await?;
        if ctx.currency != n.currency {
            return Err(EngineError::field(
                Issue::new(
                    "currency_mismatch",
                    format!("the brand keeps its books in {}, the network in {}", ctx.currency, n.currency),
                    format!("ارز برند {} و ارز شبکه {} است", ctx.currency, n.currency),
                )
                .at("tenant"),
            ));
        }
        let before = self.store.network_members(&mut tx, n.id).await?.into_iter().find(|m| m.tenant_id == ctx.id);
        self.store.invite_member(&mut tx, n.id, ctx.id, (rate.own, rate.network), now_ms()).await?;
        let members = self.store.network_members(&mut tx, n.id).await?;
        let after = members.iter().find(|m| m.tenant_id == ctx.id).map(member_view);
        self.audit_in(
            &mut tx,
            &ctx,
            "network.invite",
            "network",
            &n.slug,
            before.as_ref().map(member_view).as_ref(),
            after.as_ref(),
        )
        .await?;
        philia_store::commit(tx).await?;
        Ok(network_view(&n, &members))
    }

    /// The networks a brand was invited to or belongs to.
    pub async fn memberships(&self, ctx: &TenantContext) -> Result<Vec<Membership>> {
        let mut conn = self.store.begin_read().await?;
        let mut out = Vec::new();
        for (n, m) in self.store.memberships(&mut conn, ctx.id).await? {
            let partners = self
                .store
                .network_members(&mut conn, n.id)
                .await?
                .into_iter()
                .filter(|p| p.status == "active" && p.tenant_id != ctx.id)
                .map(|p| p.tenant_name)
                .collect();
            out.push(Membership {
                network: n.slug,
                name: n.name,
                point_name: n.point_name,
                point_value: n.point_value,
                currency: n.currency,
                status: m.status,
                rate: format!("{}:{}", m.rate_own, m.rate_network),
                point_type: m.point_type,
                partners,
            });
        }
        Ok(out)
    }

    /// The brand's membership of a network it was invited to; NotFound for a network that never
    /// invited it, so other brands' networks stay unknown.
    pub(crate) async fn membership(&self, conn: &mut Conn, ctx: &TenantContext, slug: &str) -> Result<(NetworkRow, MemberRow)> {
        let n = self.network_row(conn, slug).await?;
        let m = self
            .store
            .network_members(conn, n.id)
            .await?
            .into_iter()
            .find(|m| m.tenant_id == ctx.id)
            .ok_or(EngineError::NotFound("network"))?;
        Ok((n, m))
    }

    /// An active membership, or a refusal naming the state it is in.
    pub(crate) async fn active_membership(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        slug: &str,
    ) -> Result<(NetworkRow, MemberRow)> {
        let (n, m) = self.membership(conn, ctx, slug).await?;
        if m.status != "active" {
            return Err(EngineError::conflict(
                "not_a_member",
                format!("this brand's membership of the network is {}", m.status),
                "این برند عضو فعال این شبکه نیست",
            ));
        }
        Ok((n, m))
    }

    /// Accepts an invitation with the point type the brand exchanges.
    pub async fn accept_network(&self, ctx: &TenantContext, network: &str, input: &AcceptInput) -> Result<Membership> {
        let code = input.point_type.as_deref().map(str::trim).filter(|c| !c.is_empty()).unwrap_or("purchase").to_lowercase();
        let mut tx = self.store.begin_write().await?;
        let (n, m) = self.membership(&mut tx, ctx, network).await?;
        if m.status != "invited" {
            return Err(EngineError::conflict(
                "not_invited",
                format!("there is no open invitation (the membership is {})", m.status),
                "دعوت بازی برای این شبکه نیست",
            ));
        }
        let types = self.point_type_map(&mut tx, ctx).await?;
        let (_, t) = types.get(&code).ok_or_else(|| unknown_point_type(&code).within_field("point_type"))?;
        if !t.spendable {
            return Err(EngineError::field(
                Issue::new("not_spendable", "must be a point type customers can spend", "باید نوع امتیاز قابل خرج باشد")
                    .at("point_type"),
            ));
        }
        self.store.set_member_status(&mut tx, n.id, ctx.id, "active", Some(&code), now_ms()).await?;
        let after = serde_json::json!({"status": "active", "point_type": code});
        self.audit_in(&mut tx, ctx, "network.accept", "network", &n.slug, Some(&member_view(&m)), Some(&after)).await?;
        philia_store::commit(tx).await?;
        self.memberships(ctx).await?.into_iter().find(|x| x.network == n.slug).ok_or(EngineError::NotFound("network"))
    }

    /// Leaves a network (or declines an invitation). Network points the brand issued stay
    /// with their holders and may still be taken in at other members, which the brand settles.
    pub async fn leave_network(&self, ctx: &TenantContext, network: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let (n, m) = self.membership(&mut tx, ctx, network).await?;
        if m.status == "left" {
            return Ok(());
        }
        self.store.set_member_status(&mut tx, n.id, ctx.id, "left", None, now_ms()).await?;
        self.audit_in(&mut tx, ctx, "network.leave", "network", &n.slug, Some(&member_view(&m)), NOTHING).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    /// The networks a customer can join at this brand, with their balance and latest exchanges.
    pub async fn customer_networks(&self, ctx: &TenantContext, customer_id: i64) -> Result<Vec<CustomerNetwork>> {
        let mut conn = self.store.begin_read().await?;
        let customer = self.live_customer(&mut conn, ctx, customer_id).await?;
        let mut out = Vec::new();
        for (n, m) in self.store.memberships(&mut conn, ctx.id).await? {
            if m.status != "active" {
                continue;
            }
            let members = self.store.network_members(&mut conn, n.id).await?;
            let name_of = |id: i64| members.iter().find(|x| x.tenant_id == id).map(|x| x.tenant_name.clone()).unwrap_or_default();
            let mobile = self.store.joined_as(&mut conn, n.id, ctx.id, customer).await?;
            let (balance, history) = match &mobile {
                Some(mobile) => (
                    self.store.network_balance(&mut conn, n.id, mobile).await?,
                    self.store.network_entries_of(&mut conn, n.id, mobile, 20).await?,
                ),
                None => (0, vec![]),
            };
            let rate = rate_of(&m);
            out.push(CustomerNetwork {
                network: n.slug.clone(),
                name: n.name.clone(),
                point_name: n.point_name.clone(),
                joined: mobile.is_some(),
                balance,
                rate: rate.to_string(),
                point_type: m.point_type.clone().unwrap_or_default(),
                worth_here: balance / rate.network * rate.own,
                partners: members
                    .iter()
                    .filter(|p| p.status == "active" && p.tenant_id != ctx.id)
                    .map(|p| p.tenant_name.clone())
                    .collect(),
                history: history.iter().map(|e| exchange_view(&n, e, name_of(e.tenant_id))).collect(),
            });
        }
        Ok(out)
    }

    /// The customer joins the network at this brand: their consent to be known by their mobile
    /// across the network's brands. Needs a mobile on the profile.
    pub async fn join_network(&self, ctx: &TenantContext, customer_id: i64, network: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let (n, _) = self.active_membership(&mut tx, ctx, network).await?;
        let customer = self.live_customer(&mut tx, ctx, customer_id).await?;
        let profiles = self.store.load_profiles(&mut tx, ctx.id, &[customer]).await?;
        let mobile = profiles.get(&customer).and_then(|p| p.mobile.clone()).ok_or_else(|| {
            EngineError::conflict(
                "no_mobile",
                "a network knows its members by mobile; add one to the profile first",
                "شبکه اعضا را با شماره همراه می‌شناسد؛ ابتدا شماره همراه را ثبت کنید",
            )
        })?;
        self.store.join_network(&mut tx, n.id, ctx.id, customer, &mobile, now_ms()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    /// Withdraws the customer's consent at this brand: no more exchanges here. Points held stay.
    pub async fn leave_network_as_customer(&self, ctx: &TenantContext, customer_id: i64, network: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let (n, _) = self.membership(&mut tx, ctx, network).await?;
        let customer = self.live_customer(&mut tx, ctx, customer_id).await?;
        self.store.leave_network(&mut tx, n.id, ctx.id, customer, now_ms()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    /// Moves points between the brand and the network. All or nothing; a retry with the same
    /// key returns the first exchange (`false`: nothing new was written).
    pub async fn exchange_points(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        network: &str,
        input: &ExchangeInput,
        header_key: Option<&str>,
    ) -> Result<(Exchange, bool)> {
        let to_network = match input.direction.trim() {
            "to_network" => true,
            "to_brand" => false,
            _ => return Err(EngineError::field(Issue::one_of(&["to_network", "to_brand"]).at("direction"))),
        };
        let key = crate::points::idempotency_key(input.idempotency_key.as_deref(), header_key)?;
        in_write_tx!(self, |conn| self
            .exchange_in(conn, ctx, customer_id, network, to_network, input.points, &key)
            .await
            .map_err(unique_as_race))
    }

    #[allow(clippy::too_many_arguments)]
    async fn exchange_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer_id: i64,
        network: &str,
        to_network: bool,
        points: i64,
        key: &str,
    ) -> Result<(Exchange, bool)> {
        let now = now_ms();
        let (n, m) = self.active_membership(conn, ctx, network).await?;
        let customer = self.live_customer(conn, ctx, customer_id).await?;
        let rate = rate_of(&m);
        let own = rate.own_for(points).map_err(|i| EngineError::field(i.at("points")))?;
        let direction = if to_network { "to_network" } else { "to_brand" };
        if let Some(e) = self.store.network_entry_by_key(conn, n.id, ctx.id, key).await? {
            if e.customer_id != customer || e.direction != direction || e.points != points {
                return Err(key_reused());
            }
            return Ok((exchange_view(&n, &e, ctx.name.clone()), false));
        }
        let mobile = self.store.joined_as(conn, n.id, ctx.id, customer).await?.ok_or_else(not_joined)?;
        // The person's account first, then the brand's: every exchange locks in this order.
        self.store.lock_network_person(conn, n.id, &mobile, now).await?;
        let code = m.point_type.clone().unwrap_or_else(|| "purchase".into());
        let types = self.point_type_map(conn, ctx).await?;
        let (type_id, point_type) = types.get(&code).ok_or_else(|| unknown_point_type(&code))?;
        let entry_id = self.store.allocate_ids(conn, 1).await?[0];
        let ledger_key = format!("network:{}:{key}", n.id);
        if to_network {
            let mut open = self.open_account(conn, ctx, customer, *type_id, now).await?;
            let takes = open.acc.spend(own, now).map_err(|short| insufficient_points(short.available))?;
            let debit = Debit {
                kind: "transfer",
                points: own,
                takes,
                debt_added: 0,
                at: now,
                source_kind: "network",
                source_id: Some(entry_id),
                ref_entry_id: None,
                idem_key: Some(ledger_key),
                reason: Some(format!("{points} {} ({})", n.point_name, n.name)),
                actor: None,
            };
            self.record_debit(conn, ctx, &mut open, debit, now).await?;
            self.close_account(conn, ctx, open).await?;
            let lot = self.store.allocate_ids(conn, 1).await?[0];
            self.store.insert_network_lot(conn, n.id, lot, &mobile, ctx.id, entry_id, points, now).await?;
            self.store.add_network_balance(conn, n.id, &mobile, points).await?;
        } else {
            let lots = self.store.network_lots(conn, n.id, &mobile).await?;
            let takes = draw(&lots, points).map_err(|short| {
                EngineError::conflict(
                    "insufficient_points",
                    format!("only {} {} are held", short.available, n.point_name),
                    format!("فقط {} {} موجود است", short.available, n.point_name),
                )
            })?;
            let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
            let credit = Credit {
                customer_id: customer,
                point_type_id: *type_id,
                kind: "transfer",
                points: own,
                at: now,
                expires_at: point_type.expiry.expires_at(at, &ctx.zone, ctx.calendar).map(|x| x.as_millisecond()),
                source_kind: "network",
                source_id: entry_id,
                ref_entry_id: None,
                idem_key: ledger_key,
                reason: format!("{points} {} ({})", n.point_name, n.name),
                actor: None,
            };
            self.credit_lot(conn, ctx, credit, now).await?;
            let drawn: Vec<(i64, i64)> = takes.iter().map(|(lot, _, n)| (*lot, *n)).collect();
            self.store.take_from_network_lots(conn, n.id, &drawn).await?;
            self.store.add_network_balance(conn, n.id, &mobile, -points).await?;
            self.store.insert_settlements(conn, n.id, entry_id, &settlements(&takes, ctx.id, n.point_value), now).await?;
        }
        let entry = NetworkEntryRow {
            id: entry_id,
            mobile,
            tenant_id: ctx.id,
            customer_id: customer,
            direction: direction.into(),
            points,
            own_points: own,
            point_type: code,
            idem_key: key.to_string(),
            at: now,
        };
        self.store.insert_network_entry(conn, n.id, &entry).await?;
        Ok((exchange_view(&n, &entry, ctx.name.clone()), true))
    }
}

fn exchange_view(n: &NetworkRow, e: &NetworkEntryRow, brand: String) -> Exchange {
    Exchange {
        id: e.id,
        network: n.slug.clone(),
        brand,
        direction: e.direction.clone(),
        points: e.points,
        own_points: e.own_points,
        point_type: e.point_type.clone(),
        at: ts(e.at),
    }
}

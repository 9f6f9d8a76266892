//! Coalition networks for the owner and admins (SPEC I1–I4): invitations to accept with the
//! point type exchanged, each network's settlement statement for a month, the shared report
//! (aggregates only), and the offers this brand publishes to its partners' clubs.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::forms::{FormState, SavedQuery, number};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;
use philia_engine::coalition::{AcceptInput, Membership};
use philia_engine::coalition_offers::OfferInput;
use philia_engine::coalition_reports::NetworkReport;
use serde::Deserialize;

fn status_text(v: &View, status: &str) -> &'static str {
    v.t(match status {
        "invited" => T::Invited,
        "active" => T::Active,
        _ => T::LeftNetwork,
    })
}

/// A figure about a group under the minimum size shows as "fewer than 10".
fn figure(v: &View, value: Option<i64>, min: i64) -> String {
    value.map_or_else(|| format!("{} {}", v.t(T::FewerThan), v.num(min)), |n| v.num(n))
}

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let ctx = staff.ctx();
    let (memberships, types) = tokio::try_join!(state.engine.memberships(ctx), state.engine.point_types(ctx))?;
    let body = html! {
        @if q.is_saved() { (layout::notice(v.t(T::Saved), false)) }
        p.muted { (v.t(T::NetworksLead)) }
        @if memberships.is_empty() { div.card { p.muted { (v.t(T::NoNetworks)) } } }
        @for m in &memberships {
            section.card data-network=(m.network) {
                h2 { a href=(format!("/admin/networks/{}", m.network)) { (m.name) } " " span.pill { (status_text(&v, &m.status)) } }
                p { (v.t(T::SharedPoint)) ": " strong { (m.point_name) } " · " (v.t(T::PointWorth)) " " (v.money(m.point_value)) }
                p { (v.t(T::YourRate)) ": " span dir="ltr" { (m.rate) } " (" (v.t(T::RateHint)) ")" }
                @if !m.partners.is_empty() { p.muted { (v.t(T::PartnerBrands)) ": " (m.partners.join("، ")) } }
                @if m.status == "invited" {
                    form.inline method="post" action=(format!("/admin/networks/{}/accept", m.network)) {
                        (csrf_field(&v))
                        div.field {
                            label for=(format!("pt-{}", m.network)) { (v.t(T::PointType)) }
                            select id=(format!("pt-{}", m.network)) name="point_type" {
                                @for t in types.iter().filter(|t| t.spendable) { option value=(t.code) { (t.name) } }
                            }
                        }
                        button type="submit" { (v.t(T::AcceptInvitation)) }
                    }
                }
                @if m.status != "left" {
                    form.inline method="post" action=(format!("/admin/networks/{}/leave", m.network)) {
                        (csrf_field(&v))
                        button.danger type="submit" { (v.t(if m.status == "invited" { T::Decline } else { T::LeaveNetwork })) }
                    }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::Networks), body))
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    point_type: String,
}

pub async fn accept(
    State(state): State<AppState>,
    staff: Staff,
    Path(network): Path<String>,
    Form(f): Form<AcceptForm>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.accept_network(staff.ctx(), &network, &AcceptInput { point_type: Some(f.point_type) }).await?;
    Ok(Redirect::to(&format!("/admin/networks/{network}?saved=1")).into_response())
}

pub async fn leave(State(state): State<AppState>, staff: Staff, Path(network): Path<String>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.leave_network(staff.ctx(), &network).await?;
    Ok(Redirect::to("/admin/networks?saved=1").into_response())
}

#[derive(Deserialize, Default)]
pub struct NetworkQuery {
    month: Option<String>,
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(network): Path<String>,
    Query(q): Query<NetworkQuery>,
) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    render(&state, &staff, &network, q.month.as_deref(), q.saved.is_some(), FormState::default()).await
}

async fn render(
    state: &AppState,
    staff: &Staff,
    network: &str,
    month: Option<&str>,
    saved: bool,
    form: FormState,
) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let m: Membership =
        state.engine.memberships(ctx).await?.into_iter().find(|m| m.network == network).ok_or_else(PanelError::not_found)?;
    let (statement, offers, promotions) = tokio::try_join!(
        state.engine.settlement_statement(ctx, network, month),
        state.engine.network_offers(ctx, network),
        state.engine.promotions(ctx)
    )?;
    let report = if m.status == "active" { Some(state.engine.network_report(ctx, network, month, 1).await?) } else { None };
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        p { a href="/admin/networks" { (v.t(T::Networks)) } " · " span.pill { (status_text(&v, &m.status)) } }
        form.inline method="get" {
            (field(v.t(T::Month), "month", "text", &statement.month, None))
            button type="submit" { (v.t(T::Show)) }
        }
        section.card #statement {
            h2 { (v.t(T::Settlement)) " " span dir="ltr" { (v.digits(&statement.month)) } }
            p.muted { (v.t(T::SettlementHint)) }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::PartnerBrands)) } th.num { (v.t(T::WeOwe)) } th.num { (v.t(T::OwedToUs)) } th.num { (v.t(T::Net)) } } }
                tbody {
                    @for l in &statement.lines { tr {
                        td { (l.name) }
                        td.num { (v.money(l.owed_amount)) " (" (v.num(l.owed_points)) ")" }
                        td.num { (v.money(l.due_amount)) " (" (v.num(l.due_points)) ")" }
                        td.num { (v.money(l.net)) }
                    } }
                    tr.total { td { (v.t(T::Total)) } td.num { (v.money(statement.owed_amount)) } td.num { (v.money(statement.due_amount)) } td.num #net { (v.money(statement.net)) } }
                }
            } }
        }
        @if let Some(r) = &report { (report_card(&v, r)) }
        section.card #offers {
            h2 { (v.t(T::NetworkOffers)) }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Brand)) } th { (v.t(T::Title)) } th { (v.t(T::Status)) } th {} } }
                tbody { @for o in &offers { tr data-offer=(o.id) {
                    td { (o.brand) } td { (o.title) }
                    td { @if o.withdrawn_at.is_some() { (v.t(T::Withdrawn)) } @else { (v.t(T::Active)) } }
                    td { @if o.withdrawn_at.is_none() && o.tenant == ctx.slug {
                        form.inline method="post" action=(format!("/admin/networks/{network}/offers/{}/withdraw", o.id)) {
                            (csrf_field(&v)) button.link type="submit" { (v.t(T::Withdraw)) }
                        }
                    } }
                } } }
            } }
            @if m.status == "active" {
                h3 { (v.t(T::PublishOffer)) }
                form #publish method="post" action=(format!("/admin/networks/{network}/offers")) {
                    @if let Some(g) = &form.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    div.field {
                        label for="f-promotion" { (v.t(T::DiscountCodes)) }
                        select #f-promotion name="promotion" {
                            @for p in &promotions { option value=(p.promotion.code) selected[form.value("promotion") == p.promotion.code] { (p.promotion.name) } }
                        }
                        @if let Some(e) = form.error("promotion") { p.error role="alert" { (e) } }
                    }
                    (field(v.t(T::Title), "title", "text", form.value("title"), form.error("title")))
                    (field(v.t(T::Description), "description", "text", form.value("description"), form.error("description")))
                    (field(v.t(T::ValidDays), "valid_days", "text", form.value("valid_days"), form.error("valid_days")))
                    button type="submit" { (v.t(T::Publish)) }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Settings, &m.name, body))
}

fn report_card(v: &View, r: &NetworkReport) -> Markup {
    let f = |x: Option<i64>| figure(v, x, r.min_group);
    html! {
        section.card #report {
            h2 { (v.t(T::NetworkReport)) }
            p.muted { (v.t(T::NetworkReportHint)) }
            div.figures {
                div.figure { span.label { (v.t(T::NetworkPeople)) } strong #people { (f(r.people)) } }
                div.figure { span.label { (v.t(T::SharedCustomers)) } strong #shared { (f(r.shared_customers)) } }
            }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Brand)) } th.num { (v.t(T::Joined)) } th.num { (v.t(T::Shoppers)) } th.num { (v.t(T::AlsoElsewhere)) } th.num { (v.t(T::Issued)) } th.num { (v.t(T::TakenIn)) } } }
                tbody { @for m in &r.members { tr {
                    td { (m.name) } td.num { (f(m.joined)) } td.num { (f(m.shoppers)) } td.num { (f(m.shared)) }
                    td.num { (f(m.issued_points)) } td.num { (f(m.taken_points)) }
                } } }
            } }
            @if !r.cross_shopping.is_empty() {
                h3 { (v.t(T::CrossShopping)) }
                ul { @for c in &r.cross_shopping { li { (c.a) " + " (c.b) ": " (f(c.people)) } } }
            }
            @if !r.flows.is_empty() {
                h3 { (v.t(T::PointsFlow)) }
                ul { @for x in &r.flows { li { (x.from) " → " (x.to) ": " (f(x.points)) } } }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    promotion: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    valid_days: String,
}

pub async fn publish(
    State(state): State<AppState>,
    staff: Staff,
    Path(network): Path<String>,
    Form(f): Form<OfferForm>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let result = match number(&f.valid_days, "valid_days") {
        Ok(valid_days) => {
            let input = OfferInput {
                promotion: f.promotion.clone(),
                title: f.title.clone(),
                description: Some(f.description.clone()),
                valid_days,
            };
            state.engine.publish_offer(staff.ctx(), &network, &input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/networks/{network}?saved=1")).into_response()),
        Err(e) => {
            let typed = [
                ("promotion", f.promotion.as_str()),
                ("title", &f.title),
                ("description", &f.description),
                ("valid_days", &f.valid_days),
            ];
            let form = FormState::refused(&staff.view(), &typed, e);
            let page = render(&state, &staff, &network, None, false, form).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    staff: Staff,
    Path((network, id)): Path<(String, i64)>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.withdraw_offer(staff.ctx(), &network, id).await?;
    Ok(Redirect::to(&format!("/admin/networks/{network}?saved=1")).into_response())
}

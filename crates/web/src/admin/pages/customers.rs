//! Customers: search with filters, and the profile (SPEC A1) with points, wallet, RFM, referrals,
//! notes and the activity timeline, plus the forms staff act with.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::forms::{FormState, SavedQuery};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use philia_domain::records::{Consent, Customer};
use philia_domain::rfm::Segment;
use philia_domain::roles::Access;
use philia_domain::staff_auth::Lang;
use philia_engine::customers::CustomerFilter;
use philia_engine::customers::TimelineItem;
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    tag: Option<String>,
    city: Option<String>,
    cursor: Option<String>,
}

pub fn display_name(c: &Customer) -> String {
    let name = philia_domain::customer::full_name(c.first_name.as_deref(), c.last_name.as_deref());
    if name.is_empty() { c.mobile.clone().or_else(|| c.email.clone()).unwrap_or_else(|| format!("#{}", c.id)) } else { name }
}

fn segment_name(v: &View, code: &str) -> String {
    Segment::parse(code).map(|s| if v.lang == Lang::Fa { s.name_fa() } else { s.name_en() }.to_string()).unwrap_or(code.into())
}

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<ListQuery>) -> PanelResult<Markup> {
    let v = staff.view();
    let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let filter = CustomerFilter { tag: blank(&q.tag), city: blank(&q.city), ..CustomerFilter::default() };
    let page = state.engine.search_customers(staff.ctx(), q.q.as_deref(), filter, q.cursor.as_deref(), PAGE_SIZE).await?;
    let next = page.next_cursor.as_ref().map(|c| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q.q.as_deref().unwrap_or(""))
            .append_pair("tag", q.tag.as_deref().unwrap_or(""))
            .append_pair("city", q.city.as_deref().unwrap_or(""))
            .append_pair("cursor", c)
            .finish()
    });
    let body = html! {
        @if v.may(Access::Write) { div.toolbar { a.button href="/admin/imports" { (v.t(T::Imports)) } } }
        form.card.inline method="get" action="/admin/customers" role="search" {
            div.field { label for="f-q" { (v.t(T::Search)) } input #f-q type="search" name="q" value=(q.q.as_deref().unwrap_or("")) placeholder=(v.t(T::SearchHint)); }
            div.field { label for="f-tag" { (v.t(T::Tag)) } input #f-tag name="tag" value=(q.tag.as_deref().unwrap_or("")) size="10"; }
            div.field { label for="f-city" { (v.t(T::City)) } input #f-city name="city" value=(q.city.as_deref().unwrap_or("")) size="10"; }
            div.field { button type="submit" { (v.t(T::Search)) } }
        }
        @if page.items.is_empty() {
            p.muted { (v.t(T::NoResults)) }
        } @else {
            div.card.table-wrap { table #customers {
                thead { tr {
                    th { (v.t(T::Name)) } th { (v.t(T::Mobile)) } th { (v.t(T::Email)) } th { (v.t(T::Tier)) }
                    th { (v.t(T::RfmSegment)) } th.num { (v.t(T::Invoices)) } th.num { (v.t(T::NetSpend)) } th { (v.t(T::LastPurchase)) }
                } }
                tbody { @for c in &page.items { tr {
                    td { a href=(format!("/admin/customers/{}", c.id)) { (display_name(c)) } }
                    td dir="ltr" { (c.mobile.as_deref().map(|m| v.mobile(m)).unwrap_or_default()) }
                    td { (c.email.as_deref().unwrap_or("")) }
                    td { (c.tier.as_deref().unwrap_or("")) }
                    td { (c.rfm_segment.as_deref().map(|s| segment_name(&v, s)).unwrap_or_default()) }
                    td.num { (v.num(c.stats.invoice_count)) }
                    td.num { (v.money(c.stats.net_spend)) }
                    td { (c.stats.last_purchase_at.as_deref().map(|d| v.date(d)).unwrap_or_default()) }
                } } }
            } }
        }
        p {
            @if q.cursor.is_some() { a href="/admin/customers" { (v.t(T::FirstPage)) } " " }
            @if let Some(n) = next { a rel="next" href=(format!("/admin/customers?{n}")) { (v.t(T::NextPage)) } }
        }
    };
    Ok(layout::page(&v, Section::Customers, v.t(T::Customers), body))
}

/// The forms of the profile page, as last sent (empty on a plain visit).
#[derive(Default)]
pub struct ProfileForms {
    pub edit: FormState,
    pub adjust: FormState,
    pub note: FormState,
    pub merge: FormState,
    pub erase: FormState,
    pub saved: bool,
}

pub async fn profile(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    render_profile(&state, &staff, id, ProfileForms { saved: q.is_saved(), ..ProfileForms::default() }).await
}

fn gender(v: &View, stored: &str) -> String {
    match stored {
        "female" => v.t(T::Female).into(),
        "male" => v.t(T::Male).into(),
        "other" => v.t(T::OtherGender).into(),
        other => other.into(),
    }
}

fn consent(v: &View, c: &Consent) -> String {
    let word = match c.opted_in {
        Some(true) => v.t(T::OptedIn),
        Some(false) => v.t(T::OptedOut),
        None => v.t(T::NotAsked),
    };
    match &c.changed_at {
        Some(at) => format!("{word} ({})", v.date(at)),
        None => word.to_string(),
    }
}

pub async fn render_profile(state: &AppState, staff: &Staff, id: i64, forms: ProfileForms) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let e = &state.engine;
    let c = e.customer(ctx, id).await?;
    if c.id != id {
        // A merged profile lives on in its survivor.
        return Err(PanelError::not_found());
    }
    let (balances, wallet, types, rfm, referrals, timeline, tier) = tokio::try_join!(
        e.balances(ctx, id),
        e.wallet(ctx, id),
        e.point_types(ctx),
        e.customer_rfm(ctx, id),
        e.referral_info(ctx, id),
        e.timeline(ctx, id, 50),
        e.tier_status(ctx, id),
    )?;
    let predicted = e.customer_clv_if_fitted(ctx, id).await?;
    let type_name = |code: &str| types.iter().find(|t| t.code == code).map(|t| t.name.clone()).unwrap_or(code.to_string());
    let may_write = v.may(Access::Write);
    let adjust_key = match forms.adjust.value("key") {
        "" => crate::admin::session::random_hex(16),
        kept => kept.to_string(),
    };
    let name = display_name(&c);
    let facts: Vec<(T, String)> = vec![
        (T::Mobile, c.mobile.as_deref().map(|m| v.mobile(m)).unwrap_or_default()),
        (T::Email, c.email.clone().unwrap_or_default()),
        (T::Gender, c.gender.as_deref().map(|g| gender(&v, g)).unwrap_or_default()),
        (T::BirthDate, c.birth_date.as_deref().map(|d| v.civil(d)).unwrap_or_default()),
        (T::Province, c.province.clone().unwrap_or_default()),
        (T::City, c.city.clone().unwrap_or_default()),
        (T::Address, c.address_line.clone().unwrap_or_default()),
        (T::PostalCode, c.postal_code.as_deref().map(|p| v.digits(p)).unwrap_or_default()),
        (T::Tags, c.tags.join("، ")),
        (T::Interests, c.interests.join("، ")),
        (T::ExternalIds, c.external_ids.iter().map(|x| format!("{}:{}", x.source, x.id)).collect::<Vec<_>>().join(" ")),
        (T::SmsConsent, consent(&v, &c.sms_consent)),
        (T::EmailConsent, consent(&v, &c.email_consent)),
        (T::Member, v.date(&c.created_at)),
        (T::LastLogin, c.stats.last_login_at.as_deref().map(|d| v.date_time(d)).unwrap_or_default()),
    ];
    let body = html! {
        @if forms.saved { (layout::notice(v.t(T::Saved), false)) }
        p #badges {
            @if let Some(t) = &tier.name { span.pill title=(v.t(T::Tier)) { (t) } " " }
            @if let Some(cl) = &c.loyalty_class { span.pill title=(v.t(T::LoyaltyClass)) { (cl) } " " }
            @if let Some(s) = &c.rfm_segment { span.pill title=(v.t(T::RfmSegment)) { (segment_name(&v, s)) } }
        }
        div.figures {
            div.figure { span.label { (v.t(T::NetSpend)) } span.value { (v.money(c.stats.net_spend)) } }
            div.figure { span.label { (v.t(T::Invoices)) } span.value { (v.num(c.stats.invoice_count)) } }
            div.figure { span.label { (v.t(T::Clv)) } span.value { (v.money(c.stats.clv)) } }
            div.figure { span.label { (v.t(T::AverageOrder)) } span.value { (v.money(c.stats.average_order_value)) } }
            div.figure { span.label { (v.t(T::LastPurchase)) } span.value { (c.stats.last_purchase_at.as_deref().map(|d| v.date(d)).unwrap_or("—".into())) } }
            div.figure { span.label { (v.t(T::Wallet)) } span.value { (v.money(wallet.available)) } }
            @if let Some(p) = &predicted {
                div.figure #predicted-clv title=(v.t(T::PredictedHint)) {
                    span.label { (v.t(T::PredictedClv)) }
                    span.value { (p.clv_12_months.map(|c| v.money(c.round() as i64)).unwrap_or("—".into())) }
                }
                div.figure #probability-alive { span.label { (v.t(T::ProbabilityAlive)) } span.value { (v.digits(format!("{:.0}%", p.probability_alive * 100.0))) } }
                div.figure { span.label { (v.t(T::ExpectedPurchases90)) } span.value { (v.digits(format!("{:.1}", p.expected_purchases_90))) } }
            }
        }
        div.grid {
            section.card #personal {
                h2 { (v.t(T::PersonalData)) }
                dl.facts { @for (label, value) in &facts { @if !value.is_empty() { dt { (v.t(*label)) } dd { (value) } } } }
            }
            section.card #points {
                h2 { (v.t(T::Points)) }
                table {
                    thead { tr { th { (v.t(T::PointType)) } th.num { (v.t(T::Balance)) } th.num { (v.t(T::ExpiringSoon)) } } }
                    tbody { @for b in &balances { tr {
                        td { (type_name(&b.point_type)) }
                        td.num { (v.num(b.balance)) @if b.debt > 0 { br; small.muted { (v.t(T::Debt)) ": " (v.num(b.debt)) } } }
                        td.num { (v.num(b.expiring_soon)) @if let Some(at) = &b.next_expiry { br; small.muted { (v.date(at)) } } }
                    } } }
                }
                p.muted { (v.t(T::Wallet)) ": " (v.t(T::Available)) " " (v.money(wallet.available)) " · " (v.t(T::Pending)) " " (v.money(wallet.pending)) }
                @if let Some(s) = &rfm.scores {
                    p #rfm-scores { (v.t(T::Scores)) ": R " (v.digits(s.r)) " · F " (v.digits(s.f)) " · M " (v.digits(s.m)) }
                }
                @if may_write && !types.is_empty() {
                    form #adjust method="post" action=(format!("/admin/customers/{id}/points")) {
                        h2 { (v.t(T::AdjustPoints)) }
                        @if let Some(g) = &forms.adjust.general { (layout::notice(g, true)) }
                        (csrf_field(&v))
                        input type="hidden" name="key" value=(adjust_key);
                        div.field {
                            label for="f-point_type" { (v.t(T::PointType)) }
                            select #f-point_type name="point_type" {
                                @for t in &types { option value=(t.code) selected[forms.adjust.value("point_type") == t.code] { (t.name) } }
                            }
                        }
                        (field(v.t(T::Change), "points", "text", forms.adjust.value("points"), forms.adjust.error("points")))
                        (field(v.t(T::Reason), "reason", "text", forms.adjust.value("reason"), forms.adjust.error("reason")))
                        button type="submit" { (v.t(T::Save)) }
                    }
                }
            }
            section.card #referrals {
                h2 { (v.t(T::Referrals)) }
                p { (v.t(T::ReferralCode)) ": " code { (referrals.code) } }
                @if let Some(r) = &referrals.referred_by {
                    p { (v.t(T::ReferredBy)) ": " a href=(format!("/admin/customers/{}", r.referrer_id)) { "#" (v.digits(r.referrer_id)) } }
                }
                @if !referrals.referrals.is_empty() {
                    p { (v.t(T::Invited)) ":" }
                    ul { @for r in &referrals.referrals {
                        li { a href=(format!("/admin/customers/{}", r.referee_id)) { "#" (v.digits(r.referee_id)) } " · " (r.status) " · " (v.date(&r.created_at)) }
                    } }
                }
            }
        }
        @if may_write { (edit_form(&v, &c, &forms.edit)) }
        section.card #notes {
            h2 { (v.t(T::Notes)) }
            @if may_write {
                form method="post" action=(format!("/admin/customers/{id}/notes")) {
                    @if let Some(g) = &forms.note.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    div.field.invalid[forms.note.error("body").is_some()] {
                        label for="f-body" { (v.t(T::AddNote)) }
                        textarea #f-body name="body" rows="3" placeholder=(v.t(T::NoteHint)) { (forms.note.value("body")) }
                        @if let Some(err) = forms.note.error("body") { p.error role="alert" { (err) } }
                    }
                    button type="submit" { (v.t(T::Add)) }
                }
            }
        }
        section.card #timeline {
            h2 { (v.t(T::Timeline)) }
            @if timeline.is_empty() { p.muted { (v.t(T::NothingHere)) } }
            ol.timeline { @for item in &timeline { (timeline_item(&v, item)) } }
        }
        @if v.may(Access::Manage) {
            section.card #merge {
                h2 { (v.t(T::Merge)) }
                p.muted { (v.t(T::MergeHint)) }
                form.inline method="post" action=(format!("/admin/customers/{id}/merge")) {
                    @if let Some(g) = &forms.merge.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    (field(v.t(T::OtherCustomerId), "other", "text", forms.merge.value("other"), forms.merge.error("other")))
                    div.field { button type="submit" { (v.t(T::Merge)) } }
                }
            }
            section.card #privacy {
                h2 { (v.t(T::DataRights)) }
                p {
                    a.button href=(format!("/admin/customers/{id}/export.json")) download { (v.t(T::DownloadJson)) }
                    " "
                    a.button href=(format!("/admin/customers/{id}/export.csv")) download { (v.t(T::DownloadCsv)) }
                }
                @if let Some(at) = &c.erased_at {
                    p.notice #erased { (v.t(T::ErasedOn)) " " (v.date_time(at)) }
                } @else {
                    p.muted { (v.t(T::EraseHint)) }
                    form method="post" action=(format!("/admin/customers/{id}/erase")) {
                        @if let Some(g) = &forms.erase.general { (layout::notice(g, true)) }
                        (csrf_field(&v))
                        (field(v.t(T::EraseReason), "reason", "text", forms.erase.value("reason"), forms.erase.error("reason")))
                        button.danger type="submit" { (v.t(T::ErasePersonalData)) }
                    }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Customers, &name, body))
}

/// The personal data form, filled from the profile or with what was typed.
fn edit_form(v: &View, c: &Customer, sent: &FormState) -> Markup {
    let stored = [
        ("first_name", c.first_name.clone().unwrap_or_default()),
        ("last_name", c.last_name.clone().unwrap_or_default()),
        ("mobile", c.mobile.as_deref().map(|m| m.replacen("+98", "0", 1)).unwrap_or_default()),
        ("email", c.email.clone().unwrap_or_default()),
        ("gender", c.gender.clone().unwrap_or_default()),
        (
            "birth_date",
            c.birth_date.as_deref().map(|d| v.civil(d)).map(|d| philia_domain::digits::ascii_digits(&d)).unwrap_or_default(),
        ),
        ("province", c.province.clone().unwrap_or_default()),
        ("city", c.city.clone().unwrap_or_default()),
        ("address_line", c.address_line.clone().unwrap_or_default()),
        ("postal_code", c.postal_code.clone().unwrap_or_default()),
        ("tags", c.tags.join(", ")),
    ];
    let value = |k: &str| {
        if sent.value("was_sent") == "1" {
            sent.value(k).to_string()
        } else {
            stored.iter().find(|(n, _)| *n == k).map(|(_, x)| x.clone()).unwrap_or_default()
        }
    };
    let sms = if sent.value("was_sent") == "1" { sent.value("sms_opt_in") == "1" } else { c.sms_consent.opted_in == Some(true) };
    let email =
        if sent.value("was_sent") == "1" { sent.value("email_opt_in") == "1" } else { c.email_consent.opted_in == Some(true) };
    html! {
        details.card #edit open[sent.value("was_sent") == "1"] {
            summary { (v.t(T::EditProfile)) }
            form method="post" action=(format!("/admin/customers/{}/edit", c.id)) {
                @if let Some(g) = &sent.general { (layout::notice(g, true)) }
                (csrf_field(v))
                input type="hidden" name="sms_before" value=(if c.sms_consent.opted_in == Some(true) { "1" } else { "0" });
                input type="hidden" name="email_before" value=(if c.email_consent.opted_in == Some(true) { "1" } else { "0" });
                div.inline {
                    (field(v.t(T::FirstName), "first_name", "text", &value("first_name"), sent.error("first_name")))
                    (field(v.t(T::LastName), "last_name", "text", &value("last_name"), sent.error("last_name")))
                    (field(v.t(T::Mobile), "mobile", "tel", &value("mobile"), sent.error("mobile")))
                    (field(v.t(T::Email), "email", "email", &value("email"), sent.error("email")))
                    div.field {
                        label for="f-gender" { (v.t(T::Gender)) }
                        select #f-gender name="gender" {
                            option value="" { "—" }
                            @for (g, t) in [("female", T::Female), ("male", T::Male), ("other", T::OtherGender)] {
                                option value=(g) selected[value("gender") == g] { (v.t(t)) }
                            }
                        }
                    }
                    (field(v.t(T::BirthDate), "birth_date", "text", &value("birth_date"), sent.error("birth_date")))
                    (field(v.t(T::Province), "province", "text", &value("province"), sent.error("province")))
                    (field(v.t(T::City), "city", "text", &value("city"), sent.error("city")))
                    (field(v.t(T::Address), "address_line", "text", &value("address_line"), sent.error("address_line")))
                    (field(v.t(T::PostalCode), "postal_code", "text", &value("postal_code"), sent.error("postal_code")))
                    (field(&format!("{} ({})", v.t(T::Tags), v.t(T::TagsHint)), "tags", "text", &value("tags"), sent.error("tags")))
                }
                p {
                    label { input type="checkbox" name="sms_opt_in" value="1" checked[sms]; " " (v.t(T::SmsOptIn)) }
                    " "
                    label { input type="checkbox" name="email_opt_in" value="1" checked[email]; " " (v.t(T::EmailOptIn)) }
                }
                button type="submit" { (v.t(T::Save)) }
            }
        }
    }
}

fn timeline_item(v: &View, item: &TimelineItem) -> Markup {
    html! {
        li class=(item.kind) {
            small.muted { (v.date_time(&item.at)) } " "
            @if let Some(inv) = &item.invoice {
                strong { (v.t(T::KindInvoice)) } " " (v.money(inv.total)) " · " (inv.channel)
                @if let Some(b) = &inv.branch { " · " (b) }
            } @else if let Some(r) = &item.refund {
                strong { (v.t(T::KindRefund)) } " " (v.money(r.amount)) @if let Some(why) = &r.reason { " · " (why) }
            } @else if let Some(ev) = &item.event {
                strong { (v.t(T::KindEvent)) } " " code { (ev.event_type) }
            } @else if let Some(n) = &item.note {
                strong { (v.t(T::KindNote)) } " " span.muted { (n.author) } @if n.edited { " (" (v.t(T::Edited)) ")" }
                p { (n.body) }
            } @else if let Some(m) = &item.message {
                strong { (v.t(T::KindMessage)) } " " (m.channel) " · " (super::campaigns::message_status(v, &m.status))
                @if let Some(t) = &m.template { " · " code { (t) } }
                p.muted { (m.body.chars().take(140).collect::<String>()) }
            }
        }
    }
}

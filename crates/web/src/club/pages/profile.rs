//! The customer's account: personal data and consents, the referral code with a share button,
//! the history of purchases and points, and signing out.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::club::layout::{self, Tab, csrf_field};
use crate::club::session::Member;
use crate::club::text::C;
use crate::club::view::ClubView;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::customer::CustomerInput;
use philia_domain::records::Customer;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ProfileQuery {
    saved: Option<String>,
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    interests: String,
    sms_opt_in: Option<String>,
    email_opt_in: Option<String>,
}

impl ProfileForm {
    fn values(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("email", &self.email),
            ("birth_date", &self.birth_date),
            ("city", &self.city),
            ("interests", &self.interests),
            ("sms_opt_in", self.sms_opt_in.as_deref().unwrap_or("")),
            ("email_opt_in", self.email_opt_in.as_deref().unwrap_or("")),
        ]
    }

    fn input(&self) -> CustomerInput {
        CustomerInput {
            first_name: Some(self.first_name.clone()),
            last_name: Some(self.last_name.clone()),
            // An email is only ever added or changed here, not removed (it may be an identity).
            email: Some(self.email.trim().to_string()).filter(|e| !e.is_empty()),
            birth_date: Some(self.birth_date.clone()),
            city: Some(self.city.clone()),
            interests: Some(self.interests.split([',', '،']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()),
            sms_opt_in: Some(self.sms_opt_in.is_some()),
            email_opt_in: Some(self.email_opt_in.is_some()),
            ..Default::default()
        }
    }
}

fn stored_values(c: &Customer) -> FormState {
    let interests = c.interests.join("، ");
    FormState::filled(&[
        ("first_name", c.first_name.as_deref().unwrap_or("")),
        ("last_name", c.last_name.as_deref().unwrap_or("")),
        ("email", c.email.as_deref().unwrap_or("")),
        ("birth_date", c.birth_date.as_deref().unwrap_or("")),
        ("city", c.city.as_deref().unwrap_or("")),
        ("interests", &interests),
        ("sms_opt_in", if c.sms_consent.opted_in == Some(true) { "on" } else { "" }),
        ("email_opt_in", if c.email_consent.opted_in == Some(true) { "on" } else { "" }),
    ])
}

pub async fn page(State(state): State<AppState>, member: Member, Query(q): Query<ProfileQuery>) -> PanelResult<Markup> {
    let customer = state.engine.customer(member.ctx(), member.id()).await?;
    let form = stored_values(&customer);
    render(&state, &member, &form, q.saved.is_some()).await
}

pub async fn save(State(state): State<AppState>, member: Member, Form(f): Form<ProfileForm>) -> PanelResult<Response> {
    let v = member.view();
    let result = match f.input().parse() {
        Ok(patch) => state.engine.update_customer(member.ctx(), member.id(), patch).await.map(|_| ()),
        Err(invalid) => Err(invalid.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&v.href("/me?saved=1")).into_response()),
        Err(e) => {
            let form = FormState::refused(&v.fmt, &f.values(), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &member, &form, false).await?).into_response())
        }
    }
}

async fn render(state: &AppState, member: &Member, form: &FormState, saved: bool) -> PanelResult<Markup> {
    let v = member.view();
    let (ctx, id) = (member.ctx(), member.id());
    let referral = state.engine.referral_info(ctx, id).await?;
    let timeline = state.engine.timeline(ctx, id, 50).await?;
    let push_key = state.engine.push_public_key(ctx).await?;
    let devices = state.engine.push_devices(ctx, id).await?;
    let ledger = state.engine.ledger(ctx, id, None, None, 20).await?;
    let share = referral.link.clone().unwrap_or_else(|| {
        let base = state.engine.public_url.as_deref().unwrap_or("").trim_end_matches('/');
        format!("{base}{}", v.href(&format!("/sign-in?ref={}", referral.code)))
    });
    let body = html! {
        @if saved { (layout::notice(v.t(C::Saved), false)) }
        @if let Some(e) = &form.general { (layout::notice(e, true)) }
        form.card method="post" action=(v.href("/me")) {
            (csrf_field(&v))
            (text_field(&v, form, C::FirstName, "first_name", "text", None))
            (text_field(&v, form, C::LastName, "last_name", "text", None))
            (text_field(&v, form, C::Email, "email", "email", None))
            (text_field(&v, form, C::Birthday, "birth_date", "text", Some(v.t(C::BirthdayHint))))
            (text_field(&v, form, C::City, "city", "text", None))
            (text_field(&v, form, C::Interests, "interests", "text", Some(v.t(C::InterestsHint))))
            (check(&v, form, C::SmsOptIn, "sms_opt_in"))
            (check(&v, form, C::EmailOptIn, "email_opt_in"))
            button.wide type="submit" { (v.t(C::Save)) }
        }
        (notifications_card(&v, &push_key, devices))
        section.card #referral {
            h2 { (v.t(C::Invite)) }
            p { (v.t(C::YourReferralCode)) ": " code.copy dir="ltr" { (referral.code) } }
            p.inline {
                button type="button" data-share=(share) data-copy=(share) { (v.t(C::Share)) }
                @if !referral.referrals.is_empty() { span.muted { (v.t(C::Invited)) ": " (v.fmt.num(referral.referrals.len() as i64)) } }
            }
        }
        section.card #history {
            h2 { (v.t(C::History)) }
            h3 { (v.t(C::PurchaseHistory)) }
            @let purchases: Vec<_> = timeline.iter().filter_map(|t| t.invoice.as_ref()).collect();
            @if purchases.is_empty() { p.muted { (v.t(C::NoHistory)) } }
            ul.history { @for inv in &purchases { li {
                span { (v.fmt.date(&inv.issued_at)) } " "
                strong { (v.fmt.money(inv.total)) }
                @if inv.refunded_total > 0 { " " span.muted { "(" (v.fmt.money(inv.refunded_total)) " " (v.t(C::Refunded)) ")" } }
            } } }
            h3 { (v.t(C::PointsHistory)) }
            @if ledger.items.is_empty() { p.muted { (v.t(C::NoHistory)) } }
            ul.history { @for e in &ledger.items { li {
                span { (v.fmt.date(&e.at)) } " " (kind_text(&v, &e.kind)) " "
                strong dir="ltr" { (v.fmt.digits(format!("{:+}", e.points))) }
            } } }
        }
        form method="post" action=(v.href("/sign-out")) {
            (csrf_field(&v))
            button.link type="submit" { (v.t(C::SignOut)) }
        }
    };
    Ok(layout::page(&v, Tab::Profile, v.t(C::Profile), body))
}

/// The switch for this browser's notifications. Without the script (or where the browser has
/// no push) it says so; the script shows the state and posts the subscription.
fn notifications_card(v: &ClubView, key: &str, devices: usize) -> Markup {
    html! {
        section.card.push #notifications data-state="unsupported" data-push-key=(key) data-csrf=(v.csrf)
            data-sw=(v.href("/sw.js")) data-on=(v.href("/push")) data-off=(v.href("/push/off")) {
            h2 { (v.t(C::Notifications)) }
            p.muted { (v.t(C::NotificationsLead)) }
            p data-when="on" { (v.t(C::NotificationsOn)) }
            p data-when="off" { (v.t(C::NotificationsOff)) }
            p data-when="blocked" { (v.t(C::NotificationsBlocked)) }
            p data-when="unsupported" { (v.t(C::NotificationsUnsupported)) }
            p.error role="alert" hidden {}
            button.wide type="button" data-when="off" data-push="on" { (v.t(C::TurnOn)) }
            button.link type="button" data-when="on" data-push="off" { (v.t(C::TurnOff)) }
            @if devices > 0 { p.muted { (v.t(C::DevicesAllowed)) ": " (v.fmt.num(devices as i64)) } }
        }
    }
}

fn kind_text(v: &ClubView, kind: &str) -> &'static str {
    v.t(match kind {
        "spend" => C::SpendPoints,
        "expire" => C::ExpireKind,
        "adjust" => C::AdjustKind,
        "reverse" => C::ReverseKind,
        "transfer" => C::TransferKind,
        _ => C::Earn,
    })
}

fn text_field(v: &ClubView, form: &FormState, label: C, name: &str, kind: &str, hint: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    let error = form.error(name);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (v.t(label)) }
            input id=(id) name=(name) type=(kind) value=(form.value(name)) placeholder=[hint]
                aria-invalid=[error.map(|_| "true")];
            @if let Some(e) = error { p.error role="alert" { (e) } }
        }
    }
}

fn check(v: &ClubView, form: &FormState, label: C, name: &str) -> Markup {
    html! {
        label.check { input type="checkbox" name=(name) checked[!form.value(name).is_empty()]; " " (v.t(label)) }
    }
}

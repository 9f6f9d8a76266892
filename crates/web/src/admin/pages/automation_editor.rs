//! Making and editing automations in the panel: the trigger with its own details, conditions on
//! the customer with the condition builder, a delay, and up to `ACTION_ROWS` actions, each row
//! showing the details of the action chosen in it (CSS, no script).

use super::segments;
use crate::AppState;
use crate::admin::condition_builder::builder_named;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, count, number, required, rule_json};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::Issue;
use philia_domain::automations::{Action, AutomationInput, MAX_ACTIONS, Trigger};
use philia_domain::roles::Access;
use philia_engine::EngineError;
use std::collections::HashMap;

/// Action rows the form offers; the engine allows up to `MAX_ACTIONS`.
const ACTION_ROWS: usize = 5;
const _: () = assert!(ACTION_ROWS <= MAX_ACTIONS);

const TRIGGERS: [(&str, T); 5] = [
    ("invoice", T::OnPurchase),
    ("event", T::OnEvent),
    ("signup", T::OnSignup),
    ("birthday", T::TriggerBirthday),
    ("inactive", T::TriggerInactive),
];

const ACTIONS: [(&str, T); 6] = [
    ("", T::NoAction),
    ("send", T::ActionSend),
    ("points", T::ActionPoints),
    ("code", T::ActionCode),
    ("tag", T::ActionTag),
    ("webhook", T::ActionWebhook),
];

/// Each action row's fields.
const ACTION_FIELDS: [&str; 9] =
    ["kind", "template", "point_type", "points", "promotion", "valid_days", "add", "remove", "webhook"];

fn action_key(row: usize, f: &str) -> String {
    format!("actions[{row}].{f}")
}

/// What the selects of the form offer: (value, label) pairs.
pub struct Choices {
    pub templates: Vec<(String, String)>,
    pub point_types: Vec<(String, String)>,
    pub promotions: Vec<(String, String)>,
    pub webhooks: Vec<(String, String)>,
    /// The condition builder's fields.
    pub fields: serde_json::Value,
}

pub async fn choices(state: &AppState, staff: &Staff, v: &View) -> PanelResult<Choices> {
    let ctx = staff.ctx();
    let (templates, types, promotions, webhooks) = tokio::try_join!(
        state.engine.templates(ctx),
        state.engine.point_types(ctx),
        state.engine.promotions(ctx),
        state.engine.webhooks(ctx)
    )?;
    Ok(Choices {
        templates: templates.into_iter().map(|t| (t.template.code, t.template.name)).collect(),
        point_types: types.into_iter().map(|t| (t.code, t.name)).collect(),
        promotions: promotions.into_iter().map(|p| (p.promotion.code, p.promotion.name)).collect(),
        webhooks: webhooks.into_iter().map(|w| (w.id.to_string(), w.description.unwrap_or(w.url))).collect(),
        fields: segments::fields(state, staff, v).await?,
    })
}

/// Every field of the form by name, as stored.
pub fn stored(a: &AutomationInput) -> Vec<(String, String)> {
    let mut out = vec![
        ("code".to_string(), a.code.clone()),
        ("name".to_string(), a.name.clone()),
        ("trigger".to_string(), a.trigger.name().to_string()),
        ("delay_minutes".to_string(), a.delay_minutes.map(|d| d.to_string()).unwrap_or_default()),
        ("conditions".to_string(), a.conditions.as_ref().map(|c| c.to_string()).unwrap_or_default()),
    ];
    match &a.trigger {
        Trigger::Event { event_type } => out.push(("trigger.event_type".into(), event_type.clone())),
        Trigger::Birthday { days_before } => out.push(("trigger.days_before".into(), days_before.to_string())),
        Trigger::Inactive { days } => out.push(("trigger.days".into(), days.to_string())),
        Trigger::Invoice {} | Trigger::Signup {} => {}
    }
    for (i, action) in a.actions.iter().enumerate() {
        let mut put = |f: &str, v: String| out.push((action_key(i, f), v));
        match action {
            Action::Send { template } => {
                put("kind", "send".into());
                put("template", template.clone());
            }
            Action::Points { point_type, points } => {
                put("kind", "points".into());
                put("point_type", point_type.clone());
                put("points", points.to_string());
            }
            Action::Code { promotion, valid_days } => {
                put("kind", "code".into());
                put("promotion", promotion.clone());
                put("valid_days", valid_days.to_string());
            }
            Action::Tag { add, remove } => {
                put("kind", "tag".into());
                put("add", add.join(", "));
                put("remove", remove.join(", "));
            }
            Action::Webhook { webhook } => {
                put("kind", "webhook".into());
                put("webhook", webhook.to_string());
            }
        }
    }
    out
}

fn tags(text: &str) -> Vec<String> {
    text.split([',', '،']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

/// The posted form with its action rows renumbered from 0 (rows without an action dropped), so
/// that the engine's errors (`actions[1].points`) name the rows the page draws again.
pub fn renumbered(fields: &[(String, String)]) -> Vec<(String, String)> {
    let map: HashMap<&str, &str> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut out: Vec<(String, String)> = fields.iter().filter(|(k, _)| !k.starts_with("actions[")).cloned().collect();
    let rows = (0..MAX_ACTIONS).filter(|i| map.get(action_key(*i, "kind").as_str()).is_some_and(|k| !k.is_empty()));
    for (row, i) in rows.enumerate() {
        for f in ACTION_FIELDS {
            out.push((action_key(row, f), map.get(action_key(i, f).as_str()).unwrap_or(&"").to_string()));
        }
    }
    out
}

/// The automation a renumbered form describes; `paused` is kept from `before` on an edit.
pub fn parse(fields: &[(String, String)], before: Option<&AutomationInput>) -> Result<AutomationInput, EngineError> {
    let map: HashMap<&str, &str> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let get = |k: &str| map.get(k).map(|v| v.trim()).unwrap_or("");
    let trigger = match get("trigger") {
        "invoice" => Trigger::Invoice {},
        "event" => Trigger::Event { event_type: get("trigger.event_type").to_string() },
        "signup" => Trigger::Signup {},
        "birthday" => Trigger::Birthday { days_before: count(get("trigger.days_before"), "trigger.days_before")?.unwrap_or(0) },
        "inactive" => Trigger::Inactive { days: required(count(get("trigger.days"), "trigger.days")?, "trigger.days")? },
        _ => {
            let names: Vec<&str> = TRIGGERS.iter().map(|(k, _)| *k).collect();
            return Err(EngineError::field(Issue::one_of(&names).at("trigger")));
        }
    };
    let conditions = match get("conditions") {
        "" => None,
        text => {
            let rule = rule_json(text, "conditions")?;
            // An empty group is what the builder shows before anything is added: no conditions.
            let empty = rule.get("all").and_then(|a| a.as_array()).is_some_and(|a| a.is_empty())
                && rule.as_object().is_some_and(|o| o.len() == 1);
            (!empty).then_some(rule)
        }
    };
    let mut actions = Vec::new();
    for row in 0..MAX_ACTIONS {
        let at = |f: &str| action_key(row, f);
        let action = match get(&at("kind")) {
            "" => continue,
            "send" => Action::Send { template: get(&at("template")).to_string() },
            "points" => Action::Points {
                point_type: get(&at("point_type")).to_string(),
                points: required(number(get(&at("points")), &at("points"))?, &at("points"))?,
            },
            "code" => Action::Code {
                promotion: get(&at("promotion")).to_string(),
                valid_days: count(get(&at("valid_days")), &at("valid_days"))?.unwrap_or(30),
            },
            "tag" => Action::Tag { add: tags(get(&at("add"))), remove: tags(get(&at("remove"))) },
            "webhook" => Action::Webhook { webhook: required(number(get(&at("webhook")), &at("webhook"))?, &at("webhook"))? },
            _ => {
                let names: Vec<&str> = ACTIONS.iter().skip(1).map(|(k, _)| *k).collect();
                return Err(EngineError::field(Issue::one_of(&names).at(at("kind"))));
            }
        };
        actions.push(action);
    }
    Ok(AutomationInput {
        code: get("code").to_string(),
        name: get("name").to_string(),
        trigger,
        conditions,
        delay_minutes: count(get("delay_minutes"), "delay_minutes")?,
        actions,
        paused: before.and_then(|b| b.paused),
    })
}

fn select(v: &View, form: &FormState, name: &str, options: &[(String, String)], empty: bool) -> Markup {
    let err = form.error(name);
    html! {
        select name=(name) aria-invalid=[err.map(|_| "true")] aria-label=(name) {
            @if empty { option value="" { "—" } }
            @for (value, label) in options { option value=(value) selected[form.value(name) == value] { (label) } }
        }
        @if let Some(e) = err { p.error role="alert" { (e) } }
        @if options.is_empty() && !empty { small.muted { (v.t(T::NothingHere)) } }
    }
}

fn action_row(v: &View, form: &FormState, c: &Choices, i: usize) -> Markup {
    let key = |f: &str| action_key(i, f);
    let input = |f: &str, size: u8| {
        let name = key(f);
        let err = form.error(&name);
        html! {
            input name=(name) value=(form.value(&name)) size=(size) aria-label=(name) aria-invalid=[err.map(|_| "true")];
            @if let Some(e) = err { p.error role="alert" { (e) } }
        }
    };
    html! {
        fieldset.action-row {
            legend { (v.t(T::Action)) " " (v.num(i as i64 + 1)) }
            div.inline {
                div.field.invalid[form.error(&key("kind")).is_some()] {
                    select.action-kind name=(key("kind")) aria-label=(key("kind")) {
                        @for (k, label) in ACTIONS { option value=(k) selected[form.value(&key("kind")) == k] { (v.t(label)) } }
                    }
                    @if let Some(e) = form.error(&key("kind")) { p.error role="alert" { (e) } }
                }
                div.field.a-send { label { (v.t(T::Template)) } (select(v, form, &key("template"), &c.templates, true)) }
                div.field.a-points { label { (v.t(T::PointType)) } (select(v, form, &key("point_type"), &c.point_types, false)) }
                div.field.a-points { label { (v.t(T::Points)) } (input("points", 8)) }
                div.field.a-code { label { (v.t(T::PromotionLabel)) } (select(v, form, &key("promotion"), &c.promotions, true)) }
                div.field.a-code { label { (v.t(T::ValidDays)) } (input("valid_days", 5)) }
                div.field.a-tag { label { (v.t(T::AddTags)) } (input("add", 16)) }
                div.field.a-tag { label { (v.t(T::RemoveTags)) } (input("remove", 16)) }
                div.field.a-webhook { label { (v.t(T::WebhookEndpoint)) } (select(v, form, &key("webhook"), &c.webhooks, true)) }
            }
        }
    }
}

/// The form; `action` is where it posts, and on an edit the code is shown, not typed.
pub fn render_form(v: &View, form: &FormState, c: &Choices, action: &str, editing: bool) -> Markup {
    let trigger = if form.value("trigger").is_empty() { "invoice" } else { form.value("trigger") };
    let rows = (0..MAX_ACTIONS).filter(|i| !form.value(&action_key(*i, "kind")).is_empty()).count();
    html! {
        form.card.automation-form #automation-form method="post" action=(action) {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.inline {
                (layout::name_and_code(v, form, editing))
            }
            div.inline {
                div.field.invalid[form.error("trigger").is_some()] {
                    label for="f-trigger" { (v.t(T::StartsWhen)) }
                    select #f-trigger name="trigger" {
                        @for (k, label) in TRIGGERS { option value=(k) selected[trigger == k] { (v.t(label)) } }
                    }
                    @if let Some(e) = form.error("trigger") { p.error role="alert" { (e) } }
                }
                div.t-event { (field(v.t(T::EventType), "trigger.event_type", "text", form.value("trigger.event_type"), form.error("trigger.event_type"))) }
                div.t-birthday { (field(v.t(T::DaysBeforeBirthday), "trigger.days_before", "text", form.value("trigger.days_before"), form.error("trigger.days_before"))) }
                div.t-inactive { (field(v.t(T::DaysWithoutPurchase), "trigger.days", "text", form.value("trigger.days"), form.error("trigger.days"))) }
                (field(v.t(T::Delay), "delay_minutes", "text", form.value("delay_minutes"), form.error("delay_minutes")))
            }
            p.muted { small { (v.t(T::AutomationConditionsHint)) } }
            (builder_named(v, "conditions", form.value("conditions"), &c.fields, None, form.error("conditions")))
            @if let Some(e) = form.error("actions") { p.error role="alert" { (e) } }
            @for i in 0..(rows + 1).clamp(2, ACTION_ROWS).max(rows) { (action_row(v, form, c, i)) }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

async fn render_new(state: &AppState, staff: &Staff, form: &FormState) -> PanelResult<Markup> {
    let v = staff.view();
    let c = choices(state, staff, &v).await?;
    let body = html! {
        p { a href="/admin/automations" { (v.t(T::Automations)) } }
        (render_form(&v, form, &c, "/admin/automations", false))
    };
    Ok(layout::page(&v, Section::Messaging, v.t(T::NewAutomation), body))
}

pub async fn new(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    staff.require(Access::Write)?;
    render_new(&state, &staff, &FormState::default()).await
}

/// What was typed, with a place for errors about the actions as a whole.
pub fn typed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    out.push(("actions", ""));
    out
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let fields = renumbered(&fields);
    let result = match parse(&fields, None) {
        Ok(input) => state.engine.create_automation(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/admin/automations/{}?saved=1", a.input.code)).into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &typed(&fields), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_new(&state, &staff, &form).await?).into_response())
        }
    }
}

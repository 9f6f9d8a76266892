//! Making and editing missions in the panel without JSON: one goal, or a journey of up to
//! `STEP_ROWS` steps in order; each step counts purchases, events or rewarded referrals, by
//! count, amount or different values, with the common filters (a category, a branch, a sales
//! channel) as plain fields. A stored filter the plain fields cannot show is kept as it is.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, count, number, rule_json};
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
use philia_domain::missions::{Enrolment, FactKind, GoalInput, Measure, MissionInput, MissionReward, Repeat};
use philia_domain::roles::Access;
use philia_engine::EngineError;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Step rows the form offers (a journey may have up to `philia_domain::missions::MAX_STEPS`).
const STEP_ROWS: usize = 5;
const STEP_FIELDS: [&str; 11] =
    ["label", "fact", "event_type", "measure", "distinct_field", "target", "category", "branch", "channel", "points", "filter"];
/// The plain filters: form field, fact field, operator.
const PLAIN_FILTERS: [(&str, &str, &str); 3] =
    [("category", "invoice.categories", "contains"), ("branch", "invoice.branch", "eq"), ("channel", "invoice.channel", "eq")];

fn step_key(row: usize, f: &str) -> String {
    format!("steps[{row}].{f}")
}

/// The plain fields of a stored filter, or `None` when it says more than they can.
fn plain_filter(filter: &Value) -> Option<Vec<(&'static str, String)>> {
    let parts: Vec<&Value> = match filter.get("all").and_then(Value::as_array) {
        Some(all) if filter.as_object().is_some_and(|o| o.len() == 1) => all.iter().collect(),
        _ => vec![filter],
    };
    parts
        .iter()
        .map(|p| {
            let (field, op, value) = (p.get("field")?.as_str()?, p.get("op")?.as_str()?, p.get("value")?.as_str()?);
            PLAIN_FILTERS.iter().find(|(_, f, o)| *f == field && *o == op).map(|(name, _, _)| (*name, value.to_string()))
        })
        .collect()
}

fn goal_fields(row: usize, g: &GoalInput, reward_points: bool, out: &mut Vec<(String, String)>) {
    let mut put = |f: &str, v: String| out.push((step_key(row, f), v));
    put("label", g.label.clone().unwrap_or_default());
    put("fact", serde_json::to_value(g.fact).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default());
    put("event_type", g.event_type.clone().unwrap_or_default());
    put(
        "measure",
        g.measure
            .and_then(|m| serde_json::to_value(m).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or("count".into()),
    );
    put("distinct_field", g.distinct_field.clone().unwrap_or_default());
    put("target", g.target.to_string());
    if let Some(filter) = &g.filter {
        match plain_filter(filter) {
            Some(plain) => plain.into_iter().for_each(|(k, v)| put(k, v)),
            None => put("filter", filter.to_string()),
        }
    }
    if reward_points {
        put("points", g.reward.as_ref().and_then(|r| r.points).map(|p| p.to_string()).unwrap_or_default());
    }
}

/// Every field of the form by name, as stored.
pub fn stored(m: &MissionInput) -> Vec<(String, String)> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let list = |l: &Option<Vec<String>>| l.as_deref().unwrap_or_default().join(", ");
    let reward = m.reward.clone().unwrap_or_default();
    let mut out = vec![
        ("code".to_string(), m.code.clone()),
        ("name".to_string(), m.name.clone()),
        ("description".to_string(), opt(&m.description)),
        ("starts_at".to_string(), opt(&m.starts_at)),
        ("ends_at".to_string(), opt(&m.ends_at)),
        ("deadline_days".to_string(), m.deadline_days.map(|d| d.to_string()).unwrap_or_default()),
        ("tiers".to_string(), list(&m.tiers)),
        ("segments".to_string(), list(&m.segments)),
        ("classes".to_string(), list(&m.classes)),
        ("enrolment".to_string(), if m.enrolment == Some(Enrolment::OptIn) { "opt_in".into() } else { "automatic".into() }),
        (
            "repeat".to_string(),
            m.repeat
                .and_then(|r| serde_json::to_value(r).ok())
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or("once".into()),
        ),
        ("active".to_string(), if m.active != Some(false) { "1".into() } else { String::new() }),
        ("reward.point_type".to_string(), reward.point_type.unwrap_or_default()),
        ("reward.points".to_string(), reward.points.map(|p| p.to_string()).unwrap_or_default()),
        ("reward.reward".to_string(), reward.reward.unwrap_or_default()),
    ];
    match (&m.goal, &m.steps) {
        (Some(g), _) => goal_fields(0, g, false, &mut out),
        (None, Some(steps)) => steps.iter().enumerate().for_each(|(i, g)| goal_fields(i, g, true, &mut out)),
        (None, None) => {}
    }
    out
}

/// The posted form with its steps renumbered from 0 (rows without a target or label dropped).
pub fn renumbered(fields: &[(String, String)]) -> Vec<(String, String)> {
    let map: HashMap<&str, &str> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let filled =
        |i: usize| ["target", "label"].iter().any(|f| map.get(step_key(i, f).as_str()).is_some_and(|v| !v.trim().is_empty()));
    let mut out: Vec<(String, String)> = fields.iter().filter(|(k, _)| !k.starts_with("steps[")).cloned().collect();
    for (row, i) in (0..STEP_ROWS).filter(|i| filled(*i)).enumerate() {
        for f in STEP_FIELDS {
            out.push((step_key(row, f), map.get(step_key(i, f).as_str()).unwrap_or(&"").to_string()));
        }
    }
    out
}

fn one_of<T: serde::de::DeserializeOwned>(text: &str, default: &str, field: &str) -> Result<T, EngineError> {
    let text = if text.is_empty() { default } else { text };
    serde_json::from_value(json!(text))
        .map_err(|_| EngineError::field(Issue::new("unknown", "is not one of the choices", "از گزینه‌ها نیست").at(field)))
}

fn codes(text: &str) -> Option<Vec<String>> {
    let list: Vec<String> = text.split([',', '،']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    Some(list).filter(|l| !l.is_empty())
}

/// The mission a renumbered form describes.
pub fn parse(fields: &[(String, String)]) -> Result<MissionInput, EngineError> {
    let map: HashMap<&str, &str> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let get = |k: &str| map.get(k).map(|v| v.trim()).unwrap_or("");
    let some = |k: &str| Some(get(k).to_string()).filter(|v| !v.is_empty());
    let rows =
        (0..STEP_ROWS).filter(|i| !get(&step_key(*i, "target")).is_empty() || !get(&step_key(*i, "label")).is_empty()).count();
    let point_type = some("reward.point_type");
    let mut steps = Vec::new();
    for i in 0..rows {
        let at = |f: &str| step_key(i, f);
        let typed: Vec<Value> = PLAIN_FILTERS
            .iter()
            .filter(|(name, _, _)| !get(&at(name)).is_empty())
            .map(|(name, field, op)| json!({"field": field, "op": op, "value": get(&at(name))}))
            .collect();
        let filter = match (typed.len(), get(&at("filter"))) {
            (0, "") => None,
            (0, kept) => Some(rule_json(kept, &at("filter"))?),
            (1, _) => typed.into_iter().next(),
            _ => Some(json!({"all": typed})),
        };
        let points = number(get(&at("points")), &at("points"))?;
        steps.push(GoalInput {
            label: some(&at("label")),
            fact: one_of::<FactKind>(get(&at("fact")), "invoice", &at("fact"))?,
            event_type: some(&at("event_type")),
            filter,
            measure: Some(one_of::<Measure>(get(&at("measure")), "count", &at("measure"))?),
            distinct_field: some(&at("distinct_field")),
            target: number(get(&at("target")), &at("target"))?.unwrap_or(0),
            reward: points.map(|p| MissionReward { point_type: point_type.clone(), points: Some(p), reward: None }),
        });
    }
    let reward = MissionReward {
        point_type: point_type.clone(),
        points: number(get("reward.points"), "reward.points")?,
        reward: some("reward.reward"),
    };
    let (goal, steps) = match steps.len() {
        // A single goal: its step reward, if any, is the mission's.
        1 => (steps.pop().map(|g| GoalInput { reward: None, ..g }), None),
        _ => (None, Some(steps)),
    };
    Ok(MissionInput {
        code: get("code").to_string(),
        name: get("name").to_string(),
        description: some("description"),
        goal,
        steps,
        reward: Some(reward).filter(|r| !r.is_empty()),
        starts_at: some("starts_at"),
        ends_at: some("ends_at"),
        deadline_days: count(get("deadline_days"), "deadline_days")?,
        tiers: codes(get("tiers")),
        segments: codes(get("segments")),
        classes: codes(get("classes")),
        enrolment: Some(if get("enrolment") == "opt_in" { Enrolment::OptIn } else { Enrolment::Automatic }),
        repeat: Some(one_of::<Repeat>(get("repeat"), "once", "repeat")?),
        active: Some(get("active") == "1" || !map.contains_key("editing")),
    })
}

/// A single goal's errors (`goal.target`) belong to the first step row.
pub fn refused(v: &View, fields: &[(String, String)], e: EngineError) -> FormState {
    let e = match e {
        EngineError::Invalid(mut invalid) => {
            for f in &mut invalid.0 {
                if let Some(rest) = f.field.strip_prefix("goal.") {
                    f.field = step_key(0, rest);
                } else if f.field == "goal" || f.field == "steps" {
                    f.field = "steps".into();
                }
            }
            EngineError::Invalid(invalid)
        }
        other => other,
    };
    let mut typed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    typed.push(("steps", ""));
    FormState::refused(v, &typed, e)
}

fn options(form: &FormState, name: &str, choices: &[(&str, T)], v: &View) -> Markup {
    html! {
        select name=(name) aria-label=(name) aria-invalid=[form.error(name).map(|_| "true")] {
            @for (value, label) in choices { option value=(value) selected[form.value(name) == *value] { (v.t(*label)) } }
        }
        @if let Some(e) = form.error(name) { p.error role="alert" { (e) } }
    }
}

fn step_row(v: &View, form: &FormState, i: usize) -> Markup {
    let key = |f: &str| step_key(i, f);
    let text = |f: &str, label: T, size: u8| {
        let name = key(f);
        let err = form.error(&name);
        html! {
            div.field.invalid[err.is_some()] {
                label { (v.t(label)) }
                input name=(name) value=(form.value(&name)) size=(size) aria-label=(name) aria-invalid=[err.map(|_| "true")];
                @if let Some(e) = err { p.error role="alert" { (e) } }
            }
        }
    };
    html! {
        fieldset.step-row {
            legend { (v.t(T::Steps)) " " (v.num(i as i64 + 1)) }
            div.inline {
                (text("label", T::StepLabel, 18))
                div.field { label { (v.t(T::Counts)) }
                    (options(form, &key("fact"), &[("invoice", T::FactPurchases), ("event", T::FactEvents), ("referral", T::FactReferrals)], v)) }
                div.field { label { (v.t(T::Measure)) }
                    (options(form, &key("measure"), &[("count", T::MeasureCount), ("amount", T::MeasureAmount), ("distinct", T::MeasureDistinct)], v)) }
                (text("target", T::TargetLabel, 10))
            }
            div.inline {
                (text("event_type", T::EventType, 14))
                (text("distinct_field", T::DistinctField, 14))
                (text("category", T::OnlyCategory, 10))
                (text("branch", T::OnlyBranch, 10))
                (text("channel", T::OnlyChannel, 8))
                (text("points", T::StepPoints, 6))
            }
            @if !form.value(&key("filter")).is_empty() {
                input type="hidden" name=(key("filter")) value=(form.value(&key("filter")));
                p.muted { small { (v.t(T::FilterKept)) " " code dir="ltr" { (form.value(&key("filter"))) } } }
            }
            @if let Some(e) = form.error(&key("filter")) { p.error role="alert" { (e) } }
        }
    }
}

/// The form: `action` is where it posts; on an edit the code is shown, not typed.
pub fn render_form(
    v: &View,
    form: &FormState,
    point_types: &[(String, String)],
    rewards: &[(String, String)],
    action: &str,
    editing: bool,
) -> Markup {
    let rows = (0..STEP_ROWS).filter(|i| !form.value(&step_key(*i, "target")).is_empty()).count();
    let select_of = |name: &str, choices: &[(String, String)], empty: bool| {
        html! {
            select #(format!("f-{}", name.replace('.', "-"))) name=(name) {
                @if empty { option value="" { "—" } }
                @for (value, label) in choices { option value=(value) selected[form.value(name) == value] { (label) } }
            }
            @if let Some(e) = form.error(name) { p.error role="alert" { (e) } }
        }
    };
    html! {
        form.card.mission-form #mission-form method="post" action=(action) {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            @if editing { input type="hidden" name="editing" value="1"; }
            div.inline {
                (layout::name_and_code(v, form, editing))
            }
            (field(v.t(T::Description), "description", "text", form.value("description"), form.error("description")))
            p.muted { small { (v.t(T::StepsHint)) } }
            @if let Some(e) = form.error("steps") { p.error role="alert" { (e) } }
            @for i in 0..(rows + 1).clamp(1, STEP_ROWS) { (step_row(v, form, i)) }
            fieldset {
                legend { (v.t(T::MissionReward)) }
                div.inline {
                    div.field { label for="f-reward-point_type" { (v.t(T::PointType)) } (select_of("reward.point_type", point_types, false)) }
                    (field(v.t(T::Points), "reward.points", "text", form.value("reward.points"), form.error("reward.points")))
                    div.field { label for="f-reward-reward" { (v.t(T::Rewards)) } (select_of("reward.reward", rewards, true)) }
                }
            }
            div.inline {
                (field(v.t(T::StartsAt), "starts_at", "text", form.value("starts_at"), form.error("starts_at")))
                (field(v.t(T::EndsAt), "ends_at", "text", form.value("ends_at"), form.error("ends_at")))
                (field(v.t(T::DeadlineDays), "deadline_days", "text", form.value("deadline_days"), form.error("deadline_days")))
                div.field { label { (v.t(T::Enrolment)) }
                    (options(form, "enrolment", &[("automatic", T::EnrolAutomatic), ("opt_in", T::EnrolOptIn)], v)) }
                div.field { label { (v.t(T::Repeat)) }
                    (options(form, "repeat", &[("once", T::RepeatOnce), ("daily", T::RepeatDaily), ("weekly", T::RepeatWeekly), ("monthly", T::RepeatMonthly)], v)) }
            }
            div.inline {
                (field(&format!("{} ({})", v.t(T::Tiers), v.t(T::TierCodesHint)), "tiers", "text", form.value("tiers"), form.error("tiers")))
                (field(v.t(T::SegmentCodes), "segments", "text", form.value("segments"), form.error("segments")))
                (field(v.t(T::ClassCodes), "classes", "text", form.value("classes"), form.error("classes")))
            }
            @if editing {
                div.field { label { input type="checkbox" name="active" value="1" checked[form.value("active") == "1"]; " " (v.t(T::Active)) } }
            }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

/// The point types and catalogue rewards the form offers.
pub async fn choices(state: &AppState, staff: &Staff) -> PanelResult<(Vec<(String, String)>, Vec<(String, String)>)> {
    let ctx = staff.ctx();
    let (types, rewards) = tokio::try_join!(state.engine.point_types(ctx), state.engine.rewards(ctx))?;
    Ok((
        types.into_iter().map(|t| (t.code, t.name)).collect(),
        rewards.into_iter().map(|r| (r.reward.code, r.reward.name)).collect(),
    ))
}

async fn render_new(state: &AppState, staff: &Staff, form: &FormState) -> PanelResult<Markup> {
    let v = staff.view();
    let (types, rewards) = choices(state, staff).await?;
    let body = html! {
        p { a href="/admin/missions" { (v.t(T::Missions)) } }
        (render_form(&v, form, &types, &rewards, "/admin/missions", false))
    };
    Ok(layout::page(&v, Section::Games, v.t(T::NewMission), body))
}

pub async fn new(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    staff.require(Access::Write)?;
    render_new(&state, &staff, &FormState::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let fields = renumbered(&fields);
    let result = match parse(&fields) {
        Ok(input) => state.engine.create_mission(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/admin/missions/{}?saved=1", m.mission.code)).into_response()),
        Err(e) => {
            let form = refused(&staff.view(), &fields, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_new(&state, &staff, &form).await?).into_response())
        }
    }
}

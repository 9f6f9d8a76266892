//! Missions and journeys (SPEC D1, D2, D4): the tenant's missions, the ready ones of SPEC J3
//! switched on in one step, and each mission's participation funnel.

use super::mission_editor;
use crate::AppState;
use crate::admin::charts::{self, Point};
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery};
use crate::admin::layout::{self, Section, csrf_field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::reports::PeriodQuery;
use philia_domain::roles::Access;

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    let v = staff.view();
    let missions = state.engine.missions(staff.ctx()).await?;
    let ready: Vec<_> =
        philia_engine::missions::templates().into_iter().filter(|t| !missions.iter().any(|m| m.mission.code == t.code)).collect();
    let body = html! {
        @if q.is_saved() { (layout::notice(v.t(T::Saved), false)) }
        @if v.may(Access::Write) { div.toolbar { a.button href="/admin/missions/new" { (v.t(T::NewMission)) } } }
        div.card.table-wrap { table #missions {
            thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th.num { (v.t(T::Steps)) } th { (v.t(T::Status)) } } }
            tbody { @for m in &missions { tr {
                td { a href=(format!("/admin/missions/{}", m.mission.code)) { (m.mission.name) } }
                td { code { (m.mission.code) } }
                td.num { (v.num(m.mission.steps.as_ref().map_or(1, Vec::len) as i64)) }
                td { @if m.mission.active != Some(false) { span.pill { (v.t(T::Active)) } } }
            } } }
        } }
        @if v.may(Access::Write) && !ready.is_empty() {
            section.card #ready {
                h2 { (v.t(T::ReadyMissions)) }
                ul { @for t in &ready { li {
                    form.inline method="post" action=(format!("/admin/missions/templates/{}", t.code)) {
                        (csrf_field(&v))
                        span { (t.name) @if let Some(d) = &t.description { " — " span.muted { (d) } } }
                        button.link type="submit" { (v.t(T::SwitchOn)) }
                    }
                } } }
            }
        }
    };
    Ok(layout::page(&v, Section::Games, v.t(T::Missions), body))
}

pub async fn enable(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    let m = state.engine.enable_template(staff.ctx(), &code).await?;
    Ok(Redirect::to(&format!("/admin/missions/{}?saved=1", m.mission.code)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    render_show(&state, &staff, &code, None, q.is_saved()).await
}

async fn render_show(state: &AppState, staff: &Staff, code: &str, form: Option<FormState>, saved: bool) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let m = state.engine.mission(ctx, code).await?;
    let period = state.engine.report_period(ctx, &PeriodQuery { period: Some("30d".into()), ..PeriodQuery::default() })?;
    let f = state.engine.mission_funnel(ctx, code, &period).await?;
    let mut stages = vec![(v.t(T::Eligible).to_string(), f.eligible), (v.t(T::Started).to_string(), f.started)];
    for s in &f.steps {
        stages.push((s.label.clone().unwrap_or_else(|| format!("{} {}", v.t(T::Steps), v.digits(s.step + 1))), s.done));
    }
    stages.push((v.t(T::Completed).to_string(), f.completed));
    stages.push((v.t(T::Rewarded).to_string(), f.rewarded));
    let points: Vec<Point> =
        stages.iter().map(|(label, n)| Point { label: label.clone(), value: *n, shown: v.num(*n) }).collect();
    let editor = if v.may(Access::Write) {
        let (types, rewards) = mission_editor::choices(state, staff).await?;
        let form = form.unwrap_or_else(|| {
            let stored = mission_editor::stored(&m.mission);
            FormState::filled(&stored.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>())
        });
        Some(mission_editor::render_form(&v, &form, &types, &rewards, &format!("/admin/missions/{code}"), true))
    } else {
        None
    };
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        @if let Some(d) = &m.mission.description { p { (d) } }
        section.card #funnel {
            h2 { (v.t(T::Funnel)) " · " (v.t(T::Last30)) }
            (charts::bars(v.t(T::Funnel), &points))
            p.muted { (v.t(T::Expired)) ": " (v.num(f.expired)) }
        }
        @if let Some(editor) = editor {
            h2 { (v.t(T::EditMission)) }
            (editor)
        }
    };
    Ok(layout::page(&v, Section::Games, &m.mission.name, body))
}

/// Saves the edit form; the code stays as it is.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let mut fields = mission_editor::renumbered(&fields);
    fields.retain(|(k, _)| k != "code");
    fields.push(("code".into(), code.clone()));
    let result = match mission_editor::parse(&fields) {
        Ok(input) => state.engine.update_mission(staff.ctx(), &code, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/missions/{code}?saved=1")).into_response()),
        Err(e) => {
            let form = mission_editor::refused(&staff.view(), &fields, e);
            let page = render_show(&state, &staff, &code, Some(form), false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

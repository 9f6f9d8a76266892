//! Self-serve onboarding: a business signs up on a public page (when the operator opens sign-up)
//! and lands on the guided setup, which shows each step of a working club as done or to do and
//! does the quick ones in place (ready missions, a ready game).

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::guard::same_origin;
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::pages::sign_in::{into_session, keep_pre_session, pre_session_token};
use crate::admin::session::{PRE_SESSION_COOKIE, Staff, cookie, same_secret};
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;
use philia_domain::staff_auth::Lang;
use philia_engine::onboarding::{SetupProgress, SignUpInput};
use philia_engine::staff_sessions::SignIn;
use serde::Deserialize;

fn sign_up_form(v: &View, sent: &FormState) -> Markup {
    layout::bare_page(
        v,
        v.t(T::SignUpTitle),
        html! {
            @if let Some(g) = &sent.general { (layout::notice(g, true)) }
            form.card #sign-up method="post" action="/admin/sign-up" {
                (csrf_field(v))
                (field(v.t(T::Business), "business", "text", sent.value("business"), sent.error("business")))
                (field(v.t(T::ClubAddress), "slug", "text", sent.value("slug"), sent.error("slug")))
                p.muted { small { (v.t(T::ClubAddressHint)) } }
                (field(v.t(T::YourName), "name", "text", sent.value("name"), sent.error("name")))
                (field(v.t(T::Email), "email", "email", sent.value("email"), sent.error("email")))
                (field(v.t(T::Password), "password", "password", "", sent.error("password")))
                p.muted { small { (v.t(T::PasswordHint)) } }
                button type="submit" { (v.t(T::SignUp)) }
            }
            p { a href="/admin/sign-in" { (v.t(T::HaveAccount)) } }
        },
    )
}

fn closed(v: &View) -> Response {
    (StatusCode::NOT_FOUND, layout::bare_page(v, v.t(T::SignUpTitle), html! { p.notice { (v.t(T::SignUpClosed)) } }))
        .into_response()
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let csrf = pre_session_token(&headers);
    let v = View::anonymous(Lang::Fa, csrf.clone());
    if !state.signup_open {
        return closed(&v);
    }
    let mut response = sign_up_form(&v, &FormState::default()).into_response();
    keep_pre_session(&state, &mut response, &csrf);
    response
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: SignUpFields,
}

#[derive(Deserialize, Default)]
struct SignUpFields {
    #[serde(default)]
    business: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(State(state): State<AppState>, headers: HeaderMap, req: Request) -> Response {
    let pre = cookie(&headers, PRE_SESSION_COOKIE).unwrap_or("").to_string();
    let v = View::anonymous(Lang::Fa, pre.clone());
    if !state.signup_open {
        return closed(&v);
    }
    let origin_ok = same_origin(&req);
    let Ok(Form(form)) = <Form<SignUpForm> as axum::extract::FromRequest<AppState>>::from_request(req, &state).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let f = form.input;
    let typed = [("business", f.business.as_str()), ("slug", &f.slug), ("name", &f.name), ("email", &f.email), ("password", "")];
    if !origin_ok || pre.is_empty() || !same_secret(&pre, &form.csrf) {
        let sent = FormState::typed(&typed).with_general(v.t(T::FormExpired));
        return (StatusCode::FORBIDDEN, sign_up_form(&v, &sent)).into_response();
    }
    let input = SignUpInput {
        business: f.business.clone(),
        slug: f.slug.trim().to_lowercase(),
        name: f.name.clone(),
        email: f.email.clone(),
        password: f.password.clone(),
    };
    if let Err(e) = state.engine.sign_up(&input).await {
        return (StatusCode::UNPROCESSABLE_ENTITY, sign_up_form(&v, &FormState::refused(&v, &typed, e))).into_response();
    }
    match state.engine.sign_in(&input.email, &input.password, Some(&input.slug)).await {
        Ok(SignIn::Session { token, session }) => {
            tracing::info!(tenant = %session.ctx.slug, "a business signed up");
            into_session(&state, &token, "/admin/setup")
        }
        // The account exists; signing in is left to the person.
        _ => Redirect::to("/admin/sign-in").into_response(),
    }
}

fn step(v: &View, id: &str, title: T, done: bool, body: Markup) -> Markup {
    html! {
        section.card.step id=(id) data-done=(if done { "yes" } else { "no" }) {
            h2 { span.state { (if done { "✓ " } else { "○ " }) } (v.t(title)) }
            (body)
        }
    }
}

/// What is switched on already: mission and game codes.
struct On {
    missions: Vec<String>,
    games: Vec<String>,
}

fn render(v: &View, p: &SetupProgress, club: &str, on: &On) -> Markup {
    let templates = philia_engine::missions::templates();
    let games = philia_engine::games::game_templates();
    html! {
        p.notice #progress { (v.t(T::StepsDone)) ": " (v.num(p.done() as i64)) " / " (v.num(SetupProgress::STEPS as i64)) }
        (step(v, "step-programme", T::StepProgramme, p.programme, html! {
            p.muted { (v.t(T::StepProgrammeHint)) }
            a.button href="/admin/programme" { (v.t(T::Adjust)) }
        }))
        (step(v, "step-missions", T::StepMissions, p.missions > 0, html! {
            form method="post" action="/admin/setup/missions" {
                (csrf_field(v))
                @for t in &templates {
                    @let is_on = on.missions.contains(&t.code);
                    label.check { input type="checkbox" name="code" value=(t.code) checked[is_on] disabled[is_on]; " " (t.name) }
                }
                button type="submit" { (v.t(T::SwitchOnChosen)) }
            }
        }))
        (step(v, "step-games", T::StepGames, p.games > 0, html! {
            @for g in &games {
                @if on.games.contains(&g.code) {
                    p { "✓ " (g.name) }
                } @else {
                    form.inline method="post" action=(format!("/admin/setup/games/{}", g.code)) {
                        (csrf_field(v)) button type="submit" { (g.name) }
                    }
                }
            }
        }))
        (step(v, "step-look", T::StepClubLook, p.club_look, html! {
            a.button href="/admin/branding" { (v.t(T::ClubLook)) }
            " " a href=(club) target="_blank" { (v.t(T::OpenClub)) }
        }))
        (step(v, "step-sms", T::StepSms, p.sms, html! {
            p.muted { (v.t(T::StepSmsHint)) }
            a.button href="/admin/messaging" { (v.t(T::Messaging)) }
        }))
        (step(v, "step-customers", T::StepCustomers, p.customers, html! {
            a.button href="/admin/imports" { (v.t(T::Imports)) }
            " " a href="/admin/integrations" { (v.t(T::Integrations)) }
        }))
    }
}

pub async fn setup(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let (progress, missions, games) =
        tokio::try_join!(state.engine.setup_progress(ctx), state.engine.missions(ctx), state.engine.games(ctx))?;
    let on = On {
        missions: missions.into_iter().map(|m| m.mission.code).collect(),
        games: games.into_iter().map(|g| g.game.code).collect(),
    };
    let club = format!("/club/{}", ctx.slug);
    Ok(layout::page(&v, Section::Settings, v.t(T::Setup), render(&v, &progress, &club, &on)))
}

/// Switches on the ready missions ticked (those already on are left as they are).
pub async fn missions(State(state): State<AppState>, staff: Staff, body: axum::body::Bytes) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let chosen: Vec<String> = form_urlencoded::parse(&body).filter(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).collect();
    let existing = state.engine.missions(staff.ctx()).await?;
    for code in chosen.iter().filter(|c| !existing.iter().any(|m| &m.mission.code == *c)) {
        state.engine.enable_template(staff.ctx(), code).await?;
    }
    Ok(Redirect::to("/admin/setup#step-missions").into_response())
}

pub async fn game(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    if !state.engine.games(staff.ctx()).await?.iter().any(|g| g.game.code == code) {
        state.engine.enable_game_template(staff.ctx(), &code).await?;
    }
    Ok(Redirect::to("/admin/setup#step-games").into_response())
}

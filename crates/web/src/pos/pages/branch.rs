//! Choosing the branch a till session sells at.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::pos::guard::Till;
use crate::pos::layout::{self, who};
use crate::pos::text::P;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::records::Branch;
use serde::Deserialize;

fn render(till: &Till, branches: &[Branch], error: Option<&str>) -> Markup {
    let v = till.view();
    let body = html! {
        @if let Some(e) = error { p.notice.error role="alert" { (e) } }
        @if branches.is_empty() { p { (till.t(P::NoBranches)) } }
        @else {
            form.card method="post" action="/pos/branch" {
                input type="hidden" name="csrf" value=(v.csrf);
                fieldset.branches {
                    legend { (till.t(P::ChooseBranch)) }
                    @for (i, b) in branches.iter().filter(|b| b.active).enumerate() {
                        label.choice {
                            input type="radio" name="branch" value=(b.code)
                                checked[till.session.branch.as_deref() == Some(b.code.as_str()) || (till.session.branch.is_none() && i == 0)];
                            " " (b.name) @if let Some(c) = &b.city { " — " (c) }
                        }
                    }
                }
                button.big type="submit" { (till.t(P::Start)) }
            }
        }
    };
    layout::page(&v, till.t(P::Till), who(&v, till.session.branch.as_deref()), body)
}

pub async fn page(State(state): State<AppState>, till: Till) -> PanelResult<Markup> {
    let branches = state.engine.branches(&till.session.ctx).await?;
    Ok(render(&till, &branches, None))
}

#[derive(Deserialize)]
pub struct BranchForm {
    #[serde(default)]
    branch: String,
}

pub async fn choose(State(state): State<AppState>, till: Till, Form(form): Form<BranchForm>) -> PanelResult<Response> {
    match state.engine.open_till(&till.token, &till.session, &form.branch).await {
        Ok(()) => Ok(Redirect::to("/pos").into_response()),
        Err(e) => {
            let message = crate::admin::failure::PanelError::from(e).message(till.session.lang).to_string();
            let branches = state.engine.branches(&till.session.ctx).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&till, &branches, Some(&message))).into_response())
        }
    }
}

//! Chance games (SPEC D3): the list, a new wheel or slot machine with its prizes, weights per
//! tier, stock and daily limits, and each game's page with the chance of every prize for every
//! tier (computed as the draw computes it) and its plays over the last 30 days.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::forms::SavedQuery;
use crate::admin::forms::{count, number};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::Issue;
use philia_domain::games::{GameInput, GameKind, GameLook, PlayCost, PrizeInput, PrizeKind};
use philia_domain::reports::PeriodQuery;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use std::collections::{BTreeMap, HashMap};

const PRIZE_ROWS: usize = 8;
const PRIZE_FIELDS: [&str; 9] = ["code", "label", "kind", "amount", "ref", "weight", "tier_weights", "stock", "daily_limit"];

fn kind_options(v: &View) -> [(&'static str, &'static str); 6] {
    [
        ("points", v.t(T::PrizePoints)),
        ("wallet", v.t(T::PrizeWallet)),
        ("spins", v.t(T::PrizeSpins)),
        ("discount_code", v.t(T::PrizeCode)),
        ("reward", v.t(T::PrizeReward)),
        ("nothing", v.t(T::PrizeNothing)),
    ]
}

async fn render_list(state: &AppState, staff: &Staff, form: FormState) -> PanelResult<Markup> {
    let v = staff.view();
    let games = state.engine.games(staff.ctx()).await?;
    let kinds = kind_options(&v);
    let body = html! {
        div.toolbar { a.button href="/admin/missions" { (v.t(T::Missions)) } }
        div.card.table-wrap { table #games {
            thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th { (v.t(T::Kind)) } th { (v.t(T::Prizes)) } th { (v.t(T::Status)) } } }
            tbody { @for g in &games { tr {
                td { a href=(format!("/admin/games/{}", g.game.code)) { (g.game.name) } }
                td { code { (g.game.code) } }
                td { (match g.game.kind { GameKind::Wheel => v.t(T::Wheel), GameKind::Slot => v.t(T::Slot) }) }
                td { (v.num(g.game.prizes.len() as i64)) }
                td { @if g.game.active != Some(false) { span.pill { (v.t(T::Active)) } } }
            } } }
        } }
        @if v.may(Access::Write) {
            section.card {
                h2 { (v.t(T::NewGame)) }
                form #new-game method="post" action="/admin/games" {
                    @if let Some(g) = &form.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    div.inline {
                        (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                        (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                        div.field {
                            label for="f-kind" { (v.t(T::Kind)) }
                            select #f-kind name="kind" {
                                option value="wheel" selected[form.value("kind") != "slot"] { (v.t(T::Wheel)) }
                                option value="slot" selected[form.value("kind") == "slot"] { (v.t(T::Slot)) }
                            }
                        }
                    }
                    div.inline {
                        (field(v.t(T::CostPoints), "cost_points", "text", form.value("cost_points"), form.error("cost")))
                        (field(v.t(T::PointType), "cost_point_type", "text", form.value("cost_point_type"), form.error("cost.point_type")))
                        (field(v.t(T::PlaysPerDay), "plays_per_day", "text", form.value("plays_per_day"), form.error("plays_per_day")))
                    }
                    label { input type="checkbox" name="spins" value="1" checked[form.value("spins") == "1"]; " " (v.t(T::SpinsPay)) }
                    h2 { (v.t(T::Prizes)) }
                    p.muted { small { (v.t(T::PrizeRowsHint)) " · " (v.t(T::AmountOrDays)) " · " (v.t(T::Reference)) } }
                    @if let Some(e) = form.error("prizes") { p.error role="alert" { (e) } }
                    div.table-wrap { table #prize-rows {
                        thead { tr {
                            th { (v.t(T::Code)) } th { (v.t(T::Label)) } th { (v.t(T::PrizeKind)) } th { (v.t(T::Amount)) } th { (v.t(T::Reference)) }
                            th { (v.t(T::Weight)) } th { (v.t(T::TierWeights)) } th { (v.t(T::Stock)) } th { (v.t(T::DailyLimit)) }
                        } }
                        tbody { @for i in 0..PRIZE_ROWS { tr {
                            @for k in PRIZE_FIELDS {
                                @let name = format!("prizes[{i}].{k}");
                                @let err = form.error(&name).map(str::to_string).or_else(|| prize_error(&form, i, k));
                                td.invalid[err.is_some()] {
                                    @if k == "kind" {
                                        select name=(name) aria-label=(format!("{k} {}", i + 1)) {
                                            @for (value, text) in kinds { option value=(value) selected[form.value(&name) == value] { (text) } }
                                        }
                                    } @else {
                                        input name=(name) value=(form.value(&name)) size=(if k == "label" || k == "tier_weights" { 12 } else { 6 })
                                            aria-label=(format!("{k} {}", i + 1)) aria-invalid=[err.as_ref().map(|_| "true")];
                                    }
                                    @if let Some(e) = err { p.error role="alert" { (e) } }
                                }
                            }
                        } } }
                    } }
                    button type="submit" { (v.t(T::Save)) }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Games, v.t(T::Games), body))
}

/// An error the engine gave under a prize's nested fields (`prizes[1].points`), shown in its row.
fn prize_error(form: &FormState, i: usize, k: &str) -> Option<String> {
    let nested: &[&str] = match k {
        "amount" => &["points", "amount", "spins", "valid_days"],
        "ref" => &["point_type", "promotion", "reward"],
        _ => &[],
    };
    nested.iter().find_map(|n| form.error(&format!("prizes[{i}].{n}")).map(str::to_string))
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    // A starting wheel: one prize in points and a "try again".
    let form = FormState::filled(&[
        ("prizes[0].kind", "points"),
        ("prizes[0].ref", "purchase"),
        ("prizes[1].kind", "nothing"),
        ("cost_point_type", "purchase"),
    ]);
    render_list(&state, &staff, form).await
}

fn prize(row: &HashMap<&str, String>, index: usize) -> Result<PrizeInput, EngineError> {
    let at = |k: &str| format!("prizes[{index}].{k}");
    let get = |k: &str| row.get(k).map(String::as_str).unwrap_or("");
    let amount = number(get("amount"), &at("amount"))?.unwrap_or(0);
    let reference = get("ref").trim().to_string();
    let kind = match get("kind") {
        "wallet" => PrizeKind::Wallet { amount },
        "spins" => PrizeKind::Spins { spins: count(get("amount"), &at("amount"))?.unwrap_or(0) },
        "discount_code" => {
            PrizeKind::DiscountCode { promotion: reference, valid_days: count(get("amount"), &at("amount"))?.unwrap_or(0) }
        }
        "reward" => PrizeKind::Reward { reward: reference },
        "nothing" => PrizeKind::Nothing {},
        _ => PrizeKind::Points { point_type: reference, points: amount },
    };
    let mut tier_weights = BTreeMap::new();
    for pair in get("tier_weights").split([',', '،']).map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = pair.split_once(':').and_then(|(t, w)| Some((t.trim().to_string(), number(w, "").ok()??)));
        match parsed {
            Some((tier, w)) if u32::try_from(w).is_ok() => {
                tier_weights.insert(tier, w as u32);
            }
            _ => {
                return Err(EngineError::field(
                    Issue::new(
                        "invalid_tier_weights",
                        "write tier:weight pairs, e.g. gold:30, silver:20",
                        "به شکل سطح:وزن بنویسید، مثل gold:30",
                    )
                    .at(at("tier_weights")),
                ));
            }
        }
    }
    Ok(PrizeInput {
        code: get("code").trim().to_string(),
        label: get("label").to_string(),
        kind,
        weight: count(get("weight"), &at("weight"))?.unwrap_or(0),
        tier_weights: (!tier_weights.is_empty()).then_some(tier_weights),
        stock: number(get("stock"), &at("stock"))?,
        daily_limit: number(get("daily_limit"), &at("daily_limit"))?,
        value: None,
        colour: None,
        image: None,
        symbol: None,
    })
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let map: HashMap<String, String> = fields.into_iter().collect();
    let get = |k: &str| map.get(k).cloned().unwrap_or_default();
    // Rows with a code, renumbered from 0 so that errors and the form agree on row numbers.
    let rows: Vec<HashMap<&str, String>> = (0..PRIZE_ROWS)
        .map(|i| PRIZE_FIELDS.iter().map(|k| (*k, map.get(&format!("prizes[{i}].{k}")).cloned().unwrap_or_default())).collect())
        .filter(|row: &HashMap<&str, String>| !row["code"].trim().is_empty())
        .collect();
    let parsed = (|| {
        let prizes = rows.iter().enumerate().map(|(i, r)| prize(r, i)).collect::<Result<Vec<_>, _>>()?;
        let cost_points = number(&get("cost_points"), "cost")?;
        Ok::<_, EngineError>(GameInput {
            code: get("code").trim().to_string(),
            name: get("name"),
            description: None,
            kind: if get("kind") == "slot" { GameKind::Slot } else { GameKind::Wheel },
            prizes,
            fallback: None,
            cost: PlayCost {
                spins: get("spins") == "1",
                point_type: cost_points.map(|_| get("cost_point_type").trim().to_string()),
                points: cost_points,
            },
            plays_per_day: count(&get("plays_per_day"), "plays_per_day")?,
            plays_per_customer: None,
            tiers: None,
            starts_at: None,
            ends_at: None,
            look: GameLook::default(),
            active: Some(true),
        })
    })();
    let result = match parsed {
        Ok(input) => state.engine.create_game(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(g) => Ok(Redirect::to(&format!("/admin/games/{}?saved=1", g.game.code)).into_response()),
        Err(e) => {
            let mut typed: Vec<(String, String)> = [
                "name",
                "code",
                "kind",
                "cost_points",
                "cost_point_type",
                "plays_per_day",
                "spins",
                "cost",
                "cost.point_type",
                "prizes",
            ]
            .iter()
            .map(|k| (k.to_string(), get(k)))
            .collect();
            for (i, row) in rows.iter().enumerate() {
                for k in PRIZE_FIELDS {
                    typed.push((format!("prizes[{i}].{k}"), row[k].clone()));
                }
            }
            let pairs: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let form = FormState::refused(&staff.view(), &pairs, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form).await?).into_response())
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let record = state.engine.game(ctx, &code).await?;
    let game = record.game.parse(&ctx.zone).map_err(EngineError::Invalid)?;
    let tiers = state.engine.tier_names(ctx).await?;
    let period = state.engine.report_period(ctx, &PeriodQuery { period: Some("30d".into()), ..PeriodQuery::default() })?;
    let report = state.engine.game_report(ctx, &code, &period).await?;
    let none = vec![None; game.prizes().len()];
    let mut columns: Vec<(String, Option<String>)> = vec![(v.t(T::NoTier).to_string(), None)];
    columns.extend(tiers.iter().map(|(code, name)| (name.clone(), Some(code.clone()))));
    let odds: Vec<Vec<u64>> = columns.iter().map(|(_, t)| game.odds(t.as_deref(), &none)).collect();
    let share = |weights: &[u64], i: usize| {
        let total: u64 = weights.iter().sum();
        if total == 0 { 0.0 } else { weights[i] as f64 * 100.0 / total as f64 }
    };
    let body = html! {
        @if q.is_saved() { (layout::notice(v.t(T::Saved), false)) }
        p { (v.t(T::ShareLink)) ": " code dir="ltr" { "/club/" (ctx.slug) "/games/" (code) } }
        section.card #odds {
            h2 { (v.t(T::Odds)) }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Prizes)) } @for (name, _) in &columns { th.num { (name) } } } }
                tbody { @for (i, p) in game.prizes().iter().enumerate() { tr {
                    td { (p.label) }
                    @for weights in &odds { td.num { (v.percent(share(weights, i))) } }
                } } }
            } }
        }
        section.card #funnel {
            h2 { (v.t(T::Funnel)) " · " (v.t(T::Last30)) }
            div.figures {
                div.figure { span.label { (v.t(T::Plays)) } span.value { (v.num(report.plays)) } }
                div.figure { span.label { (v.t(T::Players)) } span.value { (v.num(report.unique_players)) } }
                div.figure { span.label { (v.t(T::Points)) } span.value { (v.num(report.points_spent)) } }
            }
        }
    };
    Ok(layout::page(&v, Section::Games, &record.game.name, body))
}

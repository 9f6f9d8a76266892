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
use philia_domain::games::{GameInput, GameKind, PlayCost, PrizeInput, PrizeKind};
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
                (game_form(&v, &form, "/admin/games", false))
            }
        }
    };
    Ok(layout::page(&v, Section::Games, v.t(T::Games), body))
}

/// The game's form, for a new game (`/admin/games`) or an edit of one; the form's id stays
/// `new-game` on both so the prize rows read alike.
fn game_form(v: &View, form: &FormState, action: &str, editing: bool) -> Markup {
    let kinds = kind_options(v);
    html! {
        form #new-game method="post" action=(action) {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.inline {
                (layout::name_and_code(v, form, editing))
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
            @if editing {
                " "
                label { input type="checkbox" name="active" value="1" checked[form.value("active") == "1"]; " " (v.t(T::Active)) }
            }
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
                        @let err = form.error(&name).map(str::to_string).or_else(|| prize_error(form, i, k));
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

/// The posted form's prize rows that have a code, renumbered from 0 so that errors and the form
/// agree on row numbers.
fn prize_rows(map: &HashMap<String, String>) -> Vec<HashMap<&'static str, String>> {
    (0..PRIZE_ROWS)
        .map(|i| PRIZE_FIELDS.iter().map(|k| (*k, map.get(&format!("prizes[{i}].{k}")).cloned().unwrap_or_default())).collect())
        .filter(|row: &HashMap<&str, String>| !row["code"].trim().is_empty())
        .collect()
}

/// The game the form describes. On an edit, what the form does not show (description, fallback,
/// plays per customer, tiers, dates, look, each prize's value and look) is kept from `before`.
fn parse_game(
    map: &HashMap<String, String>,
    rows: &[HashMap<&str, String>],
    before: Option<&GameInput>,
) -> Result<GameInput, EngineError> {
    let get = |k: &str| map.get(k).cloned().unwrap_or_default();
    let mut prizes = rows.iter().enumerate().map(|(i, r)| prize(r, i)).collect::<Result<Vec<_>, _>>()?;
    if let Some(b) = before {
        for p in &mut prizes {
            if let Some(old) = b.prizes.iter().find(|o| o.code == p.code) {
                p.value = old.value;
                p.colour = old.colour.clone();
                p.image = old.image.clone();
                p.symbol = old.symbol.clone();
            }
        }
    }
    let cost_points = number(&get("cost_points"), "cost")?;
    Ok(GameInput {
        code: get("code").trim().to_string(),
        name: get("name"),
        description: before.and_then(|b| b.description.clone()),
        kind: if get("kind") == "slot" { GameKind::Slot } else { GameKind::Wheel },
        prizes,
        fallback: before.and_then(|b| b.fallback.clone()),
        cost: PlayCost {
            spins: get("spins") == "1",
            point_type: cost_points.map(|_| get("cost_point_type").trim().to_string()),
            points: cost_points,
        },
        plays_per_day: count(&get("plays_per_day"), "plays_per_day")?,
        plays_per_customer: before.and_then(|b| b.plays_per_customer),
        tiers: before.and_then(|b| b.tiers.clone()),
        starts_at: before.and_then(|b| b.starts_at.clone()),
        ends_at: before.and_then(|b| b.ends_at.clone()),
        look: before.map(|b| b.look.clone()).unwrap_or_default(),
        active: Some(before.is_none() || get("active") == "1"),
    })
}

/// The form as typed, with the engine's errors placed by field.
fn refused(staff: &Staff, map: &HashMap<String, String>, rows: &[HashMap<&str, String>], e: EngineError) -> FormState {
    let get = |k: &str| map.get(k).cloned().unwrap_or_default();
    let mut typed: Vec<(String, String)> = [
        "name",
        "code",
        "kind",
        "cost_points",
        "cost_point_type",
        "plays_per_day",
        "spins",
        "active",
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
    FormState::refused(&staff.view(), &pairs, e)
}

/// The form's fields as a stored game fills them.
fn stored(g: &GameInput) -> Vec<(String, String)> {
    let mut out = vec![
        ("name".to_string(), g.name.clone()),
        ("code".to_string(), g.code.clone()),
        ("kind".to_string(), if g.kind == GameKind::Slot { "slot".into() } else { "wheel".into() }),
        ("cost_points".to_string(), g.cost.points.map(|p| p.to_string()).unwrap_or_default()),
        ("cost_point_type".to_string(), g.cost.point_type.clone().unwrap_or_default()),
        ("plays_per_day".to_string(), g.plays_per_day.map(|p| p.to_string()).unwrap_or_default()),
        ("spins".to_string(), if g.cost.spins { "1".into() } else { String::new() }),
        ("active".to_string(), if g.active != Some(false) { "1".into() } else { String::new() }),
    ];
    for (i, p) in g.prizes.iter().enumerate() {
        let (kind, amount, reference) = match &p.kind {
            PrizeKind::Points { point_type, points } => ("points", points.to_string(), point_type.clone()),
            PrizeKind::Wallet { amount } => ("wallet", amount.to_string(), String::new()),
            PrizeKind::Spins { spins } => ("spins", spins.to_string(), String::new()),
            PrizeKind::DiscountCode { promotion, valid_days } => ("discount_code", valid_days.to_string(), promotion.clone()),
            PrizeKind::Reward { reward } => ("reward", String::new(), reward.clone()),
            PrizeKind::Nothing {} => ("nothing", String::new(), String::new()),
        };
        let tiers = p.tier_weights.as_ref().map(|t| t.iter().map(|(k, w)| format!("{k}:{w}")).collect::<Vec<_>>().join(", "));
        let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        for (k, v) in [
            ("code", p.code.clone()),
            ("label", p.label.clone()),
            ("kind", kind.to_string()),
            ("amount", amount),
            ("ref", reference),
            ("weight", p.weight.to_string()),
            ("tier_weights", tiers.unwrap_or_default()),
            ("stock", opt(p.stock)),
            ("daily_limit", opt(p.daily_limit)),
        ] {
            out.push((format!("prizes[{i}].{k}"), v));
        }
    }
    out
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let map: HashMap<String, String> = fields.into_iter().collect();
    let rows = prize_rows(&map);
    let result = match parse_game(&map, &rows, None) {
        Ok(input) => state.engine.create_game(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(g) => Ok(Redirect::to(&format!("/admin/games/{}?saved=1", g.game.code)).into_response()),
        Err(e) => {
            let form = refused(&staff, &map, &rows, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form).await?).into_response())
        }
    }
}

/// Saves a game's edit form; its code stays as it is.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let mut map: HashMap<String, String> = fields.into_iter().collect();
    map.insert("code".into(), code.clone());
    let rows = prize_rows(&map);
    let before = state.engine.game(staff.ctx(), &code).await?.game;
    let result = match parse_game(&map, &rows, Some(&before)) {
        Ok(input) => state.engine.update_game(staff.ctx(), &code, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/games/{code}?saved=1")).into_response()),
        Err(e) => {
            let form = refused(&staff, &map, &rows, e);
            let page = render_show(&state, &staff, &code, Some(form), false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
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
    let record = state.engine.game(ctx, code).await?;
    let game = record.game.parse(&ctx.zone).map_err(EngineError::Invalid)?;
    let tiers = state.engine.tier_names(ctx).await?;
    let period = state.engine.report_period(ctx, &PeriodQuery { period: Some("30d".into()), ..PeriodQuery::default() })?;
    let report = state.engine.game_report(ctx, code, &period).await?;
    let form = form.unwrap_or_else(|| {
        let stored = stored(&record.game);
        FormState::filled(&stored.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>())
    });
    let none = vec![None; game.prizes().len()];
    let mut columns: Vec<(String, Option<String>)> = vec![(v.t(T::NoTier).to_string(), None)];
    columns.extend(tiers.iter().map(|(code, name)| (name.clone(), Some(code.clone()))));
    let odds: Vec<Vec<u64>> = columns.iter().map(|(_, t)| game.odds(t.as_deref(), &none)).collect();
    let share = |weights: &[u64], i: usize| {
        let total: u64 = weights.iter().sum();
        if total == 0 { 0.0 } else { weights[i] as f64 * 100.0 / total as f64 }
    };
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
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
        @if v.may(Access::Write) {
            section.card #edit-game {
                h2 { (v.t(T::EditGame)) }
                (game_form(&v, &form, &format!("/admin/games/{code}"), true))
            }
        }
    };
    Ok(layout::page(&v, Section::Games, &record.game.name, body))
}

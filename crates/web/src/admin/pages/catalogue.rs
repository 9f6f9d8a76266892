//! The catalogue (SPEC A6): products with search and paging, a product added or changed by its
//! SKU, and the category tree with a category added or moved by its code.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, number, required};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::catalogue::{CategoryInput, ProductInput};
use philia_domain::records::Category;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use serde::Deserialize;

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct CatalogueQuery {
    q: Option<String>,
    after: Option<String>,
    saved: Option<String>,
    /// A product's SKU to fill the form with.
    edit: Option<String>,
}

/// The forms of the page, as typed after a refusal.
#[derive(Default)]
struct Forms {
    product: FormState,
    category: FormState,
}

fn category_select(form: &FormState, name: &str, categories: &[Category]) -> Markup {
    html! {
        select id=(format!("f-{name}")) name=(name) {
            option value="" { "—" }
            @for c in categories { option value=(c.code) selected[form.value(name) == c.code] { (c.name) " (" (c.code) ")" } }
        }
        @if let Some(e) = form.error(name) { p.error role="alert" { (e) } }
    }
}

async fn render(state: &AppState, staff: &Staff, q: &CatalogueQuery, forms: Forms) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (page, categories) =
        tokio::try_join!(state.engine.products(ctx, search, q.after.as_deref(), PAGE), state.engine.categories(ctx))?;
    let category_name = |code: &str| categories.iter().find(|c| c.code == code).map_or(code.to_string(), |c| c.name.clone());
    let body = html! {
        @if q.saved.is_some() { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar { a.button href="/admin/branches" { (v.t(T::Branches)) } }
        form.inline role="search" method="get" action="/admin/catalogue" {
            div.field { label for="f-q" { (v.t(T::Search)) } input #f-q name="q" value=(search.unwrap_or("")) placeholder=(v.t(T::ProductSearchHint)); }
            div.field { button type="submit" { (v.t(T::Search)) } }
        }
        div.card.table-wrap { table #products {
            thead { tr { th { "SKU" } th { (v.t(T::Name)) } th { (v.t(T::Category)) } th.num { (v.t(T::Price)) } th { (v.t(T::Status)) } } }
            tbody { @for p in &page.items { tr {
                td { @if v.may(Access::Write) { a href=(format!("/admin/catalogue?edit={}#product-form", p.sku)) { code { (p.sku) } } } @else { code { (p.sku) } } }
                td { (p.name) }
                td { (p.category.as_deref().map(category_name).unwrap_or_default()) }
                td.num { (v.money(p.price)) }
                td { @if p.active { span.pill { (v.t(T::Active)) } } @else { span.muted { (v.t(T::Paused)) } } }
            } } }
        } }
        @if page.items.is_empty() { p.muted { (v.t(T::NothingHere)) } }
        @if let Some(next) = &page.next_cursor {
            p { a href=(format!("/admin/catalogue?after={}{}", next, search.map(|s| format!("&q={s}")).unwrap_or_default())) { (v.t(T::NextPage)) } }
        }
        @if v.may(Access::Write) {
            (product_form(&v, &forms.product, &categories))
            (category_form(&v, &forms.category, &categories))
        }
        section.card #categories {
            h2 { (v.t(T::Categories)) }
            ul { @for c in &categories { li {
                (c.name) " " code { (c.code) }
                @if let Some(parent) = &c.parent { span.muted { " ← " (category_name(parent)) } }
            } } }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::Catalogue), body))
}

fn product_form(v: &View, form: &FormState, categories: &[Category]) -> Markup {
    html! {
        form.card #product-form method="post" action="/admin/catalogue/products" {
            h2 { (v.t(T::ProductForm)) }
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.inline {
                (field("SKU", "sku", "text", form.value("sku"), form.error("sku")))
                (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                div.field { label for="f-category" { (v.t(T::Category)) } (category_select(form, "category", categories)) }
                (field(v.t(T::Price), "price", "text", form.value("price"), form.error("price")))
            }
            label { input type="checkbox" name="active" value="1" checked[form.value("active") != "0"]; " " (v.t(T::Active)) }
            p.muted { small { (v.t(T::ProductFormHint)) } }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

fn category_form(v: &View, form: &FormState, categories: &[Category]) -> Markup {
    html! {
        form.card #category-form method="post" action="/admin/catalogue/categories" {
            h2 { (v.t(T::CategoryForm)) }
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.inline {
                (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                div.field { label for="f-parent" { (v.t(T::ParentCategory)) } (category_select(form, "parent", categories)) }
            }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<CatalogueQuery>) -> PanelResult<Markup> {
    let mut forms = Forms::default();
    if let Some(sku) = q.edit.as_deref() {
        let p = state.engine.product(staff.ctx(), sku).await?;
        let price = p.price.to_string();
        forms.product = FormState::filled(&[
            ("sku", &p.sku),
            ("name", &p.name),
            ("category", p.category.as_deref().unwrap_or("")),
            ("price", &price),
            ("active", if p.active { "1" } else { "0" }),
        ]);
    }
    render(&state, &staff, &q, forms).await
}

#[derive(Deserialize)]
pub struct ProductForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    active: String,
}

pub async fn save_product(State(state): State<AppState>, staff: Staff, Form(f): Form<ProductForm>) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let input = (|| {
        Ok::<_, EngineError>(ProductInput {
            name: f.name.trim().to_string(),
            category: Some(f.category.clone()).filter(|c| !c.is_empty()),
            price: required(number(&f.price, "price")?, "price")?,
            active: f.active == "1",
        })
    })();
    let result = match input {
        Ok(input) => state.engine.put_product(staff.ctx(), f.sku.trim(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/admin/catalogue?saved=1&q={}", p.sku)).into_response()),
        Err(e) => {
            let active = if f.active == "1" { "1" } else { "0" };
            let typed =
                [("sku", f.sku.as_str()), ("name", &f.name), ("category", &f.category), ("price", &f.price), ("active", active)];
            let forms = Forms { product: FormState::refused(&staff.view(), &typed, e), ..Forms::default() };
            let page = render(&state, &staff, &CatalogueQuery::default(), forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
}

pub async fn save_category(State(state): State<AppState>, staff: Staff, Form(f): Form<CategoryForm>) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let input = CategoryInput { name: f.name.trim().to_string(), parent: Some(f.parent.clone()).filter(|p| !p.is_empty()) };
    match state.engine.put_category(staff.ctx(), f.code.trim(), &input).await {
        Ok(_) => Ok(Redirect::to("/admin/catalogue?saved=1#categories").into_response()),
        Err(e) => {
            let typed = [("code", f.code.as_str()), ("name", &f.name), ("parent", &f.parent)];
            let forms = Forms { category: FormState::refused(&staff.view(), &typed, e), ..Forms::default() };
            let page = render(&state, &staff, &CatalogueQuery::default(), forms).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

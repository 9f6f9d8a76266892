//! An accounting feed's part of its connection page: where the program sends its files, the
//! column mapping (one box per invoice field), a sample to preview under the mapping as typed,
//! and sending that sample as a file.

use super::integrations::{Shown, render_one};
use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::layout::{self, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::feed::{FIELDS, FeedMapping};
use philia_domain::roles::Access;
use philia_engine::connections::ConnectionView;
use philia_engine::feed::FeedPreview;
use std::collections::HashMap;

fn label(field: &str) -> T {
    match field {
        "invoice_id" => T::FieldInvoiceId,
        "issued_at" => T::FieldIssuedAt,
        "customer_external_id" => T::FieldCustomerExternalId,
        "customer_mobile" => T::FieldCustomerMobile,
        "customer_email" => T::FieldCustomerEmail,
        "customer_name" => T::FieldCustomerName,
        "sku" => T::FieldSku,
        "product_name" => T::FieldProductName,
        "category" => T::FieldCategory,
        "quantity" => T::FieldQuantity,
        "unit_price" => T::FieldUnitPrice,
        "line_discount" => T::FieldLineDiscount,
        "branch" => T::FieldBranch,
        "channel" => T::FieldChannel,
        "status" => T::FieldStatus,
        "invoice_discount" => T::FieldInvoiceDiscount,
        "shipping" => T::FieldShipping,
        _ => T::FieldTotal,
    }
}

/// The form's values from a saved mapping.
pub fn filled(mapping: Option<&FeedMapping>) -> FormState {
    let Some(m) = mapping else { return FormState::default() };
    let mut values: Vec<(String, String)> = m.columns.iter().map(|(f, c)| (format!("columns.{f}"), c.clone())).collect();
    values.push(("currency".into(), m.currency.clone().unwrap_or_default()));
    values.push(("records".into(), m.records.clone().unwrap_or_default()));
    values.push(("lines".into(), m.lines.clone().unwrap_or_default()));
    let pairs: Vec<(&str, &str)> = values.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    FormState::filled(&pairs)
}

fn effect(v: &View, effect: &str) -> &'static str {
    match effect {
        "sale" => v.t(T::EffectSale),
        "not_yet" => v.t(T::EffectNotYet),
        _ => v.t(T::EffectTakeBack),
    }
}

pub fn section(v: &View, base_url: &str, c: &ConnectionView, form: &FormState, preview: Option<&FeedPreview>) -> Markup {
    html! {
        section.card #setup {
            h2 { (v.t(T::FeedHowTitle)) }
            p { (v.t(T::FeedHow)) }
            p { code #delivery-url dir="ltr" { "POST " (base_url) (c.delivery_path) } }
        }
        form.card #mapping method="post" action=(format!("/admin/integrations/{}/mapping", c.code)) {
            h2 { (v.t(T::FeedMappingTitle)) }
            p.muted { small { (v.t(T::FeedMappingHint)) } }
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.inline {
                @for f in FIELDS {
                    @let name = format!("columns.{f}");
                    (field(v.t(label(f)), &name, "text", form.value(&name), form.error(&name)))
                }
            }
            div.inline {
                label { (v.t(T::AmountsCurrency))
                    select name="currency" {
                        @for (value, text) in [("", c.currency.as_str()), ("IRR", "IRR"), ("IRT", "IRT")] {
                            option value=(value) selected[form.value("currency") == value] { (text) }
                        }
                    }
                }
                (field(v.t(T::JsonRecordsKey), "records", "text", form.value("records"), form.error("records")))
                (field(v.t(T::JsonLinesKey), "lines", "text", form.value("lines"), form.error("lines")))
            }
            label for="f-sample" { (v.t(T::SampleFile)) }
            textarea #f-sample name="sample" rows="6" dir="ltr" { (form.value("sample")) }
            div.inline {
                button type="submit" name="action" value="save" { (v.t(T::SaveMapping)) }
                button.secondary type="submit" name="action" value="preview" { (v.t(T::PreviewAction)) }
                button.secondary type="submit" name="action" value="send" { (v.t(T::SendFile)) }
            }
        }
        @if let Some(p) = preview {
            section.card #preview {
                h2 { (v.t(T::FeedPreviewTitle)) }
                p { (v.t(T::FeedRowsInvoices)) ": " (v.num(p.rows as i64)) " / " (v.num(p.invoices as i64)) }
                @if !p.columns.is_empty() { p.muted { (v.t(T::FeedColumnsFound)) ": " span dir="auto" { (p.columns.join("، ")) } } }
                div.table-wrap { table {
                    thead { tr { th { (v.t(T::FieldInvoiceId)) } th { (v.t(T::FieldIssuedAt)) } th { (v.t(T::Lines)) } th { (v.t(T::FieldTotal)) } th { (v.t(T::Status)) } } }
                    tbody { @for i in &p.sample { tr {
                        td dir="ltr" { (i.invoice_id) } td { (v.date_time(&i.issued_at)) } td { (v.num(i.lines as i64)) }
                        td { (v.money(i.total)) } td { (effect(v, &i.effect)) }
                    } } }
                } }
                @if !p.errors.is_empty() {
                    div.table-wrap { table #preview-errors {
                        thead { tr { th { (v.t(T::Row)) } th { (v.t(T::Column)) } th { (v.t(T::Outcome)) } } }
                        tbody { @for e in &p.errors { tr {
                            td { (v.num(e.row as i64)) } td dir="ltr" { (e.column) }
                            td { (if v.lang == philia_domain::staff_auth::Lang::Fa { &e.message_fa } else { &e.message }) }
                        } } }
                    } }
                }
            }
        }
    }
}

/// Saves the mapping as typed, previews the sample under it, or sends the sample as a file.
pub async fn submit(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let text = |k: &str| f.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mapping = FeedMapping {
        columns: FIELDS.iter().filter_map(|field| Some((field.to_string(), text(&format!("columns.{field}"))?))).collect(),
        currency: text("currency"),
        records: text("records"),
        lines: text("lines"),
    };
    let typed: Vec<(&str, &str)> =
        f.iter().filter(|(k, _)| k.as_str() != "csrf").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sample = f.get("sample").map(String::as_str).unwrap_or("");
    let ctx = staff.ctx();
    let outcome = match f.get("action").map(String::as_str) {
        Some("preview") => state.engine.preview_feed(ctx, &code, sample, Some(&mapping)).await.map(Some),
        Some("send") => match state.engine.set_feed_mapping(ctx, &code, &mapping).await {
            Ok(_) => state.engine.receive_feed(ctx, &code, sample).await.map(|_| None),
            Err(e) => Err(e),
        },
        _ => state.engine.set_feed_mapping(ctx, &code, &mapping).await.map(|_| None),
    };
    match outcome {
        Ok(None) => Ok(Redirect::to(&format!("/admin/integrations/{code}?saved=1")).into_response()),
        Ok(Some(preview)) => {
            let shown = Shown { feed_form: Some(FormState::typed(&typed)), preview: Some(preview), ..Default::default() };
            Ok(render_one(&state, &staff, &code, shown).await?.into_response())
        }
        Err(e) => {
            let shown = Shown { feed_form: Some(FormState::refused(&staff.view(), &typed, e)), ..Default::default() };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_one(&state, &staff, &code, shown).await?).into_response())
        }
    }
}

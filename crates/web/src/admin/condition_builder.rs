//! The condition builder of segments (and, as they get pages, rules and automations): the rule as
//! JSON in a text box that works without scripts, turned by `admin.js` into groups and tests
//! picked from the fields the context knows, with a live count of matching customers.

use super::text::T;
use super::view::View;
use maud::{Markup, html};
use philia_domain::condition::{Kind, Schema};
use serde_json::json;

/// The words of each segment field, by name.
const SEGMENT_LABELS: [(&str, T); 24] = [
    ("gender", T::FieldGender),
    ("age", T::FieldAge),
    ("birth_date", T::FieldBirthDate),
    ("province", T::FieldProvince),
    ("city", T::FieldCity),
    ("spend", T::FieldSpend),
    ("invoices", T::FieldInvoices),
    ("average_order_value", T::FieldAov),
    ("first_purchase_at", T::FieldFirstPurchase),
    ("last_purchase_at", T::FieldLastPurchase),
    ("categories", T::FieldCategories),
    ("products", T::FieldProducts),
    ("tags", T::FieldTags),
    ("lists", T::FieldLists),
    ("interests", T::FieldInterests),
    ("tier", T::FieldTier),
    ("loyalty_class", T::FieldClass),
    ("rfm_segment", T::FieldRfm),
    ("referrals", T::FieldReferrals),
    ("sms_opt_in", T::FieldSmsOptIn),
    ("email_opt_in", T::FieldEmailOptIn),
    ("has_mobile", T::FieldHasMobile),
    ("has_email", T::FieldHasEmail),
    ("created_at", T::FieldCreated),
];

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Number => "number",
        Kind::Text => "text",
        Kind::TextList => "text_list",
        Kind::Bool => "bool",
        Kind::Instant => "instant",
        Kind::Any => "any",
    }
}

/// The words of each field an earning rule may test, by name.
const RULE_LABELS: [(&str, T); 16] = [
    ("invoice.total", T::FieldInvoiceTotal),
    ("invoice.amount", T::FieldInvoiceAmount),
    ("invoice.subtotal", T::FieldSubtotal),
    ("invoice.channel", T::FieldChannel),
    ("invoice.branch", T::FieldBranch),
    ("invoice.source", T::FieldSource),
    ("invoice.weekday", T::FieldWeekday),
    ("invoice.hour", T::FieldHour),
    ("invoice.date", T::FieldDay),
    ("invoice.categories", T::FieldInvoiceCategories),
    ("invoice.skus", T::FieldSkus),
    ("invoice.line_count", T::FieldLineCount),
    ("customer.tier", T::FieldTier),
    ("customer.previous_invoices", T::FieldPreviousInvoices),
    ("customer.tags", T::FieldTags),
    ("customer.loyalty_class", T::FieldClass),
];

/// A schema's fields with their words (a field without words shows its name).
fn schema_fields(v: &View, schema: &Schema, labels: &[(&str, T)]) -> Vec<serde_json::Value> {
    schema
        .fields
        .iter()
        .map(|(name, kind)| {
            let label = labels.iter().find(|(n, _)| n == name).map(|(_, t)| v.t(*t)).unwrap_or(name);
            json!({"name": name, "kind": kind_name(*kind), "label": label})
        })
        .collect()
}

/// The fields offered for an invoice earning rule.
pub fn invoice_rule_fields(v: &View, schema: &Schema) -> serde_json::Value {
    serde_json::Value::Array(schema_fields(v, schema, &RULE_LABELS))
}

/// The fields offered for a segment: the schema's own, then the points of each point type.
/// A test on an event count may narrow the events with a `where` over their source and
/// `properties.NAME`, offered as a group of its own.
pub fn segment_fields(v: &View, schema: &Schema, point_types: &[(String, String)]) -> serde_json::Value {
    let mut out = schema_fields(v, schema, &SEGMENT_LABELS);
    let event_fields = schema_fields(v, &philia_domain::segments::EVENT_FILTER, &[("source", T::FieldSource)]);
    for (code, name) in point_types {
        out.push(
            json!({"name": format!("points.{code}"), "kind": "number", "label": format!("{}: {name}", v.t(T::FieldPointsOf))}),
        );
    }
    // Not offered in the list: a field typed by hand under `events.` counts events, narrowed by these.
    out.push(json!({"name": "events.", "prefix": true, "kind": "number", "where": event_fields}));
    serde_json::Value::Array(out)
}

fn words(v: &View) -> serde_json::Value {
    let ops = [
        ("eq", T::OpEq),
        ("ne", T::OpNe),
        ("gt", T::OpGt),
        ("gte", T::OpGte),
        ("lt", T::OpLt),
        ("lte", T::OpLte),
        ("between", T::OpBetween),
        ("in", T::OpIn),
        ("not_in", T::OpNotIn),
        ("contains", T::OpContains),
        ("starts_with", T::OpStartsWith),
        ("exists", T::OpExists),
        ("missing", T::OpMissing),
        ("within_last_days", T::OpWithinLastDays),
        ("before", T::OpBefore),
        ("after", T::OpAfter),
    ];
    json!({
        "ops": ops.iter().map(|(k, t)| (k.to_string(), json!(v.t(*t)))).collect::<serde_json::Map<_, _>>(),
        "all_of": v.t(T::AllOf), "any_of": v.t(T::AnyOf), "none_of": v.t(T::NoneOf),
        "add_condition": v.t(T::AddCondition), "add_group": v.t(T::AddGroup), "remove": v.t(T::Remove),
        "other_field": v.t(T::OtherField), "field_name": v.t(T::FieldName), "yes": v.t(T::Yes), "no": v.t(T::No),
        "list_hint": v.t(T::ListHint), "live_count": v.t(T::LiveCount),
        "only_events_where": v.t(T::OnlyEventsWhere),
    })
}

/// The rule's field: `rule` is the JSON text as stored or as typed.
pub fn builder(v: &View, rule: &str, fields: &serde_json::Value, count_url: Option<&str>, error: Option<&str>) -> Markup {
    builder_named(v, "rule", rule, fields, count_url, error)
}

/// The builder for a form field of another name (e.g. an earning rule's `condition`).
pub fn builder_named(
    v: &View,
    name: &str,
    rule: &str,
    fields: &serde_json::Value,
    count_url: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field.condition.invalid[error.is_some()] data-builder data-fields=(fields.to_string()) data-text=(words(v).to_string())
            data-count-url=[count_url] {
            label for=(id) { (v.t(T::Rule)) }
            textarea id=(id) name=(name) rows="6" dir="ltr" aria-invalid=[error.map(|_| "true")] { (rule) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            @if count_url.is_some() { p.count data-count aria-live="polite" {} }
        }
    }
}

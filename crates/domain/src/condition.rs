//! The condition language shared by earning rules, segments, missions and automations.
//!
//! JSON form, nested freely:
//! `{"all": [C, …]}`, `{"any": [C, …]}`, `{"not": C}` and tests
//! `{"field": "invoice.channel", "op": "eq", "value": "online"}`.
//! Operators: `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in`, `not_in` (value is a list),
//! `between` (value is `[low, high]`, both included), `contains` (a list field holds the value),
//! `starts_with` (text), `exists` and `missing` (no value), and for instants `within_last_days`
//! (a number of days back from now), `before` and `after` (a date, meaning the whole day, or an
//! instant). Every use site supplies a [`Schema`] naming the fields it knows and their
//! kinds, so a condition is checked once, when it is saved, and evaluation never meets a
//! surprise. A fact that is absent makes every test on it false except under `not`.
//!
//! A field that counts facts (a segment's `events.TYPE.last_30_days`) may narrow what it counts
//! with `"where"`, a condition over each counted fact in the schema the context names for it:
//! `{"field": "events.review.count", "where": {"field": "properties.stars", "op": "gte", "value": 4},
//! "op": "gte", "value": 2}`.

use crate::issue::{Invalid, Issue};
use serde_json::{Map, Value as Json};

/// How deep conditions may nest and how many tests one may hold: enough for any hand-written
/// rule, small enough that evaluating one stays in microseconds.
pub const MAX_DEPTH: usize = 8;
pub const MAX_NODES: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
    TextList,
    Bool,
    /// A moment (epoch milliseconds as a fact): compared with dates and windows, never as a number.
    Instant,
    /// Free-form properties (of events, custom attributes): number, text or flag, checked at use.
    Any,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Number => "number",
            Kind::Text => "text",
            Kind::TextList => "list of text",
            Kind::Bool => "true/false",
            Kind::Instant => "date",
            Kind::Any => "value",
        }
    }
}

/// The fields a context offers: exact names, and prefixes such as `event.properties.` under which
/// any name is allowed.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub fields: &'static [(&'static str, Kind)],
    pub prefixes: &'static [(&'static str, Kind)],
    /// Prefixes of fields that count facts, with the schema a `where` on them is written in.
    pub counted: &'static [(&'static str, &'static Schema)],
}

impl Schema {
    pub fn kind_of(&self, field: &str) -> Option<Kind> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, k)| *k)
            .or_else(|| self.prefixes.iter().find(|(p, _)| field.len() > p.len() && field.starts_with(p)).map(|(_, k)| *k))
    }

    fn counted_schema(&self, field: &str) -> Option<&'static Schema> {
        self.counted.iter().find(|(p, _)| field.starts_with(p)).map(|(_, s)| *s)
    }

    fn names(&self) -> String {
        let mut names: Vec<String> = self.fields.iter().map(|(f, _)| f.to_string()).collect();
        names.extend(self.prefixes.iter().map(|(p, _)| format!("{p}*")));
        names.join(", ")
    }
}

/// A value a fact holds or a test compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Num(f64),
    Text(String),
    List(Vec<String>),
    Bool(bool),
}

impl Value {
    fn to_json(&self) -> Json {
        match self {
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Json::from(*n as i64),
            Value::Num(n) => Json::from(*n),
            Value::Text(t) => Json::from(t.clone()),
            Value::List(l) => Json::from(l.clone()),
            Value::Bool(b) => Json::from(*b),
        }
    }

    /// A property value from JSON (event properties, attributes); objects and nulls are not facts.
    pub fn from_json(v: &Json) -> Option<Value> {
        match v {
            Json::Number(n) => n.as_f64().map(Value::Num),
            Json::String(s) => Some(Value::Text(s.clone())),
            Json::Bool(b) => Some(Value::Bool(*b)),
            Json::Array(items) => Some(Value::List(items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect())),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    NotIn,
    Between,
    Contains,
    Exists,
    Missing,
    StartsWith,
    WithinLastDays,
    Before,
    After,
}

const OPS: [(&str, Op); 16] = [
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("between", Op::Between),
    ("contains", Op::Contains),
    ("exists", Op::Exists),
    ("missing", Op::Missing),
    ("starts_with", Op::StartsWith),
    ("within_last_days", Op::WithinLastDays),
    ("before", Op::Before),
    ("after", Op::After),
];

impl Op {
    fn name(self) -> &'static str {
        OPS.iter().find(|(_, o)| *o == self).map(|(n, _)| *n).expect("every operator is named")
    }
}

/// What a test compares the fact with.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Nothing,
    One(Value),
    Many(Vec<Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// `filter` narrows the facts a counting field counts (JSON key `where`).
    Test {
        field: String,
        op: Op,
        operand: Operand,
        filter: Option<Box<Condition>>,
    },
}

/// The facts a condition is evaluated against.
pub trait Facts {
    fn get(&self, field: &str) -> Option<Value>;

    /// A counting field's value over only the facts `filter` admits; a context without such
    /// fields answers nothing, so the test fails.
    fn count_where(&self, _field: &str, _filter: &Condition) -> Option<Value> {
        None
    }

    /// Now and the tenant's time zone, for tests on instants; without them those tests fail.
    fn clock(&self) -> Option<(i64, &jiff::tz::TimeZone)> {
        None
    }
}

/// The first instant (epoch ms) that is "after" `text`, or the instant that "before" must stay
/// below: for a date, the start of the next day or of that day in `zone`; for an instant, just
/// after it or itself.
pub fn instant_bound(text: &str, zone: &jiff::tz::TimeZone, after: bool) -> Option<i64> {
    let digits = crate::digits::ascii_digits(text.trim());
    if digits.contains(['T', ' ', ':']) {
        let t = crate::calendar::parse_instant(&digits, zone).ok()?.as_millisecond();
        return Some(if after { t + 1 } else { t });
    }
    let day = crate::calendar::parse_date(&digits).ok()?;
    let day = if after { day.tomorrow().ok()? } else { day };
    day.to_zoned(zone.clone()).ok().map(|z| z.timestamp().as_millisecond())
}

fn issue(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> Issue {
    Issue::new(code, en, fa)
}

impl Condition {
    /// Parses and checks a condition against `schema`. Errors name the path inside the condition,
    /// such as `all[1].value`.
    pub fn parse(json: &Json, schema: &Schema) -> Result<Condition, Invalid> {
        let mut nodes = 0;
        let mut errors = Vec::new();
        let parsed = parse_node(json, schema, "", 1, &mut nodes, &mut errors);
        match parsed {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(Invalid(errors)),
        }
    }

    pub fn to_json(&self) -> Json {
        match self {
            Condition::All(cs) => obj("all", Json::Array(cs.iter().map(Condition::to_json).collect())),
            Condition::Any(cs) => obj("any", Json::Array(cs.iter().map(Condition::to_json).collect())),
            Condition::Not(c) => obj("not", c.to_json()),
            Condition::Test { field, op, operand, filter } => {
                let mut m = Map::new();
                m.insert("field".into(), Json::from(field.clone()));
                if let Some(f) = filter {
                    m.insert("where".into(), f.to_json());
                }
                m.insert("op".into(), Json::from(op.name()));
                match operand {
                    Operand::Nothing => {}
                    Operand::One(v) => {
                        m.insert("value".into(), v.to_json());
                    }
                    Operand::Many(vs) => {
                        m.insert("value".into(), Json::Array(vs.iter().map(Value::to_json).collect()));
                    }
                }
                Json::Object(m)
            }
        }
    }

    pub fn eval(&self, facts: &dyn Facts) -> bool {
        match self {
            Condition::All(cs) => cs.iter().all(|c| c.eval(facts)),
            Condition::Any(cs) => cs.iter().any(|c| c.eval(facts)),
            Condition::Not(c) => !c.eval(facts),
            Condition::Test { field, op, operand, filter } => match (
                match filter {
                    Some(f) => facts.count_where(field, f),
                    None => facts.get(field),
                },
                op,
            ) {
                (None, Op::Missing) => true,
                (None, _) | (Some(_), Op::Missing) => false,
                (Some(fact), Op::WithinLastDays | Op::Before | Op::After) => match facts.clock() {
                    Some((now, zone)) => test_instant(&fact, *op, operand, now, zone),
                    None => false,
                },
                (Some(fact), _) => test(&fact, *op, operand),
            },
        }
    }

    /// Every field the condition reads, so a caller loads only the facts it needs.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| c.collect_fields(out)),
            Condition::Not(c) => c.collect_fields(out),
            Condition::Test { field, .. } => out.push(field),
        }
    }
}

fn obj(key: &str, value: Json) -> Json {
    let mut m = Map::new();
    m.insert(key.into(), value);
    Json::Object(m)
}

fn at(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn parse_node(
    json: &Json,
    schema: &Schema,
    path: &str,
    depth: usize,
    nodes: &mut usize,
    errors: &mut Vec<crate::FieldError>,
) -> Option<Condition> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        if *nodes == MAX_NODES + 1 {
            errors.push(
                issue(
                    "too_large",
                    format!("a condition holds at most {MAX_NODES} parts"),
                    format!("شرط حداکثر {MAX_NODES} جزء دارد"),
                )
                .at(path),
            );
        }
        return None;
    }
    if depth > MAX_DEPTH {
        errors.push(
            issue("too_deep", format!("conditions nest at most {MAX_DEPTH} levels"), format!("حداکثر {MAX_DEPTH} سطح تو در تو"))
                .at(path),
        );
        return None;
    }
    let Json::Object(m) = json else {
        errors.push(
            issue(
                "invalid_condition",
                "must be an object: {\"all\": […]}, {\"any\": […]}, {\"not\": …} or a test",
                "شرط باید یک شیء باشد",
            )
            .at(path),
        );
        return None;
    };
    for group in ["all", "any"] {
        if let Some(list) = m.get(group) {
            if m.len() != 1 {
                errors.push(
                    issue("invalid_condition", format!("\"{group}\" stands alone in its object"), "کلید اضافه در شرط").at(path),
                );
                return None;
            }
            let Json::Array(items) = list else {
                errors.push(
                    issue("invalid_condition", "must be a list of conditions", "باید فهرستی از شرط‌ها باشد").at(at(path, group)),
                );
                return None;
            };
            if items.is_empty() {
                errors.push(issue("empty", "must hold at least one condition", "دست‌کم یک شرط لازم است").at(at(path, group)));
                return None;
            }
            let parts: Vec<Option<Condition>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| parse_node(item, schema, &format!("{}[{i}]", at(path, group)), depth + 1, nodes, errors))
                .collect();
            let parts: Option<Vec<Condition>> = parts.into_iter().collect();
            return parts.map(|p| if group == "all" { Condition::All(p) } else { Condition::Any(p) });
        }
    }
    if let Some(inner) = m.get("not") {
        if m.len() != 1 {
            errors.push(issue("invalid_condition", "\"not\" stands alone in its object", "کلید اضافه در شرط").at(path));
            return None;
        }
        return parse_node(inner, schema, &at(path, "not"), depth + 1, nodes, errors).map(|c| Condition::Not(Box::new(c)));
    }
    parse_test(m, schema, path, errors)
}

fn parse_test(m: &Map<String, Json>, schema: &Schema, path: &str, errors: &mut Vec<crate::FieldError>) -> Option<Condition> {
    if let Some(extra) = m.keys().find(|k| !["field", "op", "value", "where"].contains(&k.as_str())) {
        errors.push(
            issue(
                "unknown_key",
                format!("unknown key {extra:?}: a test has field, op, value and, on a counting field, where"),
                format!("کلید ناشناخته {extra}"),
            )
            .at(path),
        );
        return None;
    }
    let Some(field) = m.get("field").and_then(Json::as_str) else {
        errors.push(Issue::required().at(at(path, "field")));
        return None;
    };
    let Some(kind) = schema.kind_of(field) else {
        errors.push(
            issue(
                "unknown_field",
                format!("unknown field {field:?}; known here: {}", schema.names()),
                format!("فیلد ناشناخته {field}؛ فیلدهای مجاز: {}", schema.names()),
            )
            .at(at(path, "field")),
        );
        return None;
    };
    let filter = match m.get("where") {
        None => None,
        Some(w) => match schema.counted_schema(field) {
            Some(inner) => {
                let mut nodes = 0;
                let before = errors.len();
                let parsed = parse_node(w, inner, &at(path, "where"), 1, &mut nodes, errors);
                if errors.len() > before {
                    return None;
                }
                parsed.map(Box::new)
            }
            None => {
                errors.push(
                    issue(
                        "unexpected",
                        format!("{field} does not count facts, so it takes no where"),
                        format!("{field} شمارشی نیست و where نمی‌پذیرد"),
                    )
                    .at(at(path, "where")),
                );
                return None;
            }
        },
    };
    let op_name = m.get("op").and_then(Json::as_str).unwrap_or("");
    let Some(op) = OPS.iter().find(|(n, _)| *n == op_name).map(|(_, o)| *o) else {
        let names: Vec<&str> = OPS.iter().map(|(n, _)| *n).collect();
        errors.push(Issue::one_of(&names).at(at(path, "op")));
        return None;
    };
    let value_path = at(path, "value");
    let allowed = match op {
        Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::Between => matches!(kind, Kind::Number | Kind::Text | Kind::Any),
        Op::Contains => matches!(kind, Kind::TextList | Kind::Any),
        Op::StartsWith => matches!(kind, Kind::Text | Kind::Any),
        Op::Eq | Op::Ne | Op::In | Op::NotIn => !matches!(kind, Kind::TextList | Kind::Instant),
        Op::WithinLastDays | Op::Before | Op::After => kind == Kind::Instant,
        Op::Exists | Op::Missing => true,
    };
    if !allowed {
        errors.push(
            issue(
                "invalid_operator",
                format!("{} does not apply to {field} (a {})", op.name(), kind.name()),
                format!("عملگر {} برای {field} مجاز نیست", op.name()),
            )
            .at(at(path, "op")),
        );
        return None;
    }
    // Comparisons and membership use the field's own kind; `contains` compares one text.
    let element = match kind {
        Kind::TextList => Kind::Text,
        k => k,
    };
    let value = m.get("value");
    let operand = match op {
        Op::WithinLastDays => match value.and_then(Json::as_f64) {
            Some(n) if (0.0..=36_500.0).contains(&n) => Operand::One(Value::Num(n)),
            _ => {
                errors.push(
                    issue("invalid_value", "must be a number of days (0 to 36500)", "تعداد روز (۰ تا ۳۶۵۰۰)").at(value_path),
                );
                return None;
            }
        },
        Op::Before | Op::After => match value.and_then(Json::as_str) {
            Some(t) if instant_bound(t, &jiff::tz::TimeZone::UTC, false).is_some() => Operand::One(Value::Text(t.to_string())),
            _ => {
                errors.push(
                    issue("invalid_value", "must be a date (2024-03-20 or 1403/01/01) or an instant", "باید تاریخ باشد")
                        .at(value_path),
                );
                return None;
            }
        },
        Op::Exists | Op::Missing => {
            if value.is_some() {
                errors.push(issue("unexpected", "exists takes no value", "این عملگر مقدار ندارد").at(value_path));
                return None;
            }
            Operand::Nothing
        }
        Op::In | Op::NotIn | Op::Between => {
            let Some(Json::Array(items)) = value else {
                errors.push(issue("invalid_value", "must be a list", "باید فهرست باشد").at(value_path));
                return None;
            };
            if items.is_empty() || (op == Op::Between && items.len() != 2) {
                let msg = if op == Op::Between { "must be [low, high]" } else { "must hold at least one value" };
                errors.push(issue("invalid_value", msg, "فهرست مقدار معتبر نیست").at(value_path));
                return None;
            }
            let mut vals = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                vals.push(scalar(item, element, &format!("{value_path}[{i}]"), errors)?);
            }
            Operand::Many(vals)
        }
        _ => match value {
            None => {
                errors.push(Issue::required().at(value_path));
                return None;
            }
            Some(v) => Operand::One(scalar(v, element, &value_path, errors)?),
        },
    };
    Some(Condition::Test { field: field.to_string(), op, operand, filter })
}

fn scalar(v: &Json, kind: Kind, path: &str, errors: &mut Vec<crate::FieldError>) -> Option<Value> {
    let parsed = match (kind, v) {
        (Kind::Number | Kind::Any, Json::Number(n)) => n.as_f64().map(Value::Num),
        (Kind::Text | Kind::Any, Json::String(s)) => Some(Value::Text(s.clone())),
        (Kind::Bool | Kind::Any, Json::Bool(b)) => Some(Value::Bool(*b)),
        _ => None,
    };
    if parsed.is_none() {
        errors.push(
            issue("invalid_value", format!("must be a {}", kind.name()), format!("مقدار باید از نوع {} باشد", kind.name()))
                .at(path),
        );
    }
    parsed
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn test(fact: &Value, op: Op, operand: &Operand) -> bool {
    use std::cmp::Ordering::*;
    match (op, operand) {
        (Op::Exists, _) => true,
        (Op::StartsWith, Operand::One(Value::Text(prefix))) => matches!(fact, Value::Text(t) if t.starts_with(prefix.as_str())),
        (Op::Contains, Operand::One(Value::Text(t))) => match fact {
            Value::List(items) => items.iter().any(|i| i == t),
            Value::Text(s) => s == t,
            _ => false,
        },
        (Op::In, Operand::Many(vs)) => vs.iter().any(|v| compare(fact, v) == Some(Equal)),
        (Op::NotIn, Operand::Many(vs)) => vs.iter().all(|v| matches!(compare(fact, v), Some(Less | Greater))),
        (Op::Between, Operand::Many(vs)) => {
            matches!(compare(fact, &vs[0]), Some(Greater | Equal)) && matches!(compare(fact, &vs[1]), Some(Less | Equal))
        }
        (_, Operand::One(v)) => {
            let ord = compare(fact, v);
            match op {
                Op::Eq => ord == Some(Equal),
                Op::Ne => matches!(ord, Some(Less | Greater)),
                Op::Gt => ord == Some(Greater),
                Op::Gte => matches!(ord, Some(Greater | Equal)),
                Op::Lt => ord == Some(Less),
                Op::Lte => matches!(ord, Some(Less | Equal)),
                _ => false,
            }
        }
        _ => false,
    }
}

fn test_instant(fact: &Value, op: Op, operand: &Operand, now: i64, zone: &jiff::tz::TimeZone) -> bool {
    let Value::Num(at) = fact else { return false };
    let at = *at as i64;
    match (op, operand) {
        (Op::WithinLastDays, Operand::One(Value::Num(days))) => at >= now - (*days * 86_400_000.0) as i64 && at <= now,
        (Op::Before, Operand::One(Value::Text(t))) => instant_bound(t, zone, false).is_some_and(|b| at < b),
        (Op::After, Operand::One(Value::Text(t))) => instant_bound(t, zone, true).is_some_and(|b| at >= b),
        _ => false,
    }
}

/// Facts from a map, for tests of the rules that read them.
#[cfg(test)]
pub(crate) struct MapFacts(pub std::collections::HashMap<&'static str, Value>);

#[cfg(test)]
impl Facts for MapFacts {
    fn get(&self, field: &str) -> Option<Value> {
        self.0.get(field).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    const SCHEMA: Schema = Schema {
        fields: &[("invoice.total", Kind::Number), ("invoice.channel", Kind::Text), ("invoice.categories", Kind::TextList)],
        prefixes: &[("event.properties.", Kind::Any)],
        counted: &[],
    };

    struct F(HashMap<&'static str, Value>);
    impl Facts for F {
        fn get(&self, field: &str) -> Option<Value> {
            self.0.get(field).cloned()
        }
    }

    fn facts() -> F {
        F(HashMap::from([
            ("invoice.total", Value::Num(250_000.0)),
            ("invoice.channel", Value::Text("online".into())),
            ("invoice.categories", Value::List(vec!["coffee".into(), "cake".into()])),
            ("event.properties.rating", Value::Num(4.0)),
        ]))
    }

    fn eval(j: Json) -> bool {
        Condition::parse(&j, &SCHEMA).unwrap().eval(&facts())
    }

    #[test]
    fn evaluates_nested_conditions() {
        assert!(eval(json!({"all": [
            {"field": "invoice.total", "op": "gte", "value": 200000},
            {"any": [{"field": "invoice.channel", "op": "eq", "value": "pos"}, {"field": "invoice.categories", "op": "contains", "value": "cake"}]},
            {"not": {"field": "invoice.channel", "op": "in", "value": ["pos", "phone"]}}
        ]})));
        assert!(!eval(json!({"field": "invoice.total", "op": "between", "value": [1, 100]})));
        assert!(eval(json!({"field": "event.properties.rating", "op": "gt", "value": 3})));
        // A missing fact fails every test but can be negated.
        assert!(!eval(json!({"field": "event.properties.missing", "op": "exists"})));
        assert!(eval(json!({"not": {"field": "event.properties.missing", "op": "eq", "value": 1}})));
    }

    #[test]
    fn refuses_bad_conditions_with_paths() {
        let err = Condition::parse(
            &json!({"all": [{"field": "invoice.total", "op": "gte", "value": "x"}, {"field": "nope", "op": "eq", "value": 1}]}),
            &SCHEMA,
        )
        .unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["all[0].value", "all[1].field"]);
        let err = Condition::parse(&json!({"field": "invoice.categories", "op": "gt", "value": 1}), &SCHEMA).unwrap_err();
        assert_eq!(err.0[0].code, "invalid_operator");
        let err = Condition::parse(&json!({"field": "invoice.total", "op": "between", "value": [1]}), &SCHEMA).unwrap_err();
        assert_eq!(err.0[0].field, "value");
        let err = Condition::parse(&json!({"all": []}), &SCHEMA).unwrap_err();
        assert_eq!(err.0[0].code, "empty");
        let mut deep = json!({"field": "invoice.total", "op": "exists"});
        for _ in 0..MAX_DEPTH {
            deep = json!({"not": deep});
        }
        assert_eq!(Condition::parse(&deep, &SCHEMA).unwrap_err().0[0].code, "too_deep");
    }

    struct Dated(HashMap<&'static str, Value>, jiff::tz::TimeZone);
    impl Facts for Dated {
        fn get(&self, field: &str) -> Option<Value> {
            self.0.get(field).cloned()
        }
        fn clock(&self) -> Option<(i64, &jiff::tz::TimeZone)> {
            // 2024-03-20T12:00:00Z
            Some((1_710_936_000_000, &self.1))
        }
    }

    #[test]
    fn instants_text_prefixes_and_missing_facts() {
        const DATED: Schema = Schema {
            fields: &[("last_purchase_at", Kind::Instant), ("city", Kind::Text), ("gender", Kind::Text)],
            prefixes: &[],
            counted: &[],
        };
        let tehran = jiff::tz::TimeZone::get("Asia/Tehran").unwrap();
        // 2024-03-10T21:00:00Z is 2024-03-11 00:30 in Tehran.
        let facts = Dated(
            HashMap::from([("last_purchase_at", Value::Num(1_710_104_400_000.0)), ("city", Value::Text("تهران".into()))]),
            tehran,
        );
        let eval = |j: Json| Condition::parse(&j, &DATED).unwrap().eval(&facts);
        assert!(eval(json!({"field": "last_purchase_at", "op": "within_last_days", "value": 10})));
        assert!(!eval(json!({"field": "last_purchase_at", "op": "within_last_days", "value": 9})));
        assert!(eval(json!({"field": "last_purchase_at", "op": "after", "value": "2024-03-10"})));
        assert!(!eval(json!({"field": "last_purchase_at", "op": "after", "value": "1402/12/21"})));
        assert!(eval(json!({"field": "last_purchase_at", "op": "before", "value": "2024-03-12"})));
        assert!(!eval(json!({"field": "last_purchase_at", "op": "before", "value": "2024-03-11"})));
        assert!(eval(json!({"field": "city", "op": "starts_with", "value": "ته"})));
        assert!(eval(json!({"field": "gender", "op": "missing"})));
        assert!(!eval(json!({"field": "city", "op": "missing"})));
        // Without a clock, tests on instants fail rather than guess.
        assert!(
            !Condition::parse(&json!({"field": "last_purchase_at", "op": "within_last_days", "value": 10}), &DATED)
                .unwrap()
                .eval(&F(HashMap::from([("last_purchase_at", Value::Num(1.0))])))
        );
        let err = Condition::parse(&json!({"field": "last_purchase_at", "op": "eq", "value": 1}), &DATED).unwrap_err();
        assert_eq!((err.0[0].field.as_str(), err.0[0].code.as_str()), ("op", "invalid_operator"));
        let err =
            Condition::parse(&json!({"field": "last_purchase_at", "op": "before", "value": "2024-13-01"}), &DATED).unwrap_err();
        assert_eq!(err.0[0].field, "value");
    }

    #[test]
    fn counting_fields_count_what_their_filter_admits() {
        const EACH: Schema = Schema { fields: &[], prefixes: &[("properties.", Kind::Any)], counted: &[] };
        const COUNTING: Schema = Schema { fields: &[], prefixes: &[("events.", Kind::Number)], counted: &[("events.", &EACH)] };
        struct Reviews(Vec<F>);
        impl Facts for Reviews {
            fn get(&self, _: &str) -> Option<Value> {
                Some(Value::Num(self.0.len() as f64))
            }
            fn count_where(&self, _: &str, filter: &Condition) -> Option<Value> {
                Some(Value::Num(self.0.iter().filter(|f| filter.eval(*f)).count() as f64))
            }
        }
        let stars = |n: f64| F(HashMap::from([("properties.stars", Value::Num(n))]));
        let facts = Reviews(vec![stars(5.0), stars(2.0), stars(4.0)]);
        let rule = |j: Json| Condition::parse(&j, &COUNTING).unwrap().eval(&facts);
        assert!(rule(json!({"field": "events.review.count", "op": "eq", "value": 3})));
        let good = json!({"field": "properties.stars", "op": "gte", "value": 4});
        assert!(rule(json!({"field": "events.review.count", "where": good, "op": "eq", "value": 2})));
        assert!(!rule(json!({"field": "events.review.count", "where": good, "op": "gt", "value": 2})));
        // Without a counting context the filtered test fails rather than count everything.
        let parsed =
            Condition::parse(&json!({"field": "events.review.count", "where": good, "op": "gte", "value": 0}), &COUNTING);
        assert!(!parsed.unwrap().eval(&stars(5.0)));
        let err = Condition::parse(
            &json!({"field": "events.x.count", "where": {"field": "stars", "op": "exists"}, "op": "gte", "value": 1}),
            &COUNTING,
        )
        .unwrap_err();
        assert_eq!(err.0[0].field, "where.field");
    }

    #[test]
    fn round_trips_through_json() {
        let j = json!({"any": [{"field": "invoice.total", "op": "between", "value": [10, 20]}, {"not": {"field": "invoice.channel", "op": "exists"}}]});
        let c = Condition::parse(&j, &SCHEMA).unwrap();
        assert_eq!(c.to_json(), j);
        assert_eq!(c.fields(), ["invoice.total", "invoice.channel"]);
    }
}

//! A segment rule turned into one SQL condition over a customer (`c`, the profile) and their
//! statistics (`s`), the same text on both databases. Values are always bound, never spliced.
//! Every test is wrapped as `COALESCE(…, FALSE)` so an absent fact makes it false and `not`
//! negates it, exactly as the condition language evaluates in memory.
//!
//! Custom attributes and event properties are JSON text; the two databases read JSON with
//! different functions, so those tests (and only those) come from [`json_test`] in the dialect
//! of the backend at hand.

use crate::Backend;
use crate::bulk::Val;
use philia_domain::condition::{Condition, Op, Operand, Value, instant_bound};
use philia_domain::segments::{EventWindow, event_field, property_name};

/// Now, today and the tenant's zone: what windows, ages and dates are measured against, and the
/// backend whose JSON functions read attributes and properties.
pub struct Clock {
    pub now_ms: i64,
    pub today: jiff::civil::Date,
    pub zone: jiff::tz::TimeZone,
    pub backend: Backend,
}

/// The WHERE condition of a rule; `params` starts with the tenant id as `$1`.
pub fn compile(rule: &Condition, clock: &Clock, params: &mut Vec<Val>) -> String {
    match rule {
        Condition::All(cs) => format!("({})", cs.iter().map(|c| compile(c, clock, params)).collect::<Vec<_>>().join(" AND ")),
        Condition::Any(cs) => format!("({})", cs.iter().map(|c| compile(c, clock, params)).collect::<Vec<_>>().join(" OR ")),
        Condition::Not(c) => format!("(NOT {})", compile(c, clock, params)),
        Condition::Test { field, op, operand, filter } => {
            format!("COALESCE(({}), FALSE)", test(field, *op, operand, filter.as_deref(), clock, params))
        }
    }
}

/// A `where` on counted events, over one event `e`: its source and its properties.
fn compile_event_filter(rule: &Condition, backend: Backend, params: &mut Vec<Val>) -> String {
    let join = |cs: &[Condition], sep: &str, params: &mut Vec<Val>| {
        format!("({})", cs.iter().map(|c| compile_event_filter(c, backend, params)).collect::<Vec<_>>().join(sep))
    };
    match rule {
        Condition::All(cs) => join(cs, " AND ", params),
        Condition::Any(cs) => join(cs, " OR ", params),
        Condition::Not(c) => format!("(NOT {})", compile_event_filter(c, backend, params)),
        Condition::Test { field, op, operand, .. } => {
            let body = match property_name(field, "properties.") {
                Some(name) => json_test(backend, "e.properties", &name, *op, operand, params),
                None if field == "source" => plain_test("e.source", *op, operand, params),
                None => "FALSE".into(),
            };
            format!("COALESCE(({body}), FALSE)")
        }
    }
}

pub(crate) fn bind(params: &mut Vec<Val>, v: Val) -> String {
    params.push(v);
    format!("${}", params.len())
}

pub(crate) fn value(params: &mut Vec<Val>, v: &Value) -> String {
    let val = match v {
        Value::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Val::I(*n as i64),
        Value::Num(n) => Val::F(*n),
        Value::Text(t) => Val::T(t.clone()),
        Value::Bool(b) => Val::I(i64::from(*b)),
        Value::List(l) => Val::T(l.join(",")),
    };
    bind(params, val)
}

/// `%` and `_` match literally in a LIKE pattern escaped with `\`.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The expression a scalar field reads.
fn scalar(field: &str, clock: &Clock, params: &mut Vec<Val>) -> String {
    match field {
        "gender" | "birth_date" | "province" | "city" | "tier" | "loyalty_class" | "rfm_segment" | "created_at" => {
            format!("c.{field}")
        }
        "spend" => "(s.gross_spend - s.refund_total)".into(),
        "invoices" => "s.invoice_count".into(),
        "average_order_value" => {
            "(CASE WHEN s.invoice_count > 0 THEN (s.gross_spend - s.refund_total) / s.invoice_count END)".into()
        }
        "first_purchase_at" | "last_purchase_at" => format!("s.{field}"),
        "referrals" => {
            "(SELECT COUNT(*) FROM referrals f WHERE f.tenant_id = $1 AND f.referrer_id = c.id AND f.status = 'rewarded')".into()
        }
        f if f.starts_with("points.") => {
            let code = bind(params, Val::T(f["points.".len()..].to_string()));
            format!(
                "COALESCE((SELECT b.balance FROM point_balances b JOIN point_types t ON t.tenant_id = b.tenant_id AND t.id = b.point_type_id
                 WHERE b.tenant_id = $1 AND b.customer_id = c.id AND t.code = {code}), 0)"
            )
        }
        f => match event_field(f) {
            Some((event_type, EventWindow::Ever)) => {
                let t = bind(params, Val::T(event_type.into()));
                format!(
                    "COALESCE((SELECT e.count FROM customer_event_stats e WHERE e.tenant_id = $1 AND e.customer_id = c.id AND e.type = {t}), 0)"
                )
            }
            Some((event_type, window)) => counted_events(event_type, window, None, clock, params),
            // The schema admits no other field; a rule stored under an older schema matches no one.
            None => "NULL".into(),
        },
    }
}

fn test(field: &str, op: Op, operand: &Operand, filter: Option<&Condition>, clock: &Clock, params: &mut Vec<Val>) -> String {
    match field {
        "age" => return age(op, operand, clock, params),
        "tags" | "interests" => return json_list(field, op, operand, params),
        "categories" => return categories(op, operand, params),
        "products" => return products(op, operand, params),
        "lists" => return lists(op, operand, params),
        "sms_opt_in" | "email_opt_in" | "has_mobile" | "has_email" => return flag(field, op, operand),
        _ => {}
    }
    if let Some(name) = property_name(field, "attributes.") {
        return json_test(clock.backend, "c.attributes", &name, op, operand, params);
    }
    let e = match (filter, event_field(field)) {
        (Some(f), Some((event_type, window))) => counted_events(event_type, window, Some(f), clock, params),
        _ => scalar(field, clock, params),
    };
    instant_test(&e, op, operand, clock, params).unwrap_or_else(|| plain_test(&e, op, operand, params))
}

/// A test of an instant against now or a date (`within_last_days`, `before`, `after`); None for
/// other operators.
pub(crate) fn instant_test(e: &str, op: Op, operand: &Operand, clock: &Clock, params: &mut Vec<Val>) -> Option<String> {
    Some(match (op, operand) {
        (Op::WithinLastDays, Operand::One(Value::Num(days))) => {
            let from = bind(params, Val::I(clock.now_ms - (*days * 86_400_000.0) as i64));
            let now = bind(params, Val::I(clock.now_ms));
            format!("{e} >= {from} AND {e} <= {now}")
        }
        (Op::Before | Op::After, Operand::One(Value::Text(t))) => match instant_bound(t, &clock.zone, op == Op::After) {
            Some(b) => format!("{e} {} {}", if op == Op::After { ">=" } else { "<" }, bind(params, Val::I(b))),
            None => "FALSE".into(),
        },
        (Op::WithinLastDays | Op::Before | Op::After, _) => "FALSE".into(),
        _ => return None,
    })
}

/// A test of a column or expression that holds one plain value (not JSON, not an instant).
fn plain_test(e: &str, op: Op, operand: &Operand, params: &mut Vec<Val>) -> String {
    let one = |params: &mut Vec<Val>| match operand {
        Operand::One(v) => value(params, v),
        _ => "NULL".to_string(),
    };
    match op {
        Op::Eq => format!("{e} = {}", one(params)),
        Op::Ne => format!("{e} <> {}", one(params)),
        Op::Gt => format!("{e} > {}", one(params)),
        Op::Gte => format!("{e} >= {}", one(params)),
        Op::Lt => format!("{e} < {}", one(params)),
        Op::Lte => format!("{e} <= {}", one(params)),
        Op::In | Op::NotIn => {
            let Operand::Many(vs) = operand else { return "FALSE".into() };
            let list: Vec<String> = vs.iter().map(|v| value(params, v)).collect();
            format!("{e} {}IN ({})", if op == Op::NotIn { "NOT " } else { "" }, list.join(", "))
        }
        Op::Between => {
            let Operand::Many(vs) = operand else { return "FALSE".into() };
            let (lo, hi) = (value(params, &vs[0]), value(params, &vs[1]));
            format!("{e} BETWEEN {lo} AND {hi}")
        }
        Op::Exists => format!("{e} IS NOT NULL"),
        Op::Missing => format!("{e} IS NULL"),
        Op::StartsWith => match operand {
            Operand::One(Value::Text(t)) => starts_with(e, t, params),
            _ => "FALSE".into(),
        },
        Op::Contains | Op::WithinLastDays | Op::Before | Op::After => "FALSE".into(),
    }
}

/// Case-sensitive on both databases, as in memory (SQLite's LIKE ignores ASCII case).
fn starts_with(e: &str, prefix: &str, params: &mut Vec<Val>) -> String {
    let len = bind(params, Val::I(prefix.chars().count() as i64));
    format!("SUBSTR({e}, 1, CAST({len} AS INTEGER)) = {}", bind(params, Val::T(prefix.to_string())))
}

/// Events of a type in a window counted from the events themselves, those `filter` admits when
/// there is one (the per-type totals serve only an unfiltered count of all time). Properties
/// emptied by the tenant's data retention no longer match.
fn counted_events(
    event_type: &str,
    window: EventWindow,
    filter: Option<&Condition>,
    clock: &Clock,
    params: &mut Vec<Val>,
) -> String {
    let t = bind(params, Val::T(event_type.into()));
    let within = match window {
        EventWindow::Ever => String::new(),
        EventWindow::LastDays(days) => {
            let from = bind(params, Val::I(clock.now_ms - days * 86_400_000));
            let now = bind(params, Val::I(clock.now_ms));
            format!(" AND e.occurred_at >= {from} AND e.occurred_at <= {now}")
        }
    };
    let admitted = filter.map(|f| format!(" AND {}", compile_event_filter(f, clock.backend, params))).unwrap_or_default();
    format!("(SELECT COUNT(*) FROM events e WHERE e.tenant_id = $1 AND e.customer_id = c.id AND e.type = {t}{within}{admitted})")
}

/// A test of one key of a JSON object column, typed as the condition language compares: a
/// number only against numbers, a text against texts, a flag against flags; a key that is
/// absent or null (or holds an object) is missing.
fn json_test(backend: Backend, column: &str, key: &str, op: Op, operand: &Operand, params: &mut Vec<Val>) -> String {
    let j = JsonKey::new(backend, column, key, params);
    let typed = |v: &Value, cmp: &str, params: &mut Vec<Val>| -> String {
        match v {
            Value::Num(_) => format!("({} AND {} {cmp} {})", j.is("number"), j.number(), value(params, v)),
            Value::Text(_) => format!("({} AND {} {cmp} {})", j.is("text"), j.text(), value(params, v)),
            Value::Bool(_) => format!("({} AND {} {cmp} {})", j.is("bool"), j.flag(), value(params, v)),
            Value::List(_) => "FALSE".into(),
        }
    };
    let cmp = match op {
        Op::Eq => "=",
        Op::Ne => "<>",
        Op::Gt => ">",
        Op::Gte => ">=",
        Op::Lt => "<",
        Op::Lte => "<=",
        _ => "",
    };
    match (op, operand) {
        (Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte, Operand::One(v)) => typed(v, cmp, params),
        (Op::In, Operand::Many(vs)) => {
            format!("({})", vs.iter().map(|v| typed(v, "=", params)).collect::<Vec<_>>().join(" OR "))
        }
        (Op::NotIn, Operand::Many(vs)) => {
            format!("({})", vs.iter().map(|v| typed(v, "<>", params)).collect::<Vec<_>>().join(" AND "))
        }
        (Op::Between, Operand::Many(vs)) => format!("({} AND {})", typed(&vs[0], ">=", params), typed(&vs[1], "<=", params)),
        (Op::StartsWith, Operand::One(Value::Text(t))) => format!("({} AND {})", j.is("text"), starts_with(&j.text(), t, params)),
        (Op::Contains, Operand::One(Value::Text(t))) => {
            let text = bind(params, Val::T(t.clone()));
            format!("(({} AND {} = {text}) OR ({} AND {}))", j.is("text"), j.text(), j.is("array"), j.array_holds(&text))
        }
        (Op::Exists, _) => j.present(),
        (Op::Missing, _) => format!("NOT {}", j.present()),
        _ => "FALSE".into(),
    }
}

/// One key of a JSON text column, read in a backend's dialect.
struct JsonKey {
    backend: Backend,
    column: String,
    /// The bound path (`$."key"` on SQLite) or key (PostgreSQL).
    at: String,
}

impl JsonKey {
    fn new(backend: Backend, column: &str, key: &str, params: &mut Vec<Val>) -> JsonKey {
        // Names are plain (letters, digits, `_`, `-`), checked when the rule was parsed.
        let at = match backend {
            Backend::Sqlite => bind(params, Val::T(format!("$.\"{key}\""))),
            Backend::Postgres => bind(params, Val::T(key.to_string())),
        };
        JsonKey { backend, column: column.to_string(), at }
    }

    fn value(&self) -> String {
        format!("(CAST({} AS jsonb) -> CAST({} AS TEXT))", self.column, self.at)
    }

    /// The JSON type, named alike on both: number, text, bool, array, object or null (absent).
    fn kind(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!(
                "COALESCE(CASE json_type({c}, {p}) WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number'
                 WHEN 'true' THEN 'bool' WHEN 'false' THEN 'bool' ELSE json_type({c}, {p}) END, 'null')",
                c = self.column,
                p = self.at
            ),
            Backend::Postgres => format!(
                "COALESCE(CASE jsonb_typeof({v}) WHEN 'string' THEN 'text' WHEN 'boolean' THEN 'bool' ELSE jsonb_typeof({v}) END, 'null')",
                v = self.value()
            ),
        }
    }

    fn is(&self, kind: &str) -> String {
        format!("{} = '{kind}'", self.kind())
    }

    fn present(&self) -> String {
        format!("{} IN ('number', 'text', 'bool', 'array')", self.kind())
    }

    fn number(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_extract({}, {})", self.column, self.at),
            Backend::Postgres => format!(
                "CAST(CASE WHEN jsonb_typeof({v}) = 'number' THEN CAST({c} AS jsonb) ->> CAST({p} AS TEXT) END AS DOUBLE PRECISION)",
                v = self.value(),
                c = self.column,
                p = self.at
            ),
        }
    }

    fn text(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_extract({}, {})", self.column, self.at),
            Backend::Postgres => format!("(CAST({} AS jsonb) ->> CAST({} AS TEXT))", self.column, self.at),
        }
    }

    /// 1 for true, 0 for false, as flags are bound.
    fn flag(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("(CASE json_type({}, {}) WHEN 'true' THEN 1 ELSE 0 END)", self.column, self.at),
            Backend::Postgres => format!("(CASE {} WHEN 'true' THEN 1 ELSE 0 END)", self.text()),
        }
    }

    /// Whether the array under the key holds `text` as one of its texts.
    fn array_holds(&self, text: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                format!(
                    "EXISTS (SELECT 1 FROM json_each({}, {}) j WHERE j.type = 'text' AND j.value = {text})",
                    self.column, self.at
                )
            }
            Backend::Postgres => format!("{} @> jsonb_build_array(CAST({text} AS TEXT))", self.value()),
        }
    }
}

/// The birth date on or before which a customer is at least `years` old today.
fn born_by(clock: &Clock, years: i64, params: &mut Vec<Val>) -> String {
    let day = clock.today.checked_sub(jiff::Span::new().years(years)).unwrap_or(clock.today);
    bind(params, Val::T(day.to_string()))
}

/// Age tests as comparisons of the birth date, so an index on it could serve them.
fn age(op: Op, operand: &Operand, clock: &Clock, params: &mut Vec<Val>) -> String {
    let num = |v: &Value| if let Value::Num(n) = v { *n } else { f64::NAN };
    let at_least = |years: f64, params: &mut Vec<Val>| format!("c.birth_date <= {}", born_by(clock, years as i64, params));
    let below = |years: f64, params: &mut Vec<Val>| format!("c.birth_date > {}", born_by(clock, years as i64, params));
    let exactly = |n: f64, params: &mut Vec<Val>| {
        if n.fract() != 0.0 { "FALSE".to_string() } else { format!("({} AND {})", at_least(n, params), below(n + 1.0, params)) }
    };
    let body = match (op, operand) {
        (Op::Gte, Operand::One(v)) => at_least(num(v).ceil(), params),
        (Op::Gt, Operand::One(v)) => at_least(num(v).floor() + 1.0, params),
        (Op::Lte, Operand::One(v)) => below(num(v).floor() + 1.0, params),
        (Op::Lt, Operand::One(v)) => below(num(v).ceil(), params),
        (Op::Eq, Operand::One(v)) => exactly(num(v), params),
        (Op::Ne, Operand::One(v)) => format!("NOT {}", exactly(num(v), params)),
        (Op::Between, Operand::Many(vs)) => {
            format!("({} AND {})", at_least(num(&vs[0]).ceil(), params), below(num(&vs[1]).floor() + 1.0, params))
        }
        (Op::In, Operand::Many(vs)) => {
            format!("({})", vs.iter().map(|v| exactly(num(v), params)).collect::<Vec<_>>().join(" OR "))
        }
        (Op::NotIn, Operand::Many(vs)) => {
            format!("NOT ({})", vs.iter().map(|v| exactly(num(v), params)).collect::<Vec<_>>().join(" OR "))
        }
        (Op::Exists, _) => return "c.birth_date IS NOT NULL".into(),
        (Op::Missing, _) => return "c.birth_date IS NULL".into(),
        _ => "FALSE".into(),
    };
    format!("c.birth_date IS NOT NULL AND {body}")
}

/// Tags and interests are stored as JSON arrays of text: an element is its quoted JSON form.
fn json_list(field: &str, op: Op, operand: &Operand, params: &mut Vec<Val>) -> String {
    match (op, operand) {
        (Op::Contains, Operand::One(Value::Text(t))) => {
            let quoted = serde_json::to_string(t).expect("text serialises");
            format!("c.{field} LIKE {} ESCAPE '\\'", bind(params, Val::T(format!("%{}%", like_escape(&quoted)))))
        }
        (Op::Exists, _) => format!("c.{field} <> '[]'"),
        (Op::Missing, _) => format!("c.{field} = '[]'"),
        _ => "FALSE".into(),
    }
}

/// A list field held as rows: `any` selects the customer's rows, `column` the listed value.
fn listed(any: &str, column: &str, op: Op, operand: &Operand, params: &mut Vec<Val>) -> String {
    match (op, operand) {
        (Op::Contains, Operand::One(Value::Text(t))) => {
            format!("EXISTS ({any} AND {column} = {})", bind(params, Val::T(t.clone())))
        }
        (Op::Exists, _) => format!("EXISTS ({any})"),
        (Op::Missing, _) => format!("NOT EXISTS ({any})"),
        _ => "FALSE".into(),
    }
}

fn categories(op: Op, operand: &Operand, params: &mut Vec<Val>) -> String {
    let any = "SELECT 1 FROM customer_category_stats x WHERE x.tenant_id = $1 AND x.customer_id = c.id";
    listed(any, "x.category", op, operand, params)
}

/// SKUs on the customer's sales that were not refunded in full.
fn products(op: Op, operand: &Operand, params: &mut Vec<Val>) -> String {
    let any = "SELECT 1 FROM invoices i JOIN invoice_lines l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.id
         WHERE i.tenant_id = $1 AND i.customer_id = c.id AND i.status = 'completed' AND i.total > i.refunded_total
           AND l.sku IS NOT NULL";
    listed(any, "l.sku", op, operand, params)
}

fn lists(op: Op, operand: &Operand, params: &mut Vec<Val>) -> String {
    let any = "SELECT 1 FROM list_members m JOIN lists l ON l.tenant_id = m.tenant_id AND l.id = m.list_id
         WHERE m.tenant_id = $1 AND m.customer_id = c.id";
    listed(any, "l.code", op, operand, params)
}

/// Yes/no fields: consent flags (absent until given or withdrawn) and whether contacts exist.
fn flag(field: &str, op: Op, operand: &Operand) -> String {
    let (holds, known) = match field {
        "sms_opt_in" | "email_opt_in" => (format!("c.{field} = 1"), format!("c.{field} IS NOT NULL")),
        "has_mobile" => ("c.mobile IS NOT NULL".to_string(), "TRUE".to_string()),
        _ => ("c.email IS NOT NULL".to_string(), "TRUE".to_string()),
    };
    let wanted = |v: &Value| matches!(v, Value::Bool(true));
    match (op, operand) {
        (Op::Eq, Operand::One(v)) => {
            if wanted(v) {
                holds
            } else {
                format!("{known} AND NOT ({holds})")
            }
        }
        (Op::Ne, Operand::One(v)) => {
            if wanted(v) {
                format!("{known} AND NOT ({holds})")
            } else {
                holds
            }
        }
        (Op::Exists, _) => known,
        (Op::Missing, _) => format!("NOT ({known})"),
        _ => "FALSE".into(),
    }
}

//! Message templates (SPEC E3): a text per language with variables, conditions and Persian number
//! and date formatting, written in the Jinja syntax (`{{ customer.first_name }}`,
//! `{% if tier %}…{% endif %}`, `{{ points | number }}`).

use crate::calendar::{CalendarKind, from_millis, local_day, parse_date};
use crate::digits::persian_digits;
use crate::issue::{Checker, Invalid, Issue, optional_text, required_text};
use crate::messaging::Channel;
use crate::points::parse_code;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, State};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The variables a template may use. `data` carries what the trigger adds (an invoice, a mission).
pub const VARIABLES: [&str; 16] = [
    "customer",
    "unsubscribe_link",
    "tenant",
    "tier",
    "points",
    "points_by_type",
    "wallet",
    "expiring_points",
    "expiring_at",
    "code",
    "code_expires_at",
    "referral_code",
    "referral_link",
    "club_link",
    "mission",
    "data",
];

/// The languages a template may be written in.
pub const LANGUAGES: [&str; 2] = ["fa", "en"];

/// Longest template text: a long email fits, a runaway paste does not.
const MAX_TEXT: usize = 20_000;
/// Longest title and text of a push notification, in characters.
const PUSH_TITLE: usize = 120;
const PUSH_TEXT: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub code: String,
    pub name: String,
    /// `sms` or `email`.
    pub channel: String,
    /// `marketing` (the default: needs consent, waits for quiet hours, counts toward caps) or
    /// `transactional` (one-time codes and receipts: none of these).
    pub purpose: Option<String>,
    /// A promotion whose personal code each message carries as `{{ code }}`.
    pub promotion: Option<String>,
    /// Days the personal code is valid (default 30).
    pub code_valid_days: Option<u32>,
    /// The text per language (`fa`, `en`); the customer's language is used when present.
    pub versions: BTreeMap<String, VersionInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    /// Email subject, or a push notification's title (required for both).
    pub subject: Option<String>,
    /// The SMS text, the plain-text body of an email or the text of a push notification.
    pub body: String,
    /// Optional HTML body of an email; variables are HTML-escaped in it.
    pub html: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Marketing,
    Transactional,
}

impl Purpose {
    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim() {
            "marketing" => Ok(Purpose::Marketing),
            "transactional" => Ok(Purpose::Transactional),
            _ => Err(Issue::one_of(&["marketing", "transactional"])),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Marketing => "marketing",
            Purpose::Transactional => "transactional",
        }
    }
}

/// A checked template, compiled and ready to render.
pub struct MessageTemplate {
    pub code: String,
    pub name: String,
    pub channel: Channel,
    pub purpose: Purpose,
    pub promotion: Option<String>,
    pub code_valid_days: u32,
    pub input: TemplateInput,
    /// The variables its texts use: what needs to be loaded to render it.
    pub uses: BTreeSet<String>,
    env: Environment<'static>,
}

impl std::fmt::Debug for MessageTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageTemplate").field("code", &self.code).finish_non_exhaustive()
    }
}

/// What one rendering produced.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rendered {
    pub language: String,
    pub subject: Option<String>,
    pub body: String,
    pub html: Option<String>,
}

fn template_error(e: &minijinja::Error) -> Issue {
    let line = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    let detail = e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string());
    Issue::new("invalid_template", format!("is not a valid template{line}: {detail}"), format!("قالب معتبر نیست{line}: {detail}"))
}

fn language_of(state: &State) -> String {
    state.lookup("_language").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "fa".into())
}

fn number_filter(state: &State, value: Value) -> String {
    let persian = language_of(state) == "fa";
    match value.as_i64() {
        Some(n) => crate::digits::group_thousands(n, persian),
        None if persian => persian_digits(&value.to_string()),
        None => value.to_string(),
    }
}

fn digits_filter(state: &State, value: Value) -> String {
    if language_of(state) == "fa" { persian_digits(&value.to_string()) } else { value.to_string() }
}

/// Dates arrive as epoch milliseconds or `YYYY-MM-DD`; they are shown in the tenant's calendar
/// and zone, in Persian digits for Persian text.
fn date_filter(state: &State, value: Value) -> String {
    let persian = language_of(state) == "fa";
    let calendar = state
        .lookup("_calendar")
        .and_then(|v| v.as_str().and_then(|s| CalendarKind::parse(s).ok()))
        .unwrap_or(CalendarKind::Jalali);
    let zone = state
        .lookup("_zone")
        .and_then(|v| v.as_str().and_then(|s| jiff::tz::TimeZone::get(s).ok()))
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let date = match value.as_i64() {
        Some(ms) => Some(local_day(from_millis(ms), &zone)),
        None => value.as_str().and_then(|s| parse_date(s).ok()),
    };
    match date {
        Some(d) => calendar.format_date(d, persian),
        None => String::new(),
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // `{% if data.points %}` must work when a cause adds no data: missing values chain to nothing.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    // A field the customer left empty (no first name) prints as nothing, never as "none".
    env.set_formatter(|out, state, value| if value.is_none() { Ok(()) } else { minijinja::escape_formatter(out, state, value) });
    env.add_filter("number", number_filter);
    env.add_filter("digits", digits_filter);
    env.add_filter("date", date_filter);
    env
}

impl TemplateInput {
    pub fn parse(&self) -> Result<MessageTemplate, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(&self.code));
        let name = c.check("name", required_text(Some(&self.name), 200));
        let channel = c.check("channel", Channel::parse(&self.channel));
        let purpose = match &self.purpose {
            None => Some(Purpose::Marketing),
            Some(p) => c.check("purpose", Purpose::parse(p)),
        };
        let promotion = c.check("promotion", optional_text(self.promotion.as_deref(), 64)).flatten();
        if self.code_valid_days == Some(0) {
            c.push(Issue::new("zero", "must be at least 1", "باید دست‌کم ۱ باشد").at("code_valid_days"));
        }
        if self.versions.is_empty() {
            c.push(
                Issue::new("required", "needs at least one language (fa or en)", "دست‌کم یک زبان (fa یا en) لازم است")
                    .at("versions"),
            );
        }
        let mut env = environment();
        let mut uses = BTreeSet::new();
        for (language, version) in &self.versions {
            let at = format!("versions.{language}");
            if !LANGUAGES.contains(&language.as_str()) {
                c.push(Issue::one_of(&LANGUAGES).at(&at));
                continue;
            }
            // An email's subject and a push notification's title are required.
            if matches!(channel, Some(Channel::Email | Channel::Push))
                && version.subject.as_deref().is_none_or(|s| s.trim().is_empty())
            {
                c.push(Issue::required().at(format!("{at}.subject")));
            }
            if channel == Some(Channel::Push) {
                if version.html.is_some() {
                    c.push(Issue::new("email_only", "is for email only", "فقط برای ایمیل است").at(format!("{at}.html")));
                }
                // A notification shows a line of title and a few of text; browsers cut the rest.
                if version.subject.as_deref().is_some_and(|s| s.chars().count() > PUSH_TITLE) {
                    c.push(Issue::too_long(PUSH_TITLE).at(format!("{at}.subject")));
                }
                if version.body.chars().count() > PUSH_TEXT {
                    c.push(Issue::too_long(PUSH_TEXT).at(format!("{at}.body")));
                }
            }
            if channel == Some(Channel::Sms) && (version.subject.is_some() || version.html.is_some()) {
                let field = if version.subject.is_some() { "subject" } else { "html" };
                c.push(Issue::new("email_only", "is for email only", "فقط برای ایمیل است").at(format!("{at}.{field}")));
            }
            let parts = [
                ("subject", version.subject.as_deref()),
                ("body", Some(version.body.as_str())),
                ("html", version.html.as_deref()),
            ];
            for (part, text) in parts {
                let Some(text) = text else { continue };
                let field = format!("{at}.{part}");
                if part == "body" && text.trim().is_empty() {
                    c.push(Issue::required().at(&field));
                    continue;
                }
                if text.chars().count() > MAX_TEXT {
                    c.push(Issue::too_long(MAX_TEXT).at(&field));
                    continue;
                }
                let name = format!("{language}.{part}");
                if let Err(e) = env.add_template_owned(name.clone(), text.to_string()) {
                    c.push(template_error(&e).at(&field));
                    continue;
                }
                let template = env.get_template(&name).expect("just added");
                let used = template.undeclared_variables(false);
                uses.extend(used.iter().cloned());
                let mut unknown: Vec<String> =
                    used.into_iter().filter(|v| !VARIABLES.contains(&v.as_str()) && !v.starts_with('_')).collect();
                unknown.sort();
                if !unknown.is_empty() {
                    let list = unknown.join(", ");
                    c.push(
                        Issue::new(
                            "unknown_variable",
                            format!("uses unknown variables: {list} (known: {})", VARIABLES.join(", ")),
                            format!("متغیرهای ناشناخته: {list}"),
                        )
                        .at(&field),
                    );
                }
            }
        }
        c.finish(|| MessageTemplate {
            code: code.unwrap(),
            name: name.unwrap(),
            channel: channel.unwrap(),
            purpose: purpose.unwrap(),
            promotion,
            code_valid_days: self.code_valid_days.unwrap_or(30),
            input: self.clone(),
            uses,
            env,
        })
    }
}

impl MessageTemplate {
    /// The language a customer reads: theirs when the template has it, else Persian, else the first.
    pub fn language_for(&self, preferred: Option<&str>) -> String {
        let has = |l: &str| self.input.versions.contains_key(l);
        match preferred {
            Some(l) if has(l) => l.to_string(),
            _ if has("fa") => "fa".into(),
            _ => self.input.versions.keys().next().cloned().unwrap_or_else(|| "fa".into()),
        }
    }

    /// Renders the version in `language` with `context` (an object of [`VARIABLES`]); the calendar
    /// and zone are the tenant's.
    pub fn render(
        &self,
        language: &str,
        context: &serde_json::Value,
        calendar: CalendarKind,
        zone: &str,
    ) -> Result<Rendered, Issue> {
        let mut ctx = match context {
            serde_json::Value::Object(m) => m.clone(),
            _ => serde_json::Map::new(),
        };
        ctx.insert("_language".into(), language.into());
        ctx.insert("_calendar".into(), calendar.as_str().into());
        ctx.insert("_zone".into(), zone.into());
        let value = Value::from(minijinja::value::Serde(&ctx));
        let part = |name: &str| -> Result<Option<String>, Issue> {
            match self.env.get_template(&format!("{language}.{name}")) {
                Ok(t) => t.render(value.clone()).map(|s| Some(s.trim().to_string())).map_err(|e| template_error(&e)),
                Err(_) => Ok(None),
            }
        };
        Ok(Rendered {
            language: language.to_string(),
            subject: part("subject")?,
            body: part("body")?.ok_or_else(|| {
                Issue::new("no_version", format!("has no {language} version"), format!("نسخهٔ {language} ندارد"))
            })?,
            html: part("html")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(channel: &str, versions: serde_json::Value) -> TemplateInput {
        serde_json::from_value(json!({"code": "t1", "name": "Test", "channel": channel, "versions": versions})).unwrap()
    }

    #[test]
    fn renders_persian_numbers_dates_and_conditions() {
        let t = input(
            "sms",
            json!({
                "fa": {"body": "{{ customer.first_name }} عزیز، {{ points | number }} امتیاز دارید{% if tier %} ({{ tier }}){% endif %}. انقضا: {{ expiring_at | date }}"},
                "en": {"body": "Dear {{ customer.first_name }}, you have {{ points | number }} points{% if tier %} ({{ tier }}){% endif %}."}
            }),
        )
        .parse()
        .unwrap();
        let ctx = json!({"customer": {"first_name": "سارا"}, "points": 1250000, "tier": "طلایی", "expiring_at": "2026-03-21"});
        let fa = t.render("fa", &ctx, CalendarKind::Jalali, "Asia/Tehran").unwrap();
        assert_eq!(fa.body, "سارا عزیز، ۱٬۲۵۰٬۰۰۰ امتیاز دارید (طلایی). انقضا: ۱۴۰۵/۰۱/۰۱");
        let en =
            t.render("en", &json!({"customer": {"first_name": "Sara"}, "points": 1250}), CalendarKind::Gregorian, "UTC").unwrap();
        assert_eq!(en.body, "Dear Sara, you have 1,250 points.");
        assert_eq!(t.language_for(Some("en")), "en");
        assert_eq!(t.language_for(Some("de")), "fa");
    }

    #[test]
    fn html_escapes_variables_and_text_does_not() {
        let t = input("email", json!({"en": {"subject": "Hi {{ customer.first_name }}", "body": "Hi {{ customer.first_name }}", "html": "<p>Hi {{ customer.first_name }}</p>"}}))
            .parse()
            .unwrap();
        let r = t.render("en", &json!({"customer": {"first_name": "<Sam & Co>"}}), CalendarKind::Gregorian, "UTC").unwrap();
        assert_eq!(r.subject.as_deref(), Some("Hi <Sam & Co>"));
        assert_eq!(r.html.as_deref(), Some("<p>Hi &lt;Sam &amp; Co&gt;</p>"));
        let r = t.render("en", &json!({"customer": {"first_name": null}}), CalendarKind::Gregorian, "UTC").unwrap();
        assert_eq!(r.body, "Hi", "an empty field prints as nothing");
    }

    #[test]
    fn mistakes_name_their_field() {
        let e = input(
            "email",
            json!({"fa": {"body": "{{ custmer.name }}"}, "en": {"subject": "x", "body": "{% if %}"}, "de": {"body": "x"}}),
        )
        .parse()
        .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("versions.de", "not_allowed"),
                ("versions.en.body", "invalid_template"),
                ("versions.fa.subject", "required"),
                ("versions.fa.body", "unknown_variable")
            ]
        );
        let e = input("sms", json!({"fa": {"body": "x", "subject": "y"}})).parse().unwrap_err();
        assert_eq!(e.0[0].field, "versions.fa.subject");
    }

    #[test]
    fn push_needs_a_short_title_and_no_html() {
        let t =
            input("push", json!({"fa": {"subject": "{{ points | number }} امتیاز", "body": "سلام {{ customer.first_name }}"}}))
                .parse()
                .unwrap();
        assert_eq!(t.channel, Channel::Push);
        let e = input(
            "push",
            json!({"fa": {"body": "x", "html": "<p>x</p>"}, "en": {"subject": "t".repeat(121), "body": "b".repeat(1001)}}),
        )
        .parse()
        .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("versions.en.subject", "too_long"),
                ("versions.en.body", "too_long"),
                ("versions.fa.subject", "required"),
                ("versions.fa.html", "email_only")
            ]
        );
    }
}

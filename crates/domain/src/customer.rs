//! Customer profiles (SPEC A1) and the identifiers that resolve them (A2).

use crate::calendar::parse_date;
use crate::email::Email;
use crate::issue::{Checker, Invalid, Issue, optional_text};
use crate::mobile::Mobile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
    Other,
}

impl Gender {
    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().as_str() {
            "female" | "f" | "woman" | "زن" | "خانم" | "مونث" => Ok(Self::Female),
            "male" | "m" | "man" | "مرد" | "آقا" | "اقا" | "مذکر" => Ok(Self::Male),
            "other" | "o" | "سایر" | "دیگر" => Ok(Self::Other),
            _ => Err(Issue::one_of(&["female", "male", "other"])),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
            Self::Other => "other",
        }
    }
}

/// The system a record comes from: `woocommerce`, `pos`, `csv`, `api`, `sepidar`…
pub fn parse_source(input: &str) -> Result<String, Issue> {
    let s = input.trim().to_lowercase();
    if !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        Ok(s)
    } else {
        Err(Issue::new("invalid_source", "must be 1–32 characters of a–z, 0–9, _ and -", "نام منبع معتبر نیست"))
    }
}

/// An id given by another system; text, at most 128 characters.
pub fn parse_external_id(input: &str) -> Result<String, Issue> {
    let s = crate::digits::ascii_digits(input.trim());
    if s.is_empty() {
        Err(Issue::required())
    } else if s.chars().count() > 128 {
        Err(Issue::too_long(128))
    } else if s.chars().any(char::is_control) {
        Err(Issue::new("invalid_characters", "contains control characters", "نویسه‌های نامعتبر دارد"))
    } else {
        Ok(s)
    }
}

/// A key that identifies at most one customer of a tenant. Its text form is what the store
/// indexes: `m:+989121234567`, `e:sara@example.com`, `x:woocommerce:25`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityKey {
    Mobile(Mobile),
    Email(Email),
    External { source: String, id: String },
}

impl IdentityKey {
    pub fn key(&self) -> String {
        match self {
            Self::Mobile(m) => format!("m:{m}"),
            Self::Email(e) => format!("e:{e}"),
            Self::External { source, id } => format!("x:{source}:{id}"),
        }
    }

    /// Which kind of identifier wins when identifiers of one record point at different customers:
    /// an external id is the most specific, then mobile, then email.
    pub fn precedence(&self) -> u8 {
        match self {
            Self::External { .. } => 0,
            Self::Mobile(_) => 1,
            Self::Email(_) => 2,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ExternalIdInput {
    /// The system that owns the id, e.g. `woocommerce`.
    pub source: String,
    pub id: String,
}

/// First and last name as one, either absent part left out ("" when both are).
pub fn full_name(first: Option<&str>, last: Option<&str>) -> String {
    [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// A customer as sent by the API or read from a CSV row. Every field is optional: absent means
/// "leave as is", an empty string clears a text field.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub external_ids: Option<Vec<ExternalIdInput>>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `female`, `male` or `other` (Persian words accepted).
    pub gender: Option<String>,
    /// ISO `1990-05-17` or Jalali `1369/02/27`.
    pub birth_date: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    /// Social pages by network, e.g. `{"instagram": "@sara"}`.
    pub social: Option<BTreeMap<String, String>>,
    /// Typed custom attributes: strings, numbers or booleans.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<BTreeMap<String, serde_json::Value>>,
    pub tags: Option<Vec<String>>,
    pub interests: Option<Vec<String>>,
    pub sms_opt_in: Option<bool>,
    pub email_opt_in: Option<bool>,
}

/// A text field change: set, clear, or leave alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }
}

/// A validated [`CustomerInput`].
#[derive(Debug, Clone)]
pub struct CustomerPatch {
    pub identities: Vec<IdentityKey>,
    pub mobile: Option<Mobile>,
    pub email: Option<Email>,
    pub first_name: Change<String>,
    pub last_name: Change<String>,
    pub gender: Change<Gender>,
    pub birth_date: Change<jiff::civil::Date>,
    pub province: Change<String>,
    pub city: Change<String>,
    pub address_line: Change<String>,
    pub postal_code: Change<String>,
    pub social: Option<BTreeMap<String, String>>,
    pub attributes: Option<BTreeMap<String, serde_json::Value>>,
    pub tags: Option<Vec<String>>,
    pub interests: Option<Vec<String>>,
    pub sms_opt_in: Option<bool>,
    pub email_opt_in: Option<bool>,
}

fn text_change(value: Option<&str>, max: usize) -> Result<Change<String>, Issue> {
    match value {
        None => Ok(Change::Keep),
        Some(v) => Ok(optional_text(Some(v), max)?.map_or(Change::Clear, Change::Set)),
    }
}

fn parsed_change<T>(value: Option<&str>, parse: impl Fn(&str) -> Result<T, Issue>) -> Result<Change<T>, Issue> {
    match value.map(str::trim) {
        None => Ok(Change::Keep),
        Some("") => Ok(Change::Clear),
        Some(v) => parse(v).map(Change::Set),
    }
}

fn parse_label_list(values: &[String]) -> Result<Vec<String>, Issue> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let t = v.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 64 {
            return Err(Issue::too_long(64));
        }
        let t = t.to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 200 {
        return Err(Issue::new("too_many", "allows at most 200 entries", "حداکثر ۲۰۰ مورد مجاز است"));
    }
    Ok(out)
}

fn parse_attributes(values: &BTreeMap<String, serde_json::Value>) -> Result<BTreeMap<String, serde_json::Value>, FieldIssue> {
    let mut out = BTreeMap::new();
    for (key, value) in values {
        let k = key.trim().to_lowercase();
        let key_ok =
            !k.is_empty() && k.len() <= 64 && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok {
            return Err((
                format!("attributes.{key}"),
                Issue::new(
                    "invalid_attribute_name",
                    "attribute names use a–z, 0–9 and _",
                    "نام ویژگی فقط از a–z، ۰–۹ و _ تشکیل می‌شود",
                ),
            ));
        }
        match value {
            serde_json::Value::String(s) if s.chars().count() > 1000 => {
                return Err((format!("attributes.{key}"), Issue::too_long(1000)));
            }
            serde_json::Value::String(_)
            | serde_json::Value::Number(_)
            | serde_json::Value::Bool(_)
            | serde_json::Value::Null => {}
            _ => {
                return Err((
                    format!("attributes.{key}"),
                    Issue::new(
                        "invalid_attribute_value",
                        "must be a string, number or boolean",
                        "باید متن، عدد یا درست/نادرست باشد",
                    ),
                ));
            }
        }
        out.insert(k, value.clone());
    }
    Ok(out)
}

type FieldIssue = (String, Issue);

impl CustomerInput {
    pub fn parse(&self) -> Result<CustomerPatch, Invalid> {
        let mut c = Checker::new();
        let mut identities = Vec::new();
        for (i, ext) in self.external_ids.iter().flatten().enumerate() {
            let source = c.check(&format!("external_ids[{i}].source"), parse_source(&ext.source));
            let id = c.check(&format!("external_ids[{i}].id"), parse_external_id(&ext.id));
            if let (Some(source), Some(id)) = (source, id) {
                identities.push(IdentityKey::External { source, id });
            }
        }
        let mobile = self.mobile.as_deref().filter(|m| !m.trim().is_empty()).and_then(|m| c.check("mobile", Mobile::parse(m)));
        let email = self.email.as_deref().filter(|e| !e.trim().is_empty()).and_then(|e| c.check("email", Email::parse(e)));
        identities.extend(mobile.clone().map(IdentityKey::Mobile));
        identities.extend(email.clone().map(IdentityKey::Email));
        let first_name = c.check("first_name", text_change(self.first_name.as_deref(), 100));
        let last_name = c.check("last_name", text_change(self.last_name.as_deref(), 100));
        let gender = c.check("gender", parsed_change(self.gender.as_deref(), Gender::parse));
        let birth_date = c.check("birth_date", parsed_change(self.birth_date.as_deref(), parse_birth_date));
        let province = c.check("province", text_change(self.province.as_deref(), 100));
        let city = c.check("city", text_change(self.city.as_deref(), 100));
        let address_line = c.check("address_line", text_change(self.address_line.as_deref(), 500));
        let postal_code = c.check("postal_code", parsed_change(self.postal_code.as_deref(), parse_postal_code));
        let social = match &self.social {
            None => None,
            Some(map) => {
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    if let Some(Some(v)) = c.check(&format!("social.{k}"), optional_text(Some(v), 200)) {
                        out.insert(k.trim().to_lowercase(), v);
                    }
                }
                Some(out)
            }
        };
        let attributes = match &self.attributes {
            None => None,
            Some(map) => match parse_attributes(map) {
                Ok(a) => Some(a),
                Err((field, issue)) => {
                    c.push(issue.at(field));
                    None
                }
            },
        };
        let tags = self.tags.as_ref().and_then(|t| c.check("tags", parse_label_list(t)));
        let interests = self.interests.as_ref().and_then(|t| c.check("interests", parse_label_list(t)));
        c.finish(|| CustomerPatch {
            identities,
            mobile,
            email,
            first_name: first_name.unwrap(),
            last_name: last_name.unwrap(),
            gender: gender.unwrap(),
            birth_date: birth_date.unwrap(),
            province: province.unwrap(),
            city: city.unwrap(),
            address_line: address_line.unwrap(),
            postal_code: postal_code.unwrap(),
            social,
            attributes,
            tags,
            interests,
            sms_opt_in: self.sms_opt_in,
            email_opt_in: self.email_opt_in,
        })
    }
}

/// A birth date: a real date, not in the future, not more than 130 years ago.
pub fn parse_birth_date(input: &str) -> Result<jiff::civil::Date, Issue> {
    let date = parse_date(input)?;
    let today = jiff::Zoned::now().date();
    if date > today || date.year() < today.year() - 130 {
        return Err(Issue::new("implausible_birth_date", "is not a plausible birth date", "تاریخ تولد پذیرفتنی نیست"));
    }
    Ok(date)
}

/// Iranian postal codes have ten digits; others are kept as written (digits, letters, dash, space).
pub fn parse_postal_code(input: &str) -> Result<String, Issue> {
    let s = crate::digits::ascii_digits(input.trim()).replace([' ', '-'], "");
    if !s.is_empty() && s.len() <= 12 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(Issue::new("invalid_postal_code", "is not a valid postal code", "کد پستی معتبر نیست"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_profile() {
        let input: CustomerInput = serde_json::from_value(serde_json::json!({
            "external_ids": [{"source": "WooCommerce", "id": "25"}],
            "mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "email": "Sara@Example.com", "first_name": " سارا ",
            "gender": "زن", "birth_date": "1369/02/27", "postal_code": "۱۲۳۴۵-۶۷۸۹۰",
            "tags": ["VIP", "vip", " coffee "], "attributes": {"Shoe_Size": 38, "vegan": true},
            "sms_opt_in": true
        }))
        .unwrap();
        let p = input.parse().unwrap();
        let keys: Vec<String> = p.identities.iter().map(IdentityKey::key).collect();
        assert_eq!(keys, ["x:woocommerce:25", "m:+989121234567", "e:sara@example.com"]);
        assert_eq!(p.first_name, Change::Set("سارا".into()));
        assert_eq!(p.gender, Change::Set(Gender::Female));
        assert_eq!(p.birth_date, Change::Set(jiff::civil::date(1990, 5, 17)));
        assert_eq!(p.postal_code, Change::Set("1234567890".into()));
        assert_eq!(p.tags.unwrap(), ["vip", "coffee"]);
        assert!(p.attributes.unwrap().contains_key("shoe_size"));
        assert_eq!(p.last_name, Change::Keep);
    }

    #[test]
    fn names_each_bad_field() {
        let input = CustomerInput {
            mobile: Some("12345".into()),
            email: Some("nope".into()),
            gender: Some("x".into()),
            birth_date: Some("2999-01-01".into()),
            attributes: Some([("size".to_string(), serde_json::json!({"a": 1}))].into()),
            ..Default::default()
        };
        let fields: Vec<String> = input.parse().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["mobile", "email", "gender", "birth_date", "attributes.size"]);
    }
}

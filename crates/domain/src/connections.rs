//! Connections to other systems (SPEC H1–H2): a shop or an accounting system a tenant links,
//! with the code its delivery address carries and, for shops Philia can also read from, the
//! address and keys of the shop's API.

use crate::issue::{Checker, Invalid, Issue, optional_text};
use crate::sepidar::SepidarAccess;
use crate::tenant::parse_currency;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionKind {
    Woocommerce,
    Shopify,
    Sepidar,
    /// Invoices an accounting or sales system posts as CSV or JSON, read through a mapping.
    Feed,
}

impl ConnectionKind {
    pub const NAMES: [&'static str; 4] = ["woocommerce", "shopify", "sepidar", "feed"];

    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_ascii_lowercase().as_str() {
            "woocommerce" | "woo" => Ok(Self::Woocommerce),
            "shopify" => Ok(Self::Shopify),
            "sepidar" | "سپیدار" => Ok(Self::Sepidar),
            "feed" | "accounting" => Ok(Self::Feed),
            _ => Err(Issue::one_of(&Self::NAMES)),
        }
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// A connection as an owner describes it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    /// `woocommerce`, `shopify`, `sepidar` or `feed` (an accounting system's invoice files).
    pub kind: String,
    /// Short name in the delivery address: 1–24 of a–z, 0–9 and `-`, e.g. `shop`.
    pub code: String,
    pub name: Option<String>,
    /// The currency the shop prices in (the tenant's when absent; IRR and IRT convert).
    pub currency: Option<String>,
    /// The shop's address, e.g. `https://shop.example.com`, for backfill and reconciliation;
    /// for Sepidar, its web service's address, e.g. `http://192.168.1.5:7373`.
    pub store_url: Option<String>,
    /// REST API consumer key (`ck_…`) and secret (`cs_…`) with read access.
    pub consumer_key: Option<String>,
    pub consumer_secret: Option<String>,
    /// The webhook secret, when the shop's webhook already has one (8–200 characters); a strong
    /// one is made when absent. Shopify chooses its own: the key its webhooks page says they are
    /// signed with (or the app's client secret) is required for a Shopify connection.
    pub secret: Option<String>,
    /// Sepidar: the device serial (registration code) and the user Philia signs in as.
    pub device_serial: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Where and how to read a shop's REST API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopAccess {
    pub store_url: String,
    pub consumer_key: String,
    pub consumer_secret: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidConnection {
    pub kind: ConnectionKind,
    pub code: String,
    pub name: String,
    pub currency: Option<String>,
    pub access: Option<ShopAccess>,
    /// A Sepidar connection's service and sign-in.
    pub sepidar: Option<SepidarAccess>,
    pub secret: Option<String>,
}

pub fn parse_connection_code(input: &str) -> Result<String, Issue> {
    let s = input.trim().to_ascii_lowercase();
    if !s.is_empty()
        && s.len() <= 24
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
    {
        Ok(s)
    } else {
        Err(Issue::new("invalid_code", "must be 1–24 characters of a–z, 0–9 and -", "کد اتصال معتبر نیست"))
    }
}

/// A shop's base address: http or https, no query; the trailing slash is dropped.
pub fn parse_store_url(input: &str) -> Result<String, Issue> {
    let s = input.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !s.contains(['?', '#', ' ']) => Ok(s.to_string()),
        _ => Err(Issue::new(
            "invalid_url",
            "must be the shop's address, e.g. https://shop.example.com",
            "نشانی فروشگاه معتبر نیست",
        )),
    }
}

impl ConnectionInput {
    /// A new connection: as [`ConnectionInput::parse`], and a Shopify connection must bring the
    /// key Shopify signs with (Philia cannot make one up for it).
    pub fn parse_new(&self) -> Result<ValidConnection, Invalid> {
        let parsed = self.parse();
        let shopify = ConnectionKind::parse(&self.kind) == Ok(ConnectionKind::Shopify);
        if shopify && self.secret.as_deref().is_none_or(|s| s.trim().is_empty()) {
            let mut errors = parsed.err().map(|e| e.0).unwrap_or_default();
            errors.push(Issue::required().at("secret"));
            return Err(Invalid(errors));
        }
        parsed
    }

    /// A shop's API address and keys: the three come together, and what was typed decides
    /// which are missing.
    fn shop_access(&self, c: &mut Checker) -> Option<ShopAccess> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let (url_text, key, secret) = (given(&self.store_url), given(&self.consumer_key), given(&self.consumer_secret));
        let url = url_text.as_deref().and_then(|u| c.check("store_url", parse_store_url(u)));
        match (url, &url_text, key, secret) {
            (Some(store_url), _, Some(consumer_key), Some(consumer_secret)) => {
                Some(ShopAccess { store_url, consumer_key, consumer_secret })
            }
            (_, None, None, None) => None,
            (_, u, k, s) => {
                for (field, missing) in
                    [("store_url", u.is_none()), ("consumer_key", k.is_none()), ("consumer_secret", s.is_none())]
                {
                    if missing {
                        c.push(
                            Issue::new(
                                "required_with",
                                "is needed with the other API settings",
                                "همراه با دیگر تنظیمات API لازم است",
                            )
                            .at(field),
                        );
                    }
                }
                None
            }
        }
    }

    /// A connection's settings, new or changed.
    pub fn parse(&self) -> Result<ValidConnection, Invalid> {
        let mut c = Checker::new();
        let kind = c.check("kind", ConnectionKind::parse(&self.kind));
        let code = c.check("code", parse_connection_code(&self.code));
        let name = c.check("name", optional_text(self.name.as_deref(), 100)).flatten();
        let currency =
            self.currency.as_deref().filter(|s| !s.trim().is_empty()).and_then(|s| c.check("currency", parse_currency(s)));
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let mut access = None;
        let mut sepidar = None;
        if kind == Some(ConnectionKind::Sepidar) {
            // A Sepidar connection is read only through its web service: all four settings come
            // together, or none yet.
            let typed = [&self.store_url, &self.device_serial, &self.username, &self.password];
            if typed.iter().any(|v| given(v).is_some()) {
                match SepidarAccess::parse(
                    self.store_url.as_deref(),
                    self.device_serial.as_deref(),
                    self.username.as_deref(),
                    self.password.as_deref(),
                ) {
                    Ok(a) => sepidar = Some(a),
                    Err(e) => e.0.into_iter().for_each(|issue| c.push(issue)),
                }
            }
        } else if kind != Some(ConnectionKind::Feed) {
            access = self.shop_access(&mut c);
        }
        let secret = match self.secret.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) if (8..=200).contains(&s.chars().count()) => Some(s.to_string()),
            Some(_) => {
                c.push(Issue::new("invalid_secret", "must be 8–200 characters", "رمز باید ۸ تا ۲۰۰ نویسه باشد").at("secret"));
                None
            }
            None => None,
        };
        // Shopify's webhooks are read, not its API, and it signs with a key of its own choosing.
        if kind == Some(ConnectionKind::Shopify) && access.is_some() {
            c.push(
                Issue::new(
                    "not_supported",
                    "a Shopify connection reads webhooks only; leave the shop API settings empty",
                    "اتصال شاپیفای فقط وب‌هوک می‌خواند",
                )
                .at("store_url"),
            );
        }
        c.finish(|| {
            let code = code.unwrap();
            ValidConnection {
                kind: kind.unwrap(),
                name: name.unwrap_or_else(|| code.clone()),
                code,
                currency,
                access,
                sepidar,
                secret,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_names_every_bad_field() {
        let err = ConnectionInput {
            kind: "magento".into(),
            code: "My Shop".into(),
            store_url: Some("ftp://x".into()),
            consumer_key: Some("ck_1".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "code", "store_url", "consumer_secret"]);
    }

    #[test]
    fn a_shopify_connection_needs_the_shops_signing_key_and_no_api_settings() {
        let err = ConnectionInput {
            kind: "shopify".into(),
            code: "shop".into(),
            store_url: Some("https://x.myshopify.com".into()),
            consumer_key: Some("k".into()),
            consumer_secret: Some("s".into()),
            ..Default::default()
        }
        .parse_new()
        .unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["store_url", "secret"]);
        let ok = ConnectionInput {
            kind: "shopify".into(),
            code: "shop".into(),
            secret: Some("shpss_0123456789".into()),
            ..Default::default()
        }
        .parse_new()
        .unwrap();
        assert_eq!(ok.kind, ConnectionKind::Shopify);
    }

    #[test]
    fn a_sepidar_connection_takes_its_service_and_sign_in_together() {
        let input = |serial: &str| ConnectionInput {
            kind: "sepidar".into(),
            code: "acc".into(),
            store_url: Some("http://10.0.0.5:7373".into()),
            device_serial: Some(serial.into()),
            username: Some("philia".into()),
            ..Default::default()
        };
        let fields: Vec<String> = input("12").parse().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["device_serial", "password"]);
        let ok = ConnectionInput { password: Some("secret".into()), ..input("10051234") }.parse().unwrap();
        assert_eq!(ok.sepidar.unwrap().device_serial, "10051234");
        assert!(ok.access.is_none());
        let bare = ConnectionInput { kind: "sepidar".into(), code: "acc".into(), ..Default::default() }.parse().unwrap();
        assert!(bare.sepidar.is_none(), "the settings may come later");
    }

    #[test]
    fn api_settings_come_together() {
        let ok = ConnectionInput {
            kind: "woocommerce".into(),
            code: "shop".into(),
            store_url: Some("https://shop.example.com/".into()),
            consumer_key: Some("ck_1".into()),
            consumer_secret: Some("cs_1".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(ok.access.unwrap().store_url, "https://shop.example.com");
        assert_eq!(ok.name, "shop");
    }
}
